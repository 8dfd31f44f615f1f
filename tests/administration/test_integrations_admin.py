"""Integration administration (A5, B9): API clients (token shown once), webhooks, dead letters,
status names — each institution's administrator for their own institution only."""

import pytest

from durvis.audit.models import AuditEvent
from durvis.integrations.models import ApiClient, OutboxMessage, OutboxStatus, WebhookEndpoint
from durvis.integrations.services import authenticate
from durvis.register.models import StatusMapping
from tests.administration.test_webhook_management import assert_shown_once


@pytest.fixture
def admin_client(client, staff, catalogue, staff_login):
    return staff_login(client, staff["vsaa_admin"])


def test_overview_for_administrators_only(client, staff, catalogue, staff_login):
    staff_login(client, staff["agent"])
    assert client.get("/administration/integrations/").status_code == 403
    staff_login(client, staff["vsaa_admin"])
    page = client.get("/en/administration/integrations/").content.decode()
    assert "API clients" in page and "Webhooks" in page


def test_create_client_shows_the_token_once_and_stores_its_hash(admin_client, catalogue):
    response = admin_client.post("/administration/integrations/clients/", {
        "client-name": "VSAA lietvedība", "client-operations": ["cases:read", "cases:write"],
        "client-services": [catalogue["childbirth"].pk]})
    assert response.status_code == 302  # a reload of the token's page makes no second client
    page = admin_client.get(response["Location"]).content.decode()
    token = page.split('id="secret" type="text" readonly value="')[1].split('"')[0]
    client = ApiClient.objects.get()
    assert admin_client.get(response["Location"]).status_code == 410
    assert authenticate(token) == client
    assert token not in client.token_hash and client.token_prefix in token
    assert token not in admin_client.get("/administration/integrations/").content.decode()
    assert AuditEvent.objects.filter(action="integrations.api_client.create").exists()


def test_a_client_cannot_cover_another_institutions_service(admin_client, catalogue):
    response = admin_client.post("/administration/integrations/clients/", {
        "client-name": "X", "client-operations": ["cases:read"],
        "client-services": [catalogue["vat"].pk]})
    assert response.status_code == 422
    assert not ApiClient.objects.exists()


def test_revoke_a_client(admin_client, api_client_factory):
    http = api_client_factory("VSAA")
    url = f"/administration/integrations/clients/{http.api_client.pk}/deactivate/"
    asked = admin_client.post(url)  # the first click asks: nothing is revoked yet
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert http.get("/api/v1/cases").status_code != 401
    admin_client.post(url, {"confirmed": "yes"})
    assert http.get("/api/v1/cases").status_code == 401


def test_webhook_and_dead_letter_replay(admin_client, staff, api_client_factory):
    response = admin_client.post("/administration/integrations/webhooks/", {
        "webhook-url": "http://127.0.0.1:9/hook", "webhook-events": ["case.registered"]})
    endpoint = WebhookEndpoint.objects.get()
    assert_shown_once(admin_client, response, endpoint.secret)
    from django.utils import timezone

    message = OutboxMessage.objects.create(endpoint=endpoint, event="case.registered", payload={},
                                           idempotency_key="k", status=OutboxStatus.DEAD,
                                           attempts=8, next_attempt_at=timezone.now(),
                                           last_error="HTTP 500")
    assert "HTTP 500" in admin_client.get("/administration/integrations/").content.decode()
    admin_client.post(f"/administration/integrations/outbox/{message.pk}/replay/")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0


def test_a_delivered_message_is_not_sent_again(admin_client):
    from django.utils import timezone

    admin_client.post("/administration/integrations/webhooks/", {
        "webhook-url": "http://127.0.0.1:9/hook", "webhook-events": ["case.registered"]})
    message = OutboxMessage.objects.create(
        endpoint=WebhookEndpoint.objects.get(), event="case.registered", payload={},
        idempotency_key="k", status=OutboxStatus.DELIVERED, attempts=1,
        next_attempt_at=timezone.now(), delivered_at=timezone.now())
    response = admin_client.post(f"/en/administration/integrations/outbox/{message.pk}/replay/",
                                 follow=True)
    assert "Only a message that failed for good is sent again." in response.content.decode()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1


def test_another_institutions_dead_letter_is_not_found(client, staff, admin_client, staff_login):
    admin_client.post("/administration/integrations/webhooks/", {
        "webhook-url": "http://127.0.0.1:9/hook", "webhook-events": ["case.registered"]})
    from django.utils import timezone

    message = OutboxMessage.objects.create(endpoint=WebhookEndpoint.objects.get(),
                                           event="case.registered", payload={},
                                           idempotency_key="k", status=OutboxStatus.DEAD,
                                           next_attempt_at=timezone.now())
    staff_login(client, staff["vid_admin"])
    assert client.post(f"/administration/integrations/outbox/{message.pk}/replay/").status_code == 404


def test_bad_webhook_is_explained(admin_client):
    response = admin_client.post("/en/administration/integrations/webhooks/", {
        "webhook-url": "not a url", "webhook-events": []})
    assert response.status_code == 422
    assert "host is not a valid name" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_status_mapping(admin_client, catalogue):
    admin_client.post("/administration/integrations/status-mappings/", {
        "mapping-service": catalogue["childbirth"].pk, "mapping-holder_status": "Izskatīšanā",
        "mapping-status": "in_progress"})
    assert StatusMapping.objects.get().status == "in_progress"
    replacing = {"mapping-service": catalogue["childbirth"].pk,
                 "mapping-holder_status": "Izskatīšanā", "mapping-status": "waiting_for_client"}
    asked = admin_client.post("/administration/integrations/status-mappings/", replacing)
    assert asked.status_code == 200 and 'value="waiting_for_client"' in asked.content.decode()
    assert StatusMapping.objects.get().status == "in_progress"  # asked before replacing
    admin_client.post("/administration/integrations/status-mappings/",
                      {**replacing, "confirmed": "yes"})
    assert StatusMapping.objects.get().status == "waiting_for_client"
    foreign = admin_client.post("/administration/integrations/status-mappings/", {
        "mapping-service": catalogue["vat"].pk, "mapping-holder_status": "X",
        "mapping-status": "in_progress"})
    assert foreign.status_code == 422


def test_delete_a_status_mapping_after_confirming(client, staff, staff_login, admin_client,
                                                  catalogue):
    admin_client.post("/administration/integrations/status-mappings/", {
        "mapping-service": catalogue["childbirth"].pk, "mapping-holder_status": "Izskatīšanā",
        "mapping-status": "in_progress"})
    mapping = StatusMapping.objects.get(holder_status="Izskatīšanā")
    delete_url = f"/administration/integrations/status-mappings/{mapping.pk}/delete/"
    assert f'action="{delete_url}"' in admin_client.get(
        "/administration/integrations/").content.decode()

    asked = admin_client.post(delete_url)
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert StatusMapping.objects.filter(pk=mapping.pk).exists()

    other = staff_login(client.__class__(), staff["vid_admin"])
    assert other.post(delete_url, {"confirmed": "yes"}).status_code == 404
    assert StatusMapping.objects.filter(pk=mapping.pk).exists()
    assert not AuditEvent.objects.filter(action="register.status_mapping.delete").exists()

    response = admin_client.post(delete_url, {"confirmed": "yes"})
    assert response.status_code == 302
    assert not StatusMapping.objects.filter(pk=mapping.pk).exists()
    event = AuditEvent.objects.get(action="register.status_mapping.delete")
    assert event.object_id == str(mapping.pk)
    assert event.details == {"service": 1011, "holder_status": "Izskatīšanā",
                             "status": "in_progress"}
