"""The platform's HTTP API, version 1 (`/api/v1/`): one NinjaAPI, each app adds its router."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DomainValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.operation import Operation

from durvis.addresses.api import router as addresses_router
from durvis.calendars.api import router as calendars_router
from durvis.catalog.api import router as catalog_router
from durvis.core.api import ApiError
from durvis.documents.api import router as documents_router
from durvis.eforms.api import router as eforms_router
from durvis.integrations.api import router as integrations_router
from durvis.integrations.http import StrictJsonParser, normalise_text, refuse_forbidden_text
from durvis.integrations.services import IdempotencyConflict
from durvis.messaging.api import router as messaging_router
from durvis.payments.api import router as payments_router
from durvis.payments.statement_api import router as statements_router
from durvis.register.api import router as register_router
from durvis.servicepoints.api import router as servicepoints_router

# Where a value came from, as the error's `loc` begins: a multipart form's fields and files are
# in the body like a JSON body's.
SOURCES = {"path": "path", "query": "query", "header": "header", "cookie": "cookie",
           "body": "body", "form": "body", "file": "body"}


class DurvisApi(NinjaAPI):
    """django-ninja's API, with every validation error's `loc` starting with where the value
    came from (`path`, `query`, `header` or `body`) followed by the field's place within it:
    `["path", "number"]`, `["body", "events", 3, "note"]`. The name of the Python parameter
    that receives the whole JSON body (`payload`) is not a place in the request and is left
    out.

    Every operation's `operationId` is a stable, readable name (issue 20): the view's name in
    camelCase (`create_case` → `createCase`), or the `operation_id` its route names where the
    view's name alone would be unclear (`postCaseEvent`). It is the name of the function in
    every client generated from the schema: renaming one breaks them (the committed schema,
    `docs/openapi.json`, and its test say so)."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        head, *rest = operation.view_func.__name__.split("_")
        return head + "".join(word.capitalize() for word in rest)

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        """The schema, with an operation open to anyone saying so (`security: []`), as the
        schema's lint asks (`make lint`)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for operation in item.values():
                operation.setdefault("security", [])
        return schema

    def validation_error_from_error_contexts(
            self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        errors = []
        for context in error_contexts:
            whole_body = getattr(context.model, "__read_from_single_attr__", None)
            for error in super().validation_error_from_error_contexts([context]).errors:
                source, *place = error["loc"]
                if whole_body is not None and place[:1] == [whole_body]:
                    place = place[1:]
                errors.append({**error, "loc": [SOURCES.get(source, source), *place]})
        return ValidationError(errors)


api = DurvisApi(
    title="Durvis API",
    version="1",
    description=(
        "The one-stop-shop platform for public services. Errors always have the body "
        '`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`: `loc` starts with where '
        "the value came from (`path`, `query`, `header` or `body`), `type` is a stable code "
        "and `msg` is in the language of `Accept-Language` (`lv` or `en`; English by default; "
        "the framework's own validation messages are English)."
    ),
    urls_namespace="api-v1",
    parser=StrictJsonParser(),
    servers=[{"url": "/", "description": "This platform (the paths carry /api/v1)"}],
    openapi_extra={"tags": [
        {"name": "catalogue", "description": "The public catalogue of services (no token)"},
        {"name": "register", "description": "Cases, their statuses and results, consultations"},
        {"name": "integration", "description": "Your client, the event feed, the AsyncAPI "
                                               "document of the webhooks' events"},
        {"name": "documents", "description": "Documents delivered to clients"},
        {"name": "messages", "description": "Messages to clients and their replies"},
        {"name": "applications", "description": "Applications submitted through e-forms"},
        {"name": "payments", "description": "Bank statements"},
        {"name": "invoices", "description": "Invoices and their payments"},
        {"name": "addresses", "description": "The State Address Register: address search "
                                             "(no token)"},
        {"name": "service points", "description": "Where clients are served in person: "
                                                  "hours, services (no token)"},
        {"name": "appointments", "description": "Appointments booked at your institution's "
                                                "service points"},
    ]},
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return api.create_response(request, exc.body, status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


def _source(request: HttpRequest, name: str) -> str:
    """Where the request carried the field a domain rule refused: the path, the query string,
    else the body."""
    match = request.resolver_match
    if match is not None and name in match.kwargs:
        return "path"
    return "query" if name in request.GET else "body"


def _error(request: HttpRequest, status: int, loc: list[str], msg: str, type_: str) -> HttpResponse:
    return api.create_response(request, {"detail": [{"loc": loc, "msg": msg, "type": type_}]},
                               status=status)


@api.exception_handler(DomainValidationError)
def _domain_error(request: HttpRequest, exc: DomainValidationError) -> HttpResponse:
    """A rule of the domain refused the request: one item per field, named where the request
    carried it."""
    if not hasattr(exc, "error_dict"):
        return _error(request, 422, ["body"], " ".join(exc.messages), exc.code or "invalid")
    detail = [
        {"loc": [_source(request, name), name], "msg": error.message % (error.params or {}),
         "type": error.code or "invalid"}
        for name, errors in exc.error_dict.items() for error in errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """The framework's own refusals in the one error format: the only one it makes is a body
    it cannot parse (400); another keeps its own message."""
    message = (_("The request body cannot be read: send it as JSON.") if exc.status_code == 400
               else str(exc.message))
    return _error(request, exc.status_code, ["body"], message, "bad_request")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, ["header", "Authorization"],
                      _("A valid bearer token is required."), "unauthenticated")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """A refusal of the access policy. Its reason is written for developers, in English, so the
    answer says what to check instead, in the request's language."""
    return _error(request, 403, [], _("Your API client may not do this: check its scopes and "
                                      "services."), "forbidden")


@api.exception_handler(ObjectDoesNotExist)
def _not_found(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return _error(request, 404, ["path"], _("Not found."), "not_found")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with the limit, never a 500."""
    return _error(request, 413, ["body"],
                  _("The request body is larger than %(limit)d bytes.") % {
                      "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                  "too_large")


@api.exception_handler(IdempotencyConflict)
def _idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return _error(request, 409, ["header", "Idempotency-Key"],
                  _("This key was used for a different request."), "idempotency_conflict")


api.add_decorator(normalise_text, mode="view")
api.add_decorator(refuse_forbidden_text, mode="operation")
api.add_router("/", catalog_router)
api.add_router("/", register_router)
api.add_router("/", integrations_router)
api.add_router("/", documents_router)
api.add_router("/", messaging_router)
api.add_router("/", eforms_router)
api.add_router("/", statements_router)
api.add_router("/", payments_router)
api.add_router("/", addresses_router)
api.add_router("/", servicepoints_router)
api.add_router("/", calendars_router)
