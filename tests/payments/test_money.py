"""Amounts in EUR (A8): exact to the cent, never a float; what is wrong is said precisely."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from durvis.payments.money import parse_amount


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
    ("-1", "invalid"), (-1, "not_positive"), ("1000000000", "too_large"), (7.11, "invalid"),
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
