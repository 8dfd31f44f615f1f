"""The holder's system receives a submitted application as a signed webhook (B9, A10): the
answers and the attachments' links, verified with the signing scheme a receiver uses, on a real
HTTP receiver on loopback; the personal data leaves the outbox once delivered (or given up),
and the activity log says which endpoint received whose data."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.core.events import Event, dispatch_due
from durvis.eforms.handlers import deliver_submitted
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, OutboxStatus
from durvis.integrations.rules import WEBHOOK_TYPES
from tests.integrations.test_outbox import run_worker_until_idle

SECRET = "hook-secret-of-vsaa"


def verified(headers, body, secret=SECRET):
    """What a receiver does: verify the Standard Webhooks signature with its library (which
    also refuses an old timestamp)."""
    try:
        Webhook(secret.encode()).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@pytest.fixture
def admin(staff):
    return Actor(kind="staff", staff=staff["vsaa_admin"])


def test_administrators_can_subscribe_to_submitted_applications():
    assert "application.submitted" in WEBHOOK_TYPES


def test_the_holder_receives_the_answers_signed(
        admin, institutions, receiver, submit_application, delivery_client, settings):
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["application.submitted"], secret=SECRET)
    application = submit_application(delivery_client)
    dispatch_due()  # the worker's event round: the body is built and queued
    message = OutboxMessage.objects.get(event="application.submitted")
    assert message.status == OutboxStatus.PENDING
    run_worker_until_idle()
    (headers, body), = hook.received
    assert verified(headers, body)
    assert not verified(headers, body, secret="another")
    event, = json.loads(body)  # a CloudEvents batch
    assert event["type"] == "lv.durvis.application.submitted"
    item = event["data"]
    assert event["subject"] == application.case.number
    assert "about" not in item  # no outbox bookkeeping reaches the receiver
    assert item["reference"] == str(application.reference)
    assert item["case_number"] == application.case.number
    assert item["answers"]["name"] == "Jānis Bērziņš"
    assert item["client"]["personal_code"] == delivery_client.personal_code
    assert item["acting_person"]["personal_code"] == delivery_client.personal_code
    assert item["form"]["checksum"] == application.form_version.checksum
    assert item["attachments"][0]["url"].startswith(settings.DURVIS_PUBLIC_URL.rstrip("/"))
    assert item["pdf"]["url"].endswith(str(item["pdf"]["document_id"]))

    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    assert delivery_client.personal_code not in json.dumps(message.payload)
    assert "Jānis" not in json.dumps(message.payload)
    assert message.payload["purged"] is True
    queued = AuditEvent.objects.get(action="integrations.webhook.personal_data")
    assert queued.subject_person_id == delivery_client.pk
    assert queued.details["endpoint"] == endpoint.pk and queued.details["url"] == hook.url
    sent = AuditEvent.objects.get(action="integrations.webhook.delivered")
    assert sent.subject_person_id == delivery_client.pk and sent.details["url"] == hook.url
    assert sent.object_id == str(application.pk)


def test_other_institutions_and_other_events_are_not_told(admin, staff, institutions, receiver,
                                                          submit_application, delivery_client):
    vid_hook, other_event = receiver(), receiver()
    integrations.register_webhook(Actor(kind="staff", staff=staff["vid_admin"]),
                                  institutions["VID"], vid_hook.url, ["application.submitted"])
    integrations.register_webhook(admin, institutions["VSAA"], other_event.url,
                                  ["case.registered"])
    submit_application(delivery_client)
    dispatch_due()
    run_worker_until_idle()
    assert vid_hook.received == [] and other_event.received == []
    assert not OutboxMessage.objects.filter(event="application.submitted").exists()


def test_a_dead_letter_loses_the_personal_data_and_is_not_replayed(
        admin, institutions, receiver, submit_application, delivery_client):
    hook = receiver(failures=100)
    integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                  ["application.submitted"], secret=SECRET)
    submit_application(delivery_client)
    dispatch_due()
    run_worker_until_idle(max_rounds=2 * integrations.MAX_ATTEMPTS + 2)
    message = OutboxMessage.objects.get(event="application.submitted")
    assert message.status == OutboxStatus.DEAD
    assert len(hook.received) == integrations.MAX_ATTEMPTS
    assert delivery_client.personal_code not in json.dumps(message.payload)
    with pytest.raises(ValidationError) as refused:
        integrations.replay(admin, message)
    assert refused.value.code == "purged"
    assert not AuditEvent.objects.filter(action="integrations.webhook.delivered").exists()


def test_the_event_handled_twice_queues_one_delivery(admin, institutions, receiver, submit_application,
                                                     delivery_client):
    hook = receiver()
    integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                  ["application.submitted"])
    application = submit_application(delivery_client)
    dispatch_due()
    deliver_submitted([Event(0, "application.submitted", application.case.number,
                             {"application_id": application.pk}, timezone.now())])
    assert OutboxMessage.objects.filter(event="application.submitted").count() == 1
