"""`record` is called by every service that changes state or lets staff (or an API client) read
personal data; `record_many` appends a batch under one lock (the register's bulk ingest);
`verify` checks every chain against the audit keys."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from durvis.audit import keys
from durvis.audit.models import AUDIT_CHAINS, GENESIS_HASH, AuditChainHead, AuditEvent
from durvis.core import bulk

if TYPE_CHECKING:
    from durvis.core.actor import Actor
    from durvis.identity.models import Person

CANONICAL_FIELDS = (
    "chain", "chain_seq", "occurred_at", "actor_kind", "actor_id", "actor_institution", "action",
    "object_type", "object_id", "subject_person_id", "purpose", "source_address", "details",
    "key_id",
)


@dataclass(frozen=True)
class Entry:
    """One event to append: what was done to which object, about whom."""

    action: str
    object_type: str = ""
    object_id: str = ""
    subject_person_id: int | None = None
    purpose: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def about(cls, action: str, obj: models.Model | None, *, subject: Person | None = None,
              purpose: str = "", details: dict[str, Any] | None = None) -> Entry:
        """The entry for `action` on `obj` (stored as its `app_label.model` label and primary
        key; None: about no object) touching the data of the person `subject`, if any."""
        return cls(action, obj._meta.label_lower if obj is not None else "",
                   str(obj.pk) if obj is not None else "",
                   subject.pk if subject is not None else None, purpose, details or {})


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    subject: Person | None = None,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event by `actor`: `action` (e.g. `register.case.read`) on `obj`, touching
    the data of the person `subject`, with the `purpose` of a read of personal data and
    `details` (stored as JSON), to the actor's chain in the caller's transaction; returns the
    stored event. `details` must not hold personal codes (administrators read it)."""
    entry = Entry.about(action, obj, subject=subject, purpose=purpose, details=details)
    return record_many(actor, [entry])[0]


@transaction.atomic
def record_many(actor: Actor, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append events of one actor to its chain, in order, in the caller's transaction: the chain
    (one of `AUDIT_CHAINS`, chosen by the actor's kind and id) is locked once for the whole
    batch and each row is hashed over the one before with the current audit key. Returns the
    stored events; an empty batch writes nothing."""
    if not entries:
        return []
    chain = zlib.crc32(f"{actor.kind}:{actor.audit_id}".encode()) % AUDIT_CHAINS
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # the migration creates every head; this covers a database built otherwise
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    key = keys.current()
    now = timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            chain=chain, chain_seq=head.last_seq + 1, occurred_at=now,
            actor_kind=actor.kind, actor_id=actor.audit_id,
            actor_institution=actor.institution_code, action=entry.action,
            object_type=entry.object_type, object_id=entry.object_id,
            subject_person_id=entry.subject_person_id, purpose=entry.purpose,
            source_address=actor.source_address, details=entry.details, key_id=key.id,
            prev_hash=head.last_hash,
        )
        event.row_hash = key.row_mac(_message(event))
        head.last_seq, head.last_hash = event.chain_seq, event.row_hash
        events.append(event)
    bulk.insert(events)
    head.save(update_fields=["last_seq", "last_hash"])
    return events


def canonical(event: AuditEvent) -> str:
    """The content a row's hash covers, in one fixed serialisation."""
    values: dict[str, Any] = {name: getattr(event, name) for name in CANONICAL_FIELDS}
    values["occurred_at"] = event.occurred_at.astimezone(datetime.UTC).isoformat()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _message(event: AuditEvent) -> bytes:
    return (event.prev_hash + canonical(event)).encode()


def row_hash(event: AuditEvent) -> str:
    """The hex HMAC-SHA256, under the key `event.key_id` names, of the previous row's hash
    followed by the event's `canonical` content: the link that makes a changed, recomputed or
    deleted row show in `verify`. Raises LookupError for a key this deployment does not know."""
    key = keys.find(event.key_id)
    if key is None:
        raise LookupError(f"unknown audit key id {event.key_id!r}")
    return key.row_mac(_message(event))


class Kind(StrEnum):
    """What is wrong where a chain breaks."""

    MISSING_ROW = "missing row"
    CHANGED = "changed"
    RECOMPUTED = "recomputed"
    UNKNOWN_KEY = "unknown key"
    HEAD = "head"


@dataclass(frozen=True)
class Break:
    """Where a chain stops being intact."""

    chain: int
    event_id: int | None
    chain_seq: int
    problem: str
    kind: Kind = Kind.CHANGED


def verify(chains: Iterable[int] | None = None) -> list[Break]:
    """Check each chain (or those in `chains`): its rows (sequence, links, keyed hashes, key ids)
    and its head; return the first break of each broken chain, and each chain whose head is
    missing (empty: all intact). On PostgreSQL outside a transaction it reads one snapshot."""
    breaks = []
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic() if snapshot else contextlib.nullcontext():
        if snapshot:  # SQLite's transactions here take the write lock: it reads without one
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        heads = {h.chain: h for h in AuditChainHead.objects.all()}
        wanted = (set(chains) if chains is not None else
                  set(range(AUDIT_CHAINS)) | set(heads)
                  | set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()))
        for chain in sorted(wanted):
            found = _verify_chain(chain, heads.get(chain))
            if found is not None:
                breaks.append(found)
    return breaks


def _verify_chain(chain: int, head: AuditChainHead | None) -> Break | None:
    expected_seq, previous = 1, GENESIS_HASH
    rows = AuditEvent.objects.filter(chain=chain).order_by("chain_seq").iterator(chunk_size=5000)
    for event in rows:
        found = _row_break(event, expected_seq, previous)
        if found is not None:
            return found
        expected_seq, previous = event.chain_seq + 1, event.row_hash
    if head is None:
        return Break(chain, None, expected_seq, "the chain's head is missing (deleted?)",
                     Kind.HEAD)
    if (head.last_seq, head.last_hash) != (expected_seq - 1, previous):
        problem = ("the newest rows of the chain are missing" if head.last_seq >= expected_seq
                   else "the chain's head does not match its newest row")
        return Break(chain, None, expected_seq, problem, Kind.HEAD)
    return None


def _row_break(event: AuditEvent, expected_seq: int, previous: str) -> Break | None:
    def broken(problem: str, kind: Kind) -> Break:
        return Break(event.chain, event.pk, event.chain_seq, problem, kind)

    if event.chain_seq != expected_seq:
        return Break(event.chain, event.pk, expected_seq,
                     f"row {expected_seq} of the chain is missing (deleted?)", Kind.MISSING_ROW)
    key = keys.find(event.key_id)
    if key is None:
        return broken(f"row {event.chain_seq} names the audit key {event.key_id!r}, which this "
                      "deployment does not know (a forged row, or a key removed too early)",
                      Kind.UNKNOWN_KEY)
    if event.prev_hash != previous:
        return broken(f"row {event.chain_seq} does not follow the row before it (reordered, "
                      "inserted or changed)", Kind.CHANGED)
    if key.row_mac(_message(event)) != event.row_hash:
        if hashlib.sha256(_message(event)).hexdigest() == event.row_hash:
            return broken(f"row {event.chain_seq} was changed and its hash recomputed without the "
                          "key (plain SHA-256)", Kind.RECOMPUTED)
        return broken(f"row {event.chain_seq} was changed: its content or key id no longer "
                      "matches its keyed hash", Kind.CHANGED)
    return None


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (for the administration pages)."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-id")
