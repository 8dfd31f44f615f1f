"""Invoices and payments (rēķini un maksājumi, A8; seed 4.2 lines 1687-1729, G28, G29).

An `Invoice` asks a client (the payer) to pay a holder for one case: a prepayment invoice issued
when an application for a service with a fee is submitted, a post-payment invoice issued by the
holder once the amount is known, or an invoice the holder's own system made and registered here so
that the client pays it through the one door. Its `InvoiceLine`s (a fee or a state duty, quantity,
unit price, VAT) sum to its total in EUR, exact to the cent (`Decimal`, two places). It is paid to
the holder's `PayeeAccount` (IBAN and BIC, copied onto the invoice when issued) with an ISO 11649
structured creditor reference (`durvis.payments.references`).

Money reaches an invoice as `Payment`s, whatever the source: online through a payment provider
(`online`, with the provider's states), a status reported by the holder's finance system (the
seed's main path: the Treasury and banks notify the holder's accounting, which reports here), an
entry of an imported bank statement (`BankStatement`, `StatementEntry`), or a person matching an
entry by hand. An invoice's state follows from its payments (`services.settle`): issued, partly
paid, paid, overpaid; overdue after its due date while unpaid; cancelled or credited (a credit
note) by the holder. A `Refund` gives back part or all of a successful online payment.

Amounts are `Decimal` EUR with two places everywhere; nothing is ever a float.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from durvis.core.models import ClientOwned
from durvis.core.sealed import SealedCharField
from durvis.identity.models import Institution, Person
from durvis.mandates.models import Mandate
from durvis.register.models import ServiceCase


class PayeeAccount(models.Model):
    """A holder's bank account that clients pay into (the Treasury account of a state
    institution, a municipality's bank account), checked with `schwifty` when saved through
    `services.save_payee_account`. One account per institution is the default."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="payee_accounts")
    name = models.CharField(_("beneficiary name"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    is_default = models.BooleanField(_("default"), default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "iban"], name="payee_account_once"),
            models.UniqueConstraint(fields=["institution"], condition=models.Q(is_default=True),
                                    name="payee_account_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.iban}"


class MerchantAccount(models.Model):
    """A holder's contract with a payment provider (`provider`: a key of
    `durvis.payments.providers.PROVIDERS`): the merchant id and the secret the provider signs its
    callbacks with. The secret is kept sealed at rest (`core.sealed.SealedCharField`: a JWE
    under DURVIS_SECRET_KEYS, a key outside the database); it is never logged or shown again
    after it is set."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="merchant_accounts")
    provider = models.CharField(_("payment provider"), max_length=40)
    merchant_id = models.CharField(_("merchant id"), max_length=100)
    secret = SealedCharField(max_length=1000)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "provider"],
                                    condition=models.Q(active=True),
                                    name="merchant_account_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.provider} {self.merchant_id}"


class InvoiceKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment")
    POSTPAYMENT = "postpayment", _("Post-payment")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceOrigin(models.TextChoices):
    PLATFORM = "platform", _("Issued by the platform")
    HOLDER = "holder", _("Issued by the holder")
    EXTERNAL = "external", _("Created in the holder's own system")


class InvoiceState(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    OVERPAID = "overpaid", _("Overpaid")
    OVERDUE = "overdue", _("Overdue")
    CANCELLED = "cancelled", _("Cancelled")
    CREDITED = "credited", _("Credited")


# States in which an invoice still waits for money (a reminder may be sent, a payment started).
OPEN_STATES = (InvoiceState.ISSUED, InvoiceState.PARTLY_PAID, InvoiceState.OVERDUE)


class Invoice(ClientOwned):
    """An invoice (rēķins) for one case. `number` is `<service code>-<case digits>-<ordinal>`
    (`9999-76544-01`), `reference` its ISO 11649 creditor reference (`RF…`, electronic form, no
    spaces). The payer is the client (`client_person` / `client_company`) unless someone pays for
    them (`payer_name`). `total`, `paid`, `refunded` are EUR with two places; `paid` is the sum of
    successful payments less what was refunded."""

    number = models.CharField(_("invoice number"), max_length=40, unique=True)
    holder_number = models.CharField(_("holder's invoice number"), max_length=40, blank=True)
    case = models.ForeignKey(ServiceCase, on_delete=models.PROTECT, related_name="+")
    ordinal = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices)
    origin = models.CharField(max_length=16, choices=InvoiceOrigin.choices)
    credits = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="credit_notes")
    holder = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    payer_name = models.CharField(_("payer"), max_length=140)
    payee_name = models.CharField(max_length=70)
    payee_iban = models.CharField(max_length=34)
    payee_bic = models.CharField(max_length=11)
    reference = models.CharField(_("payment reference"), max_length=25, unique=True)
    currency = models.CharField(max_length=3, default="EUR")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(default=Decimal("0.00"), max_digits=12, decimal_places=2)
    refunded = models.DecimalField(default=Decimal("0.00"), max_digits=12, decimal_places=2)
    state = models.CharField(max_length=16, choices=InvoiceState.choices,
                             default=InvoiceState.ISSUED)
    language = models.CharField(max_length=8, default="lv")
    issue_date = models.DateField()
    due_date = models.DateField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=500, blank=True)
    document_id = models.BigIntegerField(null=True, blank=True)
    # The last reminder sent: "before" (a few days before the due date), "after" (overdue).
    reminded = models.CharField(max_length=8, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "ordinal"], name="invoice_case_ordinal"),
            models.CheckConstraint(condition=models.Q(total__gt=0) | models.Q(kind="credit_note"),
                                   name="invoice_total_positive"),
            models.UniqueConstraint(fields=["holder", "holder_number"],
                                    condition=~models.Q(holder_number=""),
                                    name="invoice_holder_number_once"),
        ]
        indexes = [
            models.Index(fields=["holder", "state", "due_date"], name="invoice_holder_state"),
            models.Index(fields=["client_person", "-issued_at"], name="invoice_person"),
            models.Index(fields=["client_company", "-issued_at"], name="invoice_company"),
            models.Index(fields=["state", "due_date"], name="invoice_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        """What is still to pay (EUR, never below zero)."""
        return max(self.total - self.paid, Decimal("0.00"))


class LineKind(models.TextChoices):
    FEE = "fee", _("Service fee")
    STATE_DUTY = "state_duty", _("State duty")


class InvoiceLine(models.Model):
    """One line: `quantity` × `unit_price` (EUR, net of VAT) plus VAT at `vat_rate` percent
    (0 where no VAT applies: state duties and most fees), rounded half up to the cent per line."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    net = models.DecimalField(max_digits=12, decimal_places=2)
    vat = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"

    @property
    def is_service_fee(self) -> bool:
        """The platform's prepayment line (and its credit note's copy): the service's fee,
        whose description is the service's name (`services.issue_prepayment`)."""
        return self.kind == LineKind.FEE and self.invoice.origin == InvoiceOrigin.PLATFORM

    @property
    def label(self) -> str:
        """The description in the active language: the service's name for the platform's fee
        line (stored in the invoice's language; lines issued before 2026-12 stored it as
        "Fee: …", which migration 0003 strips), else the holder's text as written. Pages, the
        PDF and the finance pages show it beside the kind (`get_kind_display`), never repeating
        it."""
        if self.is_service_fee:
            return str(self.invoice.case.service.name)
        return self.description


class PaymentSource(models.TextChoices):
    ONLINE = "online", _("Online payment")
    FINANCE_SYSTEM = "finance_system", _("Reported by the holder's finance system")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    MANUAL = "manual", _("Matched by hand")


class PaymentState(models.TextChoices):
    """The states of a payment, as a payment platform has them (Adyen/Mollie/EveryPay alike)."""

    CREATED = "created", _("Created")
    STARTED = "started", _("Started")
    SUBMITTED = "submitted", _("Submitted")
    SUCCESS = "success", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


FINAL_PAYMENT_STATES = (PaymentState.SUCCESS, PaymentState.FAILED, PaymentState.CANCELLED,
                        PaymentState.EXPIRED)


class Payment(models.Model):
    """Money for an invoice, from one `source`. An online payment moves through the provider's
    states (`provider`, `provider_payment_id`, `expires_at`); a reported or matched payment is
    written as `success` with the bank's reference. `dedup_key` makes a repeated report (the same
    finance-system call, the same statement entry) a no-op."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    source = models.CharField(max_length=16, choices=PaymentSource.choices)
    state = models.CharField(max_length=12, choices=PaymentState.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded = models.DecimalField(default=Decimal("0.00"), max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    provider = models.CharField(max_length=40, blank=True)
    provider_payment_id = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=20, blank=True)
    # Where the provider takes the payer (an online payment), as the provider answered.
    redirect_url = models.URLField(max_length=500, blank=True)
    bank_reference = models.CharField(max_length=140, blank=True)
    payer_name = models.CharField(max_length=140, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    dedup_key = models.CharField(max_length=120)
    started_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    # The mandate `started_by` relied on, paying for the client under it (C1, A2;
    # `mandates.queries.relied_on`, right `pay`); empty for the client's own payment, a
    # base-register relation's and a payment reported by the holder or a bank statement.
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+",
                                help_text=_("The mandate the payer relied on."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "dedup_key"], name="payment_dedup"),
            models.UniqueConstraint(fields=["provider", "provider_payment_id"],
                                    condition=~models.Q(provider_payment_id=""),
                                    name="payment_provider_id_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(refunded__lte=models.F("amount")),
                                   name="payment_refund_within_amount"),
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="payment_open")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.source} {self.state} {self.amount}"


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SUCCESS = "success", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money given back from a successful online payment: full or partial, never more than is
    left of it (`Payment.refunded` is raised under the payment's row lock before the provider is
    asked, so two refunds at once cannot both pass)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    state = models.CharField(max_length=12, choices=RefundState.choices)
    reason = models.CharField(max_length=500, blank=True)
    provider_refund_id = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "idempotency_key"], name="refund_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.amount} {self.state}"


class BankStatement(models.Model):
    """An imported ISO 20022 file (camt.053 statement or camt.054 notification) of one holder:
    its message id and hash make a second import of the same file a no-op."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=35)
    message_type = models.CharField(max_length=40)  # e.g. camt.054.001.08
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=255, blank=True)
    entries = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    proposed = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # entries matched to an open invoice whose payment the worker is still booking
    pending = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    imported_by_client = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "sha256"], name="bank_statement_once"),
        ]
        indexes = [models.Index(fields=["pending"], condition=models.Q(pending__gt=0),
                                name="bank_statement_booking")]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.message_type} {self.message_id}"


