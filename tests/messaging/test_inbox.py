"""The official e-address inbox (A2, C1): institutions write to a client's e-account through the
API (B9) and the staff pages, the client reads, archives and answers, the institution hears of
the answer by its webhook and reads it from the API. A client never sees another's messages."""

import base64
import re

import pytest
from django.urls import NoReverseMatch, reverse

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.documents.models import Document
from durvis.documents.scanning import EICAR
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel, OutboxMessage
from durvis.messaging import queries as messaging_queries
from durvis.messaging import services as messaging
from durvis.messaging.models import InboxMessage, MessageRead, Thread
from tests.documents.samples import PDF, pdf_of_size
from tests.integrations.event_checks import check_stored_events
from tests.messaging.sending import send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def back_office(institutions):
    def make(institution):
        return identity.record_staff(username=f"back.{institution.lower()}",
                                     password="pw-long-enough-for-tests",
                                     institution=institutions[institution], roles=["back_office"])
    return make


def unread_of(person, client=None):
    """What `person` has not read of `client`'s messages (their own by default)."""
    return messaging_queries.unread_count(Actor(kind="person", person=person), client or person)


def pdf(name="izzina.pdf", title="Izziņa", content=PDF):
    return {"name": name, "content_type": "application/pdf", "title": title,
            "content": base64.b64encode(content).decode()}


def test_a_message_sent_through_the_api_is_in_the_inbox_unread(client_login, family, vsaa_api):
    parent, case = family["parent"], family["own"]
    response = send(vsaa_api, personal_code=parent.personal_code, case_number=case.number)
    assert response.status_code == 201, response.content
    assert response.json()["case_number"] == case.number
    assert unread_of(parent) == 1
    client = client_login(parent)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "Papildu informācija" in page and "1 nelasīts ziņojums" in page
    assert "<strong><a" in page  # unread stands out, and says so to screen readers
    assert "1 nelasīts)" in page
    overview = client.get(reverse("eaccount:overview")).content.decode()
    assert "nelasīts ziņojums" in overview
    case_page = client.get(reverse("eaccount:case", args=[case.number])).content.decode()
    assert "Papildu informācija" in case_page


def test_opening_a_conversation_marks_it_read_and_is_audited(client_login, family, vsaa_api):
    parent = family["parent"]
    message_id = send(vsaa_api, personal_code=parent.personal_code).json()["id"]
    thread = InboxMessage.objects.get(pk=message_id).thread
    page = client_login(parent).get(reverse("inbox:thread", args=[thread.pk]))
    assert page.status_code == 200
    assert "Lūdzu iesniedziet izziņu." in page.content.decode()
    assert unread_of(parent) == 0
    assert MessageRead.objects.filter(message_id=message_id, reader=parent).exists()
    assert AuditEvent.objects.filter(action="messaging.thread.read",
                                     object_id=str(thread.pk)).exists()


def test_an_answer_goes_to_the_institutions_webhook_and_api(client_login, family, vsaa_api,
                                                            vsaa_admin, institutions, worker):
    integrations.register_webhook(vsaa_admin, institutions["VSAA"], "https://vsaa.example/hook",
                                  ["message.received"])
    parent, case = family["parent"], family["own"]
    sent = send(vsaa_api, personal_code=parent.personal_code, case_number=case.number).json()
    thread = InboxMessage.objects.get(pk=sent["id"]).thread
    response = client_login(parent).post(reverse("inbox:reply", args=[thread.pk]),
                                         {"body": "Izziņu iesniegšu rīt.", "opened_as": "self"})
    assert response.status_code == 302
    answer = InboxMessage.objects.get(thread=thread, direction="from_client")
    assert answer.sender_person == parent
    worker.events()
    hook = OutboxMessage.objects.get(channel=OutboxChannel.WEBHOOK, event="message.received")
    item, = hook.payload["items"]
    assert item["message_id"] == answer.pk and item["case_number"] == case.number
    assert parent.personal_code not in str(hook.payload)
    assert check_stored_events() >= 2  # the webhook's CloudEvent and the feed's (issue 20)
    replies = vsaa_api.get("/api/v1/messages/replies?since=0").json()
    got, = replies["items"]
    assert got["body"] == "Izziņu iesniegšu rīt." and got["conversation_id"] == thread.pk
    assert got["client"] == {"kind": "person", "personal_code": parent.personal_code,
                             "registration_number": None}
    assert replies["next_cursor"] == str(answer.change_seq) or replies["next_cursor"].endswith(
        f".{answer.change_seq}")
    after = vsaa_api.get(f"/api/v1/messages/replies?since={replies['next_cursor']}").json()
    assert after == {"items": [], "next_cursor": replies["next_cursor"]}
    assert AuditEvent.objects.filter(action="messaging.reply.read",
                                     object_id=str(answer.pk)).exists()


