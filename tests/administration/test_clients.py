"""The workplace's client pages (B3, B4; issue 16): a caller found by phone is verified with
questions before anything personal shows; the 360° view opens only for a purpose, writes an
audit row naming it, and the client sees it in "who used my data"; staff of an institution that
neither holds nor provides the service are refused."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.identity.models import Person
from durvis.identity.services import record_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(family, institutions, staff_login):
    parent = family["parent"]
    Person.objects.filter(pk=parent.pk).update(phone="+37129123456",
                                               date_of_birth=datetime.date(1986, 3, 14))
    agent = record_staff(username="agent.vsaa", password="pw-agent-vsaa-long-enough",
                         institution=institutions["VSAA"], roles=["agent"])
    vid = record_staff(username="agent.vid", password="pw-agent-vid-long-enough",
                       institution=institutions["VID"], roles=["agent"])
    return {"agent": staff_login(Client(), agent), "vid": staff_login(Client(), vid),
            "parent": parent, "case": family["own"], "family": family}


def _search(http, text):
    response = http.get(reverse("administration:clients"), {"q": text})
    assert response.status_code == 200
    return response.content.decode()


def test_a_caller_found_by_phone_is_verified_before_anything_shows(desk):
    page = _search(desk["agent"], "29 123 456")
    assert "Jānis" not in page and "Bērziņš" not in page
    pk = desk["parent"].pk
    verify = reverse("administration:client-verify", args=[pk])
    assert verify in page
    # The view is closed until verified.
    assert desk["agent"].get(reverse("administration:client", args=[pk])).status_code == 302
    wrong = desk["agent"].post(verify, {"given_name": "Pēteris", "date_of_birth": "14.03.1986"})
    assert wrong.status_code == 422 and "Bērziņš" not in wrong.content.decode()
    right = desk["agent"].post(verify, {"given_name": "janis", "date_of_birth": "14.03.1986"})
    assert right.status_code == 302
    assert desk["agent"].get(reverse("administration:client", args=[pk])).status_code == 200
    assert AuditEvent.objects.filter(action="register.client.verify_failed",
                                     subject_person_id=pk).count() == 1
    assert AuditEvent.objects.filter(action="register.client.verify",
                                     subject_person_id=pk).count() == 1


def test_three_wrong_answers_close_verification_for_everybody(desk, institutions, staff_login):
    _search(desk["agent"], "+37129123456")
    verify = reverse("administration:client-verify", args=[desk["parent"].pk])
    answers = [desk["agent"].post(verify, {"given_name": "X", "date_of_birth": "01.01.1990"})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 403]
    closed = desk["agent"].post(verify, {"given_name": "Jānis", "date_of_birth": "14.03.1986"})
    assert closed.status_code == 403
    # A new search does not reopen it (the fresh tester's finding), nor another agent's session.
    _search(desk["agent"], "+37129123456")
    assert desk["agent"].post(verify, {"given_name": "Jānis",
                                       "date_of_birth": "14.03.1986"}).status_code == 403
    other = staff_login(Client(), record_staff(
        username="agent2.vsaa", password="pw-agent2-vsaa-long-enough",
        institution=institutions["VSAA"], roles=["agent"]))
    _search(other, "+37129123456")
    assert other.get(verify).status_code == 403
    # Nor does the personal code, which is no secret (the fresh tester's finding): the search
    # by code links to the closed check, and the overview is not opened.
    page = _search(desk["agent"], desk["parent"].personal_code)
    assert "Jānis" not in page and verify in page
    assert desk["agent"].get(verify).status_code == 403
    overview = reverse("administration:client", args=[desk["parent"].pk])
    assert desk["agent"].get(overview).status_code == 302


def test_the_360_view_needs_a_purpose_and_the_client_sees_it(desk, client_login):
    page = _search(desk["agent"], desk["parent"].personal_code)
    url = reverse("administration:client", args=[desk["parent"].pk])
    assert url in page
    first = desk["agent"].get(url).content.decode()
    assert desk["case"].number not in first  # no purpose yet: no data
    service = desk["case"].service
    opened = desk["agent"].get(url, {"service": service.pk, "basis": "case",
                                     "case": desk["case"].number})
    assert opened.status_code == 200
    assert desk["case"].number in opened.content.decode()
    assert desk["family"]["companys"].number not in opened.content.decode()
    row = AuditEvent.objects.get(action="identity.profile.read")
    assert row.purpose == "client service" and row.details["basis"] == "case"
    assert row.details["service"] == service.code
    with translation.override("en"):
        mine = client_login(desk["parent"]).get(reverse("eaccount:data-use")).content.decode()
    assert "Read your profile" in mine
    assert "Serving you about a service at a client-service centre" in mine
    # The service and the basis given are named (the fresh tester's finding).
    assert f"{service.code} {service.name_en}" in mine and "(for your case)" in mine


def test_a_case_basis_must_be_the_clients_case_of_that_service(desk):
    _search(desk["agent"], desk["parent"].personal_code)
    url = reverse("administration:client", args=[desk["parent"].pk])
    other = desk["family"]["strangers"]
    refused = desk["agent"].get(url, {"service": desk["case"].service.pk, "basis": "case",
                                      "case": other.number})
    assert refused.status_code == 422
    assert other.number not in refused.content.decode().split("<main")[1].split("</form>")[1]
    missing = desk["agent"].get(url, {"service": desk["case"].service.pk, "basis": "case"})
    assert missing.status_code == 422
    # An empty purpose form is answered with its errors, not a silent reload; a malformed
    # number gets one error, not two.
    empty = desk["agent"].get(url, {"service": "", "case": ""})
    assert empty.status_code == 422 and 'class="govuk-error-summary"' in empty.content.decode()
    malformed = desk["agent"].get(url, {"service": desk["case"].service.pk, "basis": "case",
                                        "case": "12"}).content.decode()
    assert "Norādiet klienta lietas numuru." not in malformed
    assert not AuditEvent.objects.filter(action="identity.profile.read").exists()


def test_another_institution_cannot_open_it_for_a_service_it_does_not_serve(desk):
    _search(desk["vid"], desk["parent"].personal_code)
    url = reverse("administration:client", args=[desk["parent"].pk])
    page = desk["vid"].get(url).content.decode()
    assert f'value="{desk["case"].service.pk}"' not in page  # not a choice
    refused = desk["vid"].get(url, {"service": desk["case"].service.pk, "basis": "consent"})
    assert refused.status_code == 422
    assert not AuditEvent.objects.filter(action="identity.profile.read").exists()


def test_a_person_not_found_in_this_session_is_not_opened(desk):
    url = reverse("administration:client", args=[desk["parent"].pk])
    assert desk["agent"].get(url).status_code == 404
    assert desk["agent"].get(reverse("administration:client-verify",
                                     args=[desk["parent"].pk])).status_code == 404


def test_a_number_that_is_no_code_or_case_is_tried_as_a_phone(desk):
    """An 11-digit number (the caller's number with the country code but no "+") is no valid
    personal code: the search goes on to the phone number instead of giving up."""
    page = _search(desk["agent"], "37129123456")
    assert reverse("administration:client-verify", args=[desk["parent"].pk]) in page


def test_the_session_remembers_only_the_latest_clients(desk, monkeypatch):
    """The session keeps the latest identified callers, not every search of a long day."""
    from durvis.administration import clients

    monkeypatch.setattr(clients, "MAX_REMEMBERED", 2)
    url = reverse("administration:client", args=[desk["parent"].pk])
    _search(desk["agent"], desk["parent"].personal_code)
    assert desk["agent"].get(url).status_code == 200  # the purpose form
    for person in (desk["family"]["child"], desk["family"]["stranger"]):
        _search(desk["agent"], person.personal_code)
    assert len(desk["agent"].session[clients.SESSION_KEY]) == 2
    assert desk["agent"].get(url).status_code == 404  # searched again, it opens again
    _search(desk["agent"], desk["parent"].personal_code)
    assert desk["agent"].get(url).status_code == 200


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize(("text", "parent", "child"), [
    ("berzins", True, False), ("BERZIN", True, True), ("Bērziņš", True, False),
    ("janis berzins", True, False), ("Jānis Bērz", True, False), ("emilija berz", False, True),
    ("be\u0304rzin\u0327s\u030c", True, False)])  # (decomposed, as some keyboards send it)
def test_a_name_is_found_with_or_without_its_diacritics(desk, language, text, parent, child):
    with translation.override(language):
        page = _search(desk["agent"], text)
        links = {who: reverse("administration:client-verify", args=[desk["family"][who].pk])
                 for who in ("parent", "child", "stranger")}
    assert (links["parent"] in page) is parent and (links["child"] in page) is child
    assert links["stranger"] not in page


def test_the_folded_names_follow_every_save_and_the_migration_fills_them(desk):
    import importlib

    from django.apps import apps

    person = desk["parent"]
    person.family_name = "Ozoliņš"
    person.save(update_fields=["family_name"])
    person.refresh_from_db()
    assert (person.family_name_folded, person.given_name_folded) == ("ozolins", "janis")
    Person.objects.update(family_name_folded="", given_name_folded="")  # as before the column
    migration = importlib.import_module("durvis.identity.migrations.0008_person_folded_names")
    migration.fold_names(apps, None)
    assert set(Person.objects.values_list("family_name_folded", flat=True)) >= {
        "ozolins", "berzina", "cita"}
    assert "Jānis" not in _search(desk["agent"], "ozolins")  # found: to be verified, unnamed
    assert reverse("administration:client-verify", args=[person.pk]) in _search(
        desk["agent"], "ozolins")


def test_a_refused_search_finds_nobody_and_says_why(desk):
    page = _search(desk["agent"], "\x00+37129123456")
    assert "vadības rakstzīme" in page
    assert desk["parent"].given_name not in page and "/verify/" not in page
