"""The appointments API (A4, B9) for an institution's back-office systems and queue machines:
the bookings at the service points the institution runs, and cancelling one (the client is told
as when they cancel themselves; the booking is forwarded as usual).

Authenticated with an API client's bearer token; each operation names its scope (`x-scopes`):
`appointments:read`, `appointments:write`, only for the bookings at the points of the client's
institution, of the services its token covers. Another institution's booking is a 404 (as if it
did not exist); a token without the scope is a 403. Reading names clients: every booking read is
in the activity log, and the client sees it in "Who used my data".

- `GET /appointments?from=&to=&point=&state=&offset=&limit=` (`appointments:read`) → the
  bookings starting in [`from`, `to`) (at most 31 days), by start;
- `GET /appointments/{uid}` (`appointments:read`) → one booking;
- `POST /appointments/{uid}/cancel` (`appointments:write`) → 200, the booking cancelled; 409
  `cancelled` (already) or `past` (it has begun). Accepts `Idempotency-Key`.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AwareDatetime

from durvis.access.policy import require
from durvis.calendars import ics, queries, services
from durvis.calendars.models import Booking, BookingState
from durvis.calendars.rules import APPOINTMENTS_READ, APPOINTMENTS_WRITE, CalendarAction
from durvis.core.api import ApiError
from durvis.integrations.http import ERRORS, ApiClientAuth, OneOf, actor_of, idempotent_write, scopes

router = Router(tags=["appointments"], auth=ApiClientAuth())

Uid = Annotated[str, Path(..., min_length=1, max_length=60, description=(
    "The booking's iCalendar UID (`<uuid>@durvis`, or the bare UUID)"))]


class ClientOut(Schema):
    kind: str = Field(..., description="`person` or `company`")
    name: str
    code: str = Field(..., description="A person's personal code (`DDMMYY-NNNNN`) or a "
                      "company's registration number")


class AppointmentOut(Schema):
    uid: str = Field(..., description="The iCalendar UID (RFC 5545), the same in the `.ics`")
    sequence: int = Field(..., description="The iCalendar SEQUENCE: moved on by every change")
    state: str = Field(..., description="`booked` or `cancelled`")
    point: int = Field(..., description="The service point's id (`/service-points/{id}`)")
    service_code: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    desk: int
    booked_by: str = Field(..., description="`client` (in the e-account) or `agent`")
    client: ClientOut
    created_at: datetime.datetime
    changed_at: datetime.datetime


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next_offset: int | None = Field(..., description="Ask again with offset=next_offset; null "
                                    "when this page is the last")


class AppointmentsQuery(Schema):
    start: AwareDatetime = Field(..., alias="from", description=(
        "From this instant (with its offset: `2027-01-11T00:00:00+02:00`)"))
    end: AwareDatetime = Field(..., alias="to", description=(
        "Up to this instant (not included); at most 31 days after `from`"))
    point: int | None = Field(None, ge=1, le=2**31 - 1, description=(
        "Only this service point's (one your institution runs)"))
    state: Annotated[str, OneOf("", *BookingState.values)] = ""
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(100, ge=1, le=500, description="How many items at most (1 to 500)")


def appointment_out(booking: Booking) -> dict[str, Any]:
    company, person = booking.client_company, booking.client_person
    client = ({"kind": "company", "name": company.name, "code": company.registration_number}
              if company is not None else
              {"kind": "person", "name": f"{person.given_name} {person.family_name}",
               "code": person.formatted_code} if person is not None else {})
    return {"uid": ics.uid_of(booking), "sequence": booking.sequence, "state": booking.state,
            "point": booking.calendar.point_id, "service_code": booking.service.code,
            "starts_at": booking.starts_at, "ends_at": booking.ends_at, "desk": booking.desk,
            "booked_by": "agent" if booking.booked_by_staff_id else "client", "client": client,
            "created_at": booking.created_at, "changed_at": booking.changed_at}


@router.get("/appointments", response={200: AppointmentPage, **ERRORS},
            summary="The appointments at your institution's service points",
            openapi_extra=scopes(APPOINTMENTS_READ))
def list_appointments(request: HttpRequest, query: Query[AppointmentsQuery]
                      ) -> dict[str, Any]:
    """The bookings starting from `from` up to `to` (at most 31 days) at the service points
    your institution runs, of the services your client covers, by start; at one point
    (`point`) or in one state (`state`) if given. A `to` not after `from`, or a window longer
    than 31 days, is a 422 `window` at `["query", "to"]`."""
    actor = actor_of(request)
    require(actor, CalendarAction.SYSTEM_READ)
    if not query.start < query.end <= query.start + datetime.timedelta(
            days=queries.MAX_SYSTEM_DAYS):
        raise ApiError(422, ["query", "to"], _(
            "Give a time after “from”, at most %(days)d days later.") % {
                "days": queries.MAX_SYSTEM_DAYS}, "window")
    found, more = queries.bookings_for_system(
        actor, query.start, query.end, point_id=query.point, state=query.state,
        offset=query.offset, limit=query.limit)
    return {"items": [appointment_out(b) for b in found],
            "next_offset": query.offset + query.limit if more else None}


def _booking(request: HttpRequest, uid: str) -> Booking:
    actor = actor_of(request)
    require(actor, CalendarAction.SYSTEM_READ)
    booking = queries.booking_for_system(actor, uid)
    if booking is None:
        raise Booking.DoesNotExist
    return booking


@router.get("/appointments/{uid}", response={200: AppointmentOut, **ERRORS},
            summary="One appointment", openapi_extra=scopes(APPOINTMENTS_READ))
def get_appointment(request: HttpRequest, uid: Uid) -> dict[str, Any]:
    """One booking at a point your institution runs, by its UID; another institution's is a
    404."""
    booking = _booking(request, uid)
    queries.record_system_read(actor_of(request), booking)
    return appointment_out(booking)


@router.post("/appointments/{uid}/cancel", response={200: AppointmentOut, **ERRORS},
             summary="Cancel an appointment",
             openapi_extra=scopes(APPOINTMENTS_READ, APPOINTMENTS_WRITE))
def cancel_appointment(request: HttpRequest, uid: Uid) -> Status[Any]:
    """Cancel a booking at a point your institution runs (the desk is free again at once; the
    client is told, with the `.ics` that removes it from their calendar). A booking cancelled
    already is a 409 `cancelled`, one that has begun a 409 `past`. Accepts
    `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        actor = actor_of(request)
        booking = _booking(request, uid)
        client = booking.client_company or booking.client_person
        assert client is not None
        try:
            done = services.cancel(actor, booking, client)
        except ValidationError as error:
            problem = error.error_dict["booking"][0]
            raise ApiError(409, ["path", "uid"], str(problem.message),
                           problem.code or "invalid") from None
        return 200, appointment_out(done)

    return idempotent_write(request, handler, f"POST {request.path}")
