"""Mandates in the e-account (C1, A2, A12): the given and received mandates of the current role
(current, and ended within 15 months with who ended them and when), the grant form, the request
form of a would-be representative, one mandate's page with revoke (after a confirmation),
confirm and refuse, and what was done under the mandate (`handled_under`: cases, documents,
payments, messages; seen by both sides, kept after it ends). The writes are
`durvis.mandates.services` (validated, audited, both sides notified); a refusal of theirs
becomes the form's error, in the person's language.

Only whoever acts for the role by the base registers and may act in its name manages its
mandates (`mandates.rules.MandateAction.MANAGE`): someone acting by a mandate is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import allowed
from durvis.audit.services import record
from durvis.core.forms import Form
from durvis.core.templatetags.durvis_formats import format_money
from durvis.documents.models import Document
from durvis.identity.queries import audit_subject, owner_filter
from durvis.identity.sessions import actor_from_request
from durvis.mandates import queries, services
from durvis.mandates.forms import TermsForm
from durvis.mandates.models import Mandate, MandateState, Right
from durvis.mandates.rules import MandateAction
from durvis.messaging.models import InboxMessage
from durvis.payments.models import Payment
from durvis.register.models import ServiceCase
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

# A mandate's page lists the newest this many things of each kind done under it.
HISTORY_SIZE = 20

STATE_TAGS = {
    MandateState.ACTIVE: "govuk-tag--green", MandateState.REQUESTED: "govuk-tag--yellow",
    MandateState.REVOKED: "govuk-tag--grey", MandateState.REFUSED: "govuk-tag--grey",
    MandateState.EXPIRED: "govuk-tag--grey",
}


class GrantForm(TermsForm):
    grantee_code = forms.CharField(
        label=gettext_lazy("Personal code or registration number of the representative"),
        max_length=20, help_text=gettext_lazy(
            "For example 161175-19997 or 40003032065; for help at an institution's "
            "client-service centres without signing a paper each time, the institution's code "
            "or registration number, e.g. VDAA"))
    field_order = ["grantee_code"]
    party = "grantee_code"


class RequestForm(TermsForm):
    grantor_code = forms.CharField(
        label=gettext_lazy("Personal code or registration number of whom you want to act for"),
        max_length=20, help_text=gettext_lazy("For example 161175-19997 or 40003032065"))
    field_order = ["grantor_code"]
    party = "grantor_code"


def _apply(form: Form, write: Any) -> Mandate | None:
    """Run a write; its ValidationError becomes the form's errors (a field of the form where
    it names one, else above the form). Returns the mandate, or None."""
    try:
        return cast(Mandate, write())
    except ValidationError as error:
        for field, problems in error.error_dict.items():
            target = field if field in form.fields else None
            for problem in problems:
                form.add_error(target, problem)
    except PermissionDenied:
        form.add_error(None, _("You cannot do this in the current role."))
    return None


def _tagged(mandates: list[Mandate]) -> list[Mandate]:
    """Each mandate with the state it is shown in (`shown_state`, `tag`): an active mandate
    whose period has not begun is "not yet in force (from <date>)"."""
    today = timezone.localdate()
    for mandate in mandates:
        state = mandate.current_state(today)
        label, tag = str(MandateState(state).label), STATE_TAGS[MandateState(state)]
        if mandate.waiting_to_start(today):
            label, tag = _("Not yet in force (from %(date)s)") % {
                "date": date_format(mandate.valid_from, "SHORT_DATE_FORMAT")}, "govuk-tag--blue"
        mandate.shown_state = label  # type: ignore[attr-defined]
        mandate.tag = tag  # type: ignore[attr-defined]
    return mandates


@client_required
def mandate_list(request: HttpRequest) -> HttpResponse:
    """The role's given and received mandates, current and ended within 15 months."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    manages = allowed(actor, MandateAction.MANAGE, None, role.client)
    context: dict[str, Any] = {"eaccount_section": "mandates", "manages": manages}
    if manages:
        context["given"] = _tagged(queries.given(actor, role.client))
        context["received"] = _tagged(queries.received(actor, role.client))
    return render(request, "eaccount/mandates.html", context)


