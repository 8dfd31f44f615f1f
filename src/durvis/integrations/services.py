"""Integration services (B9): API clients and their tokens, idempotent writes, webhooks, and the
outbox: every message that leaves the platform is written here in the transaction of the change
that causes it, then delivered by the worker (`deliver_due`, the worker's "outbox" source).

Delivery is at least once, and as near to once as each channel allows:

- an **e-mail** is recorded as delivered at the moment it is sent (`mail.send_recorded`: before
  the last line of SMTP's DATA), so it never goes out twice, whatever fails around it; a worker
  killed in the microseconds between the two loses it instead;
- an **SMS** and a **webhook** are recorded right after the gateway's or the endpoint's answer
  (the write is retried while the database is locked, so a busy database does not cause a
  repeat); a worker that dies in between, or a lease that runs out while an answer is awaited,
  sends it again with the same `Idempotency-Key` (webhooks) or `reference` (the SMS gateway,
  which sends a reference once): the receiver recognises the repeat.

A worker leases a few messages at a time (`CLAIM`), each for as long as the deliveries before it
and its own may take by their channels' time-outs (`lease`: a short delivery, a short lease);
one whose turn comes too late is given back unsent. The scheduler gives a dead worker's leases
back at once (`durvis.core.worker`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import smtplib
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from standardwebhooks.webhooks import Webhook

from durvis.access.policy import decide, require
from durvis.audit.services import Entry, record, record_many
from durvis.catalog.models import Service
from durvis.catalog.queries import serves
from durvis.core.actor import SYSTEM, Actor, ApiGrant
from durvis.core.changes import current_xid
from durvis.core.concurrency import advance_version
from durvis.core.prepared import PreparedInsert, PreparedUpdate
from durvis.core.registry import Registry
from durvis.core.worker import SOURCES, Source, retry_locked, wake, worker_id
from durvis.identity.models import Institution, Person
from durvis.integrations import envelope, mail, sms
from durvis.integrations.addresses import check_webhook_url, webhook_opener
from durvis.integrations.models import (
    ApiClient,
    CredentialGeneration,
    FeedEvent,
    IdempotencyRecord,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
)
from durvis.integrations.rules import SCOPES, WEBHOOK_TYPES, IntegrationAction

TOKEN_PREFIX = "dv"  # noqa: S105 - the public prefix of every token, not a secret
MAX_ATTEMPTS = 8


# --- API clients -------------------------------------------------------------------------------

@transaction.atomic
def create_api_client(
    actor: Actor, institution: Institution, name: str, operations: Iterable[str],
    services: Iterable[Service] = (),
) -> tuple[ApiClient, str]:
    """Create an API client of `institution` (B9) allowed `operations` (scope keys, e.g.
    `cases:write`) and limited to `services` (none given: all its services); returns it and
    its token (`dv_<prefix>_<secret>`), which is shown once and never stored (only its SHA-256).
    Raises PermissionDenied unless the actor is the institution's administrator
    (`IntegrationAction.MANAGE_INTEGRATIONS`), and ValidationError keyed `operations` (none
    chosen, or a scope nobody declared) or `services` (one the institution neither holds nor
    provides)."""
    if not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, institution):
        raise PermissionDenied("only the institution's administrator manages its API clients")
    operations = sorted(set(operations))
    if not operations or set(operations) - set(SCOPES.keys()):
        raise ValidationError({"operations": "Choose operations from the list."})
    services = list(services)
    foreign = [s.code for s in services if not _serves(institution, s)]
    if foreign:
        raise ValidationError({"services": f"Not held or provided by {institution.code}: {foreign}"})
    prefix = secrets.token_hex(5)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient.objects.create(institution=institution, name=name, operations=operations,
                                      token_prefix=prefix, token_hash=_hash(token))
    client.services.set(services)
    record(actor, "integrations.api_client.create", client,
           details={"operations": operations, "services": [s.code for s in services]})
    return client, token


def _serves(institution: Institution, service: Service) -> bool:
    return serves(service, institution.pk)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# What `create_api_client` makes (`dv_<hex prefix>_<urlsafe secret>`), with room to spare: what
# else a request calls its token is no token, and never reaches the database.
TOKEN_SHAPE = re.compile(r"[a-z]{1,10}_[0-9a-f]{1,20}_[A-Za-z0-9_\-]{1,200}")


def authenticate(token: str) -> ApiClient | None:
    """The active client a bearer token belongs to, or None (also for what cannot be a token,
    e.g. one with a control character)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    client = ApiClient.objects.select_related("institution").filter(
        token_prefix=parts[1], is_active=True).first()
    if client is None or not hmac.compare_digest(client.token_hash, _hash(token)):
        return None
    return client


