from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "durvis.documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        # Plug the documents' rules and events into the platform's registries.
        from durvis.documents import (
            events,  # noqa: F401
            rules,  # noqa: F401
        )
