from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EaccountConfig(AppConfig):
    name = "durvis.eaccount"
    verbose_name = _("E-account")
