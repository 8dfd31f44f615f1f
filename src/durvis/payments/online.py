"""Online payments through a payment provider (A8; seed 4.2 lines 1687-1729): starting one,
the provider's signed callback, the payer's return, polling for a lost callback, expiry, and
refunds.

- `start_payment`: the client (or whoever acts for them, `client.write`) pays what is
  outstanding on an open invoice. One started payment at a time per invoice: a double click
  (the same one-time key) or a second tab gets the payment already started.
- `apply_state`: the provider said a payment's state (callback, return, poll). Idempotent: a
  final state is never changed again, and a success settles the invoice once
  (`services.settle`: the invoice's and the case's payment status move, `payment.changed`).
- `handle_callback`: a verified callback (`providers`), for a payment we know, of that
  merchant; else `CallbackRefused` with a precise 4xx and nothing booked.
- `poll_due` (the worker source `payments.online`): asks the provider about started payments
  whose callback did not come, every `DURVIS_PAYMENT_POLL_SECONDS`, and expires those past
  `expires_at` (`DURVIS_PAYMENT_EXPIRY_MINUTES` after the start).
- `refund`: a holder's finance specialist gives back part or all of a successful payment;
  `Payment.refunded` is raised under the payment's row lock before the provider is asked.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.core.actor import SYSTEM, Actor
from durvis.core.worker import SOURCES, Source
from durvis.identity.models import Company, Person
from durvis.identity.rules import ClientRight, IdentityAction, service_of
from durvis.mandates.queries import relied_on
from durvis.payments import services
from durvis.payments.models import (
    FINAL_PAYMENT_STATES,
    OPEN_STATES,
    Invoice,
    MerchantAccount,
    Payment,
    PaymentSource,
    PaymentState,
    Refund,
    RefundState,
)
from durvis.payments.money import parse_amount
from durvis.payments.providers import (
    TIMEOUT_SECONDS,
    CallbackRefused,
    NewPayment,
    ProviderError,
    ProviderPayment,
    provider,
)
from durvis.payments.rules import PaymentAction

log = logging.getLogger(__name__)

PENDING_STATES = (PaymentState.CREATED, PaymentState.STARTED, PaymentState.SUBMITTED)
POLL_BATCH = 50


class PaymentUnavailable(Exception):
    """The online payment cannot start: the holder has no merchant account, or the provider
    could not be reached or refused (`reason`: `merchant` or `provider`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def merchant_of(invoice: Invoice) -> MerchantAccount | None:
    """The holder's active merchant account for online payments (the first provider's)."""
    return (MerchantAccount.objects.filter(institution_id=invoice.holder_id, active=True)
            .order_by("pk").first())


def can_pay_online(invoice: Invoice) -> bool:
    """Whether an open invoice with money outstanding can be paid online (its holder has a
    merchant account)."""
    return (invoice.state in OPEN_STATES and invoice.outstanding > 0
            and merchant_of(invoice) is not None)


def started_payment(invoice: Invoice) -> Payment | None:
    """The invoice's online payment waiting for the payer, if one is (not expired)."""
    return (Payment.objects.filter(invoice=invoice, source=PaymentSource.ONLINE,
                                   state__in=PENDING_STATES, expires_at__gt=timezone.now())
            .exclude(redirect_url="").order_by("-created_at").first())


def start_payment(actor: Actor, client: Person | Company, invoice: Invoice, *, method: str,
                  idempotency_key: str, return_url: str, callback_url: str = "") -> Payment:
    """Start paying what is outstanding on `invoice` online (A8): the payment is created at the
    holder's provider and the caller sends the payer to `Payment.redirect_url`. Only for an
    open invoice (issued, partly paid, overdue) of the client the actor may act for
    (`client.write`); one started payment at a time: the same `idempotency_key` (a double
    click) or another start while one waits for the payer returns that payment. Audited.
    `return_url` is where the provider sends the payer back (absolute), `callback_url` where it
    posts its signed callback (default: `DURVIS_PUBLIC_URL` and the callback's path).

    In three steps, so that a slow provider never holds the invoice's row lock (other payments
    of the invoice, a bank statement, a refund wait on it): under the lock the payment is
    written `created` and committed — it is the invoice's one pending payment, so a second
    start meanwhile answers `busy` instead of asking for the money twice; the provider is asked
    with no lock and no transaction; then the payment is made `started` (or, refused, deleted).
    A `created` payment older than twice the provider's timeout (the process died while
    asking) is failed by the next start.

    Raises PermissionDenied (not the actor's client), ValidationError keyed `invoice` (code
    `state`: not open; `paid`: nothing outstanding) and PaymentUnavailable (`merchant`: no
    merchant account; `provider`: the provider refused or is unreachable, nothing is kept;
    `busy`: another start of this invoice is asking the provider just now).

    Someone paying for the client under a mandate: the payment records the mandate
    (`Payment.mandate`, `mandates.queries.relied_on`, right `pay`; C1, A2)."""
    require(actor, IdentityAction.CLIENT_WRITE, invoice, client)
    method = (method or "card")[:20]
    dedup_key = f"online:{idempotency_key}"[:120]
    payment, merchant = _created_payment(actor, client, invoice, method, dedup_key)
    if merchant is None:
        return payment
    locked = payment.invoice
    try:
        answer = provider(merchant.provider).create_payment(merchant, NewPayment(
            amount=payment.amount, currency=payment.currency, reference=locked.reference,
            order_id=str(payment.pk),
            description=f"{locked.number} {locked.case.service.name}"[:140],
            return_url=return_url,
            callback_url=callback_url or _default_callback_url(merchant.provider),
            expires_at=payment.expires_at or timezone.now(), locale=(locked.language or "lv")[:2],
            method=method), idempotency_key=f"durvis-payment-{payment.pk}-{dedup_key}")
    except (ProviderError, KeyError) as error:
        log.warning("payment provider refused to start payment %s: %s", payment.pk, error)
        Payment.objects.filter(pk=payment.pk, state=PaymentState.CREATED).delete()
        raise PaymentUnavailable("provider") from None
    return _started(actor, payment, merchant, answer)


def _created_payment(actor: Actor, client: Person | Company, invoice: Invoice, method: str,
                     dedup_key: str) -> tuple[Payment, MerchantAccount | None]:
    """Step 1 of `start_payment`, under the invoice's row lock, committed: the payment to
    start (`created`) with its merchant, or a payment already waiting for the payer with
    None. Raises as `start_payment`."""
    with transaction.atomic():
        locked = services.lock_invoice(invoice.pk)
        same = Payment.objects.filter(invoice=locked, dedup_key=dedup_key).first()
        if same is not None and same.state != PaymentState.CREATED:
            return same, None
        if locked.state not in OPEN_STATES:
            raise _error("invoice", gettext("This invoice is not waiting for a payment."),
                         "state")
        if locked.outstanding <= 0:
            raise _error("invoice", gettext("Nothing is left to pay on this invoice."), "paid")
        _fail_abandoned(locked)
        if same is not None or Payment.objects.filter(
                invoice=locked, source=PaymentSource.ONLINE,
                state=PaymentState.CREATED).exists():
            raise PaymentUnavailable("busy")
        waiting = started_payment(locked)
        if waiting is not None and waiting.amount == locked.outstanding:
            return waiting, None
        merchant = merchant_of(locked)
        if merchant is None:
            raise PaymentUnavailable("merchant")
        payment = Payment.objects.create(
            invoice=locked, source=PaymentSource.ONLINE, state=PaymentState.CREATED,
            amount=locked.outstanding, currency=locked.currency, provider=merchant.provider,
            method=method, dedup_key=dedup_key, started_by=actor.person,
            mandate=relied_on(actor, client, ClientRight.PAY, service_of(locked)),
            payer_name=locked.payer_name[:140], expires_at=timezone.now() + datetime.timedelta(
                minutes=settings.DURVIS_PAYMENT_EXPIRY_MINUTES))
    return payment, merchant


def _fail_abandoned(invoice: Invoice) -> None:
    """A `created` payment of `invoice` whose start died while asking the provider (older than
    twice the provider's timeout) is failed: it never reached the payer."""
    stale = timezone.now() - datetime.timedelta(seconds=2 * TIMEOUT_SECONDS)
    Payment.objects.filter(invoice=invoice, source=PaymentSource.ONLINE,
                           state=PaymentState.CREATED, provider_payment_id="",
                           created_at__lt=stale).update(state=PaymentState.FAILED,
                                                        updated_at=timezone.now())


def _started(actor: Actor, payment: Payment, merchant: MerchantAccount,
             answer: ProviderPayment) -> Payment:
    """Step 3 of `start_payment`: the provider's answer kept on the payment (locked), now
    `started` with the payer's redirect URL; audited."""
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        current.provider_payment_id = answer.id
        current.redirect_url = answer.redirect_url
        if current.state == PaymentState.CREATED:
            current.state = answer.state if answer.state not in FINAL_PAYMENT_STATES \
                and answer.state != PaymentState.CREATED else PaymentState.STARTED
        current.save(update_fields=["provider_payment_id", "redirect_url", "state",
                                    "updated_at"])
        invoice = payment.invoice
        record(actor, "payments.payment.start", current, subject=_subject(invoice),
               details={"invoice": invoice.number, "amount": str(current.amount),
                        "provider": merchant.provider, "mandate": current.mandate_id})
    return current


def _subject(invoice: Invoice) -> Person | Company | None:
    """Whose data an invoice's payment is, for the activity log (B4): the company of a
    company's invoice (its representatives see the use; its `client_person` is the
    representative who applied, whose own data the payment is not), else the client person."""
    if invoice.client_company_id is not None:
        return invoice.client_company
    return invoice.client_person


def _default_callback_url(provider_key: str) -> str:
    return settings.DURVIS_PUBLIC_URL.rstrip("/") + reverse("payments:callback",
                                                            args=[provider_key])


def apply_state(actor: Actor, payment: Payment, told: ProviderPayment) -> bool:
    """What the provider `told` of `payment` (callback, the payer's return, a poll), applied
    under the invoice's lock: a final state is kept (a second report books nothing); a success
    for the amount asked settles the invoice (`services.settle`). A success for another amount
    is refused (logged, the payment failed). Returns whether the payment changed."""
    with transaction.atomic():
        services.lock_invoice(payment.invoice_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.state in FINAL_PAYMENT_STATES or told.state == current.state:
            _copy(current, payment)
            return False
        state = told.state
        if state == PaymentState.CREATED:
            return False
        if state == PaymentState.SUCCESS and (told.amount != current.amount
                                              or told.currency != current.currency):
            log.warning("payment %s: the provider reported %s %s, %s was asked", current.pk,
                        told.amount, told.currency, current.amount)
            state = PaymentState.FAILED
        previous = current.state
        current.state = state
        fields = ["state", "updated_at"]
        if state == PaymentState.SUCCESS:
            current.paid_at = told.paid_at or timezone.now()
            fields.append("paid_at")
        current.save(update_fields=fields)
        record(actor, f"payments.payment.{state}", current,
               subject=_subject(current.invoice),
               details={"invoice": current.invoice.number, "previous": previous,
                        "amount": str(current.amount)})
        if state == PaymentState.SUCCESS:
            invoice = services.lock_invoice(current.invoice_id)
            services.settle(actor, invoice, cause=f"payment:{current.pk}:success",
                            payment=current)
        _copy(current, payment)
        return True


def _copy(source: Payment, target: Payment) -> None:
    target.state, target.paid_at, target.refunded = source.state, source.paid_at, source.refunded


def handle_callback(provider_key: str, headers: Mapping[str, str], body: bytes) -> Payment:
    """A provider's server-to-server callback (A8): verified by the provider's adapter (the
    merchant is ours, the HMAC-SHA256 signature is its secret's, the timestamp is fresh), for
    a payment we started with that merchant, then applied (`apply_state`; the same callback
    twice books once). Raises CallbackRefused: 404 `provider` (unknown provider), `merchant`,
    `payment` (unknown payment); 401 `signature`, `stale`; 400 `body`; 403 `merchant_mismatch`
    (the payment is another merchant's)."""
    try:
        adapter = provider(provider_key)
    except KeyError:
        raise CallbackRefused(404, "provider", "unknown payment provider") from None
    callback = adapter.verify_callback(headers, body)
    payment = (Payment.objects.select_related("invoice")
               .filter(provider=provider_key, provider_payment_id=callback.payment.id).first())
    if payment is None:
        raise CallbackRefused(404, "payment", "unknown payment")
    if payment.invoice.holder_id != callback.merchant.institution_id:
        raise CallbackRefused(403, "merchant_mismatch", "the payment is another merchant's")
    apply_state(SYSTEM, payment, callback.payment)
    return payment


def refresh(payment: Payment) -> Payment:
    """Ask the provider about a payment still waiting (the payer came back, or a poll) and
    apply what it says; a payment past its expiry that the provider does not report final is
    expired. A provider that cannot be reached leaves the payment as it is."""
    if payment.state in FINAL_PAYMENT_STATES or payment.source != PaymentSource.ONLINE:
        return payment
    merchant = MerchantAccount.objects.filter(
        institution_id=payment.invoice.holder_id, provider=payment.provider).order_by(
        "-active", "-pk").first()
    told: ProviderPayment | None = None
    if merchant is not None and payment.provider_payment_id:
        try:
            told = provider(payment.provider).get_payment(merchant, payment.provider_payment_id)
        except (ProviderError, KeyError) as error:
            log.info("payment %s: the provider could not be asked: %s", payment.pk, error)
    if told is not None and told.id != payment.provider_payment_id:
        told = None
    if told is not None and told.state != payment.state:
        apply_state(SYSTEM, payment, told)
    if payment.state not in FINAL_PAYMENT_STATES and payment.expires_at is not None \
            and payment.expires_at <= timezone.now():
        apply_state(SYSTEM, payment, ProviderPayment(
            id=payment.provider_payment_id, state=PaymentState.EXPIRED, amount=payment.amount))
    if payment.state not in FINAL_PAYMENT_STATES:
        Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now())
    return payment


# --- The worker source: polling and expiry ---------------------------------------------------

def _due_filter(now: datetime.datetime) -> Any:
    from django.db.models import Q
    poll_before = now - datetime.timedelta(seconds=settings.DURVIS_PAYMENT_POLL_SECONDS)
    return Q(source=PaymentSource.ONLINE, state__in=PENDING_STATES) & (
        Q(updated_at__lte=poll_before) | Q(expires_at__lte=now))


def poll_due() -> int:
    """One round of the worker source `payments.online`: every started payment not heard of for
    `DURVIS_PAYMENT_POLL_SECONDS` (its callback was lost) or past its expiry is asked about
    (`refresh`). Returns how many were asked."""
    due = list(Payment.objects.filter(_due_filter(timezone.now()))
               .select_related("invoice").order_by("updated_at")[:POLL_BATCH])
    for payment in due:
        refresh(payment)
    return len(due)


def next_poll_at() -> datetime.datetime | None:
    """When the earliest waiting payment is due to be asked about or to expire."""
    pending = Payment.objects.filter(source=PaymentSource.ONLINE, state__in=PENDING_STATES)
    found = pending.aggregate(updated=Min("updated_at"), expires=Min("expires_at"))
    times = [t for t in (found["expires"],) if t is not None]
    if found["updated"] is not None:
        times.append(found["updated"] + datetime.timedelta(
            seconds=settings.DURVIS_PAYMENT_POLL_SECONDS))
    return min(times) if times else None


def _nothing_leased(_worker_ids: Sequence[str]) -> int:
    return 0


SOURCES.register(Source("payments.online", poll_due, next_poll_at, _nothing_leased))


# --- Refunds ---------------------------------------------------------------------------------

class RefundFailed(Exception):
    """The provider refused the refund or could not be reached: nothing was given back and the
    payment's refundable amount is as before (`refund` is the failed Refund row)."""

    def __init__(self, refund: Refund) -> None:
        super().__init__(f"refund {refund.pk} failed")
        self.refund = refund


def refund(actor: Actor, payment: Payment, *, amount: Any, idempotency_key: str,
           reason: str) -> Refund:
    """Give back `amount` (EUR; all or part of what is left) of a successful online payment
    (A8) for the holder's finance specialist (`PaymentAction.MANAGE`). `Payment.refunded` is
    raised under the payment's row lock before the provider is asked, so two refunds at once
    cannot together pass what was paid (the database's check constraint backs it); the same
    `idempotency_key` again returns the first refund. On success the invoice is settled
    (`payment.changed`); audited.

    Raises PermissionDenied, ValidationError keyed `amount` (the codes of `parse_amount`;
    `too_much`: more than is left), `payment` (`state`: not a successful online payment),
    `reason` (`required`) and RefundFailed (the provider refused: the amount is released)."""
    require(actor, PaymentAction.MANAGE, payment.invoice)
    try:
        money = parse_amount(amount)
    except ValidationError as error:
        raise ValidationError({"amount": error.error_list}) from None
    if not (reason or "").strip():
        raise _error("reason", gettext("Give the reason."), "required")
    services.check_text(reason, "reason")
    key = (idempotency_key or "")[:100]
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("invoice").get(pk=payment.pk)
        existing = Refund.objects.filter(payment=locked, idempotency_key=key).first()
        if existing is not None:
            return existing
        if locked.source != PaymentSource.ONLINE or locked.state != PaymentState.SUCCESS:
            raise _error("payment", gettext("Only a successful online payment can be "
                                            "refunded."), "state")
        left = locked.amount - locked.refunded
        if money > left:
            raise _error("amount", gettext("At most %(left)s EUR is left to refund.")
                         % {"left": left}, "too_much")
        try:
            with transaction.atomic():
                Payment.objects.filter(pk=locked.pk).update(refunded=F("refunded") + money,
                                                            updated_at=timezone.now())
        except IntegrityError:  # the check constraint: never beyond the amount
            raise _error("amount", gettext("At most %(left)s EUR is left to refund.")
                         % {"left": left}, "too_much") from None
        row = Refund.objects.create(payment=locked, amount=money, state=RefundState.REQUESTED,
                                    reason=reason.strip()[:500], idempotency_key=key,
                                    requested_by=actor.staff.user if actor.staff else None)
        record(actor, "payments.refund.request", row, subject=_subject(locked.invoice),
               details={"invoice": locked.invoice.number, "amount": str(money)})
    merchant = MerchantAccount.objects.filter(
        institution_id=locked.invoice.holder_id, provider=locked.provider).order_by(
        "-active", "-pk").first()
    answer = None
    if merchant is not None:
        try:
            answer = provider(locked.provider).refund(
                merchant, locked.provider_payment_id, amount=money, reason=row.reason,
                idempotency_key=f"durvis-refund-{row.pk}")
        except (ProviderError, KeyError) as error:
            log.warning("refund %s: the provider refused: %s", row.pk, error)
    with transaction.atomic():
        invoice = services.lock_invoice(locked.invoice_id)
        if answer is None or answer.state != "success":
            Payment.objects.filter(pk=locked.pk).update(refunded=F("refunded") - money,
                                                        updated_at=timezone.now())
            row.state = RefundState.FAILED
            row.save(update_fields=["state", "updated_at"])
            record(actor, "payments.refund.failed", row, subject=_subject(invoice),
                   details={"invoice": invoice.number, "amount": str(money)})
        else:
            row.state, row.provider_refund_id = RefundState.SUCCESS, answer.id
            row.save(update_fields=["state", "provider_refund_id", "updated_at"])
            record(actor, "payments.refund.success", row, subject=_subject(invoice),
                   details={"invoice": invoice.number, "amount": str(money)})
            current = Payment.objects.get(pk=locked.pk)
            services.settle(actor, invoice, cause=f"refund:{row.pk}", payment=current)
    if row.state == RefundState.FAILED:
        raise RefundFailed(row)
    payment.refunded = Payment.objects.values_list("refunded", flat=True).get(pk=payment.pk)
    return row


def refundable(payment: Payment) -> Decimal:
    """What is left to refund of a payment (EUR)."""
    if payment.source != PaymentSource.ONLINE or payment.state != PaymentState.SUCCESS:
        return Decimal("0.00")
    return payment.amount - payment.refunded
