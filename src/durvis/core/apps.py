from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "durvis.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # The registries' start-up checks, as system checks; the domain events, the worker's
        # first source of work.
        from durvis.core import checks, events  # noqa: F401
