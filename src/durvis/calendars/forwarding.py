"""Bookings forwarded to the institution's own system (A4; seed 4.4.1.5: VSAA's bookings go to a
department's e-mail, PMLP's to its calendar system and on to the queue machine), by the
calendar system a calendar names (`Calendar.forward_to`), one of `CALENDAR_SYSTEMS`:

- `caldav`: the event is PUT into a CalDAV calendar (RFC 4791, with the `caldav` library) at
  `forward_target`, with the calendar's user name and password; a move replaces the event of
  the same UID, a cancellation deletes it;
- `email`: the department's address gets an e-mail with the `.ics` (METHOD REQUEST or CANCEL);
- `webhook`: the queue machine's URL gets a JSON POST (`type`, `uid`, `sequence`, `starts_at`,
  `ends_at`, `point`, `service_code`, `desk`, `client`).

Every forward is written into the integrations outbox in the booking's own transaction and
delivered by the worker afterwards, with its retries and dead letter: a rolled-back booking
forwards nothing, and a calendar server that is down gets the booking later. The outbox row
holds only the booking's id: the event is built when it is delivered, from the booking as it
then is (a later move makes an earlier forward carry the newer time, never an older one).
The institution's copy names the client (it serves them): each forward is audited."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from caldav.davclient import DAVClient
from caldav.lib.error import NotFoundError
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from durvis.calendars import ics
from durvis.calendars.models import Booking, BookingState
from durvis.core.registry import Registry
from durvis.core.sealed import Unsealable, unseal
from durvis.core.working_time import ZONE
from durvis.integrations import services as integrations
from durvis.integrations.models import OutboxChannel


@dataclass(frozen=True)
class CalendarSystem:
    """A kind of institution's system bookings go to: `forward(booking, event)` writes what is
    to be sent into the outbox (in the caller's transaction)."""

    key: str
    label: Any
    forward: Callable[[Booking, str], None]


CALENDAR_SYSTEMS: Registry[CalendarSystem] = Registry("calendar systems")


def forward(booking: Booking, event: str) -> bool:
    """Forward the booking's change (`event`: `appointment.booked`, `.moved`, `.cancelled`) to
    its calendar's system, if it names one; returns whether something was queued. Raises
    KeyError for a calendar naming an unknown system."""
    key = booking.calendar.forward_to
    if not key:
        return False
    CALENDAR_SYSTEMS.get(key).forward(booking, event)
    return True


def client_name(booking: Booking) -> str:
    """Whom the booking is for, as the institution's copy names them."""
    if booking.client_company_id:
        return booking.client_company.name  # type: ignore[union-attr]
    person = booking.client_person
    return f"{person.given_name} {person.family_name}" if person else ""


def institution_calendar(booking: Booking, method: bool = True) -> bytes:
    """The .ics of the institution's copy: the client's `calendar_of` with the client's name
    and the booking's reference in the description (`method=False`: for a CalDAV collection,
    which takes no METHOD)."""
    calendar = ics.calendar_from_event(ics.event_of(booking), booking, method)
    event = calendar.walk("VEVENT")[0]
    event.add("description", f"{client_name(booking)}\n{ics.uid_of(booking)}"
                             f"\n{_('Desk')} {booking.desk}")
    return calendar.to_ical()


def _load(booking_id: int) -> Booking:
    return (Booking.objects.select_related("calendar__point__institution", "service",
                                           "client_person",
                                           "client_company").get(pk=booking_id))


# --- CalDAV ----------------------------------------------------------------------------------

def _caldav_forward(booking: Booking, event: str) -> None:
    integrations.enqueue_adapter("calendars.caldav", event, {"booking_id": booking.pk})


def deliver_caldav(payload: dict[str, Any]) -> tuple[str, bool]:
    """Put the booking's event into its calendar's CalDAV calendar (or delete it once the
    booking is cancelled). Returns ("", False) when done, else the error and whether it is
    permanent (a calendar that no longer forwards by CalDAV)."""
    booking = _load(payload["booking_id"])
    calendar = booking.calendar
    if calendar.forward_to != "caldav" or not calendar.forward_target:
        return "the calendar no longer forwards by CalDAV", True
    timeout = int(getattr(settings, "DURVIS_WEBHOOK_TIMEOUT", 10) or 10)
    try:
        password = unseal(calendar.forward_password)
    except Unsealable:
        return "the calendar's password cannot be opened: set it again", True
    with DAVClient(url=calendar.forward_target, username=calendar.forward_username or None,
                   password=password or None, timeout=timeout) as client:
        remote = client.calendar(url=calendar.forward_target)
        if booking.state == BookingState.CANCELLED:
            # Never arrived, or already deleted: what a cancellation wants.
            with contextlib.suppress(NotFoundError):
                remote.event_by_uid(ics.uid_of(booking)).delete()
        else:
            remote.save_event(institution_calendar(booking, method=False).decode())
    return "", False


# --- E-mail with the .ics ---------------------------------------------------------------------

def _email_forward(booking: Booking, event: str) -> None:
    cancelled = booking.state == BookingState.CANCELLED
    when = booking.starts_at.astimezone(ZONE)
    subject = (f"{'Atcelts' if cancelled else 'Pieraksts'}: {booking.service.code} "
               f"{when:%d.%m.%Y %H:%M} — {booking.calendar.point.name}")
    body = (f"{client_name(booking)}\n{booking.service.name}\n{booking.calendar.point.name}, "
            f"{booking.calendar.point.address}\n{when:%d.%m.%Y %H:%M}\n{ics.uid_of(booking)}")
    integrations.enqueue_notification(
        OutboxChannel.EMAIL, booking.calendar.forward_target, event, subject, body,
        attachments=[(ics.file_name(booking), institution_calendar(booking).decode(),
                      ics.content_type(booking))])


# --- A webhook for a queue machine ------------------------------------------------------------

def _webhook_forward(booking: Booking, event: str) -> None:
    integrations.enqueue_adapter("calendars.webhook", event, {"booking_id": booking.pk,
                                                              "type": event})


def deliver_webhook(payload: dict[str, Any]) -> tuple[str, bool]:
    """POST the booking as JSON to its calendar's queue machine. Returns ("", False) when it
    answered 2xx, else the error (a 4xx is permanent, anything else is retried)."""
    booking = _load(payload["booking_id"])
    calendar = booking.calendar
    if calendar.forward_to != "webhook" or not calendar.forward_target:
        return "the calendar no longer forwards by webhook", True
    body = json.dumps({
        "type": payload.get("type", ""), "uid": ics.uid_of(booking), "sequence": booking.sequence,
        "state": booking.state, "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(), "point": calendar.point_id,
        "service_code": booking.service.code, "desk": booking.desk,
        "client": client_name(booking)}).encode()
    # The target was checked to be http(s) when the calendar was saved (services).
    request = urllib.request.Request(calendar.forward_target, data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    timeout = int(getattr(settings, "DURVIS_WEBHOOK_TIMEOUT", 10) or 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            answer.read()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}", 400 <= error.code < 500
    return "", False


CALENDAR_SYSTEMS.register(CalendarSystem("caldav", _("CalDAV calendar"), _caldav_forward))
CALENDAR_SYSTEMS.register(CalendarSystem("email", _("E-mail with the .ics"), _email_forward))
CALENDAR_SYSTEMS.register(CalendarSystem("webhook", _("Webhook (queue machine)"),
                                         _webhook_forward))
integrations.OUTBOX_ADAPTERS.register(integrations.OutboxAdapter("calendars.caldav",
                                                                 deliver_caldav))
integrations.OUTBOX_ADAPTERS.register(integrations.OutboxAdapter("calendars.webhook",
                                                                 deliver_webhook))
