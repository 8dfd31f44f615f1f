"""Reads of invoices and payments (A8, A2, B4), respecting the one policy; reads of a client's
invoices by staff and systems are audited here, never in views."""

from __future__ import annotations

from django.db.models import QuerySet

from durvis.access.policy import decide, visible
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.identity.models import Company, Person
from durvis.identity.queries import audit_subject_of, owner_filter
from durvis.identity.rules import IdentityAction
from durvis.payments.models import Invoice, Payment
from durvis.payments.rules import PaymentAction
from durvis.register.models import ServiceCase


def client_invoices(actor: Actor, client: Person | Company) -> QuerySet[Invoice]:
    """The invoices of the client the actor acts for (the e-account's list), newest first, credit
    notes included; none when the actor may not read the client's records (`client.read`)."""
    if not decide(actor, IdentityAction.CLIENT_READ, None, client):
        return Invoice.objects.none()
    return (Invoice.objects.filter(owner_filter(client))
            .select_related("case", "case__service", "holder").order_by("-issued_at", "-pk"))


def client_invoice(actor: Actor, client: Person | Company, number: str) -> Invoice:
    """One invoice of the client the actor acts for, with its lines and payments prefetched;
    the read is audited. Raises Invoice.DoesNotExist for an unknown number and, alike, another
    client's invoice."""
    invoice = (Invoice.objects.select_related("case", "case__service", "holder")
               .prefetch_related("lines", "payments").filter(number=number).first())
    if invoice is None or not decide(actor, IdentityAction.CLIENT_READ, invoice, client):
        raise Invoice.DoesNotExist
    record(actor, "payments.invoice.read", invoice, subject=audit_subject_of(invoice),
           purpose="eaccount")
    return invoice


def case_invoices(case: ServiceCase) -> list[Invoice]:
    """The invoices of a case the caller has already been allowed to read (the case page of the
    e-account or the institution), in issue order."""
    return list(Invoice.objects.filter(case=case).order_by("ordinal"))


def finance_invoices(actor: Actor) -> QuerySet[Invoice]:
    """The invoices a finance specialist manages: their institution's (`PaymentAction.MANAGE`),
    newest first; none for anyone else."""
    return (visible(actor, PaymentAction.MANAGE, Invoice.objects.all())
            .select_related("case", "case__service").order_by("-issued_at", "-pk"))


def finance_invoice(actor: Actor, number: str, *, purpose: str = "finance") -> Invoice:
    """One invoice for its holder's finance specialist or system (`invoices:read`), with lines
    and payments; audited. Raises Invoice.DoesNotExist for an unknown number and, alike,
    another institution's invoice."""
    invoice = (Invoice.objects.select_related("case", "case__service", "holder")
               .prefetch_related("lines", "payments").filter(number=number).first())
    action = PaymentAction.SYSTEM_READ if actor.api is not None else PaymentAction.MANAGE
    if invoice is None or not decide(actor, action, invoice):
        raise Invoice.DoesNotExist
    record(actor, "payments.invoice.read", invoice, subject=audit_subject_of(invoice),
           purpose=purpose)
    return invoice


def payments_of(invoice: Invoice) -> list[Payment]:
    """The payments of an invoice the caller has been allowed to read, oldest first."""
    return list(Payment.objects.filter(invoice=invoice).order_by("created_at", "pk"))


# --- How to pay (the e-account's invoice page, the application's confirmation) ----------------

def can_pay_online(invoice: Invoice) -> bool:
    """Whether an open invoice with money outstanding can be paid online now (its holder has
    a merchant account with a payment provider)."""
    from durvis.payments import online

    return online.can_pay_online(invoice)


def started_payment(invoice: Invoice) -> Payment | None:
    """The invoice's online payment that waits for the payer (started, not expired), if any."""
    from durvis.payments import online

    return online.started_payment(invoice)


def transfer_details(invoice: Invoice, *, label: str) -> tuple[str, str]:
    """What a bank transfer needs beside the payee: the RF reference printed in groups of four
    (`RF75 4999 9765 4401`) and the EPC QR code (SEPA credit transfer, EPC069-12) as inline
    SVG markup with the accessible `label`."""
    from durvis.payments import epc
    from durvis.payments.references import printed

    markup = epc.svg(epc.of_invoice(invoice), label=label)
    return printed(invoice.reference), markup[markup.index("<svg"):]
