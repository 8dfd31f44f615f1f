"""Two simultaneous submits of one draft (two tabs, a double click that reached the server
twice) open exactly one case (A10, B1): the application row is locked for the submit, so the
second waits and then finds it submitted, with the first one's case. Real concurrent
transactions (threads with their own connections) need PostgreSQL; SQLite serialises writers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.http import QueryDict

from durvis.core.actor import Actor
from durvis.eforms import services as eforms
from durvis.eforms.models import Application
from durvis.register.models import ServiceCase
from durvis.web.roles import ClientRole
from tests.eforms.journey import publish_form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="concurrent writers need PostgreSQL (SQLite serialises them)"),
]


def test_two_simultaneous_submits_open_one_case(family, institutions, catalogue):
    service = catalogue["childbirth"]
    publish_form(institutions, service)
    parent = family["parent"]
    actor = Actor(kind="person", person=parent)
    app = eforms.start_application(actor, ClientRole("self", person=parent), service)
    eforms.answer_page(actor, parent, app, "applicant", QueryDict(
        "name=J&personal_code=14038612043&resident=yes&has_children=no"), version=0)
    eforms.answer_page(actor, parent, app, "payment", QueryDict("iban=LV80BANK0000435195001"),
                       version=1)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        try:
            start.wait()
            done = eforms.submit_application(actor, parent, Application.objects.get(pk=app.pk),
                                             result_channel="eaccount", declared=True)
            outcomes.append(("submitted", done.case_id))
        except eforms.ApplicationClosed as closed:
            outcomes.append(("closed", closed.application.case_id))
        except Exception as error:
            outcomes.append(("error", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    kinds = sorted(kind for kind, _case in outcomes)
    assert kinds == ["closed", "submitted"], outcomes
    cases = {case for _kind, case in outcomes}
    assert len(cases) == 1
    assert ServiceCase.objects.filter(holder_reference=str(app.reference)).count() == 1
