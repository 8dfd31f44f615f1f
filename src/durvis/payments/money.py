"""Amounts of money in EUR (A8): `Decimal` with two places, exact to the cent; never a float.

Every boundary (the API, staff forms, statement files, provider callbacks) turns what it got into
an amount with `parse_amount`, which says precisely what is wrong.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
_PLAIN = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
# The largest amount a SEPA credit transfer (and the EPC QR code) carries.
MAX_AMOUNT = Decimal("999999999.99")


def parse_amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """`value` (a Decimal, an int, or a string of ASCII digits with one `.`; "7.11", "7") as an
    amount of two places. Raises ValidationError with the code `invalid` (not a plain number:
    floats, NaN, Infinity, exponents, commas, other scripts' digits), `precision` (more than two
    decimals), `not_positive` (zero or below; zero allowed with `allow_zero`) or `too_large`
    (over 999 999 999.99, the SEPA limit)."""
    if type(value) is str and _PLAIN.fullmatch(value):  # the usual "7.11", read without detours
        plain = Decimal(value)
        if plain > 0:
            return plain.quantize(CENT)
    amount = parse_number(value)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(_("An amount has at most two decimals (cents)."), code="precision")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(_("An amount must be above zero."), code="not_positive")
    if amount > MAX_AMOUNT:
        raise ValidationError(_("An amount cannot exceed 999 999 999.99 EUR."), code="too_large")
    return amount.quantize(CENT)


def parse_number(value: Any) -> Decimal:
    """`value` (a Decimal, an int, or a string of ASCII digits with at most one `.`) as a finite
    Decimal. Raises ValidationError (`invalid`) for anything else: floats, booleans, NaN,
    Infinity, exponents, signs, commas, other scripts' digits."""
    if isinstance(value, bool | float):
        raise _invalid()
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid()
        return value
    text = str(value).strip()
    whole, _dot, part = text.partition(".")
    if not whole.isascii() or not whole.isdigit() or (_dot and not (part.isascii()
                                                                    and part.isdigit())):
        raise _invalid()
    try:
        return Decimal(text)
    except InvalidOperation:
        raise _invalid() from None


def _invalid() -> ValidationError:
    return ValidationError(_("Write the amount in euros with a point, e.g. 7.11."),
                           code="invalid")


def round_cents(amount: Decimal) -> Decimal:
    """`amount` rounded half up to the cent (VAT on a line)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
