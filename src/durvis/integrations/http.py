"""What every app's HTTP API module shares (B9), written once: bearer-token authentication of
API clients, the typed actor of a request, the error responses, the case-number path parameter,
idempotent writes (`Idempotency-Key`), the scopes an operation needs, shown in the OpenAPI
schema, and the one text rule for anything a request carries: normalised to NFC
(`normalise_text`), refused where `durvis.core.text` refuses it (`refuse_forbidden_text`). The
error bodies themselves are made by the project's `durvis.api`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, cast, get_args, get_origin, get_type_hints

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, QueryDict, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema, Status
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import AfterValidator, AwareDatetime, BaseModel, GetCoreSchemaHandler
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError, core_schema

from durvis.core.actor import Actor
from durvis.core.api import ApiError, ErrorOut
from durvis.core.case_numbers import parse_case_number
from durvis.core.changes import ChangeCursor
from durvis.core.text import forbidden_character, normalise, problem, refusal
from durvis.identity.queries import ActingPerson, Relation
from durvis.integrations.models import IdempotencyRecord
from durvis.integrations.rules import SCOPES
from durvis.integrations.services import idempotent, token_actor

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
CaseNumber = Annotated[str, Path(..., pattern=r"^[0-9]{1,10}[ \-][0-9]{2,19}$",
                                 description="A case number, the space written as a hyphen "
                                             "(`9999-76544`); its check digit is checked"),
                       AfterValidator(_registered_case_number)]


def _cursor(value: str) -> str:
    """A feed's cursor as `ChangeCursor` writes it, and nothing else (`05`, `0.5`, ` 5` are
    refused, not read as another position), of a transaction that has begun
    (`ChangeCursor.check_given`): a validation error of type `cursor` otherwise."""
    try:
        ChangeCursor.parse(value).check_given()
    except ValueError as error:
        raise PydanticCustomError("cursor", str(error)) from None
    return value


# The `since` of every feed an institution's system polls (cases, applications, replies): `0`
# or the `next_cursor` of the page before, as given (`durvis.core.changes`).
Cursor = Annotated[str, Field("0", min_length=1, max_length=40, description=(
    "The cursor: `0` (or none) for the beginning, else the `next_cursor` of the page before, "
    "as given (an opaque string); anything else is a 422 of type `cursor`")),
    AfterValidator(_cursor)]

# How many items a feed's page holds at most (1 to 500).
Limit = Annotated[int, Field(100, ge=1, le=500, description=(
    "How many items at most (1 to 500)"))]


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
        "client; `guardian`, `trustee`: a guardian or trustee appointed by a court (by a "
        "mandate of that basis); `mandate`: a representative under a mandate; "
        "`representative`: a representative of the company, or of a person with no relation "
        "now (a mandate since ended)")


def acting_person_out(acting: ActingPerson | None) -> dict[str, str] | None:
    """The API's shape of an acting person (`ActingPersonOut`), or None."""
    if acting is None:
        return None
    return {"personal_code": acting.person.personal_code, "name": str(acting.person),
            "relation": acting.relation.value}


class SignatureOut(Schema):
    """A client's electronic confirmation of a document the institution asked them to sign
    (authentication-based: who was signed in; not a qualified electronic signature)."""

    signed_by: str = Field(..., description="The name of the person who signed")
    signed_by_personal_code: str
    signed_at: datetime.datetime
    sha256: str = Field(..., description="SHA-256 of the file when it was signed")
    mandate: int | None = Field(
        ..., description="The number of the mandate the signer relied on (null: the client "
        "themself, or a parent or representative by the base registers)")


