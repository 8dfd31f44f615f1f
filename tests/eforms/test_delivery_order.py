"""Both feeds that moved to commit-order cursors never skip a change that commits late (B9): a
submitted application, and a client's reply, whose transaction took its position first but
commits after a later one. Real concurrent transactions (threads with their own connections),
so PostgreSQL only; SQLite serialises its writers, where commit order is position order."""

import threading

import pytest
from django.db import connection, connections, transaction

from durvis.audit.services import chain_of
from durvis.core.actor import Actor
from durvis.integrations import services as integrations
from durvis.messaging import services as messaging
from tests.eforms.submitted import Submitter

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serialises them)"),
]


class Thread(threading.Thread):
    """A writer with its own database connection that holds its transaction open until told."""

    def __init__(self, write):
        super().__init__(daemon=True)
        self.write, self.error = write, None
        self.wrote, self.release = threading.Event(), threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                self.write()
                self.wrote.set()
                assert self.release.wait(30)
        except BaseException as error:
            self.error = error
            self.wrote.set()
        finally:
            connections.close_all()

    def finish(self):
        self.release.set()
        self.join(60)
        assert not self.is_alive(), "the writer hung"
        if self.error is not None:
            raise self.error


def drain(http, path, cursor, key):
    """Poll `path` from `cursor` until a page is empty; the keys received and the cursor."""
    received = []
    while True:
        response = http.get(path, {"since": cursor, "limit": 2})
        assert response.status_code == 200, response.content
        page = response.json()
        received += [item[key] for item in page["items"]]
        cursor = page["next_cursor"]
        if not page["items"]:
            return received, cursor


def other_chain_system(institutions, staff, avoid):
    """A VID case system whose audit chain differs from `avoid`'s (no writer waits for
    another's audit lock)."""
    admin = Actor(kind="staff", staff=staff["vid_admin"])
    while True:
        client, _ = integrations.create_api_client(admin, institutions["VID"], "Cases",
                                                   ["cases:write"])
        actor = integrations.api_actor(client)
        if chain_of(actor) != chain_of(avoid):
            return actor


def test_an_application_committing_late_is_not_skipped(
        submit_application, delivery_client, api_client_factory, institutions, staff):
    reader = api_client_factory("VDAA", operations=("applications:read",))  # provides both
    late_system = other_chain_system(institutions, staff, submit_application.system[1011])
    late = Submitter({1006: late_system}, submit_application.versions)
    first = submit_application(delivery_client, file=None, pdf=False)
    received, cursor = drain(reader, "/api/v1/applications", "0", "reference")
    assert received == [str(first.reference)]

    made = {}
    held = Thread(lambda: made.setdefault("held", submit_application(delivery_client, file=None, pdf=False)))
    held.start()
    try:
        assert held.wrote.wait(30)
        quick = late(delivery_client, code=1006, file=None, pdf=False)  # commits while held is open
        seen, cursor = drain(reader, "/api/v1/applications", cursor, "reference")
        assert seen == []  # the reader waits behind the open transaction, never passes it
    finally:
        held.finish()
    seen, cursor = drain(reader, "/api/v1/applications", cursor, "reference")
    assert seen == [str(made["held"].reference), str(quick.reference)]
    assert drain(reader, "/api/v1/applications", cursor, "reference")[0] == []


def test_a_reply_committing_late_is_not_skipped(family, vsaa_api, institutions):
    writers = [family["parent"], family["stranger"], family["child"]]
    first = writers[0]
    second = next(p for p in writers[1:] if chain_of(Actor(kind="person", person=p))
                  != chain_of(Actor(kind="person", person=first)))

    def write(person, text):
        return messaging.write_to_institution(Actor(kind="person", person=person), person,
                                              institutions["VSAA"], "Jautājums", text)

    write(first, "Pirmais.")
    received, cursor = drain(vsaa_api, "/api/v1/messages/replies", "0", "body")
    assert received == ["Pirmais."]
    held = Thread(lambda: write(first, "Ilgi rakstīts."))
    held.start()
    try:
        assert held.wrote.wait(30)
        write(second, "Ātri.")
        seen, cursor = drain(vsaa_api, "/api/v1/messages/replies", cursor, "body")
        assert seen == []
    finally:
        held.finish()
    seen, cursor = drain(vsaa_api, "/api/v1/messages/replies", cursor, "body")
    assert seen == ["Ilgi rakstīts.", "Ātri."]


def test_an_old_message_id_is_still_a_cursor(family, vsaa_api, institutions):
    """A reader that kept the last message id as its cursor (before positions) is not sent
    back to the beginning nor past anything new."""
    person = family["parent"]
    actor = Actor(kind="person", person=person)
    old = messaging.write_to_institution(actor, person, institutions["VSAA"], "Vecs", "Vecs.")
    from durvis.messaging.models import InboxMessage
    InboxMessage.objects.filter(pk=old.pk).update(change_xid=0, change_seq=old.pk)  # as migrated
    new = messaging.write_to_institution(actor, person, institutions["VSAA"], "Jauns", "Jauns.")
    received, _ = drain(vsaa_api, "/api/v1/messages/replies", str(old.pk), "body")
    assert received == ["Jauns."] and new.change_xid > 0
