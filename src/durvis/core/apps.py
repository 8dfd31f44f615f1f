from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "durvis.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # The registries' start-up checks, as system checks.
        from durvis.core import checks  # noqa: F401