class EntryState(models.TextChoices):
    MATCHED = "matched", _("Matched")
    PENDING = "pending", _("Being booked")
    PROPOSED = "proposed", _("Match proposed")
    UNMATCHED = "unmatched", _("Not matched")
    # "Set aside" is also the button (the action); Latvian says the state and the action apart.
    IGNORED = "ignored", pgettext_lazy("statement entry state", "Set aside")


class EntryReason(models.TextChoices):
    """Why the import left an entry for a person (stored as a code, said in the reader's
    language when shown: `StatementEntry.reason_text`)."""

    CHECKSUM = "checksum", _("The payment reference's check digits do not match: a typo?")
    CLOSED = "closed", _("The invoice is cancelled or credited: return the money or book it "
                         "elsewhere.")
    NOT_BOOKED = "not_booked", _("The invoice took no payment: it is closed or this payment "
                                 "was recorded already.")


class StatementEntry(models.Model):
    """One credit transaction of a statement (camt `Ntry/NtryDtls/TxDtls`). `entry_key` is the
    bank's unique reference (AcctSvcrRef, else the end-to-end id with date and amount), unique
    per holder: the same entry in two files books nothing twice. A matched entry has its
    `payment`; a proposed one names the `invoice` a person should confirm; an unmatched one waits
    in the holder's manual queue."""

    # No database check of the statement: entries are written only by the import, by COPY, in
    # the transaction that creates their statement (its id taken from that row), and statements
    # are never deleted (PROTECT, and no path deletes one). The check cost more than the COPY
    # itself: each of the import's rows locked the statement's row again at commit.
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="rows",
                                  db_constraint=False)
    # The statement's institution, copied for the unique key and the queue: it is the
    # statement's (which has its foreign key), so the entry's needs no check of its own (one
    # check fewer per row of a 100,000-entry import) nor an index (the two composite ones lead
    # with it).
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+",
                                    db_index=False, db_constraint=False)
    entry_key = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    booking_date = models.DateField(null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    debtor_name = models.CharField(max_length=140, blank=True)
    debtor_iban = models.CharField(max_length=34, blank=True)
    reference = models.CharField(max_length=35, blank=True)
    unstructured = models.CharField(max_length=500, blank=True)
    bank_reference = models.CharField(max_length=140, blank=True)
    state = models.CharField(max_length=12, choices=EntryState.choices)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="statement_entry")
    reason = models.CharField(max_length=16, choices=EntryReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "entry_key"], name="statement_entry_once"),
        ]
        indexes = [models.Index(fields=["institution", "state"], name="statement_entry_queue")]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.entry_key} {self.amount}"

    @property
    def reason_text(self) -> str:
        """Why the import left the entry for a person, in the active language ("" if it did
        not): a closed invoice is named, with whether it was cancelled or credited."""
        if self.reason == EntryReason.CLOSED and self.invoice is not None:
            if self.invoice.state == InvoiceState.CREDITED:
                return gettext("The invoice %(number)s is credited: return the money or book "
                               "it elsewhere.") % {"number": self.invoice.number}
            return gettext("The invoice %(number)s is cancelled: return the money or book it "
                           "elsewhere.") % {"number": self.invoice.number}
        return str(EntryReason(self.reason).label) if self.reason else ""
