"""The inbox pages of the e-account (A2, C1) and the staff page to write to a client.

Every page shows the conversations of the current role only (`request.client_role`); the
messaging services ask the access policy, so another client's conversation is "not found"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from durvis.access.policy import decide, explanation_of
from durvis.documents.rules import DocumentAction
from durvis.identity.models import Institution
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.mandates import queries as mandate_queries
from durvis.messaging import queries as messaging_queries
from durvis.messaging import services as messaging
from durvis.messaging.forms import CaseQuery, InboxQuery, ReplyForm, StaffMessageForm, WriteForm
from durvis.messaging.models import InboxMessage, Thread
from durvis.register import queries as register_queries
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required, staff_required

PAGE_SIZE = 25
CASE_CHOICES = 100


def _role(request: HttpRequest) -> ClientRole:
    return request.client_role  # type: ignore[attr-defined,no-any-return]


def _refused(request: HttpRequest) -> bool:
    """Whether the signed-in person may not act in the role's name (C1, A12: a company's
    representative who may act only jointly); the page then shows why (`client_acts`) instead
    of the form, and a submitted form is refused unread (403)."""
    return not decide(actor_from_request(request), IdentityAction.CLIENT_WRITE,
                      client=_role(request).client)


def _show_errors(form: Form, error: ValidationError) -> None:
    """A refusal of the messaging or documents service becomes the form's error, so what the
    client typed stays on the page."""
    if isinstance(error, messaging.AttachmentRefused):
        form.add_error("attachment", _("The attachment was not accepted: %(reason)s Choose the "
                                       "file again or another one.") % {"reason": error.reason})
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@client_required
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The conversations of the role, the latest first; unread ones stand out."""
    role = _role(request)
    query = InboxQuery(request.GET)
    actor = actor_from_request(request)
    archived = query.value("show") == "archive"
    page = Paginator(messaging_queries.inbox(actor, role.client, archived=archived),
                     PAGE_SIZE).get_page(query.value("page"))
    return render(request, "messaging/inbox.html", {
        "eaccount_section": "messages", "page": page, "archived": archived,
        "query_form": query,
        "unread": messaging_queries.unread_count(actor, role.client),
    })


def _thread_page(request: HttpRequest, thread: Thread, thread_messages: list[InboxMessage],
                 form: ReplyForm, status: int = 200) -> HttpResponse:
    return render(request, "messaging/thread.html", {
        "eaccount_section": "messages", "thread": thread, "thread_messages": thread_messages,
        "form": form, "openable": mandate_queries.openable(
            actor_from_request(request), _role(request).client,
            [m.mandate_id for m in thread_messages]),
    }, status=status)


def _open(request: HttpRequest, pk: int) -> tuple[Thread, list[InboxMessage]]:
    try:
        return messaging.open_thread(actor_from_request(request), pk, _role(request).client)
    except Thread.DoesNotExist:
        raise Http404 from None


@client_required
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A conversation with its attachments; opening it marks the institution's messages read."""
    thread, thread_messages = _open(request, pk)
    return _thread_page(request, thread, thread_messages, ReplyForm())


@client_required
@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The client answers; the institution's system is told by its webhook."""
    thread, thread_messages = _open(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if _refused(request):
        return _thread_page(request, thread, thread_messages, ReplyForm(), status=403)
    if form.is_valid():
        try:
            message = messaging.reply(actor_from_request(request), thread,
                                      form.cleaned_data["body"], form.attachments(),
                                      client=_role(request).client)
        except ValidationError as error:
            _show_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, explanation_of(refused, _("You cannot answer in this role.")))
        else:
            messages.success(request, _("Your answer was sent to %(institution)s.")
                             % {"institution": thread.institution.name})
            return redirect(message.get_absolute_url())
    return _thread_page(request, thread, thread_messages, form, status=422)


@client_required
@require_POST
def thread_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a conversation to the archive or back to the inbox."""
    to_archive = request.POST.get("archived") == "1"
    change = messaging.archive if to_archive else messaging.unarchive
    try:
        change(actor_from_request(request), pk, _role(request).client)
    except Thread.DoesNotExist:
        raise Http404 from None
    if to_archive:
        messages.success(request, _("The conversation was moved to the archive."))
        return redirect("inbox:list")
    messages.success(request, _("The conversation was moved back to the inbox."))
    return redirect("inbox:thread", pk=pk)


@client_required
def write(request: HttpRequest) -> HttpResponse:
    """The client writes to an institution: about one of their cases or not."""
    role = _role(request)
    cases = list(register_queries.visible_cases(
        actor_from_request(request), role.client)[:CASE_CHOICES])
    institutions = list(Institution.objects.order_by("name"))
    query = CaseQuery(request.GET)
    chosen = query.value("case")
    initial = {"case": next((c.pk for c in cases if c.number == chosen), None)}
    form = WriteForm(request.POST or None, request.FILES or None, initial=initial, cases=cases,
                     institutions=institutions)
    if request.method == "POST" and _refused(request):
        return render(request, "messaging/write.html", {
            "eaccount_section": "messages", "form": form}, status=403)
    if request.method == "POST" and form.is_valid():
        try:
            message = messaging.write_to_institution(
                actor_from_request(request), role.client, form.chosen_institution(),
                form.cleaned_data["subject"], form.cleaned_data["body"],
                case=form.chosen_case(), attachments=form.attachments())
        except ValidationError as error:
            _show_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, explanation_of(refused, _("You cannot write in this role.")))
        else:
            messages.success(request, _("Your message was sent to %(institution)s.")
                             % {"institution": message.thread.institution.name})
            return redirect(message.get_absolute_url())
    return render(request, "messaging/write.html", {
        "eaccount_section": "messages", "form": form, "query_form": query,
    }, status=422 if request.method == "POST" else 200)


@staff_required
def staff_new_message(request: HttpRequest) -> HttpResponse:
    """An agent or back-office employee writes to the client of a case of their institution."""
    actor = actor_from_request(request)
    if not decide(actor, DocumentAction.SEND_TO_CLIENT) or actor.staff is None:
        raise PermissionDenied
    form = StaffMessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = messaging.case_for_sending(actor, form.cleaned_data["case_number"])
            messaging.send_to_client(
                actor, client=messaging.client_of(case), institution=actor.staff.institution,
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"], case=case,
                attachments=form.attachments(),
                signature_requested=form.cleaned_data["signature_requested"])
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The message was sent to the client of case %(number)s.")
                             % {"number": case.number})
            return redirect("staff-messages:new")
    context: dict[str, Any] = {"form": form}
    return render(request, "messaging/staff_new.html", context,
                  status=422 if request.method == "POST" else 200)
