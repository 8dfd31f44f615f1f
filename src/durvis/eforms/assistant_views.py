"""The e-service assistant's pages for client-service agents (A3), under `/staff/assistant/`.

The journey: the services the agent's institution may serve with the assistant; a service's
start (the client identified: personal code, the identity document checked, the centre; for a
company its registration number, the person present its representative); one page of the
service's e-form per screen, checked by the same engine as the client's own pages
(`services.answer_page`, the same question template, file questions uploaded as there); "Check
the answers" with the basis the submission will rest on, the summary to print for the client's
signature, the upload of the signed scan, and the confirmation, refused without the scan unless
a mandate of the client to the agent's institution is the basis; the confirmation page with
the case. Besides: the monthly list of signed originals per holder, with its CSV. Every
decision is the policy's (`AssistantAction`, the application rules); another institution's
application is "not found".
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from durvis.access.policy import decide, explanation_of
from durvis.catalog import queries as catalog_queries
from durvis.core.concurrency import StaleVersion
from durvis.eforms import assistant, services
from durvis.eforms import queries as eforms
from durvis.eforms.models import ApplicationStatus, AssistedApplication, IdentityDocument
from durvis.eforms.rules import AssistantAction
from durvis.eforms.views import _without_item, _without_unseen, posted_files
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


def _refused(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(request, "assistant/refused.html", {"reason": reason}, status=status)


def _assisted(request: HttpRequest, reference: Any) -> AssistedApplication:
    try:
        return assistant.assisted_application(actor_from_request(request), reference)
    except LookupError:
        raise Http404 from None


@staff_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """The services the agent may serve with the assistant, and the link to the originals."""
    actor = actor_from_request(request)
    decision = decide(actor, AssistantAction.ASSIST)
    if not decision:
        return _refused(request, decision.explanation or _("You cannot use the assistant."))
    return render(request, "assistant/home.html", {
        "services": list(assistant.assisted_services(actor))})


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, code: int) -> HttpResponse:
    """Identify the client for one service and start their application (A3). A service the
    holder did not mark, or that the agent's institution neither holds nor provides, is refused
    with the policy's explanation (403)."""
    actor = actor_from_request(request)
    service = catalog_queries.service_by_code(code)
    if service is None or eforms.live_version(service) is None:
        raise Http404
    decision = decide(actor, AssistantAction.ASSIST, service)
    if not decision:
        return _refused(request, decision.explanation or _("You cannot use the assistant for "
                                                           "this service."))
    context: dict[str, Any] = {
        "service": service, "document_kinds": IdentityDocument.choices,
        "service_points": assistant.centre_choices((get_language() or "lv")[:2]),
        "data": request.POST if request.method == "POST" else {
            "service_point": actor.staff.service_point if actor.staff is not None else ""}}
    if request.method != "POST":
        return render(request, "assistant/start.html", context)
    try:
        assisted = assistant.identify_client(
            actor, service, personal_code=request.POST.get("personal_code", ""),
            document_kind=request.POST.get("document_kind", ""),
            document_number=request.POST.get("document_number", ""),
            service_point=request.POST.get("service_point", ""),
            registration_number=request.POST.get("registration_number", ""))
    except PermissionDenied as refused:
        return _refused(request, explanation_of(refused, _(
            "You cannot use the assistant for this client and service.")))
    except ValidationError as error:
        errors = error.message_dict
        return render(request, "assistant/start.html", {
            **context, "errors": errors,
            "error_links": [(f"#f-{key}" if key != "__all__" else "#", texts[0])
                            for key, texts in errors.items()]}, status=422)
    application = assisted.application
    return redirect("assistant:page", reference=application.reference,
                    page=application.current_page)


def _uploads(request: HttpRequest, assisted: AssistedApplication, form: eforms.CompiledForm,
             page: str, answers: dict[str, Any]
             ) -> tuple[dict[str, dict[str, Any]], dict[str, eforms.AnswerError]]:
    """The files posted to the page's visible file questions, stored as the client's
    documents received by the agent's institution (`services.upload_file`: the same checks
    of kind, size and malware as the client's own page); each refusal as the question's
    error."""
    return posted_files(request, actor_from_request(request), assistant.client_of(assisted),
                        assisted.application, form, page, answers)


