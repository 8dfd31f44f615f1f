"""Appointments and service points in the workplace and the administration (A4, A1):

- the agent's day view (`/staff/appointments/`): the bookings of a point their institution
  runs on a day, by time and desk (reading it is audited per client named);
- the institution administrator's service points (`/administration/service-points/`): their
  address, coordinates, hours, accessibility, the days closed, and the calendars of the
  services each handles (slot length, desks, lead time, horizon, where bookings are
  forwarded)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import require
from durvis.calendars import queries as calendar_queries
from durvis.calendars import services as calendars
from durvis.calendars.rules import CalendarAction
from durvis.core.forms import DayField, Form
from durvis.identity.sessions import actor_from_request
from durvis.servicepoints import queries as point_queries
from durvis.servicepoints import services as points
from durvis.servicepoints.models import PointKind, ServicePoint
from durvis.servicepoints.rules import ServicePointAction
from durvis.web.shell import staff_required


class DayForm(Form):
    point = forms.TypedChoiceField(label=gettext_lazy("Service point"), coerce=int)
    day = DayField(label=gettext_lazy("Day"), required=False)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["point"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = choices


def _own_point(actor: Any, points: list[ServicePoint]) -> ServicePoint | None:
    """The point the agent says they work at ("My working time": `StaffMember.service_point`,
    a point's name), if their institution runs it; else the first of `points` (None: none)."""
    named = actor.staff.service_point if actor.staff is not None else ""
    return next((p for p in points if named and p.name == named), points[0] if points else None)


@staff_required
def day_view(request: HttpRequest) -> HttpResponse:
    """GET `point` (the agent's own point when absent, also with a `day`), `day` (today): who
    comes when to a point the agent's institution runs."""
    actor = actor_from_request(request)
    require(actor, CalendarAction.DAY_VIEW)
    points = list(calendar_queries.points_for_day_view(actor))
    choices = [(p.pk, p.shown_name) for p in points]
    own = _own_point(actor, points)
    data = request.GET.copy() if request.GET else None
    if data is not None and own is not None and not data.get("point"):
        data["point"] = str(own.pk)  # `?day=` alone: that day at the agent's own point
    form = DayForm(data, choices=choices, initial={"point": own.pk if own else None})
    point, day, bookings = None, timezone.localdate(), []
    if own is not None:
        chosen = own.pk
        if form.is_bound and form.is_valid():
            chosen, day = form.cleaned_data["point"], form.cleaned_data["day"] or day
        point = next(p for p in points if p.pk == chosen)
        if not form.errors:
            bookings = calendar_queries.day_of_point(actor, point, day)
    return render(request, "administration/appointments/day.html", {
        "form": form, "point": point, "day": day, "bookings": bookings,
    }, status=422 if form.errors else 200)


class PointForm(Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=100,
                              required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PointKind.choices)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=255)
    address_code = forms.IntegerField(label=gettext_lazy("Address register code"),
                                      required=False, min_value=1)
    town = forms.CharField(label=gettext_lazy("Town"), max_length=100)
    latitude = forms.DecimalField(label=gettext_lazy("Latitude"), max_digits=9,
                                  decimal_places=6, min_value=Decimal(-90), max_value=Decimal(90))
    longitude = forms.DecimalField(label=gettext_lazy("Longitude"), max_digits=9,
                                   decimal_places=6, min_value=Decimal(-180),
                                   max_value=Decimal(180))
    hours = forms.CharField(label=gettext_lazy("Opening hours"), max_length=300,
                            help_text=gettext_lazy("For example: mon-thu 08:30-17:00; "
                                                   "fri 08:30-15:30"))
    accessibility = forms.CharField(label=gettext_lazy("Accessibility"), required=False,
                                    max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    accessibility_en = forms.CharField(label=gettext_lazy("Accessibility in English"),
                                       required=False, max_length=2000,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Open to clients"), required=False,
                                initial=True)


def _values(point: ServicePoint) -> dict[str, Any]:
    return {name: getattr(point, name) for name in points.FIELDS}


@staff_required
def point_list(request: HttpRequest) -> HttpResponse:
    """The points the administrator's institution runs; POST adds one."""
    actor = actor_from_request(request)
    require(actor, ServicePointAction.MANAGE)
    assert actor.staff is not None
    form = PointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = points.create_point(actor, actor.staff.institution, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.error_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("The service point is added."))
            return redirect("administration:service-point", pk=created.pk)
    return render(request, "administration/appointments/points.html", {
        "points": point_queries.points_of(actor.institution_id), "form": form,
    }, status=422 if form.errors else 200)


class ClosureForm(Form):
    day = DayField(label=gettext_lazy("Closed on"))
    reason = forms.CharField(label=gettext_lazy("Reason shown to clients"), max_length=200,
                             required=False)


class CalendarForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int)
    slot_minutes = forms.IntegerField(label=gettext_lazy("Slot length (minutes)"), initial=20,
                                      min_value=5, max_value=240)
    desks = forms.IntegerField(label=gettext_lazy("Desks"), initial=1, min_value=1,
                               max_value=50)
    lead_minutes = forms.IntegerField(label=gettext_lazy("Lead time (minutes)"), initial=60,
                                      min_value=0, max_value=60 * 24 * 14)
    horizon_days = forms.IntegerField(label=gettext_lazy("Booking horizon (days)"), initial=30,
                                      min_value=1, max_value=366)
    active = forms.BooleanField(label=gettext_lazy("Open for booking"), required=False,
                                initial=True)
    forward_to = forms.ChoiceField(label=gettext_lazy("Forward bookings to"), required=False)
    forward_target = forms.CharField(label=gettext_lazy("Forwarding address"), max_length=300,
                                     required=False)
    forward_username = forms.CharField(label=gettext_lazy("User name"), max_length=100,
                                       required=False)
    forward_password = forms.CharField(label=gettext_lazy("Password"), max_length=200,
                                       required=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.TypedChoiceField)
        service.choices = [(s.pk, f"{s.code} {s.name}") for s in services]
        systems = self.fields["forward_to"]
        assert isinstance(systems, forms.ChoiceField)
        systems.choices = [("", _("Nowhere")), *calendar_queries.calendar_systems()]


