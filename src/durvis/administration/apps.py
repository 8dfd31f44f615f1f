from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "durvis.administration"
    label = "administration"
