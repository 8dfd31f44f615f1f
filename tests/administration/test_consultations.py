"""Register a consultation in a few seconds (B3, B1; issue 16): the duration is timed by the
server from opening the form; an identified client, a phone-only caller or an anonymous one;
refusals at their fields; a tampered timing is never trusted."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.identity.services import record_staff
from durvis.register.models import Consultation

pytestmark = pytest.mark.django_db
URL = "/staff/consultations/new/"


@pytest.fixture
def agent(family, institutions, staff_login):
    member = record_staff(username="agent.vsaa", password="pw-agent-vsaa-long-enough",
                          institution=institutions["VSAA"], roles=["agent"])
    return staff_login(Client(), member)


def _started(page: str) -> str:
    return re.search(r'name="started" value="([^"]+)"', page)[1]


def test_a_phone_caller_is_registered_with_a_timed_duration(agent, catalogue):
    page = agent.get(URL).content.decode()
    response = agent.post(URL, {
        "service": catalogue["childbirth"].pk, "channel": "phone", "who": "phone_only",
        "client_phone": "29 123 456", "outcome": "answered", "started": _started(page)})
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert consultation.client_phone == "+37129123456"
    assert consultation.identification == "phone_only"
    assert consultation.duration_seconds is not None and consultation.duration_seconds < 60
    assert consultation.service == catalogue["childbirth"]


def test_the_client_identified_in_this_session_is_the_one_registered(agent, family):
    agent.get(reverse("administration:clients"), {"q": family["parent"].personal_code})
    page = agent.get(URL, {"client": family["parent"].pk}).content.decode()
    assert "Jānis Bērziņš" in page
    response = agent.post(f"{URL}?client={family['parent'].pk}", {
        "topic": "Pabalsta apmērs", "channel": "centre", "who": "identified_by_agent",
        "outcome": "answered", "client": family["parent"].pk, "started": _started(page)})
    assert response.status_code == 302
    assert Consultation.objects.get().client_person == family["parent"]
    # A client not found in this session cannot be named by id.
    page = agent.get(URL, {"client": family["stranger"].pk}).content.decode()
    assert "Anna Cita" not in page


def test_missing_choices_and_a_forged_timing_are_refused(agent):
    page = agent.get(URL).content.decode()
    with translation.override("en"):
        response = agent.post("/en" + URL, {"channel": "phone", "who": "phone_only",
                                            "outcome": "answered", "started": _started(page)})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose the service or name the topic." in body
    assert "Give the caller&#x27;s phone number." in body
    forged = agent.post(URL, {"topic": "X", "channel": "phone", "who": "anonymous",
                              "outcome": "answered", "started": "0:forged"})
    assert forged.status_code == 302 and not Consultation.objects.exists()
