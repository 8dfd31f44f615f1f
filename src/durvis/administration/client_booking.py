"""An agent books an appointment for a client (A4, B3): from the client's 360° view in the
workplace, for the client this session identified (or verified) — themself, their minor child
or a company they represent (the base registers' relations, never a mandate held from
others) — in a calendar where the agent may book (`calendars.queries.calendars_for_agent`:
a point their institution runs, or a service whose application stage it provides). The write
is `calendars.services.book`: the policy (`CalendarAction.BOOK`), the activity log (the client
reads "Booked an appointment for you" in "Who used my data"), the event that tells the client
with the `.ics`, and the forwarding to the institution's calendar system."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import explanation_of
from durvis.administration.clients import identified_client
from durvis.calendars import queries, services
from durvis.calendars.models import Calendar
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity.models import Company, Person
from durvis.identity.sessions import actor_from_request
from durvis.web.roles import available_roles
from durvis.web.shell import staff_required
from durvis.web.slots import SlotForm, chosen_day, when


class WhatForm(Form):
    """Which calendar (a service at a point) and for whom: the first step, sent by GET."""

    calendar = forms.TypedChoiceField(label=gettext_lazy("Service and service point"),
                                      coerce=int)
    party = forms.ChoiceField(label=gettext_lazy("For whom"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, calendars: list[Calendar],
                 parties: dict[str, tuple[str, Person | Company]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["calendar"]).choices = [
            ("", _("Choose a service and a service point")),
            *((c.pk, f"{c.service.code} {c.service.name} — {c.point.shown_name}, "
                     f"{c.point.town}") for c in calendars)]
        cast(forms.ChoiceField, self.fields["party"]).choices = [
            (key, label) for key, (label, _client) in parties.items()]
        self.fields["party"].initial = "self"


def parties_of(person: Person) -> dict[str, tuple[str, Person | Company]]:
    """Whom the agent may book for on behalf of `person`, by role key: themself, their minor
    children and the companies they represent (by the base registers; not by a mandate)."""
    found: dict[str, tuple[str, Person | Company]] = {}
    for role in available_roles(person):
        if role.delegated:
            continue
        if role.is_self:
            label = _("%(name)s (the client)") % {"name": role.client}
        elif isinstance(role.client, Company):
            label = _("%(name)s (a company the client represents)") % {"name": role.client}
        else:
            label = _("%(name)s (the client's minor child)") % {"name": role.client}
        found[role.key] = (label, role.client)
    return found


def _client(request: HttpRequest, pk: int) -> tuple[Actor, Person]:
    actor = actor_from_request(request)
    person = identified_client(request, str(pk))
    if person is None:
        raise Http404  # only a client this session identified or verified
    return actor, person


@staff_required
def book_for_client(request: HttpRequest, pk: int) -> HttpResponse:
    """GET `calendar`, `party`, `day`: the calendars the agent may book in and the chosen
    day's free times; POST (the same and `starts_at`): book it, then back to the client with
    the time booked; a refusal shows at its field (422)."""
    actor, person = _client(request, pk)
    parties = parties_of(person)
    if request.method != "POST":  # the page shows the client's details: the read is audited
        queries.read_for_booking(actor, person, list(parties))
    source = request.POST if request.method == "POST" else request.GET
    calendars = queries.calendars_for_agent(actor, person)
    what = WhatForm(source if "calendar" in source else None, parties=parties,
                    calendars=calendars)
    context: dict[str, Any] = {"person": person, "what": what, "calendar": None,
                               "offered": bool(calendars)}
    if what.is_bound and what.is_valid():
        calendar = next(c for c in calendars if c.pk == what.cleaned_data["calendar"])
        _label, client = parties[what.cleaned_data["party"]]
        days = queries.bookable_days(calendar)
        day = chosen_day(request, days)
        slots = queries.free_slots(calendar, day) if day else []
        form = SlotForm(request.POST if request.method == "POST" else None, days=days,
                        slots=slots, initial={"day": day.isoformat() if day else ""})
        if request.method == "POST" and form.is_valid():
            done = _book(actor, calendar, client, form)
            if done:
                messages.success(request, _(
                    "The appointment of %(client)s is booked for %(when)s. The client is "
                    "notified.") % {"client": _name(client), "when": done})
                return redirect("administration:client", pk=pk)
        context.update(calendar=calendar, form=form, day=day, days=days, slots=slots,
                       party=what.cleaned_data["party"])
        failed = bool(form.errors)
    else:
        failed = what.is_bound
    return render(request, "administration/clients/appointment_book.html", context,
                  status=422 if failed else 200)


def _name(client: Person | Company) -> str:
    """Whom a booking was made for, as the agent's confirmation names them: the person's full
    name, or the company's name."""
    return client.name if isinstance(client, Company) else str(client)


def _book(actor: Actor, calendar: Calendar, client: Person | Company, form: SlotForm
          ) -> str:
    """Book the time the form chose; its start as read (empty: refused, at the form)."""
    chosen = form.cleaned_data["starts_at"]
    if not chosen:
        form.add_error("starts_at", _("Choose a time."))
        return ""
    try:
        booking = services.book(actor, calendar, datetime.datetime.fromisoformat(chosen),
                                client)
    except PermissionDenied as refused:
        form.add_error(None, explanation_of(refused, _(
            "You may not book this service for the client.")))
    except ValidationError as error:
        for field, problems in error.error_dict.items():
            form.add_error("starts_at" if field in ("calendar", "booking") else field,
                           problems)
    else:
        return when(booking.starts_at)
    return ""
