"""Reads of appointments (A4): a calendar's slots (by its point's business calendar: the hours,
Latvian holidays, the shorter eve of a holiday, the point's closures), the desks free in each;
a client's upcoming bookings; a point's day."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from durvis.access.policy import allowed, require, visible
from durvis.audit.services import Entry, record, record_many
from durvis.calendars import ics
from durvis.calendars.forwarding import CALENDAR_SYSTEMS
from durvis.calendars.models import Booking, BookingState, Calendar
from durvis.calendars.rules import CalendarAction
from durvis.catalog.models import Service, Stage
from durvis.catalog.queries import serving
from durvis.core.actor import Actor
from durvis.core.working_time import ZONE
from durvis.identity.models import Company, Person
from durvis.identity.rules import IdentityAction
from durvis.servicepoints.models import ServicePoint

Client = Person | Company


def calendars_for(service: Service) -> QuerySet[Calendar]:
    """The service's calendars open for booking at active points, by town and point name."""
    return (Calendar.objects.filter(service=service, active=True, point__active=True)
            .select_related("point", "point__institution", "service")
            .order_by("point__town", "point__name"))


def calendars_for_agent(actor: Actor, client: Client) -> list[Calendar]:
    """The calendars open for booking in which the agent may book for `client`
    (`CalendarAction.BOOK`: at a point their institution runs, or for a service whose
    application stage it provides), by service code, town and point name."""
    if actor.staff is None:
        return []
    rows = (Calendar.objects.filter(active=True, point__active=True)
            .filter(Q(point__institution_id=actor.institution_id)
                    | serving(actor.institution_id, Stage.APPLICATION, prefix="service__"))
            .select_related("point", "point__institution", "service")
            .order_by("service__code", "point__town", "point__name"))
    return [c for c in rows if allowed(actor, CalendarAction.BOOK, c, client)]


def calendars_of(point: ServicePoint) -> QuerySet[Calendar]:
    """Every calendar of a point (its administrator's list), by service code."""
    return Calendar.objects.filter(point=point).select_related("service").order_by(
        "service__code")


def calendar(pk: int) -> Calendar | None:
    """The calendar with that id (with its point and service), or None."""
    return Calendar.objects.select_related("point", "point__institution", "service").filter(
        pk=pk).first()


def slot_starts(calendar_: Calendar, day: datetime.date) -> list[datetime.datetime]:
    """The starts of the calendar's slots on `day` (aware, Riga time): from each open interval
    of the point's business calendar, every `slot_minutes`, each slot ending inside it."""
    length = datetime.timedelta(minutes=calendar_.slot_minutes)
    starts = []
    for opens, closes in calendar_.point.calendar().intervals(day):
        at = opens
        while at + length <= closes:
            starts.append(at)
            at += length
    return starts


@dataclass(frozen=True)
class SlotState:
    """Whether a slot can be booked: `problem` empty, or `no_slot`, `too_soon`, `too_far`,
    `full`; `free_desks` in order."""

    problem: str
    free_desks: list[int] = field(default_factory=list)


def _window(calendar_: Calendar) -> tuple[datetime.datetime, datetime.date]:
    now = timezone.now()
    return (now + datetime.timedelta(minutes=calendar_.lead_minutes),
            now.astimezone(ZONE).date() + datetime.timedelta(days=calendar_.horizon_days))


def _taken(calendar_: Calendar, starts: list[datetime.datetime],
           ignore: Booking | None = None) -> Counter[datetime.datetime]:
    rows = Booking.objects.filter(calendar=calendar_, state=BookingState.BOOKED,
                                  starts_at__in=starts)
    if ignore is not None:
        rows = rows.exclude(pk=ignore.pk)
    return Counter(rows.values_list("starts_at", flat=True))


def slot_state(calendar_: Calendar, starts_at: datetime.datetime,
               ignore: Booking | None = None) -> SlotState:
    """Whether the slot starting at `starts_at` can be booked now (`ignore`: a booking being
    moved, whose own desk does not count)."""
    if starts_at.tzinfo is None:
        return SlotState("no_slot")
    day = starts_at.astimezone(ZONE).date()
    if starts_at not in slot_starts(calendar_, day):
        return SlotState("no_slot")
    earliest, last_day = _window(calendar_)
    if starts_at < earliest:
        return SlotState("too_soon")
    if day > last_day:
        return SlotState("too_far")
    taken = set(Booking.objects.filter(calendar=calendar_, state=BookingState.BOOKED,
                                       starts_at=starts_at)
                .exclude(pk=ignore.pk if ignore else 0).values_list("desk", flat=True))
    free = [d for d in range(1, calendar_.desks + 1) if d not in taken]
    return SlotState("" if free else "full", free)


