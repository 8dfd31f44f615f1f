"""Domain events the request register publishes (B1), and which of them institutions' systems
may subscribe to as webhooks (B9). The register imports none of its consumers: client
notifications (`durvis.messaging.handlers`) and webhooks (`durvis.integrations.events`)
subscribe to these names.

Every case event's payload carries the case's facts (`case_id`, `number`, `service_code`,
`status`, `holder_status`, `status_at`, `change_seq`), its client's ids (`client_person_id`,
`client_company_id`: ids, never codes), the institutions a webhook goes to (`institutions`) and
the webhook item itself (`webhook`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from durvis.core.events import declare
from durvis.integrations.events import INTEGER, TEXT, TIME, forward_as_webhook, item_schema

CASE_FACTS = ("case_id", "number", "service_code", "status", "holder_status", "status_at",
              "change_seq", "client_person_id", "client_company_id", "institutions", "webhook")

CASE_REGISTERED = declare(
    "case.registered", publisher="register", payload=CASE_FACTS,
    description="A case was opened (an application registered by any channel); the holder is "
                "told when another institution registered it.")
CASE_STATUS_CHANGED = declare(
    "case.status_changed", publisher="register", payload=(*CASE_FACTS, "status_moved"),
    description="A status event was recorded for a case; `status_moved` is false for a late "
                "event that completed the history without changing the current status.")
CASE_RESULT = declare(
    "case.result", publisher="register", payload=CASE_FACTS,
    description="A result of the case was recorded.")
FEEDBACK_RECEIVED = declare(
    "feedback.received", publisher="register", payload=("rating", "institutions", "webhook"),
    description="A client rated a case or a consultation.")

# What a webhook says about a case (`services._payload`): no personal data; the receiver reads
# the case through the API.
CASE_ITEM_PROPERTIES = {
    "case_number": {"type": "string", "description": "The case number as people write it"},
    "service_code": INTEGER, "status": TEXT,
    "holder_status": {"type": "string", "description": "The holder's own status, if any"},
    "status_at": TIME, "holder_reference": TEXT,
    "change_seq": {"type": "integer", "description": "The case's change number"}}
CASE_ITEM = item_schema("Case", CASE_ITEM_PROPERTIES)
FEEDBACK_ITEM = {"title": "Feedback", "anyOf": [
    item_schema("CaseFeedback", {**CASE_ITEM_PROPERTIES,
                                 "rating": {"type": "integer", "minimum": 1, "maximum": 5}}),
    item_schema("ConsultationFeedback", {
        "consultation_id": INTEGER, "rating": {"type": "integer", "minimum": 1, "maximum": 5}}),
]}

forward_as_webhook(CASE_REGISTERED, _("An application was registered on the platform"),
                   data=CASE_ITEM)
forward_as_webhook(CASE_STATUS_CHANGED, _("A case's status was changed by someone else"),
                   data=CASE_ITEM)
forward_as_webhook(CASE_RESULT, _("A result was posted by someone else"), data=CASE_ITEM)
forward_as_webhook(FEEDBACK_RECEIVED, _("A client gave feedback"), data=FEEDBACK_ITEM)
