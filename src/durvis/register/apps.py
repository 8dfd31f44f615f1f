from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "durvis.register"
    label = "register"
