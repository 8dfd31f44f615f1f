from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "durvis.identity"
    label = "identity"

    def ready(self) -> None:
        # Plug identity's access rules into the platform's registries.
        from durvis.identity import (
            rules,  # noqa: F401
            signin_views,  # noqa: F401 - the sign-in methods
        )
