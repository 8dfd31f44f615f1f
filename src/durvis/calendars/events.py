"""Events of appointments (A4): a booking was made, moved or cancelled. Messaging tells the
client (with the iCalendar attachment); the institution's calendar system is told through the
outbox when the booking is written (`forwarding`)."""

from __future__ import annotations

from durvis.core.events import declare

_PAYLOAD = ("booking_id", "uid", "sequence", "calendar_id", "point_id", "service_code",
            "starts_at", "ends_at", "client_person_id", "client_company_id")

BOOKED = declare("appointment.booked", publisher="calendars",
                 description="A client's appointment was booked", payload=_PAYLOAD)
MOVED = declare("appointment.moved", publisher="calendars",
                description="A client's appointment was moved to another time",
                payload=(*_PAYLOAD, "previous_starts_at"))
CANCELLED = declare("appointment.cancelled", publisher="calendars",
                    description="A client's appointment was cancelled", payload=_PAYLOAD)
REMINDER = declare("appointment.reminder", publisher="calendars",
                   description="A client's appointment is near (the day before)",
                   payload=_PAYLOAD)
