"""Who used my data (B4, B5, A2; issue 16): the e-account lists the uses of the current role's
data by institutions' staff and systems from the activity log, never the employee's name, never
another person's uses, and not to a role that has no base relation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import sign_in_person
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent
from durvis.audit.queries import DATA_USES, PURPOSES, uses_of
from durvis.core.actor import Actor
from durvis.register import queries as register_queries

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2] / "src" / "durvis"


def _page(client, person=None) -> str:
    if person is not None:
        sign_in_person(client, person, None)
    response = client.get(reverse("eaccount:data-use"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_systems_and_an_employees_reads_are_listed_with_institution_purpose_and_case(
        client_login, family, institutions):
    from durvis.identity.services import record_staff

    # The system that opened the case reads it through the API; an agent looks it up.
    number = family["own"].number
    assert family["system"].api is not None
    register_queries.read_case(family["system"], number, purpose="api")
    agent = record_staff(username="back.office.vsaa", password="pw-back-office-long-enough",
                         institution=institutions["VSAA"], roles=["back_office"])
    register_queries.read_case(Actor(kind="staff", staff=agent), number,
                               purpose="staff case page")
    with translation.override("en"):
        page = _page(client_login(family["parent"]))
    assert "Read your case" in page
    assert "Registered a case for you" in page  # the system opened it
    assert "(its information system)" in page and "(an employee)" in page
    assert "The institution&#x27;s system asked" in page
    assert "Opened your case at the institution&#x27;s workplace" in page
    assert reverse("eaccount:case", args=[number]) in page
    assert agent.user.username not in page  # never the employee's name
    # Another person's uses are not listed: the stranger's case was opened by the same system.
    assert family["strangers"].number not in page


def test_the_page_speaks_latvian_by_default(client_login, family):
    register_queries.read_case(family["system"], family["own"].number, purpose="api")
    page = _page(client_login(family["parent"]))
    assert "Kas izmantoja manus datus" in page
    assert "Skatīja jūsu lietu" in page


def test_a_parent_sees_the_minors_uses_and_not_their_own(client_login, family):
    page = _page(client_login(family["parent"], role=f"person:{family['child'].pk}"))
    assert family["childs"].number in page
    assert family["own"].number not in page


def test_a_role_under_a_mandate_sees_an_explanation_not_the_list(client_login, family):
    from durvis.mandates import services as mandates

    stranger = family["stranger"]
    mandates.grant(Actor(kind="person", person=stranger), stranger,
                   family["parent"].personal_code, mandates.Terms())
    with translation.override("en"):
        page = _page(client_login(family["parent"], role=f"person:{stranger.pk}"))
    assert "shown only to the person whose data it is" in page
    assert family["strangers"].number not in page and "<table" not in page


def test_a_companys_representative_sees_the_uses_of_the_companys_data(
        client_login, family, institutions):
    """B4: a company's case read by an employee at a centre is listed for its representative,
    with the service point, and not among the representative's own uses."""
    from durvis.identity.services import record_staff

    agent = record_staff(username="agent.vid", password="pw-agent-vid-long-enough",
                         institution=institutions["VID"], roles=["back_office"])
    agent.service_point = "Rīgas VPVKAC"
    agent.save(update_fields=["service_point"])
    register_queries.read_case(Actor(kind="staff", staff=agent), family["companys"].number,
                               purpose="staff case page")
    event = AuditEvent.objects.get(action="register.case.read", actor_kind="staff")
    assert event.subject_company_id == family["company"].pk and event.subject_person_id is None
    assert event.service_point == "Rīgas VPVKAC"
    with translation.override("en"):
        page = _page(client_login(family["parent"], role=f"company:{family['company'].pk}"))
    own = _page(Client(), family["parent"])
    assert "read or changed the company" in page and family["companys"].number in page
    assert "at Rīgas VPVKAC" in page and agent.user.username not in page
    assert family["companys"].number not in own
    read = AuditEvent.objects.filter(action="audit.data_use.read").order_by("id").first()
    assert read is not None and read.subject_company_id == family["company"].pk


def test_reading_the_list_is_audited_and_pages_go_back_in_time(client_login, family, settings):
    from durvis.eaccount import data_use

    for _ in range(3):
        register_queries.read_case(family["system"], family["own"].number, purpose="api")
    uses = uses_of(family["parent"].pk)
    assert len(uses) == 4  # opened, and read three times
    client = client_login(family["parent"])
    original = data_use.PAGE_SIZE
    data_use.PAGE_SIZE = 3
    try:
        first = _page(client)
        assert f"?before={uses[2].id}" in first
        older = client.get(reverse("eaccount:data-use"), {"before": uses[2].id})
        assert older.status_code == 200
        assert older.content.decode().count("<tr>") == 2  # the header and the oldest use
    finally:
        data_use.PAGE_SIZE = original
    assert AuditEvent.objects.filter(action="audit.data_use.read",
                                     subject_person_id=family["parent"].pk).count() == 2


@pytest.mark.parametrize("before", ["x", "-1", "0", "9" * 30])
def test_a_bad_page_position_is_explained_not_a_500(client_login, family, before):
    response = client_login(family["parent"]).get(reverse("eaccount:data-use"),
                                                  {"before": before})
    assert response.status_code == 200


RECORDED = re.compile(r'(?:record|Entry\.about|Entry)\(\s*(?:actor|\w+),\s*"([a-z_]+\.[a-z_.]+)"'
                      r'[^)]*?subject', re.S)
# Actions on a person's data that only the person (or their representative) takes: their own
# e-account's doings, which are no use by others.
OWN_ACTIONS = {
    "eaccount.role.switch", "identity.client.sign_in", "identity.contact.change_requested",
    "identity.contact.changed", "identity.contact.confirm_failed", "identity.contact.removed",
    "messaging.language.set", "messaging.preference.set", "messaging.thread.archive",
    "messaging.thread.unarchive", "messaging.inbox.read", "messaging.message.write",
    "messaging.message.reply", "register.case.feedback", "register.consultation.feedback",
    "eforms.prefill.use", "payments.payment.start", "catalog.eservice.handoff",
    "audit.data_use.read", "mandates.mandate.history",
}


def test_every_audited_use_of_a_persons_data_has_a_label_for_the_person():
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(RECORDED.findall(path.read_text()))
    assert "register.case.read" in found and "identity.profile.read" in found
    declared = {use.key for use in DATA_USES}
    assert found - declared - OWN_ACTIONS == set()


def test_every_recorded_purpose_has_a_label_for_the_person():
    literal = re.compile(r'purpose="([^"]+)"')
    found = {p for path in SOURCE.rglob("*.py") for p in literal.findall(path.read_text())}
    found.add("delivery to the holder's system")
    assert found - {p.key for p in PURPOSES} == {"eaccount"}  # the person's own reads
