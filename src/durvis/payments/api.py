"""The invoices API (A8, B9, G28, G29) for the holder's systems: issue a post-payment invoice for
a case, register an invoice made in the holder's own system, read invoices and their payments,
report a payment from the finance system, cancel and credit an invoice.

Authenticated with an API client's bearer token; each operation names its scope (`x-scopes`):
`invoices:read`, `invoices:write`, `payments:write`, only for the invoices of the client's
institution within the services its token covers. Another institution's invoice is a 404 (as if
it did not exist); a token without the scope is a 403. Amounts are JSON strings of euros with a
point and at most two decimals (`"7.11"`): a JSON number is refused (money is never a float).
Every write accepts an `Idempotency-Key` header: a retry with the same key and body gets the
first answer and changes nothing. A payment also carries the finance system's own id
(`payment_id`): the same id twice books once, whatever the key.

- `POST /invoices` (`invoices:write`) → 201, the invoice;
- `GET /invoices?case_number=&state=&since=&limit=` (`invoices:read`) → the invoices in issue
  order after the cursor `since`, with `next_cursor`;
- `GET /invoices/{number}` (`invoices:read`) → the invoice, its lines and payments;
- `POST /invoices/{number}/payments` (`payments:write`) → 201 (recorded) or 200 (a repeat of
  the same `payment_id`); 409 `invoice_closed` for a cancelled or credited invoice;
- `POST /invoices/{number}/cancel` (`invoices:write`) → 200; 409 `paid` when money was paid,
  409 `invoice_closed` when closed already;
- `POST /invoices/{number}/credit` (`invoices:write`) → 201, the credit note.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from durvis.access.policy import decide, require, visible
from durvis.audit.services import Entry, record_many
from durvis.core.actor import Actor
from durvis.core.api import ApiError
from durvis.core.case_numbers import parse_case_number
from durvis.integrations.http import (
    ERRORS,
    ApiClientAuth,
    Cursor,
    Instant,
    Limit,
    OneOf,
    actor_of,
    idempotent_write,
    scopes,
)
from durvis.payments import queries
from durvis.payments import services as payments
from durvis.payments.models import (
    Invoice,
    InvoiceKind,
    InvoiceOrigin,
    InvoiceState,
    LineKind,
    Payment,
    PaymentSource,
)
from durvis.payments.money import parse_amount, parse_quantity, parse_vat_rate
from durvis.payments.references import printed
from durvis.payments.rules import INVOICES_READ, INVOICES_WRITE, PAYMENTS_WRITE, PaymentAction
from durvis.register.models import ServiceCase

router = Router(tags=["invoices"], auth=ApiClientAuth())

AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,12})?$"


def _a_string(value: Any) -> Any:
    """Money and quantities come as JSON strings: a JSON number (a float in most clients) is
    refused with its own type, `amount_not_string`."""
    if not isinstance(value, str):
        raise PydanticCustomError("amount_not_string", _(
            'Send the amount as a JSON string with a point, e.g. "7.11", never a number.'))
    return value


def _parsed(parse: Callable[[str], Decimal]) -> Callable[[str], str]:
    """An AfterValidator from a `money` parser: its refusal's code is the error's type
    (`invalid`, `precision`, `not_positive`, `too_large`), its message the error's `msg`."""
    def check(value: str) -> str:
        try:
            parsed = parse(value)
        except ValidationError as error:
            raise PydanticCustomError(error.code or "invalid", str(error.messages[0])) from None
        if len(value) > MONEY_MAX_LENGTH:  # "0000…7.11": a right number, written too long
            raise PydanticCustomError("string_too_long", _(
                "Write the number with at most 40 characters."))
        return str(parsed)
    return check


MONEY_MAX_LENGTH = 40


def _money_field(description: str, default: Any = ...) -> Any:
    # The length is checked after the number (`_parsed`): a number of any length past the
    # field's limit is `too_large`, said as such, not "too many characters".
    return Field(default, min_length=1, description=description, json_schema_extra={
        "pattern": AMOUNT_PATTERN, "maxLength": MONEY_MAX_LENGTH})


# An amount of euros in a request: `"7.11"`; a JSON number is a 422 of type `amount_not_string`.
Money = Annotated[str, BeforeValidator(_a_string), AfterValidator(_parsed(parse_amount))]
# A line's quantity (`"1"`, `"2.5"`) and VAT rate in percent (`"21"`), as JSON strings.
Quantity = Annotated[str, BeforeValidator(_a_string), AfterValidator(_parsed(parse_quantity))]
VatRate = Annotated[str, BeforeValidator(_a_string), AfterValidator(_parsed(parse_vat_rate))]

