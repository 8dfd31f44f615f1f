"""What payments do when something happens elsewhere or to an invoice (A8): subscribers of
domain events, run by the worker after the commit (`durvis.core.events`).

- `invoice.issued`: the invoice's PDF (`durvis.payments.pdf`, in the invoice's language) is
  stored as a document the holder sent to the client, on the invoice's case, and its id kept in
  `Invoice.document_id`; the client finds it among their documents and the case's. The handler
  runs at least once: the invoice row is locked while its document is looked for and stored, so
  a retried or repeated event stores nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from durvis.core.actor import Actor, ApiGrant
from durvis.core.events import Event, subscriber
from durvis.documents.models import Direction
from durvis.documents.rules import MESSAGES_WRITE
from durvis.documents.services import store_document
from durvis.payments import pdf
from durvis.payments.events import INVOICE_ISSUED
from durvis.payments.models import Invoice

logger = logging.getLogger(__name__)

# The platform delivering in a holder's name has no API client of its own: its grant's client id
# is 0 (`api:0` in the activity log), its one scope is to deliver documents to the holder's
# clients about the invoice's service.
PLATFORM_CLIENT_ID = 0


def holder_actor(invoice: Invoice) -> Actor:
    """The platform acting for the invoice's holder: allowed by the documents' rules to deliver a
    document about the invoice's case (`messages:write`, the case's service only)."""
    return Actor(kind="system", api=ApiGrant(
        client_id=PLATFORM_CLIENT_ID, institution_id=invoice.holder_id,
        institution_code=invoice.holder.code, operations=frozenset({MESSAGES_WRITE}),
        service_ids=frozenset({invoice.case.service_id})))


@subscriber(INVOICE_ISSUED, "payments.store_invoice_pdf")
def store_invoice_pdfs(events: Sequence[Event]) -> None:
    """The PDF of each issued invoice, once (`ensure_pdf`)."""
    for invoice_id in dict.fromkeys(e.payload["invoice_id"] for e in events):
        ensure_pdf(invoice_id)


def ensure_pdf(invoice_id: int) -> int | None:
    """Render and store the invoice's PDF unless it has one (`Invoice.document_id`), as a
    document the holder sent to the client (direction received) on the invoice's case, and
    return the document's id; None for an invoice that is gone or has no identified client.
    The invoice row is locked meanwhile, so two runs never store two. Raises what
    `documents.services.store_document` raises (the scan, the storage): the event is retried."""
    with transaction.atomic():
        invoice = (Invoice.objects.select_for_update(of=("self",))
                   .select_related("case", "case__service", "holder", "credits",
                                   "client_person", "client_company")
                   .filter(pk=invoice_id).first())
        if invoice is None:
            return None
        if invoice.document_id is not None:
            return invoice.document_id
        client = invoice.client_company or invoice.client_person
        if client is None:
            logger.info("invoice %s has no identified client: no PDF stored", invoice.pk)
            return None
        document = store_document(
            holder_actor(invoice), client=client, name=pdf.file_name(invoice),
            content=pdf.render(invoice), content_type="application/pdf",
            title=pdf.title(invoice), direction=Direction.RECEIVED, institution=invoice.holder,
            case=invoice.case)
        Invoice.objects.filter(pk=invoice.pk).update(document_id=document.pk)
        return document.pk
