"""Secrets sealed at rest (B9, A8): a merchant's secret and a webhook's signing secrets are
kept as JWEs under DURVIS_SECRET_KEYS (`core.sealed.SealedCharField`), read back as the plain
text by the code that signs with them; migrations payments.0006-0007 and integrations.0010-0011 seal
those kept in plain text before, and going back opens them."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from durvis.core.sealed import is_sealed, unseal
from durvis.integrations.models import WebhookEndpoint
from durvis.payments.models import MerchantAccount

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("payments", "0005_payment_mandate"),
          ("integrations", "0009_credential_generation")]
AFTER = [("payments", "0007_seal_plain_secrets"), ("integrations", "0011_seal_plain_secrets")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


def _raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _write(table, column, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s",
                       [value, pk])


def test_a_new_secret_is_stored_sealed_and_read_plain(institutions):
    merchant = MerchantAccount.objects.create(institution=institutions["VSAA"],
                                              provider="gateway", merchant_id="m-1",
                                              secret="tirgotaja-noslepums")
    stored = _raw("payments_merchantaccount", "secret", merchant.pk)
    assert is_sealed(stored) and "noslepums" not in stored
    assert MerchantAccount.objects.get(pk=merchant.pk).secret == "tirgotaja-noslepums"


def test_plain_secrets_are_sealed_and_opened_going_back(institutions):
    merchant = MerchantAccount.objects.create(institution=institutions["VSAA"],
                                              provider="gateway", merchant_id="m-1", secret="x")
    hook = WebhookEndpoint.objects.create(institution=institutions["VSAA"],
                                          url="https://hooks.example.lv/", secret="x",
                                          events=["case.registered"])
    migrate(BEFORE)
    _write("payments_merchantaccount", "secret", merchant.pk, "tirgotaja-noslepums")
    _write("integrations_webhookendpoint", "secret", hook.pk, "whsec_jaunais")
    _write("integrations_webhookendpoint", "previous_secret", hook.pk, "whsec_vecais")
    migrate(AFTER)
    for table, column, plain, pk in [
            ("payments_merchantaccount", "secret", "tirgotaja-noslepums", merchant.pk),
            ("integrations_webhookendpoint", "secret", "whsec_jaunais", hook.pk),
            ("integrations_webhookendpoint", "previous_secret", "whsec_vecais", hook.pk)]:
        stored = _raw(table, column, pk)
        assert is_sealed(stored) and plain not in stored and unseal(stored) == plain
    assert MerchantAccount.objects.get(pk=merchant.pk).secret == "tirgotaja-noslepums"
    assert WebhookEndpoint.objects.get(pk=hook.pk).previous_secret == "whsec_vecais"
    migrate(BEFORE)
    assert _raw("payments_merchantaccount", "secret", merchant.pk) == "tirgotaja-noslepums"
    assert _raw("integrations_webhookendpoint", "secret", hook.pk) == "whsec_jaunais"
    assert _raw("integrations_webhookendpoint", "previous_secret", hook.pk) == "whsec_vecais"
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app's newest


def test_a_bad_secret_key_names_its_own_setting():
    env = {**os.environ, "DURVIS_SECRET_KEYS": "k1:short", "DJANGO_SETTINGS_MODULE":
           "durvis.settings"}
    env.pop("DURVIS_SECRET_KEYS_FILE", None)
    run = subprocess.run([sys.executable, "-c", "import durvis.settings"], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode != 0
    assert "DURVIS_SECRET_KEYS: 'k1' needs" in run.stderr
    assert "DURVIS_AUDIT_KEYS" not in run.stderr.splitlines()[-1]
