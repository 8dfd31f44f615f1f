"""The e-account pages (A2, C3): overview, history, a case with its timeline, feedback, and the
role switch. Every page shows the records of the current role only (`request.client_role`), asks
the access policy through the register's services, and audits what it reads."""

from __future__ import annotations

import heapq
from itertools import islice
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from durvis.access.policy import Decision, decide, explanation_of
from durvis.calendars import queries as calendar_queries
from durvis.core.actor import Actor
from durvis.documents import queries as document_queries
from durvis.eaccount import invoices
from durvis.eaccount.forms import FeedbackForm, HistoryFilterForm
from durvis.eforms import queries as eforms_queries
from durvis.identity.models import Person
from durvis.identity.sessions import actor_from_request
from durvis.mandates import queries as mandate_queries
from durvis.messaging import queries as messaging_queries
from durvis.payments import queries as payment_queries
from durvis.register import queries as register_queries
from durvis.register import services as register
from durvis.register.models import CaseStatus, Consultation, ServiceCase
from durvis.register.rules import CaseAction
from durvis.web import roles
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

PAGE_SIZE = 50
OPEN_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.REGISTERED, CaseStatus.IN_PROGRESS,
                           CaseStatus.WAITING_FOR_CLIENT})


@client_required
def overview(request: HttpRequest) -> HttpResponse:
    """What needs the client's attention: open cases, results to rate, unread messages."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    cases = register_queries.overview_read(actor, role.client)
    open_cases = cases.filter(status__in=OPEN_STATUSES)
    recent_results = cases.filter(status__in=register.FEEDBACK_STATUSES, feedback__isnull=True)
    return render(request, "eaccount/overview.html", {
        "eaccount_section": "overview",
        # "Needs your action" first: the cases an institution waits on the client for.
        "action_cases": list(open_cases.filter(status=CaseStatus.WAITING_FOR_CLIENT)[:10]),
        "open_cases": open_cases.exclude(status=CaseStatus.WAITING_FOR_CLIENT)[:10],
        "open_count": open_cases.count(),
        "to_rate": recent_results[:5],
        "unread_messages": messaging_queries.unread_count(actor, role.client),
        "in_progress": list(eforms_queries.applications_in_progress(actor, role.client)[:5]),
        "appointments": upcoming_appointments(actor, role, limit=5),
        "me": actor.person,
    })


def children_of(role: ClientRole) -> list[Person]:
    """The minor children the person of the `self` role acts for by the population register
    (not by a mandate); none in another role."""
    if not role.is_self or role.person is None:
        return []
    return [r.person for r in roles.available_roles(role.person)
            if r.person is not None and not r.delegated and not r.is_self]


def upcoming_appointments(actor: Actor, role: ClientRole, limit: int) -> list[Any]:
    """The role's upcoming appointments and, in the person's own role, those of the minor
    children they act for (A4: a parent sees what they or the other parent booked for a
    child), soonest first, at most `limit`; each read through `client.read`."""
    found = calendar_queries.upcoming_of(actor, role.client, limit=limit)
    for child in children_of(role):
        found += calendar_queries.upcoming_of(actor, child, limit=limit)
    return sorted(found, key=lambda b: b.starts_at)[:limit]


@client_required
def history(request: HttpRequest) -> HttpResponse:
    """Every case and consultation of the current role, newest first, filtered (C3)."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    institutions, services = register_queries.history_choices(
        actor_from_request(request), role.client)
    form = HistoryFilterForm(request.GET, institutions=institutions, services=services)
    filters = form.filters()
    page: int = form.value("page")
    entries: list[Any] = []
    total = 0
    if filters is not None:
        cases, consultations = register_queries.history_read(
            actor_from_request(request), role.client, filters)
        entries, total = _merged_page(cases, consultations, page)
    return render(request, "eaccount/history.html", {
        "eaccount_section": "history", "form": form, "query_form": form, "entries": entries,
        "total": total, "page": page, "has_previous": page > 1,
        "has_next": page * PAGE_SIZE < total, "query": form.query(),
        # Any filter typed (even one with an error) is a filter: "nothing matches", never "your
        # history is empty".
        "filtered": form.filtered(),
    })


