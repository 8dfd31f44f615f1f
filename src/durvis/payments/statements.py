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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.core import bulk
from durvis.core.actor import SYSTEM, Actor
from durvis.core.worker import SOURCES, Source, wake
from durvis.identity.models import Institution
from durvis.identity.queries import audit_subject_of
from durvis.payments import services
from durvis.payments.camt import CamtEntry, CamtError, CamtSummary, ReadAhead
from durvis.payments.models import (
    OPEN_STATES,
    BankStatement,
    EntryReason,
    EntryState,
    Invoice,
    InvoiceKind,
    PayeeAccount,
    PaymentSource,
    StatementEntry,
)
from durvis.payments.references import parse_reference, printed
from durvis.payments.rules import PaymentAction

CHUNK = 5000
# A file with up to this many entries to book is booked in the import's own transaction; a larger
# one is accepted at once (stored, checked, matched) and booked by the worker, CHUNK entries per
# transaction, so that a 100,000-entry file is never one request's minute-long wait.
BOOK_AT_ONCE = 2000
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
        return cls(error.code, error.message, error.where, line=error.line, **error.params)


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
    with ReadAhead(data, summary, CHUNK) as chunks:  # the next chunk is read meanwhile
        for chunk in chunks:
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
    statement.pending, statement.proposed = counts["pending"], counts["proposed"]
    statement.unmatched, statement.duplicates = counts["unmatched"], counts["duplicates"]
    statement.save(update_fields=["message_id", "message_type", "entries", "pending",
                                  "proposed", "unmatched", "duplicates"])
    record(actor, "payments.statement.import", statement, details={
        "institution": institution.code, "message_type": statement.message_type,
        "message_id": statement.message_id, "sha256": digest, **counts,
        "debits_skipped": summary.debits_skipped})
    if statement.pending <= BOOK_AT_ONCE:
        _book_pending(actor, statement, statement.pending)
    else:
        transaction.on_commit(wake)
    return statement


# --- Booking the matched entries -----------------------------------------------------------------

def _book_pending(actor: Actor, statement: BankStatement, limit: int) -> int:
    """Book up to `limit` of the statement's pending entries, oldest first, in the caller's
    transaction (the caller holds the statement's row): one payment each on its invoice
    (`services.record_payments`: the invoices settled, the cases' payment statuses, the
    `payment.changed` events); an entry whose invoice took nothing (closed meanwhile, or the
    payment was recorded already) goes to the manual queue with the reason. Returns how many
    entries were taken."""
    pending = list(StatementEntry.objects.filter(statement=statement, state=EntryState.PENDING)
                   .order_by("pk").values_list("pk", "invoice_id", "entry_key", "amount",
                                               "booking_date", "value_date", "bank_reference",
                                               "debtor_name")[:limit])
    if not pending:
        return 0
    booked = services.record_payments(actor, [
        services.Received(invoice_id=invoice_id, amount=amount,
                          paid_at=_paid_at(booking or value), dedup_key=dedup_key(key),
                          bank_reference=bank_reference, payer_name=payer)
        for _pk, invoice_id, key, amount, booking, value, bank_reference, payer in pending],
        source=PaymentSource.BANK_STATEMENT, about=statement)
    now = timezone.now()
    rows: list[tuple[int, str, int | None, str, datetime.datetime | None]] = []
    for pk, _invoice, key, *_rest in pending:
        payment_id = booked.get(dedup_key(key))
        if payment_id is None:
            rows.append((pk, EntryState.UNMATCHED, None, EntryReason.NOT_BOOKED, None))
        else:
            rows.append((pk, EntryState.MATCHED, payment_id, "", now))
    bulk.update_rows(StatementEntry, ["state", "payment", "reason", "resolved_at"], rows)
    matched = sum(1 for row in rows if row[1] == EntryState.MATCHED)
    statement.pending -= len(rows)
    statement.matched += matched
    statement.unmatched += len(rows) - matched
    statement.save(update_fields=["pending", "matched", "unmatched"])
    return len(rows)


