"""Access rules of appointments (A4), registered into the one policy: who manages a point's
calendars, who books, moves and cancels, who sees a service point's day.

A client's side asks the identity rules (the e-account's role: the person themself, a parent of
a minor, a company's representative, or a mandate with the right to apply reaching the
service: `IdentityAction.USE_SERVICE`); reading one's bookings is `IdentityAction.CLIENT_READ`
(the booking names its service, so a mandate's scope applies). An agent's side asks the
providers-per-stage record: an agent of the institution running the point, or of one that
holds the service or was delegated its application stage (`catalog.queries.serves`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, decide, deny, rule
from durvis.audit.queries import declare_use
from durvis.calendars.models import Booking, Calendar
from durvis.catalog.models import Stage
from durvis.catalog.queries import serves
from durvis.core.actor import Actor
from durvis.identity.models import StaffRole
from durvis.identity.queries import is_owner
from durvis.identity.rules import IdentityAction, has_base_relation, is_institution_admin_of
from durvis.integrations.rules import declare_scope
from durvis.servicepoints.models import ServicePoint


class CalendarAction(StrEnum):
    # obj = the ServicePoint whose calendars are set up (or a Calendar).
    MANAGE = "calendars.manage"
    # obj = the Calendar, client = whom the appointment is for.
    BOOK = "calendars.book"
    # obj = the Booking, client = its client: move it or cancel it.
    CHANGE = "calendars.change"
    # obj = the ServicePoint (None: may the actor open the day view at all), with its list
    # filter over bookings: an agent of the institution running the point.
    DAY_VIEW = "calendars.day_view"
    # obj = a Booking (None: may the system read bookings at all), with its list filter: an
    # institution's system with `appointments:read` reads the bookings at its points.
    SYSTEM_READ = "calendars.system_read"
    # obj = None, client = the person identified at the desk: an agent opens the page booking
    # for them (their name, children and companies shown; `queries.read_for_booking`).
    BOOK_FOR_CLIENT = "calendars.book_for_client"
    # obj = the Booking, client = its client (the e-account's role): download its `.ics`.
    DOWNLOAD_ICS = "calendars.download_ics"


APPOINTMENTS_READ = declare_scope(
    "appointments:read", _("Read the appointments booked at your institution's service points"),
    owner="calendars")
APPOINTMENTS_WRITE = declare_scope(
    "appointments:write",
    _("Cancel appointments booked at your institution's service points"), owner="calendars")


def _point_of(obj: Any) -> ServicePoint | None:
    if isinstance(obj, ServicePoint):
        return obj
    if isinstance(obj, Calendar):
        return obj.point
    if isinstance(obj, Booking):
        return obj.calendar.point
    return None


@rule(CalendarAction.MANAGE)
def manage(actor: Actor, obj: Any, client: Any) -> Decision:
    """The administrator of the institution running the point sets up its calendars (A4, A5)."""
    point = _point_of(obj)
    if point is None:
        return deny("not a service point or calendar")
    if is_institution_admin_of(actor, point.institution_id):
        return ALLOW
    return deny("only the administrator of the institution running the point")


def _agent_for(actor: Actor, calendar: Calendar) -> Decision:
    if actor.staff is None or not actor.has_role(StaffRole.AGENT):
        return deny("not a client-service agent")
    if actor.institution_id == calendar.point.institution_id or serves(
            calendar.service, actor.institution_id, Stage.APPLICATION):
        return ALLOW
    return deny("the agent's institution neither runs the point nor provides the service")


@rule(CalendarAction.BOOK)
def book(actor: Actor, calendar: Any, client: Any) -> Decision:
    """An agent books for a client (A4: the institution running the point, or a provider of
    the service's application stage); a person books in the e-account for whom they may apply
    for the service (themself, a minor child, a company they represent alone, a mandate)."""
    if not isinstance(calendar, Calendar):
        return deny("not a calendar")
    if client is None:
        return deny("whom the appointment is for is missing")
    if actor.staff is not None:
        return _agent_for(actor, calendar)
    return decide(actor, IdentityAction.USE_SERVICE, calendar.service, client)


def _system(actor: Actor, booking: Booking | None, scope: str) -> Decision:
    """An institution's system with `scope`, for a booking at a point its institution runs
    (of a service its token covers; None: whether it has the scope at all)."""
    if actor.api is None or scope not in actor.api.operations:
        return deny(f"the client lacks the {scope} scope")
    if booking is None:
        return ALLOW
    if booking.calendar.point.institution_id != actor.institution_id:
        return deny("the booking is at another institution's point")
    if actor.api.service_ids is not None and booking.service_id not in actor.api.service_ids:
        return deny("the token does not cover the booking's service")
    return ALLOW


@rule(CalendarAction.CHANGE)
def change(actor: Actor, booking: Any, client: Any) -> Decision:
    """Moving or cancelling a booking: whoever may book it for its client; and the system of
    the institution running the point with `appointments:write` (cancelling through the API)."""
    if not isinstance(booking, Booking):
        return deny("not a booking")
    if client is None or not is_owner(booking, client):
        return deny("the booking belongs to another client")
    if actor.api is not None:
        return _system(actor, booking, APPOINTMENTS_WRITE)
    return book(actor, booking.calendar, client)


@rule(CalendarAction.BOOK_FOR_CLIENT)
def book_for_client(actor: Actor, obj: Any, client: Any) -> Decision:
    """An agent opens the booking page of a client they identified (A4, B3): a client-service
    agent, for a person (the session's identification is the page's own check)."""
    if actor.staff is None or not actor.has_role(StaffRole.AGENT):
        return deny("not a client-service agent")
    if client is None:
        return deny("whom the appointment is for is missing")
    return ALLOW


@rule(CalendarAction.DOWNLOAD_ICS)
def download_ics(actor: Actor, booking: Any, client: Any) -> Decision:
    """The booking's `.ics` (A4) in the e-account: for the person who booked it, the person it
    is for, and those who act for its client by the base registers alone (a parent of the
    minor it is for, a representative of the company); not by a mandate, not for staff or
    systems (they have the confirmation and the forwarded copy)."""
    if not isinstance(booking, Booking):
        return deny("not a booking")
    if actor.person is None or actor.staff is not None or actor.api is not None:
        return deny("only the client's side downloads an appointment's calendar file")
    if client is None or not is_owner(booking, client):
        return deny("the booking belongs to another client")
    if booking.booked_by_id == actor.person.pk or has_base_relation(actor, client):
        return ALLOW
    return deny("neither the booker nor the client or its representative")


def _system_bookings(actor: Actor, client: Any) -> Q:
    if actor.api is None or APPOINTMENTS_READ not in actor.api.operations:
        return Q(pk__in=[])
    found = Q(calendar__point__institution_id=actor.institution_id)
    if actor.api.service_ids is not None:
        found &= Q(service_id__in=actor.api.service_ids)
    return found


@rule(CalendarAction.SYSTEM_READ, list_filter=_system_bookings)
def system_read(actor: Actor, obj: Any, client: Any) -> Decision:
    """An institution's system with `appointments:read` reads the bookings at the points its
    institution runs, of the services its token covers (B9)."""
    if obj is not None and not isinstance(obj, Booking):
        return deny("not a booking")
    return _system(actor, obj, APPOINTMENTS_READ)


def _day_bookings(actor: Actor, client: Any) -> Q:
    if actor.staff is None or not actor.has_role(StaffRole.AGENT):
        return Q(pk__in=[])
    return Q(calendar__point__institution_id=actor.institution_id)


@rule(CalendarAction.DAY_VIEW, list_filter=_day_bookings)
def day_view(actor: Actor, obj: Any, client: Any) -> Decision:
    """An agent of the institution running a point sees its day's bookings (who comes when)."""
    if actor.staff is None or not actor.has_role(StaffRole.AGENT):
        return deny("not a client-service agent")
    if obj is None:
        return ALLOW
    point = _point_of(obj)
    if point is not None and point.institution_id == actor.institution_id:
        return ALLOW
    return deny("the point is another institution's")


# How the person reads these in "Who used my data" (an agent booking for them, a point's day).
declare_use("calendars.booking.book", _("Booked an appointment for you"))
declare_use("calendars.booking.move", _("Moved your appointment"))
declare_use("calendars.booking.cancel", _("Cancelled your appointment"))
declare_use("calendars.day.read", _("Saw your appointment in the service point's day"))
declare_use("calendars.client.read",
            _("Saw your details to book an appointment for you"))
declare_use("calendars.booking.ics", _("Downloaded your appointment's calendar file"))
declare_use("calendars.booking.system_read",
            _("An institution's system read your appointment"))
