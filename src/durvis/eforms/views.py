"""The citizen's application journey (A10, A3, A2): from the service page's "Apply" to the case.

One page of the form per screen (GOV.UK "one thing per page"), every answer checked on the server
(`eforms.services.answer_page`), "Check your answers" with a change link per answer, the result
channel and the declaration, submitting (the case, the PDF copy), the confirmation; the
e-account's "Applications in progress". Every page acts for the current role
(`request.client_role`): another client's application is "not found", a form opened in another
role is refused by `client_required` (`opened_as`). The templates extend `eforms/base.html`,
whose parent is `eforms_base` (default `base.html`), so the pages can be framed in another
portal with a lighter shell; no view builds an absolute address.

Embedded in a portal (`web.embedding`; the entry is `/embed/services/<code>/apply/`): while the
service is marked embedded in the session (or the address carries `?embed=1`) and the browser
does not load the page as a whole tab, every page of the journey extends the frame's minimal
shell (`web/embed_base.html`), may be framed by the web sites the holder registered (and no
others: `framed_by`), and its links out of the journey (the e-account, the documents, the
catalogue, the institution's site) open the whole window (`target="_top"`, template variable
`embedded`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from durvis.access.policy import decide, explanation_of
from durvis.addresses import queries as address_queries
from durvis.catalog import queries as catalog_queries
from durvis.catalog.models import Channel
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.documents import queries as document_queries
from durvis.eforms import queries as eforms
from durvis.eforms import services
from durvis.eforms.models import Application, ApplicationStatus
from durvis.eforms.rules import ApplicationAction
from durvis.identity.sessions import actor_from_request
from durvis.payments import queries as payment_queries
from durvis.payments.models import InvoiceKind
from durvis.web.embedding import PAGE_TEMPLATE, base_template, framed_by, is_embedded
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

FILE = eforms.QuestionType.FILE
ADDRESS = eforms.QuestionType.ADDRESS
REPEATING_GROUP = eforms.QuestionType.REPEATING_GROUP


def _service_code(kwargs: dict[str, Any]) -> int | None:
    """The service code of a journey page's address: its `code`, or its application's."""
    if "code" in kwargs:
        return int(kwargs["code"])
    if "reference" in kwargs:
        return (Application.objects.filter(reference=kwargs["reference"])
                .values_list("service__code", flat=True).first())
    return None


def _frame_origins(request: HttpRequest, **kwargs: Any) -> list[str]:
    """Who may frame this page: the service holder's registered web sites while the person
    applies from a frame (`web.embedding.is_embedded`); nobody otherwise."""
    if not is_embedded(request):
        return []
    code = _service_code(kwargs)
    service = catalog_queries.service_by_code(code) if code is not None else None
    if service is None or not is_embedded(request, code):
        return []
    return catalog_queries.frame_origins(service)


def _render(request: HttpRequest, template: str, context: dict[str, Any],
            status: int = 200) -> HttpResponse:
    """Render a journey page in the shell it is seen in: the site's, or the frame's when the
    person applies from a portal (`eforms_base`, `embedded`)."""
    service = context.get("service") or getattr(context.get("application"), "service", None)
    code = service.code if service is not None else None
    embedded = code is not None and is_embedded(request, code)
    return render(request, template, {
        **context, "embedded": embedded,
        "eforms_base": base_template(request, code) if embedded else PAGE_TEMPLATE,
    }, status=status)


def _role(request: HttpRequest) -> ClientRole:
    return request.client_role  # type: ignore[attr-defined,no-any-return]


def _application(request: HttpRequest, reference: Any) -> Application:
    """The current role's application, or 404 (another client's is not revealed)."""
    try:
        return eforms.application_of(actor_from_request(request), _role(request).client,
                                     reference)
    except LookupError:
        raise Http404 from None


def _closed(request: HttpRequest, application: Application) -> HttpResponse:
    """A submitted application goes to its confirmation; an expired or discarded one (or a
    draft whose time ran out) is said plainly."""
    if application.status == ApplicationStatus.SUBMITTED:
        return redirect("eforms:done", reference=application.reference)
    return _render(request, "eforms/closed.html", {"application": application}, status=410)


def _is_open(application: Application) -> bool:
    from django.utils import timezone
    return (application.status == ApplicationStatus.DRAFT
            and application.expires_at > timezone.now())


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, code: int) -> HttpResponse:
    """The start page of a service's application: what it is, the drafts in progress to
    resume, "Start now" (a POST: the draft is made then, in the role of the page). A person
    with a draft of their own for this client and service is offered to continue it or to
    discard it and start again: a start resumes it (`services.start_application`)."""
    role = _role(request)
    actor = actor_from_request(request)
    service = catalog_queries.service_by_code(code)
    if service is None or eforms.live_version(service) is None:
        raise Http404
    decision = decide(actor, ApplicationAction.APPLY, service, role.client)
    drafts = [a for a in eforms.applications_in_progress(actor, role.client)
              if a.service_id == service.pk]
    if request.method == "POST" and decision:
        application = services.start_application(actor, role, service)
        return redirect("eforms:page", reference=application.reference,
                        page=application.current_page)
    person_id = actor.person.pk if actor.person is not None else None
    return _render(request, "eforms/start.html", {
        "service": service, "decision": decision, "drafts": drafts,
        "own_draft": next((d for d in drafts if d.started_by_id == person_id), None),
        "refusal": decision.explanation or _(
            "You cannot apply for this service in the role you act in now."),
    }, status=200 if decision or request.method != "POST" else 403)


def _render_page(request: HttpRequest, application: Application, form: eforms.CompiledForm,
                 page: str, answers: dict[str, Any], errors: dict[str, eforms.AnswerError],
                 extra: dict[str, int] | None = None, status: int = 200,
                 matches: dict[str, list[Any]] | None = None, **more: Any) -> HttpResponse:
    questions = eforms.visible_questions(form, answers, page)
    fields = eforms.fields(form, questions, answers, errors, extra)
    for entry in fields:
        for field in [entry, *(child for item in entry.get("items", []) for child in item)]:
            if matches and field["name"] in matches:
                field["matches"] = matches[field["name"]]
    path = eforms.walk(form, answers).pages
    previous = path[path.index(page) - 1] if page in path and path.index(page) > 0 else None
    back = (reverse("eforms:page", kwargs={"reference": application.reference, "page": previous})
            if previous else reverse("eforms:start", kwargs={"code": application.service.code}))
    return _render(request, "eforms/page.html", {
        "application": application, "service": application.service, "page": form.page(page),
        "fields": fields, "errors": errors,
        "error_links": [("f-" + key.replace(".", "-"), error.message)
                        for key, error in errors.items()],
        "position": path.index(page) + 1 if page in path else 1, "total": len(path),
        "back": back, "checking": request.GET.get("check") == "1" or request.POST.get("check") == "1",
        "shown": ",".join(q.key for q in questions),
        **more,
    }, status=status)


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, reference: Any, page: str) -> HttpResponse:
    """One page of the form: GET shows it with the saved answers; POST checks and saves it and
    goes on (the next page, "Check your answers", or the "not eligible" end). Buttons without
    script: add or remove a group's item, remove an uploaded file (the page is shown again,
    nothing saved)."""
    role = _role(request)
    actor = actor_from_request(request)
    application = _application(request, reference)
    if not _is_open(application):
        return _closed(request, application)
    form = eforms.compiled(application.form_version)
    try:
        services.check_page(form, application, page)
    except PageNotReachable as refused:
        messages.warning(request, _("That page cannot be opened yet: answer the questions "
                                    "before it first. You can go on from here."))
        return redirect("eforms:page", reference=application.reference, page=refused.resume)
    if request.method != "POST":
        return _render_page(request, application, form, page, application.answers, {})
    on_page = {q.key for q in form.page(page).questions}
    data = request.POST.copy()
    removing = data.get("remove_file", "")
    if removing in on_page:
        data.pop(removing, None)
    dropping = data.get("remove_item", "")
    group, _sep, index = dropping.rpartition("-")
    if group in on_page and index.isdigit():
        data = _without_item(form, group, int(index), data)
    addresses = address_fields(form, page, data)
    for key in addresses:  # an address chosen from the register's answers (no script): its code
        picked = data.get(f"{key}-pick")
        if isinstance(picked, str) and picked:
            data[key], data[f"{key}-code"] = "", picked
    merged = {k: v for k, v in application.answers.items() if k not in on_page}
    merged.update(eforms.parse_page(form, page, data))
    adding = data.get("add_item", "")
    finding = data.get("find_address", "")
    if finding in addresses:
        return _render_page(request, application, form, page, merged, {},
                            matches={finding: address_queries.search(str(data.get(finding, "")))})
    if adding in on_page or removing in on_page or group in on_page:
        return _render_page(request, application, form, page, merged, {},
                            extra={adding: 1} if adding in on_page else None)
    files, upload_errors = posted_files(request, actor, role.client, application, form, page,
                                        merged)
    if upload_errors:
        return _render_page(request, application, form, page, {**merged, **files},
                            upload_errors, status=422)
    try:
        version = int(data.get("version", ""))
    except ValueError:
        version = -1
    try:
        outcome = services.answer_page(actor, role.client, application, page, data,
                                       version=version, files=files)
    except StaleVersion:
        application.refresh_from_db()
        return _render_page(request, application, form, page, application.answers, {},
                            status=409, stale=True)
    except services.ApplicationClosed as closed:
        return _closed(request, closed.application)
    except PermissionDenied as refused:
        return _render(request, "eforms/refused.html", {
            "application": application, "reason": explanation_of(refused, _(
                "You cannot fill in this application in the role you act in now."))},
            status=403)
    if outcome.errors:
        errors, appeared = _without_unseen(form, page, {**merged, **files}, data, outcome.errors)
        if appeared:
            messages.info(request, _("More questions appeared on this page because of your "
                                     "answers: answer them and continue."))
        return _render_page(request, application, form, page, {**merged, **files}, errors,
                            status=422 if errors else 200)
    step = outcome.next
    assert step is not None
    if step.ineligible:
        return redirect("eforms:ended", reference=application.reference)
    if data.get("check") == "1" and _all_done(form, outcome.application):
        return redirect("eforms:check", reference=application.reference)
    if step.done:
        return redirect("eforms:check", reference=application.reference)
    return redirect("eforms:page", reference=application.reference, page=step.page)


PageNotReachable = services.PageNotReachable


def address_fields(form: eforms.CompiledForm, page: str, data: Any) -> set[str]:
    """The names of the page's address fields in `data` (A9): each address question's key,
    and `<group>-<i>-<key>` for an address question inside a repeating group, for each of the
    group's posted items (`<group>-count`, at most 200 as the engine reads it) — the fields
    whose no-script "Find the address" and register choice (`<name>-pick`) the page serves."""
    names: set[str] = set()
    for question in form.page(page).questions:
        if question.type == ADDRESS:
            names.add(question.key)
        elif question.type == REPEATING_GROUP:
            try:
                count = min(int(data.get(f"{question.key}-count") or 0), 200)
            except ValueError:
                count = 0
            names.update(f"{question.key}-{index}-{child.key}" for index in range(count)
                         for child in question.children if child.type == ADDRESS)
    return names


def posted_files(request: HttpRequest, actor: Actor, client: Any, application: Application,
                 form: eforms.CompiledForm, page: str, answers: dict[str, Any]
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, eforms.AnswerError]]:
    """The files posted to the page's visible file questions (given `answers`), each stored by
    `services.upload_file` (kind, size, content and malware checked; the client's own page and
    the assistant's alike): the answers by question key, and each refusal as the question's
    error."""
    files: dict[str, dict[str, Any]] = {}
    errors: dict[str, eforms.AnswerError] = {}
    for question in eforms.visible_questions(form, answers, page):
        upload = request.FILES.get(question.key) if question.type == FILE else None
        if upload is None:
            continue
        try:
            files[question.key] = services.upload_file(
                actor, client, application, question.key, name=upload.name or "",
                content=upload.read(), content_type=upload.content_type or "")
        except ValidationError as error:
            errors[question.key] = eforms.AnswerError(question.key, "document",
                                                      " ".join(error.messages))
    return files, errors


def _without_unseen(form: eforms.CompiledForm, page: str, answers: dict[str, Any], data: Any,
                    errors: dict[str, eforms.AnswerError]
                    ) -> tuple[dict[str, eforms.AnswerError], bool]:
    """The page's errors without "required" for questions the person could not see (shown
    by an answer given on this very page; without script they appear only after the page is
    sent): those are asked, not held against them. Also says whether any appeared. The
    page's `shown` field lists the questions it showed (absent: every error stands)."""
    if "shown" not in data:
        return errors, False
    shown = set(str(data.get("shown", "")).split(","))
    unseen = {q.key for q in eforms.visible_questions(form, answers, page)} - shown
    kept = {key: error for key, error in errors.items()
            if not (key.split(".")[0] in unseen and error.code in ("required", "min_items"))}
    return kept, bool(unseen)


