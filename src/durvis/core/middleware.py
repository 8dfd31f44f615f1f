"""Request plumbing shared by every page and API: the client's address behind trusted proxies,
a structured request log, and the API's language."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

from durvis.core import memo

logger = logging.getLogger("durvis.request")


class ClientAddressMiddleware:
    """Behind load balancers, REMOTE_ADDR is the nearest proxy's address, so every client would
    share one (and one client's failed sign-ins would lock out everyone: django-axes, the audit
    log and the request log all read REMOTE_ADDR). With DURVIS_TRUSTED_PROXY_COUNT = N, the
    address is the one the outermost of our N proxies saw: the N-th entry from the right of
    X-Forwarded-For. Entries further left are the client's own claims and never trusted; with
    N = 0 (the default, no proxy) the header is ignored altogether."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = settings.DURVIS_TRUSTED_PROXY_COUNT

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                    if h.strip()]
            if len(hops) >= self.proxies:
                request.META["REMOTE_ADDR"] = hops[-self.proxies]
        return self.get_response(request)


class RequestLogMiddleware:
    """Log every request as one structured record (query strings are left out: they may hold
    what a user typed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


# The API's language when a request asks for none the platform speaks: English, the language of
# integrators (the pages' default is Latvian).
API_DEFAULT_LANGUAGE = "en"


def api_language(request: HttpRequest) -> str:
    """The language an API request asks for in `Accept-Language` (the first of its choices, by
    weight, that the platform speaks), else API_DEFAULT_LANGUAGE. A browser's language cookie
    counts only for the pages."""
    for code, _weight in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return API_DEFAULT_LANGUAGE


class ApiLanguageMiddleware:
    """API responses speak the language of `Accept-Language`, English by default (`api_language`):
    our own messages, and the catalogue's names; the codes (`type`) are the same in every
    language. Pydantic's validation messages stay English. The pages take the language from the
    URL instead (`/en/...`). After LocaleMiddleware, which chose the pages' way: its language is
    back once the response is made, and the response says the API's (`Content-Language`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        language = api_language(request)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ApiErrorBodyMiddleware:
    """Every refusal under `/api/` has the API's one JSON error body, also those that no endpoint
    made: an unknown path (404, Django's page otherwise), a method the path does not take (405,
    plain text otherwise; the `Allow` header stays) and an unexpected exception (500: Django's
    server error page otherwise; the exception is logged by Django as for any page)."""

    MESSAGES: dict[int, tuple[list[str], Any, str]] = {
        404: (["path"], _("No such API path."), "not_found"),
        405: (["method"], _("This path does not take this method."), "method_not_allowed"),
        500: ([], _("The server failed to answer this request. It has been logged; please try "
                    "again later."), "server_error"),
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        known = self.MESSAGES.get(response.status_code)
        if (known is None or not request.path_info.startswith("/api/")
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        loc, msg, type_ = known
        replacement = JsonResponse({"detail": [{"loc": loc, "msg": str(msg), "type": type_}]},
                                   status=response.status_code)
        if "Allow" in response:
            replacement["Allow"] = response["Allow"]
        return replacement


class MethodNotAllowedPageMiddleware:
    """A page address visited with a method it does not take (a GET of a form's POST-only
    address, from a bookmark, the history or a pasted link) answers with a page that says so in
    the person's language and links on, not Django's empty 405; the status and the `Allow`
    header stay. The API has its own body (`ApiErrorBodyMiddleware`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code != 405 or request.path_info.startswith("/api/")
                or response.streaming or response.content):
            return response
        # Signing in from here comes back to the home page: this address has no page to show.
        page = render(request, "405.html", {"sign_in_stays_home": True}, status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


class RequestMemoMiddleware:
    """Every request has its own memo (`core.memo`): answers asked again within one page are
    computed once, and none outlives the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with memo.request_scope():
            return self.get_response(request)
