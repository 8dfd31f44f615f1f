"""`record` is called by every service that changes state or lets staff (or an API client) read
personal data; `record_many` appends a batch under one lock (the register's bulk ingest);
`verify` checks every chain against the audit keys and the newest checkpoint.

Which chain a transaction appends to (issue 21). A chain's head is locked from the first append
of a transaction until it ends, so writers of one chain queue. Each actor has a set of
`CHAINS_PER_ACTOR` consecutive chains (`chains_of`, from the CRC-32 of its kind and id), and a
transaction takes the first head of the set no other transaction holds (`SELECT ... FOR UPDATE
SKIP LOCKED` on PostgreSQL; SQLite serialises writers anyway, so there the first), waiting on
the first only when every one is held: one back-office system writing from 8 threads does not
queue behind itself. Once a transaction holds a head, every later append of that transaction,
whoever its actor, goes to the same chain (a marker on the connection, gone when the transaction
commits or rolls back): a transaction never holds two heads (no deadlock between two that took
them in another order) and its events stay together, in order.

What the chains prove is unchanged: every row is still linked to the row before it in its own
chain (`prev_hash`, its keyed hash over that and its content), every head and checkpoint pins
each chain's end, and `verify` walks every chain, whatever the number. Which chain a row joined
never mattered to the proof (the chain is in the hashed content, so a row cannot be moved to
another); an actor's events are in order by `id` and `occurred_at` across its chains, as events
of different actors always were across chains."""

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
from django.db.models import F
from django.db.models.functions import Mod
from django.utils import timezone

from durvis.audit import checkpoints, keys
from durvis.audit.models import (
    AUDIT_CHAINS,
    CHAINS_PER_ACTOR,
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
)
from durvis.core import bulk
from durvis.core.prepared import PreparedQuery, PreparedUpdate

if TYPE_CHECKING:
    from durvis.core.actor import Actor
    from durvis.identity.models import Company, Person

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
    service_code: int | None = None
    subject_company_id: int | None = None
    service_point: str = ""

    @classmethod
    def about(cls, action: str, obj: models.Model | None, *,
              subject: Person | Company | None = None, purpose: str = "",
              details: dict[str, Any] | None = None, service_point: str = "") -> Entry:
        """The entry for `action` on `obj` (stored as its `app_label.model` label and primary
        key; None: about no object) touching the data of `subject` (a person or a company), if
        any. Its
        `service_code` is `details["service"]` when that is a service code, else the code of
        the object's `service` (a case, a consultation, an application), else None."""
        details = details or {}
        company = subject is not None and subject._meta.model_name == "company"
        return cls(action, obj._meta.label_lower if obj is not None else "",
                   str(obj.pk) if obj is not None else "",
                   subject.pk if subject is not None and not company else None, purpose,
                   details, service_of(obj, details),
                   subject.pk if subject is not None and company else None, service_point)


def service_of(obj: models.Model | None, details: dict[str, Any]) -> int | None:
    """The catalogue code of the service an event concerns: `details["service"]` if it is a
    code (an int), else the code of `obj.service` when the object has one (one query when the
    service is not loaded yet), else None."""
    code = details.get("service")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if obj is not None and getattr(obj, "service_id", None) is not None:
        return getattr(obj.service, "code", None)  # type: ignore[attr-defined]
    return None


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    subject: Person | Company | None = None,
    purpose: str = "",
    details: dict[str, Any] | None = None,
    service_point: str = "",
) -> AuditEvent:
    """Append one event by `actor`: `action` (e.g. `register.case.read`) on `obj`, touching
    the data of `subject` (a person, or a company: its representatives see the use), with the
    `purpose` of a read of personal data and `details` (stored as JSON), and the service point
    the acting staff member works at, to the actor's chain in the caller's transaction; returns
    the stored event (`service_point`: where the act took place when the caller knows better
    than the staff member's own setting, e.g. the assistant's centre). `details` must not hold
    personal codes (administrators read it)."""
    entry = Entry.about(action, obj, subject=subject, purpose=purpose, details=details,
                        service_point=service_point)
    return record_many(actor, [entry])[0]