def _render_page(request: HttpRequest, assisted: AssistedApplication,
                 form: eforms.CompiledForm, page: str, answers: dict[str, Any],
                 errors: dict[str, eforms.AnswerError], extra: dict[str, int] | None = None,
                 status: int = 200, **more: Any) -> HttpResponse:
    application = assisted.application
    questions = eforms.visible_questions(form, answers, page)
    path = eforms.walk(form, answers).pages
    previous = path[path.index(page) - 1] if page in path and path.index(page) > 0 else None
    back = (reverse("assistant:page", kwargs={"reference": application.reference,
                                              "page": previous})
            if previous else reverse("assistant:home"))
    return render(request, "assistant/page.html", {
        "assisted": assisted, "application": application, "service": application.service,
        "client": assistant.client_of(assisted), "page": form.page(page),
        "fields": eforms.fields(form, questions, answers, errors, extra), "errors": errors,
        "error_links": [("f-" + key.replace(".", "-"), error.message)
                        for key, error in errors.items()],
        "position": path.index(page) + 1 if page in path else 1, "total": len(path),
        "back": back, "checking": request.GET.get("check") == "1" or request.POST.get("check") == "1",
        "shown": ",".join(q.key for q in questions), **more,
    }, status=status)


def _closed(request: HttpRequest, assisted: AssistedApplication) -> HttpResponse:
    if assisted.application.status == ApplicationStatus.SUBMITTED:
        return redirect("assistant:done", reference=assisted.application.reference)
    return _refused(request, _("This application is no longer in progress: it expired or was "
                               "discarded. Start again."), status=410)


def _is_open(assisted: AssistedApplication) -> bool:
    application = assisted.application
    return (application.status == ApplicationStatus.DRAFT
            and application.expires_at > timezone.now())


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, reference: Any, page: str) -> HttpResponse:
    """One page of the client's form, filled in by the agent: the same checks as the client's
    own page (`services.answer_page`), files too (`_uploads`); the same buttons without script
    (add or remove a group's item, remove an uploaded file: the page is shown again)."""
    actor = actor_from_request(request)
    assisted = _assisted(request, reference)
    if not _is_open(assisted):
        return _closed(request, assisted)
    application = assisted.application
    client = assistant.client_of(assisted)
    form = eforms.compiled(application.form_version)
    try:
        services.check_page(form, application, page)
    except services.PageNotReachable as refused:
        messages.warning(request, _("That page cannot be opened yet: answer the questions "
                                    "before it first. You can go on from here."))
        return redirect("assistant:page", reference=application.reference, page=refused.resume)
    if request.method != "POST":
        return _render_page(request, assisted, form, page, application.answers, {})
    on_page = {q.key for q in form.page(page).questions}
    data = request.POST.copy()
    removing = data.get("remove_file", "")
    if removing in on_page:
        data.pop(removing, None)
    dropping = data.get("remove_item", "")
    group, _sep, index = dropping.rpartition("-")
    if group in on_page and index.isdigit():
        data = _without_item(form, group, int(index), data)
    merged = {k: v for k, v in application.answers.items() if k not in on_page}
    merged.update(eforms.parse_page(form, page, data))
    adding = data.get("add_item", "")
    if adding in on_page or removing in on_page or group in on_page:
        return _render_page(request, assisted, form, page, merged, {},
                            extra={adding: 1} if adding in on_page else None)
    files, upload_errors = _uploads(request, assisted, form, page, merged)
    if upload_errors:
        return _render_page(request, assisted, form, page, {**merged, **files},
                            upload_errors, status=422)
    try:
        version = int(data.get("version", ""))
    except ValueError:
        version = -1
    try:
        outcome = services.answer_page(actor, client, application, page, data, version=version,
                                       files=files)
    except StaleVersion:
        application.refresh_from_db()
        return _render_page(request, assisted, form, page, application.answers, {},
                            status=409, stale=True)
    except services.ApplicationClosed:
        assisted.application.refresh_from_db()
        return _closed(request, assisted)
    except PermissionDenied as refused:
        return _refused(request, explanation_of(refused, _(
            "You cannot fill in this application for the client.")))
    if outcome.errors:
        errors, appeared = _without_unseen(form, page, {**merged, **files}, data,
                                           outcome.errors)
        if appeared:
            messages.info(request, _("More questions appeared on this page because of the "
                                     "answers: answer them and continue."))
        return _render_page(request, assisted, form, page, {**merged, **files}, errors,
                            status=422 if errors else 200)
    step = outcome.next
    assert step is not None
    if step.ineligible:
        return _refused(request, _("On these answers the client cannot receive this service: "
                                   "%(reason)s") % {"reason": eforms.text(
                                       eforms.walk(form, outcome.application.answers).ending)},
                        status=200)
    if step.done or (data.get("check") == "1"
                     and assistant.is_complete(form, outcome.application)):
        return redirect("assistant:check", reference=application.reference)
    return redirect("assistant:page", reference=application.reference, page=step.page)


