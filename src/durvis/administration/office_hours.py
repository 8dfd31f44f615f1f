"""The institution's office hours (B7; issue 16): the weekly hours and the days closed besides
public holidays by which its queues count the time allowed for a task (`workflows.services.
calendar_for`). Its administrator sets them; a platform administrator any institution's.
Identity keeps them (`identity.services.set_office_hours`); the access policy decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide
from durvis.core.forms import Form
from durvis.core.working_time import STATE_OFFICE_HOURS, WeeklyHours
from durvis.identity import services as identity
from durvis.identity.models import Institution, StaffRole
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required

DAY_NAMES = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
             gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
             gettext_lazy("Sunday"))


class OfficeHoursForm(Form):
    office_hours = forms.CharField(
        label=gettext_lazy("Office hours"), required=False,
        help_text=gettext_lazy(
            "Days and hours, parts separated by semicolons, e.g. \"mon-thu 08:30-17:00; fri "
            "08:30-15:30\" or, with a lunch break, \"mon-fri 08:00-12:00,13:00-17:00\". Leave "
            "empty for the state's office hours."))
    closed_days = forms.CharField(
        label=gettext_lazy("Days closed besides public holidays"), required=False,
        help_text=gettext_lazy("One date per line, e.g. 2026-12-28 or 28.12.2026."),
        widget=forms.Textarea(attrs={"rows": 4}))


def week(hours: WeeklyHours) -> list[dict[str, Any]]:
    """Each weekday's name and its intervals as text ("08:30–17:00"), or none: closed."""
    return [{"day": DAY_NAMES[n], "intervals": [
        f"{a:%H:%M}–{b:%H:%M}" for a, b in intervals]} for n, intervals in enumerate(hours.days)]


def _institution(request: HttpRequest) -> tuple[Any, Institution]:
    actor = actor_from_request(request)
    if not decide(actor, IdentityAction.SET_OFFICE_HOURS):
        raise PermissionDenied
    assert actor.staff is not None
    code = request.GET.get("institution", "") if actor.has_role(StaffRole.PLATFORM_ADMIN) else ""
    institution = (Institution.objects.filter(code=code[:20]).first() if code
                   else actor.staff.institution)
    if institution is None:
        raise Http404
    if not decide(actor, IdentityAction.SET_OFFICE_HOURS, institution):
        raise PermissionDenied
    return actor, institution


@staff_required
def office_hours(request: HttpRequest) -> HttpResponse:
    """The institution's office hours and closed days, shown per weekday; POST sets them."""
    actor, institution = _institution(request)
    form = OfficeHoursForm(request.POST if request.method == "POST" else None, initial={
        "office_hours": institution.office_hours,
        "closed_days": "\n".join(institution.closed_days or ())})
    if request.method == "POST" and form.is_valid():
        try:
            identity.set_office_hours(actor, institution, **form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error(name, errors)
        else:
            messages.success(request, _("The office hours are saved. Tasks queued from now on "
                                        "count their time by them."))
            url = reverse("administration:office-hours")
            return redirect(f"{url}?institution={institution.code}"
                            if institution.pk != actor.institution_id else url)
    hours = (WeeklyHours.parse(institution.office_hours) if institution.office_hours
             else STATE_OFFICE_HOURS)
    return render(request, "administration/office_hours.html", {
        "form": form, "institution": institution, "week": week(hours),
        "own_hours": bool(institution.office_hours), "closed_days": institution.closed_days,
    }, status=422 if form.errors else 200)
