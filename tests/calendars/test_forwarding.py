"""Bookings forwarded to the institution's system (A4) through the outbox: a CalDAV calendar on
a real Radicale server on loopback (RFC 4791), a department's e-mail with the .ics; a server
that is down gets the booking later (the outbox's retries)."""

from __future__ import annotations

import pytest
from caldav.davclient import DAVClient
from django.core import mail
from icalendar import Calendar as ICalendar

from durvis.calendars import services
from durvis.core.actor import Actor
from durvis.core.sealed import seal
from durvis.integrations.models import OutboxMessage, OutboxStatus
from tests.calendars.conftest import first_slot, make_caldav_calendar

pytestmark = pytest.mark.django_db


def person(p):
    return Actor(kind="person", person=p)


def events_on(url: str) -> list[ICalendar]:
    with DAVClient(url=url, username="vdaa", password="secret") as client:
        return [ICalendar.from_ical(e.data) for e in client.calendar(url=url).events()]


def test_the_caldav_server_holds_moves_and_drops_the_event(calendar, family, worker, radicale):
    url = make_caldav_calendar(radicale)
    calendar.forward_to, calendar.forward_target = "caldav", url
    calendar.forward_username, calendar.forward_password = "vdaa", seal("secret")
    calendar.save()
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["parent"])
    worker.deliver()
    held = events_on(url)
    assert len(held) == 1
    event = held[0].walk("VEVENT")[0]
    assert str(event["UID"]) == f"{booking.uid}@durvis"
    assert event.decoded("DTSTART") == booking.starts_at
    assert "Jānis Bērziņš" in str(event["DESCRIPTION"])  # the institution's copy names them
    moved = services.move(person(family["parent"]), booking, first_slot(calendar, 1),
                          family["parent"])
    worker.deliver()
    held = events_on(url)
    assert len(held) == 1 and held[0].walk("VEVENT")[0].decoded("DTSTART") == moved.starts_at
    services.cancel(person(family["parent"]), moved, family["parent"])
    worker.deliver()
    assert events_on(url) == []
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()


def test_a_caldav_server_that_is_down_gets_the_booking_later(calendar, family, worker):
    calendar.forward_to, calendar.forward_target = "caldav", "http://127.0.0.1:9/cal/"
    calendar.save()
    services.book(person(family["parent"]), calendar, first_slot(calendar), family["parent"])
    worker.deliver()
    message = OutboxMessage.objects.get(channel="adapter")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.last_error


def test_a_departments_email_gets_the_ics(calendar, family, worker):
    calendar.forward_to, calendar.forward_target = "email", "pieraksti@vdaa.example.lv"
    calendar.save()
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["parent"])
    worker.deliver()
    sent = [m for m in mail.outbox if m.to == ["pieraksti@vdaa.example.lv"]]
    assert len(sent) == 1
    parsed = ICalendar.from_ical(sent[0].attachments[0][1])
    assert str(parsed.walk("VEVENT")[0]["UID"]) == f"{booking.uid}@durvis"


def test_a_calendar_is_set_up_by_the_points_administrator(points, catalogue, admins):
    from django.core.exceptions import PermissionDenied, ValidationError

    point = points["Valmieras VPVKAC"]
    calendar = services.save_calendar(admins["vdaa"], point, catalogue["childbirth"],
                                      slot_minutes=15, desks=3, lead_minutes=120,
                                      horizon_days=60, forward_to="webhook",
                                      forward_target="https://rinda.example.lv/hook")
    assert calendar.desks == 3
    with pytest.raises(PermissionDenied):
        services.save_calendar(admins["vsaa"], point, catalogue["childbirth"], desks=1)
    with pytest.raises(ValidationError) as refused:
        services.save_calendar(admins["vdaa"], point, catalogue["childbirth"], desks=0,
                               forward_to="caldav", forward_target="ftp://x")
    assert set(refused.value.error_dict) == {"desks", "forward_target"}
    with pytest.raises(ValidationError) as refused:
        services.save_calendar(admins["vsaa"], points["VSAA Rīgas nodaļa"],
                               catalogue["kindergarten"])
    assert refused.value.error_dict["service"][0].code == "not_handled"


def test_the_caldav_password_is_sealed_at_rest_and_never_shown(client, calendar, admins,
                                                                settings):
    from conftest import sign_in_staff
    from django.urls import reverse

    from durvis.calendars.models import Calendar
    from durvis.core.sealed import Unsealable, unseal

    services.save_calendar(admins["vdaa"], calendar.point, calendar.service,
                           forward_to="caldav", forward_target="https://cal.example.lv/vdaa/",
                           forward_username="vdaa", forward_password="tops-ecret-42")
    stored = Calendar.objects.values_list("forward_password", flat=True).get(pk=calendar.pk)
    assert "tops-ecret-42" not in stored and unseal(stored) == "tops-ecret-42"
    services.save_calendar(admins["vdaa"], calendar.point, calendar.service, desks=2,
                           forward_password="")  # not typed again: kept
    calendar.refresh_from_db()
    assert unseal(calendar.forward_password) == "tops-ecret-42" and calendar.desks == 2
    sign_in_staff(client, admins["vdaa"].staff)
    page = client.get(reverse("administration:service-point", args=[calendar.point_id]))
    assert "tops-ecret-42" not in page.content.decode() and stored not in page.content.decode()
    # A new key first, the old one still listed: opened; the old key removed: refused.
    old = dict(settings.DURVIS_SECRET_KEYS)
    settings.DURVIS_SECRET_KEYS = {"new": b"n" * 32, **old}
    assert unseal(calendar.forward_password) == "tops-ecret-42"
    assert seal("x").count(".") == 4 and unseal(seal("x")) == "x"
    settings.DURVIS_SECRET_KEYS = {"new": b"n" * 32}
    with pytest.raises(Unsealable):
        unseal(calendar.forward_password)
