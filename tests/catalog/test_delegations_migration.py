"""Migration catalog.0007 (issue 16): each provider of `Service.providers` becomes a delegation
of every stage, in force from the day the service was created; a holder listed among its own
providers needs none; going back puts the providers in the list again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("catalog", "0006_service_assistant_allowed")]
AFTER = [("catalog", "0007_delegations")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_every_provider_becomes_a_delegation_of_every_stage_and_back():
    apps = migrate(BEFORE)
    institution = apps.get_model("identity", "Institution")
    holder = institution.objects.create(code="VSAA", name="VSAA", name_lv="VSAA", kind="state")
    centre = institution.objects.create(code="VDAA", name="VDAA", name_lv="VDAA", kind="state")
    service = apps.get_model("catalog", "Service").objects.create(
        code=1011, name="Pabalsts", name_lv="Pabalsts", holder=holder, audience="residents")
    service.providers.set([holder, centre])
    apps = migrate(AFTER)
    rows = apps.get_model("catalog", "Delegation").objects.filter(service_id=service.pk)
    assert sorted(rows.values_list("provider_id", "stage")) == [
        (centre.pk, "application"), (centre.pk, "execution"), (centre.pk, "information"),
        (centre.pk, "result_delivery")]
    since = timezone.localtime(service.created_at).date()
    assert {(r.valid_from, r.valid_until) for r in rows} == {(since, None)}
    apps = migrate(BEFORE)
    service = apps.get_model("catalog", "Service").objects.get(code=1011)
    assert list(service.providers.values_list("code", flat=True)) == ["VDAA"]
    # Forward to every app's newest migration: going back unapplied those that depend on
    # catalog (the knowledge base's), which the later tests need.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
