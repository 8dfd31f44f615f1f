"""The activity log by role (B5, A5, A7; issue 16): an administrator reads the entries the policy
lets them read (`AdministrationAction.READ_AUDIT`: a platform administrator all, an institution's
administrator its own staff's and systems' and those on the services it holds), newest first,
filtered by period, action, service, staff member and case number.

The log holds tens of millions of rows, so a page is a keyset page (`?before=<id>`: the entries
older than the last one shown), read from the indexes by institution and by service
(`audit.models`), never an offset and never a count. Reading the log is itself an entry
(`administration.audit.read`, with the filters used). Employees' user names are shown here: the
log is kept for the institution's own review (the client's "who used my data" leaves them out).

Flagged uses (`flagged_uses`): a view of a client's data with neither a case nor the client's
consent behind it is flagged when it is recorded (`register.queries.client_profile`); the
administrators who may read its entry review it here and mark it reviewed with a note.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import decide, visible
from durvis.administration.audit_labels import action_label, readable_details
from durvis.administration.rules import AdministrationAction
from durvis.audit.models import AuditEvent, FlaggedUse
from durvis.audit.queries import purpose_of
from durvis.audit.services import AlreadyReviewed, mark_reviewed, record
from durvis.core.actor import Actor
from durvis.core.forms import CaseNumberField, DayField, Form, QueryForm
from durvis.identity.sessions import actor_from_request
from durvis.register import queries as register_queries
from durvis.web.shell import staff_required

PAGE_SIZE = 50
CASE = "register.servicecase"


class AuditQueryForm(QueryForm):
    """`?date_from=&date_to=&action=&service=&staff=&case=&before=`: the log's filters and the
    keyset of the next (older) page."""

    shown = ("date_from", "date_to", "action", "service", "staff", "case")
    date_from = DayField(label=_("From (day)"), required=False,
                         help_text=_("For example 2026-11-30."))
    date_to = DayField(label=_("To (day)"), required=False)
    action = forms.CharField(label=_("Action"), required=False, max_length=80, initial="",
                             help_text=_("An action or its beginning, for example "
                                         "register.case or identity.staff."))
    service = forms.IntegerField(label=_("Service code"), required=False, min_value=1,
                                 max_value=2**31 - 1)
    staff = forms.CharField(label=_("Staff member's user name"), required=False, max_length=150,
                            initial="")
    case = CaseNumberField(label=_("Case number"), required=False, initial="")
    before = forms.IntegerField(label=_("Older than"), required=False, min_value=1,
                                widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its beginning."))
        username = data.get("staff")
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                self.add_error("staff", _("No staff member has this user name."))
            else:
                data["staff_actor_id"] = f"user:{user.pk}"
        number = data.get("case")
        if number:
            case = register_queries.case_by_number(number)
            if case is None:
                self.add_error("case", _("No case has this number."))
            else:
                data["case_id"] = case.pk
        return data


def _filtered(events: QuerySet[AuditEvent], query: AuditQueryForm) -> QuerySet[AuditEvent]:
    """The entries that pass the valid filters (a wrong one is shown and left out)."""
    query.is_valid()
    data = {name: value for name, value in query.cleaned_data.items()
            if name not in query.errors and value not in (None, "")}
    zone = timezone.get_current_timezone()
    if "date_from" in data:
        events = events.filter(occurred_at__gte=datetime.datetime.combine(
            data["date_from"], datetime.time.min, zone))
    if "date_to" in data:
        events = events.filter(occurred_at__lt=datetime.datetime.combine(
            data["date_to"] + datetime.timedelta(days=1), datetime.time.min, zone))
    if "action" in data:
        events = events.filter(action__startswith=data["action"])
    if "service" in data:
        events = events.filter(service_code=data["service"])
    if "staff_actor_id" in data:
        events = events.filter(actor_kind="staff", actor_id=data["staff_actor_id"])
    if "case_id" in data:
        events = events.filter(Q(object_type=CASE, object_id=str(data["case_id"])))
    if "before" in data:
        events = events.filter(id__lt=data["before"])
    return events


def _reader(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, AdministrationAction.READ_AUDIT):
        raise PermissionDenied
    return actor


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """One page (`PAGE_SIZE`) of the entries the reader may read, newest first, filtered; the
    reading is recorded with its filters. A wrong filter is shown on its field (the page lists
    without it), never a 500."""
    actor = _reader(request)
    query = AuditQueryForm(request.GET)
    events = _filtered(visible(actor, AdministrationAction.READ_AUDIT,
                               AuditEvent.objects.all()), query)
    found = list(events.order_by("-id")[:PAGE_SIZE + 1])
    shown = found[:PAGE_SIZE]
    filters = {name: str(value) for name, value in query.cleaned_data.items()
               if name in query.fields and value not in (None, "")}
    record(actor, "administration.audit.read", None, details={"filters": filters})
    return render(request, "administration/audit.html", {
        "query_form": query, "rows": _rows(shown),
        "older": shown[-1].pk if len(found) > PAGE_SIZE else None,
        "first_page": query.value("before") is None,
        "newest_query": _query_without_before(request)})


def _query_without_before(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("before", None)
    return params.urlencode()


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """The entries with the staff's user names resolved (one query for the page)."""
    user_ids = {int(e.actor_id[5:]) for e in events
                if e.actor_kind == "staff" and e.actor_id[5:].isdigit()}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    rows = []
    for event in events:
        who = event.actor_id
        if event.actor_kind == "staff" and event.actor_id[5:].isdigit():
            who = names.get(int(event.actor_id[5:]), event.actor_id)
        rows.append({"event": event, "who": who, "label": action_label(event.action),
                     "purpose": purpose_of(event.purpose),
                     "details": readable_details(event.details)})
    return rows


