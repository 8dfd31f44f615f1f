"""Domain events messaging publishes (C1): a message to a client's e-address inbox, and a
client's message to an institution, which institutions' systems may take as a webhook."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from durvis.core.events import declare
from durvis.integrations.events import CASE_NUMBER, INTEGER, TIME, forward_as_webhook, item_schema

MESSAGE_SENT = declare(
    "message.sent", publisher="messaging",
    payload=("message_id", "thread_id", "institution_id", "number", "client_person_id",
             "client_company_id"),
    description="An institution put a message into a client's e-address inbox.")
MESSAGE_RECEIVED = declare(
    "message.received", publisher="messaging", payload=("institutions", "webhook"),
    description="A client wrote to an institution (a new conversation or an answer).")

forward_as_webhook(MESSAGE_RECEIVED, _("A client wrote to the institution"), data=item_schema(
    "MessageReceived", {"message_id": INTEGER, "conversation_id": INTEGER,
                        "case_number": CASE_NUMBER, "sent_at": TIME}))