def api_grant(client: ApiClient) -> ApiGrant:
    """What the client's token allows: its institution, scopes and services (one query for
    the services)."""
    service_ids = frozenset(client.services.values_list("pk", flat=True))
    return ApiGrant(client_id=client.pk, institution_id=client.institution_id,
                    institution_code=client.institution.code,
                    operations=frozenset(client.operations), service_ids=service_ids or None)


def api_actor(client: ApiClient, source_address: str | None = None) -> Actor:
    """The actor of a request made with this client's token; its scopes are read once here."""
    return Actor(kind="api_client", api=api_grant(client), source_address=source_address)


def credential_generation() -> int | None:
    """The credential generation now (`CredentialGeneration`; one indexed read of one row).
    A missing row (a flush, a partial restore) is put back with a random value, never one seen
    before, so that caching resumes at once instead of waiting for the next change of a client
    (a new client moves nothing); None only if it cannot be read even then."""
    with connection.cursor() as cursor:
        cursor.execute(_GENERATION_SQL)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(_RESTORE_SQL, [secrets.randbelow(10**15)])
            cursor.execute(_GENERATION_SQL)
            row = cursor.fetchone()
    return row[0] if row is not None else None


_GENERATION_SQL = f"SELECT value FROM {CredentialGeneration._meta.db_table} WHERE id = 1"  # noqa: S608 - a constant
_RESTORE_SQL = (f"INSERT INTO {CredentialGeneration._meta.db_table} (id, value) VALUES (1, %s) "  # noqa: S608 - a constant
                "ON CONFLICT (id) DO NOTHING")


class TokenCache:
    """A bounded, thread-safe cache of token checks in one process (B9, issue 21): the SHA-256
    of a token (never the token) → the grant it carries, each entry valid while the credential
    generation (`CredentialGeneration`, moved by database triggers on every change to clients,
    their services, institutions' codes) is the one read before it was loaded. A request reads
    the generation once (one query): when it moved, the whole cache is dropped, so a revoked
    token or a changed scope is seen on the very next request in every process. At most
    `size` entries, the least recently used leaving first; refused tokens are not cached."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._entries: OrderedDict[str, ApiGrant] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def grant(self, token: str) -> ApiGrant | None:
        """The grant of an active client's token, or None (no such token, revoked, or not a
        token's shape)."""
        if not TOKEN_SHAPE.fullmatch(token):
            return None
        digest = _hash(token)
        generation = credential_generation()  # read before anything is loaded for the cache
        with self._lock:
            if generation is None or generation != self._generation:
                self._entries.clear()
                self._generation = generation
            cached = self._entries.get(digest)
            if cached is not None:
                self._entries.move_to_end(digest)
                return cached
        client = authenticate(token)
        if client is None:
            return None
        grant = api_grant(client)
        if generation is not None:
            with self._lock:
                if self._generation == generation:
                    self._entries[digest] = grant
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
        return grant


# The web process's cache of token checks (`ApiClientAuth`).
TOKENS = TokenCache()


def token_actor(token: str, source_address: str | None = None,
                cache: TokenCache | None = None) -> Actor | None:
    """The actor of a request with this bearer token (`cache`: the process's `TOKENS`), or
    None for a token that is not an active client's."""
    grant = (TOKENS if cache is None else cache).grant(token)
    if grant is None:
        return None
    return Actor(kind="api_client", api=grant, source_address=source_address)


# --- Idempotency -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IdempotencyConflict(Exception):
    """An `Idempotency-Key` (`key`) used again with another request; the API answers 409."""

    key: str


# The claim and the answer written into it, compiled once: every keyed write does them.
_CLAIM = PreparedInsert(IdempotencyRecord)
_ANSWER = PreparedUpdate(IdempotencyRecord, ["status_code", "response_body"])


