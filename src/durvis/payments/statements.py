"""Bank statements: importing camt.053/camt.054 files, matching their credit entries to invoices,
and the holder's manual queue (A8; seed 4.2 lines 1696-1729: the payment notice reaches the
holder's finance system, which settles the invoice by its structured reference; G29).

`import_statement` reads a file (`durvis.payments.camt`) and, in ONE transaction, stores it and
its credit entries and settles what it can:

1. the same file twice (by SHA-256, per holder) is a no-op: the first import is returned;
2. the same entry in another file (a camt.054 notification and the day's camt.053 statement
   both carry it; `StatementEntry.entry_key`, unique per holder) is counted as a duplicate and
   books nothing;
3. an entry whose structured reference (SCOR, check digits valid) is an invoice of the holder
   is **matched**: a payment is recorded and the invoice settled (`services.record_payments`,
   the batched `record_payment`);
4. failing that (no reference, an unknown one, one whose check digits fail: a typo is never
   matched automatically), an entry whose amount is what an open invoice still asks, whose payer
   name is the invoice's payer's, and whose unstructured text names that invoice (its number or
   a valid reference) is **proposed**: a person confirms it (`confirm_match`);
5. everything else is **unmatched** and waits in the manual queue (`match_by_hand`,
   `set_aside`); an entry for a cancelled or credited invoice goes there with a note.

The file is refused whole (`StatementRefused`, with the reader's code) when the reader refuses
it or when its account is not one of the holder's payee accounts. Who may: the holder's finance
staff (`PaymentAction.MANAGE`) or its systems with `payments:write` (`PaymentAction.SYSTEM_PAY`).
Everything is audited.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.core import bulk
from durvis.core.actor import Actor
from durvis.identity.models import Institution
from durvis.payments import services
from durvis.payments.camt import CamtEntry, CamtError, CamtSummary, read
from durvis.payments.models import (
    OPEN_STATES,
    BankStatement,
    EntryState,
    Invoice,
    InvoiceKind,
    InvoiceState,
    PayeeAccount,
    PaymentSource,
    StatementEntry,
)
from durvis.payments.references import parse_reference, printed
from durvis.payments.rules import PaymentAction

CHUNK = 2000
MAX_FILE_BYTES = 100 * 1024 * 1024
QUEUE_STATES = (EntryState.UNMATCHED, EntryState.PROPOSED)
_NUMBER = re.compile(r"(?<![\d-])(\d{1,9}-\d{2,12}-\d{2})(?![\d-])")
_REFERENCE = re.compile(r"RF\s?\d{2}(?:\s?[0-9A-Z]){1,21}", re.IGNORECASE)


class StatementRefused(CamtError):
    """The whole file is refused: `code` (stable; the reader's codes, `foreign_account`,
    `too_large`, `busy`) and the reason for people (`text()`, in the active language), as the
    reader says it (`CamtError`)."""

    @classmethod
    def of(cls, error: CamtError) -> StatementRefused:
        return cls(error.code, error.message, error.where, **error.params)


@dataclass(frozen=True)
class _Holder:
    """An institution as the object of the policy's holder check (`holder_id`)."""

    holder_id: int


def may_import(actor: Actor, institution_id: int) -> bool:
    """Whether the actor may import statements and work the manual queue of the institution."""
    if actor.api is not None:
        return bool(decide(actor, PaymentAction.SYSTEM_PAY, None)) \
            and actor.api.institution_id == institution_id
    return bool(decide(actor, PaymentAction.MANAGE, _Holder(institution_id)))


def _authorise(actor: Actor, institution_id: int) -> None:
    if actor.api is not None:
        require(actor, PaymentAction.SYSTEM_PAY, None)
        if actor.api.institution_id != institution_id:
            raise PermissionDenied("another institution's statements")
        return
    require(actor, PaymentAction.MANAGE, _Holder(institution_id))


def file_hash(data: bytes) -> str:
    """The SHA-256 of a file, hex: a file imported twice is found by it."""
    return hashlib.sha256(data).hexdigest()


