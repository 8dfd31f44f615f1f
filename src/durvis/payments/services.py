"""Writes of invoices and payments (A8, B1, B9): issuing, recording payments, settling an
invoice's state, cancelling and crediting. Every write checks the one policy (or is called by an
app that checked it: the e-form journey issuing a prepayment invoice), is audited, moves the
case's payment status in the register and publishes what happened (`durvis.payments.events`).

The state of an invoice follows from its money (`settle`): nothing paid → issued (overdue after
the due date); part of it → partly paid (overdue after the due date); all of it → paid; more →
overpaid. Cancelled (nothing was paid) and credited (a credit note) are the holder's decisions
and final. Online payments (`durvis.payments.online`) and bank statements
(`durvis.payments.statements`) record money through `record_payment` and `settle` here.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Sum
from django.utils import timezone
from django.utils.translation import gettext, override
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.core import bulk
from durvis.core.actor import Actor
from durvis.core.case_numbers import parse_case_number
from durvis.core.events import publish
from durvis.core.text import normalise, problem
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import audit_subject_of
from durvis.payments.events import INVOICE_ISSUED, PAYMENT_CHANGED
from durvis.payments.models import (
    OPEN_STATES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceOrigin,
    InvoiceState,
    LineKind,
    PayeeAccount,
    Payment,
    PaymentState,
)
from durvis.payments.money import (
    MAX_AMOUNT,
    parse_amount,
    parse_quantity,
    parse_vat_rate,
    round_cents,
)
from durvis.payments.references import creditor_reference, parse_reference
from durvis.payments.rules import PaymentAction
from durvis.register import services as register
from durvis.register.models import ServiceCase

MAX_LINES = 50
CLOSED_STATES = (InvoiceState.CANCELLED, InvoiceState.CREDITED)


class InvoiceClosed(Exception):
    """The invoice is cancelled or credited: it takes no payment and no other change."""

    def __init__(self, invoice: Invoice) -> None:
        super().__init__(f"invoice {invoice.number} is {invoice.state}")
        self.invoice = invoice


def _error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def check_text(value: str, name: str) -> None:
    """Refuse text the platform's text rule refuses (`durvis.core.text.problem`: control
    characters, direction overrides, only invisible characters), keyed `name`."""
    found = problem(normalise(value))
    if found is not None:
        raise _error(name, *found)


# --- Payee accounts ----------------------------------------------------------------------------

# Countries whose IBAN carries the bank's BIC bank code (its first 4 letters) as its bank
# code: Latvia (LV80 BANK …, BIC BANKLV2X; the Bank of Latvia's IBAN standard), the Netherlands,
# the United Kingdom and Ireland.
BIC_BANK_CODE_COUNTRIES = frozenset({"LV", "NL", "GB", "IE"})


def check_account(iban: str, bic: str = "") -> tuple[str, str]:
    """An IBAN and BIC as typed (spaces, lower case), checked with `schwifty` and in their
    electronic form (`LV71TREL9140401016000`, `TRELLV22`). Without a BIC, the IBAN's bank's
    (schwifty's bank registry) is taken; a given BIC must be that bank's (`_check_bank`).
    Raises ValidationError keyed `iban` (code `invalid`: a wrong check, length or country
    format) or `bic` (`invalid`; `country`: a bank of another country; `bank`: another bank's;
    `required`: the IBAN's bank is unknown)."""
    try:
        parsed_iban = IBAN(iban or "")
    except SchwiftyException:
        raise _error("iban", gettext("The IBAN is not valid: check it for a typo."),
                     "invalid") from None
    known = parsed_iban.bic
    if not (bic or "").strip():
        if known is None:
            raise _error("bic", gettext("Give the bank's BIC."), "required")
        return str(parsed_iban.compact), str(known).removesuffix("XXX")
    try:
        parsed_bic = BIC(bic)
    except SchwiftyException:
        raise _error("bic", gettext("The BIC is not valid: 8 or 11 letters and digits, e.g. "
                                    "TRELLV22."), "invalid") from None
    _check_bank(parsed_iban, parsed_bic)
    return str(parsed_iban.compact), str(parsed_bic.compact)


def _check_bank(iban: IBAN, bic: BIC) -> None:
    """Refuse a BIC that is not the bank's of `iban`: a BIC of another country (code
    `country`); when schwifty's registry knows the IBAN's bank, any other BIC (`bank`); when it
    does not, in a country whose IBAN carries the BIC's bank code (`BIC_BANK_CODE_COUNTRIES`:
    `LV80 BANK …` is a bank whose BIC begins `BANK`), a BIC beginning otherwise (`bank`)."""
    if bic.country_code != iban.country_code:
        raise _error("bic", gettext(
            "The BIC %(bic)s is of a bank in another country (%(bic_country)s) than the IBAN "
            "(%(iban_country)s).") % {"bic": bic.compact, "bic_country": bic.country_code,
                                      "iban_country": iban.country_code}, "country")
    known = iban.bic
    if known is not None:
        mismatch = str(known)[:8] != str(bic.compact)[:8]
    else:
        mismatch = (iban.country_code in BIC_BANK_CODE_COUNTRIES
                    and str(iban.bank_code).upper() != str(bic.bank_code).upper())
    if mismatch:
        raise _error("bic", gettext(
            "The BIC %(bic)s is another bank's: the IBAN's bank code is %(code)s, so its "
            "BIC begins with %(prefix)s.") % {
                "bic": bic.compact, "code": iban.bank_code,
                "prefix": str(known)[:4] if known is not None else iban.bank_code}, "bank")


@transaction.atomic
def save_payee_account(actor: Actor, institution: Institution, *, name: str, iban: str, bic: str,
                       is_default: bool = True, new: bool = False) -> PayeeAccount:
    """Add (or update, by IBAN) a payee account of `institution` (A8): `name` is the
    beneficiary's name as banks show it (≤ 70 characters). A default account becomes the
    institution's only default; `new` (adding on the accounts page) refuses an IBAN the
    institution has (code `taken`) instead of updating it. Audited. Raises PermissionDenied
    unless the actor is the institution's finance specialist (or the platform's own system
    setting up demo data), and ValidationError keyed `name`, `iban`, `bic`."""
    if actor.kind != "system":
        require(actor, PaymentAction.MANAGE, _Holder(institution.pk))
    name = (name or "").strip()
    if not name or len(name) > 70:
        raise _error("name", gettext("Give the beneficiary's name (at most 70 characters)."),
                     "invalid")
    check_text(name, "name")
    iban, bic = check_account(iban, bic)
    if new and PayeeAccount.objects.filter(institution=institution, iban=iban,
                                           active=True).exists():
        raise _error("iban", gettext("The institution has this account already."), "taken")
    if is_default:
        PayeeAccount.objects.filter(institution=institution, is_default=True).exclude(
            iban=iban).update(is_default=False)
    account, _created = PayeeAccount.objects.update_or_create(
        institution=institution, iban=iban,
        defaults={"name": name, "bic": bic, "is_default": is_default, "active": True})
    record(actor, "payments.payee_account.save", account, details={"institution": institution.code})
    return account


@dataclass(frozen=True)
class _Holder:
    """An institution as the object of the policy's holder check (`holder_id`)."""

    holder_id: int


def payee_account_of(institution: Institution) -> PayeeAccount | None:
    """The institution's default active payee account, or None."""
    return PayeeAccount.objects.filter(institution=institution, is_default=True,
                                       active=True).first()


# --- Issuing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewLine:
    """A line to invoice: `quantity` (up to 3 decimals, above zero) × `unit_price` (EUR, net of
    VAT, two decimals, above zero) plus VAT at `vat_rate` percent (0–100, two decimals)."""

    kind: str
    description: str
    unit_price: Any
    quantity: Any = Decimal("1")
    vat_rate: Any = Decimal("0")


@dataclass(frozen=True)
class NewInvoice:
    """An invoice to issue for a case: its `kind` (prepayment, post-payment), `lines`, optional
    due date (default: `DURVIS_INVOICE_DUE_DAYS` after today), payer name (default: the
    client's name) and language of its PDF (lv, en). An invoice made in the holder's own system
    (`origin` external) brings its number there (`holder_number`) and may bring its own RF
    `reference`."""

    kind: str
    lines: Sequence[NewLine]
    origin: str = InvoiceOrigin.HOLDER
    due_date: datetime.date | None = None
    payer_name: str = ""
    language: str = "lv"
    holder_number: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def issue_prepayment(actor: Actor, case: ServiceCase, *, language: str) -> Invoice | None:
    """The prepayment invoice of a just-opened case whose service is paid before it is provided
    (A8, seed 4.2 lines 1687-1695): one line, the service's fee, issued by the platform in the
    caller's transaction (the e-form journey's submit, which has checked the client's right to
    apply). Returns None for a free or post-paid service. Raises ValidationError keyed `payment`
    (code `no_payee_account`) when the holder has no account to pay into."""
    service = case.service
    if service.fee_kind != "prepayment" or not service.fee_amount:
        return None
    with override(language):
        # The service's name only: the line's kind ("Service fee") is shown beside it, and
        # pages show the name in the reader's language (`InvoiceLine.label`).
        description = str(service.name)
    return _issue(actor, case, NewInvoice(
        kind=InvoiceKind.PREPAYMENT, origin=InvoiceOrigin.PLATFORM, language=language,
        lines=[NewLine(kind=LineKind.FEE, description=description[:200],
                       unit_price=service.fee_amount)]))


def issue_invoice(actor: Actor, case_number: str, new: NewInvoice) -> Invoice:
    """A holder issues an invoice for one of its cases (A8, G28): a post-payment invoice once the
    amount is known, or one made in its own system (`origin` external) registered so that the
    client pays it through the platform. In one transaction: the case locked, the lines checked,
    the invoice, its lines, the case's payment status, the audit entry and `invoice.issued` (to
    the holder's finance system through the outbox). Raises PermissionDenied (a finance
    specialist or a system with `invoices:write` naming another institution's case),
    ServiceCase.DoesNotExist (an unknown case, a malformed number; anyone else), and
    ValidationError keyed `lines` (`required`, `too_many`),
    `lines.<i>.<field>` (the codes of `money.parse_amount`, `parse_quantity`,
    `parse_vat_rate`: `invalid`, `not_positive`, `too_large`, `precision`), `total`, `due_date`
    (`before_issue`), `reference` (`format`, `checksum`, `taken`), `holder_number` (`taken`),
    `payment` (`no_payee_account`)."""
    with transaction.atomic():
        case = _case_for_invoice(actor, case_number)
        return _issue(actor, case, new)


def _case_for_invoice(actor: Actor, number: str) -> ServiceCase:
    try:
        parsed = parse_case_number(number)
    except ValidationError:
        raise ServiceCase.DoesNotExist from None
    case = (ServiceCase.objects.select_for_update(of=("self",))
            .select_related("service", "holder", "client_person", "client_company")
            .filter(number=str(parsed)).first())
    action = PaymentAction.SYSTEM_INVOICE if actor.api is not None else PaymentAction.MANAGE
    if case is None or not decide(actor, action, case):
        if case is not None and decide(actor, action, None):
            raise PermissionDenied("another institution's case")
        raise ServiceCase.DoesNotExist
    return case


def _issue(actor: Actor, case: ServiceCase, new: NewInvoice) -> Invoice:
    with transaction.atomic():
        account = payee_account_of(case.holder)
        if account is None:
            raise _error("payment", gettext(
                "The institution cannot take payments yet: it has no account for them. Contact "
                "the institution."), "no_payee_account")
        lines = _checked_lines(new.lines)
        total = sum((line.total for line in lines), Decimal("0.00"))
        if total > MAX_AMOUNT:
            raise _error("total", gettext("The total is at most 999 999 999.99 EUR."),
                         "too_large")
        today = timezone.localdate()
        due = new.due_date or today + datetime.timedelta(days=settings.DURVIS_INVOICE_DUE_DAYS)
        if due < today:
            raise _error("due_date", gettext("The due date cannot be before the issue date."),
                         "before_issue")
        ordinal = _next_ordinal(case)
        invoice = Invoice(
            client_person=case.client_person, client_company=case.client_company,
            number=invoice_number(case, ordinal), holder_number=new.holder_number.strip(),
            case=case, ordinal=ordinal, kind=new.kind, origin=new.origin, holder=case.holder,
            payer_name=(new.payer_name.strip() or _client_name(case))[:140],
            payee_name=account.name, payee_iban=account.iban, payee_bic=account.bic,
            reference=_reference(case, ordinal, new.reference), total=total,
            language=new.language if new.language in ("lv", "en") else "lv",
            issue_date=today, due_date=due, issued_at=timezone.now(),
            issued_by=actor.staff.user if actor.staff else None)
        _save_new(invoice)
        for position, line in enumerate(lines, start=1):
            line.invoice, line.position = invoice, position
        InvoiceLine.objects.bulk_create(lines)
        record(actor, "payments.invoice.issue", invoice, subject=audit_subject_of(invoice),
               details={"number": invoice.number, "total": str(total), "kind": new.kind})
        _case_status(actor, invoice, f"invoice:{invoice.number}:issued")
        publish(actor, INVOICE_ISSUED, [(f"invoice:{invoice.pk}", {
            **invoice_facts(invoice), "kind": invoice.kind,
            "due_date": invoice.due_date.isoformat()})])
        return invoice


def _save_new(invoice: Invoice) -> None:
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        if invoice.holder_number and Invoice.objects.filter(
                holder=invoice.holder, holder_number=invoice.holder_number).exists():
            raise _error("holder_number", gettext(
                "An invoice with this number of yours is registered already."), "taken") from None
        raise _error("reference", gettext("This payment reference belongs to another invoice."),
                     "taken") from None


def _checked_lines(new_lines: Sequence[NewLine]) -> list[InvoiceLine]:
    if not new_lines:
        raise _error("lines", gettext("An invoice needs at least one line."), "required")
    if len(new_lines) > MAX_LINES:
        raise _error("lines", gettext("An invoice has at most 50 lines."), "too_many")
    return [_checked_line(i, line) for i, line in enumerate(new_lines)]


def _checked_line(index: int, new: NewLine) -> InvoiceLine:
    def failing(name: str, error: ValidationError) -> ValidationError:
        return ValidationError({f"lines.{index}.{name}": error.error_list})

    if new.kind not in LineKind.values:
        raise failing("kind", ValidationError(gettext("A line is a fee or a state duty."),
                                              code="invalid"))
    description = (new.description or "").strip()
    if not description or len(description) > 200:
        raise failing("description", ValidationError(
            gettext("Describe the line (at most 200 characters)."), code="invalid"))
    check_text(description, f"lines.{index}.description")
    try:
        unit_price = parse_amount(new.unit_price)
    except ValidationError as error:
        raise failing("unit_price", error) from None
    quantity = _quantity(new.quantity, failing)
    vat_rate = _vat_rate(new.vat_rate, failing)
    net = round_cents(unit_price * quantity)
    vat = round_cents(net * vat_rate / 100)
    return InvoiceLine(kind=new.kind, description=description, quantity=quantity,
                       unit_price=unit_price, vat_rate=vat_rate, net=net, vat=vat, total=net + vat)


def _quantity(value: Any, failing: Any) -> Decimal:
    try:
        return parse_quantity(value)
    except ValidationError as error:
        raise failing("quantity", error) from None


def _vat_rate(value: Any, failing: Any) -> Decimal:
    try:
        return parse_vat_rate(value)
    except ValidationError as error:
        raise failing("vat_rate", error) from None


def _next_ordinal(case: ServiceCase) -> int:
    last = Invoice.objects.filter(case=case).order_by("-ordinal").values_list(
        "ordinal", flat=True).first()
    ordinal = (last or 0) + 1
    if ordinal > 99:
        raise _error("case", gettext("A case has at most 99 invoices."), "too_many")
    return ordinal


def invoice_number(case: ServiceCase, ordinal: int) -> str:
    """An invoice's number: the case number with a hyphen for its space and the invoice's
    ordinal within the case (`9999-76544-01`), safe in a URL path."""
    return f"{case.number.replace(' ', '-')}-{ordinal:02d}"


def _reference(case: ServiceCase, ordinal: int, given: str) -> str:
    if given:
        try:
            return parse_reference(given)
        except ValidationError as error:
            raise ValidationError({"reference": error.error_list}) from None
    return creditor_reference(case.service.code, case.sequence, ordinal)


def _client_name(case: ServiceCase) -> str:
    client: Person | Company | None = case.client_company or case.client_person
    if isinstance(client, Company):
        return client.name
    if isinstance(client, Person):
        return f"{client.given_name} {client.family_name}"
    return ""


# --- Money in, state out ---------------------------------------------------------------------

def invoice_facts(invoice: Invoice) -> dict[str, Any]:
    """An invoice event's payload (`durvis.payments.events`): identifiers, state and amounts as
    strings; the webhook item is the same without the client's ids (`_Owed.facts`)."""
    return _Owed(*(getattr(invoice, "pk" if column == "id" else column)
                   for column in _Owed.COLUMNS)).facts(invoice.case.number)


class Owing(Protocol):
    """What `state_of` reads of an invoice (a model instance or a plain row)."""

    state: str
    paid: Decimal
    total: Decimal
    due_date: datetime.date


def state_of(invoice: Owing, today: datetime.date | None = None) -> str:
    """The state an invoice's money gives it on `today` (default: today), by the rules of the
    module docstring; cancelled and credited stay as they are."""
    if invoice.state in CLOSED_STATES:
        return str(invoice.state)
    late = (today or timezone.localdate()) > invoice.due_date
    if invoice.paid <= 0:
        return InvoiceState.OVERDUE if late else InvoiceState.ISSUED
    if invoice.paid < invoice.total:
        return InvoiceState.OVERDUE if late else InvoiceState.PARTLY_PAID
    return InvoiceState.PAID if invoice.paid == invoice.total else InvoiceState.OVERPAID


def lock_invoice(invoice_id: int) -> Invoice:
    """The invoice, locked (`select_for_update`) until the caller's transaction ends, with its
    case and service."""
    return (Invoice.objects.select_for_update(of=("self",))
            .select_related("case", "case__service").get(pk=invoice_id))


def settle(actor: Actor, invoice: Invoice, *, cause: str, payment: Payment | None = None) -> bool:
    """Recompute the locked `invoice`'s paid amount (successful payments less refunds) and
    state; when either changed, save it, move the case's payment status, audit and publish
    `payment.changed` (the client is told, the holder's systems get a webhook). `cause` is a
    short unique label of what changed (`payment:<id>:success`), for the history's dedup.
    Returns whether anything changed. The caller holds the invoice's lock (`lock_invoice`)."""
    previous = invoice.state
    paid = Payment.objects.filter(invoice=invoice, state=PaymentState.SUCCESS).aggregate(
        total=Sum(F("amount") - F("refunded")))["total"] or Decimal("0.00")
    refunded = Payment.objects.filter(invoice=invoice).aggregate(
        total=Sum("refunded"))["total"] or Decimal("0.00")
    invoice.paid, invoice.refunded = paid, refunded
    state = state_of(invoice)
    changed = state != previous or payment is not None
    if not changed and Invoice.objects.filter(pk=invoice.pk, paid=paid, refunded=refunded).exists():
        return False
    invoice.state = state
    invoice.version += 1
    invoice.save(update_fields=["paid", "refunded", "state", "version", "updated_at"])
    record(actor, "payments.invoice.settle", invoice, subject=audit_subject_of(invoice),
           details={"state": state, "previous": previous, "paid": str(paid), "cause": cause})
    _case_status(actor, invoice, f"invoice:{invoice.number}:{cause}")
    publish(actor, PAYMENT_CHANGED, [(f"invoice:{invoice.pk}", {
        **invoice_facts(invoice), "previous_state": previous,
        "payment_id": payment.pk if payment else None,
        "payment_state": payment.state if payment else "",
        "amount": str(payment.amount) if payment else ""})])
    return True


@transaction.atomic
def record_payment(actor: Actor, invoice: Invoice, *, source: str, amount: Any,
                   paid_at: datetime.datetime, dedup_key: str, bank_reference: str = "",
                   payer_name: str = "") -> tuple[Payment, bool]:
    """Money received for `invoice` (A8, G29): reported by the holder's finance system, an entry
    of a bank statement, or a person matching an entry by hand. Written as a successful payment
    and the invoice settled, in one transaction; the caller has checked the policy. Repeated
    with the same `dedup_key` (the finance system's payment id, the statement entry's key) it
    returns the stored payment and `False`, and books nothing. Raises ValidationError keyed
    `amount` (the codes of `parse_amount`) and InvoiceClosed for a cancelled or credited
    invoice."""
    amount = _amount("amount", amount)
    locked = lock_invoice(invoice.pk)
    existing = Payment.objects.filter(invoice=locked, dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    if locked.state in CLOSED_STATES:
        raise InvoiceClosed(locked)
    payment = Payment.objects.create(
        invoice=locked, source=source, state=PaymentState.SUCCESS, amount=amount,
        bank_reference=bank_reference[:140], payer_name=payer_name[:140], paid_at=paid_at,
        dedup_key=dedup_key)
    record(actor, "payments.payment.record", payment, subject=audit_subject_of(locked),
           details={"invoice": locked.number, "amount": str(amount), "source": source})
    settle(actor, locked, cause=f"payment:{payment.pk}:success", payment=payment)
    invoice.state, invoice.paid = locked.state, locked.paid
    return payment, True


@dataclass(frozen=True)
class Received:
    """Money received for one invoice, for `record_payments` (the fields of `record_payment`)."""

    invoice_id: int
    amount: Decimal
    paid_at: datetime.datetime
    dedup_key: str
    bank_reference: str = ""
    payer_name: str = ""


def record_payments(actor: Actor, received: Sequence[Received], *, source: str,
                    about: Model) -> dict[str, int | None]:
    """`record_payment` for many payments at once (A8, G29: an imported bank statement settles
    up to 100,000 invoices in one transaction), by the same rules, on plain rows rather than
    model instances: the invoices are locked in one query; a payment whose `dedup_key` the
    invoice has already books nothing; a cancelled or credited invoice takes nothing; the
    payments are written at once (`bulk.copy_rows`); each touched invoice's paid amount grows by
    what it received (the lock keeps `paid` equal to its successful payments less refunds, as
    `settle` computes it) and its state is taken by `state_of`; the invoices, the cases'
    payment statuses (`register.record_payment_statuses`) and one `payment.changed` event per
    invoice are written in one batch each. The batch is audited as ONE activity-log row
    (`payments.payment.record_batch` on `about`, what booked them: the `BankStatement`; with
    the source, how many payments and invoices, the sum); each payment names its bank reference
    and the statement entry that booked it names the payment. Amounts must be parsed already
    (`parse_amount`). Runs in the caller's transaction (it must be in one); the caller has
    checked the policy. Returns the dedup key → the new payment's id (None: not booked: a
    closed invoice or a repeat)."""
    if not received:
        return {}
    ids = {item.invoice_id for item in received}
    invoices = {row[0]: _Owed(*row) for row in Invoice.objects.select_for_update(of=("self",))
                .filter(pk__any_of=ids).order_by("pk").values_list(*_Owed.COLUMNS)}
    taken = set(Payment.objects.filter(invoice__id__any_of=ids, dedup_key__any_of={
        item.dedup_key for item in received}).values_list("invoice_id", "dedup_key"))
    result: dict[str, int | None] = {}
    booked: list[Received] = []
    for item in received:
        if (item.invoice_id, item.dedup_key) in taken \
                or invoices[item.invoice_id].state in CLOSED_STATES:
            result[item.dedup_key] = None
            continue
        taken.add((item.invoice_id, item.dedup_key))
        booked.append(item)
    if not booked:
        return result
    now = timezone.now()
    payment_ids = bulk.copy_rows(Payment, _PAYMENT_COLUMNS, [
        (item.invoice_id, source, PaymentState.SUCCESS, item.amount, Decimal("0.00"), "EUR",
         "", "", "", item.bank_reference[:140], item.payer_name[:140], item.paid_at,
         item.dedup_key, now, now) for item in booked], with_ids=True)
    last: dict[int, tuple[int, Decimal]] = {}  # invoice id → its last payment's id, amount
    for item, payment_id in zip(booked, payment_ids, strict=True):
        result[item.dedup_key] = payment_id
        invoices[item.invoice_id].paid += item.amount
        last[item.invoice_id] = (payment_id, item.amount)
    touched = [invoices[pk] for pk in last]
    today = timezone.localdate()
    for owed in touched:
        owed.previous, owed.state = owed.state, state_of(owed, today)
    bulk.update_rows(Invoice, ["paid", "state", "version", "updated_at"], [
        (owed.pk, owed.paid, owed.state, owed.version + 1, now) for owed in touched])
    record(actor, "payments.payment.record_batch", about, details={
        "source": source, "payments": len(booked), "invoices": len(touched),
        "amount": str(sum((item.amount for item in booked), Decimal("0.00")))})
    numbers = _case_statuses_of(actor, touched, {
        owed.pk: f"payment:{last[owed.pk][0]}:success" for owed in touched})
    publish(actor, PAYMENT_CHANGED, [(f"invoice:{owed.pk}", {
        **owed.facts(numbers[owed.case_id]), "previous_state": owed.previous,
        "payment_id": last[owed.pk][0], "payment_state": PaymentState.SUCCESS,
        "amount": str(last[owed.pk][1])}) for owed in touched])
    return result


_PAYMENT_COLUMNS = ("invoice_id", "source", "state", "amount", "refunded", "currency", "provider",
                    "provider_payment_id", "method", "bank_reference", "payer_name", "paid_at",
                    "dedup_key", "created_at", "updated_at")


@dataclass
class _Owed:
    """An invoice as a batch of payments needs it (a plain row, not a model instance): what
    `state_of`, the update and the `payment.changed` payload read."""

    COLUMNS = ("id", "state", "total", "paid", "due_date", "version", "case_id", "number",
               "reference", "holder_number", "holder_id", "client_person_id",
               "client_company_id")

    pk: int
    state: str
    total: Decimal
    paid: Decimal
    due_date: datetime.date
    version: int
    case_id: int
    number: str
    reference: str
    holder_number: str
    holder_id: int
    client_person_id: int | None
    client_company_id: int | None
    previous: str = ""

    def facts(self, case_number: str) -> dict[str, Any]:
        """`invoice_facts` of this row; amounts in cents' precision (`"31.31"`: a sum the
        database computed may carry more places, which the webhook's schema refuses)."""
        total, paid = (str(Decimal(amount).quantize(Decimal("0.01")))
                       for amount in (self.total, self.paid))
        webhook = {"invoice_number": self.number, "reference": self.reference,
                   "case_number": case_number, "state": self.state, "total": total,
                   "paid": paid, "holder_number": self.holder_number}
        return {"invoice_id": self.pk, "number": self.number, "reference": self.reference,
                "case_id": self.case_id, "case_number": case_number, "state": self.state,
                "total": total, "paid": paid,
                "client_person_id": self.client_person_id,
                "client_company_id": self.client_company_id,
                "institutions": [self.holder_id], "webhook": webhook}


def _case_statuses_of(actor: Actor, touched: Sequence[_Owed], causes: dict[int, str]
                      ) -> dict[int, str]:
    """The cases' payment statuses from all their invoices' states (one query), written where
    they changed (`register.record_payment_statuses`). Returns the cases' numbers by id."""
    case_ids = {owed.case_id for owed in touched}
    by_case: dict[int, list[str]] = {}
    for case_id, state in (Invoice.objects.filter(case__id__any_of=case_ids)
                           .exclude(kind=InvoiceKind.CREDIT_NOTE)
                           .values_list("case_id", "state")):
        by_case.setdefault(case_id, []).append(state)
    cases = {case.pk: case for case in ServiceCase.objects.filter(pk__any_of=case_ids).only(
        "id", "number", "payment_status", "change_xid", "change_seq", "updated_at")}
    changes = []
    for owed in touched:
        case = cases[owed.case_id]
        status = case_payment_status(by_case.get(case.pk, []))
        if status == case.payment_status:
            continue
        changes.append((case, status, f"invoice:{owed.number}:{causes[owed.pk]}"[:100], {
            "invoice": owed.number, "state": owed.state, "total": str(owed.total),
            "paid": str(owed.paid)}))
        case.payment_status = status
    register.record_payment_statuses(actor, changes, occurred_at=timezone.now())
    return {pk: case.number for pk, case in cases.items()}


def _amount(name: str, value: Any) -> Decimal:
    try:
        return parse_amount(value)
    except ValidationError as error:
        raise ValidationError({name: error.error_list}) from None


@transaction.atomic
def cancel_invoice(actor: Actor, invoice: Invoice, *, reason: str) -> Invoice:
    """The holder cancels an invoice nothing was paid on (a mistake, a withdrawn application);
    final; audited; `payment.changed` published. Raises PermissionDenied (not the holder's
    finance specialist or system), InvoiceClosed (cancelled or credited already) and
    ValidationError keyed `reason` (`required`) or `state` (`paid`: money was paid, credit it
    instead)."""
    locked = _locked_for_change(actor, invoice, reason)
    if locked.paid > 0:
        raise _error("state", gettext("Money was paid on this invoice: credit it instead of "
                                      "cancelling it."), "paid")
    return _close(actor, locked, InvoiceState.CANCELLED, reason)


@transaction.atomic
def credit_invoice(actor: Actor, invoice: Invoice, *, reason: str) -> Invoice:
    """The holder credits an invoice in full (kredītrēķins): a credit note for minus its total
    is issued for the same case and the invoice becomes credited (final); what was paid on it
    is refunded separately. Audited; `invoice.issued` (the credit note) and `payment.changed`
    published. Raises as `cancel_invoice` (without the `paid` refusal). Returns the credit
    note."""
    locked = _locked_for_change(actor, invoice, reason)
    case = ServiceCase.objects.select_for_update().select_related("service").get(pk=locked.case_id)
    ordinal = _next_ordinal(case)
    note = Invoice(
        client_person=locked.client_person, client_company=locked.client_company,
        number=invoice_number(case, ordinal), case=case, ordinal=ordinal,
        kind=InvoiceKind.CREDIT_NOTE, origin=locked.origin, credits=locked, holder=locked.holder,
        payer_name=locked.payer_name, payee_name=locked.payee_name, payee_iban=locked.payee_iban,
        payee_bic=locked.payee_bic,
        reference=creditor_reference(case.service.code, case.sequence, ordinal),
        total=-locked.total, state=InvoiceState.CREDITED, language=locked.language,
        issue_date=timezone.localdate(), due_date=timezone.localdate(), issued_at=timezone.now(),
        issued_by=actor.staff.user if actor.staff else None, closed_reason=reason.strip()[:500])
    note.save()
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=note, position=line.position, kind=line.kind,
                    description=line.description, quantity=line.quantity,
                    unit_price=-line.unit_price, vat_rate=line.vat_rate, net=-line.net,
                    vat=-line.vat, total=-line.total) for line in locked.lines.all()])
    record(actor, "payments.invoice.credit_note", note, subject=audit_subject_of(note),
           details={"number": note.number, "credits": locked.number})
    publish(actor, INVOICE_ISSUED, [(f"invoice:{note.pk}", {
        **invoice_facts(note), "kind": note.kind, "due_date": note.due_date.isoformat()})])
    _close(actor, locked, InvoiceState.CREDITED, reason)
    return note


