"""Issuing invoices and settling them by their money (A8, B1): totals exact to the cent, the
reference from the service and case, the state from what was paid, the case's payment status in
the register, `invoice.issued` and `payment.changed` published, nothing half-written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from stdnum import iso11649

from durvis.core.actor import Actor
from durvis.core.models import DomainEvent
from durvis.payments import services as payments
from durvis.payments.models import Invoice, InvoiceLine, PayeeAccount, Payment
from durvis.register.models import CaseEvent, ServiceCase

pytestmark = pytest.mark.django_db


def _prepaid(family):
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    return payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                     language="en")


def test_a_prepaid_service_gets_its_prepayment_invoice(family, paid_service, payee_accounts):
    invoice = _prepaid(family)
    case = family["own"]
    digits = case.number.split(" ")[1]
    assert invoice.number == f"1011-{digits}-01"
    assert invoice.total == Decimal("7.11") and invoice.state == "issued"
    assert iso11649.is_valid(invoice.reference)
    assert invoice.payee_iban == payee_accounts["VSAA"].iban
    assert invoice.payer_name == "Jānis Bērziņš"
    assert invoice.due_date == timezone.localdate() + datetime.timedelta(days=14)
    assert [line.description for line in invoice.lines.all()] == ["Childbirth benefit"]
    case.refresh_from_db()
    assert case.payment_status == "awaiting_payment"
    assert CaseEvent.objects.filter(case=case, kind="payment").count() == 1
    issued = DomainEvent.objects.get(name="invoice.issued")
    assert issued.payload["number"] == invoice.number and issued.payload["total"] == "7.11"
    assert "14038612043" not in str(issued.payload)


def test_a_free_service_gets_no_invoice(family, payee_accounts):
    assert _prepaid(family) is None
    assert not Invoice.objects.exists()


def test_without_a_payee_account_nothing_is_issued(family, paid_service):
    with pytest.raises(ValidationError) as raised:
        _prepaid(family)
    assert raised.value.message_dict["payment"]
    assert not Invoice.objects.exists()


def test_money_moves_the_state_and_the_case(family, paid_service, payee_accounts, finance):
    invoice = _prepaid(family)
    at = timezone.now()
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="5.00",
                            paid_at=at, dedup_key="fs:1")
    invoice.refresh_from_db()
    assert (invoice.state, invoice.paid) == ("partly_paid", Decimal("5.00"))
    _payment, created = payments.record_payment(
        finance["VSAA"], invoice, source="finance_system", amount="5.00", paid_at=at,
        dedup_key="fs:1")
    assert not created  # the same report twice books nothing twice
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="2.11",
                            paid_at=at, dedup_key="fs:2")
    invoice.refresh_from_db()
    assert (invoice.state, invoice.paid) == ("paid", Decimal("7.11"))
    assert ServiceCase.objects.get(pk=invoice.case_id).payment_status == "paid"
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="1",
                            paid_at=at, dedup_key="fs:3")
    invoice.refresh_from_db()
    assert invoice.state == "overpaid"
    states = [e.payload["state"] for e in DomainEvent.objects.filter(name="payment.changed")
              .order_by("pk")]
    assert states == ["partly_paid", "paid", "overpaid"]


def test_an_unpaid_invoice_past_its_due_date_is_overdue(family, paid_service, payee_accounts):
    invoice = _prepaid(family)
    later = invoice.due_date + datetime.timedelta(days=1)
    assert payments.state_of(invoice, later) == "overdue"
    assert payments.state_of(invoice, invoice.due_date) == "issued"


def test_a_post_payment_invoice_with_vat_lines(family, payee_accounts, finance):
    invoice = payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
        kind="postpayment", lines=[
            payments.NewLine(kind="fee", description="Copy of a decision", unit_price="2.50",
                             quantity="3", vat_rate="21"),
            payments.NewLine(kind="state_duty", description="State duty", unit_price="1.43"),
        ]))
    lines = list(invoice.lines.all())
    assert [(line.net, line.vat, line.total) for line in lines] == [
        (Decimal("7.50"), Decimal("1.58"), Decimal("9.08")),
        (Decimal("1.43"), Decimal("0.00"), Decimal("1.43"))]
    assert invoice.total == Decimal("10.51")
    second = payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind="fee", description="x", unit_price=1)]))
    assert second.number.endswith("-02") and second.reference != invoice.reference


@pytest.mark.parametrize(("line", "key", "code"), [
    ({"unit_price": "7.111"}, "lines.0.unit_price", "precision"),
    ({"unit_price": "0"}, "lines.0.unit_price", "not_positive"),
    ({"unit_price": "-5"}, "lines.0.unit_price", "not_positive"),
    ({"quantity": "0"}, "lines.0.quantity", "not_positive"),
    ({"quantity": "-1"}, "lines.0.quantity", "not_positive"),
    ({"quantity": "NaN"}, "lines.0.quantity", "invalid"),
    ({"vat_rate": "121"}, "lines.0.vat_rate", "too_large"),
    ({"kind": "tip"}, "lines.0.kind", "invalid"),
    ({"description": ""}, "lines.0.description", "invalid"),
    ({"description": "a\u202eb"}, "lines.0.description", "bidi_control"),
])
def test_a_bad_line_is_refused_at_its_field_and_nothing_is_written(family, payee_accounts,
                                                                   finance, line, key, code):
    fields = {"kind": "fee", "description": "Fee", "unit_price": "1.00", **line}
    with pytest.raises(ValidationError) as raised:
        payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
            kind="postpayment", lines=[payments.NewLine(**fields)]))
    assert [e.code for e in raised.value.error_dict[key]] == [code]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    assert not DomainEvent.objects.filter(name="invoice.issued").exists()


def test_another_institutions_finance_staff_cannot_issue(family, payee_accounts, finance):
    with pytest.raises(PermissionDenied):
        payments.issue_invoice(finance["RIGA"], family["own"].number, payments.NewInvoice(
            kind="postpayment", lines=[payments.NewLine(kind="fee", description="x",
                                                        unit_price=1)]))
    assert not Invoice.objects.exists()


def test_an_external_invoice_keeps_its_number_and_reference(family, payee_accounts, finance):
    invoice = payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
        kind="postpayment", origin="external", holder_number="VSAA-2026/17",
        reference="RF18 5390 0754 7034",
        lines=[payments.NewLine(kind="fee", description="x", unit_price=1)]))
    assert invoice.reference == "RF18539007547034"
    for reference, number, key in (("RF18 5390 0754 7035", "VSAA-2026/18", "reference"),
                                   ("", "VSAA-2026/17", "holder_number"),
                                   ("RF18539007547034", "VSAA-2026/19", "reference")):
        with pytest.raises(ValidationError) as raised:
            payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
                kind="postpayment", origin="external", holder_number=number,
                reference=reference,
                lines=[payments.NewLine(kind="fee", description="x", unit_price=1)]))
        assert key in raised.value.error_dict
    assert Invoice.objects.count() == 1


def test_cancel_only_unpaid_and_credit_otherwise(family, paid_service, payee_accounts, finance):
    invoice = _prepaid(family)
    payments.record_payment(finance["VSAA"], invoice, source="manual", amount="7.11",
                            paid_at=timezone.now(), dedup_key="m:1")
    with pytest.raises(ValidationError):
        payments.cancel_invoice(finance["VSAA"], invoice, reason="mistake")
    note = payments.credit_invoice(finance["VSAA"], invoice, reason="Application withdrawn")
    invoice.refresh_from_db()
    assert invoice.state == "credited" and note.total == Decimal("-7.11")
    assert note.credits_id == invoice.pk
    with pytest.raises(payments.InvoiceClosed):
        payments.record_payment(finance["VSAA"], invoice, source="manual", amount="1",
                                paid_at=timezone.now(), dedup_key="m:2")
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert ServiceCase.objects.get(pk=invoice.case_id).payment_status == "credited"


def test_a_payee_account_is_checked(institutions, finance):
    with pytest.raises(ValidationError) as raised:
        payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                    iban="LV71TREL9140401016001", bic="TRELLV22")
    assert "iban" in raised.value.error_dict
    with pytest.raises(ValidationError) as raised:
        payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                    iban="LV71TREL9140401016000", bic="HABALV22")
    assert [e.code for e in raised.value.error_dict["bic"]] == ["bank"]
    account = payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                          iban="lv71 trel 9140 4010 1600 0", bic="")
    assert (account.iban, account.bic) == ("LV71TREL9140401016000", "TRELLV22")
    with pytest.raises(PermissionDenied):
        payments.save_payee_account(finance["RIGA"], institutions["VSAA"], name="VSAA",
                                    iban="LV71TREL9140401016000", bic="TRELLV22")


def test_a_bic_must_be_the_bank_of_an_iban_the_bank_registry_does_not_know(institutions, finance):
    # LV80 BANK …: a Latvian bank schwifty's registry does not know; its BIC begins with BANK.
    unknown_bank = "LV80BANK0000435195001"
    for bic, code, says in (("HABALV22", "bank", "BIC HABALV22 is another bank's"),
                            ("BANKEE22", "country", "another country (EE) than the IBAN (LV)")):
        with translation.override("en"), pytest.raises(ValidationError) as raised:
            payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                        iban=unknown_bank, bic=bic)
        [error] = raised.value.error_dict["bic"]
        assert error.code == code and says in error.messages[0]
    with translation.override("lv"), pytest.raises(ValidationError) as raised:
        payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                    iban=unknown_bank, bic="HABALV22")
    assert "BANK" in raised.value.messages[0] and "citas bankas" in raised.value.messages[0]
    account = payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="VSAA",
                                          iban=unknown_bank, bic="bankLV2X")
    assert account.bic == "BANKLV2X"
    assert not PayeeAccount.objects.filter(bic="HABALV22").exists()


def test_adding_an_account_the_institution_has_is_refused(institutions, finance, payee_accounts):
    with pytest.raises(ValidationError) as raised:
        payments.save_payee_account(finance["VSAA"], institutions["VSAA"], name="Cits",
                                    iban=payee_accounts["VSAA"].iban, bic="", new=True)
    assert [e.code for e in raised.value.error_dict["iban"]] == ["taken"]
    payee_accounts["VSAA"].refresh_from_db()
    assert payee_accounts["VSAA"].name == "Valsts sociālās apdrošināšanas aģentūra"
