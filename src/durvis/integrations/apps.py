from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "durvis.integrations"
    label = "integrations"