def book_due() -> int:
    """The worker's round for bank statements (`payments.statements`): book one chunk
    (`CHUNK` entries) of the oldest statement still booking, in its own transaction, as the
    platform (`SYSTEM`; the import's activity-log row says who imported the file); a statement
    another worker is booking is skipped. Returns how many entries were taken."""
    with transaction.atomic():
        statement = (BankStatement.objects.select_for_update(skip_locked=True)
                     .filter(pending__gt=0).order_by("pk").first())
        if statement is None:
            return 0
        return _book_pending(SYSTEM, statement, CHUNK)


def next_booking_at() -> datetime.datetime | None:
    """Now, when a statement has entries still to book; else None."""
    return timezone.now() if BankStatement.objects.filter(pending__gt=0).exists() else None


def _nothing_leased(_workers: Sequence[str]) -> int:
    return 0  # a booking holds a row lock, which a dead worker's connection gives back


SOURCES.register(Source("payments.statements", book_due, next_booking_at, _nothing_leased))


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


# Texts handed to PostgreSQL as one parameter, split there (`_texts`): psycopg dumps a list
# parameter item by item in Python (a regular expression each), ten times the cost of one text.
# The separator is a control character XML 1.0 does not allow, so no text read from a file
# holds it.
_SEPARATOR = "\x1f"


def _texts(values: Iterable[str]) -> str:
    """`values` as one text for `string_to_array(%s, E'\\x1f')`."""
    return _SEPARATOR.join(values)


