"""The invoice as a PDF (A8; seed 4.2 lines 1687-1703): what a client needs to pay it at any
bank, in the invoice's language (`Invoice.language`: Latvian or English) — the payee (the
holder) with its IBAN and BIC, the invoice and case numbers, the service, the issue and due
dates, the payer, the lines (kind, description, quantity, unit price, VAT rate, net, VAT,
total) and the totals, the ISO 11649 creditor reference in groups of four to type into the
structured field, and the EPC QR code (EPC069-12, `durvis.payments.epc`) a banking app scans. A
credit note says so, names the invoice it credits and carries no QR code (nothing is to pay).

Rendered like the application's copy (`durvis.eforms.pdf`): an HTML template, WeasyPrint with
pango and the DejaVu fonts, the QR code as inline SVG (vector, sharp at any print size)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from durvis.core.templatetags.durvis_formats import format_money, format_number
from durvis.payments import epc
from durvis.payments.models import Invoice, InvoiceKind, LineKind
from durvis.payments.references import printed

LANGUAGES = ("lv", "en")


def language_of(invoice: Invoice) -> str:
    """The language the invoice is printed in: its own (`lv`, `en`), Latvian for anything else."""
    return invoice.language if invoice.language in LANGUAGES else "lv"


def file_name(invoice: Invoice) -> str:
    """The PDF's file name: `invoice-<number>.pdf` (`invoice-1011-76544-01.pdf`), or
    `credit-note-<number>.pdf` for a credit note."""
    stem = "credit-note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    return f"{stem}-{invoice.number}.pdf"


def title(invoice: Invoice) -> str:
    """The document's title in the invoice's language: `Invoice 1011-76544-01` / `Rēķins …`."""
    with translation.override(language_of(invoice)):
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            return gettext("Credit note %(number)s") % {"number": invoice.number}
        return gettext("Invoice %(number)s") % {"number": invoice.number}


def context(invoice: Invoice) -> dict[str, Any]:
    """What the template shows, amounts already formatted in the invoice's language
    (`format_money`: `€ 7,11` / `€7.11`). Call inside `translation.override`."""
    language = language_of(invoice)
    lines = []
    vat_total = net_total = None
    for line in invoice.lines.all():
        lines.append({
            "kind": str(LineKind(line.kind).label) if line.kind in LineKind.values else line.kind,
            "description": line.label,
            "quantity": format_number(line.quantity, language),
            "unit_price": format_money(line.unit_price, language),
            "vat_rate": format_number(line.vat_rate, language) + " %",
            "net": format_money(line.net, language), "vat": format_money(line.vat, language),
            "total": format_money(line.total, language)})
        net_total = (net_total or 0) + line.net
        vat_total = (vat_total or 0) + line.vat
    is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    qr = ""
    if not is_credit_note and invoice.total > 0:
        label = gettext("QR code for paying invoice %(number)s by bank transfer") % {
            "number": invoice.number}
        qr = mark_safe(_inline(epc.svg(epc.of_invoice(invoice), label=label)))
    case = invoice.case
    return {
        "invoice": invoice, "case": case, "service": case.service, "language": language,
        "title": title(invoice), "is_credit_note": is_credit_note, "credits": invoice.credits,
        "kind": InvoiceKind(invoice.kind).label, "lines": lines,
        "net_total": format_money(net_total or 0, language),
        "vat_total": format_money(vat_total or 0, language),
        "total": format_money(invoice.total, language),
        "reference": printed(invoice.reference), "qr": qr,
        "date_format": "d.m.Y" if language == "lv" else "j F Y",
    }


def render(invoice: Invoice) -> bytes:
    """The invoice's PDF (A4, one page for up to about 20 lines) in its language. Raises
    `epc.EpcError` for an invoice whose payee name or number does not fit the QR code (the
    accounts and numbers the platform makes always fit)."""
    from weasyprint import HTML

    with translation.override(language_of(invoice)):
        html = render_to_string("payments/invoice_pdf.html", context(invoice))
    return bytes(HTML(string=html).write_pdf())


def _inline(markup: str) -> str:
    """The SVG document without its XML declaration, to sit inside the HTML."""
    start = markup.find("<svg")
    return markup[start:] if start >= 0 else markup