def test_the_institution_answers_in_the_same_conversation(client_login, family, vsaa_api):
    parent = family["parent"]
    first = send(vsaa_api, personal_code=parent.personal_code).json()
    second = send(vsaa_api, personal_code=parent.personal_code, subject="Atbilde",
                  reply_to=first["id"])
    assert second.status_code == 201
    assert second.json()["conversation_id"] == first["conversation_id"]
    assert Thread.objects.count() == 1 and unread_of(parent) == 2


def test_attachments_are_stored_as_documents_and_downloadable(client_login, family, vsaa_api):
    parent, case = family["parent"], family["own"]
    response = send(vsaa_api, personal_code=parent.personal_code, case_number=case.number,
                    attachments=[pdf()])
    assert response.status_code == 201, response.content
    attachment, = response.json()["attachments"]
    document = Document.objects.get(pk=attachment["id"])
    assert (document.client_person, document.case, document.direction) == (parent, case,
                                                                           "received")
    thread = InboxMessage.objects.get(pk=response.json()["id"]).thread
    client = client_login(parent)
    page = client.get(reverse("inbox:thread", args=[thread.pk])).content.decode()
    assert "Izziņa" in page and "izzina.pdf" in page
    try:
        download_url = reverse("documents:download", args=[document.pk])
    except NoReverseMatch:
        pytest.fail("the documents app has no documents:download page")
    assert download_url in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == PDF


def test_a_refused_attachment_leaves_no_message(client_login, family, vsaa_api, worker):
    parent = family["parent"]
    response = send(vsaa_api, personal_code=parent.personal_code,
                    attachments=[pdf(), pdf(name="virus.pdf", content=PDF + EICAR)])
    assert response.status_code == 422
    error, = response.json()["detail"]
    assert error["loc"] == ["body", "attachments", 1, "content"]
    assert error["type"] == "malware"
    assert not InboxMessage.objects.exists() and not Thread.objects.exists()
    assert not Document.objects.exists()
    worker.events()
    assert not OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).exists()


def test_bad_base64_names_the_attachment(family, vsaa_api):
    attachment = {**pdf(), "content": "not base64!"}
    response = send(vsaa_api, personal_code=family["parent"].personal_code,
                    attachments=[attachment])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "attachments", 0, "content"]


def test_the_client_is_e_mailed_without_personal_data(family, vsaa_api, worker):
    parent, case = family["parent"], family["own"]
    send(vsaa_api, personal_code=parent.personal_code, case_number=case.number)
    worker.events()
    mail = OutboxMessage.objects.get(channel=OutboxChannel.EMAIL)
    assert mail.recipient == "janis@example.lv" and mail.event == "messages"
    text = mail.payload["subject"] + mail.payload["body"]
    assert "Valsts sociālās apdrošināšanas aģentūra" in text and case.number in text
    for secret in ("Bērziņš", "Jānis", parent.personal_code, "Papildu informācija",
                   "izziņu"):
        assert secret not in text


def test_no_e_mail_when_the_client_turned_messages_off(family, vsaa_api, worker):
    parent = family["parent"]
    messaging.set_preference(Actor(kind="person", person=parent), parent, "messages", "email",
                             False)
    assert send(vsaa_api, personal_code=parent.personal_code).status_code == 201
    worker.events()
    assert not OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).exists()


def test_a_retry_with_the_same_key_sends_once(family, vsaa_api):
    fields = {"personal_code": family["parent"].personal_code, "key": "msg-1"}
    first = send(vsaa_api, **fields)
    second = send(vsaa_api, **fields)
    assert first.json()["id"] == second.json()["id"]
    assert InboxMessage.objects.count() == 1


@pytest.mark.parametrize("fields,loc", [
    ({"personal_code": "32503511782"}, ["body", "personal_code"]),
    ({"personal_code": "123"}, ["body", "personal_code"]),
    ({}, ["body", "personal_code"]),
    ({"case_number": "1011 12"}, ["body", "case_number"]),
])
def test_api_refusals_name_the_field(family, vsaa_api, fields, loc):
    response = send(vsaa_api, **fields)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_a_case_of_another_institution_or_client_is_refused(family, vsaa_api):
    parent = family["parent"]
    foreign = send(vsaa_api, personal_code=parent.personal_code,
                   case_number=family["companys"].number)
    assert foreign.json()["detail"][0]["loc"] == ["body", "case_number"]
    other = send(vsaa_api, personal_code=parent.personal_code,
                 case_number=family["strangers"].number)
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["body", "case_number"]
    assert not InboxMessage.objects.exists()


