"""`record` is called by every service that changes state or lets staff (or an API client) read
personal data; `record_many` appends a batch under one lock (the register's bulk ingest)."""

from __future__ import annotations

import datetime
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from durvis.audit.models import AUDIT_CHAINS, GENESIS_HASH, AuditChainHead, AuditEvent
from durvis.core import bulk

if TYPE_CHECKING:
    from durvis.core.actor import Actor
    from durvis.identity.models import Person

CANONICAL_FIELDS = (
    "chain", "chain_seq", "occurred_at", "actor_kind", "actor_id", "actor_institution", "action",
    "object_type", "object_id", "subject_person_id", "purpose", "source_address", "details",
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
    batch and each row is hashed over the one before. Returns the stored events; an empty batch
    writes nothing."""
    if not entries:
        return []
    chain = chain_of(actor)
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # the migration creates every head; this covers a database built otherwise
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    now = timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            chain=chain, chain_seq=head.last_seq + 1, occurred_at=now,
            actor_kind=actor.kind, actor_id=actor.audit_id,
            actor_institution=actor.institution_code, action=entry.action,
            object_type=entry.object_type, object_id=entry.object_id,
            subject_person_id=entry.subject_person_id, purpose=entry.purpose,
            source_address=actor.source_address, details=entry.details, prev_hash=head.last_hash,
        )
        event.row_hash = row_hash(event)
        head.last_seq, head.last_hash = event.chain_seq, event.row_hash
        events.append(event)
    bulk.insert(events)
    head.save(update_fields=["last_seq", "last_hash"])
    return events


def chain_of(actor: Actor) -> int:
    """The chain an actor's events go to (one of `AUDIT_CHAINS`, by its kind and id): writers
    of different chains never wait for each other's audit lock."""
    return zlib.crc32(f"{actor.kind}:{actor.audit_id}".encode()) % AUDIT_CHAINS


def canonical(event: AuditEvent) -> str:
    """The content a row's hash covers, in one fixed serialisation."""
    values: dict[str, Any] = {name: getattr(event, name) for name in CANONICAL_FIELDS}
    values["occurred_at"] = event.occurred_at.astimezone(datetime.UTC).isoformat()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def row_hash(event: AuditEvent) -> str:
    """The hex SHA-256 of the previous row's hash followed by the event's `canonical` content:
    the link that makes a changed or deleted row show in `verify`."""
    return hashlib.sha256((event.prev_hash + canonical(event)).encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where a chain stops being intact."""

    chain: int
    event_id: int | None
    chain_seq: int
    problem: str


def verify(chains: Iterable[int] | None = None) -> list[Break]:
    """Recompute every chain; return the first break of each broken chain (empty: all intact)."""
    breaks = []
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    for chain in sorted(set(chains) if chains is not None else set(heads)):
        found = _verify_chain(chain, heads.get(chain))
        if found is not None:
            breaks.append(found)
    return breaks


def _verify_chain(chain: int, head: AuditChainHead | None) -> Break | None:
    expected_seq, previous = 1, GENESIS_HASH
    rows = AuditEvent.objects.filter(chain=chain).order_by("chain_seq").iterator(chunk_size=5000)
    for event in rows:
        if event.chain_seq != expected_seq:
            return Break(chain, event.pk, expected_seq,
                         f"row {expected_seq} of the chain is missing (deleted?)")
        if event.prev_hash != previous or row_hash(event) != event.row_hash:
            return Break(chain, event.pk, event.chain_seq, "row content or link was changed")
        expected_seq, previous = expected_seq + 1, event.row_hash
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != previous):
        return Break(chain, None, expected_seq, "the newest rows of the chain are missing")
    return None


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (for the administration pages)."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-id")
