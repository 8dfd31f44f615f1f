from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EaccountConfig(AppConfig):
    name = "durvis.eaccount"
    verbose_name = _("E-account")

    def ready(self) -> None:
        # The pages below the e-account (the public catalogue) act for the active role.
        from durvis.identity.sessions import ACTING_CLIENT, ActingClientSource
        from durvis.web.roles import active_client

        ACTING_CLIENT.register(ActingClientSource("eaccount.role", active_client))
