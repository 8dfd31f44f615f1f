"""Access rules of invoices and payments (A8, B9, A5). Registered into the one policy
(`durvis.access.policy`) when the app loads.

- The client (and whoever may act for them) sees their invoices and pays them through the
  identity rules (`client.read`, `client.write`), like every client-owned record.
- A holder's finance staff (the `finance` role, granted by the institution's administrator) see
  the invoices, payments, bank statements and unmatched entries of their own institution only,
  issue post-payment invoices, cancel and credit them, match entries by hand and refund
  (`PaymentAction.MANAGE`).
- A holder's systems, by API scope (B9): `invoices:read` reads the holder's invoices,
  `invoices:write` issues and registers them, `payments:write` reports payments and statuses
  from the finance system and uploads bank statements; only for invoices whose holder is the
  system's institution and whose service its token covers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.audit.queries import declare_purpose, declare_use
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity.models import StaffRole
from durvis.integrations.rules import declare_scope

INVOICES_READ = declare_scope("invoices:read", _("Read the institution's invoices and payments"),
                              owner="payments")
INVOICES_WRITE = declare_scope(
    "invoices:write", _("Issue post-payment invoices and register invoices made elsewhere"),
    owner="payments")
PAYMENTS_WRITE = declare_scope(
    "payments:write", _("Report payments from the finance system; upload bank statements"),
    owner="payments")


class PaymentAction(StrEnum):
    # obj = an Invoice, or None (may the actor open the finance pages / list invoices).
    MANAGE = "payments.manage"
    # obj = an Invoice, a catalogue Service (issuing for its case), or None; by API scope.
    SYSTEM_READ = "payments.system.read"
    SYSTEM_INVOICE = "payments.system.invoice"
    SYSTEM_PAY = "payments.system.pay"


def _holder_id(obj: Any) -> int | None:
    """The holder institution of an invoice or a service (the field is `holder_id` on both)."""
    return getattr(obj, "holder_id", None)


def _finance_invoices(actor: Actor, client: Any) -> Q:
    if actor.staff is None or not actor.has_role(StaffRole.FINANCE):
        return Q(pk__in=[])
    return Q(holder_id=actor.institution_id)


@rule(PaymentAction.MANAGE, list_filter=_finance_invoices)
def manage(actor: Actor, invoice: Any, client: Any) -> Decision:
    """A finance specialist of the holder institution manages its invoices, payments, bank
    statements and refunds; another institution's are refused (A8, A5)."""
    if actor.staff is None or not actor.has_role(StaffRole.FINANCE):
        return deny("not a finance specialist")
    if invoice is None:
        return ALLOW
    if _holder_id(invoice) == actor.institution_id:
        return ALLOW
    return deny("another institution's invoice")


def _system_invoices(scope: str) -> Any:
    def list_filter(actor: Actor, client: Any) -> Q:
        if actor.api is None or scope not in actor.api.operations:
            return Q(pk__in=[])
        q = Q(holder_id=actor.api.institution_id)
        if actor.api.service_ids is not None:
            q &= Q(case__service_id__in=actor.api.service_ids)
        return q
    return list_filter


def _system_rule(scope: str, what: str) -> Any:
    def system_rule(actor: Actor, obj: Any, client: Any) -> Decision:
        if actor.api is None:
            return deny("not an institution's system")
        if scope not in actor.api.operations:
            return deny(f"the client lacks the {scope} scope")
        if obj is None:
            return ALLOW
        if _holder_id(obj) != actor.api.institution_id:
            return deny("another institution's invoice or service")
        service_id = obj.pk if isinstance(obj, Service) else (
            obj.service_id if hasattr(obj, "service_id") else obj.case.service_id)
        if not actor.api.covers(service_id):
            return deny("the service is outside the client's scope")
        return ALLOW

    system_rule.__doc__ = (f"{what}: a system of the holder with the {scope} scope covering "
                           f"the service (B9).")
    return system_rule


rule(PaymentAction.SYSTEM_READ, list_filter=_system_invoices(INVOICES_READ))(
    _system_rule(INVOICES_READ, "Reading invoices"))
rule(PaymentAction.SYSTEM_INVOICE)(_system_rule(INVOICES_WRITE, "Issuing invoices"))
rule(PaymentAction.SYSTEM_PAY)(_system_rule(PAYMENTS_WRITE, "Reporting payments"))


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_purpose("finance", _("Handling your invoices at the institution"))
declare_purpose("api", _("The institution's system asked"))
declare_use("payments.invoice.issue", _("Issued you an invoice"))
declare_use("payments.invoice.read", _("Read your invoice"))
declare_use("payments.invoice.list", _("Read your invoices"))
declare_use("payments.invoice.cancelled", _("Cancelled your invoice"))
declare_use("payments.invoice.credited", _("Credited your invoice"))
declare_use("payments.invoice.credit_note", _("Issued you a credit note"))
declare_use("payments.invoice.settle", _("Settled your invoice"))
declare_use("payments.payment.record", _("Recorded your payment"))
declare_use("payments.refund.request", _("Asked for a refund of your payment"))
declare_use("payments.refund.success", _("Refunded your payment"))
declare_use("payments.refund.failed", _("Tried to refund your payment"))
