"""The client's invoices in the e-account (A8, A2): the list and an invoice with its lines,
state, payment details (the RF reference printed in groups of four, the payee, the EPC QR code
for a bank's app), its PDF and the Pay button, which posts to the online payment's start
(`durvis.payments.views.start`) with a one-time key. Only the current role's invoices; the
reads go through `payments.queries` (the policy's `client.read`, audited there)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from durvis.access.policy import decide
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.mandates import queries as mandate_queries
from durvis.payments import queries
from durvis.payments.models import Invoice, InvoiceState, PaymentSource
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

PAGE_SIZE = 50
STATE_TAGS = {
    InvoiceState.ISSUED: "govuk-tag--yellow", InvoiceState.PARTLY_PAID: "govuk-tag--yellow",
    InvoiceState.OVERDUE: "govuk-tag--red", InvoiceState.PAID: "govuk-tag--green",
    InvoiceState.OVERPAID: "govuk-tag--blue", InvoiceState.CANCELLED: "govuk-tag--grey",
    InvoiceState.CREDITED: "govuk-tag--grey",
}


def state_tag(invoice: Invoice) -> str:
    """The tag colour class of an invoice's state (yellow: to pay, red: overdue, green: paid)."""
    return STATE_TAGS.get(InvoiceState(invoice.state), "govuk-tag--grey")


@client_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    """The current role's invoices, newest first: number, service, total, state, due date."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    rows = queries.client_invoices(actor_from_request(request), role.client)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for invoice in page.object_list:
        invoice.tag = state_tag(invoice)  # type: ignore[attr-defined]
    return render(request, "eaccount/invoices.html", {
        "eaccount_section": "invoices", "page": page, "invoices": page.object_list})


@client_required
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One invoice: lines, totals, state, how to pay it (online, or a bank transfer with the RF
    reference or the QR code), its PDF."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    try:
        invoice = queries.client_invoice(actor, role.client, number)
    except Invoice.DoesNotExist:
        raise Http404 from None
    open_to_pay = invoice.state in (InvoiceState.ISSUED, InvoiceState.PARTLY_PAID,
                                    InvoiceState.OVERDUE) and invoice.outstanding > 0
    reference, qr = "", ""
    if open_to_pay:
        reference, qr = queries.transfer_details(invoice, label=_(
            "QR code for paying invoice %(number)s with a bank's app") % {
            "number": invoice.number})
    payments = [p for p in queries.payments_of(invoice)
                if p.source != PaymentSource.ONLINE or p.state != "created"]
    return render(request, "eaccount/invoice.html", {
        "eaccount_section": "invoices", "invoice": invoice, "tag": state_tag(invoice),
        "lines": list(invoice.lines.all()), "payments": payments,
        "openable": mandate_queries.openable(actor, role.client,
                                             [p.mandate_id for p in payments]),
        "reference": reference, "open_to_pay": open_to_pay,
        "qr": mark_safe(qr) if open_to_pay else "",
        "can_pay_online": open_to_pay and queries.can_pay_online(invoice),
        "may_act": bool(decide(actor, IdentityAction.CLIENT_WRITE, invoice, role.client)),
        "started": queries.started_payment(invoice) if open_to_pay else None,
        "pay_key": uuid.uuid4().hex})


def fee_state(invoices: list[Invoice]) -> dict[str, Any] | None:
    """What the fee seam (`components/fee.html`) shows beside a case's fee: "Paid" or "Awaiting
    payment", from the case's invoices (credit notes left out); None without one."""
    states = [i.state for i in invoices if i.total > 0]
    if not states:
        return None
    paid = all(s in (InvoiceState.PAID, InvoiceState.OVERPAID) for s in states)
    return {"label": _("Paid") if paid else _("Awaiting payment"), "paid": paid}