@transaction.atomic(savepoint=False)
def record_many(actor: Actor, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append events of one actor to a chain, in order, in the caller's transaction: the chain
    the transaction holds already, else a free one of the actor's (`lock_head`), locked once
    for the whole batch; each row is hashed over the one before with the current audit key.
    Returns the stored events; an empty batch writes nothing. No savepoint is taken (two
    statements fewer on every write): a failure here fails the caller's transaction, so that
    no change is ever kept without its audit row."""
    if not entries:
        return []
    head = lock_head(actor)
    chain = head.chain
    key = keys.current()
    now = timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            chain=chain, chain_seq=head.last_seq + 1, occurred_at=now,
            actor_kind=actor.kind, actor_id=actor.audit_id,
            actor_institution=actor.institution_code, action=entry.action,
            object_type=entry.object_type, object_id=entry.object_id,
            subject_person_id=entry.subject_person_id,
            subject_company_id=entry.subject_company_id, purpose=entry.purpose,
            service_point=(entry.service_point or getattr(actor.staff, "service_point", "")
                           or "")[:120],
            service_code=(entry.service_code if entry.service_code is not None
                          else service_of(None, entry.details)),
            source_address=actor.source_address, details=entry.details, key_id=key.id,
            prev_hash=head.last_hash,
        )
        event.row_hash = key.row_mac(_message(event))
        head.last_seq, head.last_hash = event.chain_seq, event.row_hash
        events.append(event)
    bulk.insert(events)
    _MOVE_HEAD.run(head.pk, head.last_seq, head.last_hash)
    return events


def chains_of(actor: Actor) -> tuple[int, ...]:
    """The chains an actor's events may go to, in the order they are tried: `CHAINS_PER_ACTOR`
    consecutive ones (wrapping at `AUDIT_CHAINS`) from the CRC-32 of its kind and id."""
    first = zlib.crc32(f"{actor.kind}:{actor.audit_id}".encode()) % AUDIT_CHAINS
    return tuple((first + n) % AUDIT_CHAINS for n in range(CHAINS_PER_ACTOR))


def chain_of(actor: Actor) -> int:
    """The first of the actor's chains (`chains_of`): the one its transactions wait on when
    all of its chains are held."""
    return chains_of(actor)[0]


# The chain head's reads and its move, compiled once (every write and audited read does them;
# issue 21, `durvis.core.prepared`): the first free one of the actor's chains (SKIP LOCKED, in
# the order of `chains_of`: `place` counts from the first), and one chain's head, waited for.
_FREE_HEAD = PreparedQuery(
    lambda chains, offset: AuditChainHead.objects.select_for_update(skip_locked=True)
    .filter(chain__in=chains).annotate(place=Mod(F("chain") + offset, AUDIT_CHAINS))
    .order_by("place")[:1],
    tuple(range(32_001, 32_001 + CHAINS_PER_ACTOR)), 32_101)
_HEAD = PreparedQuery(
    lambda chain: AuditChainHead.objects.select_for_update().filter(chain=chain)[:1], 32_001)
_MOVE_HEAD = PreparedUpdate(AuditChainHead, ["last_seq", "last_hash"])


def lock_head(actor: Actor) -> AuditChainHead:
    """The head this transaction appends to, locked (must be called in a transaction): the one
    it holds already (whoever the actor was), else the first of the actor's chains no other
    transaction holds (PostgreSQL: `SKIP LOCKED`; SQLite: the first), else the first, waited
    for. The chain is remembered on the connection until the transaction ends."""
    held = _held_chain()
    chains = (held,) if held is not None else chains_of(actor)
    head: AuditChainHead | None = None
    if held is None and connection.features.has_select_for_update_skip_locked:
        head = _FREE_HEAD.first(chains, AUDIT_CHAINS - chains[0])
    if head is None:
        head = _HEAD.first(chains[0])
    if head is None:  # the migrations create every head; this covers a database built otherwise
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chains[0])],
                                           ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(chain=chains[0])
    if held is None:
        _hold(head.chain)
    return head


# The connection's attribute naming the chain its transaction holds, with the on-commit hook
# that forgets it: while the hook is pending the transaction (or the savepoint that took the
# lock) is alive; a rollback discards the hook, and so the marker.
_HELD = "durvis_audit_chain"


def _held_chain() -> int | None:
    held = getattr(connection, _HELD, None)
    if held is None:
        return None
    chain, hook = held
    if any(item[1] is hook for item in connection.run_on_commit):
        return int(chain)
    setattr(connection, _HELD, None)
    return None


def _hold(chain: int) -> None:
    holder = connection

    def forget() -> None:
        setattr(holder, _HELD, None)

    setattr(connection, _HELD, (chain, forget))
    transaction.on_commit(forget)


def canonical(event: AuditEvent) -> str:
    """The content a row's hash covers, in one fixed serialisation."""
    values: dict[str, Any] = {name: getattr(event, name) for name in CANONICAL_FIELDS}
    values["occurred_at"] = event.occurred_at.astimezone(datetime.UTC).isoformat()
    if event.service_code is not None:  # hashed when set: rows written before it had none
        values["service_code"] = event.service_code
    if event.subject_company_id is not None:  # the same for these two
        values["subject_company_id"] = event.subject_company_id
    if event.service_point:
        values["service_point"] = event.service_point
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
    TRUNCATED = "truncated"
    WIPED = "wiped"
    CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class Break:
    """Where a chain stops being intact (`chain` None: a checkpoint file that names no chain)."""

    chain: int | None
    event_id: int | None
    chain_seq: int
    problem: str
    kind: Kind = Kind.CHANGED


@dataclass
class Report:
    """What `verify_report` found: the breaks, and notes that are not breaks (no checkpoint
    yet, or none for longer than the schedule allows)."""

    breaks: list[Break] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checkpoint: str | None = None


def verify(chains: Iterable[int] | None = None) -> list[Break]:
    """Check every chain (or those in `chains`); return what is broken (empty: all intact)."""
    return verify_report(chains).breaks


def verify_report(chains: Iterable[int] | None = None, *, every_checkpoint: bool = False
                  ) -> Report:
    """Check each chain's rows (sequence, links, keyed hashes, key ids) and head against the
    newest valid checkpoint (with `every_checkpoint`, against every checkpoint file): the first
    broken row of each chain, a head that does not match its rows, a chain with fewer rows than
    a checkpoint counted (deleted newest rows with the head rolled back, a wiped chain), a row
    whose hash is not the checkpoint's (a recomputed chain), and each checkpoint file that
    cannot be trusted. On PostgreSQL outside a transaction it reads one snapshot."""
    found = checkpoints.read(every=every_checkpoint)
    report = Report(checkpoint=found.name)
    report.breaks += [Break(p.chain, None, p.seq, f"checkpoint {p.name}: {p.message}",
                            Kind.CHECKPOINT) for p in found.problems]
    report.notes += _freshness(found)
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic() if snapshot else contextlib.nullcontext():
        if snapshot:  # SQLite's transactions here take the write lock: it reads without one
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        heads = {h.chain: h for h in AuditChainHead.objects.all()}
        wanted = (set(chains) if chains is not None else
                  set(range(AUDIT_CHAINS)) | set(heads) | set(found.pins)
                  | set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()))
        for chain in sorted(wanted):
            report.breaks += _verify_chain(chain, heads.get(chain), found.pins.get(chain, []))
    return report


