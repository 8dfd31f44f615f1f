"""The national sign-in's identifiers and claims (A12): every NameIdentifier form, the OIDC and
SAML claim mappings, and finding a person by a current or historical code."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from durvis.identity import services as identity
from durvis.identity.national import (
    NameIdentifier,
    SignInClaims,
    SignInRole,
    UnknownPerson,
    claims_from_oidc,
    claims_from_saml,
    parse_name_identifier,
    personal_code_from_serial_number,
    resolve,
)

OLD = "05079011186"
NEW = "32867300417"
OTHER = "14038612043"
COMPANY = "40203123456"


@pytest.mark.parametrize("value, expected", [
    (f"PK:{OTHER}", NameIdentifier(SignInRole.RESIDENT, OTHER)),
    ("PK:140386-12043", NameIdentifier(SignInRole.RESIDENT, OTHER)),
    (f"PK:{NEW}", NameIdentifier(SignInRole.RESIDENT, NEW)),
    (f"PK:{OTHER}-UR:{COMPANY}",
     NameIdentifier(SignInRole.COMPANY_SIGNATORY, OTHER, company_number=COMPANY)),
    (f"DP:{OTHER}-PK:{NEW}",
     NameIdentifier(SignInRole.REPRESENTATIVE, OTHER, represented_code=NEW)),
    (f"AU:VSAA-PK:{OTHER}", NameIdentifier(SignInRole.EMPLOYEE, OTHER, institution="VSAA")),
    (f"  PK:{OTHER}  ", NameIdentifier(SignInRole.RESIDENT, OTHER)),
])
def test_every_name_identifier_form_is_parsed(value, expected):
    assert parse_name_identifier(value) == expected


@pytest.mark.parametrize("value, code", [
    ("", "name_identifier"),
    (OTHER, "name_identifier"),
    (f"XX:{OTHER}", "name_identifier"),
    (f"PK:{OTHER}-UR:123", "name_identifier"),
    (f"PK:{OTHER}-DP:{NEW}", "name_identifier"),
    (f"AU:-PK:{OTHER}", "name_identifier"),
    ("PK:14038612044", "checksum"),
    (f"PK:{COMPANY}", "company"),
    (f"PK:{OTHER}-UR:40203123457", "checksum"),
    (f"DP:{OTHER}-PK:32867300418", "checksum"),
])
def test_invalid_name_identifiers_are_refused(value, code):
    with pytest.raises(ValidationError) as refused:
        parse_name_identifier(value)
    assert refused.value.code == code


def test_serial_number_is_the_personal_code():
    assert personal_code_from_serial_number("PNOLV-140386-12043") == OTHER
    assert personal_code_from_serial_number("pnolv-14038612043") == OTHER
    for foreign in ("PNOEE-38001085718", "IDCLV-140386-12043", "PNOLV-1403861204"):
        with pytest.raises(ValidationError):
            personal_code_from_serial_number(foreign)


def test_oidc_claims_of_the_national_provider():
    """The national e-signature provider sends serial_number and names only: a resident."""
    claims = claims_from_oidc({"serial_number": "PNOLV-140386-12043", "given_name": "Jānis",
                               "family_name": "Bērziņš", "amr": ["smartid"]})
    assert claims == SignInClaims(name_identifier=f"PK:{OTHER}", personal_codes=(OTHER,),
                                  given_name="Jānis", family_name="Bērziņš", method="smartid",
                                  protocol="oidc")


def test_oidc_claims_with_a_name_identifier_and_historical_codes():
    claims = claims_from_oidc({"name_identifier": f"PK:{NEW}-UR:{COMPANY}",
                               "serial_number": f"PNOLV-{NEW[:6]}-{NEW[6:]}",
                               "personal_codes": [NEW, OLD, 42], "acr": "demo"})
    assert claims.name_identifier == f"PK:{NEW}-UR:{COMPANY}"
    assert claims.personal_codes == (NEW, OLD)
    assert claims.method == "demo"


def test_oidc_claims_without_anyone_are_refused():
    with pytest.raises(ValidationError):
        claims_from_oidc({"given_name": "Nobody"})


def test_saml_attributes_by_any_name_form():
    claims = claims_from_saml(f"PK:{OLD}", {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/privatepersonalidentifier":
            [NEW, OLD],
        "givenname": ["Kristaps"], "Surname": ["Krūmiņš"],
        "urn:lvrtc:authenticationmethod": ["eID"],
    })
    assert claims == SignInClaims(name_identifier=f"PK:{OLD}", personal_codes=(NEW, OLD),
                                  given_name="Kristaps", family_name="Krūmiņš", method="eID",
                                  protocol="saml")
    assert claims_from_saml("PK:x", {}, authn_context="urn:ctx").method == "urn:ctx"
    with pytest.raises(ValidationError):
        claims_from_saml("", {})


@pytest.fixture
def moved(db):
    return identity.record_person(personal_code=NEW, historical_codes=[OLD],
                                  given_name="Kristaps", family_name="Krūmiņš")


def test_a_historical_code_finds_the_same_person(moved):
    assert resolve(SignInClaims(f"PK:{OLD}")).person == moved
    assert resolve(SignInClaims(f"PK:{NEW}", personal_codes=(NEW, OLD))).person == moved


def test_codes_of_two_persons_are_refused(moved):
    identity.record_person(personal_code=OTHER, given_name="Jānis", family_name="Bērziņš")
    with pytest.raises(ValidationError) as refused:
        resolve(SignInClaims(f"PK:{OLD}", personal_codes=(OTHER,)))
    assert refused.value.code == "code_conflict"


def test_an_unknown_person_is_reported(db):
    with pytest.raises(UnknownPerson):
        resolve(SignInClaims(f"PK:{OTHER}"))


def test_company_and_represented_person_are_resolved(moved):
    company = identity.record_company(registration_number=COMPANY, name="SIA Zaļā Pļava",
                                      legal_form="SIA")
    child = identity.record_person(personal_code="22051520311", given_name="Emīlija",
                                   family_name="Bērziņa")
    assert resolve(SignInClaims(f"PK:{OLD}-UR:{COMPANY}")).company == company
    assert resolve(SignInClaims(f"DP:{NEW}-PK:22051520311")).represented == child
