"""Money in each language's form, from one place: `€ 12,50` in Latvian, `€12.50` in English
(amounts are Decimal EUR); thousands grouped (`€ 1 234,50`, `€1,234.50`). Other numbers
(quantities, rates) with `number`: `2,5` / `2.5`, `10`, never `1E+1`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()


def format_money(amount: Any, language: str | None = None) -> str:
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return ""
    language = (language or get_language() or "lv")[:2]
    from django.utils import translation

    with translation.override(language):
        digits = number_format(abs(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    sign = "−" if value < 0 else ""
    return f"{sign}€{digits}" if language == "en" else f"{sign}€\xa0{digits}"


@register.filter
def money(amount: Any) -> str:
    return format_money(amount)


def format_number(value: Any, language: str | None = None) -> str:
    """`value` (a Decimal, int or numeric string) without trailing zeros in `language`'s form
    (default: the active one): `Decimal("2.500")` → `2,5` / `2.5`, `Decimal("10.000")` → `10`,
    thousands grouped as money is. "" for what is not a number."""
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return ""
    if not number.is_finite():
        return ""
    places = max(0, -int(number.as_tuple().exponent))
    language = (language or get_language() or "lv")[:2]
    from django.utils import translation

    with translation.override(language):
        digits = number_format(abs(number), decimal_pos=places, use_l10n=True,
                               force_grouping=True)
    return f"−{digits}" if number < 0 else digits


@register.filter
def number(value: Any) -> str:
    return format_number(value)
