"""Webhooks through the outbox (B9): written with the change, signed, retried with back-off,
dead-lettered, replayed — against real HTTP servers on loopback."""

import hashlib
import hmac
import http.server
import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, OutboxStatus
from durvis.register import services as register
from tests.integrations.event_checks import check_batch


class Receiver:
    """A webhook receiver on loopback that fails the first `failures` deliveries with a 503."""

    def __init__(self, failures=0, hang=False, redirect=""):
        self.failures, self.hang, self.redirect, self.received = failures, hang, redirect, []
        self.gets, self.invalid = 0, []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.hang:
                    time.sleep(3)
                    return
                receiver.received.append((dict(self.headers), body))
                try:  # every delivery of every test is a valid CloudEvents batch (issue 20)
                    check_batch(body)
                except Exception as error:  # reported by the fixture
                    receiver.invalid.append(repr(error))
                if receiver.redirect:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect)
                    self.end_headers()
                    return
                status = 503 if len(receiver.received) <= receiver.failures else 204
                self.send_response(status)
                self.end_headers()

            def do_GET(self):
                receiver.gets += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs):
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()
    assert [problem for r in made for problem in r.invalid] == []


@pytest.fixture
def setup(staff, institutions, catalogue, api_client_factory):
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    centre = api_client_factory("VDAA")
    return admin, centre, institutions


def open_case(centre):
    """A centre registers a case; the worker's event round writes the webhook to the outbox."""
    actor = integrations.api_actor(centre.api_client)
    case = register.open_case(actor, register.NewCase(
        service_code=1011, identification="anonymous", application_channel="centre"))
    dispatch_due()
    return case


def run_worker_until_idle(max_rounds=20):
    """What the worker's task does, with the clock moved to each retry's due time."""
    for _ in range(max_rounds):
        if integrations.deliver_due() == 0:
            due = integrations.next_due_at()
            if due is None:
                return
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
                next_attempt_at=timezone.now())


def test_registration_is_delivered_signed(setup, receiver):
    admin, centre, institutions = setup
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["case.registered"], secret="s3cret")
    case = open_case(centre)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING  # written with the case, sent after
    run_worker_until_idle()
    headers, body = hook.received[0]
    [event] = json.loads(body)  # a CloudEvents batch
    assert event["type"] == "lv.durvis.case.registered" and event["specversion"] == "1.0"
    assert event["data"]["case_number"] == case.number and event["subject"] == case.number
    assert headers["Content-Type"] == "application/cloudevents-batch+json"
    assert headers["Idempotency-Key"] == headers["Webhook-Id"] == message.idempotency_key
    assert Webhook(b"s3cret").verify(body, headers) == [event]  # Standard Webhooks
    assert "Durvis-Signature" not in headers  # the deprecated header only where kept on
    assert endpoint.secret == "s3cret"
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1


def test_failures_are_retried_with_back_off(setup, receiver):
    admin, centre, institutions = setup
    hook = receiver(failures=2)
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    open_case(centre)
    before = timezone.now()
    assert integrations.deliver_due() == 1
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and message.last_error == "HTTP 503"
    assert message.next_attempt_at >= before + timedelta(seconds=10)
    assert integrations.deliver_due() == 0  # not due yet
    run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 3
    assert len(hook.received) == 3
    assert len({h["Idempotency-Key"] for h, _ in hook.received}) == 1  # the same delivery


def test_a_receiver_that_never_answers_ends_in_the_dead_letters_and_can_be_replayed(
        setup, receiver, settings):
    settings.DURVIS_WEBHOOK_TIMEOUT = 0.3
    admin, centre, institutions = setup
    hook = receiver(hang=True)
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    open_case(centre)
    run_worker_until_idle()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.DEAD
    assert message.attempts == integrations.MAX_ATTEMPTS
    assert "timed out" in message.last_error
    assert integrations.dead_letters(admin, institutions["VSAA"]) == [message]
    hook.hang = False
    integrations.replay(admin, message)
    run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def test_a_refused_connection_is_retried(setup):
    admin, centre, institutions = setup
    integrations.register_webhook(admin, institutions["VSAA"], "http://127.0.0.1:9/hook",
                                  ["case.registered"])
    open_case(centre)
    integrations.deliver_due()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING and "Connection" in message.last_error


def test_no_message_without_a_subscription(setup, receiver):
    admin, centre, institutions = setup
    integrations.register_webhook(admin, institutions["VSAA"], receiver().url,
                                  ["feedback.received"])
    open_case(centre)
    assert not OutboxMessage.objects.exists()


