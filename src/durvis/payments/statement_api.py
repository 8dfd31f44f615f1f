"""The bank statement API for institutions' systems (A8, B9, G29): `POST /statements`, `GET
/statements/{statement_id}`.

A holder's system with the `payments:write` scope uploads a camt.053 statement or camt.054
notification of one of the holder's accounts, either as `multipart/form-data` (the file in the
field `file`) or as the raw XML body (`Content-Type: application/xml` or `text/xml`). The answer
is the import with its counts (entries, matched, proposed, unmatched, duplicates): 201 for a new
import, 200 for a file imported before (nothing is booked twice). A file the reader refuses is
refused whole: 422 in the one error body, `loc` `["body"]` (or `["body", "file"]`), `type` the
reader's stable code (`not_xml`, `dtd`, `unknown_namespace`, `structure`, `missing_account`,
`currency`, `precision`, `amount`, `date`, `control_sum`, `foreign_account`, `too_large`) and
`msg` the reason with where in the file it was found. Accepts `Idempotency-Key` like every write.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from durvis.access.policy import decide
from durvis.core.api import ApiError
from durvis.identity.models import Institution
from durvis.integrations.http import ERRORS, ApiClientAuth, actor_of, idempotent_write, scopes
from durvis.payments import statements
from durvis.payments.models import BankStatement
from durvis.payments.rules import PAYMENTS_WRITE, PaymentAction

router = Router(tags=["payments"], auth=ApiClientAuth())

XML_TYPES = ("application/xml", "text/xml")


class StatementOut(Schema):
    id: int
    message_id: str = Field(..., description="GrpHdr/MsgId of the file")
    message_type: str = Field(..., description="e.g. camt.054.001.08")
    sha256: str = Field(..., description="SHA-256 of the file, hexadecimal")
    file_name: str
    entries: int = Field(..., description="credit transactions read")
    matched: int = Field(..., description="settled an invoice by its structured reference")
    pending: int = Field(..., description="matched to an invoice by its structured reference, "
                         "the payment still being booked by the platform (a file with over "
                         "2,000 such entries is booked in the background: read the import "
                         "again with GET /statements/{statement_id})")
    proposed: int = Field(..., description="a match a person confirms")
    unmatched: int = Field(..., description="waiting in the manual queue")
    duplicates: int = Field(..., description="entries imported before, booked nothing")
    imported_at: datetime.datetime


def statement_out(statement: BankStatement) -> dict[str, Any]:
    return {"id": statement.pk, "message_id": statement.message_id,
            "message_type": statement.message_type, "sha256": statement.sha256,
            "file_name": statement.file_name, "entries": statement.entries,
            "matched": statement.matched, "pending": statement.pending,
            "proposed": statement.proposed,
            "unmatched": statement.unmatched, "duplicates": statement.duplicates,
            "imported_at": statement.imported_at}


def _file_of(request: HttpRequest) -> tuple[bytes, str, list[str | int]]:
    """The uploaded file, its name and where the request carried it."""
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError(422, ["body", "file"], _("Send the statement file in the field "
                                                    "`file`."), "missing")
        if (upload.size or 0) > statements.MAX_FILE_BYTES:
            raise ApiError(413, ["body", "file"], _("The file is larger than 100 MiB."),
                           "too_large")
        return upload.read(), upload.name or "", ["body", "file"]
    if request.content_type in XML_TYPES:
        return request.body, "", ["body"]
    raise ApiError(400, ["header", "Content-Type"], _(
        "Send the statement as multipart/form-data (field `file`) or as application/xml."),
        "unsupported_media_type")


@router.post("/statements", response={200: StatementOut, 201: StatementOut, **ERRORS},
             summary="Import a bank statement (camt.053) or notification (camt.054)",
             openapi_extra=scopes(PAYMENTS_WRITE))
def post_statement(request: HttpRequest) -> Status[Any]:
    """Import the file: entries whose structured reference is an invoice of the institution
    settle it; the rest are proposed or wait in the finance staff's manual queue. The same
    file again answers 200 with the first import."""
    actor = actor_of(request)
    if not decide(actor, PaymentAction.SYSTEM_PAY, None):
        raise PermissionDenied("the client lacks the payments:write scope")
    assert actor.api is not None
    data, name, loc = _file_of(request)
    institution = Institution.objects.get(pk=actor.api.institution_id)

    def handler() -> tuple[int, Any]:
        earlier = statements.imported_already(institution, data)
        if earlier is not None:
            return 200, statement_out(earlier)
        try:
            statement = statements.import_statement(actor, institution, data, name)
        except statements.StatementRefused as refused:
            raise ApiError(413 if refused.code == "too_large" else 422, loc, refused.text(),
                           refused.code) from None
        return 201, statement_out(statement)

    return idempotent_write(request, handler, "\n".join([
        request.method or "", request.path, name, statements.file_hash(data)]))


@router.get("/statements/{statement_id}", response={200: StatementOut, **ERRORS},
            summary="Read an import of a bank statement (its counts; `pending` while booking)",
            openapi_extra=scopes(PAYMENTS_WRITE))
def get_statement(request: HttpRequest, statement_id: int) -> Any:
    """One import of the client's institution, with its counts as they are now: a large file's
    `pending` counts down to 0 as the platform books it. Another institution's import is a 404,
    as an unknown one."""
    actor = actor_of(request)
    if not decide(actor, PaymentAction.SYSTEM_PAY, None):
        raise PermissionDenied("the client lacks the payments:write scope")
    assert actor.api is not None
    return statement_out(statements.statements_of(actor, actor.api.institution_id)
                         .get(pk=statement_id))
