"""Importing bank statements and matching their entries (A8, G29): exact references settle
invoices; a mistyped reference is never matched automatically; amount, payer name and an invoice
named in the text make a proposal a person confirms; the rest wait in the manual queue; the same
file or the same entry twice books once; the whole file or nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import override

from durvis.audit.models import AuditEvent
from durvis.core.models import DomainEvent
from durvis.demo.camt import mistyped
from durvis.payments import services as payments
from durvis.payments import statements
from durvis.payments.models import BankStatement, Invoice, Payment, StatementEntry
from durvis.register.models import ServiceCase
from tests.payments.camt_builder import Ntry, Tx, document

pytestmark = pytest.mark.django_db


def _invoice(finance, case, amount="7.11"):
    return payments.issue_invoice(finance["VSAA"], case.number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind="fee", description="Fee",
                                                    unit_price=amount)]))


# The reference with two digits of its body swapped (the check digits then fail).
_mistyped = mistyped


@pytest.fixture
def invoices(family, payee_accounts, finance):
    return [_invoice(finance, family["own"]), _invoice(finance, family["own"], "12.00"),
            _invoice(finance, family["own"], "3.00")]


def _import(finance, institutions, data, name="camt.xml"):
    return statements.import_statement(finance["VSAA"], institutions["VSAA"], data, name)


def test_an_exact_reference_settles_its_invoice(invoices, finance, institutions):
    first = invoices[0]
    data = document([Ntry("7.11", [Tx("7.11", ref="B1", reference=first.reference)])])
    statement = _import(finance, institutions, data)
    assert (statement.entries, statement.matched, statement.unmatched) == (1, 1, 0)
    assert statement.message_type == "camt.054.001.08"
    first.refresh_from_db()
    assert (first.state, first.paid) == ("paid", Decimal("7.11"))
    payment = Payment.objects.get(invoice=first)
    assert payment.source == "bank_statement" and payment.payer_name == "Jānis Bērziņš"
    entry = StatementEntry.objects.get()
    assert entry.state == "matched" and entry.payment == payment and entry.invoice == first
    assert ServiceCase.objects.get(pk=first.case_id).payment_status == "awaiting_payment"
    changed = DomainEvent.objects.get(name="payment.changed")
    assert changed.payload["state"] == "paid" and changed.payload["amount"] == "7.11"
    assert AuditEvent.objects.filter(action="payments.statement.import").exists()
    batch = AuditEvent.objects.get(action="payments.payment.record_batch")
    assert batch.object_id == str(statement.pk) and batch.details["payments"] == 1
    assert batch.details["amount"] == "7.11" and batch.details["source"] == "bank_statement"


def test_a_mistyped_reference_is_never_matched_automatically(invoices, finance, institutions):
    first = invoices[0]
    wrong = _mistyped(first.reference)
    data = document([Ntry("7.11", [Tx("7.11", ref="B1", reference=wrong)])])
    with override("lv"):
        statement = _import(finance, institutions, data)
    assert (statement.matched, statement.proposed, statement.unmatched) == (0, 0, 1)
    entry = StatementEntry.objects.get()
    assert entry.state == "unmatched" and entry.reason == "checksum"
    with override("en"):  # said in the reader's language, whatever the importer's was
        assert "check digits" in entry.reason_text
    with override("lv"):
        assert "kontrolcipari" in entry.reason_text
    first.refresh_from_db()
    assert first.state == "issued" and not Payment.objects.exists()


def test_a_mistyped_reference_with_the_invoice_in_the_text_is_only_proposed(
        invoices, finance, institutions):
    first = invoices[0]
    data = document([Ntry("7.11", [Tx("7.11", ref="B1", reference=_mistyped(first.reference),
                                      text=f"Rēķins {first.number}", name="JANIS BERZINS")])])
    statement = _import(finance, institutions, data)
    assert (statement.matched, statement.proposed) == (0, 1)
    entry = StatementEntry.objects.get()
    assert entry.state == "proposed" and entry.invoice == first
    assert not Payment.objects.exists()
    statements.confirm_match(finance["VSAA"], entry)
    first.refresh_from_db()
    assert first.state == "paid"
    assert AuditEvent.objects.filter(action="payments.statement.confirm").exists()


def test_amount_name_and_text_make_a_proposal_and_anything_less_does_not(
        invoices, finance, institutions):
    second = invoices[1]
    data = document([
        Ntry("12.00", [Tx("12.00", ref="P1", text=f"par {second.number}")]),
        Ntry("11.00", [Tx("11.00", ref="P2", text=f"par {second.number}")]),  # wrong amount
        Ntry("12.00", [Tx("12.00", ref="P3", text=f"par {second.number}", name="Cits Vārds")]),
        Ntry("12.00", [Tx("12.00", ref="P4", text="par pakalpojumu")]),  # nothing named
    ])
    statement = _import(finance, institutions, data)
    assert (statement.proposed, statement.unmatched) == (1, 3)
    proposed = StatementEntry.objects.get(state="proposed")
    assert proposed.entry_key.endswith(":P1") and proposed.invoice == second


def test_an_entry_for_a_cancelled_invoice_goes_to_the_queue_with_a_note(
        invoices, finance, institutions):
    third = invoices[2]
    payments.cancel_invoice(finance["VSAA"], third, reason="Issued by mistake")
    data = document([Ntry("3.00", [Tx("3.00", ref="C1", reference=third.reference)])])
    with override("lv"):
        statement = _import(finance, institutions, data)
    assert (statement.matched, statement.unmatched) == (0, 1)
    entry = StatementEntry.objects.get()
    assert entry.state == "unmatched" and entry.invoice == third and entry.reason == "closed"
    with override("en"):
        assert third.number in entry.reason_text and "cancelled" in entry.reason_text
    with override("lv"):
        assert third.number in entry.reason_text and "atcelts" in entry.reason_text
    assert not Payment.objects.exists()


def test_the_same_file_twice_and_the_same_entry_in_two_files_book_once(
        invoices, finance, institutions):
    first = invoices[0]
    entry = Ntry("7.11", [Tx("7.11", ref="B1", reference=first.reference)], ref="B1")
    data = document([entry])
    one = _import(finance, institutions, data)
    again = _import(finance, institutions, data)
    assert again.pk == one.pk and BankStatement.objects.count() == 1
    statement = document([entry, Ntry("5.00", [Tx("5.00", ref="B2")])], kind="camt.053",
                         message_id="STMT-1")
    other = _import(finance, institutions, statement)
    assert (other.entries, other.duplicates, other.unmatched) == (2, 1, 1)
    assert Payment.objects.count() == 1
    first.refresh_from_db()
    assert first.paid == Decimal("7.11")


def test_a_refused_file_leaves_nothing_behind(invoices, finance, institutions):
    first = invoices[0]
    data = document([Ntry("7.11", [Tx("7.11", ref="B1", reference=first.reference)]),
                     Ntry("1.005", [Tx("1.005", ref="B2")])])
    with pytest.raises(statements.StatementRefused) as raised:
        _import(finance, institutions, data)
    assert raised.value.code == "precision" and raised.value.where == "Ntry[2]/Amt"
    assert not BankStatement.objects.exists() and not Payment.objects.exists()
    first.refresh_from_db()
    assert first.state == "issued"


def test_another_institutions_account_is_refused(invoices, finance, institutions):
    data = document([Ntry("7.11", [Tx("7.11", ref="B1")])], account="LV36RIKO0000435195001")
    with pytest.raises(statements.StatementRefused) as raised:
        _import(finance, institutions, data)
    assert raised.value.code == "foreign_account"


def test_only_the_holders_finance_staff_import_and_work_the_queue(
        invoices, finance, institutions):
    data = document([Ntry("7.11", [Tx("7.11", ref="B1")])])
    with pytest.raises(PermissionDenied):
        statements.import_statement(finance["RIGA"], institutions["VSAA"], data, "x.xml")
    _import(finance, institutions, data)
    entry = StatementEntry.objects.get()
    with pytest.raises(PermissionDenied):
        statements.set_aside(finance["RIGA"], entry, "not ours")
    with pytest.raises(PermissionDenied):
        statements.match_by_hand(finance["RIGA"], entry, invoices[0])


def test_matching_by_hand_and_setting_aside(invoices, finance, institutions):
    first = invoices[0]
    data = document([Ntry("7.11", [Tx("7.11", ref="M1", text="maksājums")]),
                     Ntry("9.99", [Tx("9.99", ref="M2")])])
    _import(finance, institutions, data)
    one, two = StatementEntry.objects.order_by("pk")
    statements.match_by_hand(finance["VSAA"], one, first)
    first.refresh_from_db()
    assert first.state == "paid" and Payment.objects.get().source == "manual"
    with pytest.raises(ValidationError) as raised:
        statements.match_by_hand(finance["VSAA"], one, invoices[1])
    assert raised.value.message_dict["entry"]
    with pytest.raises(ValidationError) as raised:
        statements.set_aside(finance["VSAA"], two, "  ")
    assert raised.value.error_dict["note"][0].code == "required"
    statements.set_aside(finance["VSAA"], two, "Returned to the payer")
    two.refresh_from_db()
    assert two.state == "ignored" and two.note == "Returned to the payer"
    assert list(statements.queue_of(finance["VSAA"], institutions["VSAA"].pk)) == []
    assert AuditEvent.objects.filter(action__in=["payments.statement.match",
                                                 "payments.statement.set_aside"]).count() == 2


def test_a_batch_pays_several_invoices_in_one_import(invoices, finance, institutions):
    data = document([Ntry("22.11", [Tx(i.total and str(i.total), ref=f"T{n}",
                                       reference=i.reference) for n, i in enumerate(invoices)],
                          ref="BATCH", batch=True)])
    statement = _import(finance, institutions, data)
    assert statement.matched == 3
    assert set(Invoice.objects.values_list("state", flat=True)) == {"paid"}
    assert ServiceCase.objects.get(pk=invoices[0].case_id).payment_status == "paid"


def test_a_large_file_is_accepted_at_once_and_booked_by_the_worker(
        invoices, finance, institutions, monkeypatch):
    """A file with more entries to book than `BOOK_AT_ONCE` is stored and matched in the
    import's transaction, and booked by the worker's rounds (`payments.statements`), a chunk per
    transaction; until then its entries are neither paid nor in the manual queue."""
    from durvis.core.worker import SOURCES

    monkeypatch.setattr(statements, "BOOK_AT_ONCE", 1)
    monkeypatch.setattr(statements, "CHUNK", 2)
    first, second, third = invoices
    data = document([Ntry(i.total, [Tx(str(i.total), ref=f"L{n}", reference=i.reference)])
                     for n, i in enumerate(invoices)])
    statement = _import(finance, institutions, data)
    assert (statement.entries, statement.pending, statement.matched) == (3, 3, 0)
    assert set(StatementEntry.objects.values_list("state", flat=True)) == {"pending"}
    assert not statements.queue_of(finance["VSAA"], institutions["VSAA"].pk).exists()
    first.refresh_from_db()
    assert first.state == "issued" and not Payment.objects.exists()
    assert statements.next_booking_at() is not None
    assert "payments.statements" in {source.key for source in SOURCES}
    payments.cancel_invoice(finance["VSAA"], third, reason="Issued by mistake")

    assert statements.book_due() == 2  # one chunk per round
    statement.refresh_from_db()
    assert (statement.pending, statement.matched) == (1, 2)
    assert statements.book_due() == 1 and statements.book_due() == 0
    assert statements.next_booking_at() is None
    statement.refresh_from_db()
    assert (statement.pending, statement.matched, statement.unmatched) == (0, 2, 1)
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.state == "paid" and invoice.paid == invoice.total
    late = StatementEntry.objects.get(invoice=third)
    assert late.state == "unmatched" and late.reason == "not_booked"
    with override("en"):
        assert "took no payment" in late.reason_text
    booked = DomainEvent.objects.filter(name="payment.changed", payload__payment_state="success")
    assert sorted(e.key for e in booked) == sorted(f"invoice:{i.pk}" for i in (first, second))
    # one activity-log row per round that booked money (the second booked none)
    assert AuditEvent.objects.filter(action="payments.payment.record_batch",
                                     object_id=str(statement.pk)).count() == 1


def test_a_booking_round_leaves_nothing_half_done(invoices, finance, institutions, monkeypatch):
    """A round that fails half-way (here: the events cannot be written) books nothing of its
    chunk: the entries stay pending for the next round."""
    monkeypatch.setattr(statements, "BOOK_AT_ONCE", 0)
    first = invoices[0]
    statement = _import(finance, institutions, document(
        [Ntry("7.11", [Tx("7.11", ref="F1", reference=first.reference)])]))

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr(payments, "publish", broken)
    with pytest.raises(RuntimeError):
        statements.book_due()
    first.refresh_from_db()
    statement.refresh_from_db()
    assert first.state == "issued" and not Payment.objects.exists() and statement.pending == 1
    monkeypatch.undo()
    assert statements.book_due() == 1
    first.refresh_from_db()
    assert first.state == "paid"
