from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "durvis.administration"
    label = "administration"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from durvis.administration import rules  # noqa: F401  (registers the rules)
        from durvis.administration.signin import audit_lockout

        user_locked_out.connect(audit_lockout, dispatch_uid="durvis.audit_lockout")
