"""The appointments' pages (A4): booking, moving and cancelling in the e-account (for the role
acted in), the overview's upcoming appointments, the nearest points' "Book a time", the agent's
day view, the 360° profile, and the administrator's service points and calendars."""

from __future__ import annotations

import pytest
from conftest import sign_in_person, sign_in_staff
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.calendars import queries, services
from durvis.calendars.models import Booking, BookingState
from durvis.core.actor import Actor
from durvis.servicepoints.models import ServicePoint
from tests.calendars.conftest import first_slot

pytestmark = pytest.mark.django_db


def role_of(person):
    return "self"


def test_book_move_and_cancel_in_the_eaccount(client, calendar, family):
    parent = family["parent"]
    sign_in_person(client, parent)
    nearest = client.get(reverse("servicepoints:nearest", args=[1011]))
    book_url = reverse("eaccount:appointment-book", args=[calendar.pk])
    assert book_url in nearest.content.decode()
    page = client.get(book_url)
    assert page.status_code == 200
    slot = first_slot(calendar)
    empty = client.post(book_url, {"opened_as": role_of(parent), "day": slot.date().isoformat()})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.content.decode()
    done = client.post(book_url, {"opened_as": role_of(parent),
                                  "day": slot.astimezone(calendar.point.calendar().zone)
                                  .date().isoformat(), "starts_at": slot.isoformat()})
    assert done.status_code == 302, done.content.decode()[:2000]
    booking = Booking.objects.get()
    overview = client.get(reverse("eaccount:overview")).content.decode()
    assert "upcoming-appointments" in overview and "Valmieras VPVKAC" in overview
    later = first_slot(calendar)
    moved = client.post(reverse("eaccount:appointment-move", args=[booking.pk]), {
        "opened_as": role_of(parent), "day": later.astimezone(calendar.point.calendar().zone)
        .date().isoformat(), "starts_at": later.isoformat()})
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == later and booking.sequence == 1
    confirm = client.get(reverse("eaccount:appointment-cancel", args=[booking.pk]))
    assert confirm.status_code == 200
    # The title says "Atcelt apmeklējumu", and so does its button (not "anulēt").
    asked = confirm.content.decode()
    assert "Atcelt apmeklējumu" in asked and "Jā, atcelt" in asked and "anulēt" not in asked
    client.post(reverse("eaccount:appointment-cancel", args=[booking.pk]),
                {"opened_as": role_of(parent)})
    booking.refresh_from_db()
    assert booking.state == BookingState.CANCELLED
    assert client.get(reverse("eaccount:appointments")).status_code == 200


def test_another_clients_booking_is_not_found(client, calendar, family):
    booking = services.book(Actor(kind="person", person=family["parent"]), calendar,
                            first_slot(calendar), family["parent"])
    sign_in_person(client, family["stranger"])
    for name in ("eaccount:appointment-move", "eaccount:appointment-cancel"):
        assert client.get(reverse(name, args=[booking.pk])).status_code == 404
    assert client.get(reverse("eaccount:appointment-book", args=[0])).status_code == 404


def test_a_taken_time_is_refused_with_the_error_summary(client, calendar, family):
    slot = first_slot(calendar)
    services.book(Actor(kind="person", person=family["stranger"]), calendar, slot,
                  family["stranger"])
    sign_in_person(client, family["parent"])
    refused = client.post(reverse("eaccount:appointment-book", args=[calendar.pk]), {
        "opened_as": role_of(family["parent"]),
        "day": slot.astimezone(calendar.point.calendar().zone).date().isoformat(),
        "starts_at": slot.isoformat()})
    assert refused.status_code == 422


def test_the_agents_day_view(client, calendar, family, staff):
    booking = services.book(Actor(kind="person", person=family["parent"]), calendar,
                            first_slot(calendar), family["parent"])
    sign_in_staff(client, staff["agent"])
    day = booking.starts_at.astimezone(calendar.point.calendar().zone).date()
    page = client.get(reverse("administration:appointments-day"),
                      {"point": calendar.point_id, "day": day.isoformat()})
    assert page.status_code == 200
    assert "Bērziņš" in page.content.decode()
    read = AuditEvent.objects.filter(action="calendars.day.read")
    assert read.count() == 1 and read.get().subject_person_id == family["parent"].pk
    other = ServicePoint.objects.get(name="VSAA Rīgas nodaļa")
    assert client.get(reverse("administration:appointments-day"),
                      {"point": other.pk}).status_code == 422


