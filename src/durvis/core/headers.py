"""Response headers that keep personal data out of caches (issue 11, "The web's defences")."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every answer that may carry personal data: any
    page of a browser with a session (a signed-in client or staff member, or one signing in)
    and every API answer to a caller with credentials. Public pages to a browser without a
    session stay cacheable (they vary on the cookie). A view that sets Cache-Control itself
    keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        personal = bool(request.session.session_key) or "HTTP_AUTHORIZATION" in request.META
        if personal and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        patch_vary_headers(response, ["Cookie"])
        return response
