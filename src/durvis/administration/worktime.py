"""Working time in the workplace (D2, B1; issue 16): a staff member's own recorded time (each
task held and each consultation given, recorded automatically from opening to closing) with a
correction and its reason, and where they work now; a team lead's view of the day's and the
week's load per service point and stage. The records are the register's (`WorkTime`)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from durvis.access.policy import require
from durvis.core.forms import Form
from durvis.identity.sessions import actor_from_request
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.models import MAX_WORK_SECONDS, WorkTime
from durvis.servicepoints import queries as point_queries
from durvis.web.shell import staff_required
from durvis.workflows.rules import WorkflowAction


class ServicePointForm(Form):
    service_point = forms.ChoiceField(label=gettext_lazy("Where you work now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service_point"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Not at a client-service centre")),
                         *point_queries.labelled_choices(get_language()[:2] if get_language()
                                                         else "lv")]


def service_points() -> list[str]:
    """Where a staff member may say they work: the service point register's points (A1),
    stored by name (`servicepoints.queries.point_choices`)."""
    return point_queries.point_choices()


class CorrectionForm(Form):
    minutes = forms.IntegerField(label=gettext_lazy("Minutes you actually worked"), min_value=0,
                                 max_value=MAX_WORK_SECONDS // 60)
    reason = forms.CharField(label=gettext_lazy("Why the recorded time is wrong"),
                             max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _week_start(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=today.weekday())


@staff_required
def my_time(request: HttpRequest) -> HttpResponse:
    """The staff member's working time this week (today's and the week's totals) and where they
    work now (POST: the service point)."""
    actor = actor_from_request(request)
    assert actor.staff is not None
    form = ServicePointForm(request.POST if request.method == "POST" else None,
                            initial={"service_point": actor.staff.service_point})
    if request.method == "POST" and form.is_valid():
        try:
            register.set_service_point(actor, form.cleaned_data["service_point"],
                                       service_points())
        except ValidationError as error:
            form.add_error("service_point", error.error_dict["service_point"])
        else:
            messages.success(request, _("Your service point is saved."))
            return redirect("administration:my-time")
    today = timezone.localdate()
    day_start = register_queries.riga_midnight(today)
    records = list(register_queries.work_of(actor.staff.pk,
                                            register_queries.riga_midnight(_week_start(today))))
    return render(request, "administration/worktime/mine.html", {
        "form": form, "records": records,
        "today_minutes": sum(r.effective_seconds for r in records if r.started_at >= day_start)
        // 60,
        "week_minutes": sum(r.effective_seconds for r in records) // 60,
    }, status=422 if form.errors else 200)


@staff_required
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct one of one's own records with a reason; another's record is not found."""
    actor = actor_from_request(request)
    assert actor.staff is not None
    work = WorkTime.objects.select_related("case", "service").filter(
        pk=pk, staff=actor.staff).first()
    if work is None:
        raise Http404
    form = CorrectionForm(request.POST if request.method == "POST" else None,
                          initial={"minutes": work.effective_seconds // 60})
    if request.method == "POST" and form.is_valid():
        try:
            register.correct_work(actor, work, form.cleaned_data["minutes"],
                                  form.cleaned_data["reason"])
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error(name, errors)
        else:
            messages.success(request, _("The time is corrected."))
            return redirect("administration:my-time")
    return render(request, "administration/worktime/correct.html",
                  {"form": form, "work": work}, status=422 if form.errors else 200)


@staff_required
def load(request: HttpRequest) -> HttpResponse:
    """The institution's load today and this week per service point and stage, for its team
    leads and administrators (`WorkflowAction.SEE_LOAD`)."""
    actor = actor_from_request(request)
    assert actor.staff is not None
    require(actor, WorkflowAction.SEE_LOAD, actor.staff.institution)
    today = timezone.localdate()
    tomorrow = register_queries.riga_midnight(today + datetime.timedelta(days=1))
    institution_id = actor.staff.institution_id
    week_start = _week_start(today)
    periods = [
        ("today", register_queries.load(institution_id, register_queries.riga_midnight(today),
                                        tomorrow), _("Today")),
        ("week", register_queries.load(institution_id, register_queries.riga_midnight(
            week_start), tomorrow), _("This week, from %(day)s") % {
                "day": formats.date_format(week_start, "SHORT_DATE_FORMAT")}),
    ]
    return render(request, "administration/worktime/load.html", {"periods": periods})
