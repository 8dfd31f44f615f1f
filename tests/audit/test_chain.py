"""The hash-chained activity log (B5): append-only, and tampering in SQL is found."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from durvis.audit.models import AuditEvent
from durvis.audit.services import Entry, record, record_many, verify
from durvis.core.actor import Actor


@pytest.fixture
def actors(staff):
    return [Actor(kind="staff", staff=staff[name]) for name in ("vsaa_admin", "vid_admin", "agent")]


@pytest.fixture
def events(actors, catalogue):
    for n in range(5):
        for actor in actors:
            record(actor, "catalog.service.view", catalogue["childbirth"], details={"n": n})
    record_many(actors[0], [Entry("register.event", "x", str(n)) for n in range(10)])
    return AuditEvent.objects.order_by("id")


def test_intact_chain_verifies(events):
    assert verify() == []
    call_command("verify_audit_chain")


def test_each_chain_is_ordered(events, actors):
    """Every chain's rows are numbered 1, 2, ... in the order they were appended, and an
    actor's events follow each other by id (across its chains)."""
    for chain in set(events.values_list("chain", flat=True)):
        seqs = list(events.filter(chain=chain).values_list("chain_seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    details = [e.details.get("n") for e in events.filter(actor_id=actors[1].audit_id)]
    assert details == list(range(5))


def test_rows_cannot_be_changed_or_deleted_through_the_model(events):
    event = events.first()
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_changed_row_is_named(events):
    victim = events.filter(chain_seq=3).first()
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["nothing.happened", victim.pk])
    breaks = verify()
    assert [(b.chain, b.event_id) for b in breaks] == [(victim.chain, victim.pk)]
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")


def test_deleted_row_is_found(events):
    victim = events.filter(chain_seq=2).first()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    (found,) = verify()
    assert found.chain == victim.chain and found.chain_seq == 2
    assert "missing" in found.problem


def test_deleted_newest_row_is_found(events):
    newest = events.order_by("-chain_seq").first()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [newest.pk])
    (found,) = verify()
    assert found.chain == newest.chain and found.event_id is None


def test_rehashed_forgery_breaks_the_next_link(events):
    """A forger who recomputes the changed row's own hash still breaks its successor."""
    from durvis.audit.services import row_hash

    victim = events.filter(chain_seq=2).first()
    victim.action = "forged"
    forged_hash = row_hash(victim)
    tamper("UPDATE audit_auditevent SET action = %s, row_hash = %s WHERE id = %s",
           ["forged", forged_hash, victim.pk])
    (found,) = verify()
    assert found.chain_seq == 3