def idempotent(
    client_id: int, key: str | None, fingerprint: str, handler: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run `handler` once per (client, key): a retry with the same key and the same request gets
    the stored answer; the same key with another request is a conflict. The record is written in
    the handler's transaction, so a failed write leaves no record and can be retried.

    The key is claimed (its record inserted) before the handler runs: a concurrent request with
    the same key waits on that row until the first one ends, and then gets its answer (or, if
    the first failed, runs itself). So the handler runs once even under concurrent retries and
    leaves nothing behind for the losers, such as a document's file written before a commit that
    never came.

    `key` is the client's `Idempotency-Key` (None or empty: the handler just runs, in a
    transaction); `fingerprint` stands for the request (method, path, body) and is stored
    hashed; `handler` returns (HTTP status, body), and answers of 500 and above are not stored.
    Raises IdempotencyConflict for a known key with another fingerprint, and whatever `handler`
    raises (nothing is stored then; an IntegrityError of its own is re-raised)."""
    if not key:
        with transaction.atomic():
            return handler()
    request_hash = hashlib.sha256(fingerprint.encode()).hexdigest()
    try:  # a new key (the common case) costs no read first: a known one fails the claim
        with transaction.atomic():
            claim = _CLAIM.save(IdempotencyRecord(
                client_id=client_id, key=key, request_hash=request_hash, status_code=0,
                response_body={}))
            status, body = handler()
            if status < 500:
                _ANSWER.run(claim.pk, status, json.loads(json.dumps(body, cls=DjangoJSONEncoder)))
            else:
                claim.delete()
            return status, body
    except IntegrityError:
        stored = _stored_answer(client_id, key, request_hash)  # a retry, or a concurrent one won
        if stored is None:
            raise
        return stored


def _stored_answer(client_id: int, key: str, request_hash: str) -> tuple[int, Any] | None:
    record_ = IdempotencyRecord.objects.filter(client_id=client_id, key=key).first()
    if record_ is None:
        return None
    if record_.request_hash != request_hash:
        raise IdempotencyConflict(key)
    return record_.status_code, record_.response_body


# --- Webhooks and the outbox -------------------------------------------------------------------

def register_webhook(actor: Actor, institution: Institution, url: str, events: Iterable[str],
                     secret: str | None = None) -> WebhookEndpoint:
    """Subscribe the institution's `url` to webhook `events` (keys of `WEBHOOK_TYPES`, e.g.
    `case.status_changed`); deliveries are signed per Standard Webhooks with `secret`
    (`new_secret`, `whsec_<base64>`, when None: the caller shows it to the administrator once).
    Audited. Raises PermissionDenied unless
    the actor is the institution's administrator (`IntegrationAction.MANAGE_INTEGRATIONS`), and
    ValidationError keyed `events` (none chosen, or an unknown one) or by model field (e.g. a
    `url` that is not valid) from the model's validation, and keyed `url` for an address
    webhooks may not call (`addresses.check_webhook_url`: not https, internal)."""
    if not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, institution):
        raise PermissionDenied("only the institution's administrator manages its webhooks")
    events = sorted(set(events))
    if not events or set(events) - set(WEBHOOK_TYPES.keys()):
        raise ValidationError({"events": gettext("Choose events from the list.")})
    endpoint = WebhookEndpoint(institution=institution, url=url, events=events,
                               secret=secret or new_secret())
    check_webhook_url(url)  # first: `ftp://…` is told the scheme, not that it is no URL
    endpoint.full_clean()
    endpoint.save()
    record(actor, "integrations.webhook.create", endpoint, details={"events": events})
    return endpoint


def check_public_url(url: str) -> None:
    """Refuse an address the platform may not call or send a client to, by the webhook rules
    (`addresses.check_webhook_url`: https only, no credentials, no internal host). Raises
    ValidationError keyed `url` (codes `scheme`, `host`, `credentials`, `port`,
    `unresolvable`, `internal`)."""
    check_webhook_url(url)


def emit(event: str, institution_ids: Iterable[int], items: list[dict[str, Any]], *,
         secret: bool = False, meta: list[dict[str, Any]] | None = None) -> list[OutboxMessage]:
    """Write one outbox message to every active endpoint of the institutions that subscribed to
    `event`, carrying all `items` of one change (a batch of 1,000 status events is one delivery
    of 1,000 items, not 1,000 deliveries); the worker is woken when the transaction commits.
    Returns the messages written (none: nobody subscribed, or no items). Each item is sent as
    a CloudEvent (`envelope`) whose `data` it is; `meta` gives, item by item, its `id`, `time`
    (ISO) and `subject` (the domain event's id, when it happened, the case number); without
    it an item's id is the message's key and its place, its time the message's.

    A `secret` message carries personal data (use `emit_personal_data`, which also audits
    it): its items are kept only until it is delivered or given up, then removed from the
    outbox (`purged_payload`), as a secret notification's text is; a dead letter so purged is
    not replayed."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(
        institution_id__in=set(institution_ids), is_active=True) if event in e.events]
    if not endpoints or not items:
        return []
    now = timezone.now()
    payload: dict[str, Any] = {"items": items, **({"secret": True} if secret else {}),
                               **({"meta": meta} if meta is not None else {})}
    messages = [
        OutboxMessage(endpoint=endpoint, event=event, payload=payload,
                      idempotency_key=secrets.token_hex(16), next_attempt_at=now)
        for endpoint in endpoints
    ]
    OutboxMessage.objects.bulk_create(messages)
    transaction.on_commit(wake)
    return messages


def append_to_feed(event: str, rows: Iterable[tuple[int, Any, dict[str, Any], Iterable[int]]]
                   ) -> int:
    """Write forwarded events into the pull feed of each institution they go to, in the
    caller's transaction (the forwarding handler's, after the change committed): `rows` are
    (domain event id, when it happened, the item, institution ids). Each row is stamped with
    the writing transaction's id (`durvis.core.changes.current_xid`), so a reader never passes
    one still being committed. An event already in an institution's feed (a handler run again)
    is not written twice. Returns how many rows were offered."""
    xid = current_xid()
    feed = [FeedEvent(institution_id=institution, event_id=event_id, type=event,
                      subject=envelope.subject_of(item) or "",
                      service_code=_service_code(item), time=occurred_at, data=item,
                      change_xid=xid)
            for event_id, occurred_at, item, institutions in rows
            for institution in sorted(set(institutions))]
    FeedEvent.objects.bulk_create(feed, ignore_conflicts=True)
    return len(feed)


