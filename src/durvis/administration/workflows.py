"""The administrator's workflows and teams (B2, B7; issue 16): an institution's administrator
publishes a new version of a workflow for a service it holds or provides — the definition as
`durvis-workflow/1` JSON, checked with every problem named (`docs/workflows.md`) — retires one,
and keeps its teams: members and leads."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.administration import confirm
from durvis.administration.forms import offer_services
from durvis.catalog.queries import services_served_by
from durvis.core.forms import Form
from durvis.identity.models import StaffMember
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required
from durvis.workflows import services as workflows
from durvis.workflows.models import Team, Workflow
from durvis.workflows.rules import WorkflowAction

EXAMPLE = {
    "format": "durvis-workflow/1", "first": "review", "steps": {"review": {
        "name": {"lv": "Izskatīšana", "en": "Review"},
        "queue": {"institution": "provider"}, "role": "back_office", "resolution": "2d",
        "next": [{"step": None, "status": "decided", "name": {"lv": "Lemt", "en": "Decide"}}]}}}


class VersionForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int)
    name = forms.CharField(label=gettext_lazy("Name of the workflow"), max_length=200)
    definition = forms.CharField(
        label=gettext_lazy("Definition (durvis-workflow/1 JSON)"), max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=gettext_lazy("Steps, queues, roles, exits with the register status each sets, "
                               "and times allowed (90m, 4h, 3d). See docs/workflows.md."))

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_services(self, "service", services, _("Choose a service"))

    def clean_definition(self) -> Any:
        try:
            return json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as error:
            raise ValidationError(_("This is not JSON: the error is at line %(line)d, "
                                    "character %(column)d.") % {
                "line": error.lineno, "column": error.colno}, code="json") from None


class TeamForm(Form):
    key = forms.SlugField(label=gettext_lazy("Key (letters, digits, -)"), max_length=40)
    name_lv = forms.CharField(label=gettext_lazy("Name in Latvian"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=200)


def _admin(request: HttpRequest) -> Any:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, WorkflowAction.MANAGE_TEAMS,
                                         actor.staff.institution):
        raise PermissionDenied("only the institution's administrator")
    return actor


@staff_required
def workflow_list(request: HttpRequest) -> HttpResponse:
    """The institution's workflows (live and retired, each with its versions) and the form for
    a new version; `?service=<id>` starts the form from that service's live version."""
    actor = _admin(request)
    institution = actor.staff.institution
    services = list(services_served_by(institution.pk))
    form = VersionForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        service = next(s for s in services if s.pk == form.cleaned_data["service"])
        try:
            version = workflows.publish_version(actor, institution, service,
                                                form.cleaned_data["name"],
                                                form.cleaned_data["definition"])
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Version %(number)d is published: new cases start on "
                                        "it.") % {"number": version.number})
            return redirect("administration:workflows")
    elif request.method != "POST":
        form = VersionForm(initial=_initial(request, institution, services), services=services)
    listing = (Workflow.objects.filter(institution=institution)
               .select_related("service").prefetch_related("versions").order_by("service__code"))
    return render(request, "administration/workflows.html", {
        "form": form, "workflows": listing, "services": services,
        "teams": Team.objects.filter(institution=institution).prefetch_related(
            "members__user", "leads__user"),
        "team_form": TeamForm(prefix="team"),
        "staff": StaffMember.objects.filter(institution=institution).select_related("user"),
    }, status=422 if request.method == "POST" else 200)


def _initial(request: HttpRequest, institution: Any, services: list[Any]) -> dict[str, Any]:
    wanted = request.GET.get("service", "")
    live = (Workflow.objects.filter(institution=institution, retired_at__isnull=True,
                                    service_id=int(wanted))
            .prefetch_related("versions").first() if _digits(wanted) else None)
    if live is None:
        return {"definition": json.dumps(EXAMPLE, ensure_ascii=False, indent=2)}
    newest = max(live.versions.all(), key=lambda v: v.number)
    return {"service": live.service_id, "name": live.name,
            "definition": json.dumps(newest.definition, ensure_ascii=False, indent=2)}


@staff_required
@require_POST
def workflow_retire(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_from_request(request)
    workflow = Workflow.objects.select_related("institution", "service").filter(pk=pk).first()
    if workflow is None or not decide(actor, WorkflowAction.DEFINE, workflow.institution,
                                      workflow.service):
        raise Http404
    if not confirm.confirmed(request):
        return confirm.ask(request, title=_("Retire the workflow %(name)s?") % {
            "name": workflow.name}, warning=_(
            "No new case of %(service)s will start on it; running cases go on. To use a "
            "workflow again, publish a new version.") % {"service": workflow.service.name},
            action=_("Retire"), cancel_url=reverse("administration:workflows"))
    workflows.retire(actor, workflow)
    messages.success(request, _("The workflow is retired: no new case starts on it."))
    return redirect("administration:workflows")


@staff_required
@require_POST
def team_save(request: HttpRequest) -> HttpResponse:
    """Create a team (`team-key`, names) or set a team's people (`team`, `member`, `lead`: staff
    ids of the institution; those not ticked leave)."""
    actor = _admin(request)
    institution = actor.staff.institution
    if request.POST.get("team"):
        team = Team.objects.filter(institution=institution,
                                   pk=_number(request.POST["team"])).first()
        if team is None:
            raise Http404
        workflows.set_team_people(actor, team, _numbers(request.POST.getlist("member")),
                                  _numbers(request.POST.getlist("lead")))
        messages.success(request, _("The team is saved."))
        return redirect("administration:workflows")
    form = TeamForm(request.POST, prefix="team")
    if form.is_valid():
        try:
            workflows.create_team(actor, institution, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The team is created."))
    else:
        messages.error(request, _("Give the team a key (letters, digits, -) and its names."))
    return redirect("administration:workflows")


def _number(text: str) -> int:
    return int(text) if _digits(text) else 0


def _numbers(texts: list[str]) -> list[int]:
    return [int(t) for t in texts if _digits(t)]


def _digits(text: str) -> bool:
    """ASCII digits only, at most 18 (`str.isdigit` also takes "²", which `int` refuses, and
    an id beyond the database's integer is no id)."""
    return text.isascii() and text.isdigit() and len(text) <= 18
