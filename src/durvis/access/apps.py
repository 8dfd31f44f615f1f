from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "durvis.access"
    label = "access"
