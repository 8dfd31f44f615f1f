from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "durvis.audit"
    label = "audit"

    def ready(self) -> None:
        # The worker's checkpoint source (`checkpoints.run_due`).
        from durvis.audit import checkpoints  # noqa: F401
