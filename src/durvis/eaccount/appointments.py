"""The client's appointments in the e-account (A4): the upcoming ones of the current role
(themself, a child, a company), booking a time at a service point (a day, then a free time),
moving and cancelling (after a confirmation). The writes are `calendars.services`' (the policy:
who may apply for the service in the client's name); the reads `calendars.queries`'."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from durvis.access.policy import explanation_of
from durvis.calendars import queries, services
from durvis.calendars.models import Booking, Calendar
from durvis.eaccount.views import children_of
from durvis.identity.sessions import actor_from_request
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required
from durvis.web.slots import SlotForm, chosen_day, when


def _role(request: HttpRequest) -> ClientRole:
    return request.client_role  # type: ignore[attr-defined,no-any-return]


@client_required
def appointment_list(request: HttpRequest) -> HttpResponse:
    """The current role's upcoming appointments, soonest first."""
    role = _role(request)
    return render(request, "eaccount/appointments.html", {
        "eaccount_section": "appointments",
        "bookings": queries.upcoming_of(actor_from_request(request), role.client)})


def _slot_page(request: HttpRequest, calendar: Calendar, booking: Booking | None
               ) -> HttpResponse:
    """The day-and-time page of booking (or moving `booking`): GET lists the chosen day's free
    times; POST books (or moves) the chosen one, or shows the error summary (422)."""
    role = _role(request)
    actor = actor_from_request(request)
    days = queries.bookable_days(calendar)
    day = chosen_day(request, days)
    slots = queries.free_slots(calendar, day, ignore=booking) if day else []
    data = request.POST if request.method == "POST" else None
    form = SlotForm(data, days=days, slots=slots, initial={"day": day.isoformat() if day else ""})
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["starts_at"]
        if not chosen:
            form.add_error("starts_at", _("Choose a time."))
        else:
            at = datetime.datetime.fromisoformat(chosen)
            try:
                done = (services.move(actor, booking, at, role.client) if booking
                        else services.book(actor, calendar, at, role.client))
            except PermissionDenied as refused:
                form.add_error(None, explanation_of(refused, _(
                    "You may not book this service in the name of the role you act in.")))
            except ValidationError as error:
                for field, problems in error.error_dict.items():
                    form.add_error("starts_at" if field in ("calendar", "booking") else field,
                                   problems)
            else:
                messages.success(request, (
                    _("Your appointment is moved to %(when)s.") if booking
                    else _("Your appointment is booked for %(when)s.")) % {
                        "when": when(done.starts_at)})
                return redirect("eaccount:appointments")
    return render(request, "eaccount/appointment_book.html", {
        "eaccount_section": "appointments", "calendar": calendar, "booking": booking,
        "form": form, "day": day, "days": days, "slots": slots,
    }, status=422 if form.errors else 200)


@client_required
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book a time in the calendar `pk` for the current role."""
    calendar = queries.calendar(pk)
    if calendar is None or not calendar.active:
        raise Http404
    return _slot_page(request, calendar, None)


def _own_booking(request: HttpRequest, pk: int) -> Booking:
    booking = queries.booking_of(actor_from_request(request), _role(request).client, pk)
    if booking is None or booking.state != "booked" or booking.starts_at <= timezone.now():
        raise Http404
    return booking


@client_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one of the current role's appointments to another free time of its calendar."""
    booking = _own_booking(request, pk)
    return _slot_page(request, booking.calendar, booking)


@client_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation; POST: cancel the appointment."""
    booking = _own_booking(request, pk)
    error = ""
    if request.method == "POST":
        try:
            services.cancel(actor_from_request(request), booking, _role(request).client)
        except PermissionDenied as refused:
            error = explanation_of(refused, _("You may not cancel this appointment."))
        except ValidationError as refused:
            error = " ".join(str(m) for problems in refused.error_dict.values()
                             for p in problems for m in p.messages)
        else:
            messages.success(request, _("Your appointment is cancelled."))
            return redirect("eaccount:appointments")
    return render(request, "eaccount/appointment_cancel.html", {
        "eaccount_section": "appointments", "booking": booking, "error": error,
    }, status=422 if error else 200)


@client_required
def download_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The appointment's `.ics` (RFC 5545; the confirmation's attachment) for the current role:
    the booker, the client, a parent or a company's representative (the policy's
    `calendars.download_ics`, audited); another's booking is a 404, a refusal a 403 page."""
    actor, language = actor_from_request(request), (get_language() or "lv")[:2]
    found = None
    try:
        # The role's booking, or in the person's own role one of a child's (the overview's).
        for client in [_role(request).client, *children_of(_role(request))]:
            found = queries.ics_download(actor, client, pk, language)
            if found is not None:
                break
    except PermissionDenied as refused:
        return render(request, "eaccount/appointments.html", {
            "eaccount_section": "appointments", "bookings": [],
            "refusal": explanation_of(refused, _("You may not download this appointment."))},
            status=403)
    if found is None:
        raise Http404
    name, content = found
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
