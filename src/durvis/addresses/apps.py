from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        from durvis.addresses.words import similarity

        connection.connection.create_function(
            "durvis_address_similarity", 2, similarity, deterministic=True)


class AddressesConfig(AppConfig):
    name = "durvis.addresses"
    label = "addresses"
    verbose_name = "State Address Register"

    def ready(self) -> None:
        connection_created.connect(_register_sqlite_functions)
