"""The platform's HTTP API, version 1 (`/api/v1/`): one NinjaAPI, each app adds its router."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from durvis.catalog.api import router as catalog_router
from durvis.core.api import ApiError

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


api.add_router("/", catalog_router)
