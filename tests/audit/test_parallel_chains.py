"""One actor writing from several transactions at once (issue 21, B5): each takes a free chain
of the actor's own, so none waits for another's audit lock; a transaction keeps one chain for
all it appends; and the chains verify, and tampering is found, as before."""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from durvis.audit.models import AUDIT_CHAINS, CHAINS_PER_ACTOR, AuditChainHead
from durvis.audit.services import Kind, chains_of, record, verify
from durvis.core.actor import Actor

postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="concurrent writers need PostgreSQL (SQLite serialises them)")


def test_one_transaction_appends_to_one_chain(staff, db):
    """Whoever acts in it: a transaction never holds two heads."""
    first, second = (Actor(kind="staff", staff=staff[n]) for n in ("vsaa_admin", "vid_admin"))
    with transaction.atomic():
        events = [record(first, "x.one"), record(second, "x.two"), record(first, "x.three")]
    assert len({e.chain for e in events}) == 1
    assert [e.chain_seq for e in events] == [events[0].chain_seq + n for n in range(3)]
    assert verify() == []


class Holder(threading.Thread):
    """A transaction of `actor` in a connection of its own that appends one event, waiting for
    no lock longer than 5 s, and stays open until released."""

    def __init__(self, actor):
        super().__init__(daemon=True)
        self.actor, self.event, self.error = actor, None, None
        self.wrote, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                self.event = append_without_waiting(self.actor)
                self.wrote.set()
                assert self.release.wait(60)
        except BaseException as error:
            self.error = error
            self.wrote.set()
        finally:
            connections.close_all()

    def finish(self):
        self.release.set()
        self.join(60)
        assert not self.is_alive() and self.error is None, self.error


def append_without_waiting(actor, seconds=5):
    """Append one event in a transaction that may wait for a lock at most `seconds`."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{seconds}s'")
        return record(actor, "register.case.create")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_transactions_of_one_actor_do_not_wait_for_each_other(staff):
    # The chain heads come from a migration; an earlier transactional test's flush removed them.
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=n) for n in range(AUDIT_CHAINS)], ignore_conflicts=True)
    system = Actor(kind="staff", staff=staff["agent"])
    holders = [Holder(system) for _ in range(CHAINS_PER_ACTOR)]
    try:
        for holder in holders:  # each appends while those before it hold their chains
            holder.start()
            assert holder.wrote.wait(30) and holder.error is None, holder.error
        assert sorted(h.event.chain for h in holders) == sorted(chains_of(system))
        with pytest.raises(OperationalError):  # the ninth waits on the first, held
            append_without_waiting(system, seconds=1)
    finally:
        for holder in holders:
            holder.finish()
    assert verify() == []
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'nothing.happened' WHERE id = %s",
                       [holders[3].event.pk])
    assert [(b.chain, b.kind) for b in verify()] == [(holders[3].event.chain, Kind.CHANGED)]


def test_the_migrations_give_every_chain_its_head(db):
    """Migration 0009 adds the heads of chains 16 to 63 (0002 made the first sixteen)."""
    assert sorted(AuditChainHead.objects.values_list("chain", flat=True)) == list(
        range(AUDIT_CHAINS))
