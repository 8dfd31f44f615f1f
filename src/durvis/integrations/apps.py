from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "durvis.integrations"
    label = "integrations"

    def ready(self) -> None:
        # Plug the integration rules and API scopes into the platform's registries.
        from durvis.integrations import rules  # noqa: F401
