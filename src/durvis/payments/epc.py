"""The EPC QR code of an invoice (A8): the European Payments Council's "Quick Response Code:
guidelines to enable data capture for the initiation of a SEPA credit transfer" (EPC069-12),
version 002, which banking apps scan to fill in a transfer.

The payload is up to 12 lines separated by a line feed, in this order:

| # | field | here |
|---|---|---|
| 1 | service tag | `BCD` |
| 2 | version | `002` |
| 3 | character set | `1` (UTF-8) |
| 4 | identification | `SCT` |
| 5 | BIC of the beneficiary's bank | the payee account's (optional in 002; given) |
| 6 | beneficiary name | ≤ 70 characters |
| 7 | beneficiary IBAN | electronic form |
| 8 | amount | `EUR` + amount with a point and at most 2 decimals (0.01–999999999.99) |
| 9 | purpose code | empty |
| 10 | structured remittance (creditor reference) | the invoice's RF reference, ≤ 35 |
| 11 | unstructured remittance | empty: never with a structured reference |
| 12 | note to the payer (beneficiary to originator information) | ≤ 70: the invoice number |

The whole payload is at most 331 bytes; trailing empty lines are left out. The code is encoded
with error correction level M and must fit QR version 13 (the guideline's limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import qrcode
import qrcode.constants
import qrcode.image.svg

from durvis.payments.models import Invoice
from durvis.payments.money import MAX_AMOUNT

MAX_BYTES = 331
MAX_VERSION = 13


class EpcError(ValueError):
    """A field does not fit the EPC QR guideline (the message names it)."""


@dataclass(frozen=True)
class Transfer:
    """What a SEPA credit transfer needs: `amount` EUR (two places, or None to let the payer
    type it), the RF `reference` in electronic form, `note` shown to the payer."""

    bic: str
    name: str
    iban: str
    amount: Decimal | None
    reference: str
    note: str = ""


def payload(transfer: Transfer) -> str:
    """The EPC069-12 version 002 payload of `transfer` (fields in the module docstring's order,
    trailing empty lines left out). Raises EpcError for a field out of its limits: a name over
    70 characters or empty, an amount outside 0.01–999999999.99 or with more than two decimals,
    a reference over 35 characters, a note over 70, or a payload over 331 bytes."""
    name = transfer.name.strip()
    if not name or len(name) > 70:
        raise EpcError("the beneficiary name must be 1-70 characters")
    if len(transfer.reference) > 35:
        raise EpcError("the structured reference is at most 35 characters")
    if len(transfer.note) > 70:
        raise EpcError("the note to the payer is at most 70 characters")
    lines = ["BCD", "002", "1", "SCT", transfer.bic, name, transfer.iban,
             _amount(transfer.amount), "", transfer.reference, "", transfer.note]
    while lines and lines[-1] == "":
        lines.pop()
    text = "\n".join(lines)
    if len(text.encode()) > MAX_BYTES:
        raise EpcError("the payload is over 331 bytes")
    return text


def _amount(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    if not amount.is_finite() or amount < Decimal("0.01") or amount > MAX_AMOUNT \
            or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise EpcError("the amount must be 0.01-999999999.99 EUR with at most two decimals")
    return f"EUR{amount.quantize(Decimal('0.01')):f}"


def of_invoice(invoice: Invoice) -> str:
    """The EPC payload of an invoice: its payee account, what is still to pay (its total while
    nothing is paid), its RF reference and its number as the note."""
    amount = invoice.outstanding if invoice.paid > 0 else invoice.total
    return payload(Transfer(bic=invoice.payee_bic, name=invoice.payee_name,
                            iban=invoice.payee_iban, amount=amount if amount > 0 else None,
                            reference=invoice.reference, note=invoice.number))


def qr_code(text: str) -> qrcode.QRCode:  # type: ignore[type-arg]
    """The QR code of an EPC payload: error correction M, the smallest version that holds it.
    Raises EpcError when it needs a version above 13."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text.encode())
    code.make(fit=True)
    if code.version > MAX_VERSION:
        raise EpcError("the payload needs a QR version above 13")
    return code


def svg(text: str, *, label: str) -> str:
    """The QR code of `text` as an SVG document (qrcode's path image: no image library), with
    `role="img"` and the accessible `label` (escaped)."""
    from html import escape

    image = qr_code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    markup: str = image.to_string(encoding="unicode")
    head, _sep, rest = markup.partition("<svg")
    return (f'{head}<svg role="img" aria-label="{escape(label)}" class="epc-qr"'
            + rest.replace(" width=", " data-width=", 1).replace(" height=", " data-height=", 1))
