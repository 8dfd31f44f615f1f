"""Someone who can write the database, but holds neither the audit key nor the checkpoint store,
tampers with the activity log in SQL: every way is found, naming the chain (issue 11, B5).

Each test writes a checkpoint of the untouched log first (the worker does so every interval),
tampers, and verifies.
"""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from durvis.audit import checkpoints
from durvis.audit import services as audit_services
from durvis.audit.models import AUDIT_CHAINS, AuditChainHead, AuditEvent
from durvis.audit.services import Entry, Kind, canonical, record, record_many, row_hash, verify
from durvis.core.actor import Actor


@pytest.fixture
def actors(staff):
    return [Actor(kind="staff", staff=staff[name]) for name in ("vsaa_admin", "vid_admin", "agent")]


def own_transaction():
    """What a transaction of its own does, in a test that runs in one: the next append takes a
    chain anew (the first of its actor's: nothing else holds one)."""
    setattr(connection, audit_services._HELD, None)


@pytest.fixture
def chain(actors, catalogue):
    """The log of three actors, each append a transaction of its own, checkpointed; returns
    the chain of the first (15 rows)."""
    for n in range(5):
        for actor in actors:
            own_transaction()
            record(actor, "catalog.service.view", catalogue["childbirth"], details={"n": n})
    own_transaction()
    events = record_many(actors[0], [Entry("register.event", "x", str(n)) for n in range(10)])
    checkpoints.write()
    return events[0].chain


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def row(chain, seq):
    return AuditEvent.objects.get(chain=chain, chain_seq=seq)


def rows(chain):
    return list(AuditEvent.objects.filter(chain=chain).order_by("chain_seq"))


def broken(chain):
    """The kinds of break verification names for `chain` (and fails on any break at all)."""
    breaks = verify()
    assert breaks, "verification passed a tampered log"
    return {b.kind for b in breaks if b.chain == chain}


def roll_head_back(chain, seq):
    last = row(chain, seq) if seq else None
    sql("UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE chain = %s",
        [seq, last.row_hash if last else "0" * 64, chain])


def rehash_from(chain, seq, digest):
    """What a forger does after changing row `seq`: recompute every hash from it on with
    `digest` (plain SHA-256 without the key, or the keyed hash for one who has the key), and
    move the head along."""
    previous = row(chain, seq - 1).row_hash if seq > 1 else "0" * 64
    for event in rows(chain)[seq - 1:]:
        event.prev_hash = previous
        previous = digest(event)
        sql("UPDATE audit_auditevent SET prev_hash = %s, row_hash = %s WHERE id = %s",
            [event.prev_hash, previous, event.pk])
    sql("UPDATE audit_auditchainhead SET last_hash = %s WHERE chain = %s", [previous, chain])


def plain_sha256(event):
    return hashlib.sha256((event.prev_hash + canonical(event)).encode()).hexdigest()


def test_an_untouched_log_passes(chain):
    assert verify() == []
    call_command("verify_audit_chain")


def test_an_edited_field(chain):
    sql("UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s", [row(chain, 4).pk])
    assert broken(chain) == {Kind.CHANGED}


def test_a_deleted_middle_row(chain):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [row(chain, 7).pk])
    assert Kind.MISSING_ROW in broken(chain)


def test_a_deleted_newest_row(chain):
    sql("DELETE FROM audit_auditevent WHERE id = %s", [row(chain, 15).pk])
    assert broken(chain) == {Kind.HEAD, Kind.TRUNCATED}


def test_a_truncated_tail_with_the_head_rolled_back(chain):
    """Nothing inside the database shows it: only the checkpoint counted more rows."""
    sql("DELETE FROM audit_auditevent WHERE chain = %s AND chain_seq > 12", [chain])
    roll_head_back(chain, 12)
    assert broken(chain) == {Kind.TRUNCATED}