# An invoice's number in a path: `9999-76544-01` (the case number with a hyphen, the ordinal).
InvoiceNumber = Annotated[str, Path(..., pattern=r"^[0-9]{1,10}-[0-9]{2,19}-[0-9]{2}$",
                                    description="An invoice's number (`9999-76544-01`)")]


class LineIn(Schema):
    kind: Annotated[str, OneOf(*LineKind.values)] = Field(
        ..., description="`fee` or `state_duty`")
    description: str = Field(..., min_length=1, max_length=200)
    quantity: Quantity = _money_field("Above zero, at most three decimals (a JSON string)", "1")
    unit_price: Money = _money_field("EUR net of VAT, above zero, at most two decimals, as a "
                                     "JSON string (`\"7.11\"`)")
    vat_rate: VatRate = _money_field("VAT in percent, 0 to 100, at most two decimals (a JSON "
                                      "string)", "0")


class InvoiceIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"case_number": "9999 76544",
         "payer_name": "Jānis Bērziņš",
         "language": "lv",
         "origin": "external",
         "holder_number": "R-2026-1",
         "lines": [{"kind": "fee",
                    "description": "Ekspertīze",
                    "quantity": "1",
                    "unit_price": "7.11",
                    "vat_rate": "21"}]}]})

    case_number: str = Field(..., min_length=1, max_length=40, description=(
        "The case the invoice is for, as the register writes it (`9999 76544`)"))
    lines: list[LineIn] = Field(..., min_length=1, max_length=payments.MAX_LINES)
    due_date: datetime.date | None = Field(None, description=(
        "Default: 14 days after today; not before today"))
    payer_name: str = Field("", max_length=140, description="Default: the client's name")
    language: Annotated[str, OneOf("lv", "en")] = Field("lv", description=(
        "The language of the invoice's PDF"))
    origin: Annotated[str, OneOf(InvoiceOrigin.HOLDER, InvoiceOrigin.EXTERNAL)] = Field(
        InvoiceOrigin.HOLDER, description=(
            "`holder`: a post-payment invoice the platform makes; `external`: one made in your "
            "own system, registered so that the client pays it here (give `holder_number`)"))
    holder_number: str = Field("", max_length=40, description=(
        "Your own system's number of the invoice (required with `origin` external; unique)"))
    reference: str = Field("", max_length=35, description=(
        "Your own RF creditor reference (ISO 11649) of an external invoice; default: the "
        "platform's, from the service and case"))


class ReferenceOut(Schema):
    electronic: str = Field(..., description="`RF75499997654401`")
    printed: str = Field(..., description="`RF75 4999 9765 4401`")


class PayeeOut(Schema):
    name: str
    iban: str
    bic: str


class LineOut(Schema):
    position: int
    kind: str
    description: str
    quantity: str
    unit_price: str
    vat_rate: str
    net: str
    vat: str
    total: str


class PaymentOut(Schema):
    id: int
    source: str = Field(..., description="`online`, `finance_system`, `bank_statement`, "
                        "`manual`")
    state: str
    amount: str
    refunded: str
    paid_at: datetime.datetime | None
    bank_reference: str
    payer_name: str
    payment_id: str = Field(..., description="The finance system's id (its payments only)")
    created_at: datetime.datetime
    mandate: int | None = Field(..., description="The number of the mandate the payer relied "
                                "on (an online payment started by a representative), or null")


class InvoiceLinksOut(Schema):
    self: str
    payments: str
    case: str


class InvoiceOut(Schema):
    number: str
    holder_number: str
    case_number: str
    service_code: int
    kind: str = Field(..., description="`prepayment`, `postpayment`, `credit_note`")
    origin: str
    state: str = Field(..., description="`issued`, `partly_paid`, `paid`, `overpaid`, "
                       "`overdue`, `cancelled`, `credited`")
    reference: ReferenceOut
    currency: str
    total: str
    paid: str
    refunded: str
    payer_name: str
    payee: PayeeOut
    language: str
    issue_date: datetime.date
    due_date: datetime.date
    issued_at: datetime.datetime
    closed_at: datetime.datetime | None
    closed_reason: str
    credits: str | None = Field(..., description="A credit note: the invoice it credits")
    lines: list[LineOut]
    payments: list[PaymentOut]
    links: InvoiceLinksOut


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next_cursor: str = Field(..., description="Ask again with since=next_cursor (opaque: keep "
                             "it as given)")


class InvoicesQuery(Schema):
    case_number: str = Field("", max_length=40, description="Only this case's invoices")
    state: Annotated[str, OneOf("", *InvoiceState.values)] = ""
    since: Cursor = "0"
    limit: Limit = 100


class PaymentIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"amount": "7.11",
         "paid_at": "2026-11-20T10:00:00+02:00",
         "payment_id": "FS-1",
         "bank_reference": "2026112000012345",
         "payer_name": "Jānis Bērziņš"}]})

    amount: Money = _money_field("EUR received, above zero, at most two decimals, as a JSON "
                                 "string")
    paid_at: Instant
    payment_id: str = Field(..., min_length=1, max_length=100, description=(
        "Your finance system's id of the payment: the same id twice books once"))
    bank_reference: str = Field("", max_length=140, description="The bank's reference")
    payer_name: str = Field("", max_length=140)


class PaymentRecordedOut(Schema):
    outcome: Literal["recorded", "duplicate"]
    payment: PaymentOut
    invoice: InvoiceOut


class ReasonIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "Pakalpojums netika sniegts"}]})

    reason: str = Field(..., min_length=1, max_length=500)


# --- Shapes -----------------------------------------------------------------------------------

def _line_out(line: Any) -> dict[str, Any]:
    return {"position": line.position, "kind": line.kind, "description": line.description,
            "quantity": str(line.quantity.normalize()) if line.quantity else "0",
            "unit_price": str(line.unit_price), "vat_rate": str(line.vat_rate),
            "net": str(line.net), "vat": str(line.vat), "total": str(line.total)}


def _payment_out(payment: Payment) -> dict[str, Any]:
    key = payment.dedup_key
    return {"id": payment.pk, "source": payment.source, "state": payment.state,
            "amount": str(payment.amount), "refunded": str(payment.refunded),
            "paid_at": payment.paid_at, "bank_reference": payment.bank_reference,
            "payer_name": payment.payer_name,
            "payment_id": key.removeprefix(FINANCE_KEY) if key.startswith(FINANCE_KEY) else "",
            "created_at": payment.created_at, "mandate": payment.mandate_id}


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    """The API's shape of an invoice (`InvoiceOut`): amounts as strings, its lines and payments
    (the caller has been allowed to read it)."""
    path = f"/api/v1/invoices/{invoice.number}"
    credits = (Invoice.objects.filter(pk=invoice.credits_id).values_list("number", flat=True)
               .first() if invoice.credits_id else None)
    return {
        "number": invoice.number, "holder_number": invoice.holder_number,
        "case_number": invoice.case.number, "service_code": invoice.case.service.code,
        "kind": invoice.kind, "origin": invoice.origin, "state": invoice.state,
        "reference": {"electronic": invoice.reference, "printed": printed(invoice.reference)},
        "currency": invoice.currency, "total": str(invoice.total), "paid": str(invoice.paid),
        "refunded": str(invoice.refunded), "payer_name": invoice.payer_name,
        "payee": {"name": invoice.payee_name, "iban": invoice.payee_iban,
                  "bic": invoice.payee_bic},
        "language": invoice.language, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "issued_at": invoice.issued_at,
        "closed_at": invoice.closed_at, "closed_reason": invoice.closed_reason,
        "credits": credits,
        "lines": [_line_out(line) for line in invoice.lines.order_by("position")],
        "payments": [_payment_out(p) for p in queries.payments_of(invoice)],
        "links": {"self": path, "payments": f"{path}/payments",
                  "case": f"/api/v1/cases/{invoice.case.number.replace(' ', '-')}"},
    }


FINANCE_KEY = "finance:"


def _system_invoice(actor: Actor, number: str, action: PaymentAction) -> Invoice:
    """The invoice `number` for a write of `action`: a token without the action's scope is a
    403 (PermissionDenied), an unknown invoice and another institution's (or a service the
    token does not cover) alike a 404 (Invoice.DoesNotExist)."""
    require(actor, action, None)
    invoice = (Invoice.objects.select_related("case", "case__service", "holder")
               .filter(number=number).first())
    if invoice is None or not decide(actor, action, invoice):
        raise Invoice.DoesNotExist
    return invoice


def _closed(invoice: Invoice) -> tuple[int, dict[str, Any]]:
    return 409, {"detail": [{"loc": ["path", "number"], "type": "invoice_closed",
                             "msg": _("The invoice is %(state)s: it takes no payment and no "
                                      "other change.") % {"state": invoice.get_state_display()}}]}