def imported_already(institution: Institution, data: bytes) -> BankStatement | None:
    """The earlier import of the same file by the institution, if any."""
    return BankStatement.objects.filter(institution=institution, sha256=file_hash(data)).first()


def import_statement(actor: Actor, institution: Institution, data: bytes,
                     file_name: str = "") -> BankStatement:
    """Import a camt.053/camt.054 file (`data`, bytes, at most 100 MiB) of `institution` by the
    rules of the module docstring, in one transaction: either the whole file is stored with its
    entries and payments, or nothing is. Returns the `BankStatement` (with its counts: entries,
    matched, proposed, unmatched, duplicates); the same file again returns the first import and
    writes nothing. Raises PermissionDenied (not the holder's finance staff or system) and
    StatementRefused (the reader's codes, `foreign_account`, `too_large`; `busy`: another
    file with some of the same entries committed meanwhile: nothing booked, import it again)."""
    _authorise(actor, institution.pk)
    if len(data) > MAX_FILE_BYTES:
        raise StatementRefused("too_large", gettext_lazy("The file is larger than 100 MiB."))
    digest = file_hash(data)
    earlier = BankStatement.objects.filter(institution=institution, sha256=digest).first()
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            return _import(actor, institution, data, digest, file_name)
    except CamtError as error:
        raise StatementRefused.of(error) from None
    except IntegrityError:  # the same file, or one with the same entries, at the same moment
        earlier = BankStatement.objects.filter(institution=institution, sha256=digest).first()
        if earlier is None:
            raise StatementRefused("busy", gettext_lazy(
                "Another file with some of the same entries was being imported at the same "
                "moment: nothing of this file was booked. Import it again.")) from None
        return earlier


def _import(actor: Actor, institution: Institution, data: bytes, digest: str,
            file_name: str) -> BankStatement:
    summary = CamtSummary()
    statement = BankStatement.objects.create(
        institution=institution, message_id="", message_type="", sha256=digest,
        file_name=(file_name or "")[:255],
        imported_by=actor.staff.user if actor.staff else None,
        imported_by_client=str(actor.api.client_id)[:64] if actor.api else "")
    accounts = set(PayeeAccount.objects.filter(institution=institution)
                   .values_list("iban", flat=True))
    matcher = _Matcher(actor, institution, statement)
    entries = read(data, summary)
    while True:
        chunk = list(islice(entries, CHUNK))
        if not chunk:
            break
        for entry in chunk:
            if entry.account not in accounts:
                raise StatementRefused("foreign_account", gettext_lazy(
                    "The file is for the account %(account)s, which is not one of the "
                    "institution's accounts."), "Acct", account=entry.account)
        matcher.take(chunk)
    for account in summary.accounts:
        if account not in accounts:
            raise StatementRefused("foreign_account", gettext_lazy(
                "The file is for the account %(account)s, which is not one of the "
                "institution's accounts."), "Acct", account=account)
    statement.message_id = summary.message_id
    statement.message_type = summary.message_type
    counts = matcher.counts
    statement.entries = sum(counts.values())
    statement.matched, statement.proposed = counts["matched"], counts["proposed"]
    statement.unmatched, statement.duplicates = counts["unmatched"], counts["duplicates"]
    statement.save(update_fields=["message_id", "message_type", "entries", "matched",
                                  "proposed", "unmatched", "duplicates"])
    record(actor, "payments.statement.import", statement, details={
        "institution": institution.code, "message_type": statement.message_type,
        "message_id": statement.message_id, "sha256": digest, **counts,
        "debits_skipped": summary.debits_skipped})
    return statement