@dataclass(frozen=True)
class Slot:
    """A slot offered: its start and end (aware), and how many desks are free."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    free: int


def free_slots(calendar_: Calendar, day: datetime.date, ignore: Booking | None = None
               ) -> list[Slot]:
    """The slots of `day` that can be booked now (inside the lead time and the horizon, a desk
    free), in order."""
    earliest, last_day = _window(calendar_)
    if day > last_day:
        return []
    starts = [s for s in slot_starts(calendar_, day) if s >= earliest]
    taken = _taken(calendar_, starts, ignore)
    length = datetime.timedelta(minutes=calendar_.slot_minutes)
    return [Slot(s, s + length, calendar_.desks - taken[s]) for s in starts
            if taken[s] < calendar_.desks]


def bookable_days(calendar_: Calendar) -> list[datetime.date]:
    """Every day up to the horizon with a slot open to booking, in order (a fresh tester saw
    only the first 14 of a 30-day horizon): the slots are computed, the bookings of the whole
    window read in one query."""
    earliest, last_day = _window(calendar_)
    day = earliest.astimezone(ZONE).date()
    starts: dict[datetime.date, list[datetime.datetime]] = {}
    while day <= last_day:
        open_ = [s for s in slot_starts(calendar_, day) if s >= earliest]
        if open_:
            starts[day] = open_
        day += datetime.timedelta(days=1)
    if not starts:
        return []
    taken = Counter(Booking.objects.filter(
        calendar=calendar_, state=BookingState.BOOKED, starts_at__gte=earliest,
        starts_at__lte=max(starts[max(starts)])).values_list("starts_at", flat=True))
    return [day for day, open_ in starts.items()
            if any(taken[s] < calendar_.desks for s in open_)]


def upcoming_of(actor: Actor, client: Client, limit: int = 20) -> list[Booking]:
    """The client's booked appointments not yet over, soonest first, that the actor may read
    (`client.read`: a mandate's scope applies by the booking's service)."""
    rows = visible(actor, IdentityAction.CLIENT_READ,
                   Booking.objects.filter(state=BookingState.BOOKED, ends_at__gt=timezone.now()),
                   client)
    return list(rows.select_related("calendar__point", "service", "client_person")
                .order_by("starts_at")[:limit])


def booking_of(actor: Actor, client: Client, pk: int) -> Booking | None:
    """One of the client's bookings the actor may read, or None."""
    rows = visible(actor, IdentityAction.CLIENT_READ, Booking.objects.filter(pk=pk), client)
    return rows.select_related("calendar__point", "calendar__service", "service").first()


def upcoming_for_profile(actor: Actor, client: Client, institution_id: int | None
                         ) -> list[Booking]:
    """The client's upcoming appointments at the points of `institution_id` (the workplace's
    360° profile, which its own rule opened: the caller audits the profile read)."""
    if institution_id is None:
        return []
    owner = ({"client_company": client} if isinstance(client, Company)
             else {"client_person": client})
    return list(Booking.objects.filter(state=BookingState.BOOKED, ends_at__gt=timezone.now(),
                                       calendar__point__institution_id=institution_id, **owner)
                .select_related("calendar__point", "service").order_by("starts_at")[:20])


def day_of_point(actor: Actor, point: ServicePoint, day: datetime.date) -> list[Booking]:
    """The bookings of `point` on `day` (Riga), by time and desk, for the agents of the
    institution running it (`CalendarAction.DAY_VIEW`, its list filter); reading the day is
    audited once (`calendars.day.read`), as it names clients. Raises PermissionDenied."""
    require(actor, CalendarAction.DAY_VIEW, point)
    start = datetime.datetime.combine(day, datetime.time(0), ZONE)
    rows = visible(actor, CalendarAction.DAY_VIEW, Booking.objects.filter(
        calendar__point=point, state=BookingState.BOOKED, starts_at__gte=start,
        starts_at__lt=start + datetime.timedelta(days=1)))
    found = list(rows.select_related("service", "client_person", "client_company")
                 .order_by("starts_at", "desk"))
    # One row per client named, so each sees in "Who used my data" that the point's agents
    # read their appointment.
    record_many(actor, [Entry.about("calendars.day.read", booking,
                                    subject=booking.client_company or booking.client_person,
                                    details={"day": day.isoformat(), "point": point.pk,
                                             "service": booking.service.code})
                        for booking in found])
    return found


MAX_SYSTEM_DAYS = 31


