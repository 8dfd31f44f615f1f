"""The activity log by role (B5, A5; seed 4.3.5, G43; issue 16): a holder's administrator reads
the entries on its own services, a provider's the entries of its own specialists, a platform
administrator every entry; filters narrow it, wrong filters are shown, pages are keyset pages,
and reading the log is itself recorded."""

from __future__ import annotations

import pytest

from durvis.audit.models import AuditEvent
from durvis.audit.services import record, verify
from durvis.core.actor import Actor
from durvis.identity import services as identity

LOG = "/administration/audit/"


@pytest.fixture
def entries(staff, institutions, catalogue):
    """Marked entries: VDAA's agent (a provider of 1011) on VSAA's service 1011, VID's
    administrator on VID's service 1006, and VSAA's administrator on no service."""
    vdaa_admin = identity.record_staff(username="admin.vdaa", password="pw-admin-vdaa-long-enough",
                                       institution=institutions["VDAA"],
                                       roles=["institution_admin"])
    agent = Actor(kind="staff", staff=staff["agent"])
    record(agent, "test.marker.agent_on_vsaa", details={"service": 1011})
    record(Actor(kind="staff", staff=staff["vid_admin"]), "test.marker.vid_on_vid",
           details={"service": 1006})
    record(Actor(kind="staff", staff=staff["vsaa_admin"]), "test.marker.vsaa_alone")
    return {"vdaa_admin": vdaa_admin}


def page(client, staff_login, member, query=""):
    response = staff_login(client, member).get(f"{LOG}{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_holder_sees_the_entries_on_its_services_and_of_its_staff(client, staff, staff_login,
                                                                    entries):
    html = page(client, staff_login, staff["vsaa_admin"])
    assert "test.marker.agent_on_vsaa" in html  # a provider's agent on VSAA's service
    assert "test.marker.vsaa_alone" in html  # its own administrator
    assert "test.marker.vid_on_vid" not in html
    assert "agent.centre" in html  # the employee's user name is the institution's to review


def test_a_provider_sees_its_own_specialists_entries_only(client, staff_login, entries):
    html = page(client, staff_login, entries["vdaa_admin"])
    assert "test.marker.agent_on_vsaa" in html
    assert "test.marker.vid_on_vid" not in html and "test.marker.vsaa_alone" not in html


def test_another_holder_sees_none_of_them_and_a_platform_administrator_all(
        client, staff, staff_login, entries):
    html = page(client, staff_login, staff["vid_admin"])
    assert "test.marker.vid_on_vid" in html
    assert "test.marker.agent_on_vsaa" not in html and "test.marker.vsaa_alone" not in html
    html = page(client, staff_login, staff["platform"])
    for marker in ("agent_on_vsaa", "vid_on_vid", "vsaa_alone"):
        assert f"test.marker.{marker}" in html


def test_an_agent_may_not_read_the_log(client, staff, staff_login):
    assert staff_login(client, staff["agent"]).get(LOG).status_code == 403


def test_reading_the_log_is_recorded_with_its_filters(client, staff, staff_login, entries):
    page(client, staff_login, staff["vsaa_admin"], "?action=test.marker&service=1011")
    read = AuditEvent.objects.filter(action="administration.audit.read").get()
    assert read.actor_institution == "VSAA"
    assert read.details["filters"] == {"action": "test.marker", "service": "1011"}


def test_filters_narrow_the_list(client, staff, staff_login, entries, family):
    html = page(client, staff_login, staff["platform"], "?service=1006")
    assert "test.marker.vid_on_vid" in html and "test.marker.agent_on_vsaa" not in html
    html = page(client, staff_login, staff["platform"], "?staff=agent.centre")
    assert "test.marker.agent_on_vsaa" in html and "test.marker.vsaa_alone" not in html
    html = page(client, staff_login, staff["platform"], "?action=test.marker.vsaa")
    assert "test.marker.vsaa_alone" in html and "test.marker.vid_on_vid" not in html
    number = family["own"].number
    html = page(client, staff_login, staff["platform"], f"?case={number.replace(' ', '+')}")
    assert "register.case.registered" in html or "register.case" in html
    assert "test.marker" not in html
    html = page(client, staff_login, staff["platform"], "?date_to=2001-01-01")
    i = html.find("test.marker")
    assert i < 0, html[i - 600:i + 100]


@pytest.mark.parametrize(("query", "message"), [
    ("?date_from=2026-13-01", "date_from"),
    ("?date_from=2026-12-02&date_to=2026-12-01", "date_to"),
    ("?staff=nobody.here", "staff"),
    ("?case=1011-99", "case"),
    ("?service=abc", "service"),
])
def test_a_wrong_filter_is_shown_in_the_error_summary_not_a_500(client, staff, staff_login,
                                                                 entries, query, message):
    html = page(client, staff_login, staff["platform"], query)
    assert "govuk-error-summary" in html and f'href="#id_{message}"' in html


def test_pages_are_keyset_pages(client, staff, staff_login, entries):
    vid = Actor(kind="staff", staff=staff["vid_admin"])
    for n in range(55):
        record(vid, f"test.page.n{n:02d}", details={"service": 1006})
    first = page(client, staff_login, staff["vid_admin"], "?action=test.page")
    assert "test.page.n54" in first and "test.page.n04" not in first
    oldest_shown = AuditEvent.objects.get(action="test.page.n05").pk
    assert f"action=test.page&amp;before={oldest_shown}" in first
    second = page(client, staff_login, staff["vid_admin"],
                  f"?action=test.page&before={oldest_shown}")
    assert "test.page.n04" in second and "test.page.n00" in second
    assert "test.page.n05" not in second


def test_the_service_of_an_entry_is_hashed(entries):
    event = AuditEvent.objects.get(action="test.marker.vid_on_vid")
    assert event.service_code == 1006
    assert verify() == []
    AuditEvent.objects.filter(pk=event.pk).update(service_code=1011)  # moved to VSAA's service
    assert [b.event_id for b in verify()] == [event.pk]


def test_an_entry_about_a_case_names_its_service(family, staff):
    from durvis.register import queries as register_queries

    agent = Actor(kind="staff", staff=staff["vsaa_admin"])
    case = family["own"]
    record(agent, "test.case.touched", case)
    assert AuditEvent.objects.get(action="test.case.touched").service_code == 1011
    assert register_queries  # the register's own reads name it the same way


@pytest.mark.parametrize(("prefix", "label", "case_term", "citizen"), [
    ("", "Lieta skatīta", "<dt>Lieta</dt>", "Skatīja jūsu lietu"),
    ("/en", "Case read", "<dt>Case</dt>", "Read your case")])
def test_entries_read_in_the_staffs_words_and_details_as_a_list_never_a_dump(
        client, staff, staff_login, entries, prefix, label, case_term, citizen):
    agent = Actor(kind="staff", staff=staff["agent"])
    record(agent, "register.case.read", details={
        "service": 1011, "case": "1011-13", "personal_code": "120385-12345",
        "client": {"personal_code": "12038512345", "name": "Jānis"},
        "note": "par 120385-12345", "filters": {"status": "decided", "q": "12038512345"}})
    record(agent, "test.marker.undeclared", details={"service": 1011, "case": "120385-12345"})
    response = staff_login(client, staff["vsaa_admin"]).get(f"{prefix}{LOG}")
    html = response.content.decode()
    assert response.status_code == 200
    assert label in html and case_term in html and "<dd>1011-13</dd>" in html
    assert citizen not in html
    assert "test.marker.undeclared" in html  # an action without a label shows its code
    assert "12345" not in html and "personal_code" not in html and "Jānis" not in html
    assert "{" not in html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
