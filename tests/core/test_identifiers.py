"""Personal codes and company numbers (A12): valid and invalid examples of each format."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from durvis.core.identifiers import (
    birth_date_from_personal_code,
    format_personal_code,
    validate_company_number,
    validate_personal_code,
)
from durvis.core.logging import RedactPersonalCodes, redact


@pytest.mark.parametrize("code", ["161175-19997", "16117519997", "328673-00679", "32503511782",
                                  " 161175 19997 "])
def test_valid_personal_codes(code):
    assert len(validate_personal_code(code)) == 11


@pytest.mark.parametrize(("code", "error"), [
    ("161175-19996", "checksum"),       # last digit changed
    ("328673-00678", "checksum"),       # new format, wrong check digit
    ("10098610000", "checksum"),        # the national portal's dummy example
    ("01127612344", "checksum"),
    ("311175-19997", "date"),           # 31 November does not exist
    ("1611751999", "length"),
    ("161175-1999A", "format"),
    ("40003521600", "company"),         # a company number is not a personal code
])
def test_invalid_personal_codes_say_what_is_wrong(code, error):
    with pytest.raises(ValidationError) as caught:
        validate_personal_code(code)
    assert caught.value.code == error


def test_old_code_carries_birth_date_new_does_not():
    assert birth_date_from_personal_code("161175-19997") == datetime.date(1975, 11, 16)
    assert birth_date_from_personal_code("328673-00679") is None


@pytest.mark.parametrize("number", ["40003521600", "40008234596", "4000 3521 600"])
def test_valid_company_numbers(number):
    assert validate_company_number(number) == number.replace(" ", "")


@pytest.mark.parametrize(("number", "error"), [
    ("40003521601", "checksum"),
    ("161175-19997", "person"),
    ("4000352160", "length"),
])
def test_invalid_company_numbers(number, error):
    with pytest.raises(ValidationError) as caught:
        validate_company_number(number)
    assert caught.value.code == error


def test_error_message_in_the_users_language():
    for language, expected in (("en", "check digit"), ("lv", "kontrolcipars")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_personal_code("161175-19996")
        with translation.override(language):
            assert expected in caught.value.messages[0]


def test_format():
    assert format_personal_code("16117519997") == "161175-19997"


def test_logs_never_carry_a_personal_code(caplog):
    assert redact("person 161175-19997 and 32867300679") == "person 161175-***** and 328673-*****"
    logger = logging.getLogger("durvis.test")
    logger.addFilter(RedactPersonalCodes())
    with caplog.at_level(logging.INFO, logger="durvis.test"):
        logger.info("looked up %s", "16117519997")
    assert "19997" not in caplog.text
    assert "161175-*****" in caplog.text