def _reloaded(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_related("case", "case__service").get(pk=invoice.pk)


# --- Operations -------------------------------------------------------------------------------

@router.post("/invoices", response={201: InvoiceOut, **ERRORS},
             summary="Issue a post-payment invoice or register one made in your system",
             openapi_extra=scopes(INVOICES_WRITE))
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> Status[Any]:
    """A post-payment invoice for a case of your institution once the amount is known (A8), or
    (`origin` external) an invoice your own system made, registered so that the client pays it
    through the platform with its RF reference (G28). The invoice is paid into your
    institution's default payee account; `invoice.issued` is sent to your webhooks. An unknown
    case (or another institution's) is a 422 `not_found` at `["body", "case_number"]`.
    Accepts `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        actor = actor_of(request)
        require(actor, PaymentAction.SYSTEM_INVOICE, None)
        if payload.origin == InvoiceOrigin.EXTERNAL and not payload.holder_number.strip():
            raise ApiError(422, ["body", "holder_number"], _(
                "Give your system's number of the invoice."), "required")
        if payload.reference and payload.origin != InvoiceOrigin.EXTERNAL:
            raise ApiError(422, ["body", "reference"], _(
                "Only an invoice made in your own system brings its own reference."),
                "not_external")
        try:
            parse_case_number(payload.case_number)
        except ValidationError as error:
            raise ApiError(422, ["body", "case_number"], str(error.messages[0]),
                           error.code or "invalid") from None
        new = payments.NewInvoice(
            kind=InvoiceKind.POSTPAYMENT, origin=payload.origin,
            lines=[payments.NewLine(kind=line.kind, description=line.description,
                                    unit_price=line.unit_price, quantity=line.quantity,
                                    vat_rate=line.vat_rate) for line in payload.lines],
            due_date=payload.due_date, payer_name=payload.payer_name, language=payload.language,
            holder_number=payload.holder_number, reference=payload.reference)
        try:
            invoice = payments.issue_invoice(actor, payload.case_number, new)
        except (ServiceCase.DoesNotExist, PermissionDenied):
            # Another institution's case (the scope was checked above) is said as unknown.
            raise ApiError(422, ["body", "case_number"], _("No such case for this client."),
                           "not_found") from None
        except ValidationError as error:
            raise ApiError.problems(422, _body_problems(error)) from None
        return 201, invoice_out(_reloaded(invoice))

    return idempotent_write(request, handler)


def _body_problems(error: ValidationError) -> list[dict[str, Any]]:
    """A domain refusal of a body's fields as the API's error items: `lines.0.unit_price` is
    `["body", "lines", 0, "unit_price"]`."""
    if not hasattr(error, "error_dict"):
        return [{"loc": ["body"], "msg": " ".join(error.messages),
                 "type": error.code or "invalid"}]
    return [{"loc": ["body", *(int(p) if p.isdigit() else p for p in name.split("."))],
             "msg": e.message % (e.params or {}), "type": e.code or "invalid"}
            for name, errors in error.error_dict.items() for e in errors]


@router.get("/invoices", response={200: InvoicePage, **ERRORS},
            summary="Your institution's invoices", openapi_extra=scopes(INVOICES_READ))
def list_invoices(request: HttpRequest, query: Query[InvoicesQuery]) -> dict[str, Any]:
    """Your institution's invoices (within your client's services) in issue order after the
    cursor `since`, filtered by case (`case_number`, as the register writes it) and by state;
    ask again with `next_cursor`. A state changes without a new place in the order: follow
    `payment.changed` webhooks, or read an invoice again."""
    actor = actor_of(request)
    require(actor, PaymentAction.SYSTEM_READ, None)
    invoices = (visible(actor, PaymentAction.SYSTEM_READ, Invoice.objects.all())
                .select_related("case", "case__service").prefetch_related("lines")
                .order_by("pk"))
    if query.case_number:
        try:
            number = str(parse_case_number(query.case_number))
        except ValidationError as error:
            raise ApiError(422, ["query", "case_number"], str(error.messages[0]),
                           error.code or "invalid") from None
        invoices = invoices.filter(case__number=number)
    if query.state:
        invoices = invoices.filter(state=query.state)
    after = int(query.since.rpartition(".")[2])
    page = list(invoices.filter(pk__gt=after)[:query.limit])
    record_many(actor, [Entry("payments.invoice.list", "payments.invoice", str(i.pk),
                              i.client_person_id, purpose="api") for i in page])
    return {"items": [invoice_out(i) for i in page],
            "next_cursor": str(page[-1].pk) if page else query.since}


@router.get("/invoices/{number}", response={200: InvoiceOut, **ERRORS},
            summary="An invoice with its lines and payments", openapi_extra=scopes(INVOICES_READ))
def get_invoice(request: HttpRequest, number: InvoiceNumber) -> dict[str, Any]:
    """Another institution's invoice is a 404, as an unknown one."""
    actor = actor_of(request)
    require(actor, PaymentAction.SYSTEM_READ, None)
    return invoice_out(queries.finance_invoice(actor, number, purpose="api"))


