"""Keyed hashes (issue 11, B5).

Until now a row's hash was the plain SHA-256 of the previous row's hash and its content, which
anyone who can write the database can recompute. This migration re-hashes every existing row
with the current audit key (`DURVIS_AUDIT_KEYS`, first key), as `record_many` now hashes new
rows, and stores the key's id in the row: rows from before the upgrade become keyed, and one way
of verifying covers the whole log. (Keeping them under a `legacy` id that verification accepts
would let a forger relabel any chain's tail as legacy and recompute it without the key.)

Re-hashing a chain that was already tampered with would hide it, so each chain is first verified
the old way; if any is broken the migration stops and names it (nothing is changed). After
investigating (`manage.py verify_audit_chain` of the previous release shows the same), run it
again with DURVIS_AUDIT_REHASH_BROKEN=yes to re-hash anyway: the gaps stay visible, changed rows
do not. It reads every row once and writes each in batches: minutes for millions of rows.

The hashing below is a copy of `services.canonical` as of this migration, so that later changes
there cannot change what this migration did.
"""

import datetime
import hashlib
import hmac
import json
import os

from django.conf import settings
from django.db import migrations, models

GENESIS_HASH = "0" * 64
OLD_FIELDS = (
    "chain", "chain_seq", "occurred_at", "actor_kind", "actor_id", "actor_institution", "action",
    "object_type", "object_id", "subject_person_id", "purpose", "source_address", "details",
)
NEW_FIELDS = (*OLD_FIELDS, "key_id")
BATCH = 2000


def _message(row, previous, fields):
    values = {name: getattr(row, name) for name in fields}
    values["occurred_at"] = row.occurred_at.astimezone(datetime.UTC).isoformat()
    content = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                         default=str)
    return (previous + content).encode()


def _rows(event, chain):
    """The rows of one chain in order, a batch at a time (by sequence, not by a cursor that the
    updates would run under)."""
    after = 0
    while batch := list(event.objects.filter(chain=chain, chain_seq__gt=after)
                        .order_by("chain_seq")[:BATCH]):
        yield from batch
        after = batch[-1].chain_seq


def _chains(apps):
    event, head = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditChainHead")
    chains = set(head.objects.values_list("chain", flat=True))
    chains |= set(event.objects.order_by().values_list("chain", flat=True).distinct())
    return sorted(chains)


def rehash(apps, schema_editor):
    event, head = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditChainHead")
    key_id, secret = next(iter(settings.DURVIS_AUDIT_KEYS.items()))
    row_key = hmac.digest(secret, b"durvis audit row", "sha256")
    broken, changed = [], []
    for chain in _chains(apps):
        old_previous = new_previous = GENESIS_HASH
        expected = 1
        for row in _rows(event, chain):
            stored = row.row_hash
            old = hashlib.sha256(_message(row, row.prev_hash, OLD_FIELDS)).hexdigest()
            if row.chain_seq != expected or row.prev_hash != old_previous or old != stored:
                broken.append(f"chain {chain} at row {expected}")
            row.key_id = key_id
            row.prev_hash = new_previous
            row.row_hash = hmac.new(row_key, _message(row, new_previous, NEW_FIELDS),
                                    hashlib.sha256).hexdigest()
            old_previous, new_previous, expected = stored, row.row_hash, row.chain_seq + 1
            changed.append(row)
            if len(changed) >= BATCH:
                event.objects.bulk_update(changed, ["key_id", "prev_hash", "row_hash"])
                changed = []
        event.objects.bulk_update(changed, ["key_id", "prev_hash", "row_hash"])
        changed = []
        head_row = head.objects.filter(chain=chain).first()
        if head_row is not None and (head_row.last_seq, head_row.last_hash) != (
                expected - 1, old_previous):
            broken.append(f"chain {chain} at its head")
        head.objects.filter(chain=chain).update(last_hash=new_previous)
    if broken and os.environ.get("DURVIS_AUDIT_REHASH_BROKEN") != "yes":
        raise RuntimeError(
            "The activity log is broken (" + ", ".join(dict.fromkeys(broken)) + "); nothing was "
            "re-hashed. Investigate, then migrate with DURVIS_AUDIT_REHASH_BROKEN=yes to re-hash "
            "anyway (see this migration's docstring).")


def unhash(apps, schema_editor):
    """Back to plain SHA-256 (the key id column goes next)."""
    event, head = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditChainHead")
    for chain in _chains(apps):
        previous, changed = GENESIS_HASH, []
        for row in _rows(event, chain):
            row.prev_hash = previous
            row.row_hash = previous = hashlib.sha256(
                _message(row, previous, OLD_FIELDS)).hexdigest()
            changed.append(row)
            if len(changed) >= BATCH:
                event.objects.bulk_update(changed, ["prev_hash", "row_hash"])
                changed = []
        event.objects.bulk_update(changed, ["prev_hash", "row_hash"])
        head.objects.filter(chain=chain).update(last_hash=previous)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_heads")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.RunPython(rehash, unhash),
    ]
