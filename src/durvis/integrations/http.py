"""What every app's HTTP API module shares (B9), written once: bearer-token authentication of
API clients, the typed actor of a request, the error responses, the case-number path parameter,
idempotent writes (`Idempotency-Key`), the scopes an operation needs, shown in the OpenAPI
schema, and the refusal of text with control characters in anything a request carries
(`refuse_forbidden_text`). The error bodies themselves are made by the project's `durvis.api`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema, Status
from ninja.security import HttpBearer
from pydantic import AfterValidator, AwareDatetime, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from durvis.core.actor import Actor
from durvis.core.api import ApiError, ErrorOut
from durvis.core.case_numbers import parse_case_number
from durvis.core.text import forbidden_character, refusal
from durvis.identity.queries import ActingPerson, Relation
from durvis.integrations.models import IdempotencyRecord
from durvis.integrations.rules import SCOPES
from durvis.integrations.services import api_actor, authenticate, idempotent

# The refusals every endpoint may answer, in the one error body (413: a body over
# DURVIS_MAX_BODY_BYTES).
ERRORS: dict[int, type[ErrorOut]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 413, 422)}



def _registered_case_number(value: str) -> str:
    """A case number from a path as the register writes it (`9999 76544`). A wrong check digit
    is refused here, as a validation error of the path parameter (`["path", "number"]`, type
    `checksum`), before the endpoint runs."""
    try:
        return str(parse_case_number(value))
    except ValidationError as error:
        raise PydanticCustomError(error.code or "invalid", str(error.messages[0])) from None


# A case number in a path, the space of "9999 76544" written as a hyphen; the endpoint gets it
# as the register writes it, with the space.
CaseNumber = Annotated[str, Path(..., pattern=r"^\d{1,10}[ \-]\d{2,19}$",
                                 description="A case number, the space written as a hyphen "
                                             "(`9999-76544`); its check digit is checked"),
                       AfterValidator(_registered_case_number)]


class OneOf:
    """`Annotated[str, OneOf("", *Channel.values)]`: exactly one of these strings. One type, not a
    union (`Channel | Literal[""]`), so that a wrong value is one error at the field: pydantic
    names each member of a union in the error's `loc` (`["body", "status",
    "str-enum[CaseStatus]"]`). Shown as an `enum` in the OpenAPI schema."""

    def __init__(self, *values: str) -> None:
        self.values = values

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.values))


# A time sent to the API: an instant with its offset (`2026-11-03T10:00:00Z`, `…+02:00`). A
# time without one is refused (422 naming the field): guessing a zone would also guess the
# missing and doubled hours of the clock changes. The register refuses times in the future
# beyond DURVIS_CLOCK_SKEW_SECONDS.
Instant = Annotated[AwareDatetime, Field(description=(
    "An instant with its offset (`Z` or `+02:00`); a time without one is refused, and so is a "
    "time in the future beyond the platform's clock-skew tolerance (5 minutes by default)"))]


class ActingPersonOut(Schema):
    """Who acted for a client (or read a client's message) and as whom (A2, C1, A12)."""

    personal_code: str
    name: str
    relation: Annotated[str, OneOf(*Relation.values)] = Field(
        ..., description="`client`: the client themself; `parent`: a parent of the minor "
        "client; `representative`: a representative of the company")


def acting_person_out(acting: ActingPerson | None) -> dict[str, str] | None:
    """The API's shape of an acting person (`ActingPersonOut`), or None."""
    if acting is None:
        return None
    return {"personal_code": acting.person.personal_code, "name": str(acting.person),
            "relation": acting.relation.value}


class ApiClientAuth(HttpBearer):
    """`Authorization: Bearer dv_...`: the request acts as the client's `Actor`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        client = authenticate(token)
        if client is None:
            return None
        return api_actor(client, request.META.get("REMOTE_ADDR"))


def actor_of(request: HttpRequest) -> Actor:
    """The actor an authenticated API request acts as (set by `ApiClientAuth`)."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor) or actor.api is None:
        raise TypeError("not a request authenticated by ApiClientAuth")
    return actor


def body_fingerprint(request: HttpRequest) -> str:
    """What makes a retry the same request: the method, the path and the body; a JSON body by
    what it says (keys in any order, any spacing, any escaping of the same text), so that a
    retry written by another library is the same request."""
    text = request.body.decode(errors="replace")
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    return f"{request.method} {request.path}\n{text}"


def upload_fingerprint(request: HttpRequest, *fields: str, content: bytes) -> str:
    """The same for a multipart upload, whose body cannot be read again once parsed: its
    fields and the file's SHA-256 stand for it."""
    return "\n".join([request.method or "", request.path, *fields,
                      hashlib.sha256(content).hexdigest()])


MAX_IDEMPOTENCY_KEY = IdempotencyRecord._meta.get_field("key").max_length or 0


def idempotency_key(request: HttpRequest) -> str | None:
    """The request's `Idempotency-Key`, or None. Raises ApiError 422 at `["header",
    "Idempotency-Key"]` for a key longer than MAX_IDEMPOTENCY_KEY (200) characters or holding
    a control character (`durvis.core.text`): it is stored."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    loc: list[str | int] = ["header", "Idempotency-Key"]
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(422, loc, _("An idempotency key has at most %(limit)d characters.") % {
            "limit": MAX_IDEMPOTENCY_KEY}, "too_long")
    character = forbidden_character(key)
    if character is not None:
        raise ApiError(422, loc, *refusal(character))
    return key


def idempotent_write(request: HttpRequest, handler: Callable[[], tuple[int, Any]],
                     fingerprint: str | None = None) -> Status[Any]:
    """Run `handler` (returning status and body) once per `Idempotency-Key` of the client; a
    retry gets the first answer. Raises IdempotencyConflict (409) when the key was used for
    another request, and ApiError 422 for a key that cannot be one (`idempotency_key`)."""
    actor = actor_of(request)
    assert actor.api is not None
    return Status(*idempotent(actor.api.client_id, idempotency_key(request),
                              fingerprint or body_fingerprint(request), handler))


def scopes(*keys: str) -> dict[str, Any]:
    """`openapi_extra` for an operation that needs these scopes: each with the description its
    owner declared, in the operation's schema (`x-scopes`). Raises KeyError for a scope nobody
    declared."""
    return {"x-scopes": [{"scope": key, "description": str(SCOPES.get(key).description)}
                         for key in keys]}


# --- Text: no control characters in anything a request carries ------------------------------

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _check(problems: list[dict[str, Any]], loc: list[str | int], value: str) -> None:
    character = forbidden_character(value)
    if character is not None:
        msg, type_ = refusal(character)
        problems.append({"loc": loc, "msg": msg, "type": type_})


def _check_document(problems: list[dict[str, Any]], loc: list[str | int], document: Any) -> None:
    """Every string of a JSON document, keys too, at any depth (walked without recursion: a
    deep document must not exhaust the stack), in the document's order."""
    stack: list[tuple[list[str | int], Any]] = [(loc, document)]
    while stack:
        place, value = stack.pop()
        if isinstance(value, str):
            _check(problems, place, value)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append(([*place, key], item))
                stack.append(([*place, key], key))
        elif isinstance(value, list):
            stack.extend(([*place, index], item) for index, item in reversed(list(enumerate(value))))


def _check_form(problems: list[dict[str, Any]], request: HttpRequest) -> None:
    """A form's fields and its files' names. An endpoint that takes no form may still read the
    raw body (`body_fingerprint`): it is kept before the form is parsed from it, unless the
    endpoint's own form parser has read it already. A form that cannot be parsed is left to
    the endpoint."""
    with contextlib.suppress(RawPostDataException):
        request.body  # noqa: B018 - read (and kept) before the form is parsed from it
    try:
        fields, files = request.POST, request.FILES
    except MultiPartParserError:
        return
    for name, values in fields.lists():
        for value in [name, *values]:
            _check(problems, ["body", name], value)
    for name, uploads in files.lists():
        for upload in uploads:
            _check(problems, ["body", name], upload.name or "")


def text_problems(request: HttpRequest) -> list[dict[str, Any]]:
    """Each place of the request whose text holds a character text may not (`durvis.core.text`),
    named as validation errors are: its path parameters (`["path", name]`), its query string
    (`["query", name]`) and its body: a JSON document at any depth (`["body", "events", 3,
    "note"]`) or a form's fields and its files' names (`["body", name]`). Headers are checked
    where they are read (`idempotency_key`, `ApiClientAuth`)."""
    problems: list[dict[str, Any]] = []
    match = request.resolver_match
    for name, value in (match.kwargs.items() if match is not None else ()):
        if isinstance(value, str):
            _check(problems, ["path", name], value)
    for name, values in request.GET.lists():
        for value in [name, *values]:
            _check(problems, ["query", name], value)
    if request.content_type in FORM_TYPES:
        _check_form(problems, request)
    elif request.body:
        try:
            document = json.loads(request.body)
        except ValueError:
            return problems  # not JSON: the endpoint's parser answers for it
        _check_document(problems, ["body"], document)
    return problems


def refuse_forbidden_text(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation decorator (`NinjaAPI.add_decorator(..., mode="operation")`): before any
    endpoint runs, after authentication and the validation of its parameters, a request
    carrying text with a control character anywhere (`text_problems`) is refused, 422 naming
    every place. Every field of every endpoint, present and future, without a validator of its
    own: PostgreSQL cannot store U+0000, and none of them can be read by a person."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        problems = text_problems(request)
        if problems:
            raise ApiError.problems(422, problems)
        return view(request, *args, **kwargs)

    return checked
