"""Latvian plural forms that Django's own catalogue gets wrong, given again in the project's.

Django's Latvian catalogue declares `plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2)` but its
translators wrote the forms in gettext's standard Latvian order (zero and teens, singular,
other), so "at most 500 characters" read "500 zīmei" and "at most 1 character" "1 zīmēm". The
project's catalogue (`LOCALE_PATHS`) is searched before Django's and declares the standard
formula, `(n%10==0 || (n%100>=11 && n%100<=19) ? 0 : n%10==1 && n%100!=11 ? 1 : 2)`; the
messages below, with Django's exact msgids, are listed here so that `makemessages` keeps them
in it. `tests/core/test_plurals.py` checks every count class in Latvian."""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

DJANGO_PLURAL_MESSAGES = (
    ngettext_lazy("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                  "Ensure this value has at most %(limit_value)d characters (it has "
                  "%(show_value)d).", "limit_value"),
    ngettext_lazy("Ensure this value has at least %(limit_value)d character (it has "
                  "%(show_value)d).",
                  "Ensure this value has at least %(limit_value)d characters (it has "
                  "%(show_value)d).", "limit_value"),
    ngettext_lazy("Ensure this filename has at most %(max)d character (it has %(length)d).",
                  "Ensure this filename has at most %(max)d characters (it has %(length)d).",
                  "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s digit in total.",
                  "Ensure that there are no more than %(max)s digits in total.", "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s decimal place.",
                  "Ensure that there are no more than %(max)s decimal places.", "max"),
    ngettext_lazy("Ensure that there are no more than %(max)s digit before the decimal point.",
                  "Ensure that there are no more than %(max)s digits before the decimal point.",
                  "max"),
    ngettext_lazy("Please submit at most %(num)d form.", "Please submit at most %(num)d forms.",
                  "num"),
    ngettext_lazy("Please submit at least %(num)d form.", "Please submit at least %(num)d forms.",
                  "num"),
    ngettext_lazy("%(size)d byte", "%(size)d bytes", "size"),
)
