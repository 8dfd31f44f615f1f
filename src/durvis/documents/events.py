"""Domain events documents publish (C2)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from durvis.core.events import declare
from durvis.integrations.events import forward_as_webhook

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

forward_as_webhook(DOCUMENT_SIGNED, _("A client signed a document"))
