"""The client's sign-in pages (A12): choose how to sign in, start it, take the provider's answer
(OpenID Connect callback, SAML ACS and metadata), sign out.

Whatever the protocol, the answer becomes `SignInClaims`, `national.resolve` finds the person and
`sessions.start` signs them in. Any failure is audited and shown as a page that says what
happened; nothing is signed in then.

Each sign-in returns to the page it was started for, kept with the protocol's own state (the
OpenID Connect `state`, the SAML request id): a browser may have several under way, in tabs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from durvis.audit.services import record
from durvis.core.registry import Registry
from durvis.identity import oidc, saml, sessions
from durvis.identity.national import SignInClaims, UnknownPerson, resolve
from durvis.identity.sessions import actor_from_request, return_address
from durvis.identity.signin_errors import SignInFailed, cause_of
from durvis.identity.signin_flow import SignInFlow

logger = logging.getLogger("durvis.identity.signin")
# Failures that are the platform's or the provider's, not the person's: an operator looks.
_OPERATOR_REASONS = {"not_configured", "provider_unreachable", "provider_error", "code_rejected",
                     "token_invalid"}


def _protocol() -> str:
    return str(settings.DURVIS_SIGNIN_PROTOCOL)


@require_safe
def choose(request: HttpRequest) -> HttpResponse:
    """How to sign in: the national sign-in (and, in demo mode, the demo provider behind it)."""
    return render(request, "identity/signin.html", {
        "next": return_address(request.GET.get("next", "")),
        "demo_provider": settings.DEMO_MODE and not settings.DURVIS_OIDC_DISCOVERY_URL
        and _protocol() == "oidc",
    })


def _oidc_problems() -> list[str]:
    """Production names the real provider (the demo provider answers in demo mode only)."""
    if _protocol() != "oidc" or not settings.PRODUCTION:
        return []
    if settings.DURVIS_OIDC_DISCOVERY_URL and settings.DURVIS_OIDC_CLIENT_SECRET:
        return []
    return ["Production needs DURVIS_OIDC_DISCOVERY_URL and DURVIS_OIDC_CLIENT_SECRET (the demo "
            "identity provider is for demo mode only)."]


def _saml_problems() -> list[str]:
    if _protocol() != "saml" or not settings.PRODUCTION or settings.DURVIS_SAML_IDP_METADATA:
        return []
    return ["Production needs DURVIS_SAML_IDP_METADATA."]


@dataclass(frozen=True)
class SignInMethod:
    """A protocol of the national sign-in (A12): how to send the browser to the provider
    (`begin(request, flow)`, keeping the flow with the protocol's own state) and a check of its
    configuration."""

    key: str
    begin: Callable[[HttpRequest, SignInFlow], HttpResponse]
    check: Callable[[], list[str]]


SIGN_IN_METHODS: Registry[SignInMethod] = Registry("sign-in methods")
SIGN_IN_METHODS.register(SignInMethod("oidc", oidc.begin, _oidc_problems))
SIGN_IN_METHODS.register(SignInMethod("saml", saml.begin, _saml_problems))


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Go to the identity provider of the configured sign-in method (`DURVIS_SIGNIN_PROTOCOL`),
    remembering where to return and in which language."""
    flow = SignInFlow(return_address(request.GET.get("next", "")), translation.get_language())
    try:
        method = SIGN_IN_METHODS.get(_protocol())
        return method.begin(request, flow)
    except SignInFailed as failure:
        return _failed(request, failure, _protocol())


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The OpenID Connect provider's answer (authorization code or error), for the sign-in its
    state names."""
    flow = oidc.take_flow(request)
    with translation.override(_language(flow or oidc.newest_flow(request))):
        try:
            claims = oidc.finish(request)
            # The other sign-ins under way (other tabs) are kept: only this one is used up.
            return _sign_in(request, claims, flow.next if flow else "",
                            keep=oidc.pending_keys(request))
        except SignInFailed as failure:
            return _failed(request, failure, "oidc")
        except ValidationError as error:
            return _failed(request, SignInFailed("identifier", detail=str(error.code)), "oidc")


@csrf_exempt  # the identity provider posts here; the signed assertion is the proof
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    """The SAML identity provider's Response (HTTP-POST binding), for the request its
    RelayState names."""
    flow = saml.flow_of(request)
    with translation.override(_language(flow or saml.newest_flow(request))):
        try:
            response = _sign_in(request, saml.finish(request), flow.next if flow else "")
        except SignInFailed as failure:
            response = _failed(request, failure, "saml")
        except ValidationError as error:
            response = _failed(request, SignInFailed("identifier", detail=str(error.code)), "saml")
    saml.forget(request, response)
    return response


def _language(flow: SignInFlow | None) -> str:
    """The language a sign-in started in; for an answer that names none of this browser's, the
    language of the one it started last (or the request's)."""
    return flow.language if flow else translation.get_language()


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """The service provider's metadata (for the identity provider's registration)."""
    try:
        xml = saml.metadata_xml()
    except SignInFailed as failure:
        return _failed(request, failure, "saml")
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


def _sign_in(request: HttpRequest, claims: SignInClaims, next_url: str, *,
             keep: list[str] | None = None) -> HttpResponse:
    """Resolve the claims to a person and start their session (keeping the session keys `keep`
    of other sign-ins under way); then go where they wanted."""
    try:
        identity = resolve(claims)
    except UnknownPerson:
        raise SignInFailed("unknown_person") from None
    sessions.start(request, identity, keep=keep or ())
    return redirect(next_url or reverse("eaccount:overview"))


def _failed(request: HttpRequest, failure: SignInFailed, protocol: str) -> HttpResponse:
    """Audit the failed sign-in (the reason, never a code), log why (the cause, never a token,
    a secret or a personal code) and say what happened."""
    record(actor_from_request(request), "identity.client.sign_in_failed", None,
           details={"protocol": protocol, "reason": failure.reason, "detail": failure.detail})
    cause = cause_of(failure)
    logger.log(logging.WARNING if failure.reason in _OPERATOR_REASONS else logging.INFO,
               "client sign-in failed (%s, %s)%s", protocol, failure.reason,
               f": {cause}" if cause else "",
               extra={"protocol": protocol, "reason": failure.reason, "cause": cause})
    status = 503 if failure.reason in ("not_configured", "provider_unreachable") else 400
    return render(request, "identity/signin_error.html",
                  {"message": failure.message, "reason": failure.reason}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sessions.end(request)
    return redirect("catalog:home")
