"""Case numbers (lietas numurs): the service code, a space, the case's sequence number within the
service and one check digit, e.g. `9999 76544` for case 7654 of service 9999 (the seed's example
`9999 7654` plus its check digit 4).

The check digit is the Damm algorithm's over the sequence number: it catches every single wrong
digit and every swap of two neighbouring digits, the two mistakes people make when reading a
number out on the phone. The same validator runs in forms, search and the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import damm

# ASCII digits only (`re.ASCII`): "１０１１ １３" is no case number (`durvis.core.text`).
_SHAPE = re.compile(r"^\s*(\d{1,10})[\s\-/]+(\d{2,19})\s*$", re.ASCII)


@dataclass(frozen=True)
class CaseNumber:
    service_code: int
    sequence: int

    def __str__(self) -> str:
        return format_case_number(self.service_code, self.sequence)


def format_case_number(service_code: int, sequence: int) -> str:
    digits = str(sequence)
    return f"{service_code} {digits}{damm.calc_check_digit(digits)}"


def parse_case_number(value: str) -> CaseNumber:
    """Parse `9999 76544` (a hyphen or slash may stand for the space); raise ValidationError
    saying what is wrong."""
    match = _SHAPE.match(value or "")
    if not match:
        raise ValidationError(
            _("A case number is the service code, a space and the case digits, e.g. 9999 76544."),
            code="format",
        )
    service_code, digits = match.groups()
    if not damm.is_valid(digits):
        raise ValidationError(
            _("The check digit of the case number does not match: check the number for a typo."),
            code="checksum",
        )
    return CaseNumber(int(service_code), int(digits[:-1]))
