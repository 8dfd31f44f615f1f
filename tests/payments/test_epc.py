"""The EPC QR code of an invoice (A8; EPC069-12 version 002): fields in their order, UTF-8, the
structured reference and never free text beside it, the byte and version limits."""

from decimal import Decimal

import pytest

from durvis.payments.epc import EpcError, Transfer, of_invoice, payload, qr_code, svg

TRANSFER = Transfer(bic="TRELLV22", name="Valsts sociālās apdrošināšanas aģentūra",
                    iban="LV71TREL9140401016000", amount=Decimal("7.1"),
                    reference="RF75499997654401", note="1011-76544-01")


def test_the_fields_in_the_guidelines_order():
    lines = payload(TRANSFER).split("\n")
    assert lines == ["BCD", "002", "1", "SCT", "TRELLV22",
                     "Valsts sociālās apdrošināšanas aģentūra", "LV71TREL9140401016000",
                     "EUR7.10", "", "RF75499997654401", "", "1011-76544-01"]
    assert "\r" not in payload(TRANSFER)


def test_trailing_empty_fields_are_left_out_and_the_amount_may_be_open():
    lines = payload(Transfer(bic="TRELLV22", name="VSAA", iban="LV71TREL9140401016000",
                             amount=None, reference="RF75499997654401")).split("\n")
    assert lines[-1] == "RF75499997654401" and lines[7] == ""
    assert len(lines) == 10


def test_latvian_letters_are_utf8_within_331_bytes_and_version_13():
    text = payload(Transfer(bic="TRELLV22", name="Ā" * 70, iban="LV71TREL9140401016000",
                            amount=Decimal("999999999.99"), reference="RF75499997654401",
                            note="ž" * 20))
    assert len(text.encode()) <= 331
    assert qr_code(text).version <= 13
    assert qr_code(text).error_correction == 0  # qrcode's ERROR_CORRECT_M


@pytest.mark.parametrize("change", [
    {"name": "A" * 71}, {"name": " "}, {"amount": Decimal("0")}, {"amount": Decimal("0.001")},
    {"amount": Decimal("1000000000")}, {"amount": Decimal("NaN")}, {"reference": "RF" + "1" * 34},
    {"note": "x" * 71},
    {"name": "Ā" * 70, "note": "ž" * 70},  # each within 70 characters, the whole over 331 bytes
])
def test_a_field_out_of_its_limits_is_refused(change):
    fields = {**TRANSFER.__dict__, **change}
    with pytest.raises(EpcError):
        payload(Transfer(**fields))


def test_the_svg_is_an_accessible_image():
    markup = svg(payload(TRANSFER), label="QR code for paying invoice 1011-76544-01")
    assert 'role="img"' in markup and 'aria-label="QR code for paying invoice 1011-76544-01"' \
        in markup


@pytest.mark.django_db
def test_an_invoices_payload_asks_for_what_is_left(family, paid_service, payee_accounts, finance):
    from django.utils import timezone

    from durvis.core.actor import Actor
    from durvis.payments import services as payments
    from durvis.register.models import ServiceCase

    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    invoice = payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                        language="lv")
    assert of_invoice(invoice).split("\n")[7] == "EUR7.11"
    payments.record_payment(finance["VSAA"], invoice, source="manual", amount="5",
                            paid_at=timezone.now(), dedup_key="m1")
    invoice.refresh_from_db()
    assert of_invoice(invoice).split("\n")[7] == "EUR2.11"
    assert of_invoice(invoice).split("\n")[9] == invoice.reference
