from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "durvis.demo"
    label = "demo"
