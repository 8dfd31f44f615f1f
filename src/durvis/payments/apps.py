from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "durvis.payments"
    label = "payments"
    verbose_name = _("Invoices and payments")

    def ready(self) -> None:
        # Plug the payments' rules, events and handlers into the platform's registries.
        from durvis.payments import (
            events,  # noqa: F401
            handlers,  # noqa: F401
            online,  # noqa: F401 (the worker source of online payments)
            providers,  # noqa: F401
            reminders,  # noqa: F401 (the invoices' clock, a worker source)
            rules,  # noqa: F401
        )