def _freshness(found: checkpoints.Checkpoints) -> list[str]:
    if found.written_at is None:
        return ["No checkpoint yet: a truncated or wiped chain cannot be told from a short one."]
    late = timezone.now() - found.written_at
    if late > 2 * checkpoints.interval() + datetime.timedelta(minutes=1):
        return [f"The newest checkpoint ({found.name}) is {late} old: is the worker running?"]
    return []


def _verify_chain(chain: int, head: AuditChainHead | None,
                  pins: list[checkpoints.Pin]) -> list[Break]:
    breaks: list[Break] = []
    expected_seq, previous = 1, GENESIS_HASH
    pinned: dict[int, str | None] = {pin.seq: None for pin in pins}  # stored hash at each pin
    rows = AuditEvent.objects.filter(chain=chain).order_by("chain_seq").iterator(chunk_size=5000)
    for event in rows:
        if not breaks and (found := _row_break(event, expected_seq, previous)) is not None:
            breaks.append(found)
        if event.chain_seq in pinned:
            pinned[event.chain_seq] = event.row_hash
        expected_seq, previous = event.chain_seq + 1, event.row_hash
    last_seq = expected_seq - 1
    if head is None:
        breaks.append(Break(chain, None, last_seq + 1, "the chain's head is missing (deleted?)",
                            Kind.HEAD))
    elif not breaks and (head.last_seq, head.last_hash) != (last_seq, previous):
        problem = ("the newest rows of the chain are missing" if head.last_seq > last_seq
                   else "the chain's head does not match its newest row")
        breaks.append(Break(chain, None, last_seq + 1, problem, Kind.HEAD))
    return breaks + _pin_breaks(chain, last_seq, pins, pinned)


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


