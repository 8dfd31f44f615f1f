"""An e-form with an address question on service 1011, for the address tests (A9, A10)."""

from __future__ import annotations

from typing import Any

from tests.eforms.journey import publish_form
from tests.eforms.samples import q, t


def publish_address_form(institutions: Any, service: Any) -> None:
    publish_form(institutions, service, {"format": "durvis-form/1", "pages": [
        {"key": "home", "title": t("Dzīvesvieta", "Residence"), "questions": [
            q("address", "address", required=True,
              label=t("Dzīvesvietas adrese", "Address of residence"),
              help=t("Ielas nosaukums un numurs", "The street's name and number")),
        ]},
    ]})
