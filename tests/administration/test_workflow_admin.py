"""The administrator's workflow and team pages (B2, B7; issue 16) through HTTP: publish a
version from JSON with every problem named, retire, keep teams; others are refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.identity.services import record_staff
from durvis.workflows.models import Team, Workflow
from tests.workflows.test_workflows import DEFINITION

pytestmark = pytest.mark.django_db
URL = "/administration/workflows/"


@pytest.fixture
def admin(catalogue, institutions, staff, staff_login):
    return staff_login(Client(), staff["vsaa_admin"])


def _publish(http, definition, service):
    return http.post(URL, {"service": service.pk, "name": "Izskatīšana",
                           "definition": definition})


def test_an_administrator_publishes_versions_and_retires(admin, catalogue, institutions):
    Team.objects.create(institution=institutions["VSAA"], key="benefits", name_lv="P",
                        name_en="B")
    data = json.loads(json.dumps(DEFINITION))
    data["steps"]["registration"]["queue"] = {"institution": "holder"}
    data["steps"]["registration"]["role"] = "back_office"
    service = catalogue["childbirth"]
    assert _publish(admin, json.dumps(data), service).status_code == 302
    assert _publish(admin, json.dumps(data), service).status_code == 302
    workflow = Workflow.objects.get(service=service)
    assert workflow.versions.count() == 2
    page = admin.get(URL, {"service": service.pk}).content.decode()
    assert "registration" in page  # the form starts from the live version
    retire = reverse("administration:workflow-retire", args=[workflow.pk])
    asked = admin.post(retire)  # a confirmation step first (the fresh tester's finding)
    assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
    workflow.refresh_from_db()
    assert workflow.retired_at is None
    assert admin.post(retire, {"confirmed": "yes"}).status_code == 302
    workflow.refresh_from_db()
    assert workflow.retired_at is not None


def test_broken_json_and_a_broken_definition_are_explained(admin, catalogue):
    with translation.override("en"):
        broken = admin.post("/en" + URL, {"service": catalogue["childbirth"].pk, "name": "X",
                                          "definition": "{not json"})
    assert broken.status_code == 422
    assert "This is not JSON: the error is at line 1, character 2." in broken.content.decode()
    latvian = admin.post(URL, {"service": catalogue["childbirth"].pk, "name": "X",
                               "definition": "garbage{"})
    assert "Tas nav JSON: kļūda ir 1. rindas 1. rakstzīmē." in latvian.content.decode()
    data = json.loads(json.dumps(DEFINITION))
    data["first"] = "nowhere"
    wrong = _publish(admin, json.dumps(data), catalogue["childbirth"])
    assert wrong.status_code == 422
    assert "first: nav soļa" in wrong.content.decode()  # in the reader's language
    assert not Workflow.objects.exists()


def test_teams_are_created_and_their_people_set(admin, institutions, staff):
    response = admin.post(reverse("administration:team-save"), {
        "team-key": "front", "team-name_lv": "Priekšējais birojs", "team-name_en": "Front"})
    assert response.status_code == 302
    team = Team.objects.get(key="front")
    member = record_staff(username="bo.vsaa", password="pw-bo-vsaa-long-enough",
                          institution=institutions["VSAA"], roles=["back_office"])
    outsider = staff["vid_admin"]
    admin.post(reverse("administration:team-save"), {
        "team": team.pk, "member": [member.pk, outsider.pk], "lead": [staff["vsaa_admin"].pk]})
    assert list(team.members.all()) == [member]  # another institution's staff are ignored
    assert list(team.leads.all()) == [staff["vsaa_admin"]]
    assert AuditEvent.objects.filter(action="workflows.team.people").exists()
    again = admin.post(reverse("administration:team-save"), {
        "team-key": "front", "team-name_lv": "A", "team-name_en": "B"}, follow=True)
    assert Team.objects.filter(key="front").count() == 1
    assert "already" in again.content.decode() or "jau" in again.content.decode()


def test_others_are_refused(catalogue, staff, staff_login, institutions):
    agent = staff_login(Client(), staff["agent"])
    assert agent.get(URL).status_code == 403
    vid = staff_login(Client(), staff["vid_admin"])
    vsaa_admin = staff_login(Client(), staff["vsaa_admin"])
    data = json.loads(json.dumps(DEFINITION))
    for step in data["steps"].values():
        step["queue"] = {"institution": "provider"}
        step["role"] = "back_office"
    _publish(vsaa_admin, json.dumps(data), catalogue["childbirth"])
    workflow = Workflow.objects.get()
    assert vid.post(reverse("administration:workflow-retire", args=[workflow.pk])
                    ).status_code == 404
    # VID cannot publish for a service it neither holds nor provides: not a choice.
    assert _publish(vid, json.dumps(data), catalogue["childbirth"]).status_code == 422
