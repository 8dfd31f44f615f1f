"""The workplace's tasks (B3, B2, B7; issue 16): a specialist's own tasks and the queue they may
take from, the most urgent first, refreshed in place (htmx) without a full reload; one task with
its step, times and history, and its actions: take, put back, hand over with a comment, move on
by one of the step's exits (the register status it sets), escalate by hand.

Keyboard first: every action is a form button in reading order; the list's first link is the
most urgent task; the page documents its access keys (`t` take, `m` move on)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from durvis.administration import knowledge
from durvis.core.forms import Form, PageQueryForm
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required
from durvis.workflows import queries, services
from durvis.workflows.models import Task

ACTIONS = ("take", "release", "hand_over", "move", "escalate")


class HandOverForm(Form):
    to = forms.TypedChoiceField(label=gettext_lazy("To whom"), coerce=int)
    comment = forms.CharField(label=gettext_lazy("Why (they will read it)"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, colleagues: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ChoiceField)
        to.choices = [("", _("Choose a colleague"))] + [
            (m.pk, m.user.get_full_name() or m.user.username) for m in colleagues]


class MoveForm(Form):
    exit = forms.TypedChoiceField(label=gettext_lazy("Where the case goes next"), coerce=int,
                                  widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=2000,
                              required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, exits: list[tuple[int, str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.fields["exit"]
        assert isinstance(chosen, forms.ChoiceField)
        chosen.choices = [(i, name) for i, name, _step in exits]


class EscalateForm(Form):
    comment = forms.CharField(label=gettext_lazy("What is unclear"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    """My tasks and a page of the queue (`?page=`, QUEUE_PAGE tasks each, the most urgent
    first); an htmx request gets the lists alone (the page refreshes them every 30 seconds,
    staying on its page of the queue)."""
    actor = actor_from_request(request)
    language = get_language() or "lv"
    query = PageQueryForm(request.GET)
    queue = queries.queue_page(actor, query.value("page"))
    mine, queue.object_list = queries.my_tasks(actor), list(queue.object_list)
    escalated = queries.escalated_to(actor)
    queries.with_step_names([*mine, *queue.object_list, *escalated], language)
    context = {"mine": mine, "queue": queue, "escalated": escalated, "query_form": query,
               "now": timezone.now()}
    if request.headers.get("HX-Request"):
        return render(request, "administration/tasks/_lists.html", context)
    return render(request, "administration/tasks/list.html", context)


@staff_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task and its actions (POST `action`: one of ACTIONS)."""
    actor = actor_from_request(request)
    view = _view(actor, pk)
    language = get_language() or "lv"
    exits = queries.exit_names(view.step, language)
    colleagues = queries.colleagues_for(view.task, actor)
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "") if data else ""
    hand_over = HandOverForm(data if action == "hand_over" else None, colleagues=colleagues,
                             prefix="hand")
    move = MoveForm(data if action == "move" else None, exits=exits, prefix="move")
    escalate = EscalateForm(data if action == "escalate" else None, prefix="esc")
    if data is not None:
        if action not in ACTIONS:
            raise Http404
        done = _act(request, actor, view.task, action, hand_over, move, escalate)
        if done is not None:
            return done
    _name_destinations(view, language)
    return render(request, "administration/tasks/detail.html", {
        "view": view, "task": view.task, "step_name": queries.step_name(view.step, language),
        "exits": exits, "hand_over": hand_over, "move": move, "escalate": escalate,
        "colleagues": colleagues, "now": timezone.now(), "service": view.task.case.service,
        "knowledge_cards": knowledge.panel(actor, view.task.case.service),
    }, status=422 if data is not None else 200)


def _name_destinations(view: queries.TaskView, language: str) -> None:
    """Give each "moved on" event of the history the name of the step it led to (`to_name`;
    empty: the workflow ended there), in `language`."""
    steps = services.parse_definition(view.task.version.definition).steps
    for event in view.events:
        following = steps.get(event.to_step)
        event.to_name = (  # type: ignore[attr-defined]
            queries.step_name(following, language) if following else "")


def _view(actor: Any, pk: int) -> queries.TaskView:
    try:
        return queries.task_for(actor, pk)
    except Task.DoesNotExist:
        raise Http404 from None


def _act(request: HttpRequest, actor: Any, task: Task, action: str, hand_over: HandOverForm,
         move: MoveForm, escalate: EscalateForm) -> HttpResponse | None:
    """Run the action; a redirect when done, None to show the page again with the errors."""
    version_no = _version_no(request)
    form: Form | None = {"hand_over": hand_over, "move": move, "escalate": escalate}.get(action)
    if form is not None and not form.is_valid():
        return None
    try:
        message = _run(actor, task, action, form, version_no)
    except ValidationError as error:
        _show(error, form, request)
        return None
    messages.success(request, message)
    if action in ("move", "hand_over", "release"):
        return redirect("administration:tasks")
    return redirect("administration:task", pk=task.pk)


def _run(actor: Any, task: Task, action: str, form: Form | None, version_no: int | None) -> str:
    if action == "take":
        services.take(actor, task, version_no=version_no)
        return _("You took the task.")
    if action == "release":
        services.release(actor, task, version_no=version_no)
        return _("The task is back in the queue.")
    assert form is not None
    data = form.cleaned_data
    if action == "hand_over":
        to = next(m for m in queries.colleagues_for(task, actor) if m.pk == data["to"])
        services.hand_over(actor, task, to, data["comment"], version_no=version_no)
        return _("The task is handed over.")
    if action == "move":
        services.move(actor, task, data["exit"], comment=data["comment"], version_no=version_no)
        return _("The case moved on.")
    services.escalate(actor, task, data["comment"], version_no=version_no)
    return _("The task is escalated to the team's leads.")


def _version_no(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version_no", ""))
    except ValueError:
        return None


def _show(error: ValidationError, form: Form | None, request: HttpRequest) -> None:
    """Put a service's refusal where the person sees it: on the form's field, or as a message
    (a task changed meanwhile, a status the register refuses)."""
    if form is not None and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    messages.error(request, " ".join(str(m) for m in error.messages))
