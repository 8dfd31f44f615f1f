"""Case numbers (B1): service code + sequence + a check digit that catches phone typos."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from durvis.core.case_numbers import CaseNumber, format_case_number, parse_case_number


def test_the_seeds_example():
    assert format_case_number(9999, 7654) == "9999 76544"
    assert parse_case_number("9999 76544") == CaseNumber(9999, 7654)
    assert parse_case_number("9999-76544") == CaseNumber(9999, 7654)


@pytest.mark.parametrize(("value", "code"), [
    ("9999 76543", "checksum"),     # a wrong check digit
    ("9999 76454", "checksum"),     # two neighbouring digits swapped
    ("999976544", "format"),        # no separator
    ("9999 x7654", "format"),
    ("", "format"),
])
def test_bad_numbers_are_refused(value, code):
    with pytest.raises(ValidationError) as caught:
        parse_case_number(value)
    assert caught.value.code == code


@given(service=st.integers(1, 99_999_999), sequence=st.integers(1, 10**12),
       position=st.integers(0, 30), digit=st.integers(0, 9))
def test_any_single_wrong_digit_is_caught(service, sequence, position, digit):
    number = format_case_number(service, sequence)
    code, digits = number.split(" ")
    position %= len(digits)
    if digits[position] == str(digit):
        digit = (digit + 1) % 10
    typo = digits[:position] + str(digit) + digits[position + 1:]
    with pytest.raises(ValidationError):
        parse_case_number(f"{code} {typo}")


@given(service=st.integers(1, 9999), sequence=st.integers(10, 10**9), position=st.integers(0, 30))
def test_any_swap_of_neighbours_is_caught(service, sequence, position):
    code, digits = format_case_number(service, sequence).split(" ")
    position %= len(digits) - 1
    assume(digits[position] != digits[position + 1])
    swapped = digits[:position] + digits[position + 1] + digits[position] + digits[position + 2:]
    with pytest.raises(ValidationError):
        parse_case_number(f"{code} {swapped}")
