"""Amounts of money in EUR (A8): `Decimal` with two places, exact to the cent; never a float.
Also the other numbers of an invoice line: quantities and VAT rates.

Every boundary (the API, staff forms, statement files, provider callbacks) turns what it got into
an amount with `parse_amount` (a quantity with `parse_quantity`, a rate with `parse_vat_rate`),
which says precisely what is wrong, by a code and a message for people: a minus sign is "must be
above zero", a number of any length past the limit is "at most …", never "not a number".
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
# The largest quantity of an invoice line (`InvoiceLine.quantity`: 9 digits, 3 decimals).
MAX_QUANTITY = Decimal("100000")


def parse_amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """`value` (a Decimal, an int, or a string of ASCII digits with one `.`; "7.11", "7") as an
    amount of two places. Raises ValidationError with the code `invalid` (not a plain number:
    floats, NaN, Infinity, exponents, commas, other scripts' digits), `precision` (more than two
    decimals), `not_positive` (zero or below, "-5" too; zero allowed with `allow_zero`) or
    `too_large` (over 999 999 999.99, the SEPA limit, however many digits)."""
    if type(value) is str and _PLAIN.fullmatch(value):  # the usual "7.11", read without detours
        plain = Decimal(value)
        if plain > 0:
            return plain.quantize(CENT)
    amount = _signed(value, _("Write the amount in euros with a point, e.g. 7.11."))
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(_("An amount must be above zero."), code="not_positive")
    if amount > MAX_AMOUNT:
        raise ValidationError(_("An amount is at most 999 999 999.99 EUR."), code="too_large")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(_("An amount has at most two decimals (cents)."), code="precision")
    return amount.quantize(CENT)


def parse_quantity(value: Any) -> Decimal:
    """`value` (as `parse_amount` takes it) as an invoice line's quantity: above zero, at most
    100 000, at most three decimals. Raises ValidationError with the code `invalid`,
    `not_positive`, `too_large` or `precision`."""
    quantity = _signed(value, _("Write the quantity as a number with a point, e.g. 2.5."))
    if quantity <= 0:
        raise ValidationError(_("A quantity must be above zero."), code="not_positive")
    if quantity > MAX_QUANTITY:
        raise ValidationError(_("A quantity is at most 100 000."), code="too_large")
    if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValidationError(_("A quantity has at most three decimals."), code="precision")
    return quantity


def parse_vat_rate(value: Any) -> Decimal:
    """`value` (as `parse_amount` takes it) as a VAT rate in percent: 0 to 100, at most two
    decimals (21, 12, 5, 0 in Latvia). Raises ValidationError with the code `invalid`,
    `not_positive` (below zero), `too_large` (over 100) or `precision`."""
    rate = _signed(value, _("Write the VAT rate in percent as a number, e.g. 21."))
    if rate < 0:
        raise ValidationError(_("A VAT rate cannot be below zero."), code="not_positive")
    if rate > 100:
        raise ValidationError(_("A VAT rate is at most 100 %."), code="too_large")
    if rate.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(_("A VAT rate has at most two decimals."), code="precision")
    return rate


def _signed(value: Any, message: Any) -> Decimal:
    """`parse_number`, also reading a leading minus sign ("-5", "- 5"), so that the caller can
    say "must be above zero" rather than "not a number". Raises ValidationError (`invalid`,
    with `message`)."""
    text = value.strip() if isinstance(value, str) else value
    negative = isinstance(text, str) and text.startswith("-")
    try:
        number = parse_number(text[1:].strip() if negative else text)
    except ValidationError:
        raise ValidationError(message, code="invalid") from None
    return -number if negative else number


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
