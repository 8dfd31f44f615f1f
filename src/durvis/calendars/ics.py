"""A booking as iCalendar (RFC 5545), with the `icalendar` library: one VEVENT whose UID is the
booking's (`<uuid>@durvis`), SEQUENCE its count of changes, DTSTART/DTEND in UTC, LOCATION the
point's address with GEO its coordinates, STATUS CONFIRMED or CANCELLED. A confirmation is a
METHOD:REQUEST calendar, a cancellation METHOD:CANCEL (RFC 5546), so that a calendar
application that imported the first updates or removes the same event."""

from __future__ import annotations

import datetime

from django.utils import translation
from icalendar import Calendar as ICalendar
from icalendar import Event, vGeo

from durvis.calendars.models import Booking, BookingState

PRODID = "-//Durvis//Appointments//LV"
UID_DOMAIN = "durvis"


def uid_of(booking: Booking) -> str:
    """The booking's iCalendar UID."""
    return f"{booking.uid}@{UID_DOMAIN}"


def event_of(booking: Booking, language: str = "lv") -> Event:
    """The VEVENT of a booking (its calendar, point and service loaded or fetched)."""
    point, service = booking.calendar.point, booking.service
    event = Event()
    event.add("uid", uid_of(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", datetime.datetime.now(datetime.UTC))
    event.add("dtstart", booking.starts_at.astimezone(datetime.UTC))
    event.add("dtend", booking.ends_at.astimezone(datetime.UTC))
    with translation.override(language):
        name = str(service.name)
    event.add("summary", f"{name} — {point.label(language)}")
    event.add("location", point.address)
    event["geo"] = vGeo((float(point.latitude), float(point.longitude)))
    event.add("status", "CANCELLED" if booking.state == BookingState.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def calendar_of(booking: Booking, language: str = "lv") -> bytes:
    """The .ics file of a booking: METHOD REQUEST while booked, CANCEL once cancelled."""
    return calendar_from_event(event_of(booking, language), booking).to_ical()


def calendar_from_event(event: Event, booking: Booking) -> ICalendar:
    """A VCALENDAR holding `event`, its METHOD by the booking's state."""
    calendar = ICalendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if booking.state == BookingState.CANCELLED else "REQUEST")
    calendar.add_component(event)
    return calendar


def file_name(booking: Booking) -> str:
    """The attachment's file name."""
    return f"appointment-{booking.starts_at.astimezone(datetime.UTC):%Y%m%dT%H%MZ}.ics"
