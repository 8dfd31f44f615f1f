from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "durvis.core"
    label = "core"
    verbose_name = "Core"
