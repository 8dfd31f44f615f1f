"""Applying at a holder's own e-service (A10, A12, issue 13): the single sign-on hand-off.

A holder-hosted service's page has "Apply at <holder>'s e-service", which comes here. An
anonymous visitor is sent to the national sign-in and back (`client_required`). The page says
where the person is going, in which role, and what the e-service will learn; "Continue" (a POST
carrying the role it was opened in) makes a hand-off token (`catalog.services.hand_off`: signed
ES256 by the platform, `aud` the e-service's client id, two minutes, a `jti` used once) and
answers a page whose form POSTs it to the e-service's address (`handoff_token`), sent at once
by `js/handoff.js` (a button without JavaScript): the OpenID Connect `form_post` way, so the
token is never in an address, a log or the browser's history. The e-service checks the token
with the platform's public keys (`jwks`, `/sso/jwks.json`) and registers the case through the
register's API (`POST /api/v1/cases`, channel `eaccount`) when the person applies there.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from durvis.access.policy import explanation_of
from durvis.catalog import queries as catalog_queries
from durvis.catalog import services as catalog
from durvis.catalog.models import ApplicationMode, Claim, Service
from durvis.core import signing_keys
from durvis.identity import sessions
from durvis.identity.sessions import actor_from_request
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required


def _service(request: HttpRequest, code: int, role: ClientRole) -> Service:
    """The holder-hosted service with this code that the role may see (A1), else 404."""
    actor = actor_from_request(request)
    service = catalog_queries.service_by_code(code, catalog_queries.context_for(actor, role.client))
    if service is None or service.application_mode != ApplicationMode.HOLDER:
        raise Http404
    return service


@client_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: int) -> HttpResponse:
    """GET: where the person goes and what the e-service learns; POST: the hand-off itself
    (audited), or the reason it cannot be made: the role may not act alone (403, the policy's
    explanation) or the holder registered no e-service for the address (503)."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    service = _service(request, code, role)
    eservice = catalog_queries.eservice_for(service)
    if eservice is None:
        return render(request, "eaccount/handoff_unavailable.html", {"service": service},
                      status=503)
    context = {"service": service, "eservice": eservice, "role": role,
               "sends_code": Claim.PERSONAL_CODE in eservice.claims,
               "sends_email": Claim.EMAIL in eservice.claims}
    if request.method != "POST":
        return render(request, "eaccount/handoff.html", context)
    try:
        handoff = catalog.hand_off(
            actor_from_request(request), service, client=role.client,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            signed_in_at=request.session.get(sessions.SIGNED_IN_AT_KEY),
            method=str(request.session.get(sessions.METHOD_KEY, "")))
    except PermissionDenied as refused:
        return render(request, "eaccount/handoff.html", {**context, "refusal": explanation_of(
            refused, _("You cannot apply in this role."))}, status=403)
    except LookupError:
        return render(request, "eaccount/handoff_unavailable.html", {"service": service},
                      status=503)
    response = render(request, "eaccount/handoff_post.html",
                      {**context, "handoff": handoff})
    patch_cache_control(response, no_store=True, private=True)
    return response


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    """The platform's public signing keys (RFC 7517 JWK Set) that e-services check hand-off
    tokens with; cacheable for five minutes (a rotated key is listed before it signs)."""
    response = JsonResponse(signing_keys.jwks())
    patch_cache_control(response, public=True, max_age=300)
    return response
