"""HTTP endpoints of the demo OpenID Connect provider (`idp.py`); 404 outside demo mode."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote, urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from durvis.core.identifiers import mask_personal_code
from durvis.demo import idp
from durvis.identity.models import Person

View = Callable[..., HttpResponse]

# The authorization request's parameters, carried from the picker's GET to its POST.
_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
           "code_challenge", "code_challenge_method", "ui_locales")


def demo_only(view: View) -> View:
    """The provider exists in demo mode only (which production settings refuse)."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEMO_MODE:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapper


@demo_only
@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    return JsonResponse(idp.discovery_document(request))


@demo_only
@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    return JsonResponse(idp.jwks())


def _redirect_back(params: dict[str, str], **answer: str) -> HttpResponse:
    """Back to the client's redirect address with a code or an error, and the state."""
    if params.get("state"):
        answer["state"] = params["state"]
    return HttpResponseRedirect(f"{params['redirect_uri']}?{urlencode(answer)}")


def _request_problem(params: dict[str, str]) -> str:
    """The OAuth error of an authorization request from the registered client, or ""."""
    if params.get("response_type") != "code":
        return "unsupported_response_type"
    if "openid" not in params.get("scope", "").split():
        return "invalid_scope"
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        return "invalid_request"
    return ""


@demo_only
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The picker: choose a demo person and the role to sign in for (GET), then go back to the
    client with a code (POST). An unknown client or address is told here, never redirected."""
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in _PARAMS}
    language = next((code for code in params["ui_locales"].split()
                     if code in dict(settings.LANGUAGES)), translation.get_language())
    with translation.override(language):
        if not idp.client_matches(request, params["client_id"], params["redirect_uri"]):
            return render(request, "demo/idp_error.html", status=400)
        problem = _request_problem(params)
        if problem:
            return _redirect_back(params, error=problem)
        if request.method == "POST":
            if request.POST.get("action") == "cancel":
                return _redirect_back(params, error="access_denied")
            claims = idp.claims_for_choice(request.POST.get("choice", ""))
            if claims is not None:
                code = idp.issue_code(
                    client_id=params["client_id"], redirect_uri=params["redirect_uri"],
                    code_challenge=params["code_challenge"], nonce=params["nonce"], claims=claims)
                return _redirect_back(params, code=code)
        return _picker(request, params, error=request.method == "POST")


def _picker(request: HttpRequest, params: dict[str, str], *, error: bool) -> HttpResponse:
    persons = Person.objects.order_by("family_name", "given_name", "pk")
    return render(request, "demo/idp_authorize.html", {
        "params": params,
        "persons": [(person, mask_personal_code(person.personal_code), idp.choices_for(person))
                    for person in persons],
        "error": error,
    }, status=400 if error else 200)


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="durvis-demo-idp"'
    return response


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    """client_secret_basic (Authorization header) or client_secret_post (form fields)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _sep, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


@csrf_exempt  # a server-to-server call authenticated by the client's secret
@demo_only
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    client_id, secret = _client_credentials(request)
    if not idp.client_authenticates(client_id, secret):
        return _oauth_error("invalid_client", "Client authentication failed.", status=401)
    if request.POST.get("grant_type") != "authorization_code":
        return _oauth_error("unsupported_grant_type", "Only authorization_code is supported.")
    try:
        tokens = idp.redeem_code(request, code=request.POST.get("code", ""), client_id=client_id,
                                 redirect_uri=request.POST.get("redirect_uri", ""),
                                 verifier=request.POST.get("code_verifier", ""))
    except idp.GrantRefused as refused:
        return _oauth_error(refused.error, refused.description)
    response = JsonResponse(tokens)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@demo_only
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    claims = idp.userinfo(request, header[7:]) if header.startswith("Bearer ") else None
    if claims is None:
        response = JsonResponse({"error": "invalid_token"}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return JsonResponse(claims)