def test_a_wiped_chain(chain):
    sql("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
    sql("DELETE FROM audit_auditchainhead WHERE chain = %s", [chain])
    assert broken(chain) == {Kind.HEAD, Kind.WIPED}


def test_a_wiped_chain_with_its_head_reset(chain):
    sql("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
    roll_head_back(chain, 0)
    assert broken(chain) == {Kind.WIPED}


def test_a_chain_recomputed_without_the_key(chain):
    """The old weakness: the hashes were plain SHA-256 of public fields."""
    sql("UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s", [row(chain, 5).pk])
    rehash_from(chain, 5, plain_sha256)
    assert Kind.RECOMPUTED in broken(chain)


def test_a_chain_recomputed_with_the_key_before_the_checkpoint(chain):
    """Someone who has the key but not the checkpoint store can rewrite only what came after
    the newest checkpoint."""
    sql("UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s", [row(chain, 5).pk])
    rehash_from(chain, 5, row_hash)
    assert broken(chain) == {Kind.RECOMPUTED}


def test_reordered_rows(chain):
    third, fourth = row(chain, 3), row(chain, 4)
    sql("UPDATE audit_auditevent SET chain_seq = -1 WHERE id = %s", [third.pk])
    sql("UPDATE audit_auditevent SET chain_seq = 3 WHERE id = %s", [fourth.pk])
    sql("UPDATE audit_auditevent SET chain_seq = 4 WHERE id = %s", [third.pk])
    assert broken(chain) == {Kind.CHANGED}


@pytest.mark.parametrize("digest", [plain_sha256, lambda event: "f" * 64])
def test_a_forged_row_appended(chain, digest):
    newest = row(chain, 15)
    forged = AuditEvent(**{f.attname: getattr(newest, f.attname) for f in AuditEvent._meta.fields
                           if f.attname != "id"})
    forged.chain_seq, forged.prev_hash, forged.action = 16, newest.row_hash, "forged.grant"
    forged.row_hash = digest(forged)
    AuditEvent.objects.bulk_create([forged])
    sql("UPDATE audit_auditchainhead SET last_seq = 16, last_hash = %s WHERE chain = %s",
        [forged.row_hash, chain])
    kinds = broken(chain)
    assert kinds & {Kind.RECOMPUTED, Kind.CHANGED}
    assert Kind.TRUNCATED not in kinds


def test_a_key_id_changed_to_an_unknown_one(chain):
    sql("UPDATE audit_auditevent SET key_id = 'forger' WHERE id = %s", [row(chain, 2).pk])
    assert broken(chain) == {Kind.UNKNOWN_KEY}


def read_checkpoint():
    name = checkpoints.read().name
    with checkpoints.storage().open(name) as file:
        return name, json.loads(file.read())


def rewrite_checkpoint(name, document):
    with open(checkpoints.storage().path(name), "w") as file:
        json.dump(document, file)


def test_a_changed_checkpoint_file(chain):
    name, document = read_checkpoint()
    (entry,) = [e for e in document["chains"] if e["chain"] == chain]
    entry["seq"] = 3
    rewrite_checkpoint(name, document)
    breaks = verify()
    assert [(b.chain, b.kind) for b in breaks] == [(chain, Kind.CHECKPOINT)]
    assert name in breaks[0].problem


def test_an_entry_removed_from_a_checkpoint_file(chain):
    """Dropping a chain's entry so that wiping it would pass: the file's signature breaks."""
    name, document = read_checkpoint()
    document["chains"] = [e for e in document["chains"] if e["chain"] != chain]
    rewrite_checkpoint(name, document)
    assert [(b.chain, b.kind) for b in verify()] == [(None, Kind.CHECKPOINT)]


def test_the_command_names_each_broken_chain_and_why(chain, actors, capsys):
    other = AuditChainHead.objects.exclude(chain=chain).filter(last_seq__gt=0).first().chain
    sql("DELETE FROM audit_auditevent WHERE chain = %s AND chain_seq > 12", [chain])
    roll_head_back(chain, 12)
    sql("DELETE FROM audit_auditevent WHERE chain = %s", [other])
    sql("DELETE FROM audit_auditchainhead WHERE chain = %s", [other])
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_chain")
    err = capsys.readouterr().err
    assert f"chain {chain}: truncated" in err and f"chain {other}: wiped" in err
    assert f"chain(s) {', '.join(map(str, sorted([chain, other])))}" in str(failure.value)


@pytest.mark.django_db(transaction=True)
def test_verification_outside_a_transaction_reads_one_snapshot(staff):
    """How the command runs: on PostgreSQL in one repeatable-read snapshot of its own."""
    # The chain heads come from a migration; an earlier transactional test's flush removed them.
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=n) for n in range(AUDIT_CHAINS)], ignore_conflicts=True)
    actor = Actor(kind="staff", staff=staff["agent"])
    events = record_many(actor, [Entry("register.event", "x", str(n)) for n in range(3)])
    checkpoints.write()
    assert not connection.in_atomic_block
    assert verify() == []
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    roll_head_back(events[0].chain, 2)
    assert [(b.chain, b.kind) for b in verify()] == [(events[0].chain, Kind.TRUNCATED)]
