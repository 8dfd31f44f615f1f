from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "durvis.identity"
    label = "identity"
