"""Writes of appointments (A4): an institution's administrator sets up a point's calendar; a
client in the e-account, or an agent for a client, books, moves and cancels. Each write is
checked by the policy (`rules.CalendarAction`), audited, publishes its event (messaging tells
the client with the `.ics`) and forwards the booking to the institution's system through the
outbox (`forwarding`), all in one transaction.

No double booking: see `models`. `book` and `move` lock the calendar's row (PostgreSQL: the
bookers of one calendar queue there; SQLite writes one at a time anyway), count the desks
taken at the slot, and insert with the lowest free desk; the partial unique index refuses a
desk taken meanwhile, which is retried once with the next desk before the slot is refused as
full."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.calendars import events, forwarding
from durvis.calendars.models import Booking, BookingState, Calendar
from durvis.calendars.queries import slot_state
from durvis.calendars.rules import CalendarAction
from durvis.catalog.models import Service
from durvis.core.actor import SYSTEM, Actor
from durvis.core.events import publish
from durvis.core.sealed import seal
from durvis.core.worker import SOURCES, Source
from durvis.identity.models import Company, Person
from durvis.servicepoints.models import ServicePoint
from durvis.servicepoints.queries import providers_in_person

Client = Person | Company
CALENDAR_FIELDS = ("slot_minutes", "desks", "lead_minutes", "horizon_days", "active",
                   "forward_to", "forward_target", "forward_username", "forward_password")


def _refuse(field: str, code: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _calendar_problems(values: dict[str, Any]) -> dict[str, ValidationError]:
    problems: dict[str, ValidationError] = {}
    limits = {"slot_minutes": (5, 240), "desks": (1, 50), "lead_minutes": (0, 60 * 24 * 14),
              "horizon_days": (1, 366)}
    for name, (low, high) in limits.items():
        value = values.get(name)
        if not isinstance(value, int) or not low <= value <= high:
            problems[name] = ValidationError(
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
                code="range")
    key = values.get("forward_to") or ""
    if key and key not in forwarding.CALENDAR_SYSTEMS:
        problems["forward_to"] = ValidationError(_("Choose a calendar system."), code="invalid")
    target = values.get("forward_target") or ""
    if key == "email" and "@" not in target:
        problems["forward_target"] = ValidationError(_("Give the department's e-mail address."),
                                                     code="invalid")
    elif key in ("caldav", "webhook") and not target.startswith(("https://", "http://")):
        problems["forward_target"] = ValidationError(_("Give the address starting https://."),
                                                     code="invalid")
    return problems


@transaction.atomic
def save_calendar(actor: Actor, point: ServicePoint, service: Service, **values: Any
                  ) -> Calendar:
    """Set up (or change) the calendar of `service` at `point`; `values` of `CALENDAR_FIELDS`.
    Raises PermissionDenied unless the actor administers the point's institution
    (`CalendarAction.MANAGE`); ValidationError keyed by field: `slot_minutes`, `desks`,
    `lead_minutes`, `horizon_days` (`range`), `forward_to` / `forward_target` (`invalid`),
    `service` (`not_handled`: the point's institution does not handle the service in person).
    A password given is sealed (`core.sealed`); an empty one keeps the one set (the form never
    shows it back); none is kept without forwarding. Audited as `calendars.calendar.save`
    (without the password)."""
    require(actor, CalendarAction.MANAGE, point)
    if point.institution_id not in providers_in_person(service):
        raise _refuse("service", "not_handled",
                      _("The point's institution does not handle this service in person."))
    calendar = Calendar.objects.filter(point=point, service=service).first() or Calendar(
        point=point, service=service)
    for name in CALENDAR_FIELDS:
        if name in values and name != "forward_password":
            setattr(calendar, name, values[name])
    if problems := _calendar_problems({n: getattr(calendar, n) for n in CALENDAR_FIELDS}):
        raise ValidationError(problems)
    if values.get("forward_password"):  # empty: the password kept (it is never shown back)
        calendar.forward_password = seal(values["forward_password"])
    if not calendar.forward_to:
        calendar.forward_password = ""
    calendar.save()
    record(actor, "calendars.calendar.save", calendar,
           details={"service": service.code, "point": point.pk,
                    **{n: getattr(calendar, n) for n in CALENDAR_FIELDS
                       if n != "forward_password"}})
    return calendar


def _owner(client: Client) -> dict[str, Any]:
    if isinstance(client, Company):
        return {"client_company": client, "client_person": None}
    return {"client_person": client, "client_company": None}


def _check_slot(calendar: Calendar, starts_at: datetime.datetime,
                ignore: Booking | None = None) -> int:
    """The lowest free desk of the slot starting at `starts_at`; raises ValidationError on
    `starts_at`: `no_slot` (not a slot of the calendar), `too_soon` (inside the lead time),
    `too_far` (past the horizon), `full` (every desk taken)."""
    state = slot_state(calendar, starts_at, ignore=ignore)
    messages = {
        "no_slot": _("There is no appointment at that time. Choose one of the times offered."),
        "too_soon": _("That time is too soon to book. Choose a later one."),
        "too_far": _("That time is too far ahead to book yet."),
        "full": _("That time has just been taken. Choose another one."),
    }
    if state.problem:
        raise _refuse("starts_at", state.problem, messages[state.problem])
    return state.free_desks[0]


def _check_client_free(calendar: Calendar, starts_at: datetime.datetime, client: Client,
                       ignore: Booking | None = None) -> None:
    """A client holds one appointment at a time (a fresh tester booked one slot twice, and a
    double click took a second desk): another booked appointment of `client` overlapping the
    slot, at any point, is refused on `starts_at` (`client_busy`). The same start is also a
    unique index (`one_booking_per_person_start`, `..._company_start`) for bookings racing
    at two calendars."""
    ends_at = starts_at + datetime.timedelta(minutes=calendar.slot_minutes)
    other = Booking.objects.filter(state=BookingState.BOOKED, starts_at__lt=ends_at,
                                   ends_at__gt=starts_at, **_owner(client))
    if ignore is not None:
        other = other.exclude(pk=ignore.pk)
    if other.exists():
        raise _refuse("starts_at", "client_busy", _(
            "The client already has an appointment at that time. Move or cancel it instead."))


def _insert(calendar: Calendar, starts_at: datetime.datetime, values: dict[str, Any]
            ) -> Booking:
    """Insert with the lowest free desk; a desk taken meanwhile (the unique index) is retried
    once with a fresh count."""
    for attempt in range(2):
        desk = _check_slot(calendar, starts_at)
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    calendar=calendar, service_id=calendar.service_id, starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(minutes=calendar.slot_minutes),
                    desk=desk, **values)
        except IntegrityError:
            if attempt:
                break
    raise _refuse("starts_at", "full", _("That time has just been taken. Choose another one."))


def _lock(calendar: Calendar) -> Calendar:
    return Calendar.objects.select_for_update().select_related("point", "service").get(
        pk=calendar.pk)


def _payload(booking: Booking, **extra: Any) -> dict[str, Any]:
    return {"booking_id": booking.pk, "uid": str(booking.uid), "sequence": booking.sequence,
            "calendar_id": booking.calendar_id, "point_id": booking.calendar.point_id,
            "service_code": booking.service.code, "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(), "client_person_id": booking.client_person_id,
            "client_company_id": booking.client_company_id, **extra}


def _after(actor: Actor, booking: Booking, event: str, action: str, client: Client,
           **extra: Any) -> None:
    record(actor, action, booking, subject=client,
           details={"service": booking.service.code, "point": booking.calendar.point_id,
                    "starts_at": booking.starts_at.isoformat(), **extra})
    publish(actor, event, [(f"booking:{booking.pk}", _payload(booking, **extra))])
    forwarding.forward(booking, event)


@transaction.atomic
def book(actor: Actor, calendar: Calendar, starts_at: datetime.datetime, client: Client
         ) -> Booking:
    """Book the slot starting at `starts_at` (aware) in `calendar` for `client`: a person
    (themself, a child) or a company. Raises PermissionDenied (`CalendarAction.BOOK`: the
    e-account's person acting for the client, or an agent of the point's institution or of the
    service's application stage); ValidationError on `starts_at` (`no_slot`, `too_soon`,
    `too_far`, `full`, `client_busy`: the client has another appointment then) or `calendar` (`closed`:
    not open for booking). Audited as
    `calendars.booking.book`; publishes `appointment.booked`; forwards."""
    require(actor, CalendarAction.BOOK, calendar, client)
    calendar = _lock(calendar)
    if not calendar.active or not calendar.point.active:
        raise _refuse("calendar", "closed", _("This calendar is not open for booking."))
    by = ({"booked_by_staff": actor.staff} if actor.staff is not None
          else {"booked_by": actor.person})
    _check_client_free(calendar, starts_at, client)
    booking = _insert(calendar, starts_at, {**_owner(client), **by})
    _after(actor, booking, events.BOOKED, "calendars.booking.book", client)
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (Booking.objects.select_for_update(of=("self",))
            .select_related("calendar__point", "service").get(pk=booking.pk))


@transaction.atomic
def move(actor: Actor, booking: Booking, starts_at: datetime.datetime, client: Client
         ) -> Booking:
    """Move a booking to the slot starting at `starts_at` of its calendar (its desk as free
    there, its iCalendar SEQUENCE moved on). Raises PermissionDenied (`CalendarAction.CHANGE`);
    ValidationError on `booking` (`cancelled`, `past`) or on `starts_at` as `book`. Audited as
    `calendars.booking.move`; publishes `appointment.moved`; forwards."""
    require(actor, CalendarAction.CHANGE, booking, client)
    _lock(booking.calendar)
    locked = _locked_booking(booking)
    _check_changeable(locked)
    previous = locked.starts_at
    desk = _check_slot(locked.calendar, starts_at, ignore=locked)
    _check_client_free(locked.calendar, starts_at, client, ignore=locked)
    locked.starts_at, locked.desk = starts_at, desk
    locked.ends_at = starts_at + datetime.timedelta(minutes=locked.calendar.slot_minutes)
    locked.sequence += 1
    locked.reminded_at = None
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise _refuse("starts_at", "full",
                      _("That time has just been taken. Choose another one.")) from None
    _after(actor, locked, events.MOVED, "calendars.booking.move", client,
           previous_starts_at=previous.isoformat())
    return locked


def _check_changeable(booking: Booking) -> None:
    if booking.state != BookingState.BOOKED:
        raise _refuse("booking", "cancelled", _("The appointment was cancelled."))
    if booking.starts_at <= timezone.now():
        raise _refuse("booking", "past", _("The appointment has passed."))


@transaction.atomic
def cancel(actor: Actor, booking: Booking, client: Client) -> Booking:
    """Cancel a booking (its desk is free again at once). Raises PermissionDenied
    (`CalendarAction.CHANGE`); ValidationError on `booking` (`cancelled`, `past`). Audited as
    `calendars.booking.cancel`; publishes `appointment.cancelled`; forwards."""
    require(actor, CalendarAction.CHANGE, booking, client)
    locked = _locked_booking(booking)
    _check_changeable(locked)
    locked.state = BookingState.CANCELLED
    locked.sequence += 1
    locked.save()
    _after(actor, locked, events.CANCELLED, "calendars.booking.cancel", client)
    return locked


REMINDER_BEFORE = datetime.timedelta(hours=24)


def remind_due(limit: int = 200) -> int:
    """Publish `appointment.reminder` for the booked appointments starting within
    `REMINDER_BEFORE` that were not reminded of (messaging tells the client by their
    preferences); returns how many. A worker source (`calendars.reminders`)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(Booking.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("calendar", "service")
                   .filter(state=BookingState.BOOKED, reminded_at__isnull=True,
                           starts_at__gt=now, starts_at__lte=now + REMINDER_BEFORE)[:limit])
        if not due:
            return 0
        Booking.objects.filter(pk__in=[b.pk for b in due]).update(reminded_at=now)
        publish(SYSTEM, events.REMINDER, [(f"booking:{b.pk}", _payload(b)) for b in due])
    return len(due)


def next_reminder_at() -> datetime.datetime | None:
    """When the next reminder is due (a day before the earliest booking not reminded of)."""
    first = (Booking.objects.filter(state=BookingState.BOOKED, reminded_at__isnull=True,
                                    starts_at__gt=timezone.now())
             .order_by("starts_at").values_list("starts_at", flat=True).first())
    return first - REMINDER_BEFORE if first else None


SOURCES.register(Source("calendars.reminders", remind_due, next_reminder_at, lambda _ids: 0))
