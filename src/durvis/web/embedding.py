"""Framing the platform's e-form pages in another portal (A10: forms "embedded in portals").

Every page is framed by nobody (CSP `frame-ancestors 'none'` and `X-Frame-Options: DENY`,
settings). A view wrapped with `framed_by(origins_of)` is framed by the origins that
`origins_of(request, **view_kwargs)` names, for that response only: CSP `frame-ancestors`
lists them (django-csp's per-response replacement) and `X-Frame-Options` is left out (it cannot
name an origin; browsers that know CSP level 2 ignore it when `frame-ancestors` is present, and
it would block the others). No origin: the page stays unframeable. For the e-forms the origins
are those the service holder's administrator registered (`catalog.queries.frame_origins`).

A person applying from a frame is marked (`mark_embedded`: the service's code in the session)
and the journey's addresses carry `?embed=1` (`EMBED_PARAM`): `is_embedded` is what a page of
the journey reads to pick the minimal base template (`web/embed_base.html`: no site header or
footer) and to wrap itself with `framed_by`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]
EMBED_PARAM = "embed"
EMBED_SESSION_KEY = "durvis.embedded_services"
EMBED_TEMPLATE = "web/embed_base.html"
PAGE_TEMPLATE = "base.html"


def framed_by(origins_of: Callable[..., Iterable[str]]) -> Callable[[View], View]:
    """A view decorator: the response may be framed by the origins `origins_of(request,
    **kwargs)` returns (`https://portal.example.lv`), and by nobody else; the list is asked
    once per request, after the view ran."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            allow_framing(response, origins_of(request, **kwargs))
            return response

        return wrapped

    return decorate


def allow_framing(response: HttpResponse, origins: Iterable[str]) -> HttpResponse:
    """Let `origins` (and only them) frame this response; none: nobody (the default)."""
    allowed = sorted(set(origins))
    if allowed:
        response._csp_replace = {"frame-ancestors": allowed}  # type: ignore[attr-defined]
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def mark_embedded(request: HttpRequest, code: int) -> None:
    """Remember that the person applies for service `code` from a frame (where the session
    reaches the frame: see the README, "Embedding a form")."""
    codes = [c for c in request.session.get(EMBED_SESSION_KEY, []) if c != code]
    request.session[EMBED_SESSION_KEY] = [*codes[-9:], code]


def is_embedded(request: HttpRequest, code: int | None = None) -> bool:
    """Whether this page of the journey is shown in a frame: not when the browser says it loads
    a whole tab (`Sec-Fetch-Dest: document`, Fetch Metadata), so a mark left in the session
    never strips the site's header from a tab; otherwise `?embed=1` on its address, or the
    service (any, when `code` is None) marked by `mark_embedded`."""
    if request.headers.get("Sec-Fetch-Dest") == "document":
        return False
    if request.GET.get(EMBED_PARAM) == "1":
        return True
    codes = request.session.get(EMBED_SESSION_KEY, []) if hasattr(request, "session") else []
    return bool(codes) if code is None else code in codes


def base_template(request: HttpRequest, code: int | None = None) -> str:
    """The template a journey page extends: the minimal one in a frame, the site's otherwise
    (`{% extends base_template %}`)."""
    return EMBED_TEMPLATE if is_embedded(request, code) else PAGE_TEMPLATE