def _folded(name: str) -> frozenset[str]:
    """A name's words without case and diacritics (banks often transliterate: `Janis
    Berzins`), in any order."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name or "")
                    if not unicodedata.combining(c))
    return frozenset(re.findall(r"\w+", plain.casefold()))


def _named_in(text: str) -> tuple[set[str], set[str]]:
    """Invoice numbers (`9999-76544-01`) and valid RF references found in free text."""
    numbers = set(_NUMBER.findall(text or ""))
    references = set()
    for found in _REFERENCE.findall(text or ""):
        try:
            references.add(parse_reference(found))
        except ValidationError:
            continue
    return numbers, references


class _Matcher:
    """Matches chunks of entries with one query for invoices by reference, one by the numbers
    and references named in texts, one for entries already seen, and bulk inserts."""

    def __init__(self, actor: Actor, institution: Institution, statement: BankStatement) -> None:
        self.actor, self.institution, self.statement = actor, institution, statement
        self.counts = {"matched": 0, "proposed": 0, "unmatched": 0, "duplicates": 0}
        self.seen: set[str] = set()
        self.invoices = Invoice.objects.filter(holder=institution).exclude(
            kind=InvoiceKind.CREDIT_NOTE)
        if actor.api is not None and actor.api.service_ids is not None:
            self.invoices = self.invoices.filter(case__service_id__in=actor.api.service_ids)

    def take(self, chunk: list[CamtEntry]) -> None:
        known = set(StatementEntry.objects.filter(
            institution=self.institution, entry_key__any_of=[e.entry_key for e in chunk])
            .values_list("entry_key", flat=True))
        fresh = []
        for entry in chunk:
            if entry.entry_key in known or entry.entry_key in self.seen:
                self.counts["duplicates"] += 1
                continue
            self.seen.add(entry.entry_key)
            fresh.append(entry)
        if not fresh:
            return
        valid: dict[str, str] = {}  # entry key → its checked reference
        notes: dict[str, str] = {}
        for entry in fresh:
            if not entry.reference:
                continue
            try:
                valid[entry.entry_key] = parse_reference(entry.reference)
            except ValidationError as error:
                if error.code == "checksum":
                    notes[entry.entry_key] = gettext(
                        "The payment reference's check digits do not match: a typo?")
        by_reference = {invoice.reference: invoice for invoice in self.invoices.filter(
            reference__any_of=set(valid.values()))} if valid else {}
        rows: list[StatementEntry] = []
        to_pay: list[tuple[StatementEntry, Invoice]] = []
        rest: list[tuple[StatementEntry, CamtEntry]] = []
        for entry in fresh:
            row = StatementEntry(
                statement=self.statement, institution=self.institution,
                entry_key=entry.entry_key, amount=entry.amount, currency=entry.currency,
                booking_date=entry.booking_date, value_date=entry.value_date,
                debtor_name=entry.debtor_name, debtor_iban=entry.debtor_iban,
                reference=entry.reference, unstructured=entry.unstructured,
                bank_reference=entry.bank_reference, state=EntryState.UNMATCHED,
                note=notes.get(entry.entry_key, ""))
            rows.append(row)
            invoice = by_reference.get(valid.get(entry.entry_key, ""))
            if invoice is None:
                rest.append((row, entry))
            elif invoice.state in services.CLOSED_STATES:
                row.invoice = invoice
                row.note = _closed_note(invoice)
            else:
                to_pay.append((row, invoice))
        self._propose(rest)
        self._pay(to_pay)
        bulk.insert(rows)
        for row in rows:
            self.counts[str(row.state)] += 1

    def _propose(self, rest: list[tuple[StatementEntry, CamtEntry]]) -> None:
        named = {row.entry_key: _named_in(f"{entry.unstructured} {entry.reference}")
                 for row, entry in rest}
        numbers = {n for ns, _refs in named.values() for n in ns}
        references = {r for _ns, refs in named.values() for r in refs}
        if not numbers and not references:
            return
        candidates = list(self.invoices.filter(
            Q(number__in=numbers) | Q(reference__in=references)).filter(state__in=OPEN_STATES))
        by_number = {i.number: i for i in candidates}
        by_reference = {i.reference: i for i in candidates}
        for row, entry in rest:
            ns, refs = named[row.entry_key]
            found = {by_number[n] for n in ns if n in by_number} | {
                by_reference[r] for r in refs if r in by_reference}
            payer = _folded(entry.debtor_name)
            fits = [i for i in found if i.outstanding == entry.amount
                    and payer and _folded(i.payer_name) == payer]
            if len(fits) == 1:
                row.state, row.invoice = EntryState.PROPOSED, fits[0]

    def _pay(self, to_pay: list[tuple[StatementEntry, Invoice]]) -> None:
        if not to_pay:
            return
        booked = services.record_payments(self.actor, [
            services.Received(invoice_id=invoice.pk, amount=row.amount,
                              paid_at=_paid_at(row.booking_date or row.value_date),
                              dedup_key=dedup_key(row.entry_key),
                              bank_reference=row.bank_reference, payer_name=row.debtor_name)
            for row, invoice in to_pay], source=PaymentSource.BANK_STATEMENT)
        now = timezone.now()
        for row, invoice in to_pay:
            payment = booked.get(dedup_key(row.entry_key))
            row.invoice = invoice
            if payment is None:
                row.note = gettext("The invoice took no payment: it is closed or this payment "
                                   "was recorded already.")
                continue
            row.state, row.payment, row.resolved_at = EntryState.MATCHED, payment, now


def _closed_note(invoice: Invoice) -> str:
    if invoice.state == InvoiceState.CREDITED:
        return gettext("The invoice %(number)s is credited: return the money or book it "
                       "elsewhere.") % {"number": invoice.number}
    return gettext("The invoice %(number)s is cancelled: return the money or book it "
                   "elsewhere.") % {"number": invoice.number}


def dedup_key(entry_key: str) -> str:
    """The payment's `dedup_key` for a statement entry (≤ 120 characters)."""
    key = f"camt:{entry_key}"
    return key if len(key) <= 120 else f"camt:{hashlib.sha256(entry_key.encode()).hexdigest()}"


