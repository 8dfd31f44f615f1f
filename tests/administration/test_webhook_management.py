"""Webhook endpoints after they are added (issue 9): edited, turned off, sent a test event,
their secret rotated or the endpoint deleted after a confirmation, their failing deliveries
shown while they are still being retried; another institution's endpoint does not exist."""

from __future__ import annotations

import pytest

from durvis.access.policy import Actor
from durvis.audit.models import AuditEvent
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxMessage, WebhookEndpoint


@pytest.fixture
def endpoint(staff):
    actor = Actor(kind="staff", staff=staff["vsaa_admin"])
    return integrations.register_webhook(actor, staff["vsaa_admin"].institution,
                                         "https://vsaa.example.lv/hooks", ["case.registered"])


@pytest.fixture
def admin(client, staff, staff_login):
    return staff_login(client, staff["vsaa_admin"])


def url(endpoint, action=""):
    return f"/administration/integrations/webhooks/{endpoint.pk}/{action}"


def test_edit_and_turn_off(admin, endpoint):
    assert admin.get(url(endpoint)).status_code == 200
    response = admin.post(url(endpoint), {"webhook-url": "https://vsaa.example.lv/v2",
                                          "webhook-events": ["case.result"],
                                          "webhook-version": "0"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "https://vsaa.example.lv/v2" and endpoint.events == ["case.result"]
    assert not endpoint.is_active  # the "on" box was not ticked
    assert integrations.emit("case.result", [endpoint.institution_id], [{"x": 1}]) == []


def test_the_deprecated_header_is_a_setting_of_the_endpoint(admin, endpoint):
    """New endpoints get only the Standard Webhooks signature; the administrator may keep the
    old `Durvis-Signature` for a receiver not yet switched (issue 20)."""
    assert not endpoint.legacy_signature
    page = admin.get(url(endpoint)).content.decode()
    assert "Durvis-Signature" in page
    response = admin.post(url(endpoint), {"webhook-url": endpoint.url,
                                          "webhook-events": endpoint.events,
                                          "webhook-is_active": "on",
                                          "webhook-legacy_signature": "on",
                                          "webhook-version": "0"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.legacy_signature and endpoint.is_active
    change = AuditEvent.objects.filter(action="integrations.webhook.update").get()
    assert change.details["legacy_signature"] is True


def test_rotating_keeps_the_old_secret_valid_for_a_day(admin, endpoint):
    old = endpoint.secret
    admin.post(url(endpoint, "rotate-secret/"), {"confirmed": "yes"})
    endpoint.refresh_from_db()
    assert endpoint.secret.startswith("whsec_") and endpoint.previous_secret == old
    assert integrations.valid_secrets(endpoint) == [endpoint.secret, old]


def test_test_event_and_failures_as_they_happen(admin, endpoint):
    assert admin.post(url(endpoint, "test/")).status_code == 302
    message = OutboxMessage.objects.get(endpoint=endpoint)
    assert message.event == "webhook.test"
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, last_error="HTTP 500")
    assert "HTTP 500" in admin.get(url(endpoint)).content.decode()
    assert "HTTP 500" in admin.get("/administration/integrations/").content.decode()


def test_rotating_the_secret_asks_first(admin, endpoint):
    old = endpoint.secret
    asked = admin.post(url(endpoint, "rotate-secret/"))
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret == old
    shown = admin.post(url(endpoint, "rotate-secret/"), {"confirmed": "yes"})
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert_shown_once(admin, shown, endpoint.secret)


def assert_shown_once(http, response, secret):
    """A secret is handed over by a redirect (a reload never repeats the POST) to a page that
    shows it once, never cached; never in a cookie (the messages cookie); asked for again, the
    page says it was shown (410) and the secret is not on it."""
    assert response.status_code == 302 and secret not in response.content.decode()
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    shown = http.get(response["Location"])
    assert shown.status_code == 200 and f'value="{secret}"' in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    again = http.get(response["Location"])
    assert again.status_code == 410 and secret not in again.content.decode()
    assert "no-store" in again["Cache-Control"]
    return shown


def test_another_institutions_endpoint_does_not_exist(client, staff, staff_login, endpoint):
    other = staff_login(client, staff["vid_admin"])
    assert other.get(url(endpoint)).status_code == 404
    assert other.post(url(endpoint, "rotate-secret/"), {"confirmed": "yes"}).status_code == 404
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_deleting_asks_first_then_drops_the_endpoint_and_its_queue(admin, endpoint):
    admin.post(url(endpoint, "test/"))  # a message still queued for the endpoint
    asked = admin.post(url(endpoint, "delete/"))
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuditEvent.objects.filter(action="integrations.webhook.delete").exists()

    response = admin.post(url(endpoint, "delete/"), {"confirmed": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/administration/integrations/"
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not OutboxMessage.objects.filter(endpoint_id=endpoint.pk).exists()
    event = AuditEvent.objects.get(action="integrations.webhook.delete")
    assert event.object_id == str(endpoint.pk)
    assert event.details["url"] == "https://vsaa.example.lv/hooks"
    assert event.details["queued_dropped"] == 1
    assert admin.get(url(endpoint)).status_code == 404


def test_another_institution_cannot_delete_the_endpoint(client, staff, staff_login, endpoint):
    other = staff_login(client, staff["vid_admin"])
    assert other.post(url(endpoint, "delete/"), {"confirmed": "yes"}).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuditEvent.objects.filter(action="integrations.webhook.delete").exists()


@pytest.mark.parametrize(("error", "latvian"), [
    ("HTTP 503", "Galapunkts atbildēja ar HTTP statusu 503."),
    ("URLError: <urlopen error [Errno 111] Connection refused>", "Galapunkts atteica savienojumu."),
    ("TimeoutError: timed out", "Galapunkts neatbildēja laikā."),
    ("URLError: <urlopen error [Errno -2] Name or service not known>",
     "Galapunkta resursdatora nosaukumu nevarēja atrisināt."),
    ("URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed>",
     "Galapunkta TLS sertifikātu nevarēja pārbaudīt."),
    ("ValueError: something else", "Galapunkts nebija sasniedzams."),
])
def test_a_failed_delivery_is_explained_in_the_readers_language(admin, endpoint, error, latvian):
    """The network library's words (English) are the technical detail, not the explanation."""
    admin.post(url(endpoint, "test/"))
    OutboxMessage.objects.filter(endpoint=endpoint).update(attempts=1, last_error=error)
    for page in (admin.get(url(endpoint)), admin.get("/administration/integrations/")):
        text = page.content.decode()
        assert latvian in text
        assert '<code lang="en" class="technical-detail">' in text