def test_no_message_when_the_change_rolls_back(setup, receiver):
    from django.db import transaction

    admin, centre, institutions = setup
    integrations.register_webhook(admin, institutions["VSAA"], receiver().url,
                                  ["case.registered"])
    with pytest.raises(RuntimeError), transaction.atomic():
        open_case(centre)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the change fails after the message was written")
    assert not OutboxMessage.objects.exists()


def test_only_the_institutions_administrator_manages_webhooks(staff, institutions):
    from django.core.exceptions import PermissionDenied

    for name in ("vid_admin", "agent"):
        with pytest.raises(PermissionDenied):
            integrations.register_webhook(Actor(kind="staff", staff=staff[name]),
                                          institutions["VSAA"], "http://127.0.0.1/x",
                                          ["case.registered"])


def test_a_batch_of_changes_is_one_delivery_to_the_other_institution(setup, api_client_factory,
                                                                     staff):
    _, centre, institutions = setup
    provider_admin = Actor(kind="staff", staff=staff["platform"])  # not VDAA's administrator
    with pytest.raises(PermissionDenied):
        integrations.register_webhook(provider_admin, institutions["VDAA"], "http://127.0.0.1/",
                                      ["case.status_changed"])
    from durvis.identity import services as identity

    vdaa_admin = Actor(kind="staff", staff=identity.record_staff(
        username="admin.vdaa", password="pw-long-enough", institution=institutions["VDAA"],
        roles=["institution_admin"]))
    integrations.register_webhook(vdaa_admin, institutions["VDAA"], "http://127.0.0.1:9/",
                                  ["case.status_changed"])
    cases = [open_case(centre), open_case(centre)]
    holder = integrations.api_actor(api_client_factory("VSAA").api_client)
    register.record_status_events(holder, [
        register.StatusEvent(c.number, occurred_at=timezone.now(), status="in_progress")
        for c in cases])
    dispatch_due()
    message = OutboxMessage.objects.get(event="case.status_changed")
    assert [i["case_number"] for i in message.payload["items"]] == [c.number for c in cases]
    assert all(i["status"] == "in_progress" for i in message.payload["items"])


@pytest.mark.parametrize("status_target", ["/elsewhere", "http://127.0.0.1:9/other"])
def test_a_redirect_is_not_a_delivery(setup, receiver, status_target):
    """Only a 2xx to the signed POST itself delivers a webhook: a 302 is a failed attempt,
    retried and in the end a dead letter, and the redirect is never followed."""
    admin, centre, institutions = setup
    hook = receiver(redirect=status_target)
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    open_case(centre)
    integrations.deliver_due()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING and message.last_error == "HTTP 302"
    assert hook.gets == 0 and len(hook.received) == 1
    run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and hook.gets == 0


def test_a_message_whose_turn_comes_too_late_for_its_lease_is_given_back_unsent(
        setup, receiver, settings, monkeypatch):
    """Messages are leased a few at a time, each until its turn can end; when the ones before it
    took longer than their channel's longest (a record waiting for a busy database), it is not
    sent under a lease that may run out: another worker may have it by then."""
    settings.DURVIS_WEBHOOK_TIMEOUT = 0.5  # the longest delivery: 1 s
    monkeypatch.setattr(integrations, "LEASE_MARGIN", timedelta(seconds=0.5))
    admin, centre, institutions = setup
    hook = receiver()
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    open_case(centre)
    open_case(centre)
    deliver = integrations._deliver

    def slowly(message):
        deliver(message)
        time.sleep(2.5)

    monkeypatch.setattr(integrations, "_deliver", slowly)
    assert integrations.deliver_due(limit=2) == 2  # one leased batch
    assert len(hook.received) == 1
    given_back = OutboxMessage.objects.get(status=OutboxStatus.PENDING)
    assert given_back.leased_by == "" and given_back.attempts == 0
    assert given_back.next_attempt_at <= timezone.now()
    monkeypatch.setattr(integrations, "_deliver", deliver)
    integrations.deliver_due()
    assert len(hook.received) == 2


def test_the_deprecated_signature_is_sent_where_kept_on(setup, receiver):
    """Endpoints registered before Standard Webhooks keep `Durvis-Signature` for one release
    (`legacy_signature`, on for them by the migration): both signatures, one body."""
    admin, centre, institutions = setup
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["case.registered"], secret="s3cret")
    endpoint.legacy_signature = True
    endpoint.save()
    open_case(centre)
    run_worker_until_idle()
    headers, body = hook.received[0]
    stamp, signature = (part.split("=", 1)[1] for part in headers["Durvis-Signature"].split(","))
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert signature == expected and headers["Durvis-Event"] == "case.registered"
    assert Webhook(b"s3cret").verify(body, headers)
