"""Domain events documents publish (C2)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from durvis.core.events import declare
from durvis.integrations.events import CASE_NUMBER, INTEGER, TIME, forward_as_webhook, item_schema

DOCUMENT_DELIVERED = declare(
    "document.delivered", publisher="documents",
    payload=("document_id", "case_id", "number", "is_result", "client_person_id",
             "client_company_id"),
    description="An institution delivered a document (a result, a decision) about a case into "
                "the client's e-account.")
DOCUMENT_SIGNED = declare(
    "document.signed", publisher="documents", payload=("institutions", "webhook"),
    description="A client (or who may sign in its name) signed in the e-account a document an "
                "institution asked them to sign.")

forward_as_webhook(DOCUMENT_SIGNED, _("A client signed a document"), data=item_schema(
    "DocumentSigned", {"document_id": INTEGER, "case_number": CASE_NUMBER, "signed_at": TIME,
                       "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                       "mandate": {"type": ["integer", "null"]}}))
