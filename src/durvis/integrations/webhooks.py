"""Managing a webhook endpoint after it was added (A5, B9): change its address and events,
turn it off and on, rotate its signing secret, send it a test event, and see its recent
deliveries, failures included while they are still being retried (not only once dead).
Every change asks the access policy and is in the activity log; the secret never is."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from durvis.access.policy import Action, Actor, decide
from durvis.audit.services import record
from durvis.identity.models import Institution
from durvis.integrations.models import OutboxMessage, OutboxStatus, WebhookEndpoint, WebhookEvent
from durvis.integrations.services import _wake_worker

TEST_EVENT = "webhook.test"


def _check(actor: Actor, institution: Institution) -> None:
    if not decide(actor, Action.MANAGE_INTEGRATIONS, institution):
        raise PermissionDenied("only the institution's administrator manages its webhooks")


@transaction.atomic
def update_webhook(actor: Actor, endpoint: WebhookEndpoint, url: str, events: Iterable[str],
                   is_active: bool) -> WebhookEndpoint:
    """Raises ValidationError keyed `events` for an unknown or empty choice, `url` for a bad
    address. A turned-off endpoint gets no new messages; those queued wait for it."""
    _check(actor, endpoint.institution)
    chosen = sorted(set(events))
    if not chosen or set(chosen) - set(WebhookEvent.values):
        raise ValidationError({"events": "Choose events from the list."})
    endpoint.url, endpoint.events, endpoint.is_active = url, chosen, is_active
    endpoint.full_clean()
    endpoint.save(update_fields=["url", "events", "is_active"])
    record(actor, "integrations.webhook.update", endpoint,
           details={"events": chosen, "active": is_active})
    return endpoint


@transaction.atomic
def rotate_secret(actor: Actor, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, at once: deliveries from now on are signed with it."""
    _check(actor, endpoint.institution)
    endpoint.secret = secrets.token_urlsafe(32)
    endpoint.save(update_fields=["secret"])
    record(actor, "integrations.webhook.rotate_secret", endpoint)
    return endpoint.secret


@transaction.atomic
def send_test_event(actor: Actor, endpoint: WebhookEndpoint) -> OutboxMessage:
    """A `webhook.test` delivery with no items, through the outbox like any other (signed,
    retried, listed among the recent deliveries)."""
    _check(actor, endpoint.institution)
    message = OutboxMessage.objects.create(
        endpoint=endpoint, event=TEST_EVENT, payload={"items": []},
        idempotency_key=secrets.token_hex(16), next_attempt_at=timezone.now())
    record(actor, "integrations.webhook.test", endpoint)
    transaction.on_commit(_wake_worker)
    return message


def recent_deliveries(actor: Actor, endpoint: WebhookEndpoint, limit: int = 20
                      ) -> list[OutboxMessage]:
    _check(actor, endpoint.institution)
    return list(OutboxMessage.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
                [:limit])


def failing(actor: Actor, institution: Institution, limit: int = 50) -> list[OutboxMessage]:
    """Messages that failed: dead letters and those still being retried after an error."""
    _check(actor, institution)
    return list(OutboxMessage.objects.filter(endpoint__institution=institution).filter(
        Q(status=OutboxStatus.DEAD) | Q(status=OutboxStatus.PENDING, attempts__gt=0))
        .select_related("endpoint").order_by("-created_at", "-pk")[:limit])
