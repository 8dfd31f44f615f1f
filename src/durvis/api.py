"""The platform's HTTP API, version 1 (`/api/v1/`): one NinjaAPI, each app adds its router."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DomainValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from durvis.catalog.api import router as catalog_router
from durvis.core.api import ApiError
from durvis.documents.api import router as documents_router
from durvis.integrations.api import router as integrations_router
from durvis.integrations.services import IdempotencyConflict
from durvis.messaging.api import router as messaging_router
from durvis.register.api import router as register_router

api = NinjaAPI(
    title="Durvis API",
    version="1",
    description=(
        "The one-stop-shop platform for public services. Errors always have the body "
        '`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.'
    ),
    urls_namespace="api-v1",
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


def _error(request: HttpRequest, status: int, loc: list[str], msg: str, type_: str) -> HttpResponse:
    return api.create_response(request, {"detail": [{"loc": loc, "msg": msg, "type": type_}]},
                               status=status)


@api.exception_handler(DomainValidationError)
def _domain_error(request: HttpRequest, exc: DomainValidationError) -> HttpResponse:
    """A rule of the domain refused the request: one item per field, in the body."""
    if not hasattr(exc, "error_dict"):
        return _error(request, 422, ["body"], " ".join(exc.messages), exc.code or "invalid")
    detail = [
        {"loc": ["body", name], "msg": error.message % (error.params or {}),
         "type": error.code or "invalid"}
        for name, errors in exc.error_dict.items() for error in errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """The framework's own refusals (a body that is not JSON, ...) in the one error format."""
    return _error(request, exc.status_code, ["body"], str(exc.message), "bad_request")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, ["header", "Authorization"],
                      "A valid bearer token is required.", "unauthenticated")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, [], str(exc) or "Not allowed.", "forbidden")


@api.exception_handler(ObjectDoesNotExist)
def _not_found(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return _error(request, 404, ["path"], "Not found.", "not_found")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with the limit, never a 500."""
    return _error(request, 413, ["body"],
                  f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                  "too_large")


@api.exception_handler(IdempotencyConflict)
def _idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return _error(request, 409, ["header", "Idempotency-Key"],
                  "This key was used for a different request.", "idempotency_conflict")


api.add_router("/", catalog_router)
api.add_router("/", register_router)
api.add_router("/", integrations_router)
api.add_router("/", documents_router)
api.add_router("/", messaging_router)