def _pin_breaks(chain: int, last_seq: int, pins: list[checkpoints.Pin],
                pinned: dict[int, str | None]) -> list[Break]:
    """A chain shorter than a checkpoint counted, or with another hash where it pinned one."""
    newest = max(pins, key=lambda pin: pin.seq, default=None)
    if newest is not None and newest.seq > last_seq:
        if last_seq == 0:
            return [Break(chain, None, 1, f"the chain has no rows, but checkpoint {newest.name} "
                          f"counted {newest.seq}: the chain was wiped", Kind.WIPED)]
        return [Break(chain, None, last_seq + 1, f"the chain ends at row {last_seq}, but "
                      f"checkpoint {newest.name} counted {newest.seq}: its newest rows were "
                      "deleted (and the head rolled back?)", Kind.TRUNCATED)]
    for pin in sorted(pins, key=lambda pin: pin.seq):
        if pin.seq > 0 and pinned.get(pin.seq) not in (None, pin.hash):
            return [Break(chain, None, pin.seq, f"row {pin.seq} has another hash than checkpoint "
                          f"{pin.name} pinned: the chain was recomputed", Kind.RECOMPUTED)]
    return []


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (for the administration pages)."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-id")


# Why a use was flagged for the institution's review.
NO_CASE_OR_CONSENT = "no_case_or_consent"


def flag_use(event: AuditEvent, reason: str = NO_CASE_OR_CONSENT) -> None:
    """Flag the recorded use `event` of a person's data for the review of the institution that
    acted (its `actor_institution`), in the caller's transaction; the person sees it flagged."""
    from durvis.audit.models import FlaggedUse

    FlaggedUse.objects.create(event=event, institution_code=event.actor_institution,
                              reason=reason)


class AlreadyReviewed(Exception):
    """The flagged use was marked reviewed already (by another administrator meanwhile)."""


def mark_reviewed(actor: Actor, flagged_id: int, note: str) -> None:
    """Mark the flagged use `flagged_id` reviewed by `actor` with `note` (what the review found),
    recorded in the activity log (`audit.flagged_use.reviewed`). The caller has decided that
    the actor may (the administration's audit rule). Raises AlreadyReviewed for a use reviewed
    already, and FlaggedUse.DoesNotExist for an unknown id."""
    from durvis.audit.models import FlaggedUse

    with transaction.atomic():
        flagged = FlaggedUse.objects.select_for_update().get(pk=flagged_id)
        if flagged.reviewed_at is not None:
            raise AlreadyReviewed
        flagged.reviewed_at, flagged.reviewed_by, flagged.note = (
            timezone.now(), actor.audit_id, note)
        flagged.save(update_fields=["reviewed_at", "reviewed_by", "note"])
        record(actor, "audit.flagged_use.reviewed", flagged,
               details={"event": flagged.event_id})
