"""Latvian plural forms of Django's validation messages (`durvis.core.plurals`): the form
follows the count by the standard Latvian rule, for every count class."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, MaxLengthValidator, MinLengthValidator
from django.template.defaultfilters import filesizeformat
from django.utils import translation


def _message(validator, value) -> str:
    with translation.override("lv"), pytest.raises(ValidationError) as raised:
        validator(value)
    return raised.value.messages[0]


@pytest.mark.parametrize(("limit", "noun"), [
    (1, "rakstzīme"), (21, "rakstzīme"), (2, "rakstzīmes"), (10, "rakstzīmes"),
    (11, "rakstzīmes"), (500, "rakstzīmes"),
])
def test_at_most_n_characters(limit, noun):
    assert _message(MaxLengthValidator(limit), "x" * (limit + 1)) == (
        f"Drīkst būt ne vairāk kā {limit} {noun}; ievadītas {limit + 1}.")


@pytest.mark.parametrize(("limit", "noun"), [(1, "rakstzīme"), (3, "rakstzīmes"), (10, "rakstzīmes")])
def test_at_least_n_characters(limit, noun):
    assert _message(MinLengthValidator(limit), "") == (
        f"Jāievada vismaz {limit} {noun}; ievadītas 0.")


def test_decimal_places():
    from decimal import Decimal
    assert _message(DecimalValidator(10, 1), Decimal("1.25")) == (
        "Aiz komata drīkst būt ne vairāk kā 1 cipars.")
    assert _message(DecimalValidator(10, 2), Decimal("1.255")) == (
        "Aiz komata drīkst būt ne vairāk kā 2 cipari.")


def test_sizes_in_bytes():
    with translation.override("lv"):
        assert str(filesizeformat(1)) == "1\xa0baits"
        assert str(filesizeformat(500)) == "500\xa0baiti"
