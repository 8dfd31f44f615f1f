"""Domain events the mandates app publishes (C1): messaging tells both sides."""

from __future__ import annotations

from durvis.core.events import declare

MANDATE_CHANGED = declare(
    "mandate.changed", publisher="mandates",
    payload=("mandate_id", "state", "grantor_person_id", "grantor_company_id",
             "grantee_person_id", "grantee_company_id"),
    description="A mandate was granted, requested, confirmed, refused or revoked (`state` is "
                "its new state): both its grantor and its grantee are told.")
