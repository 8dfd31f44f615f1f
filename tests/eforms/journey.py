"""What the journey's tests share: a published form on service 1011 with every kind of step
(a prefilled applicant page, a route that skips a page, an ending, a group, a file)."""

from __future__ import annotations

from typing import Any

from durvis.core.actor import Actor
from durvis.eforms import services as eforms
from tests.eforms.samples import q, t

# A small valid PDF (the documents service checks the kind and scans it).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
       b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")


def journey_form() -> dict[str, Any]:
    return {"format": "durvis-form/1", "pages": [
        {"key": "applicant", "title": t("Par jums", "About you"), "questions": [
            q("name", "short_text", required=True),
            q("personal_code", "personal_code", required=True),
            q("email", "email"),
            q("resident", "yes_no", required=True),
            q("has_children", "yes_no", required=True),
        ], "routing": [
            {"when": {"question": "resident", "op": "equals", "value": False},
             "end": t("Pabalstu var saņemt tikai Latvijas iedzīvotāji.",
                      "Only residents of Latvia can receive the benefit.")},
            {"when": {"question": "has_children", "op": "equals", "value": False},
             "goto": "payment"},
        ]},
        {"key": "family", "title": t("Ģimene", "Family"), "questions": [
            q("members", "repeating_group", required=True, min=1, max=3,
              item_label=t("Ģimenes loceklis", "Family member"), questions=[
                  q("member_name", "short_text", required=True),
                  q("member_code", "personal_code", required=True),
              ]),
        ]},
        {"key": "payment", "title": t("Izmaksa", "Payment"), "questions": [
            q("iban", "iban", required=True),
            q("certificate", "file"),
        ]},
    ]}


def publish_form(institutions: Any, service: Any, definition: dict[str, Any] | None = None
                 ) -> None:
    """Publish `definition` (default `journey_form()`) as `service`'s live e-form."""
    from durvis.identity import services as identity
    member = identity.record_staff(username=f"forms.{service.code}",
                                   password="pw-forms-long-enough-1",
                                   institution=service.holder, roles=["form_builder"])
    eforms.load_definition(Actor(kind="staff", staff=member), service,
                           definition or journey_form(), publish_it=True)
