"""The embed entry of a service's e-form (A10: forms embedded in portals; issue 13).

A portal frames `/embed/services/<code>/apply/` (README, "Embedding a form"); only web sites the
holder's administrator registered may (`web.embedding.framed_by` with
`catalog.queries.frame_origins`), everybody else gets `frame-ancestors 'none'`. The page has no
site header or footer.

Signing in cannot happen in the frame: the national sign-in refuses to be framed, and a browser
sends the platform's cookies (SameSite=Lax) to a frame on another site's page never. So:

1. The frame offers "Sign in" in a new top-level tab (`target="_blank"`), which returns to
   `signed_in` there: it says to go back to the portal's page (and closes itself where the
   browser lets it).
2. Back on the portal, the frame reloads itself (`js/embed.js`, on focus) with `?signin=done`.
   Where the frame now carries the session (a portal on the platform's own site, e.g. a
   sub-domain of the same registrable domain), the journey continues in the frame
   (`?embed=1`, and the service is marked in the session: `web.embedding.mark_embedded`).
   Where it does not (a portal on another site), the frame says so and continues the journey
   in a new tab, where the person is signed in: nothing is lost, no cookie is weakened.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from durvis.catalog import queries as catalog_queries
from durvis.catalog.models import ApplicationMode, Service
from durvis.identity.sessions import actor_from_request
from durvis.web.embedding import EMBED_PARAM, framed_by, mark_embedded

# The journey's first page (the e-forms start page), reversed with the service code.
JOURNEY_URL_NAME = "eforms:start"


def _origins(request: HttpRequest, code: int) -> list[str]:
    service = Service.objects.filter(code=code).only("holder_id").first()
    return catalog_queries.frame_origins(service) if service is not None else []


def journey_url(code: int) -> str | None:
    """The journey's first page for the service, or None while the journey has no such page."""
    try:
        return reverse(JOURNEY_URL_NAME, args=[code])
    except NoReverseMatch:
        return None


@require_safe
@framed_by(_origins)
def apply(request: HttpRequest, code: int) -> HttpResponse:
    """The entry in the frame: the service, its fee and channels, and the way to apply for the
    person's state (signed in here or not; signed in elsewhere but not in this frame)."""
    actor = actor_from_request(request)
    service = catalog_queries.service_by_code(code, catalog_queries.context_of_request(request))
    if service is None:
        raise Http404
    journey = journey_url(code)
    signed_in = actor.person is not None
    if signed_in:
        mark_embedded(request, code)
    signin_url = "{}?{}".format(reverse("client-signin"), urlencode(
        {"next": reverse("embed:signed-in", args=[code])}))
    return render(request, "eaccount/embed_apply.html", {
        "service": service, "signed_in": signed_in,
        "online": service.application_mode == ApplicationMode.PLATFORM,
        "holder_hosted": service.application_mode == ApplicationMode.HOLDER,
        "journey_in_frame": f"{journey}?{EMBED_PARAM}=1" if journey else None,
        "journey_in_tab": journey or reverse("catalog:service", args=[code]),
        "signin_url": signin_url,
        "frame_lost": request.GET.get("signin") == "done" and not signed_in,
    })


@require_safe
def signed_in(request: HttpRequest, code: int) -> HttpResponse:
    """Where the sign-in opened from a frame returns, in its own tab: back to the portal."""
    service = catalog_queries.service_by_code(code, catalog_queries.context_of_request(request))
    if service is None:
        raise Http404
    return render(request, "eaccount/embed_signed_in.html", {
        "service": service, "journey_in_tab": journey_url(code)
        or reverse("catalog:service", args=[code])})
