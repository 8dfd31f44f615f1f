from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "durvis.messaging"
    label = "messaging"
