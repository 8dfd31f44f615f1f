from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "durvis.audit"
    label = "audit"
