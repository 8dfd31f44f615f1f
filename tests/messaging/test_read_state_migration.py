"""Upgrading to read state per reader (issue 12; A2, C1): a person's old read becomes the
person's, a company's old read is kept without a reader (read for every representative, "reader
not recorded" for the institution), an unread message stays unread; and a rating made before
`Feedback.given_by` gets it from its case event."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.messaging import queries as messaging_queries
from durvis.messaging.models import MessageRead
from durvis.register.models import Feedback

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("messaging", "0003_client_owned"), ("register", "0004_change_position")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    """Every app's newest migration: going back unapplies the apps that depend on these two
    (payments' tables too), so going forward must re-apply them all."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_old_reads_are_carried_over(family, institutions):
    parent, company = family["parent"], family["company"]
    leaves = latest()
    old = migrate(BEFORE)
    thread_model = old.get_model("messaging", "Thread")
    message_model = old.get_model("messaging", "InboxMessage")
    now = timezone.now()
    read_at = now - datetime.timedelta(days=3)

    def message(owner, read, direction="from_institution"):
        thread = thread_model.objects.create(
            institution_id=institutions["VSAA"].pk, subject="Vecs", last_message_at=now, **owner)
        return message_model.objects.create(
            thread=thread, institution_id=institutions["VSAA"].pk, direction=direction,
            subject="Vecs", body="Teksts", sent_at=now, read_at=read, **owner)

    persons = {"client_person_id": parent.pk}
    companys = {"client_company_id": company.pk}
    read_own = message(persons, read_at)
    unread_own = message(persons, None)
    read_companys = message(companys, read_at)
    event = old.get_model("register", "CaseEvent").objects.create(
        case_id=family["companys"].pk, kind="feedback", occurred_at=now, recorded_at=now,
        actor_kind="person", actor_id=f"person:{parent.pk}", dedup_key="feedback")
    rating = old.get_model("register", "Feedback").objects.create(
        case_id=family["companys"].pk, rating=4)

    migrate(leaves)

    own = MessageRead.objects.get(message_id=read_own.pk)
    assert (own.reader_id, own.read_at) == (parent.pk, read_at)
    assert not MessageRead.objects.filter(message_id=unread_own.pk).exists()
    companys_read = MessageRead.objects.get(message_id=read_companys.pk)
    assert companys_read.reader_id is None and companys_read.read_at == read_at
    janis = Actor(kind="person", person=parent)
    assert messaging_queries.unread_count(janis, parent) == 1
    assert messaging_queries.unread_count(janis, company) == 0  # no old message comes back
    assert Feedback.objects.get(pk=rating.pk).given_by_id == parent.pk
    assert event.actor_id == f"person:{parent.pk}"
