"""Checkpoints of the activity log: the store, the writer, verification against them, and the
worker's schedule (issue 11, B5)."""

import datetime
import json
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from durvis.audit import checkpoints
from durvis.audit.models import AUDIT_CHAINS, CheckpointSchedule
from durvis.audit.services import Kind, verify, verify_report
from durvis.core import worker
from tests.audit.test_keys import append, sql

# Checkpoints


def test_a_checkpoint_pins_every_chain_and_is_never_overwritten(actor, audit_checkpoint_store):
    events = append(actor, 4)
    first, second = checkpoints.write(), checkpoints.write()
    assert first != second
    assert sorted(p.relative_to(audit_checkpoint_store).as_posix()
                  for p in audit_checkpoint_store.rglob("*.json")) == sorted([first, second])
    document = json.loads((audit_checkpoint_store / second).read_text())
    entries = {e["chain"]: e for e in document["chains"]}
    assert len(entries) == AUDIT_CHAINS
    assert (entries[events[0].chain]["seq"], entries[events[0].chain]["hash"]) == (
        4, events[-1].row_hash)
    assert checkpoints.read().name == second


def test_the_writer_never_pins_less_than_the_checkpoint_before(actor, caplog):
    events = append(actor, 5)
    checkpoints.write()
    sql("DELETE FROM audit_auditevent WHERE chain = %s AND chain_seq > 3", [events[0].chain])
    sql("UPDATE audit_auditchainhead SET last_seq = 3, last_hash = %s WHERE chain = %s",
        [events[2].row_hash, events[0].chain])
    with caplog.at_level(logging.ERROR, logger="durvis.audit.checkpoints"):
        checkpoints.write()
    assert f"audit chain {events[0].chain} is at row 3" in caplog.text
    assert checkpoints.read().newest(events[0].chain).seq == 5
    assert [(b.chain, b.kind) for b in verify()] == [(events[0].chain, Kind.TRUNCATED)]


def test_the_writer_keeps_the_pin_of_a_rewritten_row(actor, caplog):
    events = append(actor, 3)
    checkpoints.write()
    sql("UPDATE audit_auditevent SET row_hash = %s WHERE id = %s", ["e" * 64, events[2].pk])
    sql("UPDATE audit_auditchainhead SET last_hash = %s WHERE chain = %s",
        ["e" * 64, events[0].chain])
    with caplog.at_level(logging.ERROR, logger="durvis.audit.checkpoints"):
        checkpoints.write()
    assert "no longer has the hash" in caplog.text
    assert checkpoints.read().newest(events[0].chain).hash == events[2].row_hash


def test_a_copied_or_unreadable_checkpoint_is_named_and_an_older_one_used(
        actor, audit_checkpoint_store):
    events = append(actor, 3)
    good = checkpoints.write()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    folder = audit_checkpoint_store / f"{later:%Y/%m/%d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{later:%Y%m%dT%H%M%S%f}Z-copy.json").write_bytes(
        (audit_checkpoint_store / good).read_bytes())
    (folder / f"{later:%Y%m%dT%H%M%S%f}Z-junk.json").write_text("{not json")
    found = checkpoints.read()
    assert found.name == good
    assert sorted(p.message.split(" ")[0] for p in found.problems) == ["its", "not"]
    sql("DELETE FROM audit_auditevent WHERE chain = %s AND chain_seq = 3", [events[0].chain])
    sql("UPDATE audit_auditchainhead SET last_seq = 2, last_hash = %s WHERE chain = %s",
        [events[1].row_hash, events[0].chain])
    kinds = {(b.chain, b.kind) for b in verify()}
    assert kinds == {(events[0].chain, Kind.TRUNCATED), (None, Kind.CHECKPOINT)}


def test_every_checkpoint_is_checked_on_request(actor, audit_checkpoint_store):
    append(actor, 2)
    older = checkpoints.write()
    append(actor, 2)
    checkpoints.write()
    document = json.loads((audit_checkpoint_store / older).read_text())
    document["reason"] = "changed"
    (audit_checkpoint_store / older).write_text(json.dumps(document))
    assert verify() == []
    assert [b.kind for b in verify_report(every_checkpoint=True).breaks] == [Kind.CHECKPOINT]


def test_notes_say_when_there_is_no_checkpoint_or_it_is_old(actor, settings, capsys):
    append(actor, 1)
    call_command("verify_audit_chain")
    assert "No checkpoint yet" in capsys.readouterr().out
    checkpoints.write()
    assert verify_report().notes == []
    settings.DURVIS_AUDIT_CHECKPOINT_SECONDS = 1
    later = timezone.now() + datetime.timedelta(minutes=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        assert "is the worker running?" in verify_report().notes[0]


def test_the_command_writes_a_checkpoint_on_demand(actor, capsys):
    append(actor, 2)
    call_command("audit_checkpoint")
    out = capsys.readouterr().out
    assert f"Checkpoint written: {checkpoints.read().name}" in out


# The worker's schedule


def test_a_due_checkpoint_is_written_once_by_the_workers_round(actor):
    append(actor, 1)
    assert checkpoints.next_due_at() <= timezone.now()  # none yet: due at once
    assert checkpoints.run_due() == 1
    written = checkpoints.read().name
    assert written and CheckpointSchedule.objects.get().next_at > timezone.now()
    assert checkpoints.run_due() == 0  # not due again before the interval
    assert checkpoints.read().name == written


def test_a_quiet_platform_is_checkpointed_on_time(actor, settings):
    """Nothing is appended after the first checkpoint; the scheduler still finds the next one
    due and the worker's round writes it (issue 11's note: appends scheduled them before)."""
    append(actor, 1)
    checkpoints.run_due()
    first = checkpoints.read().name
    CheckpointSchedule.objects.update(next_at=timezone.now() - datetime.timedelta(seconds=1))
    assert checkpoints.next_due_at() <= timezone.now()
    assert worker.run_due.call() >= 1
    assert checkpoints.read().name != first


def test_a_failed_write_leaves_the_checkpoint_due(actor, monkeypatch):
    append(actor, 1)

    def broken(reason):
        raise OSError("storage unavailable")

    monkeypatch.setattr(checkpoints, "write", broken)
    with pytest.raises(OSError):
        checkpoints.run_due()
    assert checkpoints.next_due_at() <= timezone.now()
