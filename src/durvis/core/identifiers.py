"""Latvian identifiers: personal codes (personas kods) and company registration numbers.

Validation is python-stdnum's `stdnum.lv.pvn` (it knows both the old `DDMMYY-CNNNNN` codes and the
new `32NNNN-NNNNN` codes without a birth date). This module adds what a user needs on top: which of
the two kinds a number is, and a message in the user's language that says what is wrong.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.lv import pvn

from durvis.core.text import ascii_digits

_SEPARATORS = re.compile(r"[\s\-]")
# The digits of a code are the ASCII digits 0-9 (`str.isdigit` also takes "²" and "２").


def compact(value: str) -> str:
    """Strip spaces and hyphens, the way people write the codes."""
    return _SEPARATORS.sub("", value or "")


def _check_shape(number: str) -> None:
    if not ascii_digits(number):
        raise ValidationError(_("The number may contain only digits (and a hyphen)."), code="format")
    if len(number) != 11:
        raise ValidationError(
            _("The number must have 11 digits; %(count)d given."),
            code="length",
            params={"count": len(number)},
        )


def validate_personal_code(value: str) -> str:
    """Return the compact personal code or raise ValidationError saying what is wrong."""
    number = compact(value)
    _check_shape(number)
    if number[0] > "3":
        raise ValidationError(
            _("This is a company registration number, not a personal code."), code="company"
        )
    try:
        pvn.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("The check digit of the personal code is wrong: check the number for a typo."),
            code="checksum",
        ) from None
    except InvalidComponent:
        raise ValidationError(
            _("The first six digits of the personal code are not a valid birth date."),
            code="date",
        ) from None
    except (InvalidFormat, InvalidLength):
        raise ValidationError(_("This is not a valid personal code."), code="invalid") from None
    return number


def validate_company_number(value: str) -> str:
    """Return the compact registration number or raise ValidationError saying what is wrong."""
    number = compact(value)
    _check_shape(number)
    if number[0] <= "3":
        raise ValidationError(
            _("This is a personal code, not a company registration number."), code="person"
        )
    try:
        pvn.validate(number)
    except InvalidChecksum:
        raise ValidationError(
            _("The check digit of the registration number is wrong: check the number for a typo."),
            code="checksum",
        ) from None
    except (InvalidFormat, InvalidLength, InvalidComponent):
        raise ValidationError(_("This is not a valid registration number."), code="invalid") from None
    return number


def is_new_format_personal_code(number: str) -> bool:
    """New codes (issued from 1 July 2017) start with 32 and carry no birth date."""
    return compact(number).startswith("32")


def birth_date_from_personal_code(number: str) -> datetime.date | None:
    """The birth date an old-format code carries; None for the new format."""
    number = compact(number)
    if is_new_format_personal_code(number):
        return None
    return pvn.get_birth_date(number)


def format_personal_code(number: str) -> str:
    """`DDMMYYCNNNN` → `DDMMYY-CNNNN`, the printed form."""
    number = compact(number)
    return f"{number[:6]}-{number[6:]}"


def mask_personal_code(number: str) -> str:
    """Keep the first six digits only, for places where a reader needs a hint, never the code."""
    number = compact(number)
    return f"{number[:6]}-*****"
