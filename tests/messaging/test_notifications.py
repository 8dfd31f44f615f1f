"""Notifications to clients (C1): by the channels they chose, through the outbox, to a real SMTP
server and an SMS gateway on loopback; no more personal data than needed."""

import http.server
import json
import threading

import pytest
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.identity import services as identity
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel, OutboxMessage, OutboxStatus
from durvis.messaging import services as messaging
from durvis.register import services as register


class Gateway:
    """An SMS gateway on loopback speaking the protocol of `integrations.sms`."""

    def __init__(self):
        self.received, self.answers = [], []
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append((self.path, self.headers["Authorization"], body))
                status, answer = gateway.answers.pop(0) if gateway.answers else (
                    202, {"id": f"m{len(gateway.received)}", "status": "accepted"})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway(settings):
    running = Gateway()
    settings.DURVIS_SMS_GATEWAY_URL = running.url
    settings.DURVIS_SMS_GATEWAY_KEY = "gateway-key"
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def client_case(catalogue, api_client_factory, institutions):
    person = identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                    family_name="Bērziņš", email="janis@example.lv",
                                    phone="+371 29123456")
    centre = integrations.api_actor(api_client_factory("VDAA").api_client)
    case = register.open_case(centre, register.NewCase(
        service_code=1011, identification="signed_in", application_channel="eaccount",
        personal_code=person.personal_code))
    holder = integrations.api_actor(api_client_factory("VSAA").api_client)
    return person, case, holder


def change_status(holder, case, status="in_progress"):
    """The holder's system posts a status; the worker runs the subscribers (the outbox fills)."""
    register.record_status_events(holder, [register.StatusEvent(
        case.number, occurred_at=timezone.now(), status=status)])
    dispatch_due()


def deliver():
    while dispatch_due() or integrations.deliver_due():
        pass


def test_status_change_is_e_mailed_in_latvian_with_no_personal_data(smtp, client_case):
    _, case, holder = client_case
    change_status(holder, case)
    message = OutboxMessage.objects.get(channel=OutboxChannel.EMAIL)
    assert message.recipient == "janis@example.lv"
    deliver()
    (recipients, mail), = smtp.messages
    assert recipients == ["janis@example.lv"]
    text = mail.get_content()
    assert mail["Subject"] == f"Lieta {case.number}: Izskatīšanā"
    assert "Bērna piedzimšanas pabalsts" in text
    for secret in ("16117519997", "161175-19997", "Bērziņš", "Jānis"):
        assert secret not in text and secret not in mail["Subject"]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def test_english_for_a_client_who_chose_it(smtp, client_case):
    person, case, holder = client_case
    messaging.set_language(Actor(kind="person", person=person), person, "en")
    change_status(holder, case)
    deliver()
    (_, mail), = smtp.messages
    assert "In progress" in mail["Subject"]
    assert "Childbirth benefit" in mail.get_content()


def test_no_notification_for_a_topic_turned_off(smtp, client_case):
    person, case, holder = client_case
    messaging.set_preference(Actor(kind="person", person=person), person, "status_changes",
                             "email", False)
    change_status(holder, case)
    assert not OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).exists()


def test_only_the_client_changes_their_preferences(client_case):
    from django.core.exceptions import PermissionDenied

    person, _, _ = client_case
    stranger = identity.record_person(personal_code="32503511782", given_name="O", family_name="K")
    with pytest.raises(PermissionDenied):
        messaging.set_preference(Actor(kind="person", person=stranger), person,
                                 "status_changes", "email", False)


def test_result_by_sms_through_the_gateway(gateway, client_case):
    person, case, holder = client_case
    messaging.set_preference(Actor(kind="person", person=person), person, "results", "sms", True)
    register.record_result(holder, case.number, occurred_at=timezone.now(), title="Lēmums")
    dispatch_due()
    sms_message = OutboxMessage.objects.get(channel=OutboxChannel.SMS)
    deliver()
    path, authorization, body = gateway.received[0]
    assert (path, authorization) == ("/messages", "Bearer gateway-key")
    assert body["to"] == "+37129123456" and case.number in body["text"]
    assert body["reference"] == sms_message.idempotency_key
    sms_message.refresh_from_db()
    assert sms_message.status == OutboxStatus.DELIVERED


