"""Phone numbers (issue 12): one parser for every place a number comes in (the profile and its
confirmation, the register's phone-only cases and consultations through the API, register and
demo data), stored in E.164, shown in the national format, sent by SMS as E.164; a number typed
with other digits than 0–9 is refused everywhere, never confirmed."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from durvis.core.phones import format_phone, parse_phone, sms_number
from durvis.identity import services as identity
from durvis.identity.models import ContactConfirmation, Person
from durvis.integrations.models import OutboxMessage
from durvis.register.models import Consultation, ServiceCase

FULLWIDTH = "2９１２３４５６"
OTHER_DIGITS = [FULLWIDTH, "２９１２３４５６", "2912345６", "29123456²", "٢٩١٢٣٤٥٦", "+３７１ 29123456"]
CONTACTS = "/eaccount/profile/"


@pytest.mark.parametrize(("typed", "stored"), [
    ("29123456", "+37129123456"), ("2912 3456", "+37129123456"), ("29 123 456", "+37129123456"),
    ("+371 29123456", "+37129123456"), ("00371 29123456", "+37129123456"),
    ("(+371) 29-12-34-56", "+37129123456"), ("+370 612 34567", "+37061234567"),
    ("+1 650 253 0000", "+16502530000"), ("67123456", "+37167123456"),
])
def test_a_number_is_stored_in_e164(typed, stored):
    assert parse_phone(typed) == stored


@pytest.mark.parametrize("typed", OTHER_DIGITS)
def test_other_digits_than_ascii_are_refused(typed):
    for mobile in (False, True):
        with pytest.raises(ValidationError) as refused:
            parse_phone(typed, mobile=mobile)
        assert refused.value.code == "non_ascii_digits"


@pytest.mark.parametrize("typed", ["", "1234", "2912345", "+371 2912345", "+0 123456789",
                                   "29l23456", "+1234567890123456", "tel:29123456", "29123456#"])
def test_what_is_no_number_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        parse_phone(typed)
    assert refused.value.code == "invalid"


def test_a_mobile_number_is_one_that_takes_an_sms():
    assert parse_phone("29123456", mobile=True) == "+37129123456"
    with pytest.raises(ValidationError) as refused:
        parse_phone("67123456", mobile=True)  # a Latvian fixed line
    assert "sākas ar 2" in refused.value.messages[0]  # the tests speak Latvian by default


def test_numbers_are_shown_in_the_national_format():
    assert format_phone("+37129123456") == "29 123 456"
    assert format_phone("+37061234567") == "+370 612 34567"
    assert format_phone("not a number") == "not a number"
    assert sms_number("+371 29123456") == "+37129123456"  # older data
    assert sms_number("+37167123456") is None and sms_number("x") is None


# --- The profile ------------------------------------------------------------------------------

@pytest.fixture
def sms_gateway(settings):
    settings.DURVIS_SMS_GATEWAY_URL = "http://127.0.0.1:9"


@pytest.mark.parametrize("typed", OTHER_DIGITS)
def test_the_profile_refuses_other_digits_and_sends_nothing(client_login, family, sms_gateway,
                                                            typed):
    client = client_login(family["parent"])
    response = client.post(CONTACTS, {"version": "0", "action": "phone", "phone": typed})
    assert response.status_code == 422
    assert "Lietojiet ciparus 0–9" in response.content.decode()
    english = client.post("/en" + CONTACTS, {"version": "0", "action": "phone", "phone": typed})
    assert "Use the digits 0–9" in english.content.decode()
    assert not OutboxMessage.objects.exists() and not ContactConfirmation.objects.exists()
    family["parent"].refresh_from_db()
    assert family["parent"].phone == ""


def test_the_profile_stores_e164_and_shows_the_national_format(client_login, family,
                                                               sms_gateway):
    client = client_login(family["parent"])
    response = client.post(CONTACTS, {"version": "0", "action": "phone", "phone": "+371 2912-3456"},
                           follow=True)
    assert "29 123 456" in response.content.decode()
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == "+37129123456"
    code = re.search(r"\b(\d{6})\b", sms.payload["body"]).group(1)
    page = client.post("/eaccount/profile/confirm/", {"kind": "phone", "code": code},
                       follow=True).content.decode()
    family["parent"].refresh_from_db()
    assert family["parent"].phone == "+37129123456"
    assert "29 123 456" in page and "+37129123456" not in page


# --- The register ---------------------------------------------------------------------------

def _phone_case(http, phone):
    return http.post("/api/v1/cases", {
        "service_code": 1011, "identification": "phone_only", "application_channel": "phone",
        "client_phone": phone}, content_type="application/json")


def test_a_phone_only_case_stores_the_callers_number_in_e164(api_client_factory, catalogue):
    http = api_client_factory("VSAA")
    response = _phone_case(http, "29 123 456")
    assert response.status_code == 201, response.content
    assert response.json()["client"] == {"kind": "phone", "phone": "+37129123456",
                                         "personal_code": None, "registration_number": None,
                                         "name": None}
    assert ServiceCase.objects.get().client_phone == "+37129123456"
    assert _phone_case(http, "67 123 456").status_code == 201  # a fixed line calls too


@pytest.mark.parametrize(("phone", "type_"), [(FULLWIDTH, "non_ascii_digits"),
                                              ("29123456²", "non_ascii_digits"),
                                              ("1234", "invalid")])
def test_a_case_or_consultation_with_no_valid_number_is_a_422(api_client_factory, catalogue,
                                                              phone, type_):
    http = api_client_factory("VSAA")
    response = _phone_case(http, phone)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "client_phone"]
    assert response.json()["detail"][0]["type"] == type_
    consultation = http.post("/api/v1/consultations", {
        "channel": "phone", "identification": "phone_only", "outcome": "answered",
        "occurred_at": timezone.now().isoformat(), "service_code": 1011,
        "client_phone": phone}, content_type="application/json")
    assert consultation.status_code == 422, consultation.content
    assert consultation.json()["detail"][0]["loc"] == ["body", "client_phone"]
    assert not ServiceCase.objects.exists() and not Consultation.objects.exists()


def test_register_data_is_stored_in_e164_and_junk_refused(db):
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš", phone="+371 2912 3456")
    assert person.phone == "+37129123456"
    with pytest.raises(ValidationError):
        identity.record_person(personal_code="161175-19997", given_name="Jānis",
                               family_name="Bērziņš", phone=FULLWIDTH)


def test_the_demo_persons_phones_are_e164():
    import json
    from pathlib import Path

    import durvis

    rows = json.loads((Path(durvis.__file__).parent / "demo/data/persons.json").read_text())
    phones = [row["phone"] for row in rows if row.get("phone")]
    assert phones and all(parse_phone(phone, mobile=True) == phone for phone in phones)


def test_the_migration_rewrites_older_numbers(db):
    migration = importlib.import_module("durvis.identity.migrations.0004_phones_in_e164")
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš")
    Person.objects.filter(pk=person.pk).update(phone="+371 29123456")
    pending = ContactConfirmation.objects.create(
        person=person, kind="phone", value="+371 26000000", code_hash="x",
        expires_at=timezone.now() + timezone.timedelta(minutes=10))
    from django.apps import apps

    migration.forwards(apps, None)
    person.refresh_from_db()
    pending.refresh_from_db()
    assert person.phone == "+37129123456" and pending.value == "+37126000000"
    assert pending.expires_at <= timezone.now()  # its code was bound to the old form
    assert migration.e164(FULLWIDTH) == FULLWIDTH and migration.e164("x") == "x"
