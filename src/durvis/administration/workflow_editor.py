"""The workflow step editor (B2, B7; issue 16): an institution's administrator builds or
changes a workflow of a service it holds or provides on forms, never writing JSON.

"New workflow" or "Change" opens a draft of the service's workflow (the live version's
definition, or an empty one): its name and first step, and its steps, each changed on a form —
names in Latvian and English, the queue (provider, holder or an institution chosen from a list;
a team of it), the role, the stage, the times allowed (a number and a unit: working minutes,
hours or days, as `90m`, `4h`, `3d`) and the exits (the next step or the end, the register
status the exit sets, its name). A step that another step's exit leads to is not removed.

The draft is the `durvis-workflow/1` definition itself, kept in the administrator's session
under the service (one draft per administrator and service: it survives a reload, and two
administrators do not share one) until it is published or discarded. Every save checks the
draft with the one check publishing uses (`workflows.services.check_definition`, which reads it
with `definition.parse`), and its problems are shown at the fields their JSON paths name and in
the error summary; "Publish" calls `workflows.services.publish_version` (audited there). The
form data and the definition convert both ways here (`step_initial`, `step_data`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.administration import confirm
from durvis.catalog.models import Service, Stage
from durvis.catalog.queries import services_served_by
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity.models import Institution
from durvis.identity.sessions import actor_from_request
from durvis.register.models import CaseStatus
from durvis.web.shell import staff_required
from durvis.workflows import services as workflows
from durvis.workflows.models import Team, Workflow
from durvis.workflows.rules import WorkflowAction

SESSION_KEY = "workflow_drafts"
END = "end"  # the exit choice that ends the workflow (a step's key never equals it: see _key)
UNITS = (("m", gettext_lazy("working minutes")), ("h", gettext_lazy("working hours")),
         ("d", gettext_lazy("working days")))
TIMES = ("first_response", "resolution", "warn_before")
_SPLIT_TIME = re.compile(r"^(.*?)([mhd])$", re.DOTALL)


# --- Forms -------------------------------------------------------------------------------------
# Their fields are text behind a list to choose from: what a field holds is checked once, by
# the definition's own check, so the editor and the JSON form cannot disagree.

def _lists(form: forms.Form) -> None:
    """A text field shown as a list keeps no `maxlength` (no attribute of a select); an amount
    asks a phone for its number keys."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.Select):
            field.widget.attrs.pop("maxlength", None)
        elif name.endswith("_amount"):
            field.widget.attrs["inputmode"] = "numeric"


class DraftForm(Form):
    name = forms.CharField(label=gettext_lazy("Name of the workflow"), max_length=200,
                           required=False)
    first = forms.CharField(label=gettext_lazy("First step"), max_length=40, required=False,
                            widget=forms.Select)

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first"].widget.choices = [("", _("Choose the first step")), *steps]
        _lists(self)