def test_gateway_failures(gateway, client_case):
    person, case, holder = client_case
    for topic in ("status_changes",):
        messaging.set_preference(Actor(kind="person", person=person), person, topic, "sms", True)
    gateway.answers = [(503, {"error": "busy"}), (202, {"id": "m2", "status": "accepted"})]
    change_status(holder, case)
    message = OutboxMessage.objects.get(channel=OutboxChannel.SMS)
    deliver()
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.last_error == "HTTP 503 busy"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    deliver()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    gateway.answers = [(400, {"error": "invalid_number"})]
    change_status(holder, case, "decided")
    deliver()
    refused = OutboxMessage.objects.filter(channel=OutboxChannel.SMS).latest("id")
    assert refused.status == OutboxStatus.DEAD and "invalid_number" in refused.last_error
    assert refused.attempts == 1  # a bad number is not retried


def test_no_sms_without_a_gateway(settings, client_case):
    settings.DURVIS_SMS_GATEWAY_URL = ""
    person, case, holder = client_case
    messaging.set_preference(Actor(kind="person", person=person), person, "status_changes",
                             "sms", True)
    change_status(holder, case)
    assert not OutboxMessage.objects.filter(channel=OutboxChannel.SMS).exists()


def test_a_childs_and_a_companys_cases_are_told_to_who_speaks_for_them(family, decide_case):
    """A minor has no contacts of their own: their parent hears of the child's case; a company's
    case goes to its representatives (C1). Nobody else hears anything."""
    OutboxMessage.objects.all().delete()
    decide_case(family["system"], family["childs"], "in_progress")
    decide_case(family["vid"], family["companys"], "in_progress")
    sent = [(m.recipient, m.payload["subject"])
            for m in OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL)]
    assert sorted(recipient for recipient, _subject in sent) == ["janis@example.lv"] * 2
    subjects = " ".join(subject for _recipient, subject in sent)
    assert family["childs"].number in subjects and family["companys"].number in subjects
    assert "Emīlija" not in subjects and "Zaļā" not in subjects


def test_a_late_event_that_does_not_change_the_status_tells_the_client_nothing(family,
                                                                               decide_case):
    """An institution completes a case's history with an older event: the current status stays,
    so the client hears nothing new (C1)."""
    decide_case(family["system"], family["own"], "in_progress")
    OutboxMessage.objects.all().delete()
    earlier = family["own"].applied_at + (family["own"].status_at - family["own"].applied_at) / 2
    register.record_status_events(family["system"], [register.StatusEvent(
        family["own"].number, occurred_at=earlier, status="registered")])
    dispatch_due()
    family["own"].refresh_from_db()
    assert family["own"].status == "in_progress"
    assert not OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL).exists()


@pytest.fixture
def locked(monkeypatch):
    """Make the database answer "database is locked" to the next `times` writes of a delivery's
    outcome (as SQLite does when another writer holds the lock beyond the busy time-out)."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    update = QuerySet.update
    left = {"times": 0}

    def maybe_locked(queryset, **changes):
        if queryset.model is OutboxMessage and "attempts" in changes and left["times"]:
            left["times"] -= 1
            raise OperationalError("database is locked")
        return update(queryset, **changes)

    monkeypatch.setattr(QuerySet, "update", maybe_locked)
    return left


@pytest.mark.django_db(transaction=True)
def test_an_e_mail_goes_out_once_when_recording_it_meets_a_locked_database(smtp, client_case,
                                                                          locked):
    _, case, holder = client_case
    change_status(holder, case)
    locked["times"] = 3  # passes: the record is written again until the database takes it
    deliver()
    assert len(smtp.messages) == 1
    assert OutboxMessage.objects.get(channel=OutboxChannel.EMAIL).status == OutboxStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_an_e_mail_that_cannot_be_recorded_is_not_sent(smtp, client_case, locked, monkeypatch):
    _, case, holder = client_case
    change_status(holder, case)
    monkeypatch.setattr("durvis.core.worker.LOCKED_PATIENCE", 0.3)
    locked["times"] = 10  # outlasts the patience: the write fails for good
    with pytest.raises(Exception, match="database is locked"):
        deliver()
    assert smtp.messages == []  # dropped before the end of its DATA: the server discarded it
    message = OutboxMessage.objects.get(channel=OutboxChannel.EMAIL)
    assert message.status == OutboxStatus.PENDING and message.leased_by  # till its lease ends
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    locked["times"] = 0
    deliver()
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_an_sms_goes_out_once_when_recording_it_meets_a_locked_database(gateway, client_case,
                                                                       locked):
    person, case, holder = client_case
    messaging.set_preference(Actor(kind="person", person=person), person, "status_changes",
                             "sms", True)
    change_status(holder, case)
    locked["times"] = 3
    deliver()
    assert len(gateway.received) == 1
    assert OutboxMessage.objects.get(channel=OutboxChannel.SMS).status == OutboxStatus.DELIVERED


# --- Links: to the case, the conversation or the document, in the person's language (issue 12)

def links_in(text):
    import re

    return re.findall(r"https?://\S+", text)


def outbox_links(channel):
    return [link for message in OutboxMessage.objects.filter(channel=channel)
            for link in links_in(message.payload["body"])]


def messenger(api_client_factory):
    """The case holder's system allowed to write to clients."""
    return integrations.api_actor(api_client_factory(
        "VSAA", operations=["cases:read", "messages:write"]).api_client)


