"""What the national sign-in tells us about who signed in, and who that is here (A12).

The national authentication service (VPM / latvija.lv) names the signed-in user with a
NameIdentifier that encodes the role they signed in for:

- ``PK:<code>``: a resident acting as themself;
- ``PK:<code>-UR:<regcode>``: a company's signatory;
- ``DP:<code>-PK:<code>``: an authorised representative (the first code) of a person;
- ``AU:<inst>-PK:<code>``: an institution's employee.

It may also send several personal codes (``privatepersonalidentifier``): the current one and
historical ones of a person who moved to a new-format code. Any of them finds the same person.
Both sign-in protocols (OpenID Connect and SAML) reduce their answer to `SignInClaims`, so one
function (`resolve`) decides whom the platform signs in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from durvis.core.identifiers import validate_company_number, validate_personal_code
from durvis.identity.models import Company, Person
from durvis.identity.services import find_company, find_person


class SignInRole(StrEnum):
    RESIDENT = "resident"
    COMPANY_SIGNATORY = "company_signatory"
    REPRESENTATIVE = "representative"
    EMPLOYEE = "employee"


@dataclass(frozen=True)
class NameIdentifier:
    """A parsed national NameIdentifier. `personal_code` is always the person who signed in."""

    role: SignInRole
    personal_code: str
    company_number: str = ""
    represented_code: str = ""
    institution: str = ""


_CODE = r"(\d{6}-?\d{5})"
_PATTERNS: list[tuple[re.Pattern[str], SignInRole]] = [
    (re.compile(rf"^PK:{_CODE}$"), SignInRole.RESIDENT),
    (re.compile(rf"^PK:{_CODE}-UR:(\d{{11}})$"), SignInRole.COMPANY_SIGNATORY),
    (re.compile(rf"^DP:{_CODE}-PK:{_CODE}$"), SignInRole.REPRESENTATIVE),
    (re.compile(rf"^AU:([A-Za-z0-9_.]+)-PK:{_CODE}$"), SignInRole.EMPLOYEE),
]


def parse_name_identifier(value: str) -> NameIdentifier:
    """Parse a NameIdentifier; ValidationError (code ``name_identifier``) if it has no known form
    or carries an invalid personal code or registration number."""
    text = (value or "").strip()
    for pattern, role in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groups()
        if role == SignInRole.RESIDENT:
            return NameIdentifier(role, validate_personal_code(groups[0]))
        if role == SignInRole.COMPANY_SIGNATORY:
            return NameIdentifier(role, validate_personal_code(groups[0]),
                                  company_number=validate_company_number(groups[1]))
        if role == SignInRole.REPRESENTATIVE:
            return NameIdentifier(role, validate_personal_code(groups[0]),
                                  represented_code=validate_personal_code(groups[1]))
        return NameIdentifier(role, validate_personal_code(groups[1]), institution=groups[0])
    raise ValidationError(_("The sign-in service sent an identifier of an unknown form."),
                          code="name_identifier")


@dataclass(frozen=True)
class SignInClaims:
    """What a national sign-in asserted, whatever the protocol: the NameIdentifier, every
    personal code sent (current first if known), the names and the method used."""

    name_identifier: str
    personal_codes: tuple[str, ...] = ()
    given_name: str = ""
    family_name: str = ""
    method: str = ""
    protocol: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SignedInIdentity:
    """Who signed in, resolved against the platform's persons and companies."""

    person: Person
    identifier: NameIdentifier
    company: Company | None = None
    represented: Person | None = None
    method: str = ""
    protocol: str = ""


class UnknownPerson(Exception):
    """The sign-in names nobody the population register (here) knows."""


def resolve(claims: SignInClaims) -> SignedInIdentity:
    """Find the person who signed in by any of their codes, current or historical.

    Raises ValidationError for malformed claims, UnknownPerson if no code is known, and
    ValidationError (``code_conflict``) if the codes sent belong to different persons.
    """
    identifier = parse_name_identifier(claims.name_identifier)
    codes = [identifier.personal_code, *(validate_personal_code(c) for c in claims.personal_codes)]
    found = {p.pk: p for p in (find_person(code) for code in dict.fromkeys(codes)) if p}
    if not found:
        raise UnknownPerson
    if len(found) > 1:
        raise ValidationError(_("The personal codes sent by the sign-in belong to different persons."),
                              code="code_conflict")
    person = next(iter(found.values()))
    company = find_company(identifier.company_number) if identifier.company_number else None
    represented = find_person(identifier.represented_code) if identifier.represented_code else None
    return SignedInIdentity(person=person, identifier=identifier, company=company,
                            represented=represented, method=claims.method, protocol=claims.protocol)