def _without_item(form: eforms.CompiledForm, group: str, index: int, data: Any) -> Any:
    """The posted fields without one item of a group (the items after it move up)."""
    question = form.questions[group]
    try:
        count = int(data.get(f"{group}-count", "0"))
    except ValueError:
        return data
    result = data.copy()
    for i in range(index, count):
        for child in question.children:
            name = f"{group}-{i}-{child.key}"
            following = f"{group}-{i + 1}-{child.key}"
            if following in data:
                result.setlist(name, data.getlist(following))
            else:
                result.pop(name, None)
    result[f"{group}-count"] = str(max(count - 1, 0))
    return result


def _all_done(form: eforms.CompiledForm, application: Application) -> bool:
    path = eforms.walk(form, application.answers)
    return path.ending is None and all(p in application.pages_done for p in path.pages)


def _check_context(application: Application, form: eforms.CompiledForm) -> dict[str, Any]:
    return {
        "application": application, "service": application.service,
        "pages": eforms.summary(form, application.answers),
        "channels": [(c, Channel(c).label) for c in services.result_channels(application.service)],
        "service_points": services.collection_points(application.service,
                                                     (get_language() or "lv")[:2]),
    }


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest, reference: Any) -> HttpResponse:
    """"Check your answers": every answer by page with a "Change" link, the result channel and
    place, the declaration, "Submit". Submitting twice (two tabs, a retry) shows the same case."""
    role = _role(request)
    actor = actor_from_request(request)
    application = _application(request, reference)
    if not _is_open(application):
        return _closed(request, application)
    form = eforms.compiled(application.form_version)
    if not _all_done(form, application):
        reachable = services.reachable_pages(form, application)
        path = eforms.walk(form, application.answers)
        if path.ending is not None:
            return redirect("eforms:ended", reference=application.reference)
        return redirect("eforms:page", reference=application.reference, page=reachable[-1])
    context = _check_context(application, form)
    if request.method != "POST":
        return _render(request, "eforms/check.html", context)
    channel = request.POST.get("result_channel", "")
    point = request.POST.get("service_point", "")
    try:
        submitted = services.submit_application(
            actor, role.client, application, result_channel=channel, service_point=point,
            declared=request.POST.get("declaration") == "yes")
    except services.ApplicationClosed as closed:
        return _closed(request, closed.application)
    except PermissionDenied as refused:
        return _render(request, "eforms/refused.html", {
            "application": application, "reason": explanation_of(refused, _(
                "You cannot submit this application in the role you act in now."))},
            status=403)
    except ValidationError as error:
        errors = error.message_dict
        links = []
        for key, texts in errors.items():
            anchor = {"result_channel": "f-result_channel", "service_point": "f-service_point",
                      "declaration": "f-declaration"}.get(key)
            if anchor is None:
                question = form.questions.get(key.split(".")[0])
                target = reverse("eforms:page", kwargs={
                    "reference": application.reference,
                    "page": question.page if question else form.pages[0].key})
                links.append((f"{target}?check=1", texts[0]))
            else:
                links.append((f"#{anchor}", texts[0]))
        return _render(request, "eforms/check.html", {
            **context, "errors": errors, "error_links": links, "chosen_channel": channel,
            "chosen_point": point}, status=422)
    return redirect("eforms:done", reference=submitted.reference)


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD"])
def ended(request: HttpRequest, reference: Any) -> HttpResponse:
    """The "not eligible" end: why, and how to change the answer that led here."""
    application = _application(request, reference)
    if not _is_open(application):
        return _closed(request, application)
    form = eforms.compiled(application.form_version)
    path = eforms.walk(form, application.answers)
    if path.ending is None:
        return redirect("eforms:check", reference=application.reference)
    return _render(request, "eforms/ended.html", {
        "application": application, "service": application.service,
        "reason": eforms.text(path.ending), "page": path.ended_on})


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD"])
def done(request: HttpRequest, reference: Any) -> HttpResponse:
    """The confirmation: the case number, the case in the e-account, the PDF copy."""
    application = _application(request, reference)
    if application.status != ApplicationStatus.SUBMITTED or application.case is None:
        return _closed(request, application) if not _is_open(application) else redirect(
            "eforms:check", reference=application.reference)
    copies = [d for d in document_queries.documents_of_case(
        actor_from_request(request), application.case, _role(request).client)
        if d.file_name.startswith("application-")]
    invoice = next((i for i in payment_queries.case_invoices(application.case)
                    if i.kind == InvoiceKind.PREPAYMENT), None)
    return _render(request, "eforms/done.html", {
        "application": application, "service": application.service,
        "case": application.case, "copy": copies[0] if copies else None,
        "invoice": invoice, "pay_key": uuid.uuid4().hex,
        "can_pay_online": invoice is not None and payment_queries.can_pay_online(invoice)})


@framed_by(_frame_origins)
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def discard(request: HttpRequest, reference: Any) -> HttpResponse:
    """Discard a draft, after a confirmation."""
    application = _application(request, reference)
    if not _is_open(application):
        return _closed(request, application)
    if request.method != "POST":
        return _render(request, "eforms/discard.html", {
            "application": application, "service": application.service,
            "eaccount_section": "applications"})
    try:
        services.discard_application(actor_from_request(request), _role(request).client,
                                     application)
    except PermissionDenied as refused:
        return _render(request, "eforms/refused.html", {
            "application": application, "reason": explanation_of(refused, _(
                "You cannot discard this application in the role you act in now."))},
            status=403)
    except services.ApplicationClosed as closed:
        return _closed(request, closed.application)
    messages.success(request, _("The application was discarded."))
    return redirect("eforms:applications")


@client_required
@require_http_methods(["GET", "HEAD"])
def applications(request: HttpRequest) -> HttpResponse:
    """"Applications in progress" of the current role: service, last saved, expires on,
    resume, discard."""
    listed = eforms.applications_in_progress(actor_from_request(request), _role(request).client)
    return _render(request, "eforms/applications.html", {
        "eaccount_section": "applications", "applications": list(listed[:100])})
