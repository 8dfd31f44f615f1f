"""Domain events documents publish (C2)."""

from __future__ import annotations

from durvis.core.events import declare

DOCUMENT_DELIVERED = declare(
    "document.delivered", publisher="documents",
    payload=("document_id", "case_id", "number", "is_result", "client_person_id",
             "client_company_id"),
    description="An institution delivered a document (a result, a decision) about a case into "
                "the client's e-account.")