def _paid_at(day: datetime.date | None) -> datetime.datetime:
    if day is None:
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


# --- The manual queue ------------------------------------------------------------------------

def _locked_entry(actor: Actor, entry: StatementEntry) -> StatementEntry:
    _authorise(actor, entry.institution_id)
    locked = StatementEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.state not in QUEUE_STATES:
        raise ValidationError({"entry": ValidationError(
            gettext("This entry is not waiting any more: someone has dealt with it."),
            code="resolved")})
    return locked


def _book(actor: Actor, entry: StatementEntry, invoice: Invoice, source: str,
          action: str) -> StatementEntry:
    try:
        payment, _created = services.record_payment(
            actor, invoice, source=source, amount=entry.amount,
            paid_at=_paid_at(entry.booking_date or entry.value_date),
            dedup_key=dedup_key(entry.entry_key), bank_reference=entry.bank_reference,
            payer_name=entry.debtor_name)
    except services.InvoiceClosed:
        raise ValidationError({"invoice": ValidationError(
            gettext("The invoice is cancelled or credited: it takes no payment."),
            code="closed")}) from None
    entry.state, entry.invoice, entry.payment = EntryState.MATCHED, invoice, payment
    entry.resolved_by = actor.staff.user if actor.staff else None
    entry.resolved_at = timezone.now()
    entry.save(update_fields=["state", "invoice", "payment", "resolved_by", "resolved_at"])
    record(actor, action, entry, subject=invoice.client_person, details={
        "invoice": invoice.number, "amount": str(entry.amount), "entry": entry.entry_key})
    return entry


@transaction.atomic
def confirm_match(actor: Actor, entry: StatementEntry) -> StatementEntry:
    """A person confirms a proposed match (A8): the payment is recorded on the proposed invoice
    and the entry is matched; audited. Raises PermissionDenied (not the holder's finance staff
    or system) and ValidationError keyed `entry` (`resolved`; `not_proposed`) or `invoice`
    (`closed`)."""
    locked = _locked_entry(actor, entry)
    if locked.state != EntryState.PROPOSED or locked.invoice_id is None:
        raise ValidationError({"entry": ValidationError(
            gettext("This entry has no proposed invoice: match it by hand."),
            code="not_proposed")})
    invoice = Invoice.objects.get(pk=locked.invoice_id)
    return _book(actor, locked, invoice, PaymentSource.BANK_STATEMENT,
                 "payments.statement.confirm")


