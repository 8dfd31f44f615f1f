"""ISO 11649 structured creditor references (strukturētā kreditora atsauce, A8; seed 4.2 lines
1696-1709: "every invoice gets a structured reference that includes the service code's data,
formed by ISO 11649").

The scheme. The reference's body (up to 21 characters after `RF` and the two check digits) is
digits only, so that it can be read out on the phone and typed on any keypad:

    <n> <service code> <case digits> <invoice ordinal, 2 digits>

`n` is how many digits the service code has (1–9): it makes the body prefix-free, so two
different (service, case, ordinal) triples never give one reference (service 12 case 3456… and
service 123 case 456… would otherwise collide). "Case digits" are the case's sequence number with
its Damm check digit, as the case number prints them (`durvis.core.case_numbers`). The seed's
example, service `9999` and case `9999 7654` (printed `9999 76544`), first invoice:
body `4 9999 76544 01`, reference `RF75 4999 9765 4401`.

The check digits are ISO 7064 mod 97-10 over the body followed by `RF00`'s letters as digits;
`python-stdnum` (`stdnum.iso11649`) computes and checks them, and formats the printed form
(groups of four).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iso11649
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_97_10

from durvis.core.case_numbers import format_case_number

MAX_BODY = 21


def creditor_reference(service_code: int, case_sequence: int, ordinal: int) -> str:
    """The electronic form (no spaces: `RF75499997654401`) of the
    reference of invoice `ordinal` (1–99) of case `case_sequence` of service `service_code`.
    Raises ValueError when the body would pass 21 characters (a service code over 9 digits with a
    case sequence over 9 digits) or the ordinal is outside 1–99."""
    if not 1 <= ordinal <= 99:
        raise ValueError("an invoice ordinal is 1-99")
    code = str(service_code)
    case_digits = format_case_number(service_code, case_sequence).split(" ", 1)[1]
    body = f"{len(code)}{code}{case_digits}{ordinal:02d}"
    if len(body) > MAX_BODY or len(code) > 9:
        raise ValueError("the reference body would pass 21 characters")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def parse_reference(value: str) -> str:
    """A reference a person or system typed (`RF75 4999 9765 4401`, lower case, spaces), checked
    and in its electronic form (`RF75499997654401`). Raises ValidationError (`format`: not RF and
    5–25 letters and digits; `checksum`: the check digits do not match — a typo or an altered
    reference)."""
    value = value or ""
    compact = iso11649.compact(value) if value.isascii() else ""
    if not compact.startswith("RF") or not 5 <= len(compact) <= 25 or not compact.isascii() \
            or not compact.isalnum():
        raise ValidationError(
            _("A payment reference starts with RF, two check digits and up to 21 letters or "
              "digits, e.g. RF75 4999 9765 4401."), code="format")
    try:
        return str(iso11649.validate(compact))
    except StdnumError:
        raise ValidationError(
            _("The check digits of the payment reference do not match: check it for a typo."),
            code="checksum") from None


def is_reference(value: str) -> bool:
    """Whether `value` is a valid ISO 11649 reference (any spacing or case)."""
    try:
        parse_reference(value)
    except ValidationError:
        return False
    return True


def printed(reference: str) -> str:
    """The printed form, in groups of four: `RF75 4999 9765 4401`."""
    return str(iso11649.format(reference))
