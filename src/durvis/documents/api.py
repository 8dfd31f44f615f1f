"""The documents API for institutions (C2): deliver a document about a case into its client's
e-account.

`POST /cases/{number}/documents` takes `multipart/form-data` (fields `title`, `is_result`,
`signature_requested`, and the file in `file`) with the bearer token of an API client holding
the `messages:write` scope. `GET /documents/{id}` reads one back: whether the client signed it
(the `document.signed` webhook names the id).
The document appears in the client's documents and in its case, and the client is told. An
oversized file is a 413, a forbidden or disguised one a 422, a case the institution does not
hold or provide a 404, all in the one error body. Accepts `Idempotency-Key` like every write.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja import Path as PathParam

from durvis.access.policy import decide
from durvis.core.api import ApiError, ErrorOut
from durvis.documents import queries as document_queries
from durvis.documents import services as documents
from durvis.documents.models import Document
from durvis.documents.rules import MESSAGES_WRITE, DocumentAction
from durvis.integrations.http import (
    ERRORS,
    ApiClientAuth,
    CaseNumber,
    SignatureOut,
    actor_of,
    idempotent_write,
    scopes,
    upload_fingerprint,
)

router = Router(tags=["documents"], auth=ApiClientAuth())

UPLOAD_ERRORS = {**ERRORS, 503: ErrorOut}
# A refusal whose cause is not the request (the scanner is down): try again later.
STATUS_OF_CODE = {"too_large": 413, "scan_unavailable": 503}


class DocumentOut(Schema):
    id: int
    case_number: str
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str = Field(..., description="SHA-256 of the file, hexadecimal")
    is_result: bool
    created_at: datetime.datetime
    mandate: int | None = Field(..., description="The number of the mandate the uploader "
                                "relied on (a client's document sent by a representative), "
                                "or null")
    signature_requested: bool = Field(..., description="Whether the client is asked to sign it "
                                      "in the e-account")
    signature: SignatureOut | None = Field(..., description="Who signed it, when, under which "
                                           "mandate (null: not signed). An electronic "
                                           "confirmation by the signed-in person, not a "
                                           "qualified electronic signature")


def document_out(document: Document, case_number: str) -> dict[str, Any]:
    return {"id": document.pk, "case_number": case_number, "title": document.title,
            "file_name": document.file_name, "content_type": document.content_type,
            "size": document.size, "sha256": document.sha256, "is_result": document.is_result,
            "created_at": document.created_at, **document_queries.api_facts(document)}


def _file_refusal(error: ValidationError) -> ApiError | None:
    """A refused file as the one error body, with 413 for its size and 503 for a scanner
    without an answer; a case without a client to deliver to is the path's case number
    (`["path", "number"]`); other refusals keep the domain's 422."""
    refusals = getattr(error, "error_dict", {})
    for item in refusals.get("file", []):
        status = STATUS_OF_CODE.get(item.code or "")
        if status is not None:
            return ApiError(status, ["body", "file"], item.message % (item.params or {}),
                            item.code or "invalid")
    for item in refusals.get("case", []):
        return ApiError(422, ["path", "number"], item.message % (item.params or {}),
                        item.code or "invalid")
    return None


@router.post("/cases/{number}/documents", response={201: DocumentOut, **UPLOAD_ERRORS},
             summary="Deliver a document about a case to its client",
             openapi_extra={**scopes(MESSAGES_WRITE), "requestBody": {"content": {
                 "multipart/form-data": {"example": {
                     "title": "Lēmums par pabalsta piešķiršanu", "is_result": True,
                     "signature_requested": False, "file": "(the PDF's bytes)"}}}}},
             operation_id="postCaseDocument")
def post_document(request: HttpRequest, file: File[UploadedFile],
                  number: CaseNumber,
                  title: str = Form(..., min_length=1, max_length=documents.MAX_TITLE),
                  is_result: bool = Form(False),
                  signature_requested: bool = Form(False)) -> Status[Any]:
    """The document (for example the decision that is the case's result, `is_result=true`)
    appears in the client's e-account and with the case; the client is told by the channels
    they chose (results, or messages for other documents). `signature_requested=true` asks
    the client to sign it in the e-account (an agreement): the `document.signed` webhook
    tells when."""
    actor = actor_of(request)
    if not decide(actor, DocumentAction.SEND_TO_CLIENT):
        raise PermissionDenied("the client lacks the messages:write scope")
    try:
        documents.check_size(file.size or 0)
    except ValidationError as error:
        raise _file_refusal(error) or error from None
    content = file.read()

    def handler() -> tuple[int, Any]:
        try:
            document = documents.deliver_to_client(
                actor, case_number=number, name=file.name or "", content=content,
                content_type=file.content_type or "", title=title, is_result=is_result,
                signature_requested=signature_requested)
        except ValidationError as error:
            raise _file_refusal(error) or error from None
        return 201, document_out(document, number)

    return idempotent_write(request, handler, upload_fingerprint(
        request, title, str(is_result), str(signature_requested), file.name or "",
        content=content))


@router.get("/documents/{document_id}", response={200: DocumentOut, **ERRORS},
            summary="A document exchanged with a client about a case",
            openapi_extra=scopes(MESSAGES_WRITE))
def get_document(request: HttpRequest,
                 document_id: int = PathParam(..., ge=1, le=2**62)) -> dict[str, Any]:
    """A document your institution delivered to, or received from, the client of one of its
    cases: its facts, and whether and by whom it was signed. Unknown, another institution's and
    one of no case are alike 404."""
    try:
        document = document_queries.delivered_document(actor_of(request), document_id)
    except Document.DoesNotExist:
        raise ApiError(404, ["path", "document_id"], _("No such document."),
                       "not_found") from None
    assert document.case is not None
    return document_out(document, document.case.number)
