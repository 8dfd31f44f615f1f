from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "durvis.workflows"
    label = "workflows"

    def ready(self) -> None:
        # Plug the workflows' rules, events, the register's subscriber and the scheduler's
        # scans into the platform's registries.
        from durvis.workflows import (
            events,  # noqa: F401
            handlers,  # noqa: F401
            rules,  # noqa: F401
            services,  # noqa: F401
        )
