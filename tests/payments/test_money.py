"""Amounts in EUR (A8): exact to the cent, never a float; what is wrong is said precisely."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from durvis.payments.money import parse_amount, parse_quantity, parse_vat_rate


@pytest.mark.parametrize(("given", "amount"), [
    ("7.11", Decimal("7.11")), ("7", Decimal("7.00")), (7, Decimal("7.00")),
    (Decimal("0.10"), Decimal("0.10")), ("999999999.99", Decimal("999999999.99")),
    ("7.1", Decimal("7.10")), ("7.110", None),
])
def test_amounts_are_two_place_decimals(given, amount):
    if amount is None:
        with pytest.raises(ValidationError) as raised:
            parse_amount(given)
        assert raised.value.code == "precision"
    else:
        assert parse_amount(given) == amount
        assert parse_amount(given).as_tuple().exponent == -2


@pytest.mark.parametrize(("given", "code"), [
    ("7.001", "precision"), ("0", "not_positive"), ("0.00", "not_positive"),
    ("-1", "not_positive"), ("- 1.00", "not_positive"), (-1, "not_positive"),
    ("--1", "invalid"), ("-", "invalid"), ("9" * 40, "too_large"), ("-9.999", "not_positive"),
    ("1000000000", "too_large"), (7.11, "invalid"),
    (True, "invalid"), ("NaN", "invalid"), ("Infinity", "invalid"), ("1e3", "invalid"),
    ("7,11", "invalid"), ("٧", "invalid"), ("", "invalid"), (" ", "invalid"), ("1.", "invalid"),
    (Decimal("NaN"), "invalid"),
])
def test_a_bad_amount_is_refused_with_its_code(given, code):
    with pytest.raises(ValidationError) as raised:
        parse_amount(given)
    assert raised.value.code == code


def test_zero_may_be_allowed():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


@pytest.mark.parametrize(("parse", "given", "code", "says"), [
    (parse_amount, "-5", "not_positive", "An amount must be above zero."),
    (parse_amount, "1" + "0" * 30, "too_large", "An amount is at most 999 999 999.99 EUR."),
    (parse_quantity, "-1", "not_positive", "A quantity must be above zero."),
    (parse_quantity, "0", "not_positive", "A quantity must be above zero."),
    (parse_quantity, "100000.001", "too_large", "A quantity is at most 100 000."),
    (parse_quantity, "9" * 40, "too_large", "A quantity is at most 100 000."),
    (parse_quantity, "1.2345", "precision", "A quantity has at most three decimals."),
    (parse_quantity, "two", "invalid", "Write the quantity as a number with a point, e.g. 2.5."),
    (parse_vat_rate, "-21", "not_positive", "A VAT rate cannot be below zero."),
    (parse_vat_rate, "121", "too_large", "A VAT rate is at most 100 %."),
    (parse_vat_rate, "21.005", "precision", "A VAT rate has at most two decimals."),
])
def test_each_number_of_a_line_says_what_is_wrong_with_it(parse, given, code, says):
    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            parse(given)
        assert (raised.value.code, raised.value.messages) == (code, [says])


def test_quantities_and_rates_in_range_are_read():
    assert parse_quantity("2.5") == Decimal("2.5") and parse_quantity(100000) == 100000
    assert parse_vat_rate("0") == 0 and parse_vat_rate("21") == 21
