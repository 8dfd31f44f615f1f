"""Domain events payments publish (A8, B9), and the webhooks holders' finance systems receive.

`invoice.issued` goes to the holder's finance system through the outbox (seed 4.2 line 1703:
"the generated invoices are passed to the holders' finance management systems, where they wait
for the payment notice"); `payment.changed` tells the client (messaging) and the holder's systems
of every change of an invoice's payment state. Payloads carry identifiers and amounts as strings
(`"7.11"`), never personal codes.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from durvis.core.events import declare
from durvis.integrations.events import AMOUNT, CASE_NUMBER, TEXT, forward_as_webhook, item_schema

INVOICE_FACTS = ("invoice_id", "number", "reference", "case_id", "case_number", "state",
                 "total", "paid", "client_person_id", "client_company_id", "institutions",
                 "webhook")

INVOICE_ISSUED = declare(
    "invoice.issued", publisher="payments", payload=(*INVOICE_FACTS, "kind", "due_date"),
    description="An invoice was issued (prepayment on applying, post-payment by the holder) or "
                "registered from the holder's system: the holder's finance system books it.")
PAYMENT_CHANGED = declare(
    "payment.changed", publisher="payments",
    payload=(*INVOICE_FACTS, "previous_state", "payment_id", "payment_state", "amount"),
    description="A payment of an invoice changed (started, paid, failed, refunded, matched from "
                "a statement) or the invoice was cancelled or credited: its state is `state`.")
INVOICE_REMINDER = declare(
    "invoice.reminder", publisher="payments", payload=(*INVOICE_FACTS, "when", "due_date"),
    description="An unpaid invoice is due soon (`when` = before) or overdue (after): the client "
                "is reminded.")

# What a webhook says about an invoice (`services._Owed.facts`): identifiers, state, amounts.
INVOICE_ITEM = item_schema("Invoice", {
    "invoice_number": TEXT, "reference": TEXT, "case_number": CASE_NUMBER, "state": TEXT,
    "total": AMOUNT, "paid": AMOUNT, "holder_number": TEXT})

forward_as_webhook(INVOICE_ISSUED, _("An invoice was issued for a case"), data=INVOICE_ITEM)
forward_as_webhook(PAYMENT_CHANGED, _("An invoice's payment state changed"), data=INVOICE_ITEM)