class ReviewNoteForm(Form):
    note = forms.CharField(label=_("What did the review find?"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("For example: the client called about a tax debt; the "
                                       "law allows the view."),
                           error_messages={"required": _("Write what the review found.")})


def _flagged(actor: Actor) -> QuerySet[FlaggedUse]:
    """The open flagged uses whose entries the actor may read, newest first."""
    events = visible(actor, AdministrationAction.READ_AUDIT, AuditEvent.objects.all())
    return (FlaggedUse.objects.filter(reviewed_at__isnull=True, event__in=events)
            .select_related("event").order_by("-id"))


@staff_required
def flagged_uses(request: HttpRequest) -> HttpResponse:
    """Views of a client's data with neither a case nor the client's consent behind them (B4,
    B5), flagged when they were recorded, for the institution's review: the open ones the
    reader may read (`PAGE_SIZE`), each marked reviewed with a note (POST `flagged`, `note`:
    an empty note is shown in the error summary, 422). Reading the list is recorded."""
    actor = _reader(request)
    form = ReviewNoteForm(request.POST or None)
    error_for = None
    if request.method == "POST":
        flagged_id = request.POST.get("flagged", "")
        found = _flagged(actor).filter(pk=int(flagged_id)).first() if flagged_id.isdigit() \
            and len(flagged_id) < 19 else None
        if found is None:
            messages.error(request, _("This flagged use is reviewed already or is not yours "
                                      "to review."))
            return redirect("administration:flagged-uses")
        if form.is_valid():
            try:
                mark_reviewed(actor, found.pk, form.cleaned_data["note"])
            except AlreadyReviewed:
                messages.error(request, _("This flagged use is reviewed already or is not "
                                          "yours to review."))
            else:
                messages.success(request, _("The flagged use is marked reviewed."))
            return redirect("administration:flagged-uses")
        error_for = found.pk
    shown = list(_flagged(actor)[:PAGE_SIZE])
    record(actor, "administration.flagged_uses.read", None, details={"shown": len(shown)})
    rows = _rows([f.event for f in shown])
    for row, flagged in zip(rows, shown, strict=True):
        row["flagged_id"] = flagged.pk
    return render(request, "administration/flagged_uses.html", {
        "rows": rows, "form": form,
        "error_for": error_for}, status=422 if error_for else 200)