def test_the_administrator_sets_up_a_point_and_a_calendar(client, points, catalogue, admins):
    sign_in_staff(client, admins["vdaa"].staff)
    listing = client.get(reverse("administration:service-points"))
    assert listing.status_code == 200 and "Rojas VPVKAC" in listing.content.decode()
    bad = client.post(reverse("administration:service-points"), {
        "name": "Talsu VPVKAC", "kind": "local_centre", "address": "Lielā iela 1, Talsi",
        "town": "Talsi", "latitude": "57.24", "longitude": "22.58", "hours": "pirmdien 9-17"})
    assert bad.status_code == 422 and "govuk-error-summary" in bad.content.decode()
    created = client.post(reverse("administration:service-points"), {
        "name": "Talsu VPVKAC", "kind": "local_centre", "address": "Lielā iela 1, Talsi",
        "town": "Talsi", "latitude": "57.24", "longitude": "22.58",
        "hours": "mon-fri 09:00-17:00", "active": "on"})
    assert created.status_code == 302
    point = ServicePoint.objects.get(name="Talsu VPVKAC")
    url = reverse("administration:service-point", args=[point.pk])
    assert client.get(url).status_code == 200
    saved = client.post(url, {"part": "calendar", "k-service": catalogue["childbirth"].pk,
                              "k-slot_minutes": "15", "k-desks": "2", "k-lead_minutes": "60",
                              "k-horizon_days": "30", "k-active": "on"})
    assert saved.status_code == 302
    assert queries.calendars_of(point).get().desks == 2
    sign_in_staff(client, admins["vsaa"].staff)
    assert client.get(url).status_code == 404


def test_the_day_view_opens_on_the_agents_own_point(client, calendar, family, staff):
    agent = staff["agent"]
    agent.service_point = "Valmieras VPVKAC"
    agent.save(update_fields=["service_point"])
    sign_in_staff(client, agent)
    page = client.get(reverse("administration:appointments-day")).content.decode()
    assert f'<option value="{calendar.point_id}" selected>' in page
    heading = page.split('id="day-heading">')[1].split("</h2>")[0]
    assert "Valmieras VPVKAC" in heading
    booking = services.book(Actor(kind="person", person=family["parent"]), calendar,
                            first_slot(calendar), family["parent"])
    day = booking.starts_at.astimezone(calendar.point.calendar().zone).date()
    that_day = client.get(reverse("administration:appointments-day"), {"day": day.isoformat()})
    assert that_day.status_code == 200  # a day alone: that day at the agent's own point
    assert "Bērziņš" in that_day.content.decode()


def test_english_pages_show_the_english_name(client, calendar, family):
    point = calendar.point
    point.name_en = "Valmiera regional centre"
    point.save(update_fields=["name_en"])
    booking = services.book(Actor(kind="person", person=family["parent"]), calendar,
                            first_slot(calendar), family["parent"])
    sign_in_person(client, family["parent"])
    latvian = client.get(reverse("eaccount:appointments")).content.decode()
    assert "Valmieras VPVKAC" in latvian and f"appointment-{booking.pk}" in latvian
    english = client.get("/en" + reverse("eaccount:appointments"))
    assert "Valmiera regional centre" in english.content.decode()


def test_the_english_booking_page_names_the_point_in_english(client, calendar, family):
    calendar.point.name_en = "Valmiera regional centre"
    calendar.point.save(update_fields=["name_en"])
    sign_in_person(client, family["parent"])
    page = client.get("/en" + reverse("eaccount:appointment-book", args=[calendar.pk]))
    assert page.status_code == 200
    assert "Valmiera regional centre" in page.content.decode()
    assert "Valmieras VPVKAC" not in page.content.decode()