def _known(institution_id: int, keys: list[str]) -> set[str]:
    """Which of `keys` the institution's entries have already. On PostgreSQL the keys are
    joined as a set (`= ANY(array)` would compare each row with every key when the planner,
    its statistics not yet knowing the rows this import added, scans the table)."""
    if connection.vendor != "postgresql":
        return set(StatementEntry.objects.filter(
            institution_id=institution_id, entry_key__in=keys).values_list("entry_key", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.entry_key FROM unnest(string_to_array(%s, E'\\x1f')) AS k(key) "  # noqa: S608
            f"JOIN {StatementEntry._meta.db_table} e ON e.entry_key = k.key "
            "AND e.institution_id = %s", [_texts(keys), institution_id])
        return {row[0] for row in cursor.fetchall()}


_ENTRY_COLUMNS = ("statement_id", "institution_id", "entry_key", "amount", "currency",
                  "booking_date", "value_date", "debtor_name", "debtor_iban", "reference",
                  "unstructured", "bank_reference", "state", "invoice_id", "reason", "note")


class _Matcher:
    """Matches chunks of entries on plain rows (no object per entry: the entries are named
    tuples, the rows tuples): one query for the entries already seen, one for the invoices by
    reference, one by the numbers and references named in texts (for the few without a valid
    reference), and the entries written at once (`bulk.copy_rows`), in the file's order."""

    def __init__(self, actor: Actor, institution: Institution, statement: BankStatement) -> None:
        self.actor, self.institution, self.statement = actor, institution, statement
        self.counts = {"pending": 0, "proposed": 0, "unmatched": 0, "duplicates": 0}
        self.seen: set[str] = set()
        self.invoices = Invoice.objects.filter(holder=institution).exclude(
            kind=InvoiceKind.CREDIT_NOTE)
        if actor.api is not None and actor.api.service_ids is not None:
            self.invoices = self.invoices.filter(case__service_id__in=actor.api.service_ids)

    def take(self, chunk: list[CamtEntry]) -> None:
        known = _known(self.institution.pk, [e.entry_key for e in chunk])
        seen = self.seen
        fresh = []
        for entry in chunk:
            key = entry.entry_key
            if key in known or key in seen:
                continue
            seen.add(key)
            fresh.append(entry)
        self.counts["duplicates"] += len(chunk) - len(fresh)
        if not fresh:
            return
        found, checksum = self._by_reference(fresh)
        proposed = self._propose([e for e in fresh if not e.reference
                                  or e.reference not in found])
        statement_id, institution_id = self.statement.pk, self.institution.pk
        pending, unmatched = str(EntryState.PENDING), str(EntryState.UNMATCHED)
        closed_states = services.CLOSED_STATES
        rows = []
        invoice_id: int | None
        for e in fresh:
            hit = found.get(e.reference) if e.reference else None
            if hit is not None:
                if hit[1] in closed_states:
                    state, invoice_id, reason = unmatched, hit[0], str(EntryReason.CLOSED)
                else:
                    state, invoice_id, reason = pending, hit[0], ""
            else:
                invoice_id = proposed.get(e.entry_key)
                state = unmatched if invoice_id is None else str(EntryState.PROPOSED)
                reason = str(EntryReason.CHECKSUM) if e.reference in checksum else ""
            rows.append((statement_id, institution_id, e.entry_key, e.amount, e.currency,
                         e.booking_date, e.value_date, e.debtor_name, e.debtor_iban,
                         e.reference, e.unstructured, e.bank_reference, state, invoice_id,
                         reason, ""))
        bulk.copy_rows(StatementEntry, _ENTRY_COLUMNS, rows)
        counts = self.counts
        for row in rows:
            counts[row[12]] += 1

    def _by_reference(self, entries: list[CamtEntry]
                      ) -> tuple[dict[str, tuple[int, str]], set[str]]:
        """The holder's invoices (id, state) by the references the entries give, and the
        references whose check digits fail (the entry's reason). A reference equal to an
        invoice's (each made valid, `creditor_reference`) is valid as given; only the others
        are checked (`parse_reference`), and a valid one written otherwise (dashes) is looked
        up in its electronic form."""
        found = self._invoices_by({e.reference for e in entries if e.reference})
        checksum: set[str] = set()
        again: dict[str, list[str]] = {}
        for reference in {e.reference for e in entries if e.reference} - set(found):
            try:
                checked = parse_reference(reference)
            except ValidationError as error:
                if error.code == "checksum":
                    checksum.add(reference)
                continue
            if checked != reference:
                again.setdefault(checked, []).append(reference)
        if again:
            for checked, row in self._invoices_by(set(again)).items():
                for reference in again[checked]:
                    found[reference] = row
        return found, checksum

    def _invoices_by(self, references: set[str]) -> dict[str, tuple[int, str]]:
        """The holder's invoices (id, state) by reference. On PostgreSQL the references are a
        set to join (`IN (SELECT unnest(...))`: one lookup of the unique reference each);
        `= ANY(array)` let the planner prefer the holder's index and compare every invoice of
        the holder with the array, once per chunk (100 ms a chunk at 100,000 invoices). The
        rows are fetched at once on a plain cursor (the ORM's iteration over thousands of
        rows cost more than the query)."""
        if not references:
            return {}
        wanted = list(references)
        found = self.invoices.filter(
            reference__in=RawSQL("SELECT unnest(string_to_array(%s, E'\\x1f'))",
                                 (_texts(wanted),))
            if connection.vendor == "postgresql" else wanted
        ).values_list("reference", "id", "state")
        sql, params = found.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {reference: (pk, state) for reference, pk, state in cursor.fetchall()}

    def _propose(self, rest: list[CamtEntry]) -> dict[str, int]:
        """The invoice proposed for each entry (by its key) that names exactly one open
        invoice of the holder (its number or a valid reference, in its text or as its
        reference) whose amount still owed is the entry's and whose payer is the debtor."""
        named = {e.entry_key: _named_in(f"{e.unstructured} {e.reference}") for e in rest}
        numbers = {n for ns, _refs in named.values() for n in ns}
        references = {r for _ns, refs in named.values() for r in refs}
        if not numbers and not references:
            return {}
        candidates = list(self.invoices.filter(
            Q(number__in=numbers) | Q(reference__in=references)).filter(state__in=OPEN_STATES)
            .values_list("id", "number", "reference", "total", "paid", "payer_name"))
        by_number = {c[1]: c for c in candidates}
        by_reference = {c[2]: c for c in candidates}
        proposed = {}
        for entry in rest:
            ns, refs = named[entry.entry_key]
            found = {by_number[n] for n in ns if n in by_number} | {
                by_reference[r] for r in refs if r in by_reference}
            payer = _folded(entry.debtor_name)
            fits = [c for c in found if max(c[3] - c[4], Decimal("0.00")) == entry.amount
                    and payer and _folded(c[5]) == payer]
            if len(fits) == 1:
                proposed[entry.entry_key] = fits[0][0]
        return proposed


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
    record(actor, action, entry, subject=audit_subject_of(invoice), details={
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