def _locked_for_change(actor: Actor, invoice: Invoice, reason: str) -> Invoice:
    action = PaymentAction.SYSTEM_INVOICE if actor.api is not None else PaymentAction.MANAGE
    require(actor, action, invoice)
    if not (reason or "").strip():
        raise _error("reason", gettext("Give the reason."), "required")
    check_text(reason, "reason")
    locked = lock_invoice(invoice.pk)
    if locked.state in CLOSED_STATES:
        raise InvoiceClosed(locked)
    return locked


def _close(actor: Actor, invoice: Invoice, state: str, reason: str) -> Invoice:
    previous = invoice.state
    invoice.state, invoice.closed_at = state, timezone.now()
    invoice.closed_reason, invoice.version = reason.strip()[:500], invoice.version + 1
    invoice.save(update_fields=["state", "closed_at", "closed_reason", "version", "updated_at"])
    record(actor, f"payments.invoice.{state}", invoice, subject=audit_subject_of(invoice),
           details={"number": invoice.number, "previous": previous})
    _case_status(actor, invoice, f"invoice:{invoice.number}:{state}")
    publish(actor, PAYMENT_CHANGED, [(f"invoice:{invoice.pk}", {
        **invoice_facts(invoice), "previous_state": previous, "payment_id": None,
        "payment_state": "", "amount": ""})])
    return invoice


