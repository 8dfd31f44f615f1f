"""The integration surface speaks the ecosystem's standards (issue 20): webhooks verified by the
Standard Webhooks library on a loopback receiver, through a secret rotation; tampered or replayed
deliveries refused; the pull feed of CloudEvents (ordered, scope-filtered, never skipping a
committed event); the AsyncAPI document against the event catalogue in the code."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.integrations import asyncapi, envelope
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage
from durvis.integrations.rules import WEBHOOK_TYPES
from durvis.register import services as register
from tests.integrations import test_outbox
from tests.integrations.event_checks import check_batch, check_event
from tests.integrations.test_outbox import open_case, run_worker_until_idle

receiver = test_outbox.receiver  # the loopback receiver fixture


@pytest.fixture
def setup(staff, institutions, catalogue, api_client_factory):
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    centre = api_client_factory("VDAA")
    return admin, centre, institutions


def verify(secret, headers, body):
    """What a receiver does with the Standard Webhooks library: True when it accepts."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def test_every_delivery_verifies_with_the_library_through_a_rotation(setup, receiver):
    admin, centre, institutions = setup
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["case.registered"])
    first = endpoint.secret
    assert first.startswith("whsec_")
    open_case(centre)
    run_worker_until_idle()

    second = integrations.rotate_secret(admin, endpoint)  # the overlap: both are valid
    assert second.startswith("whsec_") and second != first
    open_case(centre)
    run_worker_until_idle()

    endpoint.refresh_from_db()  # the overlap ends
    endpoint.previous_secret_until = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    open_case(centre)
    run_worker_until_idle()

    (h1, b1), (h2, b2), (h3, b3) = hook.received
    for body in (b1, b2, b3):
        check_batch(body)
    assert verify(first, h1, b1) and not verify(second, h1, b1)
    assert verify(first, h2, b2) and verify(second, h2, b2)  # either secret, during the overlap
    assert len(h2["Webhook-Signature"].split(" ")) == 2
    assert verify(second, h3, b3) and not verify(first, h3, b3)


def test_a_tampered_body_or_an_old_timestamp_fails(setup, receiver):
    admin, centre, institutions = setup
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["case.registered"])
    open_case(centre)
    run_worker_until_idle()
    (headers, body), = hook.received
    assert verify(endpoint.secret, headers, body)
    tampered = body.replace(b'"data":{', b'"data":{"x":1,', 1)
    assert tampered != body and not verify(endpoint.secret, headers, tampered)
    assert not verify("whsec_" + "A" * 43 + "=", headers, body)  # another secret

    message = OutboxMessage.objects.get()
    old = int(time.time()) - 600  # a delivery captured ten minutes ago, replayed now
    old_body, old_headers = integrations.webhook_request(message, old)
    assert old_body == body
    assert not verify(endpoint.secret, old_headers, old_body)
    fresh_body, fresh_headers = integrations.webhook_request(message, int(time.time()))
    assert verify(endpoint.secret, fresh_headers, fresh_body)


def test_the_test_event_is_a_valid_cloud_event(setup, receiver):
    admin, _, institutions = setup
    hook = receiver()
    endpoint = integrations.register_webhook(admin, institutions["VSAA"], hook.url,
                                             ["case.registered"])
    integrations.send_test_event(admin, endpoint)
    run_worker_until_idle()
    (headers, body), = hook.received
    event, = check_batch(body)
    assert event["type"] == "lv.durvis.webhook.test" and verify(endpoint.secret, headers, body)


# --- The pull feed -----------------------------------------------------------------------------

def feed(http, after="0", limit=100):
    response = http.get("/api/v1/events", {"after": after, "limit": limit})
    assert response.status_code == 200, response.content
    page = response.json()
    for event in page["events"]:
        check_event(event, in_feed=True)
    return page


def drain(http, after="0", limit=100):
    events = []
    while True:
        page = feed(http, after, limit)
        if not page["events"]:
            return events, after
        events += page["events"]
        assert page["next_after"] == page["events"][-1]["sequence"]
        after = page["next_after"]