def bookings_for_system(actor: Actor, start: datetime.datetime, end: datetime.datetime, *,
                        point_id: int | None = None, state: str = "", offset: int = 0,
                        limit: int = 100) -> tuple[list[Booking], bool]:
    """The bookings starting in [`start`, `end`) at the points of the system's institution
    (`CalendarAction.SYSTEM_READ` and its list filter: `appointments:read`, the services its
    token covers), by start and id, `limit` of them from `offset`, and whether more follow;
    at one point (`point_id`) or in one `state` if given. Each booking read is audited
    (`calendars.booking.system_read`, naming its client). Raises PermissionDenied without the
    scope."""
    require(actor, CalendarAction.SYSTEM_READ)
    rows = visible(actor, CalendarAction.SYSTEM_READ,
                   Booking.objects.filter(starts_at__gte=start, starts_at__lt=end))
    if point_id is not None:
        rows = rows.filter(calendar__point_id=point_id)
    if state:
        rows = rows.filter(state=state)
    found = list(rows.select_related("calendar__point", "service", "client_person",
                                     "client_company")
                 .order_by("starts_at", "pk")[offset:offset + limit + 1])
    record_system_read(actor, *found[:limit])
    return found[:limit], len(found) > limit


def record_system_read(actor: Actor, *bookings: Booking) -> None:
    """Audit the bookings an institution's system read (`calendars.booking.system_read`, one
    row per booking, naming its client)."""
    record_many(actor, [Entry.about("calendars.booking.system_read", booking,
                                    subject=booking.client_company or booking.client_person,
                                    details={"point": booking.calendar.point_id,
                                             "service": booking.service.code})
                        for booking in bookings])


def booking_for_system(actor: Actor, uid: str) -> Booking | None:
    """The booking with iCalendar identity `uid` (`<uuid>@durvis` or the bare UUID) that the
    system may read, or None (unknown, another institution's, not a UUID)."""
    try:
        key = uuid.UUID(uid.removesuffix(f"@{ics.UID_DOMAIN}"))
    except ValueError:
        return None
    booking = (Booking.objects.select_related("calendar__point", "service", "client_person",
                                              "client_company").filter(uid=key).first())
    if booking is None or not allowed(actor, CalendarAction.SYSTEM_READ, booking):
        return None
    return booking


def points_for_day_view(actor: Actor) -> QuerySet[ServicePoint]:
    """The points whose day the actor may see: those their institution runs."""
    if actor.institution_id is None:
        return ServicePoint.objects.none()
    return ServicePoint.objects.filter(institution_id=actor.institution_id, active=True)


def bookings_by_id(ids: list[int]) -> dict[int, Booking]:
    """The bookings with those ids, with their point and service (for the notifications)."""
    return Booking.objects.select_related("calendar__point__institution", "service").in_bulk(ids)


def read_for_booking(actor: Actor, person: Person, parties: list[str]) -> None:
    """An agent's read of `person`'s details on the page booking for them (A4, B3, B4): their
    name and whom they may book for (`parties`: role keys — themself, minor children,
    companies). The policy decides (`CalendarAction.BOOK_FOR_CLIENT`) and the read is audited
    as `calendars.client.read` with the person as subject and the purpose "client service",
    which the person sees in "Who used my data". Raises PermissionDenied."""
    require(actor, CalendarAction.BOOK_FOR_CLIENT, None, person)
    record(actor, "calendars.client.read", person, subject=person, purpose="client service",
           details={"parties": parties})


def ics_download(actor: Actor, client: Client, pk: int, language: str = "lv"
                 ) -> tuple[str, bytes] | None:
    """The `.ics` (RFC 5545) of the client's booking `pk` as the e-account downloads it: the
    same file as the confirmation's attachment (`ics.calendar_of`: METHOD PUBLISH, or CANCEL
    once cancelled) and its file name; None when the client has no such booking. The policy
    decides (`CalendarAction.DOWNLOAD_ICS`: the booker, the client, a parent or a company's
    representative), audited as `calendars.booking.ics` with the client as subject. Raises
    PermissionDenied."""
    booking = (Booking.objects.filter(pk=pk, **_owner(client))
               .select_related("calendar__point__institution", "service").first())
    if booking is None:
        return None
    require(actor, CalendarAction.DOWNLOAD_ICS, booking, client)
    record(actor, "calendars.booking.ics", booking, subject=client,
           details={"uid": ics.uid_of(booking)})
    return ics.file_name(booking), ics.calendar_of(booking, language)


def _owner(client: Client) -> dict[str, Client]:
    return ({"client_company": client} if isinstance(client, Company)
            else {"client_person": client})


def ics_attachment(booking: Booking, language: str = "lv") -> tuple[str, str, str]:
    """The booking's `.ics` (RFC 5545; `ics.calendar_of`) as an e-mail attachment: (file
    name, text, content type)."""
    return (ics.file_name(booking), ics.calendar_of(booking, language).decode(),
            ics.content_type(booking))


def calendar_systems() -> list[tuple[str, str]]:
    """The calendar systems bookings can be forwarded to, as (key, label) choices."""
    return [(s.key, str(s.label)) for s in CALENDAR_SYSTEMS.available()]
