"""What every app's HTTP API module shares (B9), written once: bearer-token authentication of
API clients, the typed actor of a request, the error responses, the case-number path parameter,
idempotent writes (`Idempotency-Key`) and the scopes an operation needs, shown in the OpenAPI
schema. The error bodies themselves are made by the project's `durvis.api`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Status
from ninja.security import HttpBearer
from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from durvis.core.actor import Actor
from durvis.core.api import ErrorOut
from durvis.core.case_numbers import parse_case_number
from durvis.integrations.rules import SCOPES
from durvis.integrations.services import api_actor, authenticate, idempotent

# The refusals every endpoint may answer, in the one error body.
ERRORS: dict[int, type[ErrorOut]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 422)}



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


# A time sent to the API: an instant with its offset (`2026-11-03T10:00:00Z`, `…+02:00`). A
# time without one is refused (422 naming the field): guessing a zone would also guess the
# missing and doubled hours of the clock changes. The register refuses times in the future
# beyond DURVIS_CLOCK_SKEW_SECONDS.
Instant = Annotated[AwareDatetime, Field(description=(
    "An instant with its offset (`Z` or `+02:00`); a time without one is refused, and so is a "
    "time in the future beyond the platform's clock-skew tolerance (5 minutes by default)"))]


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
    """What makes a retry the same request: the method, the path and the body."""
    return f"{request.method} {request.path}\n{request.body.decode(errors='replace')}"


def upload_fingerprint(request: HttpRequest, *fields: str, content: bytes) -> str:
    """The same for a multipart upload, whose body cannot be read again once parsed: its
    fields and the file's SHA-256 stand for it."""
    return "\n".join([request.method or "", request.path, *fields,
                      hashlib.sha256(content).hexdigest()])


def idempotent_write(request: HttpRequest, handler: Callable[[], tuple[int, Any]],
                     fingerprint: str | None = None) -> Status[Any]:
    """Run `handler` (returning status and body) once per `Idempotency-Key` of the client; a
    retry gets the first answer. Raises IdempotencyConflict (409) when the key was used for
    another request."""
    actor = actor_of(request)
    assert actor.api is not None
    return Status(*idempotent(actor.api.client_id, request.headers.get("Idempotency-Key"),
                              fingerprint or body_fingerprint(request), handler))


def scopes(*keys: str) -> dict[str, Any]:
    """`openapi_extra` for an operation that needs these scopes: each with the description its
    owner declared, in the operation's schema (`x-scopes`). Raises KeyError for a scope nobody
    declared."""
    return {"x-scopes": [{"scope": key, "description": str(SCOPES.get(key).description)}
                         for key in keys]}
