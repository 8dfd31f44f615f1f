"""The client's sign-in pages (A12): choose how to sign in, start it, take the provider's answer
(OpenID Connect callback, SAML ACS and metadata), sign out.

Whatever the protocol, the answer becomes `SignInClaims`, `national.resolve` finds the person and
`sessions.start` signs them in. Any failure is audited and shown as a page that says what
happened; nothing is signed in then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from durvis.audit.services import record
from durvis.core.registry import Registry
from durvis.identity import oidc, saml, sessions
from durvis.identity.national import SignInClaims, UnknownPerson, resolve
from durvis.identity.sessions import actor_from_request
from durvis.identity.signin_errors import SignInFailed

NEXT_KEY = "durvis.signin.next"
LANGUAGE_KEY = "durvis.signin.language"
_NEXT_COOKIE = "durvis_signin_next"


def _protocol() -> str:
    return str(settings.DURVIS_SIGNIN_PROTOCOL)


def safe_next(url: str) -> str:
    """A local path to return to after sign-in, or "" for anything else (open redirects)."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return ""


@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    """How to sign in: the national sign-in (and, in demo mode, the demo provider behind it)."""
    return render(request, "identity/signin.html", {
        "next": safe_next(request.GET.get("next", "")),
        "demo_provider": settings.DEMO_MODE and not settings.DURVIS_OIDC_DISCOVERY_URL
        and _protocol() == "oidc",
    })


def _begin_oidc(request: HttpRequest, next_url: str, language: str) -> HttpResponse:
    request.session[NEXT_KEY] = next_url
    request.session[LANGUAGE_KEY] = language
    return oidc.begin(request, language)


def _begin_saml(request: HttpRequest, next_url: str, language: str) -> HttpResponse:
    response = saml.begin(request)
    # The ACS request is cross-site: the return address rides with the request cookie.
    response.set_cookie(_NEXT_COOKIE, f"{language}|{next_url}", max_age=600, secure=True,
                        httponly=True, samesite="None", path=reverse("client-signin-saml-acs"))
    return response


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
    (`begin(request, next_url, language)`) and a check of its configuration."""

    key: str
    begin: Callable[[HttpRequest, str, str], HttpResponse]
    check: Callable[[], list[str]]


SIGN_IN_METHODS: Registry[SignInMethod] = Registry("sign-in methods")
SIGN_IN_METHODS.register(SignInMethod("oidc", _begin_oidc, _oidc_problems))
SIGN_IN_METHODS.register(SignInMethod("saml", _begin_saml, _saml_problems))


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Go to the identity provider of the configured sign-in method (`DURVIS_SIGNIN_PROTOCOL`),
    remembering where to return and in which language."""
    next_url = safe_next(request.GET.get("next", ""))
    try:
        method = SIGN_IN_METHODS.get(_protocol())
        return method.begin(request, next_url, translation.get_language())
    except SignInFailed as failure:
        return _failed(request, failure, _protocol())


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The OpenID Connect provider's answer (authorization code or error)."""
    language = request.session.get(LANGUAGE_KEY) or translation.get_language()
    next_url = request.session.get(NEXT_KEY, "")
    with translation.override(language):
        try:
            return _sign_in(request, oidc.finish(request), next_url)
        except SignInFailed as failure:
            return _failed(request, failure, "oidc")
        except ValidationError as error:
            return _failed(request, SignInFailed("identifier", detail=str(error.code)), "oidc")


@csrf_exempt  # the identity provider posts here; the signed assertion is the proof
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    """The SAML identity provider's Response (HTTP-POST binding)."""
    language, _sep, next_url = request.COOKIES.get(_NEXT_COOKIE, "").partition("|")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            response = _sign_in(request, saml.finish(request), safe_next(next_url))
        except SignInFailed as failure:
            response = _failed(request, failure, "saml")
        except ValidationError as error:
            response = _failed(request, SignInFailed("identifier", detail=str(error.code)), "saml")
    acs = reverse("client-signin-saml-acs")
    response.delete_cookie(saml.REQUEST_COOKIE, path=acs, samesite="None")
    response.delete_cookie(_NEXT_COOKIE, path=acs, samesite="None")
    return response


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """The service provider's metadata (for the identity provider's registration)."""
    try:
        xml = saml.metadata_xml()
    except SignInFailed as failure:
        return _failed(request, failure, "saml")
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


def _sign_in(request: HttpRequest, claims: SignInClaims, next_url: str) -> HttpResponse:
    """Resolve the claims to a person and start their session; then go where they wanted."""
    try:
        identity = resolve(claims)
    except UnknownPerson:
        raise SignInFailed("unknown_person") from None
    sessions.start(request, identity)
    return redirect(next_url or reverse("eaccount:overview"))


def _failed(request: HttpRequest, failure: SignInFailed, protocol: str) -> HttpResponse:
    """Audit the failed sign-in (the reason, never a code) and say what happened."""
    record(actor_from_request(request), "identity.client.sign_in_failed", None,
           details={"protocol": protocol, "reason": failure.reason, "detail": failure.detail})
    status = 503 if failure.reason in ("not_configured", "provider_unreachable") else 400
    return render(request, "identity/signin_error.html",
                  {"message": failure.message, "reason": failure.reason}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sessions.end(request)
    return redirect("catalog:home")
