from django.apps import AppConfig


class ServicePointsConfig(AppConfig):
    name = "durvis.servicepoints"
    label = "servicepoints"

    def ready(self) -> None:
        # Plug the service points' rules and their part of a service's catalogue page ("where
        # can I do this in person") into the platform's registries.
        from durvis.servicepoints import catalog_section, rules  # noqa: F401
