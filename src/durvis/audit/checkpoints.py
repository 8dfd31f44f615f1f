"""Checkpoints of the activity log (B5): each chain's head, signed, kept outside the database.

Keyed hashes (`keys`) stop someone who can write the database but lacks the key from changing,
forging or recomputing rows; they cannot show that the newest rows of a chain were deleted and
its head rolled back, or that a whole chain was wiped. A checkpoint can: a file in the
`audit_checkpoints` storage (`STORAGES`: by default a folder under `DURVIS_VAR_DIR`, or object
storage) holding the sequence number and hash of every chain's head, each entry and the whole
file signed with the current audit key. `services.verify` compares the rows with the newest valid
checkpoint, naming a chain with fewer rows than it counted and a chain whose row at its sequence
has another hash.

Files are only ever added, one per checkpoint, named by their signed time and id (never
overwritten). The worker writes one every `DURVIS_AUDIT_CHECKPOINT_SECONDS` (its
`audit.checkpoints` source, `run_due`: the scheduler wakes it when one is due, whether or not
anything is being logged), and `manage.py audit_checkpoint` writes one on demand.

A checkpoint never pins less than the one before: a chain whose head went back, or whose row at
the previous checkpoint's sequence has another hash, keeps the previous pin, and the writer logs
an error; verification then names the chain.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from durvis.audit import keys
from durvis.audit.models import (
    AUDIT_CHAINS,
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    CheckpointSchedule,
)
from durvis.core.worker import SOURCES, Source

log = logging.getLogger(__name__)

STORAGE = "audit_checkpoints"
FORMAT = "durvis-audit-checkpoint/1"


@dataclass(frozen=True)
class Pin:
    """What one checkpoint says of one chain: it had `seq` rows, the newest with `hash`."""

    chain: int
    seq: int
    hash: str
    name: str
    written_at: datetime.datetime


@dataclass(frozen=True)
class Problem:
    """A checkpoint file that cannot be trusted, and the chain whose entry is bad (if one is)."""

    name: str
    chain: int | None
    seq: int
    message: str


@dataclass
class Checkpoints:
    """What the store says: the pins of the newest valid checkpoint (with `every`, of all valid
    ones), that checkpoint's name and time, and the problems of the files read."""

    pins: dict[int, list[Pin]] = field(default_factory=dict)
    name: str | None = None
    written_at: datetime.datetime | None = None
    problems: list[Problem] = field(default_factory=list)

    def newest(self, chain: int) -> Pin | None:
        """The pin with the highest sequence of `chain`, if any checkpoint names it."""
        return max(self.pins.get(chain, []), key=lambda pin: pin.seq, default=None)


def storage() -> Storage:
    return storages[STORAGE]


def interval() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.DURVIS_AUDIT_CHECKPOINT_SECONDS)


def read(*, every: bool = False) -> Checkpoints:
    """The store's checkpoints: newest first until the first valid one (every file with
    `every`), noting each file that is unreadable, signed with an unknown key, carries a bad
    signature or is not named as it was written."""
    found = Checkpoints()
    for name in _names_newest_first(storage()):
        pins, written_at, problems = _check(name)
        found.problems += problems
        if pins is None:
            continue
        if found.name is None:
            found.name, found.written_at = name, written_at
        for pin in pins:
            found.pins.setdefault(pin.chain, []).append(pin)
        if not every:
            break
    return found


def write(reason: str = "on demand") -> str:
    """Write a checkpoint of every chain's head now; returns the file's name in the store.

    A chain whose head is behind the previous checkpoint, or whose row at that checkpoint's
    sequence has another hash, keeps the previous checkpoint's pin (logged as an error)."""
    before = read()
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    key = keys.current()
    written_at = timezone.now().astimezone(datetime.UTC)
    checkpoint_id = uuid.uuid4().hex
    signed = {"checkpoint": checkpoint_id, "written_at": written_at.isoformat(), "key_id": key.id}
    entries = []
    for chain in sorted(set(range(AUDIT_CHAINS)) | set(heads) | set(before.pins)):
        seq, hash_ = _pin(chain, heads.get(chain), before.newest(chain))
        entry = {"chain": chain, "seq": seq, "hash": hash_}
        entries.append({**entry, "signature": key.checkpoint_mac(_canonical({**signed, **entry}))})
    document: dict[str, Any] = {"format": FORMAT, **signed, "reason": reason, "chains": entries}
    document["signature"] = key.checkpoint_mac(_canonical(document))
    name = _name(written_at, checkpoint_id)
    saved = storage().save(name, ContentFile(json.dumps(document, indent=1).encode()))
    log.info("audit checkpoint %s written (%s)", saved, reason)
    return saved


