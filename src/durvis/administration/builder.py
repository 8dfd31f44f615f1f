"""The form builder (A10, A5): a form builder of the holder institution lists its services'
e-forms, makes a draft, adds, changes, reorders and removes pages and questions (type, options,
limits, help and error texts in Latvian and English, a condition), sets routes (skip to a later
page, or end the form with a reason), previews the draft as the citizen will see it, publishes
it after reading what changes against the live version, and retires it. Server-rendered, in the
GOV.UK pattern of GOV.UK Forms. The access policy decides (`FormAction.BUILD`: another
institution's service is a 404 here); the e-forms services check, save and audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.administration.builder_forms import (
    PageForm,
    QuestionForm,
    RouteForm,
    TypeForm,
    route_label,
    show_problems,
)
from durvis.administration.confirm import ask, confirmed
from durvis.audit.services import events_for
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.eforms import queries as eforms
from durvis.eforms import services as builder
from durvis.eforms.models import FormVersion
from durvis.eforms.rules import FormAction
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


def _builder(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, FormAction.BUILD):
        raise PermissionDenied
    return actor


def _service(request: HttpRequest, code: int) -> tuple[Actor, Service]:
    actor = _builder(request)
    service = eforms.buildable_services(actor).filter(code=code).first()
    if service is None:
        raise Http404  # another institution's service does not exist for this builder
    return actor, service


def _draft(request: HttpRequest, code: int) -> tuple[Actor, Service, FormVersion]:
    actor, service = _service(request, code)
    draft = eforms.draft_of(service)
    if draft is None:
        messages.info(request, _("Make a draft first: the form is changed in a draft."))
        raise _Redirect(reverse("administration:form", args=[code]))
    return actor, service, draft


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _view(view: Any) -> Any:
    """`staff_required`, and a `_Redirect` raised inside becomes the redirect."""
    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _Redirect as found:
            return redirect(found.url)
        except LookupError:
            raise Http404 from None
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _detail(code: int) -> HttpResponse:
    return redirect("administration:form", code=code)


def _invalid(response_form: Any, error: ValidationError, **place: str) -> None:
    found = getattr(error, "problems", None)
    if found is not None:
        show_problems(response_form, found, **place)
    else:
        for message in error.messages:
            response_form.add_error(None, message)


@_view
def form_list(request: HttpRequest) -> HttpResponse:
    """The services of the builder's institution with their forms' state."""
    actor = _builder(request)
    assert actor.staff is not None
    return render(request, "administration/eforms/list.html", {
        "rows": eforms.form_rows(actor), "institution": actor.staff.institution})


@_view
def form_detail(request: HttpRequest, code: int) -> HttpResponse:
    """One service's form: the draft's outline (or the live version's), versions, history."""
    _actor, service = _service(request, code)
    draft = eforms.draft_of(service)
    live = eforms.live_version(service)
    shown = draft or live
    compiled = eforms.compiled(shown) if shown else None
    pages = []
    if compiled is not None:
        for page in compiled.pages:
            pages.append({"page": page, "routes": [route_label(r, compiled) for r in
                                                   page.definition.get("routing", [])]})
    versions = eforms.versions_of(service)
    events = [e for v in versions for e in events_for(v)[:20]]
    events.sort(key=lambda e: e.occurred_at, reverse=True)
    return render(request, "administration/eforms/detail.html", {
        "service": service, "draft": draft, "live": live, "shown": shown, "pages": pages,
        "versions": versions, "events": events[:30], "types": dict(eforms.TYPE_LABELS)})


@_view
@require_POST
def draft_create(request: HttpRequest, code: int) -> HttpResponse:
    actor, service = _service(request, code)
    draft = builder.create_draft(actor, service)
    messages.success(request, _("Draft version %(number)s is ready to change.")
                     % {"number": draft.number})
    return _detail(code)


@_view
@require_POST
def draft_discard(request: HttpRequest, code: int) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    if not confirmed(request):
        return ask(request, title=_("Discard draft version %(number)s?") % {"number": draft.number},
                   warning=_("Its changes are lost. The live version stays as it is."),
                   action=_("Yes, discard it"), cancel_url=reverse("administration:form", args=[code]))
    builder.discard_draft(actor, draft)
    messages.success(request, _("The draft was discarded."))
    return _detail(code)


@_view
def page_create(request: HttpRequest, code: int) -> HttpResponse:
    actor, service, draft = _draft(request, code)
    form = PageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            builder.add_page(actor, draft, key=form.cleaned_data["key"], title=form.title())
        except ValidationError as error:
            _invalid(form, error, page=form.cleaned_data["key"])
        else:
            messages.success(request, _("Page added."))
            return _detail(code)
    return _page_response(request, service, form, None, draft)


def _page_response(request: HttpRequest, service: Service, form: PageForm, page: str | None,
                   draft: FormVersion, route_form: RouteForm | None = None) -> HttpResponse:
    compiled = eforms.compiled(draft)
    context: dict[str, Any] = {"service": service, "form": form, "page_key": page}
    if page is not None:
        compiled_page = compiled.page(page)
        context.update(page=compiled_page, routes=[
            route_label(r, compiled) for r in compiled_page.definition.get("routing", [])],
            route_form=route_form or RouteForm(compiled=compiled, page=page))
    status = 422 if form.errors or (route_form is not None and route_form.errors) else 200
    return render(request, "administration/eforms/page.html", context, status=status)


@_view
def page_edit(request: HttpRequest, code: int, page: str) -> HttpResponse:
    actor, service, draft = _draft(request, code)
    compiled = eforms.compiled(draft)
    current = compiled.page(page)
    form = PageForm(request.POST or None, initial=PageForm.initial_from(current.definition))
    if request.method == "POST" and form.is_valid():
        try:
            builder.update_page(actor, draft, page, key=form.cleaned_data["key"], title=form.title())
        except ValidationError as error:
            _invalid(form, error, page=page)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("administration:form-page", code=code, page=form.cleaned_data["key"])
    return _page_response(request, service, form, page, draft)


@_view
@require_POST
def route_create(request: HttpRequest, code: int, page: str) -> HttpResponse:
    actor, service, draft = _draft(request, code)
    compiled = eforms.compiled(draft)
    page_form = PageForm(initial=PageForm.initial_from(compiled.page(page).definition))
    form = RouteForm(request.POST, compiled=compiled, page=page)
    if form.is_valid():
        target = compiled.questions.get(form.cleaned_data["when_question"])
        try:
            builder.add_route(actor, draft, page, form.route(target.type if target else None))
        except ValidationError as error:
            found = getattr(error, "problems", None)
            for problem in found or []:
                form.add_error(problem.field if problem.field in form.fields else None,
                               problem.message)
            if found is None:
                form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Route added."))
            return redirect("administration:form-page", code=code, page=page)
    return _page_response(request, service, page_form, page, draft, route_form=form)


@_view
@require_POST
def route_remove(request: HttpRequest, code: int, page: str, index: int) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    builder.remove_route(actor, draft, page, index)
    messages.success(request, _("Route removed."))
    return redirect("administration:form-page", code=code, page=page)


@_view
@require_POST
def page_move(request: HttpRequest, code: int, page: str) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    try:
        builder.move_page(actor, draft, page, -1 if request.POST.get("step") == "up" else 1)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _detail(code)


@_view
@require_POST
def page_remove(request: HttpRequest, code: int, page: str) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    title = eforms.compiled(draft).page(page).title
    if not confirmed(request):
        return ask(request, title=_("Remove the page “%(title)s”?") % {"title": title},
                   warning=_("Its questions are removed with it."), action=_("Yes, remove it"),
                   cancel_url=reverse("administration:form", args=[code]))
    try:
        builder.remove_page(actor, draft, page)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Page removed."))
    return _detail(code)


def _target_kind(compiled: eforms.CompiledForm, form: QuestionForm) -> str | None:
    key = form.cleaned_data.get("condition_question")
    target = compiled.questions.get(key) if key else None
    return target.type if target else None


@_view
def question_create(request: HttpRequest, code: int, page: str) -> HttpResponse:
    """Add a question: first its type, then its texts and validation (GOV.UK Forms' order)."""
    actor, service, draft = _draft(request, code)
    group = request.GET.get("group") or request.POST.get("group") or None
    compiled = eforms.compiled(draft)
    compiled.page(page)
    if group is not None and group not in compiled.questions:
        raise Http404
    kind = request.GET.get("type") or request.POST.get("type") or ""
    type_form = TypeForm({"type": kind} if kind else None, in_group=bool(group))
    if not kind or not type_form.is_valid():
        return render(request, "administration/eforms/type.html", {
            "service": service, "page_key": page, "group": group, "form": type_form},
            status=422 if kind else 200)
    form = QuestionForm(request.POST if request.method == "POST" else None, kind=kind,
                        compiled=compiled, page=page, in_group=bool(group))
    if request.method == "POST" and form.is_valid():
        question = form.question(_target_kind(compiled, form))
        try:
            builder.put_question(actor, draft, page=page, question=question, group=group)
        except ValidationError as error:
            _invalid(form, error, question=f"{group}.{question['key']}" if group else question["key"])
        else:
            messages.success(request, _("Question added."))
            return _detail(code)
    return _question_response(request, service, form, page, kind, group, None)


def _question_response(request: HttpRequest, service: Service, form: QuestionForm, page: str,
                       kind: str, group: str | None, key: str | None,
                       question: dict[str, Any] | None = None) -> HttpResponse:
    return render(request, "administration/eforms/question.html", {
        "service": service, "form": form, "page_key": page, "kind": kind, "group": group,
        "key": key, "question": question, "type_label": eforms.TYPE_LABELS[eforms.QuestionType(kind)],
        "children": [(c["key"], eforms.text(c["label"])) for c in (question or {}).get("questions", [])],
    }, status=422 if form.errors else 200)


@_view
def question_edit(request: HttpRequest, code: int, key: str) -> HttpResponse:
    actor, service, draft = _draft(request, code)
    compiled = eforms.compiled(draft)
    current = eforms.find_question(draft.definition, key)
    page = eforms.page_of(draft.definition, key)
    group = key.partition(".")[0] if "." in key else None
    form = QuestionForm(request.POST if request.method == "POST" else None,
                        initial=QuestionForm.initial_from(current), kind=current["type"],
                        compiled=compiled, page=page, editing=key, in_group=bool(group))
    if request.method == "POST" and form.is_valid():
        question = form.question(_target_kind(compiled, form), current.get("questions"))
        new_key = f"{group}.{question['key']}" if group else question["key"]
        try:
            builder.put_question(actor, draft, page=page, question=question, replacing=key)
        except ValidationError as error:
            _invalid(form, error, question=new_key)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("administration:form-question", code=code, key=new_key)
    return _question_response(request, service, form, page, current["type"], group, key, current)


@_view
@require_POST
def question_move(request: HttpRequest, code: int, key: str) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    try:
        builder.move_question(actor, draft, key, -1 if request.POST.get("step") == "up" else 1)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _detail(code)


@_view
@require_POST
def question_remove(request: HttpRequest, code: int, key: str) -> HttpResponse:
    actor, _service, draft = _draft(request, code)
    label = eforms.text(eforms.find_question(draft.definition, key)["label"])
    if not confirmed(request):
        return ask(request, title=_("Remove the question “%(label)s”?") % {"label": label},
                   warning=_("The question is removed from the draft."), action=_("Yes, remove it"),
                   cancel_url=reverse("administration:form", args=[code]))
    try:
        builder.remove_question(actor, draft, key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Question removed."))
    return _detail(code)


@_view
def publish(request: HttpRequest, code: int) -> HttpResponse:
    """What publishing changes against the live version, then the confirmation."""
    actor, service, draft = _draft(request, code)
    live = eforms.live_version(service)
    problems = eforms.publish_problems(draft.definition)
    if request.method == "POST" and not problems:
        version = builder.publish_draft(actor, service)
        messages.success(request, _("Version %(number)s is published: new applications use it.")
                         % {"number": version.number})
        return _detail(code)
    return render(request, "administration/eforms/publish.html", {
        "service": service, "draft": draft, "live": live, "problems": problems,
        "changes": eforms.diff(live.definition if live else None, draft.definition)})


@_view
@require_POST
def retire(request: HttpRequest, code: int) -> HttpResponse:
    actor, service = _service(request, code)
    if not confirmed(request):
        return ask(request, title=_("Retire the form of %(service)s?") % {"service": service.name},
                   warning=_("Nobody can start a new application with it. Applications already "
                             "started keep their version."),
                   action=_("Yes, retire it"), cancel_url=reverse("administration:form", args=[code]))
    try:
        builder.retire_form(actor, service)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The form is retired."))
    return _detail(code)
