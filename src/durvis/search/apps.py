from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        import math

        from durvis.search.text import word_similarity

        connection.connection.create_function(
            "durvis_word_similarity", 2, word_similarity, deterministic=True
        )
        connection.connection.create_function("durvis_ln", 1, math.log, deterministic=True)


class SearchConfig(AppConfig):
    name = "durvis.search"
    label = "search"

    def ready(self) -> None:
        connection_created.connect(_register_sqlite_functions)
