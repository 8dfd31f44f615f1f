"""Integration layer (B9): API clients of institutions' systems, idempotent writes, webhooks and
the outbox through which every message leaves the platform."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Service
from durvis.core.sealed import SealedCharField
from durvis.identity.models import Institution


class ApiClient(models.Model):
    """A back-office or front-office system of one institution, with its scopes (`operations`:
    keys of `durvis.integrations.rules.SCOPES`).

    An empty service list means every service the institution holds or provides. The secret is
    shown once; only its SHA-256 is stored (`token_hash`), `token_prefix` identifies it in logs.
    """

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    operations = models.JSONField(default=list)
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    token_prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.institution.code}: {self.name}"


class CredentialGeneration(models.Model):
    """One row (id 1) whose `value` moves on with every change that could change what a token
    allows: a client updated or deleted (revoked, scopes, token), its services changed, its
    institution's code changed. Database triggers move it (migration 0009, on SQLite and
    PostgreSQL), so no path that changes those tables, an ORM update or plain SQL, is missed.
    Every web process caches token checks (`services.TokenCache`) under the value it read
    before loading them, and reads it again on each request: a changed value drops the cache
    (B9: a revoked token is refused on the very next request, in every process). A missing row
    (a test's flush, a partial restore) is put back with a random value by the next read
    (`services.credential_generation`) or trigger, so a value seen before the row went missing
    never comes back."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class IdempotencyRecord(models.Model):
    """The answer given to one `Idempotency-Key` of one client: a retry gets the same answer."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key")]

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(models.Model):
    """Where an institution wants to be told about events; `events` are keys of
    `durvis.integrations.events.WEBHOOK_TYPES`. Deliveries are signed per Standard Webhooks
    with `secret` (`whsec_<base64>`), and also with `previous_secret` until
    `previous_secret_until` (the overlap of a rotation: the receiver may hold either); both
    kept sealed at rest (`core.sealed.SealedCharField`, DURVIS_SECRET_KEYS).
    `legacy_signature` adds the deprecated `Durvis-Signature` header (endpoints registered
    before Standard Webhooks have it on; it goes in the next release)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=500)
    secret = SealedCharField(max_length=1000)
    previous_secret = SealedCharField(max_length=1000, blank=True, db_default="", default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    legacy_signature = models.BooleanField(db_default=False, default=False)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved on by every change of the address, events or state; the edit form carries it
    # (durvis.core.concurrency).
    version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.url


class FeedEvent(models.Model):
    """One event of the pull feed (`GET /api/v1/events?after=`) for one institution: what a
    webhook of the same event carries (`data`), as a CloudEvent (`durvis.integrations.
    envelope`), for systems that cannot receive webhooks. `event_id` is the domain event's id
    (the CloudEvent's `id`, the same in a webhook), `subject` the case number (empty when the
    event is about no case), `service_code` the case's service where the event names it (a
    client limited to some services sees only theirs).

    The feed is read in the order of (`change_xid`, `id`): the writing transaction's id leads,
    so a reader below the horizon never passes an event still being committed
    (`durvis.core.changes`)."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+",
                                    db_index=False)
    event_id = models.BigIntegerField()
    type = models.CharField(max_length=60)
    subject = models.CharField(max_length=40, blank=True)
    service_code = models.PositiveIntegerField(null=True, blank=True)
    time = models.DateTimeField()
    data = models.JSONField()
    change_xid = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["institution", "change_xid", "id"],
                                name="feed_position")]
        constraints = [models.UniqueConstraint(fields=["institution", "event_id"],
                                               name="feed_event_once")]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be delivered")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Given up (dead letter)")


class OutboxChannel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    # Delivered by an adapter another app registered (`services.OUTBOX_ADAPTERS`, its key in
    # `recipient`): a booking forwarded to an institution's CalDAV calendar (A4).
    ADAPTER = "adapter", _("Adapter")


class OutboxMessage(models.Model):
    """A message leaving the platform, written in the transaction of the change that causes it
    and delivered afterwards by a worker, with retries and a dead-letter state: a webhook call
    to an institution's endpoint, or an e-mail or SMS to a client's `recipient` (the payload
    then holds the text to send, already in the client's language)."""

    channel = models.CharField(max_length=10, choices=OutboxChannel.choices,
                               default=OutboxChannel.WEBHOOK)
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    recipient = models.CharField(max_length=254, blank=True)
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time; while a worker sends it, the end of its lease (`leased_by`: the worker's id).
    next_attempt_at = models.DateTimeField()
    leased_by = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # An SMS's cost: how many segments its text takes (`sms.segments`), set when it is queued;
    # empty for an e-mail or a webhook.
    segments = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(channel="webhook", endpoint__isnull=False)
                           | (~models.Q(channel="webhook") & ~models.Q(recipient=""))),
                name="outbox_has_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} ({self.status})"

    @property
    def error_text(self) -> str:
        """What `last_error` (the technical detail, as the network library said it, in English)
        means, in the reader's language: an HTTP status, a time-out, a refused connection, an
        unknown host name, a certificate that could not be verified, or unreachable. Empty when
        the last attempt did not fail."""
        return describe_delivery_error(self.last_error)


def describe_delivery_error(error: str) -> str:
    """The translated sentence for a stored delivery error (see `OutboxMessage.error_text`)."""
    if not error:
        return ""
    status = re.fullmatch(r"HTTP (\d{3})", error)
    if status:
        return _("The endpoint answered with HTTP status %(status)s.") % {"status": status[1]}
    lowered = error.lower()
    for needles, text in _DELIVERY_ERRORS:
        if any(needle in lowered for needle in needles):
            return str(text)
    return str(_("The endpoint could not be reached."))


_DELIVERY_ERRORS = (
    (("timed out", "timeout"), _("The endpoint did not answer in time.")),
    (("refused",), _("The endpoint refused the connection.")),
    (("name or service not known", "nodename nor servname", "name resolution", "gaierror",
      "no address associated"), _("The endpoint's host name could not be resolved.")),
    (("certificate", "ssl", "tls"), _("The endpoint's TLS certificate could not be verified.")),
)