def _check_context(request: HttpRequest, assisted: AssistedApplication) -> dict[str, Any]:
    application = assisted.application
    form = eforms.compiled(application.form_version)
    return {
        "assisted": assisted, "application": application, "service": application.service,
        "client": assistant.client_of(assisted), "pages": eforms.summary(form, application.answers),
        "channels": assistant.result_channels(application.service),
        "service_points": services.collection_points(application.service,
                                                     (get_language() or "lv")[:2]),
        "mandate": assistant.mandate_basis(actor_from_request(request), assisted),
    }


def _incomplete(request: HttpRequest, assisted: AssistedApplication) -> HttpResponse | None:
    application = assisted.application
    form = eforms.compiled(application.form_version)
    if assistant.is_complete(form, application):
        return None
    if eforms.walk(form, application.answers).ending is not None:
        return _refused(request, _("On these answers the client cannot receive this service."),
                        status=200)
    reachable = services.reachable_pages(form, application)
    return redirect("assistant:page", reference=application.reference, page=reachable[-1])


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest, reference: Any) -> HttpResponse:
    """"Check the answers" with the client; the basis the submission will rest on (a mandate
    the client granted to the agent's institution, else the signed summary); the summary to
    print; the signed scan; confirming (a POST), refused without the scan when no mandate is
    the basis (422, nothing submitted)."""
    actor = actor_from_request(request)
    assisted = _assisted(request, reference)
    if not _is_open(assisted):
        return _closed(request, assisted)
    unfinished = _incomplete(request, assisted)
    if unfinished is not None:
        return unfinished
    context = _check_context(request, assisted)
    if request.method != "POST":
        return render(request, "assistant/check.html", context)
    channel = request.POST.get("result_channel", "")
    point = request.POST.get("service_point", "")
    try:
        assistant.confirm(actor, assisted, result_channel=channel, service_point=point,
                          signed=request.POST.get("signed") == "yes")
    except services.ApplicationClosed:
        return redirect("assistant:done", reference=assisted.application.reference)
    except PermissionDenied as refused:
        return _refused(request, explanation_of(refused, _(
            "You cannot submit this application for the client.")))
    except ValidationError as error:
        errors = error.message_dict
        anchors = {"scan": "#f-scan", "result_channel": "#f-result_channel",
                   "service_point": "#f-service_point", "declaration": "#f-signed"}
        return render(request, "assistant/check.html", {
            **context, "errors": errors, "chosen_channel": channel, "chosen_point": point,
            "error_links": [(anchors.get(key, "#answers"), texts[0])
                            for key, texts in errors.items()]}, status=422)
    return redirect("assistant:done", reference=assisted.application.reference)