class StepForm(Form):
    name_lv = forms.CharField(label=gettext_lazy("Name in Latvian"), max_length=200,
                              required=False)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=200,
                              required=False)
    institution = forms.CharField(label=gettext_lazy("Institution whose queue it is"),
                                  max_length=20, required=False, widget=forms.Select)
    team = forms.CharField(label=gettext_lazy("Team"), max_length=40, required=False,
                           widget=forms.Select)
    role = forms.CharField(label=gettext_lazy("Who works on it"), max_length=20,
                           required=False, widget=forms.Select)
    stage = forms.CharField(label=gettext_lazy("Stage of the service"), max_length=20,
                            required=False, widget=forms.Select)
    first_response_amount = forms.CharField(
        label=gettext_lazy("Time to the first response"), max_length=8, required=False,
        help_text=gettext_lazy("A whole number; empty: no limit."))
    first_response_unit = forms.CharField(label=gettext_lazy("Unit of the first response"),
                                          max_length=1, required=False, widget=forms.Select)
    resolution_amount = forms.CharField(
        label=gettext_lazy("Time to resolve"), max_length=8, required=False,
        help_text=gettext_lazy("A whole number; empty: no limit."))
    resolution_unit = forms.CharField(label=gettext_lazy("Unit of the time to resolve"),
                                      max_length=1, required=False, widget=forms.Select)
    warn_before_amount = forms.CharField(
        label=gettext_lazy("Warn this long before the time to resolve runs out"), max_length=8,
        required=False, help_text=gettext_lazy("A whole number; empty: no warning."))
    warn_before_unit = forms.CharField(label=gettext_lazy("Unit of the warning"), max_length=1,
                                       required=False, widget=forms.Select)

    def __init__(self, *args: Any, institutions: list[tuple[str, str]],
                 teams: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose = self.fields
        choose["institution"].widget.choices = [
            ("provider", _("The provider (the institution that registered the case)")),
            ("holder", _("The holder of the service")), *institutions]
        choose["team"].widget.choices = [("", _("The institution's whole queue")), *teams]
        choose["role"].widget.choices = [("agent", _("An agent (front office)")),
                                         ("back_office", _("Back office"))]
        choose["stage"].widget.choices = [("", _("By the role (agent: application, back "
                                                 "office: execution)")), *Stage.choices]
        for time in TIMES:
            choose[f"{time}_unit"].widget.choices = list(UNITS)
        _lists(self)


class ExitForm(Form):
    step = forms.CharField(label=gettext_lazy("Leads to"), max_length=40, required=False,
                           widget=forms.Select)
    status = forms.CharField(label=gettext_lazy("Status of the case it sets"), max_length=30,
                             required=False, widget=forms.Select)
    name_lv = forms.CharField(label=gettext_lazy("Name of the exit in Latvian"), max_length=200,
                              required=False)
    name_en = forms.CharField(label=gettext_lazy("Name of the exit in English"), max_length=200,
                              required=False)

    def __init__(self, *args: Any, exits: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].widget.choices = [
            ("", _("No exit (leave empty to remove it)")),
            (END, _("The end of the workflow")), *exits]
        self.fields["status"].widget.choices = [("", _("Unchanged")), *CaseStatus.choices]
        _lists(self)


# --- Form data and the definition, both ways -----------------------------------------------------

def split_time(value: Any) -> tuple[str, str]:
    """`"90m"` → `("90", "m")`; no time → `("", "h")`; text the form sent back as it was."""
    if value is None or value == "":
        return "", "h"
    match = _SPLIT_TIME.match(str(value))
    return (match[1], match[2]) if match else (str(value), "h")


def step_initial(step: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A step of a definition (decoded JSON) as the initial data of its `StepForm` and of one
    `ExitForm` per exit."""
    names: dict[str, Any] = _object(step.get("name"))
    queue: dict[str, Any] = _object(step.get("queue"))
    initial = {"name_lv": str(names.get("lv", "")), "name_en": str(names.get("en", "")),
               "institution": str(queue.get("institution", "provider")),
               "team": str(queue.get("team") or ""), "role": str(step.get("role", "agent")),
               "stage": str(step.get("stage", ""))}
    for time in TIMES:
        initial[f"{time}_amount"], initial[f"{time}_unit"] = split_time(step.get(time))
    exits = []
    for exit_ in step.get("next") or []:
        exit_ = _object(exit_)
        label = _object(exit_.get("name"))
        exits.append({"step": END if exit_.get("step") is None else str(exit_["step"]),
                      "status": str(exit_.get("status") or ""),
                      "name_lv": str(label.get("lv", "")), "name_en": str(label.get("en", ""))})
    return initial, exits


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def step_data(fields: dict[str, str], exits: list[dict[str, str]]) -> dict[str, Any]:
    """The step of a definition the forms' cleaned data describe: the inverse of
    `step_initial`. An exit whose `step` is empty is left out; an empty amount is no time."""
    step: dict[str, Any] = {
        "name": {"lv": fields.get("name_lv", ""), "en": fields.get("name_en", "")},
        "queue": {"institution": fields.get("institution", "")},
        "role": fields.get("role", "")}
    if fields.get("team"):
        step["queue"]["team"] = fields["team"]
    if fields.get("stage"):
        step["stage"] = fields["stage"]
    for time in TIMES:
        amount = (fields.get(f"{time}_amount") or "").strip()
        if amount:
            step[time] = f"{amount}{fields.get(f'{time}_unit') or ''}"
    step["next"] = [
        {"step": None if exit_["step"] == END else exit_["step"],
         "status": exit_.get("status", ""),
         "name": {"lv": exit_.get("name_lv", ""), "en": exit_.get("name_en", "")}}
        for exit_ in exits if exit_.get("step")]
    return step


@dataclass(frozen=True)
class Problem:
    """One problem the check found: its JSON `path` split into the step (or ""), the exit's
    number (or None) and what is left of the path; `message` in the reader's language."""

    step: str
    exit: int | None
    rest: str
    message: str


_PATH = re.compile(r"^steps\.([^.\[]+)(?:\.next\[(\d+)\])?(?:\.(.*))?$")
STEP_FIELDS = {"name": "name_lv", "name.lv": "name_lv", "name.en": "name_en",
               "queue": "institution", "queue.institution": "institution",
               "queue.team": "team", "role": "role", "stage": "stage",
               "first_response": "first_response_amount", "resolution": "resolution_amount",
               "warn_before": "warn_before_amount"}
EXIT_FIELDS = {"": "step", "step": "step", "status": "status", "name": "name_lv",
               "name.lv": "name_lv", "name.en": "name_en"}


def problems_of(error: ValidationError) -> list[Problem]:
    """The check's "path: message" list, each path taken apart."""
    found = []
    for text in error.messages:
        path, _sep, message = text.partition(": ")
        match = _PATH.match(path)
        if match is None:
            found.append(Problem("", None, path, message))
        else:
            found.append(Problem(match[1], int(match[2]) if match[2] else None,
                                 match[3] or "", message))
    return found


# --- The draft in the session -------------------------------------------------------------------

def _admin_of(request: HttpRequest, code: int) -> tuple[Actor, Institution, Service]:
    """The institution's administrator and a service it holds or provides; anyone else is
    refused (`WorkflowAction.DEFINE`), another institution's service is a 404."""
    actor = actor_from_request(request)
    if actor.staff is None:
        raise PermissionDenied
    institution = actor.staff.institution
    if not decide(actor, WorkflowAction.MANAGE_TEAMS, institution):
        raise PermissionDenied("only the institution's administrator")
    service = services_served_by(institution.pk).filter(code=code).first()
    if service is None or not decide(actor, WorkflowAction.DEFINE, institution, service):
        raise Http404
    return actor, institution, service


def _drafts(request: HttpRequest) -> dict[str, Any]:
    drafts = request.session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def _load(request: HttpRequest, institution: Institution, service: Service) -> dict[str, Any]:
    """The administrator's draft for the service, started from the live version's definition
    (or empty) when there is none."""
    draft = _drafts(request).get(str(service.pk))
    if isinstance(draft, dict):
        return draft
    live = (Workflow.objects.filter(institution=institution, service=service,
                                    retired_at__isnull=True).prefetch_related("versions").first())
    if live is not None and live.versions.all():
        newest = max(live.versions.all(), key=lambda v: v.number)
        draft = {"name": live.name, "definition": newest.definition}
    else:
        draft = {"name": service.name, "definition": workflows.empty_definition()}
    _store(request, service, draft)
    return draft


def _store(request: HttpRequest, service: Service, draft: dict[str, Any]) -> None:
    drafts = _drafts(request)
    drafts[str(service.pk)] = draft
    request.session[SESSION_KEY] = drafts


def _steps(draft: dict[str, Any]) -> dict[str, Any]:
    steps = draft["definition"].get("steps")
    return steps if isinstance(steps, dict) else {}


def _step_name(step: Any, key: str) -> str:
    names = step.get("name") if isinstance(step, dict) else None
    if isinstance(names, dict):
        return str(names.get(get_language() or "lv") or names.get("lv") or key)
    return key


def _ordered(draft: dict[str, Any]) -> list[str]:
    """The steps' keys as a case meets them: from the first step along the exits, then those
    no exit reaches yet, as added (PostgreSQL's JSON keeps no order of its own)."""
    steps = _steps(draft)
    first = draft["definition"].get("first")
    order = [first] if first in steps else []
    for key in order:
        step = steps[key] if isinstance(steps[key], dict) else {}
        for exit_ in step.get("next") or []:
            target = _object(exit_).get("step")
            if isinstance(target, str) and target in steps and target not in order:
                order.append(target)
    return order + [key for key in steps if key not in order]


def _choices(draft: dict[str, Any]) -> list[tuple[str, str]]:
    steps = _steps(draft)
    return [(key, _step_name(steps[key], key)) for key in _ordered(draft)]


def _check(institution: Institution, service: Service, draft: dict[str, Any], *,
           complete: bool = True) -> list[Problem]:
    try:
        workflows.check_definition(institution, service, draft["definition"],
                                   complete=complete)
    except ValidationError as error:
        return problems_of(error)
    return []


def _key(steps: dict[str, Any], names: dict[str, str]) -> str:
    """A new step's key from its English (or Latvian) name, unique in the workflow."""
    base = slugify(names.get("en") or names.get("lv") or "")[:30].strip("-_") or "step"
    if not base[0].isalpha() or base == END:
        base = f"step-{base}"[:30]
    key, number = base, 2
    while key in steps:
        key, number = f"{base}-{number}", number + 1
    return key


# --- Pages ---------------------------------------------------------------------------------------

@staff_required
def draft_page(request: HttpRequest, code: int) -> HttpResponse:
    """The draft: its name and first step, its steps, its problems; POST `action` `save`,
    `publish` (a new version: running cases stay on theirs) or `discard`."""
    actor, institution, service = _admin_of(request, code)
    draft = _load(request, institution, service)
    # Bound on a GET too (to the draft): the draft's problems are shown at its fields.
    form = DraftForm(request.POST if request.method == "POST" else {
        "name": draft["name"], "first": draft["definition"].get("first") or ""},
        steps=_choices(draft))
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "discard":
        if not confirm.confirmed(request):
            return confirm.ask(
                request, title=_("Discard the draft of %(service)s?") % {"service": service.name},
                warning=_("Its changes are lost. The live version stays as it is."),
                action=_("Yes, discard it"), fields={"action": "discard"},
                cancel_url=reverse("administration:workflow-draft", args=[service.code]))
        drafts = _drafts(request)
        drafts.pop(str(service.pk), None)
        request.session[SESSION_KEY] = drafts
        messages.success(request, _("The draft is discarded."))
        return redirect("administration:workflows")
    status = 200
    if request.method == "POST" and form.is_valid():
        draft = {"name": form.cleaned_data["name"], "definition": {
            **draft["definition"], "first": form.cleaned_data["first"]}}
        _store(request, service, draft)
        if action == "publish":
            try:
                version = workflows.publish_version(actor, institution, service, draft["name"],
                                                    draft["definition"])
            except ValidationError as error:
                for name, errors in error.error_dict.items():
                    if name == "name":
                        form.add_error("name", errors)
                status = 422
            else:
                drafts = _drafts(request)
                drafts.pop(str(service.pk), None)
                request.session[SESSION_KEY] = drafts
                messages.success(request, _("Version %(number)d is published: new cases start "
                                            "on it.") % {"number": version.number})
                return redirect("administration:workflows")
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("administration:workflow-draft", code=service.code)
    elif request.method == "POST":
        status = 422
    problems = _check(institution, service, draft)
    form.is_valid()
    for problem in problems:
        if not problem.step and problem.rest in form.fields:
            form.add_error(problem.rest, problem.message)
    if request.method == "POST" and problems:
        status = 422
    steps = _steps(draft)
    summary = [{"href": f"#{form[field].id_for_label}", "text": f"{form[field].label}: {e}"}
               for field in form.errors if field in form.fields for e in form.errors[field]]
    summary += [{"href": "#steps", "text": p.message}
                for p in problems if not p.step and p.rest not in form.fields]
    summary += [{"href": reverse("administration:workflow-step", args=[service.code, p.step])
                 if p.step in steps else "#steps",
                 "text": _("Step %(step)s: %(problem)s") % {
                     "step": _step_name(steps.get(p.step), p.step), "problem": p.message}}
                for p in problems if p.step]
    rows = [{"key": key, "name": _step_name(step, key),
             "problems": [p.message for p in problems if p.step == key],
             "first": key == draft["definition"].get("first"),
             "exits": [_exit_label(e, steps) for e in (step.get("next") or [])
                       if isinstance(e, dict)] if isinstance(step, dict) else []}
            for key, step in ((k, steps[k]) for k in _ordered(draft))]
    return render(request, "administration/workflow_draft.html", {
        "service": service, "form": form, "rows": rows, "summary": summary,
        "json": json.dumps(draft["definition"], ensure_ascii=False, indent=2),
    }, status=status)


def _exit_label(exit_: dict[str, Any], steps: dict[str, Any]) -> str:
    target = exit_.get("step")
    where = _("the end") if target is None else _step_name(steps.get(target), str(target))
    status = exit_.get("status")
    if status in CaseStatus.values:
        return _("%(where)s (status: %(status)s)") % {
            "where": where, "status": CaseStatus(status).label}
    return str(where)


@staff_required
def step_new(request: HttpRequest, code: int) -> HttpResponse:
    """A new step of the draft on the step's form."""
    return _step_page(request, code, None)


@staff_required
def step_page(request: HttpRequest, code: int, step: str) -> HttpResponse:
    """One step of the draft on its form."""
    return _step_page(request, code, step)


def _step_page(request: HttpRequest, code: int, step: str | None) -> HttpResponse:
    """One step of the draft on a form (`step` None: a new step); POST saves it when the
    check finds nothing wrong in the step itself (the rest of the draft may still be
    unfinished: the draft's page lists what is)."""
    _actor, institution, service = _admin_of(request, code)
    draft = _load(request, institution, service)
    steps = _steps(draft)
    if step is not None and step not in steps:
        raise Http404
    current = steps[step] if step is not None else {"queue": {"institution": "provider"},
                                                    "role": "agent"}
    initial, exit_initial = step_initial(current if isinstance(current, dict) else {})
    targets = _choices(draft)
    posted = request.POST if request.method == "POST" else None
    queue = str((posted.get("institution") if posted is not None else "")
                or initial.get("institution", ""))
    options = {"institutions": _institution_choices(), "teams": _team_choices(
        institution, service, queue)}
    form = StepForm(posted, initial=initial, **options)
    count = (len([k for k in posted if k.startswith("exit-") and k.endswith("-step")])
             if posted else len(exit_initial) + 1)
    count = max(1, min(count, 20))
    exit_forms = [ExitForm(posted, prefix=f"exit-{i}", exits=targets,
                           initial=exit_initial[i] if i < len(exit_initial) else {})
                  for i in range(count)]
    status = 200
    if posted is not None:
        if form.is_valid() and all(f.is_valid() for f in exit_forms):
            kept = [f.cleaned_data for f in exit_forms if f.cleaned_data.get("step")]
            data = step_data(form.cleaned_data, kept)
            key = step if step is not None else _key(steps, data["name"])
            trial = {**draft, "definition": {**draft["definition"],
                                             "steps": {**steps, key: data}}}
            if not trial["definition"].get("first"):
                trial["definition"]["first"] = key
            own = [p for p in _check(institution, service, trial, complete=False)
                   if p.step == key]
            if not own:
                _store(request, service, trial)
                messages.success(request, _("The step is saved."))
                return redirect("administration:workflow-draft", code=service.code)
            _show(own, form, exit_forms, kept_indexes=[
                i for i, f in enumerate(exit_forms) if f.cleaned_data.get("step")])
        status = 422
    summary = [{"href": f"#{f[field].id_for_label}", "text": f"{f[field].label}: {e}"}
               for f in [form, *exit_forms] for field in f.errors if field != "__all__"
               for e in f.errors[field]]
    summary += [{"href": "#exits", "text": str(e)} for e in form.non_field_errors()]
    return render(request, "administration/workflow_step.html", {
        "service": service, "form": form, "exit_forms": exit_forms, "summary": summary,
        "step": step, "name": _step_name(current, step) if step is not None else "",
    }, status=status)


def _show(problems: list[Problem], form: StepForm, exit_forms: list[ExitForm], *,
          kept_indexes: list[int]) -> None:
    """Each problem at the field its path names (an exit's number counts the exits kept)."""
    for problem in problems:
        if problem.exit is not None and problem.exit < len(kept_indexes):
            exit_form = exit_forms[kept_indexes[problem.exit]]
            exit_form.add_error(EXIT_FIELDS.get(problem.rest, "step"), problem.message)
        elif problem.rest in STEP_FIELDS:
            form.add_error(STEP_FIELDS[problem.rest], problem.message)
        else:
            form.add_error(None, problem.message)


def _institution_choices() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in
            Institution.objects.order_by("name").values_list("code", "name")]


def _team_choices(institution: Institution, service: Service, queue: str) -> list[tuple[str, Any]]:
    """The teams of the provider, of the holder and of the institution the queue names, in a
    group each (the value is the team's key: the check finds it at the queue's institution)."""
    wanted: dict[int, str] = {institution.pk: _("Your institution's teams")}
    wanted.setdefault(service.holder_id, _("The holder's teams"))
    if queue not in ("provider", "holder"):
        other = Institution.objects.filter(code=queue).first()
        if other is not None and other.pk not in wanted:
            wanted[other.pk] = _("Teams of %(institution)s") % {"institution": other.name}
    groups = []
    for institution_id, label in wanted.items():
        teams = [(t.key, f"{t.name_lv} / {t.name_en}") for t in
                 Team.objects.filter(institution_id=institution_id).order_by("key")]
        if teams:
            groups.append((label, teams))
    return groups


@staff_required
@require_POST
def step_remove(request: HttpRequest, code: int, step: str) -> HttpResponse:
    """Remove a step, refused while another step's exit leads to it or while it is the first."""
    _actor, institution, service = _admin_of(request, code)
    draft = _load(request, institution, service)
    steps = _steps(draft)
    if step not in steps:
        raise Http404
    leading = [_step_name(other, key) for key, other in steps.items() if key != step
               and isinstance(other, dict) and any(
                   isinstance(e, dict) and e.get("step") == step for e in other.get("next") or [])]
    if leading:
        messages.error(request, _("The step %(step)s is not removed: an exit of %(steps)s leads "
                                  "to it. Change those exits first.") % {
            "step": _step_name(steps[step], step), "steps": ", ".join(leading)})
    elif draft["definition"].get("first") == step and len(steps) > 1:
        messages.error(request, _("The step %(step)s is not removed: it is the first step. "
                                  "Choose another first step first.") % {
            "step": _step_name(steps[step], step)})
    else:
        remaining = {k: v for k, v in steps.items() if k != step}
        first = draft["definition"].get("first")
        _store(request, service, {**draft, "definition": {
            **draft["definition"], "steps": remaining,
            "first": "" if first == step else first}})
        messages.success(request, _("The step is removed."))
    return redirect("administration:workflow-draft", code=service.code)


@staff_required
def draft_start(request: HttpRequest) -> HttpResponse:
    """"New workflow": `?service=<code>` opens the draft of that service's workflow."""
    wanted = request.GET.get("service", "")
    if not (wanted.isascii() and wanted.isdigit() and len(wanted) <= 9):
        messages.error(request, _("Choose a service."))
        return redirect("administration:workflows")
    _admin_of(request, int(wanted))
    return redirect("administration:workflow-draft", code=int(wanted))