def _terms_page(request: HttpRequest, form_class: type[TermsForm], template: str,
                write: Any, done: str) -> HttpResponse:
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    if not allowed(actor, MandateAction.MANAGE, None, role.client):
        return render(request, "eaccount/mandates.html",
                      {"eaccount_section": "mandates", "manages": False}, status=403)
    form = form_class(request.POST or None, actor=actor, client=role.client)
    if request.method == "POST":
        if form.is_valid() and _apply(form, lambda: write(actor, role.client, form)):
            messages.success(request, done)
            return redirect("eaccount:mandates")
        status = 422
    else:
        status = 200
    return render(request, template, {"eaccount_section": "mandates", "form": form},
                  status=status)


@client_required
def grant(request: HttpRequest) -> HttpResponse:
    """The grant form: to whom (a personal code or registration number), what, for how long."""
    return _terms_page(
        request, GrantForm, "eaccount/mandate_grant.html",
        lambda actor, client, form: services.grant(
            actor, client, form.cleaned_data["grantee_code"], form.terms()),
        _("The mandate was granted. Both of you have been told."))


@client_required
def request_mandate(request: HttpRequest) -> HttpResponse:
    """The request form of a would-be representative (the role: themself or their company)."""
    return _terms_page(
        request, RequestForm, "eaccount/mandate_request.html",
        lambda actor, client, form: services.request(
            actor, client, form.cleaned_data["grantor_code"], form.terms()),
        _("The request was sent. The mandate takes effect when it is confirmed."))