def _merged_page(cases: Any, consultations: Any, page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of cases and consultations merged newest first: each list is read only as far
    as the page reaches, on its own (client, date) index."""
    reach = page * PAGE_SIZE
    case_rows, consultation_rows = list(cases[:reach]), list(consultations[:reach])
    case_url = _url_maker("eaccount:case")
    case_entries = ({"kind": "case", "at": c.applied_at, "case": c, "url": case_url(c.number)}
                    for c in case_rows)
    consultation_entries = ({"kind": "consultation", "at": c.occurred_at, "consultation": c}
                            for c in consultation_rows)
    merged = heapq.merge(case_entries, consultation_entries, key=lambda e: e["at"], reverse=True)
    entries = list(islice(merged, reach - PAGE_SIZE, reach))
    return entries, _total(cases, case_rows, reach) + _total(consultations, consultation_rows,
                                                             reach)


def _url_maker(name: str) -> Any:
    """Addresses of one view for many rows: reversed once, then filled in (reversing each of 50
    rows took a third of the history page's rendering)."""
    marker = "00000"
    pattern = reverse(name, args=[marker])
    return lambda value: pattern.replace(marker, quote(str(value)))


def _total(rows: Any, read: list[Any], reach: int) -> int:
    """How many rows there are: known without counting when fewer than asked came back."""
    return len(read) if len(read) < reach else int(rows.count())


@client_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A case with its timeline, channels, who acted, documents and messages (C3)."""
    case, events = _clients_case(request, number)
    return _case_page(request, case, events, FeedbackForm(), can_rate=_can_rate(case))


def _clients_case(request: HttpRequest, number: str) -> tuple[ServiceCase, list[Any]]:
    """The case of the role's client with its history; anyone else's case is "not found"."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    try:
        return register_queries.client_case(actor_from_request(request), number, role.client)
    except ServiceCase.DoesNotExist:
        raise Http404 from None


def _case_page(request: HttpRequest, case: ServiceCase, events: list[Any], form: FeedbackForm,
               *, can_rate: bool, status: int = 200) -> HttpResponse:
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    documents = list(document_queries.documents_of_case(actor, case, role.client))
    case_messages = list(messaging_queries.messages_of_case(actor, case, role.client))
    return render(request, "eaccount/case.html", {
        "eaccount_section": "history", "case": case, "events": events, "can_rate": can_rate,
        "feedback_form": form, "asked": _what_is_asked(case, events),
        "documents": documents, "case_messages": case_messages,
        "openable": mandate_queries.openable(actor, role.client, [
            *(d.mandate_id for d in documents), *(m.mandate_id for m in case_messages)]),
        "mandate_id": _mandate_shown(actor, case, role),
        "rates": decide(actor, CaseAction.RATE_CASE, case, client=role.client),
        **_case_invoices(case),
    }, status=status)


def _mandate_shown(actor: Any, case: ServiceCase, role: ClientRole) -> int | None:
    """The id of the mandate the case was submitted under (`mandate:<id>`), when the role may
    open it (the grantor sees which mandate their representative relied on, C1)."""
    kind, _sep, ident = case.mandate_reference.partition(":")
    if kind != "mandate" or not ident.isascii() or not ident.isdigit():
        return None
    found = mandate_queries.mandate_of(actor, int(ident), role.client)
    return found.pk if found is not None else None


def _case_invoices(case: ServiceCase) -> dict[str, Any]:
    """The case's invoices with their state tags, and the fee seam's payment state (A8)."""
    found = payment_queries.case_invoices(case)
    for invoice in found:
        invoice.tag = invoices.state_tag(invoice)  # type: ignore[attr-defined]
    return {"case_invoices": found, "fee_state": invoices.fee_state(found)}


def _what_is_asked(case: ServiceCase, events: list[Any]) -> str:
    """While a case waits for the client: what the institution asked for, as its latest
    waiting-for-client event says (its note, else the institution's own status name)."""
    if case.status != CaseStatus.WAITING_FOR_CLIENT:
        return ""
    for event in reversed(events):
        if event.status == CaseStatus.WAITING_FOR_CLIENT:
            return str(event.note or event.holder_status or "")
    return ""


def _can_rate(case: ServiceCase) -> bool:
    return case.status in register.FEEDBACK_STATUSES and not hasattr(case, "feedback")


@client_required
@require_POST
def case_feedback(request: HttpRequest, number: str) -> HttpResponse:
    """The client rates a case after its result; it goes to the register (B1)."""
    actor = actor_from_request(request)
    case, events = _clients_case(request, number)
    form = FeedbackForm(request.POST)
    if not _rates(request, case):
        return _case_page(request, case, events, form, can_rate=_can_rate(case), status=403)
    if form.is_valid() and _save_feedback(form, lambda r, c: register.give_feedback(
            actor, case, r, c)):
        messages.success(request, _("Thank you: your rating was sent to the institution."))
        return redirect("eaccount:case", number=case.number)
    # The form stays on the page with its error and the comment typed, even when the register
    # refused it (a stale page: no result yet), so nothing the client wrote is lost.
    return _case_page(request, case, events, form, can_rate=True, status=422)


@client_required
def consultation_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The client rates a consultation they received."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    try:
        consultation = register_queries.client_consultation(actor, pk, role.client)
    except Consultation.DoesNotExist:
        raise Http404 from None
    form = FeedbackForm(request.POST or None)
    rated = hasattr(consultation, "feedback")
    rates = _rates(request, consultation)
    acts = bool(rates)
    if request.method == "POST" and acts and not rated and form.is_valid() and _save_feedback(
            form, lambda r, c: register.give_consultation_feedback(actor, consultation, r, c)):
        messages.success(request, _("Thank you: your rating was sent to the institution."))
        return redirect("eaccount:history")
    status = (200 if request.method != "POST" else 422 if acts else 403)
    return render(request, "eaccount/consultation_feedback.html", {
        "eaccount_section": "history", "consultation": consultation, "form": form,
        "rated": rated, "rates": rates}, status=status)


def _rates(request: HttpRequest, record: Any) -> Decision:
    """Whether the signed-in person may rate the case or consultation for the role's client
    (`CaseAction.RATE_CASE`: the client, a parent of a minor, a company's representative who
    may act alone; not a mandate's holder); a refusal carries the `explanation` shown."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    return decide(actor_from_request(request), CaseAction.RATE_CASE, record,
                  client=role.client)


def _save_feedback(form: FeedbackForm, give: Any) -> bool:
    """Send the rating; a refusal of the register (too early, given already) becomes the
    form's error, so the comment the client typed stays on the page."""
    try:
        give(form.cleaned_data["rating"], form.cleaned_data["comment"])
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return False
    except PermissionDenied as refused:
        form.add_error(None, explanation_of(refused, _("Only the client rates this.")))
        return False
    return True


@client_required(acts_for_role=False)
@require_POST
def switch_role(request: HttpRequest) -> HttpResponse:
    """Act as oneself, for a minor child or for a company (C1); refused roles change nothing.
    The form names the role it goes to, so it carries no role of its own (`client_required`)."""
    role = roles.switch_role(request, request.POST.get("role", ""))
    if role is None:
        messages.error(request, _("You cannot act in that role."))
    else:
        messages.success(request, _("You are now acting as: %(role)s") % {"role": role.label})
    target = request.POST.get("next", "")
    # Another client's record would not be found in the new role: start from the overview
    # unless the page is a list.
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    if role is None or not safe or "/cases/" in target:
        target = reverse("eaccount:overview")
    return redirect(target)
