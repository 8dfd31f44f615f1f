from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "durvis.integrations"
    label = "integrations"

    def ready(self) -> None:
        # Plug the integration rules and API scopes into the platform's registries, and the
        # outbox into the worker's sources of work.
        from durvis.integrations import rules, services  # noqa: F401
