"""ISO 11649 creditor references (A8): built from the service code and the case number, valid by
python-stdnum's check, prefix-free, and a typed reference checked for typos."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from durvis.payments.references import creditor_reference, parse_reference, printed


def test_the_seeds_example_service_9999_case_7654():
    reference = creditor_reference(9999, 7654, 1)
    assert reference == "RF75499997654401"
    assert printed(reference) == "RF75 4999 9765 4401"
    assert iso11649.is_valid(reference)


@given(st.integers(1, 999999), st.integers(1, 10**9), st.integers(1, 99))
def test_every_reference_is_valid_and_at_most_25_characters(service, sequence, ordinal):
    reference = creditor_reference(service, sequence, ordinal)
    assert iso11649.is_valid(reference)
    assert 5 <= len(reference) <= 25


def test_references_of_different_invoices_never_collide():
    # Without the length prefix, service 12 case …3456… and service 123 case …456… could meet.
    seen = {}
    for service in (1, 12, 123, 1234, 12345):
        for sequence in (1, 23, 345, 4567, 34567):
            for ordinal in (1, 2, 11):
                reference = creditor_reference(service, sequence, ordinal)
                assert reference not in seen, (reference, seen.get(reference))
                seen[reference] = (service, sequence, ordinal)


def test_a_typed_reference_is_read_in_any_spacing_and_case():
    assert parse_reference("rf75 4999 9765 4401") == "RF75499997654401"
    assert parse_reference(" RF18 5390 0754 7034 ") == "RF18539007547034"


@pytest.mark.parametrize(("typed", "code"), [
    ("RF75 4999 9765 4402", "checksum"),   # one digit altered
    ("RF57 4999 9765 4401", "checksum"),   # check digits swapped
    ("RF75 4999 9765 4410", "checksum"),   # neighbouring digits swapped
    ("FR75 4999 9765 4401", "format"),
    ("RF7", "format"),
    ("RF75 ４999 9765 4401", "format"),    # a full-width digit
    ("RF75-4999;9765", "format"),
    ("", "format"),
    ("RF12" + "1" * 22, "format"),         # longer than 25
])
def test_a_wrong_or_altered_reference_is_refused_with_the_reason(typed, code):
    with pytest.raises(ValidationError) as raised:
        parse_reference(typed)
    assert raised.value.code == code


def test_an_ordinal_outside_1_99_or_a_body_over_21_characters_is_refused():
    with pytest.raises(ValueError):
        creditor_reference(9999, 7654, 100)
    with pytest.raises(ValueError):
        creditor_reference(1234567890, 10**12, 1)