def _mandate(request: HttpRequest, pk: int, *, manage: bool = False) -> Mandate:
    """The mandate the role may see (`manage`: and whose mandates it manages); else 404."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    mandate = queries.mandate_of(actor, pk, role.client)
    if mandate is None or (manage and not allowed(actor, MandateAction.MANAGE, None,
                                                  role.client)):
        raise Http404
    return mandate


def _sides(mandate: Mandate, role: ClientRole) -> tuple[bool, bool]:
    grantor = mandate.grantor
    is_grantor = type(grantor) is type(role.client) and grantor.pk == role.client.pk
    return is_grantor, not is_grantor


@dataclass(frozen=True)
class Handled:
    """One thing done under a mandate, as its page lists it: when, what (a case's number and
    service, a document's title, a payment's amount and invoice, a message's subject), by
    whom, and its page (empty unless the reader is in the grantor's role)."""

    when: Any
    what: str
    by: Any
    url: str


@dataclass(frozen=True)
class HandledKind:
    """The things of one kind done under a mandate: the newest `HISTORY_SIZE` and how many in
    all."""

    key: str
    heading: str
    total: int
    items: list[Handled]


def handled_under(actor: Any, mandate: Mandate, *, linked: bool) -> list[HandledKind]:
    """What was done under `mandate` (C1, A2: the grantor sees what their representative did,
    and the representative what they did): the cases submitted under it (`mandate:<id>`), the
    documents, payments and messages that record it, newest first, `HISTORY_SIZE` of each
    with its count (eight queries). A revoked or expired mandate keeps its history. `linked`:
    each item links its page (the reader is in the grantor's role, whose pages check their own
    rules). The reading is audited (`mandates.mandate.history`) against the grantor. The
    caller has checked that the actor may see the mandate (`MandateAction.VIEW`)."""
    grantor = mandate.grantor
    cases = ServiceCase.objects.filter(owner_filter(grantor), mandate_reference=mandate.reference())
    documents = Document.objects.filter(mandate=mandate)
    payments = Payment.objects.filter(mandate=mandate)
    sent = InboxMessage.objects.filter(mandate=mandate)
    found = [
        HandledKind("cases", _("Cases"), cases.count(), [
            Handled(c.applied_at, f"{c.number} {c.service.name}", c.representative,
                    reverse("eaccount:case", args=[c.number]) if linked else "")
            for c in cases.select_related("service", "representative")
            .order_by("-applied_at", "-pk")[:HISTORY_SIZE]]),
        HandledKind("documents", _("Documents"), documents.count(), [
            Handled(d.created_at, d.title, d.uploaded_by,
                    reverse("documents:download", args=[d.pk]) if linked else "")
            for d in documents.select_related("uploaded_by")
            .order_by("-created_at", "-pk")[:HISTORY_SIZE]]),
        HandledKind("payments", _("Payments"), payments.count(), [
            Handled(p.created_at, _("%(amount)s, invoice %(number)s") % {
                "amount": format_money(p.amount), "number": p.invoice.number}, p.started_by,
                reverse("eaccount:invoice", args=[p.invoice.number]) if linked else "")
            for p in payments.select_related("invoice", "started_by")
            .order_by("-created_at", "-pk")[:HISTORY_SIZE]]),
        HandledKind("messages", _("Messages"), sent.count(), [
            Handled(m.sent_at, m.subject, m.sender_person,
                    m.get_absolute_url() if linked else "")
            for m in sent.select_related("sender_person")
            .order_by("-sent_at", "-pk")[:HISTORY_SIZE]]),
    ]
    record(actor, "mandates.mandate.history", mandate, subject=audit_subject(grantor),
           details={kind.key: kind.total for kind in found})
    return found


@client_required
def mandate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One mandate: both sides, scope, rights, period, state (who ended it and when); the
    grantor confirms or refuses a request here; either side revokes (after a confirmation).
    Its holder acting for the grantor sees it too (the case page links it), without actions."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    mandate = _mandate(request, pk)
    is_grantor, _is_grantee = _sides(mandate, role)
    manages = allowed(actor_from_request(request), MandateAction.MANAGE, None, role.client)
    state = mandate.current_state()
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        actor = actor_from_request(request)
        write = {"confirm": services.confirm, "refuse": services.refuse}.get(action)
        if write is None or not is_grantor:
            errors.append(_("Choose to confirm or to refuse the request."))
        else:
            try:
                write(actor, mandate)
            except ValidationError as error:
                errors += error.messages
            else:
                messages.success(request, _("The request was confirmed.") if action == "confirm"
                                 else _("The request was refused."))
                return redirect("eaccount:mandate", pk=mandate.pk)
    return render(request, "eaccount/mandate.html", {
        "eaccount_section": "mandates", "mandate": _tagged([mandate])[0], "errors": errors,
        "is_grantor": is_grantor, "state": state,
        "may_answer": manages and is_grantor and state == MandateState.REQUESTED,
        "may_revoke": manages and state in (MandateState.ACTIVE, MandateState.REQUESTED),
        "manages": manages, "history_size": HISTORY_SIZE,
        "handled": handled_under(actor_from_request(request), mandate, linked=is_grantor),
        "rights": [label for value, label in Right.choices if value in mandate.rights]},
        status=422 if errors else 200)


@client_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke (or renounce, or withdraw a request) after a confirmation page. A mandate that
    has already ended (revoked, refused, expired) offers no button: the page says it ended,
    when and by whom (a POST to it is refused with that message, 422)."""
    mandate = _mandate(request, pk, manage=True)
    errors: list[str] = []
    ended = mandate.current_state() not in (MandateState.ACTIVE, MandateState.REQUESTED)
    if request.method == "POST" and not ended:
        try:
            services.revoke(actor_from_request(request), mandate)
        except ValidationError as error:
            errors += error.messages
        else:
            messages.success(request, _("The mandate was revoked. Both of you have been told."))
            return redirect("eaccount:mandates")
    if request.method == "POST" and ended:
        errors.append(_("This mandate has already ended."))
    return render(request, "eaccount/mandate_revoke.html", {
        "eaccount_section": "mandates", "mandate": _tagged([mandate])[0], "errors": errors,
        "ended": ended}, status=422 if errors else 200)