# --- The case's payment status ------------------------------------------------------------------

# Worst first: the case shows the state of the invoice that most needs the client.
_CASE_ORDER = (InvoiceState.OVERDUE, InvoiceState.PARTLY_PAID, InvoiceState.ISSUED,
               InvoiceState.OVERPAID, InvoiceState.PAID, InvoiceState.CREDITED,
               InvoiceState.CANCELLED)


def case_payment_status(states: Sequence[str]) -> str:
    """The case's payment status from its invoices' states (credit notes left out): the state of
    the one that most needs the client, with `issued` said as `awaiting_payment`; empty without
    invoices."""
    for state in _CASE_ORDER:
        if state in states:
            return "awaiting_payment" if state == InvoiceState.ISSUED else str(state)
    return ""


def _case_status(actor: Actor, invoice: Invoice, dedup_key: str) -> None:
    case = invoice.case
    states = list(Invoice.objects.filter(case=case).exclude(kind=InvoiceKind.CREDIT_NOTE)
                  .values_list("state", flat=True))
    status = case_payment_status(states)
    if status == case.payment_status and not dedup_key.endswith(":issued"):
        return
    register.record_payment_status(
        actor, case, status, occurred_at=timezone.now(), dedup_key=dedup_key[:100],
        data={"invoice": invoice.number, "state": invoice.state, "total": str(invoice.total),
              "paid": str(invoice.paid)})


def open_invoice_states() -> tuple[str, ...]:
    """The states in which an invoice waits for money."""
    return tuple(str(s) for s in OPEN_STATES)


def may_manage(actor: Actor) -> bool:
    """Whether the actor may open the finance pages (a finance specialist)."""
    return bool(decide(actor, PaymentAction.MANAGE, None))
