"""What the national sign-in tells us about who signed in, and who that is here (A12).

The national authentication service (VPM / latvija.lv) names the signed-in user with a
NameIdentifier that encodes the role they signed in for:

- ``PK:<code>``: a resident acting as themself;
- ``PK:<code>-UR:<regcode>``: a company's signatory;
- ``DP:<code>-PK:<code>``: an authorised representative (the first code) of a person;
- ``AU:<inst>-PK:<code>``: an institution's employee.

It may also send several personal codes (``privatepersonalidentifier``): the current one and
historical ones of a person who moved to a new-format code. Any of them finds the same person.
Both sign-in protocols (OpenID Connect and SAML) reduce their answer to `SignInClaims`
(`claims_from_oidc`, `claims_from_saml`), so one function (`resolve`) decides whom the platform
signs in.

OpenID Connect claims read (ID token or userinfo):

- ``serial_number``: ``PNOLV-XXXXXX-XXXXX``, the national e-signature provider's personal code
  (ETSI semantics identifier: PNO = national personal number, LV = Latvia);
- ``name_identifier``: the NameIdentifier above (the demo provider and a national gateway that
  relays it); without it, a ``serial_number`` means ``PK:<code>``;
- ``personal_codes``: every personal code of the person, current first, historical after;
- ``given_name``, ``family_name``; ``acr`` (or the first ``amr``) as the method.

SAML attributes read (the last part of the attribute name, any case): the NameID is the
NameIdentifier; ``privatepersonalidentifier`` (several values), ``givenname``, ``surname``,
``authenticationmethod`` (or the AuthnContextClassRef).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from durvis.core.identifiers import validate_company_number, validate_personal_code
from durvis.identity.models import Company, Person
from durvis.identity.queries import find_company, find_person


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


_CODE = r"([0-9]{6}-?[0-9]{5})"  # ASCII digits: `durvis.core.text`
_PATTERNS: list[tuple[re.Pattern[str], SignInRole]] = [
    (re.compile(rf"^PK:{_CODE}$"), SignInRole.RESIDENT),
    (re.compile(rf"^PK:{_CODE}-UR:([0-9]{{11}})$"), SignInRole.COMPANY_SIGNATORY),
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


_SERIAL_NUMBER = re.compile(r"^PNOLV-([0-9]{6})-?([0-9]{5})$")


def personal_code_from_serial_number(value: str) -> str:
    """``PNOLV-XXXXXX-XXXXX`` → the compact personal code; ValidationError (code
    ``serial_number``) for another country or shape."""
    match = _SERIAL_NUMBER.match((value or "").strip().upper())
    if match is None:
        raise ValidationError(_("The sign-in service sent a personal number that is not Latvian."),
                              code="serial_number")
    return validate_personal_code("".join(match.groups()))


def _strings(value: Any) -> list[str]:
    """A claim that may be one string or a list of them, as strings; nothing else."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value if isinstance(v, str) and v.strip()]
    return []


def claims_from_oidc(claims: Mapping[str, Any]) -> SignInClaims:
    """Map OpenID Connect claims (see the module docstring) to `SignInClaims`."""
    codes = _strings(claims.get("personal_codes"))
    serial = claims.get("serial_number")
    if isinstance(serial, str) and serial:
        codes.insert(0, personal_code_from_serial_number(serial))
    identifier = claims.get("name_identifier")
    if not isinstance(identifier, str) or not identifier:
        if not codes:
            raise ValidationError(_("The sign-in service did not say who signed in."),
                                  code="name_identifier")
        identifier = f"PK:{codes[0]}"
    amr = _strings(claims.get("amr"))
    method = claims.get("acr") if isinstance(claims.get("acr"), str) else (amr[0] if amr else "")
    return SignInClaims(
        name_identifier=identifier, personal_codes=tuple(dict.fromkeys(codes)),
        given_name=str(claims.get("given_name") or ""),
        family_name=str(claims.get("family_name") or ""), method=str(method or ""),
        protocol="oidc")


def _attribute(attributes: Mapping[str, list[str]], name: str) -> list[str]:
    """The values of a SAML attribute found by the last part of its name (URI or plain)."""
    wanted = name.lower()
    values: list[str] = []
    for key, found in attributes.items():
        if re.split(r"[/:#]", key)[-1].lower() == wanted:
            values.extend(_strings(found))
    return values


def claims_from_saml(name_id: str, attributes: Mapping[str, list[str]],
                     authn_context: str = "") -> SignInClaims:
    """Map a SAML assertion's NameID and attributes (see the module docstring) to
    `SignInClaims`."""
    if not name_id:
        raise ValidationError(_("The sign-in service did not say who signed in."),
                              code="name_identifier")
    method = _attribute(attributes, "authenticationmethod")
    given = _attribute(attributes, "givenname")
    family = _attribute(attributes, "surname")
    return SignInClaims(
        name_identifier=name_id,
        personal_codes=tuple(dict.fromkeys(_attribute(attributes, "privatepersonalidentifier"))),
        given_name=given[0] if given else "", family_name=family[0] if family else "",
        method=method[0] if method else authn_context, protocol="saml")
