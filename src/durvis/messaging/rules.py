"""Access rules of messaging (C1): institutions reading their clients' answers, and the scope for
it. Registered into the one policy when the app loads. (Sending to a client is
`durvis.documents.rules.DocumentAction.SEND_TO_CLIENT`, shared with documents.)"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from durvis.access.policy import rule
from durvis.audit.queries import declare_use
from durvis.integrations.rules import declare_scope
from durvis.register.rules import institution_case_rule

MESSAGES_READ = declare_scope(
    "messages:read", _("Read clients' answers to the institution's messages"), owner="messaging")


class MessagingAction(StrEnum):
    # An institution reads its clients' answers to its messages; obj = the case, or None.
    READ_CLIENT_MESSAGES = "messaging.read_client_messages"


rule(MessagingAction.READ_CLIENT_MESSAGES)(institution_case_rule(MESSAGES_READ))


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_use("messaging.message.send", _("Sent you a message"))
declare_use("messaging.message.read", _("Read your message"))
declare_use("messaging.reply.read", _("Read your reply"))
declare_use("messaging.thread.read", _("Read a conversation with you"))
declare_use("messaging.case_messages.read", _("Read the messages of your case"))