class ApiClientAuth(HttpBearer):
    """`Authorization: Bearer dv_...`: the request acts as the client's `Actor`. The check is
    cached in the process (`services.TokenCache`): a known token costs one SHA-256 and one read
    of the credential generation."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return token_actor(token, request.META.get("REMOTE_ADDR"))


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
    "Idempotency-Key"]` for a key longer than MAX_IDEMPOTENCY_KEY (200) characters (`too_long`),
    with a character outside ASCII (`not_ascii`: a header's value is read as Latin-1, so a
    UTF-8 "ā" would otherwise be refused as an invisible U+0081), or holding a control
    character, a tab included (`control_character`, `durvis.core.text`): it is stored.
    Keys are visible ASCII, as RFC 9110 field values and the IETF draft's examples (UUIDs)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    loc: list[str | int] = ["header", "Idempotency-Key"]
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(422, loc, _("An idempotency key has at most %(limit)d characters.") % {
            "limit": MAX_IDEMPOTENCY_KEY}, "too_long")
    if not key.isascii():
        raise ApiError(422, loc, _("An idempotency key is written in ASCII letters, digits and "
                                   "punctuation (a UUID, for example)."), "not_ascii")
    character = forbidden_character(key) or ("\t" if "\t" in key else None)
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


# --- Text: the one text rule (`durvis.core.text`) for anything a request carries ---------------

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# `json_schema_extra` of a body field whose text is paragraphs (`Field(..., json_schema_extra=
# PARAGRAPHS)`): it may hold bidirectional controls; every other string is a line. Shown in the
# OpenAPI schema.
PARAGRAPHS: JsonDict = {"x-text": "paragraphs"}

Place = tuple[str | int, ...]


def _paragraphs_of(model: type[BaseModel], place: Place = ()) -> Iterator[Place]:
    """The places (`*` for any list index) of a model's fields marked PARAGRAPHS, at any
    depth."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        if isinstance(info.json_schema_extra, dict) and (
                info.json_schema_extra.get("x-text") == PARAGRAPHS["x-text"]):
            yield (*place, key)
        annotation, inner = info.annotation, (*place, key)
        if get_origin(annotation) is list:
            annotation, inner = get_args(annotation)[0], (*inner, "*")
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _paragraphs_of(annotation, inner)


def paragraph_places(view: Callable[..., Any]) -> frozenset[Place]:
    """Where an operation's JSON body holds paragraphs: the PARAGRAPHS fields of the body
    models among its parameters (the body itself when there is one, else under each
    parameter's name, as django-ninja reads them)."""
    hints = get_type_hints(view, include_extras=True)
    bodies = {name: hint for name, hint in hints.items()
              if isinstance(hint, type) and issubclass(hint, BaseModel)}
    if len(bodies) == 1:
        return frozenset(_paragraphs_of(next(iter(bodies.values()))))
    return frozenset(place for name, model in bodies.items()
                     for place in _paragraphs_of(model, (name,)))


def _is_paragraph(loc: list[str | int], paragraphs: frozenset[Place]) -> bool:
    if loc[:1] != ["body"]:
        return False
    return any(len(pattern) == len(loc) - 1 and all(
        step == want or (want == "*" and isinstance(step, int))
        for step, want in zip(loc[1:], pattern, strict=True)) for pattern in paragraphs)


class _Checker:
    """Collects the problems of a request's text, each named by its place."""

    def __init__(self, paragraphs: frozenset[Place]) -> None:
        self.paragraphs = paragraphs
        self.problems: list[dict[str, Any]] = []

    def check(self, loc: list[str | int], value: str, *, key: bool = False) -> None:
        found = problem(value, line=key or not _is_paragraph(loc, self.paragraphs))
        if found is not None:
            msg, type_ = found
            self.problems.append({"loc": loc, "msg": msg, "type": type_})

    def document(self, loc: list[str | int], document: Any) -> None:
        """Every string of a JSON document, keys too, at any depth (walked without recursion:
        a deep document must not exhaust the stack), in the document's order."""
        stack: list[tuple[list[str | int], Any, bool]] = [(loc, document, False)]
        while stack:
            place, value, is_key = stack.pop()
            if isinstance(value, str):
                self.check(place, value, key=is_key)
            elif isinstance(value, dict):
                for name, item in reversed(value.items()):
                    stack.append(([*place, name], item, False))
                    stack.append(([*place, name], name, True))
            elif isinstance(value, list):
                stack.extend(([*place, index], item, False)
                             for index, item in reversed(list(enumerate(value))))

    def form(self, request: HttpRequest) -> None:
        """A form's fields and its files' names. An endpoint that takes no form may still read
        the raw body (`body_fingerprint`): it is kept before the form is parsed from it, unless
        the endpoint's own form parser has read it already. A form that cannot be parsed is
        left to the endpoint."""
        with contextlib.suppress(RawPostDataException):
            request.body  # noqa: B018 - read (and kept) before the form is parsed from it
        try:
            fields, files = request.POST, request.FILES
        except MultiPartParserError:
            return
        for name, values in fields.lists():
            self.check(["body", name], name, key=True)
            for value in values:
                self.check(["body", name], value)
        for name, uploads in files.lists():
            for upload in uploads:
                self.check(["body", name], upload.name or "")


