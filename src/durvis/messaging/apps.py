from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "durvis.messaging"
    label = "messaging"

    def ready(self) -> None:
        # Plug messaging's rules, events and subscribers into the platform's registries.
        from durvis.messaging import (
            events,  # noqa: F401
            handlers,  # noqa: F401
            rules,  # noqa: F401
        )
