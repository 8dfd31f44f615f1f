"""The pages and endpoint of online payments (A8): the client starts paying an invoice (a POST
from the e-account's invoice page, with a one-time key), comes back from the provider (the
outcome, in the client's language), and the provider's signed server-to-server callback."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from durvis.identity.sessions import actor_from_request
from durvis.payments import online, queries
from durvis.payments.models import Invoice, Payment, PaymentSource
from durvis.payments.providers import CallbackRefused
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required


def _invoice(request: HttpRequest, number: str) -> Invoice:
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    try:
        return queries.client_invoice(actor_from_request(request), role.client, number)
    except Invoice.DoesNotExist:
        raise Http404 from None


def new_key() -> str:
    """A one-time key for a Pay form: a double click sends it twice, a new page a new one."""
    return uuid.uuid4().hex


@client_required
@require_POST
def start(request: HttpRequest, number: str) -> HttpResponse:
    """Start paying the invoice online and send the payer to the provider's page (303); a
    refusal goes back to the invoice page with the reason."""
    invoice = _invoice(request, number)
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    back = reverse("eaccount:invoice", args=[invoice.number])
    key = (request.POST.get("idempotency_key") or "").strip()[:64] or new_key()
    merchant = online.merchant_of(invoice)
    if merchant is None:
        messages.error(request, _("This invoice cannot be paid online: pay it by bank transfer "
                                  "with the details below."))
        return redirect(back)
    try:
        payment = online.start_payment(
            actor_from_request(request), role.client, invoice,
            method=request.POST.get("method", "card"), idempotency_key=key,
            return_url=request.build_absolute_uri(reverse("payments:return",
                                                          args=[invoice.number])),
            callback_url=request.build_absolute_uri(reverse("payments:callback",
                                                            args=[merchant.provider])))
    except PermissionDenied:
        messages.error(request, _("You may not pay this invoice in the current role."))
        return redirect(back)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    except online.PaymentUnavailable as refused:
        if refused.reason == "busy":
            messages.error(request, _("A payment of this invoice is being started just now. "
                                      "Wait a moment and try again."))
        else:
            messages.error(request, _("The payment service cannot be reached just now. Try "
                                      "again in a few minutes, or pay by bank transfer with "
                                      "the details below."))
        return redirect(back)
    return HttpResponseRedirect(payment.redirect_url, status=303)


@client_required
@require_GET
def returned(request: HttpRequest, number: str) -> HttpResponse:
    """The payer is back from the provider: ask it about the payment, settle, and say how it
    ended, with a link to the invoice."""
    invoice = _invoice(request, number)
    payment = (Payment.objects.filter(invoice=invoice, source=PaymentSource.ONLINE)
               .order_by("-created_at", "-pk").first())
    if payment is not None:
        online.refresh(payment)
        invoice.refresh_from_db()
    return render(request, "payments/return.html", {
        "eaccount_section": "invoices", "invoice": invoice, "payment": payment})


@csrf_exempt  # a server-to-server call; the HMAC signature with the merchant's secret is the proof
@require_POST
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's signed callback: 200 `{"ok": true}` once applied (a repeat too); a
    refused one is a 4xx with `{"error": <code>, "detail": …}` and books nothing."""
    try:
        payment = online.handle_callback(provider, request.headers, request.body)
    except CallbackRefused as refused:
        return JsonResponse({"error": refused.code, "detail": str(refused)},
                            status=refused.status)
    return JsonResponse({"ok": True, "state": payment.state})