def follow(client_login, person, link, public_url):
    """Open a link of a notification as its recipient, signed in: the page, and its language."""
    assert link.startswith(public_url.rstrip("/") + "/") and "//" not in link.split("://", 1)[1]
    path = link.removeprefix(public_url.rstrip("/"))
    response = client_login(person).get(path)
    assert response.status_code == 200, (link, response.status_code)
    return response


@pytest.mark.parametrize(("language", "prefix"), [("en", "/en"), ("lv", "")])
def test_a_status_and_a_result_link_to_the_case_in_the_persons_language(
        settings, gateway, client_case, decide_case, client_login, language, prefix):
    settings.DURVIS_PUBLIC_URL = "https://durvis.example.lv/"  # a trailing slash is no matter
    person, case, holder = client_case
    actor = Actor(kind="person", person=person)
    messaging.set_language(actor, person, language)
    for topic in ("status_changes", "results"):
        messaging.set_preference(actor, person, topic, "sms", True)
    change_status(holder, case)
    decide_case(holder, case)
    dispatch_due()
    case_path = f"{prefix}/eaccount/cases/{case.number.replace(' ', '-')}/"
    for channel in (OutboxChannel.EMAIL, OutboxChannel.SMS):
        links = outbox_links(channel)
        assert len(links) >= 2, channel
        assert set(links) == {"https://durvis.example.lv" + case_path}, links
    response = follow(client_login, person, links[0], settings.DURVIS_PUBLIC_URL)
    assert response["Content-Language"] == language
    assert case.number in response.content.decode()


@pytest.mark.parametrize(("language", "prefix"), [("en", "/en"), ("lv", "")])
def test_a_message_links_to_its_conversation_in_the_persons_language(
        settings, gateway, client_case, institutions, client_login, api_client_factory, language,
        prefix):
    person, case, _holder = client_case
    holder = messenger(api_client_factory)
    actor = Actor(kind="person", person=person)
    messaging.set_language(actor, person, language)
    messaging.set_preference(actor, person, "messages", "sms", True)
    message = messaging.send_to_client(holder, client=person, institution=institutions["VSAA"],
                                       subject="Par pabalstu", body="Lūdzu, iesniedziet izziņu.",
                                       case=case)
    dispatch_due()
    thread_path = f"{prefix}/eaccount/messages/{message.thread_id}/"
    base = settings.DURVIS_PUBLIC_URL.rstrip("/")
    assert outbox_links(OutboxChannel.EMAIL) == outbox_links(OutboxChannel.SMS) == [
        base + thread_path]
    response = follow(client_login, person, base + thread_path, settings.DURVIS_PUBLIC_URL)
    assert response["Content-Language"] == language
    assert "Lūdzu, iesniedziet izziņu." in response.content.decode()


@pytest.mark.parametrize(("language", "prefix"), [("en", "/en"), ("lv", "")])
def test_a_delivered_document_links_to_it_on_its_case_in_the_persons_language(
        settings, gateway, client_case, client_login, api_client_factory, language, prefix):
    from durvis.documents import services as documents
    from tests.documents.samples import PDF

    person, case, _holder = client_case
    holder = messenger(api_client_factory)
    actor = Actor(kind="person", person=person)
    messaging.set_language(actor, person, language)
    messaging.set_preference(actor, person, "messages", "sms", True)
    document = documents.deliver_to_client(
        holder, case_number=case.number, name="izzina.pdf", content=PDF,
        content_type="application/pdf", title="Izziņa")
    dispatch_due()
    base = settings.DURVIS_PUBLIC_URL.rstrip("/")
    case_url = f"{base}{prefix}/eaccount/cases/{case.number.replace(' ', '-')}/"
    assert outbox_links(OutboxChannel.EMAIL) == [f"{case_url}#document-{document.pk}"]
    assert outbox_links(OutboxChannel.SMS) == [case_url]
    response = follow(client_login, person, case_url, settings.DURVIS_PUBLIC_URL)
    assert response["Content-Language"] == language
    assert f'id="document-{document.pk}"' in response.content.decode()
