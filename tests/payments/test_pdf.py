"""The invoice's PDF (A8): in the invoice's language, with the payee's account, the reference in
groups of four and the amounts; its EPC QR code decodes back to the exact payload a banking app
needs; it is stored once, as a document the holder sent to the client, on the case."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from durvis.core.actor import Actor
from durvis.documents.models import Direction, Document
from durvis.payments import epc, pdf
from durvis.payments import services as payments
from durvis.payments.models import Invoice
from durvis.register.models import ServiceCase

from .conftest import VSAA_IBAN

pytestmark = pytest.mark.django_db
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="Debian's poppler-utils is not installed")


def text_of(content: bytes) -> str:
    """The PDF's text as a reader's copy-paste gives it (poppler's pdftotext), spaces squeezed."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                         check=True).stdout.decode()
    return " ".join(out.split())


def qr_codes_in(content: bytes) -> list[str]:
    """The QR codes a phone's camera would read on the printed page (poppler renders the page at
    150 dpi, zxing-cpp decodes)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-", str(Path(folder) / "page")],
                       input=content, check=True)
        found = []
        for page in sorted(Path(folder).glob("page*.png")):
            found += [code.text for code in zxingcpp.read_barcodes(Image.open(page))
                      if code.format == zxingcpp.BarcodeFormat.QRCode]
        return found


def raster(svg: str, scale: int = 8) -> Image.Image:
    """The SVG path image of `epc.svg` drawn as pixels: each `Mx,yHx2Vy2Hxz` square of the path
    qrcode writes a black module, on white with the quiet zone (the viewBox)."""
    root = ElementTree.fromstring(svg)
    size = float(root.get("viewBox", "0 0 0 0").split()[2])
    image = Image.new("L", (int(size * scale), int(size * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = next(e for e in root.iter() if e.tag.endswith("path")).get("d", "")
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path)
    assert squares
    for x, y, x2, y2 in ((float(v) for v in square) for square in squares):
        draw.rectangle([x * scale, y * scale, x2 * scale - 1, y2 * scale - 1], fill=0)
    return image


def issue(family, language="en", **kwargs):
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    return payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                     language=language)


def post_payment(finance, family, language):
    return payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
        kind="postpayment", language=language, lines=[
            payments.NewLine(kind="fee", description="Copy of a decision", unit_price="2.50",
                             quantity="3", vat_rate="21"),
            payments.NewLine(kind="state_duty", description="State duty", unit_price="1.40")]))


@needs_poppler
@pytest.mark.parametrize("language", ["lv", "en"])
def test_the_pdf_has_payee_reference_amounts_and_dates(family, payee_accounts, finance, language):
    invoice = post_payment(finance, family, language)
    text = text_of(pdf.render(invoice))
    assert VSAA_IBAN in text and "TRELLV22" in text
    assert "Valsts sociālās apdrošināšanas aģentūra" in text
    assert invoice.number in text and family["own"].number in text
    assert " ".join(invoice.reference[i:i + 4] for i in range(0, len(invoice.reference), 4)) \
        in text
    assert "Jānis Bērziņš" in text
    assert "14038612043" not in text and "140386-12043" not in text
    if language == "lv":
        # 3 × 2,50 = 7,50 net + 21 % VAT 1,58 = 9,08; and 1,40 duty: 10,48 in all.
        for amount in ("€ 2,50", "€ 7,50", "€ 1,58", "€ 9,08", "€ 1,40", "€ 10,48"):
            assert amount in text
        assert "Rēķins" in text
        assert "Samaksas termiņš" in text and invoice.due_date.strftime("%d.%m.%Y") in text
        assert "strukturētā" in text
    else:
        for amount in ("€2.50", "€7.50", "€1.58", "€9.08", "€1.40", "€10.48"):
            assert amount in text
        assert "Invoice" in text and "Due date" in text
        assert "structured reference field" in text
        assert invoice.due_date.strftime("%-d %B %Y") in text


@needs_poppler
def test_the_qr_code_on_the_printed_page_decodes_to_the_epc_payload(family, paid_service,
                                                                     payee_accounts):
    invoice = issue(family)
    expected = epc.of_invoice(invoice)
    assert qr_codes_in(pdf.render(invoice)) == [expected]
    assert expected.split("\n")[7] == "EUR7.11" and expected.split("\n")[9] == invoice.reference


def test_the_svg_decodes_to_the_exact_payload_with_latvian_letters():
    text = epc.payload(epc.Transfer(
        bic="TRELLV22", name="Valsts zemes dienests — ģeodēzija, ķīmija", iban=VSAA_IBAN,
        amount=None, reference="RF75499997654401", note="2003-12345-01"))
    (found,) = zxingcpp.read_barcodes(raster(epc.svg(text, label="QR")))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == text


@needs_poppler
def test_a_credit_note_says_so_names_the_invoice_and_asks_for_nothing(
        family, paid_service, payee_accounts, finance):
    invoice = issue(family, language="lv")
    note = payments.credit_invoice(finance["VSAA"], invoice, reason="Iesniegums atsaukts")
    content = pdf.render(note)
    text = text_of(content)
    assert "Kredītrēķins" in text and invoice.number in text
    assert "−€ 7,11" in text or "−€ 7,11".replace(" ", "\xa0") in text
    assert qr_codes_in(content) == []
    assert pdf.file_name(note).startswith("credit-note-")


def test_the_pdf_is_stored_once_as_the_holders_document_on_the_case(
        family, paid_service, payee_accounts, worker):
    invoice = issue(family)
    worker.events()
    from durvis.payments.handlers import ensure_pdf
    invoice.refresh_from_db()
    assert invoice.document_id is not None
    assert ensure_pdf(invoice.pk) == invoice.document_id  # a retried event stores nothing
    (document,) = Document.objects.filter(case=family["own"])
    assert document.pk == invoice.document_id
    assert document.direction == Direction.RECEIVED
    assert document.institution_id == family["own"].holder_id
    assert document.client_person_id == family["parent"].pk
    assert document.file_name == f"invoice-{invoice.number}.pdf"
    assert document.title == f"Invoice {invoice.number}"
    with document.file.open("rb") as stored:
        assert stored.read().startswith(b"%PDF")
    assert Invoice.objects.filter(document_id=document.pk).count() == 1


def test_the_client_sees_the_invoice_among_their_documents(
        family, paid_service, payee_accounts, worker, client_login):
    invoice = issue(family)
    worker.events()
    invoice.refresh_from_db()
    browser = client_login(family["parent"])
    page = browser.get("/en/eaccount/documents/")
    assert page.status_code == 200
    assert f"Invoice {invoice.number}" in page.content.decode()
