"""Read state belongs to each reader (issue 12; A2, C1): one representative of a company opening
a message leaves it unread for the others, a parent reading in the child's role leaves it
unread for the child, every list and count with unread state is the signed-in person's own, and
the institution sees who read its message when (API and staff case page)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.messaging.models import InboxMessage, MessageRead
from tests.messaging.sending import send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def company_role(family):
    return f"company:{family['company'].pk}"


def unread_in_nav(page):
    """The number beside "Messages" in the e-account's navigation (none: 0)."""
    found = re.search(r'class="durvis-count" aria-hidden="true">(\d+)<', page)
    return int(found.group(1)) if found else 0


def inbox(browser):
    return browser.get(reverse("inbox:list")).content.decode()


@pytest.fixture
def vid_api(staff, institutions):
    """VID's system, the holder of the company's case, writing to clients and reading."""
    from django.test import Client

    _api_client, token = integrations.create_api_client(
        Actor(kind="staff", staff=staff["vid_admin"]), institutions["VID"], "Inbox",
        ["messages:write", "messages:read"], [])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_two_representatives_of_a_company_each_see_their_own_unread(
        family, joint_representative, vsaa_api, sign_in):
    company = family["company"]
    first = send(vsaa_api, registration_number=company.registration_number,
                 subject="Pirmais").json()
    send(vsaa_api, registration_number=company.registration_number, subject="Otrais")
    janis = sign_in(family["parent"], role=company_role(family))
    peteris = sign_in(joint_representative, role=company_role(family))
    for browser in (janis, peteris):
        page = inbox(browser)
        assert "2 nelasīti ziņojumi" in page and unread_in_nav(page) == 2

    assert janis.get(reverse("inbox:thread", args=[first["conversation_id"]])).status_code == 200

    page = inbox(janis)
    assert "1 nelasīts ziņojums" in page and unread_in_nav(page) == 1
    link = f'<strong><a href="/eaccount/messages/{first["conversation_id"]}/">'
    assert link not in page
    page = inbox(peteris)
    assert "2 nelasīti ziņojumi" in page and unread_in_nav(page) == 2
    assert link in page
    overview = peteris.get(reverse("eaccount:overview")).content.decode()
    assert re.search(r'class="big-number">2<', overview)


def test_a_parent_reading_as_the_child_leaves_the_childs_own_unread(family, vsaa_api,
                                                                    sign_in):
    child = family["child"]
    thread_id = send(vsaa_api, personal_code=child.personal_code).json()["conversation_id"]
    parent = sign_in(family["parent"], role=f"person:{child.pk}")
    assert unread_in_nav(inbox(parent)) == 1
    parent.get(reverse("inbox:thread", args=[thread_id]))
    assert "0 nelasīti ziņojumi" in inbox(parent)

    page = inbox(sign_in(child))
    assert "1 nelasīts ziņojums" in page and unread_in_nav(page) == 1
    # The parent's own inbox is not the child's: nothing there either way.
    assert unread_in_nav(inbox(sign_in(family["parent"]))) == 0


def test_reading_twice_is_one_read(family, vsaa_api, sign_in):
    parent = family["parent"]
    thread_id = send(vsaa_api, personal_code=parent.personal_code).json()["conversation_id"]
    browser = sign_in(parent)
    for _ in range(2):
        browser.get(reverse("inbox:thread", args=[thread_id]))
    assert MessageRead.objects.filter(reader=parent).count() == 1


def test_a_new_message_is_unread_again_for_the_reader_who_read_the_first(family, vsaa_api,
                                                                        sign_in):
    parent = family["parent"]
    first = send(vsaa_api, personal_code=parent.personal_code).json()
    browser = sign_in(parent)
    browser.get(reverse("inbox:thread", args=[first["conversation_id"]]))
    send(vsaa_api, personal_code=parent.personal_code, subject="Atbilde", reply_to=first["id"])
    assert "1 nelasīts ziņojums" in inbox(browser)