def test_the_feed_carries_the_webhooks_events_in_order(setup, api_client_factory, receiver):
    admin, centre, institutions = setup
    hook = receiver()
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    vsaa = api_client_factory("VSAA", operations=("events:read",))
    cases = [open_case(centre) for _ in range(3)]
    run_worker_until_idle()
    actor = integrations.api_actor(centre.api_client)
    register.record_status_events(actor, [register.StatusEvent(
        cases[0].number, occurred_at=timezone.now(), status="in_progress")])
    dispatch_due()

    events, cursor = drain(vsaa, limit=2)
    assert [(e["type"], e["subject"]) for e in events] == [
        *(("lv.durvis.case.registered", c.number) for c in cases),
        ("lv.durvis.case.status_changed", cases[0].number)]
    delivered = {e["id"]: e for _, body in hook.received for e in json.loads(body)}
    for event in events[:3]:  # the same event, the same id and data in a webhook and the feed
        same = delivered[event["id"]]
        assert {k: v for k, v in event.items() if k != "sequence"} == same
    assert feed(vsaa, cursor)["events"] == []
    assert feed(vsaa, cursor)["next_after"] == cursor


def test_the_feed_is_scope_filtered(setup, api_client_factory, catalogue):
    _, centre, _ = setup
    open_case(centre)
    run_worker_until_idle()
    vsaa = api_client_factory("VSAA", operations=("events:read",))
    assert len(feed(vsaa)["events"]) == 1
    childbirth = api_client_factory("VSAA", operations=("events:read",),
                                    services=[catalogue["childbirth"]])
    assert len(feed(childbirth)["events"]) == 1
    other = api_client_factory("VSAA", operations=("events:read",), services=[catalogue["draft"]])
    assert feed(other)["events"] == []  # a client limited to another service
    vid = api_client_factory("VID", operations=("events:read",))
    assert feed(vid)["events"] == []  # another institution's events are not its
    no_scope = api_client_factory("VSAA", operations=("cases:read",))
    refused = no_scope.get("/api/v1/events")
    assert refused.status_code == 403 and refused.json()["detail"][0]["type"] == "forbidden"
    bad = vsaa.get("/api/v1/events", {"after": "05"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "after"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite serialises them)")
def test_an_event_committing_late_is_not_skipped(institutions, api_client_factory, catalogue):
    """As the register's change feed (tests/register/test_sync_order.py): a batch of events
    still committing when a later one commits first is listed after it, never skipped."""
    from tests.register.test_sync_order import Thread

    reader = api_client_factory("VSAA", operations=("events:read",))
    vsaa = institutions["VSAA"].pk
    now = timezone.now()

    def rows(first, count):
        item = {"case_number": "9999 76544", "service_code": 1011, "status": "in_progress",
                "holder_status": "", "status_at": now.isoformat(), "holder_reference": "",
                "change_seq": 1}
        return [(first + n, now, item, [vsaa]) for n in range(count)]

    wrote, release = threading.Event(), threading.Event()

    def late_batch():
        with transaction.atomic():
            integrations.append_to_feed("case.registered", rows(1000, 300))
            wrote.set()
            assert release.wait(30)

    late = Thread(late_batch)
    late.start()
    try:
        assert wrote.wait(30)
        with transaction.atomic():
            integrations.append_to_feed("case.registered", rows(5000, 1))  # commits first
        seen, cursor = drain(reader)
        assert seen == []  # the one behind the batch in flight waits for it
        release.set()
        late.join()
    finally:
        release.set()
    rest, _ = drain(reader, cursor)
    ids = [int(e["id"]) for e in seen + rest]
    assert sorted(ids) == [*range(1000, 1300), 5000] and len(set(ids)) == len(ids)


# --- The AsyncAPI document ---------------------------------------------------------------------

def test_the_asyncapi_document_describes_the_catalogue(client):
    served = client.get("/api/v1/asyncapi.json")
    assert served.status_code == 200
    document = served.json()
    assert document == json.loads(json.dumps(asyncapi.document()))
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert set(messages) == {t.key for t in WEBHOOK_TYPES} | {integrations.TEST_EVENT}
    for name, message in messages.items():
        assert message["name"] == envelope.event_type(name)
        assert message["payload"]["properties"]["type"] == {"const": message["name"]}
    feed_types = {t.key for t in WEBHOOK_TYPES if t.in_feed}
    assert set(document["channels"]["feed"]["messages"]) == feed_types
    assert set(document["channels"]["webhooks"]["messages"]) == set(messages)
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        assert {m["$ref"].rsplit("/", 1)[1] for m in operation["messages"]} == set(
            document["channels"][channel]["messages"])