def _service_code(item: dict[str, Any]) -> int | None:
    code = item.get("service_code")
    return int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) \
        else None


def emit_personal_data(actor: Actor, event: str, institution_ids: Iterable[int],
                       item: dict[str, Any], *, about: Any, subject: Person | None
                       ) -> list[OutboxMessage]:
    """`emit` one `item` that carries personal data (an application's answers, B9) as a secret
    message to every subscribed endpoint of the institutions, in the caller's transaction;
    audited per endpoint (`integrations.webhook.personal_data`: which endpoint, its address,
    the message's key; `about` is the record the data is of, `subject` the person it is
    about), and again, by the worker, when it was delivered (`integrations.webhook.delivered`).
    Once delivered or given up, the item is removed from the outbox. Returns the messages."""
    messages = emit(event, institution_ids, [item], secret=True)
    if not messages:
        return []
    label = about._meta.label_lower if about is not None else ""
    trace = {"object_type": label, "object_id": str(about.pk) if about is not None else "",
             "subject": subject.pk if subject is not None else None}
    for message in messages:
        message.payload = {**message.payload, "about": trace}
    OutboxMessage.objects.bulk_update(messages, ["payload"])
    record_many(actor, [Entry.about(
        "integrations.webhook.personal_data", about, subject=subject,
        details={"endpoint": m.endpoint_id, "url": m.endpoint.url if m.endpoint else "",
                 "event": event, "message": m.idempotency_key}) for m in messages])
    return messages


def already_emitted(event: str, about: Any) -> bool:
    """Whether `emit_personal_data` wrote `event` about the record `about` already (a handler
    run again after a crash writes nothing twice)."""
    return OutboxMessage.objects.filter(
        event=event, payload__about__object_type=about._meta.label_lower,
        payload__about__object_id=str(about.pk)).exists()


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> Webhook:
    """The Standard Webhooks signer of `secret`: a `whsec_` secret's key is its base64 part; an
    endpoint's secret from before (any other text) is used as its bytes."""
    if secret.startswith("whsec_"):
        return Webhook(secret)
    return Webhook(secret.encode())


def valid_secrets(endpoint: WebhookEndpoint, now: Any = None) -> list[str]:
    """The secrets deliveries to `endpoint` are signed with now: its secret, and during a
    rotation's overlap (`rotate_secret`) the previous one too."""
    now = now or timezone.now()
    previous = (endpoint.previous_secret if endpoint.previous_secret
                and endpoint.previous_secret_until and endpoint.previous_secret_until > now
                else "")
    return [endpoint.secret, *([previous] if previous else [])]