@router.post("/invoices/{number}/payments", response={201: PaymentRecordedOut,
                                                       200: PaymentRecordedOut, **ERRORS},
             summary="Report a payment from your finance system",
             openapi_extra=scopes(PAYMENTS_WRITE),
             operation_id="postInvoicePayment")
def post_payment(request: HttpRequest, payload: PaymentIn, number: InvoiceNumber) -> Status[Any]:
    """Money received for the invoice, as your finance system matched it (the Treasury's or
    the bank's notice, G29): the invoice's state follows (partly paid, paid, overpaid), the
    case's payment status moves, the client is told and `payment.changed` is sent. 201 when
    recorded; 200 with `outcome` `duplicate` for a `payment_id` already recorded (nothing
    booked twice; the same `payment_id` with another amount is a 409 `conflict`). A cancelled
    or credited invoice is a 409 `invoice_closed`. Accepts
    `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        actor = actor_of(request)
        invoice = _system_invoice(actor, number, PaymentAction.SYSTEM_PAY)
        skew = datetime.timedelta(seconds=settings.DURVIS_CLOCK_SKEW_SECONDS)
        if payload.paid_at > timezone.now() + skew:
            raise ApiError(422, ["body", "paid_at"], _("The time is in the future."), "future")
        try:
            payment, created = payments.record_payment(
                actor, invoice, source=PaymentSource.FINANCE_SYSTEM, amount=payload.amount,
                paid_at=payload.paid_at, dedup_key=f"{FINANCE_KEY}{payload.payment_id}",
                bank_reference=payload.bank_reference, payer_name=payload.payer_name)
        except payments.InvoiceClosed as closed:
            return _closed(closed.invoice)
        except ValidationError as error:
            raise ApiError.problems(422, _body_problems(error)) from None
        if not created and payment.amount != Decimal(payload.amount):
            raise ApiError(409, ["body", "payment_id"], _(
                "A payment with this payment_id was recorded with another amount (%(amount)s): "
                "send a new payment_id for another payment.") % {"amount": payment.amount},
                "conflict")
        return (201 if created else 200), {
            "outcome": "recorded" if created else "duplicate",
            "payment": _payment_out(payment), "invoice": invoice_out(_reloaded(invoice))}

    return idempotent_write(request, handler)


@router.post("/invoices/{number}/cancel", response={200: InvoiceOut, **ERRORS},
             summary="Cancel an invoice nothing was paid on", openapi_extra=scopes(INVOICES_WRITE),
             operation_id="cancelInvoice")
def cancel(request: HttpRequest, payload: ReasonIn, number: InvoiceNumber) -> Status[Any]:
    """Final. Money was paid on it: a 409 `paid` (credit it instead); cancelled or credited
    already: a 409 `invoice_closed`. Accepts `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        actor = actor_of(request)
        invoice = _system_invoice(actor, number, PaymentAction.SYSTEM_INVOICE)
        try:
            payments.cancel_invoice(actor, invoice, reason=payload.reason)
        except payments.InvoiceClosed as closed:
            return _closed(closed.invoice)
        except ValidationError as error:
            if getattr(error, "error_dict", {}).get("state"):
                return 409, {"detail": [{"loc": ["path", "number"], "type": "paid",
                                         "msg": error.error_dict["state"][0].message}]}
            raise ApiError.problems(422, _body_problems(error)) from None
        return 200, invoice_out(_reloaded(invoice))

    return idempotent_write(request, handler)


@router.post("/invoices/{number}/credit", response={201: InvoiceOut, **ERRORS},
             summary="Credit an invoice in full (a credit note)",
             openapi_extra=scopes(INVOICES_WRITE),
             operation_id="creditInvoice")
def credit(request: HttpRequest, payload: ReasonIn, number: InvoiceNumber) -> Status[Any]:
    """A credit note for minus the invoice's total is issued for the same case (the answer)
    and the invoice becomes credited (final); what was paid is refunded separately. Cancelled
    or credited already: a 409 `invoice_closed`. Accepts `Idempotency-Key`."""
    def handler() -> tuple[int, Any]:
        actor = actor_of(request)
        invoice = _system_invoice(actor, number, PaymentAction.SYSTEM_INVOICE)
        try:
            note = payments.credit_invoice(actor, invoice, reason=payload.reason)
        except payments.InvoiceClosed as closed:
            return _closed(closed.invoice)
        except ValidationError as error:
            raise ApiError.problems(422, _body_problems(error)) from None
        return 201, invoice_out(_reloaded(note))

    return idempotent_write(request, handler)
