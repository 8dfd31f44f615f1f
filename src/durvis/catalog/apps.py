from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "durvis.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Plug the catalogue's access rules into the platform's registries.
        from durvis.catalog import rules  # noqa: F401
        from durvis.catalog.queries import SEARCH_KIND
        from durvis.catalog.services import reindex_all
        from durvis.search.services import register_reindexer

        register_reindexer(SEARCH_KIND, reindex_all)