def standard_signature_headers(endpoint: WebhookEndpoint, message_id: str, timestamp: int,
                               body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery: `webhook-id` (the message's key, the same
    on every retry), `webhook-timestamp` (Unix seconds) and `webhook-signature`
    (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per valid secret, separated by
    a space, so a receiver holding either secret of a rotation verifies it)."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    text = body.decode()
    signatures = [signing_key(secret).sign(message_id, when, text)
                  for secret in valid_secrets(endpoint)]
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures)}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Deprecated (`Durvis-Signature`, sent only to endpoints with `legacy_signature`, until
    the next release): `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def backoff(attempts: int) -> timedelta:
    """Exponential: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 3600))


CLAIM = 10
LEASE_MARGIN = timedelta(seconds=10)


def deliver_due(limit: int = 50) -> int:
    """Deliver up to `limit` messages that are due, oldest first; returns how many were
    attempted. They are leased `CLAIM` at a time, each until the latest its delivery can end if
    every one before it takes its channel's longest (`lease`): parallel workers never send one
    message at once, and a message whose turn comes too late for its lease is given back
    unsent. Sent outside any transaction; a failed delivery is recorded on its message (retried
    after `backoff`, dead after MAX_ATTEMPTS or a permanent refusal), not raised."""
    attempted = 0
    while attempted < limit and (batch := retry_locked(partial(
            _lease_due, min(CLAIM, limit - attempted)))):
        for message in batch:
            if timezone.now() + _longest(message.channel) > message.next_attempt_at:
                retry_locked(partial(_give_back, message))
            else:
                _deliver(message)
        attempted += len(batch)
    return attempted


def lease(channel: str) -> timedelta:
    """How long one delivery by `channel` is leased: the longest it takes and a margin. A short
    delivery has a short lease, so the message of a worker lost without a trace (not a
    registered worker) is sent again soon."""
    return _longest(channel) + LEASE_MARGIN


def _longest(channel: str) -> timedelta:
    """Connecting and waiting for the answer, each within the channel's time-out."""
    timeout = (settings.EMAIL_TIMEOUT if channel == OutboxChannel.EMAIL
               else settings.DURVIS_WEBHOOK_TIMEOUT) or 10
    return timedelta(seconds=2 * timeout)


def _lease_due(count: int) -> list[OutboxMessage]:
    now = timezone.now()
    with transaction.atomic():
        due = list(OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("endpoint")
                   .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
                   .order_by("next_attempt_at", "pk")[:count])
        end = now
        for message in due:
            end += lease(message.channel)
            message.leased_by, message.next_attempt_at = worker_id(), end
        OutboxMessage.objects.bulk_update(due, ["leased_by", "next_attempt_at"])
    return due


def _give_back(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.PENDING, leased_by=message.leased_by,
    ).update(leased_by="", next_attempt_at=timezone.now())


def release_leases(worker_ids: Sequence[str]) -> int:
    """Make the messages leased by these (dead) workers due now; returns how many."""
    return OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, leased_by__in=list(worker_ids),
    ).update(leased_by="", next_attempt_at=timezone.now())


def sms_available() -> bool:
    """Whether an SMS gateway is configured (a phone can be told, and confirmed, by SMS)."""
    return sms.is_configured()


def sms_segments(text: str) -> int:
    """How many SMS segments `text` takes (GSM 03.38 7-bit: 160 in one, 153 per part of a longer
    one; any other text as UCS-2: 70 and 67)."""
    return sms.segments(text)


def enqueue_notification(channel: str, recipient: str, event: str, subject: str, body: str,
                         *, secret: bool = False,
                         attachments: Sequence[tuple[str, str, str]] = ()) -> OutboxMessage:
    """Write an e-mail or SMS to a client into the outbox (sent by the worker after commit):
    `channel` is an `OutboxChannel` (`email`, `sms`), `recipient` the address or the phone
    number without spaces, `event` what it is about (for the records). A `secret` text (it
    carries a confirmation code) is kept only until it is delivered or given up: then its
    subject and body are removed from the outbox (`purged_payload`; issue 11, C2). An SMS
    records how many segments it takes (`segments`: what it costs). An e-mail's `attachments`
    are (file name, text content, content type), such as an appointment's `.ics`; an SMS has
    none."""
    payload: dict[str, Any] = {"subject": subject, "body": body}
    if secret:
        payload["secret"] = True
    if attachments and channel == OutboxChannel.EMAIL:
        payload["attachments"] = [list(a) for a in attachments]
    message = OutboxMessage.objects.create(
        channel=channel, recipient=recipient, event=event, payload=payload,
        segments=sms.segments(body) if channel == OutboxChannel.SMS else None,
        idempotency_key=secrets.token_hex(16), next_attempt_at=timezone.now())
    transaction.on_commit(wake)
    return message


@dataclass(frozen=True)
class OutboxAdapter:
    """A way out of the outbox that another app provides (`OutboxChannel.ADAPTER`): `deliver`
    is given the message's payload and returns (error, permanent): ("", _) when delivered, else
    what went wrong and whether retrying is pointless. It runs outside any transaction, and a
    raised exception counts as a failure to retry."""

    key: str
    deliver: Callable[[dict[str, Any]], tuple[str, bool]]


OUTBOX_ADAPTERS: Registry[OutboxAdapter] = Registry("outbox adapters")


def enqueue_adapter(key: str, event: str, payload: dict[str, Any]) -> OutboxMessage:
    """Write a message for the adapter `key` (of `OUTBOX_ADAPTERS`) into the outbox, in the
    caller's transaction; the worker delivers it after the commit, with the outbox's retries
    and dead letter. Raises KeyError for an unknown adapter."""
    OUTBOX_ADAPTERS.get(key)
    message = OutboxMessage.objects.create(
        channel=OutboxChannel.ADAPTER, recipient=key, event=event, payload=payload,
        idempotency_key=secrets.token_hex(16), next_attempt_at=timezone.now())
    transaction.on_commit(wake)
    return message


def _deliver_adapter(message: OutboxMessage) -> tuple[str, bool]:
    try:
        return OUTBOX_ADAPTERS.get(message.recipient).deliver(message.payload)
    except Exception as exc:  # an adapter's failure is the message's, retried like any other
        return f"{type(exc).__name__}: {exc}"[:500], False


def _deliver(message: OutboxMessage) -> None:
    if message.channel == OutboxChannel.EMAIL:
        _deliver_email(message)
        return
    senders = {OutboxChannel.WEBHOOK: _deliver_webhook, OutboxChannel.SMS: _deliver_sms,
               OutboxChannel.ADAPTER: _deliver_adapter}
    error, permanent = senders[OutboxChannel(message.channel)](message)
    retry_locked(partial(_record_attempt, message, error, permanent))


def _deliver_email(message: OutboxMessage) -> None:
    """Sent and recorded in one step (`mail.send_recorded`); a failure before it is recorded as
    usual, and so is a refusal that comes after it."""
    email = EmailMessage(
        subject=message.payload["subject"], body=message.payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL, to=[message.recipient],
        headers={"Message-ID": make_msgid(idstring=message.idempotency_key,
                                          domain="durvis.example.lv"),
                 "Auto-Submitted": "auto-generated"})
    for name, content, content_type in message.payload.get("attachments", []):
        email.attach(name, content, content_type)
    try:
        mail.send_recorded(email, partial(_record_sent, message))
    except smtplib.SMTPRecipientsRefused as exc:
        error = f"recipient refused: {list(exc.recipients.values())[:1]}"[:500]
        retry_locked(partial(_record_attempt, message, error, True))
    except mail.SentThenRefused as exc:
        retry_locked(partial(_record_attempt, message, f"refused after sending: {exc}"[:500],
                             exc.smtp_code >= 500))
    except (smtplib.SMTPException, OSError) as exc:
        retry_locked(partial(_record_attempt, message, f"{type(exc).__name__}: {exc}"[:500]))


def _record_sent(message: OutboxMessage) -> bool:
    """Delivered, if this worker still holds the message (else another one sends it)."""
    return bool(retry_locked(lambda: OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.PENDING, leased_by=message.leased_by,
    ).update(status=OutboxStatus.DELIVERED, delivered_at=timezone.now(), last_error="",
             attempts=message.attempts + 1, leased_by="", **_final_payload(message))))


def _final_payload(message: OutboxMessage) -> dict[str, Any]:
    """The payload change when a message reaches its end (delivered or dead): a secret text
    (a confirmation code) or a webhook's personal data is removed, so that none stays readable
    in the database or its backups; what it was about (ids only) stays for the records."""
    if not message.payload.get("secret"):
        return {}
    about = message.payload.get("about")
    return {"payload": {**purged_payload(), **({"about": about} if about else {})}}


def purged_payload() -> dict[str, Any]:
    """What is left of a secret message's payload once it is delivered or given up."""
    return {"secret": True, "purged": True}


def _audit_delivered(message: OutboxMessage) -> None:
    """A webhook carrying personal data reached its endpoint: said in the activity log (by
    the platform), with whose data it was."""
    about = message.payload.get("about")
    if message.channel != OutboxChannel.WEBHOOK or not about:
        return
    record_many(SYSTEM, [Entry(
        "integrations.webhook.delivered", about["object_type"], about["object_id"],
        about["subject"], details={"endpoint": message.endpoint_id, "event": message.event,
                                   "message": message.idempotency_key,
                                   "url": message.endpoint.url if message.endpoint else ""})])


def _deliver_sms(message: OutboxMessage) -> tuple[str, bool]:
    try:
        sms.send(message.recipient, message.payload["body"], message.idempotency_key)
    except sms.SmsRejected as exc:
        return str(exc)[:500], True
    except sms.SmsUnavailable as exc:
        return str(exc)[:500], False
    return "", False


_WEBHOOK_OPENER = webhook_opener()


def webhook_events(message: OutboxMessage) -> list[dict[str, Any]]:
    """The CloudEvents a webhook message delivers (`envelope`): one per item, with the id,
    time and subject its `meta` gives (else the message's key and place, its time, the item's
    case number). A secret message's bookkeeping (`about`) is not the receiver's."""
    items = message.payload.get("items", [])
    meta = message.payload.get("meta") or [{} for _ in items]
    created = message.created_at or timezone.now()
    return [envelope.cloud_event(
        message.event, about.get("id") or f"{message.idempotency_key}-{n}",
        about.get("time") or created, item,
        subject=about.get("subject", envelope.subject_of(item)))
        for n, (item, about) in enumerate(zip(items, meta, strict=True))]


def webhook_request(message: OutboxMessage, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """A webhook message's body (a CloudEvents JSON batch) and headers at `timestamp` (Unix
    seconds): the Standard Webhooks signature (`standard_signature_headers`), and for an
    endpoint with `legacy_signature` the deprecated `Durvis-Signature`."""
    endpoint = message.endpoint
    assert endpoint is not None  # a webhook has one (a constraint)
    body = envelope.batch_body(webhook_events(message))
    headers = {
        "Content-Type": envelope.BATCH_CONTENT_TYPE,
        "User-Agent": "Durvis-Webhooks/2",
        "Idempotency-Key": message.idempotency_key,
        **standard_signature_headers(endpoint, message.idempotency_key, timestamp, body),
    }
    if endpoint.legacy_signature:
        headers["Durvis-Event"] = message.event
        headers["Durvis-Signature"] = sign(endpoint.secret, timestamp, body)
    return body, headers


def _deliver_webhook(message: OutboxMessage) -> tuple[str, bool]:
    endpoint = message.endpoint
    assert endpoint is not None  # a webhook has one (a constraint)
    body, headers = webhook_request(message, int(time.time()))
    request = urllib.request.Request(endpoint.url, data=body, method="POST",  # noqa: S310
                                     headers=headers)
    error = ""
    try:
        with _WEBHOOK_OPENER.open(request, timeout=settings.DURVIS_WEBHOOK_TIMEOUT) as response:
            if not 200 <= response.status < 300:
                error = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, timed out, bad URL
        error = f"{type(exc).__name__}: {exc}"[:500]
    return error, False


def _record_attempt(message: OutboxMessage, error: str, permanent: bool = False) -> None:
    """A success is final; a permanent refusal (a bad address) goes straight to the dead letters;
    anything else is retried with back-off until the last attempt."""
    now = timezone.now()
    attempts = message.attempts + 1
    if not error:
        changes: dict[str, Any] = {"status": OutboxStatus.DELIVERED, "delivered_at": now,
                                   "last_error": "", **_final_payload(message)}
        with transaction.atomic():
            if OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=attempts, leased_by="", **changes):
                _audit_delivered(message)
        return
    elif permanent or attempts >= MAX_ATTEMPTS:
        changes = {"status": OutboxStatus.DEAD, "last_error": error, **_final_payload(message)}
    else:
        changes = {"status": OutboxStatus.PENDING, "next_attempt_at": now + backoff(attempts),
                   "last_error": error}
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=attempts, leased_by="", **changes)


def next_due_at() -> Any:
    """When the earliest pending message is due (the worker sleeps until then), or None."""
    return (OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())


def dead_letters(actor: Actor, institution: Institution) -> list[OutboxMessage]:
    """The institution's webhook messages that failed for good (dead letters), newest first,
    for its administrator to inspect and `replay`. Raises PermissionDenied unless the actor is
    the institution's administrator (`IntegrationAction.MANAGE_INTEGRATIONS`)."""
    if not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, institution):
        raise PermissionDenied
    return list(OutboxMessage.objects.filter(endpoint__institution=institution,
                                             status=OutboxStatus.DEAD).order_by("-created_at"))


@transaction.atomic
def replay(actor: Actor, message: OutboxMessage) -> None:
    """Send a dead letter again (an administrator fixed the receiving end): it is pending again
    with its attempts reset, and audited. Raises PermissionDenied unless it is a webhook message
    of an institution the actor administers (`IntegrationAction.MANAGE_INTEGRATIONS`); an
    e-mail or SMS to a client has no endpoint and is refused alike; ValidationError (`not_dead`)
    for a message that is not a dead letter (one delivered or still pending is not sent again)."""
    endpoint = (WebhookEndpoint.objects.filter(pk=message.endpoint_id).first()
                if message.endpoint_id is not None else None)
    if endpoint is None or not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution):
        raise PermissionDenied
    if OutboxMessage.objects.filter(pk=message.pk, payload__purged=True).exists():
        raise ValidationError(gettext(
            "Its personal data was removed when it failed for good: the system reads it "
            "through the API instead (for an application: GET /api/v1/applications)."),
            code="purged")
    if not OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
            leased_by=""):
        raise ValidationError(gettext("Only a message that failed for good is sent again."),
                              code="not_dead")
    record(actor, "integrations.outbox.replay", message)
    transaction.on_commit(wake)


def clients_of(institution: Institution) -> list[ApiClient]:
    """The institution's API clients, newest first, with their services (the administration
    page; no access check: the caller makes it)."""
    return list(ApiClient.objects.filter(institution=institution).prefetch_related("services")
                .order_by("-created_at"))


def webhooks_of(institution: Institution) -> list[WebhookEndpoint]:
    """The institution's webhook endpoints, newest first (the administration page; no access
    check: the caller makes it)."""
    return list(WebhookEndpoint.objects.filter(institution=institution).order_by("-created_at"))


@transaction.atomic
def deactivate_api_client(actor: Actor, client: ApiClient) -> None:
    """Revoke a client's token at once (a leaked secret, a retired system); audited. Raises
    PermissionDenied unless the actor is the administrator of the client's institution
    (`IntegrationAction.MANAGE_INTEGRATIONS`)."""
    if not decide(actor, IntegrationAction.MANAGE_INTEGRATIONS, client.institution):
        raise PermissionDenied
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    record(actor, "integrations.api_client.deactivate", client)


# --- Managing a webhook endpoint after it was added (A5, B9) -----------------------------------
# Change its address and events, turn it off and on, rotate its signing secret, send it a test
# event, and see its recent deliveries, failures included while they are still being retried
# (not only once dead). Every change asks the access policy and is in the activity log; the
# secret never is.

TEST_EVENT = "webhook.test"



@transaction.atomic
def update_webhook(actor: Actor, endpoint: WebhookEndpoint, url: str, events: Iterable[str],
                   is_active: bool, *, version: int | None = None,
                   legacy_signature: bool | None = None) -> WebhookEndpoint:
    """Change an endpoint's address, events and state (A5, B9), and whether its deliveries
    also carry the deprecated `Durvis-Signature` (`legacy_signature`; None: unchanged);
    audited, and its version moves on. `version` is the version the edit form was opened on
    (None: no form). Raises
    PermissionDenied unless the actor administers the endpoint's institution
    (`IntegrationAction.MANAGE_INTEGRATIONS`); StaleVersion (`durvis.core.concurrency`), saving
    nothing, when the endpoint changed after the form was opened; ValidationError keyed
    `events` for an unknown or empty choice, `url` for a bad address or one webhooks may not
    call (`addresses.check_webhook_url`). A turned-off endpoint gets no new messages; those
    queued wait for it."""
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution)
    chosen = sorted(set(events))
    if not chosen or set(chosen) - set(WEBHOOK_TYPES.keys()):
        raise ValidationError({"events": gettext("Choose events from the list.")})
    new_version = advance_version(WebhookEndpoint.objects.filter(pk=endpoint.pk), version)
    endpoint.url, endpoint.events, endpoint.is_active = url, chosen, is_active
    if legacy_signature is not None:
        endpoint.legacy_signature = legacy_signature
    check_webhook_url(url)
    endpoint.full_clean()
    endpoint.version = new_version
    endpoint.save(update_fields=["url", "events", "is_active", "legacy_signature"])
    record(actor, "integrations.webhook.update", endpoint,
           details={"events": chosen, "active": is_active,
                    "legacy_signature": endpoint.legacy_signature})
    return endpoint


ROTATION_OVERLAP = timedelta(hours=24)


@transaction.atomic
def rotate_secret(actor: Actor, endpoint: WebhookEndpoint,
                  overlap: timedelta = ROTATION_OVERLAP) -> str:
    """A new signing secret (`new_secret`), returned to be shown once. For `overlap` (a day)
    deliveries carry two signatures, by the new secret and the one it replaces, so the
    receiver can switch to the new one at any moment of it (Standard Webhooks); then only the
    new one. Audited. Raises PermissionDenied unless the actor administers the endpoint's
    institution (`IntegrationAction.MANAGE_INTEGRATIONS`)."""
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.previous_secret_until = timezone.now() + overlap
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    record(actor, "integrations.webhook.rotate_secret", endpoint,
           details={"overlap_hours": overlap.total_seconds() / 3600})
    return endpoint.secret


@transaction.atomic
def delete_webhook(actor: Actor, endpoint: WebhookEndpoint) -> int:
    """Delete the endpoint for good, with its deliveries (the outbox's foreign key cascades):
    messages still queued for it are dropped, not sent, and its dead letters and delivery
    history go too (the activity log keeps the deletion, with the address and how many queued
    messages were dropped). A message being sent at that moment finishes its one attempt, then
    is gone. Returns how many queued messages were dropped. Audited. Raises PermissionDenied
    unless the actor is the institution's administrator
    (`IntegrationAction.MANAGE_INTEGRATIONS`)."""
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution)
    queued = OutboxMessage.objects.filter(endpoint=endpoint,
                                          status=OutboxStatus.PENDING).count()
    record(actor, "integrations.webhook.delete", endpoint,
           details={"url": endpoint.url, "events": endpoint.events, "queued_dropped": queued})
    endpoint.delete()
    return queued


@transaction.atomic
def send_test_event(actor: Actor, endpoint: WebhookEndpoint) -> OutboxMessage:
    """A `webhook.test` delivery with no items, through the outbox like any other (signed,
    retried, listed among the recent deliveries)."""
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution)
    message = OutboxMessage.objects.create(
        endpoint=endpoint, event=TEST_EVENT, payload={"items": [{}]},
        idempotency_key=secrets.token_hex(16), next_attempt_at=timezone.now())
    record(actor, "integrations.webhook.test", endpoint)
    transaction.on_commit(wake)
    return message


def recent_deliveries(actor: Actor, endpoint: WebhookEndpoint, limit: int = 20
                      ) -> list[OutboxMessage]:
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, endpoint.institution)
    return list(OutboxMessage.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
                [:limit])


def failing(actor: Actor, institution: Institution, limit: int = 50) -> list[OutboxMessage]:
    """Messages that failed: dead letters and those still being retried after an error."""
    require(actor, IntegrationAction.MANAGE_INTEGRATIONS, institution)
    return list(OutboxMessage.objects.filter(endpoint__institution=institution).filter(
        Q(status=OutboxStatus.DEAD) | Q(status=OutboxStatus.PENDING, attempts__gt=0))
        .select_related("endpoint").order_by("-created_at", "-pk")[:limit])


SOURCES.register(Source("outbox", deliver_due, next_due_at, release_leases))
