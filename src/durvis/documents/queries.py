"""Document reads (C2): a client's documents, those of one case, and the case an institution may
deliver to. Reads of a client's documents are audited here, not in views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from durvis.access.policy import decide, visible
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.documents.models import Document, Signature
from durvis.documents.rules import DocumentAction
from durvis.identity.queries import Client, audit_subject, audit_subject_of, owner_filter
from durvis.identity.rules import IdentityAction
from durvis.register import queries as register
from durvis.register.models import ServiceCase


def case_to_write_about(actor: Actor, number: str) -> ServiceCase:
    """A case (lieta) whose client the actor's institution may write to (a message, a document,
    C1/C2), by its number as people write it (`9999 76544`). A malformed number raises
    ValidationError saying what is wrong (code `format` or `checksum`, not keyed by a field); an
    unknown case and one the actor may not write about (`DocumentAction.SEND_TO_CLIENT`: another
    institution's, outside its token's services or `messages:write` scope) are alike
    ServiceCase.DoesNotExist."""
    case = register.case_by_number(number)
    if case is None or not decide(actor, DocumentAction.SEND_TO_CLIENT, case):
        raise ServiceCase.DoesNotExist
    return case


def documents_of_client(client: Client, *, direction: str | None = None,
                        case: ServiceCase | None = None) -> QuerySet[Document]:
    """A client's documents, newest first: a company's are the company's, a person's those not
    filed for a company (C2: by profile and by company)."""
    documents = Document.objects.filter(owner_filter(client))
    if direction:
        documents = documents.filter(direction=direction)
    if case is not None:
        documents = documents.filter(case=case)
    return (documents.select_related("case", "case__agent", "case__provider", "institution",
                                     "uploaded_by", "signature", "signature__signed_by")
            .order_by("-created_at", "-pk"))


def client_documents(actor: Actor, client: Client, *, direction: str | None = None
                     ) -> QuerySet[Document]:
    """The documents list of the e-account (C2): the client's documents, if the actor acts for
    them; the read is audited. Raises PermissionDenied otherwise."""
    if not decide(actor, IdentityAction.CLIENT_READ, client=client):
        raise PermissionDenied("may not read this client's documents")
    record(actor, "documents.list.read", client, subject=audit_subject(client), purpose="eaccount")
    # Under a mandate: the documents of its services, a result only with `receive_result`.
    return visible(actor, IdentityAction.CLIENT_READ,
                   documents_of_client(client, direction=direction), client)


def documents_of_case(actor: Actor, case: ServiceCase, client: Client) -> list[Document]:
    """The documents of one of the client's cases, oldest first (the case page, C2). The read of
    the case itself is audited by the register. Raises PermissionDenied when the actor does not
    act for `client` or the case is not the client's (`IdentityAction.CLIENT_READ`)."""
    if not decide(actor, IdentityAction.CLIENT_READ, case, client=client):
        raise PermissionDenied("may not read this client's case")
    return list(visible(actor, IdentityAction.CLIENT_READ, documents_of_client(client, case=case),
                        client).order_by("created_at", "pk"))


def open_for_download(actor: Actor, document_id: int, client: Client) -> Document:
    """One document (by id) of the client the actor acts for, to download (C2); the download is
    audited. Raises Document.DoesNotExist for an unknown id and, alike, for another client's
    document or a client the actor does not act for ("no such document", not "forbidden")."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None or not decide(actor, IdentityAction.CLIENT_READ, document, client=client):
        raise Document.DoesNotExist
    record(actor, "documents.document.download", document, subject=audit_subject(client),
           purpose="eaccount")
    return document


def exchanged_about_case(actor: Actor, case: ServiceCase) -> list[Document]:
    """The documents about `case` that its client and the actor's institution exchanged (the
    client sent to it, or it delivered), oldest first, each with who uploaded a sent one and
    as whom (`Document.uploader`: the client, a parent, a representative; A2, C2). Metadata
    only; the read is audited. Raises PermissionDenied unless the actor's institution holds or
    provides the case and the actor is its client-service staff or a system with the
    `messages:write` scope (`DocumentAction.LIST_EXCHANGED`)."""
    if not decide(actor, DocumentAction.LIST_EXCHANGED, case):
        raise PermissionDenied("may not see the documents of this case")
    found = list(Document.objects.filter(case=case, institution_id=actor.institution_id or 0)
                 .select_related("uploaded_by", "case", "case__agent", "case__provider",
                                 "signature", "signature__signed_by")
                 .order_by("created_at", "pk"))
    record(actor, "documents.case_documents.read", case, subject=audit_subject_of(case),
           details={"documents": len(found)})
    return found


def signature_of(document: Document) -> Signature | None:
    """The document's signature, or None (not signed, or never asked for). Reads the row
    unless it was selected with the document (`select_related("signature")`)."""
    try:
        return document.signature
    except Signature.DoesNotExist:
        return None


def signature_out(document: Document) -> dict[str, Any] | None:
    """The API's shape of the document's signature (`integrations.http.SignatureOut`), or
    None."""
    signature = signature_of(document)
    if signature is None:
        return None
    return {"signed_by": str(signature.signed_by),
            "signed_by_personal_code": signature.signed_by.personal_code,
            "signed_at": signature.signed_at, "sha256": signature.sha256,
            "mandate": signature.mandate_id}


def api_facts(document: Document) -> dict[str, Any]:
    """What the institutions' API says of a document besides its file (C1, C2): the mandate the
    uploader relied on (its number, or None), whether the institution asked for a signature,
    and the signature (`signature_out`)."""
    return {"mandate": document.mandate_id, "signature_requested": document.signature_requested,
            "signature": signature_out(document)}


def document_to_sign(actor: Actor, document_id: int, client: Client) -> Document:
    """One document of the client the actor acts for, to show on the signing page: the
    institution's, with the case and any signature. Raises Document.DoesNotExist for an
    unknown id and, alike, a document the actor may not read (as `open_for_download`). Not
    audited: the page shows the title and file facts the list shows (the list's read is)."""
    document = (Document.objects.select_related("case", "institution", "signature",
                                                "signature__signed_by")
                .filter(pk=document_id).first())
    if document is None or not decide(actor, IdentityAction.CLIENT_READ, document, client=client):
        raise Document.DoesNotExist
    return document


def delivered_document(actor: Actor, document_id: int) -> Document:
    """A document about a case that the actor's institution exchanged with the case's client,
    for its system (the API, after a `document.signed` webhook): raises Document.DoesNotExist
    for an unknown id and, alike, one of no case, of another institution, or of a case the
    actor may not list the documents of (`DocumentAction.LIST_EXCHANGED`). The read is
    audited."""
    document = (Document.objects.select_related("case", "case__client_person", "signature",
                                                "signature__signed_by")
                .filter(pk=document_id, institution_id=actor.institution_id or 0,
                        case__isnull=False).first())
    if document is None or not decide(actor, DocumentAction.LIST_EXCHANGED, document.case):
        raise Document.DoesNotExist
    assert document.case is not None
    record(actor, "documents.document.read", document, subject=audit_subject_of(document))
    return document