def test_the_institution_sees_who_read_its_message_when(family, joint_representative,
                                                        vsaa_api, sign_in):
    company, child = family["company"], family["child"]
    to_company = send(vsaa_api, registration_number=company.registration_number).json()
    to_child = send(vsaa_api, personal_code=child.personal_code).json()
    detail = vsaa_api.get(f"/api/v1/messages/{to_company['id']}").json()
    assert detail["reads"] == [] and detail["direction"] == "from_institution"

    sign_in(joint_representative, role=company_role(family)).get(
        reverse("inbox:thread", args=[to_company["conversation_id"]]))
    sign_in(family["parent"], role=company_role(family)).get(
        reverse("inbox:thread", args=[to_company["conversation_id"]]))
    sign_in(family["parent"], role=f"person:{child.pk}").get(
        reverse("inbox:thread", args=[to_child["conversation_id"]]))

    response = vsaa_api.get(f"/api/v1/messages/{to_company['id']}")
    assert response.status_code == 200, response.content
    reads = response.json()["reads"]
    assert [r["reader"] for r in reads] == [
        {"personal_code": joint_representative.personal_code, "name": "Pēteris Kalniņš",
         "relation": "representative"},
        {"personal_code": family["parent"].personal_code, "name": "Jānis Bērziņš",
         "relation": "representative"}]
    assert reads[0]["read_at"] <= reads[1]["read_at"]
    child_reads = vsaa_api.get(f"/api/v1/messages/{to_child['id']}").json()["reads"]
    assert [r["reader"]["relation"] for r in child_reads] == ["parent"]
    assert AuditEvent.objects.filter(action="messaging.message.read",
                                     object_id=str(to_company["id"])).exists()


def test_another_institutions_message_is_not_found(family, vsaa_api, api_client_factory):
    sent = send(vsaa_api, personal_code=family["parent"].personal_code).json()
    vid = api_client_factory("VID", operations=("messages:read",))
    assert vid.get(f"/api/v1/messages/{sent['id']}").status_code == 404
    no_scope = api_client_factory("VSAA", operations=("messages:write",))
    assert no_scope.get(f"/api/v1/messages/{sent['id']}").status_code == 403


def test_the_staff_case_page_shows_who_read_when(family, joint_representative, vid_api,
                                                 sign_in, staff_login, institutions):
    case = family["companys"]
    vid_api.post("/api/v1/messages", {"case_number": case.number, "subject": "PVN numurs",
                                      "body": "Lūdzu precizējiet adresi."},
                 content_type="application/json")
    thread = InboxMessage.objects.get(subject="PVN numurs").thread
    sign_in(joint_representative, role=company_role(family)).get(
        reverse("inbox:thread", args=[thread.pk]))
    back_office = identity.record_staff(username="bo.vid", password="pw-long-enough-for-tests",
                                        institution=institutions["VID"], roles=["back_office"])
    from django.test import Client

    staff_page = staff_login(Client(), back_office).get(
        reverse("administration:case", args=[case.number])).content.decode()
    assert "PVN numurs" in staff_page and "Lūdzu precizējiet adresi." in staff_page
    assert "Pēteris Kalniņš (pārstāvis)" in staff_page
    assert "Jānis Bērziņš" not in staff_page  # he has not read it
    assert AuditEvent.objects.filter(action="messaging.case_messages.read",
                                     object_id=str(case.pk)).exists()


def test_the_unread_counts_take_the_same_queries_for_one_conversation_or_twenty(
        family, vsaa_api, sign_in):
    parent = family["parent"]
    browser = sign_in(parent)

    def queries_of_inbox():
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(reverse("inbox:list")).status_code == 200
        return len(captured)

    send(vsaa_api, personal_code=parent.personal_code)
    one = queries_of_inbox()
    for number in range(19):
        send(vsaa_api, personal_code=parent.personal_code, subject=f"Ziņojums {number}")
    assert queries_of_inbox() == one
    assert "20 nelasīti ziņojumi" in inbox(browser)


def test_a_representative_who_may_act_only_jointly_may_archive(family, joint_representative,
                                                               vsaa_api, sign_in):
    company = family["company"]
    thread_id = send(vsaa_api, registration_number=company.registration_number
                     ).json()["conversation_id"]
    browser = sign_in(joint_representative, role=company_role(family))
    response = browser.post(reverse("inbox:archive", args=[thread_id]), {"archived": "1"})
    assert response.status_code == 302
    assert "Arhīvs ir tukšs" not in browser.get(reverse("inbox:list") + "?show=archive"
                                                ).content.decode()