def _pin(chain: int, head: AuditChainHead | None, before: Pin | None) -> tuple[int, str]:
    seq, hash_ = (head.last_seq, head.last_hash) if head is not None else (0, GENESIS_HASH)
    if before is None or before.seq == 0:
        return seq, hash_
    if seq < before.seq:
        log.error("audit chain %d is at row %d, behind checkpoint %s (%d rows): its pin is kept",
                  chain, seq, before.name, before.seq)
        return before.seq, before.hash
    stored = (AuditEvent.objects.filter(chain=chain, chain_seq=before.seq)
              .values_list("row_hash", flat=True).first())
    if stored != before.hash:
        log.error("audit chain %d: row %d no longer has the hash of checkpoint %s: its pin is kept",
                  chain, before.seq, before.name)
        return before.seq, before.hash
    return seq, hash_


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def _name(written_at: datetime.datetime, checkpoint_id: str) -> str:
    return f"{written_at:%Y/%m/%d/%Y%m%dT%H%M%S%f}Z-{checkpoint_id}.json"


def _names_newest_first(store: Storage) -> Iterator[str]:
    """The checkpoint files, newest first (their names sort by time), reading only the folders
    (year, month, day) needed."""
    try:
        years, _ = store.listdir("")
    except FileNotFoundError:  # nothing written yet
        return
    for year in sorted(years, reverse=True):
        for month in sorted(store.listdir(year)[0], reverse=True):
            for day in sorted(store.listdir(f"{year}/{month}")[0], reverse=True):
                files = store.listdir(f"{year}/{month}/{day}")[1]
                for file in sorted((f for f in files if f.endswith(".json")), reverse=True):
                    yield f"{year}/{month}/{day}/{file}"


def _check(name: str) -> tuple[list[Pin] | None, datetime.datetime | None, list[Problem]]:
    """The pins of one checkpoint file and its time, or None and why it cannot be trusted."""
    try:
        document, signed, written_at = _load(name)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None, [Problem(name, None, 0, "not a readable checkpoint (damaged or foreign)")]
    key = keys.find(signed["key_id"])
    if key is None:
        return None, None, [Problem(name, None, 0, f"signed with the audit key {signed['key_id']!r}"
                                                   ", which this deployment does not know")]
    pins, problems = [], []
    for entry in document["chains"]:
        pin = Pin(entry["chain"], entry["seq"], entry["hash"], name, written_at)
        values = {"chain": pin.chain, "seq": pin.seq, "hash": pin.hash}
        if entry.get("signature") != key.checkpoint_mac(_canonical({**signed, **values})):
            problems.append(Problem(name, pin.chain, pin.seq, f"the entry of chain {pin.chain} has "
                                    "a bad signature (changed after it was written)"))
        pins.append(pin)
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    if not problems and document.get("signature") != key.checkpoint_mac(_canonical(unsigned)):
        problems.append(Problem(name, None, 0, "bad signature: entries were added or removed, or "
                                               "the file was changed after it was written"))
    if not problems and name != _name(written_at, signed["checkpoint"]):
        problems.append(Problem(name, None, 0, "its name is not the one it was written under "
                                               "(copied or renamed)"))
    return (None, None, problems) if problems else (pins, written_at, [])


def _load(name: str) -> tuple[dict[str, Any], dict[str, str], datetime.datetime]:
    """A checkpoint file's content, the fields every signature covers, and its time; raises
    ValueError (or KeyError, TypeError) for anything that is not a well-formed checkpoint."""
    with storage().open(name) as file:
        document = json.loads(file.read())
    signed = {part: document[part] for part in ("checkpoint", "written_at", "key_id")}
    well_formed = (
        document.get("format") == FORMAT and all(isinstance(v, str) for v in signed.values())
        and isinstance(document["chains"], list)
        and all(isinstance(e, dict) and isinstance(e.get("chain"), int)
                and isinstance(e.get("seq"), int) and isinstance(e.get("hash"), str)
                for e in document["chains"]))
    if not well_formed:
        raise ValueError(f"{name} is not a checkpoint")
    written_at = datetime.datetime.fromisoformat(signed["written_at"]).astimezone(datetime.UTC)
    return document, signed, written_at


def run_due() -> int:
    """The worker's `audit.checkpoints` source: write a checkpoint when one is due (none was
    written by the schedule yet, or its `next_at` has passed) and set the next one an interval
    on; returns 1 when it wrote one, else 0. The schedule's row is locked while it writes, so of
    two workers one writes; a failed write leaves the checkpoint due (the timer moves only with
    it). A quiet platform is checkpointed on time as well: the scheduler wakes the worker for it."""
    now = timezone.now()
    with transaction.atomic():
        timer, _created = CheckpointSchedule.objects.select_for_update().get_or_create(
            pk=1, defaults={"next_at": now})
        if now < timer.next_at:
            return 0
        timer.next_at = now + interval()
        timer.save(update_fields=["next_at"])
        write("interval")
    return 1


def next_due_at() -> datetime.datetime:
    """When the next checkpoint is due: the schedule's time, or now when none was written."""
    due = CheckpointSchedule.objects.filter(pk=1).values_list("next_at", flat=True).first()
    return due or timezone.now()


def _nothing_leased(worker_ids: Sequence[str]) -> int:
    return 0  # a checkpoint holds no lease: the row lock ends with a dead worker's connection


SOURCES.register(Source("audit.checkpoints", run_due, next_due_at, _nothing_leased))
