"""Audit keys: rotation, unknown keys, the setting, the production check, and the migration that
made the rows keyed (issue 11, B5)."""

import base64
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from durvis.audit import checkpoints
from durvis.audit.models import AuditChainHead, AuditEvent
from durvis.audit.services import Entry, Kind, record_many, verify, verify_report
from durvis.core import checks
from durvis.settings import _audit_keys

OLD = {"old": b"o" * 32}
NEW = {"new": b"n" * 32, **OLD}


def append(actor, count, action="register.event"):
    return record_many(actor, [Entry(action, "x", str(n)) for n in range(count)])


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


# Keys


def test_rows_under_the_old_and_the_new_key_both_verify_after_rotation(actor, settings):
    settings.DURVIS_AUDIT_KEYS = OLD
    old = append(actor, 3)
    checkpoints.write()
    settings.DURVIS_AUDIT_KEYS = NEW  # rotation: the new key first, the old one kept
    new = append(actor, 3)
    checkpoints.write()
    assert {e.key_id for e in old} == {"old"} and {e.key_id for e in new} == {"new"}
    assert verify_report(every_checkpoint=True).breaks == []


def test_a_key_removed_too_early_is_named(actor, settings):
    settings.DURVIS_AUDIT_KEYS = OLD
    (event,) = append(actor, 1)
    checkpoints.write()
    settings.DURVIS_AUDIT_KEYS = {"new": b"n" * 32}
    breaks = verify()
    assert {(b.chain, b.kind) for b in breaks} == {(event.chain, Kind.UNKNOWN_KEY),
                                                   (None, Kind.CHECKPOINT)}
    assert any("'old'" in b.problem for b in breaks if b.kind == Kind.CHECKPOINT)


def test_a_row_under_another_known_key_is_named(actor, settings):
    settings.DURVIS_AUDIT_KEYS = NEW
    events = append(actor, 3)
    sql("UPDATE audit_auditevent SET key_id = 'old' WHERE id = %s", [events[1].pk])
    assert [(b.chain, b.kind) for b in verify()] == [(events[1].chain, Kind.CHANGED)]


def test_keys_are_read_in_order_and_checked():
    secret = base64.b64encode(b"k" * 32).decode()
    keys = _audit_keys(f"k2:{secret}\n k1:{secret} ,")
    assert list(keys) == ["k2", "k1"] and keys["k1"] == b"k" * 32
    for wrong in ("", f"k1:{secret},k1:{secret}", "k1:c2hvcnQ=", "k1:not base64!",
                  f"bad id:{secret}", f"{'x' * 21}:{secret}"):
        with pytest.raises(ImproperlyConfigured) as refusal:
            _audit_keys(wrong)
        assert secret not in str(refusal.value)


def test_production_refuses_the_development_key(settings):
    settings.PRODUCTION = True

    def audit_problems():
        return [p for p in checks.problems() if p.key == "DURVIS_AUDIT_KEYS"]

    settings.DURVIS_AUDIT_KEYS = _audit_keys(settings.DURVIS_AUDIT_DEVELOPMENT_KEY)
    assert audit_problems()
    with pytest.raises(ImproperlyConfigured, match="DURVIS_AUDIT_KEYS"):
        checks.refuse_misconfigured_production()
    settings.DURVIS_AUDIT_KEYS = {"prod": b"p" * 32, "dev": settings.DURVIS_AUDIT_KEYS["dev"]}
    assert audit_problems()  # not even to verify old rows: anyone can sign with it
    settings.DURVIS_AUDIT_KEYS = {"prod": b"p" * 32}
    assert audit_problems() == []


# The migration that made the rows keyed


rekey = importlib.import_module("durvis.audit.migrations.0003_keyed_hashes")


def test_the_migration_makes_plain_rows_keyed(actor):
    events = append(actor, 4)
    rekey.unhash(apps, None)  # the rows as the previous release hashed them
    assert verify()  # plain hashes do not pass as keyed ones
    rekey.rehash(apps, None)
    assert verify() == []
    # the migration's copy of the hashing is the one `record_many` uses
    stored = AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("chain_seq")
    assert [e.row_hash for e in stored] == [e.row_hash for e in events]


def test_the_migration_refuses_to_rehash_a_broken_chain(actor, monkeypatch):
    events = append(actor, 4)
    rekey.unhash(apps, None)
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(RuntimeError, match=f"chain {events[0].chain} at row 2"):
        rekey.rehash(apps, None)
    monkeypatch.setenv("DURVIS_AUDIT_REHASH_BROKEN", "yes")
    rekey.rehash(apps, None)
    assert [(b.chain, b.kind) for b in verify()] == [(events[0].chain, Kind.MISSING_ROW)]
    assert AuditChainHead.objects.get(chain=events[0].chain).last_seq == 4