def test_without_the_scope_the_api_refuses(family, api_client_factory):
    api = api_client_factory("RIGA")
    assert send(api, personal_code=family["parent"].personal_code).status_code == 403
    assert api.get("/api/v1/messages/replies").status_code == 403


def test_a_company_message_is_seen_in_the_company_role_only(client_login, family, vsaa_api):
    company = family["company"]
    response = send(vsaa_api, registration_number=company.registration_number,
                    subject="Uzņēmuma ziņa")
    assert response.status_code == 201
    in_company = client_login(family["parent"], role=f"company:{company.pk}")
    assert "Uzņēmuma ziņa" in in_company.get(reverse("inbox:list")).content.decode()
    in_company.post(reverse("eaccount:switch-role"), {"role": "self"})
    assert "Uzņēmuma ziņa" not in in_company.get(reverse("inbox:list")).content.decode()


@pytest.mark.parametrize("role,owner", [
    ("self", "stranger"), ("self", "child"), ("self", "company"),
    ("child", "parent"), ("company", "parent"), ("company", "stranger"),
])
@pytest.mark.parametrize("page", ["inbox:thread", "inbox:reply", "inbox:archive"])
def test_another_clients_conversation_is_404(client_login, family, vsaa_api, role, owner, page):
    code = ({"registration_number": family["company"].registration_number} if owner == "company"
            else {"personal_code": family[owner].personal_code})
    thread_id = send(vsaa_api, **code).json()["conversation_id"]
    key = {"self": None, "child": f"person:{family['child'].pk}",
           "company": f"company:{family['company'].pk}"}[role]
    client = client_login(family["parent"], role=key)
    url = reverse(page, args=[thread_id])
    response = client.get(url) if page == "inbox:thread" else client.post(
        url, {"body": "x", "archived": "1", "opened_as": key or "self"})
    assert response.status_code == 404
    assert InboxMessage.objects.filter(thread_id=thread_id).count() == 1
    assert not MessageRead.objects.filter(message__thread_id=thread_id).exists()


def test_the_child_role_sees_the_childs_messages(client_login, family, vsaa_api):
    child = family["child"]
    thread_id = send(vsaa_api, personal_code=child.personal_code).json()["conversation_id"]
    client = client_login(family["parent"], role=f"person:{child.pk}")
    assert client.get(reverse("inbox:thread", args=[thread_id])).status_code == 200
    client.post(reverse("inbox:reply", args=[thread_id]),
                {"body": "Paldies.", "opened_as": f"person:{child.pk}"})
    answer = InboxMessage.objects.get(thread_id=thread_id, direction="from_client")
    assert (answer.client_person, answer.sender_person) == (child, family["parent"])


def test_archive_and_back(client_login, family, vsaa_api):
    thread_id = send(vsaa_api, personal_code=family["parent"].personal_code).json()[
        "conversation_id"]
    client = client_login(family["parent"])
    response = client.post(reverse("inbox:archive", args=[thread_id]), {"archived": "1", "opened_as": "self"})
    assert response.status_code == 302
    assert "Papildu informācija" not in client.get(reverse("inbox:list")).content.decode()
    archive = client.get(reverse("inbox:list") + "?show=archive").content.decode()
    assert "Papildu informācija" in archive
    client.post(reverse("inbox:archive", args=[thread_id]), {"archived": "0", "opened_as": "self"})
    assert "Papildu informācija" in client.get(reverse("inbox:list")).content.decode()


def test_a_new_message_brings_an_archived_conversation_back(family, vsaa_api):
    parent = family["parent"]
    first = send(vsaa_api, personal_code=parent.personal_code).json()
    messaging.archive(Actor(kind="person", person=parent), first["conversation_id"], parent)
    send(vsaa_api, personal_code=parent.personal_code, reply_to=first["id"])
    assert list(messaging_queries.inbox(
        Actor(kind="person", person=parent), parent)) == [Thread.objects.get()]


def test_the_inbox_is_paginated_newest_first(client_login, family, vsaa_api):
    parent = family["parent"]
    for number in range(27):
        send(vsaa_api, personal_code=parent.personal_code, subject=f"Ziņa nr. {number:02d}")
    client = client_login(parent)
    first = client.get(reverse("inbox:list")).content.decode()
    assert "Ziņa nr. 26" in first and "Ziņa nr. 01" not in first
    second = client.get(reverse("inbox:list") + "?page=2").content.decode()
    assert "Ziņa nr. 01" in second and "Ziņa nr. 26" not in second


