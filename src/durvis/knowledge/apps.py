from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "durvis.knowledge"
    label = "knowledge"

    def ready(self) -> None:
        # Plug the knowledge base's rules, events, subscribers and its publishing clock into
        # the platform's registries.
        from durvis.knowledge import (
            catalog_section,  # noqa: F401
            events,  # noqa: F401
            handlers,  # noqa: F401
            rules,  # noqa: F401
            schedule,  # noqa: F401
        )
        from durvis.knowledge.services import SEARCH_KIND, reindex_all
        from durvis.search.services import register_reindexer

        register_reindexer(SEARCH_KIND, reindex_all)
