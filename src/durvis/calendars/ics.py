"""A booking as iCalendar (RFC 5545), with the `icalendar` library: one VEVENT whose UID is the
booking's (`<uuid>@durvis`), SEQUENCE its count of changes, DTSTART/DTEND in UTC, LOCATION the
point's address with GEO its coordinates, STATUS CONFIRMED or CANCELLED, ORGANIZER the
institution running the point (its CN, the point's e-mail or the platform's sender).

A booking or a move is sent as METHOD:PUBLISH, a cancellation as METHOD:CANCEL: RFC 5546's
published event (sections 3.2.1, 4.1), which needs an ORGANIZER and no ATTENDEE — the client is
not asked to accept (REQUEST would need them as an ATTENDEE and a reply), and their address
stays out of the file; a calendar application that imported the first updates or removes the
same event by its UID and SEQUENCE. The e-mail part says the method too (`content_type`,
RFC 6047). A copy stored in a CalDAV collection carries no METHOD (RFC 4791, 4.1)."""

from __future__ import annotations

import datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import translation
from icalendar import Calendar as ICalendar
from icalendar import Event, vCalAddress, vGeo

from durvis.calendars.models import Booking, BookingState

PRODID = "-//Durvis//Appointments//LV"
UID_DOMAIN = "durvis"


def uid_of(booking: Booking) -> str:
    """The booking's iCalendar UID."""
    return f"{booking.uid}@{UID_DOMAIN}"


def method_of(booking: Booking) -> str:
    """The iTIP method of the booking's calendar now: PUBLISH while booked, CANCEL after."""
    return "CANCEL" if booking.state == BookingState.CANCELLED else "PUBLISH"


def content_type(booking: Booking) -> str:
    """The MIME type of the booking's .ics in an e-mail, with its method (RFC 6047, 2.4)."""
    return f"text/calendar; method={method_of(booking)}"


def organizer_of(booking: Booking) -> vCalAddress:
    """The ORGANIZER: the institution running the point, by the point's e-mail (the
    platform's sender when the point has none)."""
    point = booking.calendar.point
    address = point.email or parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = point.institution.name
    return organizer


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
    event["organizer"] = organizer_of(booking)
    return event


def calendar_of(booking: Booking, language: str = "lv") -> bytes:
    """The .ics file of a booking: METHOD PUBLISH while booked, CANCEL once cancelled."""
    return calendar_from_event(event_of(booking, language), booking).to_ical()


def calendar_from_event(event: Event, booking: Booking, method: bool = True) -> ICalendar:
    """A VCALENDAR holding `event`, its METHOD by the booking's state (`method_of`; none for a
    CalDAV collection's copy: `method=False`)."""
    calendar = ICalendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method_of(booking))
    calendar.add_component(event)
    return calendar


def file_name(booking: Booking) -> str:
    """The attachment's file name."""
    return f"appointment-{booking.starts_at.astimezone(datetime.UTC):%Y%m%dT%H%MZ}.ics"
