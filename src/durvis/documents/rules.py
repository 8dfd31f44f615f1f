"""Access rules of documents (C2): who files a document in a client's e-account, and the scope
institutions' systems deliver with. Registered into the one policy when the app loads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, decide, deny, rule
from durvis.audit.queries import declare_use
from durvis.core.actor import Actor
from durvis.documents.models import Direction
from durvis.identity.models import Institution
from durvis.identity.queries import is_owner
from durvis.identity.rules import IdentityAction
from durvis.integrations.rules import declare_scope
from durvis.register.models import ServiceCase
from durvis.register.rules import institution_case_rule

MESSAGES_WRITE = declare_scope(
    "messages:write", _("Send messages and documents to clients' e-accounts"), owner="documents")


class DocumentAction(StrEnum):
    # An institution (its system or staff) sends a message or document to a client (C1, C2).
    SEND_TO_CLIENT = "documents.send_to_client"
    # An institution writes in its own name only: obj = the Institution named as the sender.
    SEND_AS_INSTITUTION = "documents.send_as_institution"
    # obj = a `Filing`, client = the client whose e-account gets the document.
    STORE_DOCUMENT = "documents.store"
    # An institution sees which documents about one of its cases it exchanged with the client,
    # and who filed them (A2, C2); obj = the case.
    LIST_EXCHANGED = "documents.list_exchanged"
    # A person signs, in the client's name, a document an institution asked the client to sign
    # (obj = the Document, client = its owner).
    SIGN = "documents.sign"


rule(DocumentAction.SEND_TO_CLIENT)(institution_case_rule(MESSAGES_WRITE))
# Who may deliver documents about a case may see what was exchanged about it.
rule(DocumentAction.LIST_EXCHANGED)(institution_case_rule(MESSAGES_WRITE))


@dataclass(frozen=True)
class Filing:
    """What is filed: which way (`Direction`), about which case, whether it is the result, and
    whether it is a message's attachment (a client's: the right to answer messages, not to
    apply, under a mandate)."""

    direction: str
    case: ServiceCase | None = None
    is_result: bool = False
    attachment: bool = False


@rule(DocumentAction.SEND_AS_INSTITUTION)
def send_as_institution(actor: Actor, institution: Any, client: Any) -> Decision:
    """An institution's system or employee sends in its own institution's name, never another's."""
    if actor.api is None and actor.staff is None:
        return deny("only an institution sends in an institution's name")
    if isinstance(institution, Institution) and institution.pk == actor.institution_id:
        return ALLOW
    return deny("an institution writes in its own name only")


@rule(DocumentAction.STORE_DOCUMENT)
def store_document(actor: Actor, filing: Any, client: Any) -> Decision:
    """A person sends a document for a client they act for (about that client's own case); an
    institution delivers one into the client's e-account (about a case it holds or provides,
    of that client)."""
    if not isinstance(filing, Filing):
        return deny("not a filing")
    if filing.direction == Direction.SENT:
        if actor.person is None or filing.is_result:
            return deny("only a person acting for the client sends a document")
        action = (IdentityAction.CLIENT_MESSAGE if filing.attachment
                  else IdentityAction.CLIENT_WRITE)
        return decide(actor, action, filing.case, client=client)
    if filing.direction != Direction.RECEIVED:
        return deny("unknown direction")
    if actor.api is None and actor.staff is None:
        return deny("only an institution delivers a document to a client")
    decision = decide(actor, DocumentAction.SEND_TO_CLIENT, filing.case)
    if not decision:
        return decision
    if filing.case is not None and not is_owner(filing.case, client):
        return deny("the case belongs to another client")
    return ALLOW


@rule(DocumentAction.SIGN)
def sign_document(actor: Actor, document: Any, client: Any) -> Decision:
    """A person signs a document of the client they act for, one they may read (one signs what
    one has seen: under a mandate `read`, and `receive_result` for a result), in the client's
    name (`IdentityAction.CLIENT_SIGN`: the client, a parent of a minor, a company's
    representative who may act alone; under a mandate only with `sign` reaching the
    document's service). Institutions never sign for a client."""
    if actor.person is None:
        return deny("only a signed-in person signs for a client")
    decision = decide(actor, IdentityAction.CLIENT_READ, document, client=client)
    if not decision:
        return decision
    return decide(actor, IdentityAction.CLIENT_SIGN, document, client=client)


# How the person reads what staff and systems did with their data ("who used my data", B4, B5).
declare_use("documents.document.store", _("Stored a document for you"))
declare_use("documents.document.attach", _("Attached a document to your case"))
declare_use("documents.document.download", _("Opened your document"))
declare_use("documents.case_documents.read", _("Read the documents of your case"))
declare_use("documents.list.read", _("Read your list of documents"))
declare_use("documents.document.sign", _("Signed your document"))
declare_use("documents.document.read", _("Read the facts of your document"))