def text_problems(request: HttpRequest, paragraphs: frozenset[Place] = frozenset()
                  ) -> list[dict[str, Any]]:
    """Each place of the request whose text the text rule refuses (`durvis.core.text`: a
    control character; in a line, a bidirectional control; nothing but invisible characters),
    named as validation errors are: its path parameters (`["path", name]`), its query string
    (`["query", name]`) and its body: a JSON document at any depth (`["body", "events", 3,
    "note"]`) or a form's fields and its files' names (`["body", name]`). Every place is a line
    but the `paragraphs` of the body (`paragraph_places`). Headers are checked where they are
    read (`idempotency_key`, `ApiClientAuth`)."""
    checker = _Checker(paragraphs)
    match = request.resolver_match
    for name, value in (match.kwargs.items() if match is not None else ()):
        if isinstance(value, str):
            checker.check(["path", name], value)
    for name, values in request.GET.lists():
        checker.check(["query", name], name, key=True)
        for value in values:
            checker.check(["query", name], value)
    if request.content_type in FORM_TYPES:
        checker.form(request)
    elif request.body:
        try:
            document = json.loads(request.body)
        except ValueError:
            return checker.problems  # not JSON: the endpoint's parser answers for it
        checker.document(["body"], document)
    return checker.problems


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJsonParser(Parser):
    """The API's body parser: JSON as RFC 8259 says it, without Python's extensions `NaN`,
    `Infinity` and `-Infinity` (no number can hold them, PostgreSQL's jsonb refuses them). Such a
    body is refused like any body that is not JSON (400, `bad_request` at `["body"]`)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_constant=_no_constant))


def refuse_forbidden_text(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation decorator (`NinjaAPI.add_decorator(..., mode="operation")`): before any
    endpoint runs, after authentication and the validation of its parameters, a request
    carrying text the text rule refuses anywhere (`text_problems`) is refused, 422 naming
    every place. Every field of every endpoint, present and future, without a validator of its
    own: PostgreSQL cannot store U+0000, and none of them can be read by a person."""
    paragraphs = paragraph_places(view)

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        problems = text_problems(request, paragraphs)
        if problems:
            raise ApiError.problems(422, problems)
        return view(request, *args, **kwargs)

    return checked


def _normalise_document(document: Any) -> Any:
    if isinstance(document, str):
        return normalise(document)
    if isinstance(document, dict):
        return {normalise(key): _normalise_document(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_normalise_document(item) for item in document]
    return document


def _normalise_json_body(request: HttpRequest) -> None:
    """Put every string of a JSON body, keys too, in Normalization Form C, before the
    endpoint's parser reads it (so that lengths and patterns are checked on what is stored).
    A body that is not JSON, too large or too deep is left as it is, for the parser to
    answer."""
    with contextlib.suppress(RequestDataTooBig, RawPostDataException, ValueError,
                             RecursionError):
        if not request.body:
            return
        document = json.loads(request.body)
        normalised = _normalise_document(document)
        if normalised != document:
            request._body = json.dumps(normalised).encode()  # type: ignore[attr-defined]


def _normalised_query(query: QueryDict) -> QueryDict:
    normalised = QueryDict(mutable=True)
    for name, values in query.lists():
        normalised.setlist(normalise(name), [normalise(value) for value in values])
    normalised._mutable = False
    return normalised


def _normalise_form(request: HttpRequest) -> None:
    """Put a form body's fields and files' names in Normalization Form C, before the endpoint's
    parser reads them. The raw body is kept first (as `_Checker.form` does) for an endpoint
    that reads it; a body too large to keep is parsed as a stream, and a form that cannot be
    parsed is left to the endpoint."""
    with contextlib.suppress(RawPostDataException, RequestDataTooBig):
        request.body  # noqa: B018 - read (and kept) before the form is parsed from it
    try:
        fields, files = request.POST, request.FILES
    except MultiPartParserError:
        return
    normalised = _normalised_query(fields)
    if normalised != fields:
        request._post = normalised  # type: ignore[attr-defined]
    for upload in (upload for _name, uploads in files.lists() for upload in uploads):
        if upload.name:
            upload.name = normalise(upload.name)


def normalise_text(run: Callable[..., Any]) -> Callable[..., Any]:
    """A view decorator (`NinjaAPI.add_decorator(..., mode="view")`), run before a request is
    parsed: its path parameters, query string and body (JSON, or a form's fields and files'
    names) are put in Normalization Form C (UAX #15), so that the same text typed composed or
    decomposed is one value, of one length, everywhere after: the endpoint's own limits and
    patterns are checked on it."""

    @functools.wraps(run)
    def normalised(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        kwargs = {name: normalise(value) if isinstance(value, str) else value
                  for name, value in kwargs.items()}
        query = _normalised_query(request.GET)
        if query != request.GET:
            request.GET = query  # type: ignore[assignment]
        if request.content_type in FORM_TYPES:
            if request.method == "POST":
                _normalise_form(request)
        else:
            _normalise_json_body(request)
        return run(request, *args, **kwargs)

    return normalised
