"""Phone numbers, read and shown one way everywhere: a person's mobile number in the profile
and its confirmation (A2, C1), the caller's number of a phone-only case or consultation in the
register and its API (B1), demo data, and the number an SMS is sent to.

Parsed and checked with `phonenumbers` (the Python port of Google's libphonenumber, its data
kept current with the ITU-T's national numbering plans); a number without its country code is
read as Latvian. Stored in E.164 (ITU-T Recommendation E.164: "+", the country code and the
national number, at most 15 digits, nothing else: `+37129123456`), the form an SMS gateway
takes and the one to compare numbers by. Shown in the national format for a Latvian number
(`29 123 456`) and in the international format otherwise (`+370 612 34567`).

Only the ASCII digits 0–9 are read (`durvis.core.text`): libphonenumber would also read
fullwidth and other scripts' digits, and "2９１２３４５６" must not become a confirmed number
that the person did not type as they see it.
"""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from durvis.core.text import digits_refusal, has_other_digits

REGION = "LV"
LATVIA = 371
# What people type around the digits; anything else (letters, other symbols) is no number.
_TYPED = frozenset("0123456789+ ()-./\u00a0")
# Types a text message reaches (libphonenumber cannot tell mobile from fixed in some plans, the
# North American one among them).
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _refuse(mobile: bool) -> ValidationError:
    if mobile:
        return ValidationError(
            _("Enter a Latvian mobile number (for example 29123456) or a foreign number with "
              "its country code (for example +37061234567)."), code="invalid")
    return ValidationError(
        _("Enter a phone number: a Latvian one of 8 digits (for example 67123456) or a foreign "
          "one with its country code (for example +37061234567)."), code="invalid")


def parse_phone(value: str, *, mobile: bool = False) -> str:
    """The number `value` names, in E.164 (`+37129123456`). People's ways of writing it are
    read: spaces, brackets, dots, hyphens and slashes; `00` for `+`; a number without a
    country code is Latvian. `mobile`: only a number that can receive an SMS (a Latvian one
    starts with 2). Raises ValidationError saying what is wrong: code `non_ascii_digits` for
    other digits than 0–9, `invalid` for anything else that is not a valid number (or, with
    `mobile`, no mobile one: a Latvian fixed line starting with 6)."""
    value = value.strip()
    if has_other_digits(value):
        message, code = digits_refusal()
        raise ValidationError(message, code=code)
    if not value or not set(value) <= _TYPED:
        raise _refuse(mobile)
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, REGION)
    except NumberParseException:
        raise _refuse(mobile) from None
    if not phonenumbers.is_valid_number(number) or (
            mobile and phonenumbers.number_type(number) not in _MOBILE):
        if mobile and number.country_code == LATVIA:
            raise ValidationError(
                _("A Latvian mobile number has 8 digits and starts with 2, for example "
                  "29123456."), code="invalid")
        raise _refuse(mobile)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """A stored number as people read it: `29 123 456` for a Latvian number, `+370 612 34567`
    for another. A value that is no valid number (older data) is shown as it is."""
    try:
        number = phonenumbers.parse(value, REGION)
    except NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    if phonenumbers.region_code_for_number(number) == REGION:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def sms_number(value: str) -> str | None:
    """The E.164 number an SMS to a stored number goes to, or None for a value that is no
    mobile number (older data typed before numbers were checked)."""
    try:
        return parse_phone(value, mobile=True)
    except ValidationError:
        return None
