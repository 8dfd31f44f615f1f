"""The e-account's `.ics` of an appointment (A4, RFC 5545): the confirmation's file, linked from
the appointments, for the booker, the client, a parent and a company's representative only
(the policy), and audited."""

from __future__ import annotations

import pytest
from conftest import sign_in_person
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from icalendar import Calendar as ICalendar

from durvis.audit.models import AuditEvent
from durvis.calendars import queries, services
from durvis.core.actor import Actor
from tests.calendars.conftest import first_slot

pytestmark = pytest.mark.django_db


def _events(content: bytes):
    calendar = ICalendar.from_ical(content)
    return calendar, [c for c in calendar.walk("VEVENT")]


def test_the_client_downloads_the_confirmations_ics_from_the_overview(client, calendar, family):
    parent = family["parent"]
    booking = services.book(Actor(kind="person", person=parent), calendar, first_slot(calendar),
                            parent)
    sign_in_person(client, parent)
    url = reverse("eaccount:appointment-ics", args=[booking.pk])
    assert url in client.get(reverse("eaccount:overview")).content.decode()
    assert url in client.get(reverse("eaccount:appointments")).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"] and ".ics" in response[
        "Content-Disposition"]
    downloaded, events = _events(response.content)
    mailed, mailed_events = _events(queries.ics_attachment(booking)[1].encode())
    assert str(downloaded["method"]) == str(mailed["method"]) == "PUBLISH"
    assert len(events) == 1
    for key in ("uid", "sequence", "summary", "location", "status"):
        assert str(events[0][key]) == str(mailed_events[0][key])
    assert events[0]["dtstart"].dt == booking.starts_at
    assert AuditEvent.objects.filter(action="calendars.booking.ics",
                                     subject_person_id=parent.pk).count() == 1


def test_a_parent_downloads_the_childs_and_a_stranger_gets_nothing(client, calendar, family):
    parent, child = family["parent"], family["child"]
    booking = services.book(Actor(kind="person", person=parent), calendar, first_slot(calendar),
                            child)
    url = reverse("eaccount:appointment-ics", args=[booking.pk])
    sign_in_person(client, parent, f"person:{child.pk}")
    assert client.get(url).status_code == 200
    client.logout()
    sign_in_person(client, family["stranger"])
    assert client.get(url).status_code == 404
    # Acting for the parent by some other relation is not enough: the policy refuses.
    with pytest.raises(PermissionDenied):
        queries.ics_download(Actor(kind="person", person=family["stranger"]), child, booking.pk)