def _managed_point(request: HttpRequest, pk: int) -> tuple[Any, ServicePoint]:
    actor = actor_from_request(request)
    point = point_queries.points_of(actor.institution_id).filter(pk=pk).first()
    if point is None:
        raise Http404
    require(actor, ServicePointAction.MANAGE, point)
    return actor, point


def _form_errors(form: Form, error: ValidationError) -> None:
    for field, problems in error.error_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@staff_required
def point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One point: POST `part=point` changes it, `part=closure` adds a day closed,
    `part=calendar` sets up a service's calendar."""
    actor, point = _managed_point(request, pk)
    part = request.POST.get("part", "") if request.method == "POST" else ""
    handled = list(point_queries.services_handled(point))
    forms_ = {
        "point": PointForm(request.POST if part == "point" else None, initial=_values(point),
                           prefix="p"),
        "closure": ClosureForm(request.POST if part == "closure" else None, prefix="c"),
        "calendar": CalendarForm(request.POST if part == "calendar" else None,
                                 services=handled, prefix="k"),
    }
    form = forms_.get(part)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if part == "point":
                points.change_point(actor, point, **data)
            elif part == "closure":
                points.add_closure(actor, point, data["day"], data["reason"])
            else:
                chosen = data.pop("service")
                service = next(s for s in handled if s.pk == chosen)
                calendars.save_calendar(actor, point, service, **data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("administration:service-point", pk=point.pk)
    return render(request, "administration/appointments/point.html", {
        "point": point, "forms": forms_, "closures": point.closures.filter(
            day__gte=timezone.localdate() - datetime.timedelta(days=1)),
        "calendars": calendar_queries.calendars_of(point),
        "failed": form if form is not None and form.errors else None,
    }, status=422 if form is not None and form.errors else 200)
