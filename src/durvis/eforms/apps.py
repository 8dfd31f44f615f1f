from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EformsConfig(AppConfig):
    name = "durvis.eforms"
    label = "eforms"
    verbose_name = _("E-forms")

    def ready(self) -> None:
        # Plug the e-forms' rules and events into the platform's registries.
        from durvis.eforms import (
            events,  # noqa: F401
            handlers,  # noqa: F401
            rules,  # noqa: F401
            services,  # noqa: F401  (the drafts' clock, a core.worker source)
        )