@staff_required
@require_http_methods(["GET", "HEAD"])
def summary_pdf(request: HttpRequest, reference: Any) -> HttpResponse:
    """The summary for the client to check and sign, as a PDF in the page's language."""
    actor = actor_from_request(request)
    assisted = _assisted(request, reference)
    if not _is_open(assisted):
        return _closed(request, assisted)
    unfinished = _incomplete(request, assisted)
    if unfinished is not None:
        return unfinished
    try:
        printed = assistant.print_summary(actor, assisted,
                                          language=(get_language() or "lv")[:2])
    except PermissionDenied as refused:
        return _refused(request, explanation_of(refused, _(
            "You cannot print this application's summary.")))
    response = HttpResponse(printed.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{printed.file_name}"'
    return response


@staff_required
@require_http_methods(["POST"])
def scan(request: HttpRequest, reference: Any) -> HttpResponse:
    """Attach the scan of the signed summary (PDF, JPEG or PNG): back to "Check the answers"
    with the scan named, or with the refusal at the field (422)."""
    actor = actor_from_request(request)
    assisted = _assisted(request, reference)
    if not _is_open(assisted):
        return _closed(request, assisted)
    unfinished = _incomplete(request, assisted)
    if unfinished is not None:
        return unfinished
    upload = request.FILES.get("scan")
    try:
        assistant.attach_scan(
            actor, assisted, name=upload.name or "" if upload else "",
            content=upload.read() if upload else b"",
            content_type=upload.content_type or "" if upload else "")
    except PermissionDenied as refused:
        return _refused(request, explanation_of(refused, _(
            "You cannot attach a scan to this application.")))
    except ValidationError as error:
        errors = error.message_dict
        return render(request, "assistant/check.html", {
            **_check_context(request, assisted), "errors": errors,
            "error_links": [("#f-scan", texts[0]) for _key, texts in errors.items()]},
            status=422)
    messages.success(request, _("The scan of the signed summary is attached. Confirm the "
                                "submission."))
    return redirect("assistant:check", reference=assisted.application.reference)


@staff_required
@require_http_methods(["GET", "HEAD"])
def done(request: HttpRequest, reference: Any) -> HttpResponse:
    """The submission confirmed: the case number, and the basis it records."""
    assisted = _assisted(request, reference)
    application = assisted.application
    if application.status != ApplicationStatus.SUBMITTED or application.case is None:
        return redirect("assistant:check", reference=application.reference)
    return render(request, "assistant/done.html", {
        "assisted": assisted, "application": application, "case": application.case,
        "service": application.service, "client": assistant.client_of(assisted)})


def _month(value: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


@staff_required
@require_http_methods(["GET", "HEAD"])
def originals(request: HttpRequest) -> HttpResponse:
    """The signed originals the agent's institution collected in a month (`month`, YYYY-MM;
    default this month), by holder, for sending to each holder; `format=csv` downloads them
    (one holder with `holder`, its code). A month that is not YYYY-MM is an error at the
    field (400)."""
    actor = actor_from_request(request)
    decision = decide(actor, AssistantAction.ORIGINALS)
    if not decision:
        return _refused(request, decision.explanation or _("You cannot see this list."))
    given = request.GET.get("month", "")
    month = _month(given) if given else timezone.localdate().replace(day=1)
    if month is None:
        return render(request, "assistant/originals.html", {
            "month_value": given[:7], "groups": [],
            "errors": {"month": [_("Enter the month as YYYY-MM, e.g. 2026-12.")]},
            "error_links": [("#f-month", _("Enter the month as YYYY-MM, e.g. 2026-12."))]},
            status=400)
    holder = request.GET.get("holder", "")[:20]
    groups = assistant.originals(actor, month, holder_code=holder)
    if request.GET.get("format") == "csv":
        response = HttpResponse(assistant.originals_csv(groups), content_type="text/csv; "
                                                                               "charset=utf-8")
        name = f"originals-{month:%Y-%m}{'-' + holder if holder.isalnum() else ''}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "assistant/originals.html", {
        "month": month, "month_value": f"{month:%Y-%m}", "groups": groups})