def test_the_client_writes_to_the_holder_of_a_case(client_login, family, vsaa_admin,
                                                   institutions, worker):
    integrations.register_webhook(vsaa_admin, institutions["VSAA"], "https://vsaa.example/hook",
                                  ["message.received"])
    case = family["own"]
    client = client_login(family["parent"])
    form = client.get(reverse("inbox:write") + f"?case={case.number}").content.decode()
    assert f'value="{case.pk}" selected' in form
    response = client.post(reverse("inbox:write"), {
        "case": case.pk, "subject": "Jautājums", "body": "Kad būs lēmums?", "opened_as": "self"})
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert (thread.institution, thread.case, thread.client_person) == (
        institutions["VSAA"], case, family["parent"])
    worker.events()
    assert OutboxMessage.objects.filter(event="message.received").exists()


def test_writing_without_a_case_or_institution_keeps_the_text(client_login, family):
    response = client_login(family["parent"]).post(reverse("inbox:write"), {
        "subject": "Jautājums", "body": "Mans garais teksts", "opened_as": "self"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Izvēlieties lietu vai iestādi." in page and "Mans garais teksts" in page
    assert not Thread.objects.exists()


def test_a_refused_upload_in_an_answer_keeps_the_text(client_login, family, vsaa_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    thread_id = send(vsaa_api, personal_code=family["parent"].personal_code).json()[
        "conversation_id"]
    response = client_login(family["parent"]).post(reverse("inbox:reply", args=[thread_id]), {
        "body": "Pielikumā izziņa", "opened_as": "self", "attachment": SimpleUploadedFile(
            "programma.exe", b"MZ\x90\x00", content_type="application/octet-stream")})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Pielikums netika pieņemts" in page and "Pielikumā izziņa" in page
    assert not InboxMessage.objects.filter(direction="from_client").exists()


def test_staff_send_a_message_to_the_client_of_a_case(client, staff_login, family, back_office):
    member = back_office("VSAA")
    case = family["own"]
    response = staff_login(client, member).post(reverse("staff-messages:new"), {
        "case_number": case.number, "subject": "Lūdzam pieteikties", "body": "Gaidām jūs."})
    assert response.status_code == 302
    message = InboxMessage.objects.get()
    assert (message.client_person, message.sender_staff) == (family["parent"], member.user)
    assert message.thread.case == case and unread_of(family["parent"]) == 1


def test_staff_of_another_institution_are_refused(client, staff_login, family, back_office):
    response = staff_login(client, back_office("VID")).post(reverse("staff-messages:new"), {
        "case_number": family["own"].number, "subject": "Sveiki", "body": "Teksts"})
    assert response.status_code == 422
    assert "nav lietas ar šādu numuru" in response.content.decode()
    assert not InboxMessage.objects.exists()


def test_an_administrator_without_a_client_service_role_is_forbidden(client, staff_login,
                                                                     staff):
    response = staff_login(client, staff["vsaa_admin"]).get(reverse("staff-messages:new"))
    assert response.status_code == 403


def assert_described_by_existing_ids(html):
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    refs = [ref for value in re.findall(r'aria-describedby="([^"]*)"', html)
            for ref in value.split()]
    assert refs, "no field is described"
    assert set(refs) <= ids, f"aria-describedby names missing ids: {set(refs) - ids}"


def test_the_write_forms_help_texts_and_errors_are_linked_to_their_fields(client_login, family):
    client = client_login(family["parent"])
    page = client.get(reverse("inbox:write")).content.decode()
    assert 'aria-describedby="id_institution_helptext"' in page
    assert_described_by_existing_ids(page)
    invalid = client.post(reverse("inbox:write"), {"subject": "", "body": "",
                                                    "opened_as": "self"})
    assert invalid.status_code in (200, 422)
    assert_described_by_existing_ids(invalid.content.decode())


# Sizes (issue 10): a message's attachments at their largest fit the body limit.

def test_a_message_with_a_9_mb_attachment_is_delivered(family, vsaa_api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = pdf_of_size(9 * 1024 * 1024)
    response = send(vsaa_api, personal_code=family["parent"].personal_code, attachments=[{
        "name": "lemums.pdf", "content_type": "application/pdf",
        "content": base64.b64encode(content).decode()}])
    assert response.status_code == 201, response.content[:300]
    assert response.json()["attachments"][0]["size"] == len(content)


def test_attachments_over_their_total_are_a_json_413(family, vsaa_api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES = 1000  # read when the request comes
    chunk = base64.b64encode(PDF + b"0" * 600).decode()
    response = send(vsaa_api, personal_code=family["parent"].personal_code, attachments=[
        {"name": f"{i}.pdf", "content_type": "application/pdf", "content": chunk}
        for i in range(2)])
    assert response.status_code == 413
    assert response.json()["detail"][0] == {
        "loc": ["body", "attachments"], "type": "too_large",
        "msg": "The attachments together are larger than 1000 bytes."}
