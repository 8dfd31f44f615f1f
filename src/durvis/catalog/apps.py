from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "durvis.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Plug the catalogue's access rules into the platform's registries.
        from durvis.catalog import rules  # noqa: F401
