"""The applications API (B9, A10, B1) for the holder's systems: the applications clients
submitted through the e-forms of the services the institution holds or provides, for a system
that polls instead of (or besides) receiving the webhook `application.submitted`. The body is
the webhook's item (`durvis.eforms.delivery`).

Authenticated with an API client's bearer token holding `applications:read`, within the
services its token covers. An application of another institution's service is a 404 (as if it
did not exist). Every read is audited.

- `GET /applications?since=<cursor>&limit=` submitted applications in the order their
  submissions committed, with `next_cursor` (`durvis.core.changes`);
- `GET /applications/{reference}` one of them;
- `GET /applications/{reference}/attachments/{document_id}` a file answer's document or the PDF
  copy, streamed;
- `POST /applications/prefill` (scope `applications:prefill`) a one-time link that opens a
  service's e-form for a client with prefilled answers and a return address
  (`durvis.eforms.prefill`).

The holder acknowledges receipt as for every case: `POST /cases/{number}/acknowledge` (scope
`cases:write`); the body's `acknowledged_at` then says when.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from ninja import Path as PathParam
from pydantic import ConfigDict

from durvis.core.changes import ChangeCursor
from durvis.eforms import delivery, prefill
from durvis.eforms.rules import APPLICATIONS_PREFILL, APPLICATIONS_READ
from durvis.eforms.services import PrefillInvalid
from durvis.integrations.http import (
    ERRORS,
    ActingPersonOut,
    ApiClientAuth,
    Cursor,
    Limit,
    actor_of,
    scopes,
)

router = Router(tags=["applications"], auth=ApiClientAuth())


class FormOut(Schema):
    version: int = Field(..., description="The number of the form version it was filled on")
    checksum: str = Field(..., description="SHA-256 of the version's canonical JSON")


class ApplicationClientOut(Schema):
    kind: Literal["person", "company"]
    personal_code: str | None
    registration_number: str | None
    name: str


class ApplicationFileOut(Schema):
    document_id: int
    title: str
    file_name: str
    content_type: str
    size: int = Field(..., description="Bytes")
    sha256: str
    url: str = Field(..., description="Download it with your token: GET this address")


class ApplicationAttachmentOut(ApplicationFileOut):
    question: str = Field(..., description="The file question's key (`group.<index>.key` "
                          "inside a repeating group)")


class ApplicationOut(Schema):
    reference: uuid.UUID
    case_number: str
    service_code: int
    form: FormOut
    client: ApplicationClientOut
    acting_person: ActingPersonOut | None = Field(
        ..., description="Who filled and submitted it for the client")
    origin: str
    result_channel: str
    service_point: str
    submitted_at: datetime.datetime
    answers: dict[str, Any] = Field(..., description="By question key, as the form's format "
                                    "writes each type (docs/eforms.md)")
    attachments: list[ApplicationAttachmentOut]
    pdf: ApplicationFileOut | None = Field(..., description="The PDF copy of the application")
    acknowledged_at: datetime.datetime | None = Field(
        ..., description="When you acknowledged receipt (POST /cases/{number}/acknowledge)")


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_cursor: str = Field(..., description=(
        "Ask again with since=next_cursor (opaque: keep it as given). A submission still being "
        "committed is never passed: it comes on a later page"))


class ApplicationsQuery(Schema):
    since: Cursor = "0"
    limit: Limit = 100


@router.get("/applications", response={200: ApplicationPage, **ERRORS},
            summary="Applications submitted since a cursor", openapi_extra=scopes(APPLICATIONS_READ))
def list_applications(request: HttpRequest, query: Query[ApplicationsQuery]) -> dict[str, Any]:
    """Applications submitted through the e-forms of your institution's services (as holder or
    provider, within your client's services) after the cursor `since`, in commit order; ask
    again with `next_cursor`. Each comes once, when submitted."""
    items, cursor = delivery.applications_since(
        actor_of(request), ChangeCursor.parse(query.since), query.limit)
    return {"items": items, "next_cursor": str(cursor)}


class PrefillIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"service_code": 1011,
         "answers": {"name": "Jānis Bērziņš"},
         "return_url": "https://e.vsaa.gov.lv/atpakal"}]})

    service_code: int = Field(..., ge=1, le=2_147_483_647)
    answers: dict[str, Any] = Field(..., description="By question key, as the form's format "
                                    "writes each type; checked against the live form")
    return_url: str = Field(..., min_length=1, max_length=500, description=(
        "https, on your institution's website (or a subdomain) or a host of its webhooks"))
    personal_code: str = Field("", max_length=20, description=(
        "The person the form is meant for: only they (or a parent of the minor) may use the "
        "link"))


class PrefillOut(Schema):
    url: str = Field(..., description="Send the client here (one use)")
    expires_at: datetime.datetime


@router.post("/applications/prefill", response={201: PrefillOut, **ERRORS},
             summary="Open a service's e-form for a client with prefilled answers",
             openapi_extra=scopes(APPLICATIONS_PREFILL))
def create_prefill(request: HttpRequest, payload: PrefillIn) -> Status[Any]:
    # Declared before `/applications/{reference}`, whose path would take `prefill` first.
    """A one-time link of the platform, valid for 15 minutes: the client signs in there and a
    new application of the service starts with your answers; its confirmation page links back
    to `return_url`. An answer the form refuses is a 422 at `["body", "answers", <key>]`."""
    try:
        issued = prefill.create_ticket(actor_of(request), payload.service_code, payload.answers,
                                       payload.return_url, payload.personal_code)
    except PrefillInvalid as error:
        return Status(422, {"detail": [
            {"loc": ["body", "answers", *(int(p) if p.isdigit() else p for p in key.split("."))],
             "msg": e.message, "type": e.code}
            for key, e in error.errors.items()]})
    return Status(201, {"url": issued.url, "expires_at": issued.expires_at})


@router.get("/applications/{reference}", response={200: ApplicationOut, **ERRORS},
            summary="One submitted application", openapi_extra=scopes(APPLICATIONS_READ))
def get_application(request: HttpRequest, reference: uuid.UUID) -> dict[str, Any]:
    return delivery.read_application(actor_of(request), str(reference))


@router.get("/applications/{reference}/attachments/{document_id}",
            response={200: None, **ERRORS},
            summary="A file of a submitted application (a file answer or the PDF copy)",
            openapi_extra={**scopes(APPLICATIONS_READ), "responses": {200: {
                "description": "The file, as the client uploaded it",
                "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}}}},
            operation_id="getApplicationAttachment")
def get_attachment(request: HttpRequest, reference: uuid.UUID,
                   document_id: int = PathParam(..., ge=1, le=2**62)) -> FileResponse:
    """Streamed with its content type and file name; its SHA-256 is in the application's
    body. A document that is not one of the application's is a 404."""
    document = delivery.open_attachment(actor_of(request), str(reference), document_id)
    response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

