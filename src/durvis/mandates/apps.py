from django.apps import AppConfig


class MandatesConfig(AppConfig):
    name = "durvis.mandates"
    label = "mandates"

    def ready(self) -> None:
        # Plug the mandates' rules, the relation they add to acting-for, and their events into
        # the platform's registries.
        from durvis.mandates import (
            events,  # noqa: F401
            rules,  # noqa: F401
        )
