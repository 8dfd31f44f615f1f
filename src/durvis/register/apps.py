from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "durvis.register"
    label = "register"

    def ready(self) -> None:
        # Plug the register's rules, scopes and events into the platform's registries.
        from durvis.register import (
            events,  # noqa: F401
            rules,  # noqa: F401
        )