@transaction.atomic
def match_by_hand(actor: Actor, entry: StatementEntry, invoice: Invoice) -> StatementEntry:
    """A person matches a waiting entry (unmatched or proposed) to an invoice of the same
    holder (A8): the payment is recorded (source `manual`) and the entry is matched; audited.
    Raises PermissionDenied, Invoice.DoesNotExist (another holder's invoice, a credit note),
    ValidationError keyed `entry` (`resolved`) or `invoice` (`closed`)."""
    locked = _locked_entry(actor, entry)
    if invoice.holder_id != locked.institution_id or invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise Invoice.DoesNotExist
    return _book(actor, locked, invoice, PaymentSource.MANUAL, "payments.statement.match")


@transaction.atomic
def set_aside(actor: Actor, entry: StatementEntry, note: str) -> StatementEntry:
    """A person sets a waiting entry aside with a note (money returned to the payer, booked
    outside the platform): it leaves the queue (state `ignored`); audited. Raises
    PermissionDenied and ValidationError keyed `note` (`required`, `too_long`, the text rule's
    codes) or `entry` (`resolved`)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(
            gettext("Say why the entry is set aside."), code="required")})
    if len(note) > 500:
        raise ValidationError({"note": ValidationError(
            gettext("A note has at most 500 characters."), code="too_long")})
    services.check_text(note, "note")
    locked = _locked_entry(actor, entry)
    locked.state, locked.note = EntryState.IGNORED, note
    locked.resolved_by = actor.staff.user if actor.staff else None
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["state", "note", "resolved_by", "resolved_at"])
    record(actor, "payments.statement.set_aside", locked, details={
        "entry": locked.entry_key, "amount": str(locked.amount)})
    return locked


# --- Reads for the pages and the API -----------------------------------------------------------

def statements_of(actor: Actor, institution_id: int) -> QuerySet[BankStatement]:
    """The institution's imports, newest first. Raises PermissionDenied."""
    _authorise(actor, institution_id)
    return BankStatement.objects.filter(institution_id=institution_id).order_by("-imported_at",
                                                                                "-pk")


def queue_of(actor: Actor, institution_id: int) -> QuerySet[StatementEntry]:
    """The institution's manual queue: unmatched and proposed entries, oldest first, with their
    proposed invoice. Raises PermissionDenied."""
    _authorise(actor, institution_id)
    return (StatementEntry.objects.filter(institution_id=institution_id, state__in=QUEUE_STATES)
            .select_related("invoice").order_by("booking_date", "pk"))


def entry_of(actor: Actor, institution_id: int, entry_id: int) -> StatementEntry:
    """One entry of the institution. Raises PermissionDenied and StatementEntry.DoesNotExist
    (another institution's entry too)."""
    _authorise(actor, institution_id)
    return StatementEntry.objects.select_related("invoice", "statement").get(
        pk=entry_id, institution_id=institution_id)


def find_invoices(actor: Actor, institution_id: int, text: str) -> list[Invoice]:
    """The institution's invoices (no credit notes) whose number, the holder's number or
    reference is `text` (a reference in any spacing; at most 20). Raises PermissionDenied."""
    _authorise(actor, institution_id)
    text = (text or "").strip()
    if not text:
        return []
    compact = re.sub(r"\s+", "", text).upper()
    query = Q(number=text) | Q(holder_number=text) | Q(reference=compact)
    if len(compact) >= 4:
        query |= Q(number__startswith=text) | Q(reference__startswith=compact)
    return list(Invoice.objects.filter(holder_id=institution_id).exclude(
        kind=InvoiceKind.CREDIT_NOTE).filter(query).order_by("number")[:20])


def shown_reference(reference: str) -> str:
    """A reference as people read it: an RF reference in groups of four, another as the bank
    sent it."""
    return printed(reference) if reference.startswith("RF") else reference
