"""The messaging API (A2, C1, B9): an institution's system writes to a client's official
e-address inbox and reads its clients' answers, who wrote each for the client (the acting
person: the client, a parent, a company's representative), and who opened each of its own
messages when (read state belongs to each reader).

Authenticated with an API client's bearer token: `messages:write` to send, `messages:read` to
read answers. A send accepts `Idempotency-Key` (a retry gets the first answer). Attachments come
base64-encoded and are stored as the client's documents; a refused one refuses the whole message
and names itself: `loc = ["body", "attachments", <index>, "content"]`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja import Path as PathParam
from pydantic import ConfigDict

from durvis.core.actor import Actor
from durvis.core.api import ApiError
from durvis.core.changes import ChangeCursor
from durvis.documents import queries as document_queries
from durvis.documents.models import Document
from durvis.documents.rules import MESSAGES_WRITE
from durvis.identity import queries as identity_queries
from durvis.identity.models import Institution
from durvis.integrations.http import (
    ERRORS,
    PARAGRAPHS,
    ActingPersonOut,
    ApiClientAuth,
    Cursor,
    Limit,
    OneOf,
    SignatureOut,
    acting_person_out,
    actor_of,
    idempotent_write,
    scopes,
)
from durvis.messaging import queries as messaging_queries
from durvis.messaging import services as messaging
from durvis.messaging.models import Direction, InboxMessage
from durvis.messaging.rules import MESSAGES_READ
from durvis.register.models import ServiceCase

router = Router(tags=["messages"], auth=ApiClientAuth())

MAX_ATTACHMENTS = 20


def _base64_length(size: int) -> int:
    """How many base64 characters `size` bytes take (with padding)."""
    return 4 * -(-size // 3)


MAX_CONTENT_CHARS = _base64_length(settings.DURVIS_DOCUMENT_MAX_BYTES)
MAX_ALL_CONTENT_CHARS = _base64_length(settings.DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES)


class AttachmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, description="The file name")
    content_type: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=200, description="Shown to the client (the file name "
                       "without it)")
    content: str = Field(..., max_length=MAX_CONTENT_CHARS,
                         json_schema_extra={"contentEncoding": "base64"},
                         description="The file, base64-encoded (at most "
                         "DURVIS_DOCUMENT_MAX_BYTES decoded)")


class MessageIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"personal_code": "161175-19997",
         "subject": "Jūsu iesniegums",
         "body": "Labdien! Lūdzam iesniegt izziņu.",
         "case_number": "9999 76544",
         "attachments": [{"name": "vestule.txt",
                          "content_type": "text/plain",
                          "title": "Vēstule",
                          "content": "VGVrc3Rz"}]}]})

    personal_code: str = Field("", max_length=20, description="The client, a person")
    registration_number: str = Field("", max_length=20, description="Or the client, a company")
    subject: str = Field(..., min_length=1, max_length=messaging.MAX_SUBJECT)
    body: str = Field(..., min_length=1, max_length=messaging.MAX_BODY,
                      json_schema_extra=PARAGRAPHS)
    case_number: str = Field("", max_length=40, description="A case of the client at your "
                             "institution that the message is about")
    reply_to: int | None = Field(None, description="The id of a message of the conversation "
                                 "you answer (yours or the client's)")
    attachments: list[AttachmentIn] = Field(
        [], max_length=MAX_ATTACHMENTS,
        description="At most DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES decoded, all together",
        json_schema_extra={"x-max-total-length": MAX_ALL_CONTENT_CHARS})
    signature_requested: bool = Field(
        False, description="Ask the client to sign the attachments in the e-account (an "
        "agreement); the `document.signed` webhook tells when each is signed")


class AttachmentOut(Schema):
    id: int
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    mandate: int | None = Field(..., description="The number of the mandate the uploader "
                                "relied on, or null")
    signature_requested: bool = Field(..., description="Whether the client is asked to sign it")
    signature: SignatureOut | None = Field(..., description="Who signed it and when (null: not "
                                           "signed); not a qualified electronic signature")


class MessageOut(Schema):
    id: int
    conversation_id: int
    case_number: str | None
    sent_at: datetime.datetime
    attachments: list[AttachmentOut]
    mandate: int | None = Field(None, description="The number of the mandate the writer "
                                "relied on (a client's message written by a representative), "
                                "or null")


class MessageClientOut(Schema):
    kind: Literal["person", "company"]
    personal_code: str | None = None
    registration_number: str | None = None


class ReplyOut(MessageOut):
    client: MessageClientOut
    subject: str
    body: str
    acting_person: ActingPersonOut | None = Field(
        None, description="Who wrote it for the client (a client's message)")


class ReadOut(Schema):
    reader: ActingPersonOut | None = Field(
        ..., description="Who opened it; null for a read recorded before readers were (a "
        "company's representative, not known which)")
    read_at: datetime.datetime


class MessageDetail(ReplyOut):
    direction: Annotated[str, OneOf(*Direction.values)]
    reads: list[ReadOut] = Field(..., description="Who opened your message, first reader "
                                 "first: every person who may read the client's inbox has "
                                 "their own read (empty for a client's message)")


class ReplyPage(Schema):
    items: list[ReplyOut]
    next_cursor: str = Field(..., description=(
        "Ask again with since=next_cursor (opaque: keep it as given; it was the last message's "
        "id, a number, before messages were read in commit order, and such a number is still "
        "accepted). A message still being committed is never passed: it comes on a later page"))


class RepliesQuery(Schema):
    since: Cursor = "0"
    limit: Limit = 100


def _documents(message: InboxMessage) -> list[dict[str, Any]]:
    documents: list[Document] = sorted(message.attachments.all(), key=lambda d: d.pk)
    return [{"id": d.pk, "title": d.title, "file_name": d.file_name,
             "content_type": d.content_type, "size": d.size, "sha256": d.sha256,
             **document_queries.api_facts(d)} for d in documents]


def _message_out(message: InboxMessage) -> dict[str, Any]:
    case = message.thread.case
    return {"id": message.pk, "conversation_id": message.thread_id,
            "case_number": case.number if case else None, "sent_at": message.sent_at,
            "attachments": _documents(message), "mandate": message.mandate_id}


def _reply_out(message: InboxMessage) -> dict[str, Any]:
    if message.client_company is not None:
        client = {"kind": "company",
                  "registration_number": message.client_company.registration_number}
    else:
        assert message.client_person is not None
        client = {"kind": "person", "personal_code": message.client_person.personal_code}
    return {**_message_out(message), "client": client, "subject": message.subject,
            "body": message.body, "acting_person": acting_person_out(message.acting_person)}


def _detail_out(message: InboxMessage) -> dict[str, Any]:
    return {**_reply_out(message), "direction": message.direction,
            "reads": [{"reader": acting_person_out(read.reader_as), "read_at": read.read_at}
                      for read in message.reads.all()]}


def _field(name: str, msg: str, type_: str) -> ApiError:
    return ApiError(422, ["body", name], msg, type_)


def _lookup(find: Any, value: str, name: str, unknown: str) -> Any:
    try:
        found = find(value)
    except ValidationError as error:
        raise _field(name, " ".join(error.messages), "invalid") from None
    if found is None:
        raise _field(name, unknown, "unknown")
    return found


def _client(payload: MessageIn, case: ServiceCase | None) -> messaging.Client:
    if payload.personal_code and payload.registration_number:
        raise _field("registration_number", _("Name either a person or a company."), "invalid")
    if payload.personal_code:
        return _lookup(identity_queries.find_person, payload.personal_code, "personal_code",  # type: ignore[no-any-return]
                       _("No person with this personal code."))
    if payload.registration_number:
        return _lookup(identity_queries.find_company, payload.registration_number,  # type: ignore[no-any-return]
                       "registration_number", _("No company with this number."))
    if case is not None:
        return messaging.client_of(case)
    raise _field("personal_code", _("Name the client: a personal code, a registration number or "
                                    "a case."), "required")


def _attachments(payload: MessageIn) -> list[messaging.Attachment]:
    limit = settings.DURVIS_MESSAGE_ATTACHMENTS_MAX_BYTES
    if sum(len(item.content) for item in payload.attachments) > _base64_length(limit):
        raise ApiError(413, ["body", "attachments"], "The attachments together are larger than "
                       f"{limit} bytes.", "too_large")
    decoded = []
    for index, item in enumerate(payload.attachments):
        try:
            content = base64.b64decode(item.content, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(422, ["body", "attachments", index, "content"],
                           _("Not valid base64."), "invalid_base64") from None
        decoded.append((item.name, content, item.content_type, item.title or item.name))
    return decoded


def _reply_to(actor: Actor, message_id: int | None) -> InboxMessage | None:
    if message_id is None:
        return None
    message = (InboxMessage.objects.select_related("thread")
               .filter(pk=message_id, institution_id=actor.institution_id or 0).first())
    if message is None:
        raise _field("reply_to", _("No such message of your institution."), "unknown")
    return message


def _send(actor: Actor, payload: MessageIn) -> InboxMessage:
    case = messaging.case_for_sending(actor, payload.case_number) if payload.case_number else None
    try:
        message = messaging.send_to_client(
            actor, client=_client(payload, case),
            institution=Institution.objects.get(pk=actor.institution_id or 0),
            subject=payload.subject, body=payload.body, case=case,
            attachments=_attachments(payload), reply_to=_reply_to(actor, payload.reply_to),
            signature_requested=payload.signature_requested)
    except messaging.AttachmentRefused as refused:
        field = "content" if refused.field == "file" else refused.field
        raise ApiError(422, ["body", "attachments", refused.index, field], refused.reason,
                       refused.reason_code) from None
    return message


@router.post("/messages", response={201: MessageOut, **ERRORS},
             summary="Send a message to a client's e-account",
             openapi_extra=scopes(MESSAGES_WRITE))
def send_message(request: HttpRequest, payload: MessageIn) -> Status[Any]:
    """Put a message, optionally about a case and with attachments, into the client's official
    e-address inbox; the client is told by the channels they chose. Scope `messages:write`;
    accepts `Idempotency-Key`."""
    actor = actor_of(request)

    def handler() -> tuple[int, Any]:
        message = _send(actor, payload)
        message = (InboxMessage.objects.select_related("thread__case")
                   .prefetch_related(Prefetch("attachments", queryset=Document.objects
                                              .select_related("signature",
                                                              "signature__signed_by")))
                   .get(pk=message.pk))
        return 201, _message_out(message)

    return idempotent_write(request, handler)


@router.get("/messages/replies", response={200: ReplyPage, **ERRORS},
            summary="Clients' messages to your institution since a cursor",
            openapi_extra=scopes(MESSAGES_READ))
def list_replies(request: HttpRequest, query: Query[RepliesQuery]) -> dict[str, Any]:
    """Answers and new messages of clients to your institution after the cursor `since`, in
    the order they were committed; ask again with `next_cursor`. Scope `messages:read`; every
    read is audited."""
    found, cursor = messaging_queries.replies(actor_of(request), ChangeCursor.parse(query.since),
                                              query.limit)
    return {"items": [_reply_out(m) for m in found], "next_cursor": str(cursor)}


@router.get("/messages/{message_id}", response={200: MessageDetail, **ERRORS},
            summary="One message of your institution's conversations, with who read it when",
            openapi_extra=scopes(MESSAGES_READ))
def get_message(request: HttpRequest,
                message_id: int = PathParam(..., ge=1, le=2**62)) -> dict[str, Any]:
    """A message your institution sent (with `reads`: each person who opened it in the
    client's e-account, when, and as whom: the client, a parent, a representative) or a
    client's message to it (with `acting_person`: who wrote it for the client). Another
    institution's message, or one about a case outside your token's services, is a 404. Scope
    `messages:read`; every read is audited."""
    return _detail_out(messaging_queries.institution_message(actor_of(request), message_id))
