"""The OpenID Connect relying party of the client sign-in (A12).

Authorization code flow with PKCE (S256), through Authlib's Django client: it reads the
provider's discovery document, keeps state, nonce and the PKCE verifier in the session, calls the
token endpoint with the client's secret, and verifies the ID token's signature against the
provider's JWKS and its `iss`, `aud`, `exp`, `iat` and `nonce`. Authlib is the maintained
OAuth/OIDC library for Python (client and server); writing this by hand is where sign-in bugs
come from.

Configuration (settings): `DURVIS_OIDC_DISCOVERY_URL`, `DURVIS_OIDC_CLIENT_ID`,
`DURVIS_OIDC_CLIENT_SECRET`, `DURVIS_OIDC_SCOPE`. In demo mode, without a discovery URL, the
provider is the demo identity provider on this server (`durvis.demo.idp`), reached at the
address the browser used (the request's host and port: `PORT=8201 make run`, or `localhost`
instead of `127.0.0.1`, need no configuration); outside demo mode there is no such fallback,
and the callback is at `DURVIS_PUBLIC_URL`, as registered with the provider.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from joserfc.errors import JoseError

from durvis.identity.national import SignInClaims, claims_from_oidc
from durvis.identity.signin_errors import SignInFailed
from durvis.identity.signin_flow import MAX_PENDING, SignInFlow, newest, pending

DEMO_IDP_PATH = "/demo/idp"
_TIMEOUT_SECONDS = 10
# The sign-ins under way in this session: state -> SignInFlow (where each returns).
FLOWS_KEY = "durvis.signin.oidc"
# Authlib keeps each authorization's state data in the session under this prefix, for an hour.
_STATE_PREFIX = "_state_national_"
_STATE_SECONDS = 3600


def public_url() -> str:
    """The platform's own address, as providers and browsers reach it."""
    return str(settings.DURVIS_PUBLIC_URL).rstrip("/")


def uses_demo_provider() -> bool:
    """Demo mode without a configured provider: the demo provider on this server."""
    return bool(settings.DEMO_MODE and not settings.DURVIS_OIDC_DISCOVERY_URL)


def site_url(request: HttpRequest) -> str:
    """This sign-in's address of the platform: with the demo provider, the one the browser used
    (scheme, host and port of the request, the host checked against ALLOWED_HOSTS), so the
    provider, the callback and the session cookie all live at one address whatever the port;
    otherwise `DURVIS_PUBLIC_URL`."""
    if uses_demo_provider():
        return f"{request.scheme}://{request.get_host()}"
    return public_url()


def discovery_url(request: HttpRequest) -> str:
    """The provider's discovery document; in demo mode the demo provider's by default."""
    if settings.DURVIS_OIDC_DISCOVERY_URL:
        return str(settings.DURVIS_OIDC_DISCOVERY_URL)
    if settings.DEMO_MODE:
        return f"{site_url(request)}{DEMO_IDP_PATH}/.well-known/openid-configuration"
    raise SignInFailed("not_configured")


def client_secret() -> str:
    """The configured secret; in demo mode without one, a secret derived from SECRET_KEY that
    the demo provider derives the same way."""
    if settings.DURVIS_OIDC_CLIENT_SECRET:
        return str(settings.DURVIS_OIDC_CLIENT_SECRET)
    if settings.DEMO_MODE:
        return hmac.new(settings.SECRET_KEY.encode(), b"durvis-demo-oidc-client",
                        hashlib.sha256).hexdigest()
    raise SignInFailed("not_configured")


def callback_url(request: HttpRequest) -> str:
    """Where the provider sends the browser back: a fixed address outside the language prefix,
    so that it matches the one registered with the provider."""
    return f"{site_url(request)}{reverse('client-signin-oidc-callback')}"


def _client(request: HttpRequest) -> DjangoOAuth2App:
    return _cached_client(discovery_url(request), str(settings.DURVIS_OIDC_CLIENT_ID),
                          client_secret(), str(settings.DURVIS_OIDC_SCOPE))


@lru_cache(maxsize=4)
def _cached_client(discovery: str, client_id: str, secret: str, scope: str) -> DjangoOAuth2App:
    """One client per configuration: it keeps the discovery document and the JWKS it fetched
    (Authlib fetches the JWKS again when a token names a key it does not know)."""
    registry = OAuth()
    client = registry.register(
        "national", client_id=client_id, client_secret=secret, server_metadata_url=discovery,
        client_kwargs={"scope": scope, "code_challenge_method": "S256",
                       "default_timeout": _TIMEOUT_SECONDS},
    )
    assert isinstance(client, DjangoOAuth2App)
    return client


def begin(request: HttpRequest, flow: SignInFlow) -> HttpResponse:
    """Send the browser to the provider's authorization endpoint. State, nonce and the PKCE
    verifier stay in the session (Authlib), and so does `flow`, under the same state: each
    sign-in of the browser returns where it was asked to."""
    try:
        response = _client(request).authorize_redirect(request, callback_url(request),
                                                        ui_locales=flow.language)
    except (OAuthError, OSError, ValueError) as error:
        raise SignInFailed("provider_unreachable") from error
    state = parse_qs(urlsplit(response["Location"]).query).get("state", [""])[0]
    flows = pending(request.session.get(FLOWS_KEY), _STATE_SECONDS, MAX_PENDING - 1)
    flows[state] = flow.dump()
    request.session[FLOWS_KEY] = flows
    return response


def take_flow(request: HttpRequest) -> SignInFlow | None:
    """The flow of the sign-in that this answer belongs to (by its state), taken out of the
    session; None for a state this session did not start."""
    if FLOWS_KEY not in request.session:
        return None
    flows = pending(request.session[FLOWS_KEY], _STATE_SECONDS)
    flow = flows.pop(request.GET.get("state", ""), None)
    request.session[FLOWS_KEY] = flows
    return SignInFlow.load(flow)


def newest_flow(request: HttpRequest) -> SignInFlow | None:
    """The sign-in this session started last, if one is still under way."""
    return newest(pending(request.session.get(FLOWS_KEY), _STATE_SECONDS))


def pending_keys(request: HttpRequest) -> list[str]:
    """The session keys of the sign-ins still under way (Authlib's state data and their flows):
    a sign-in that finishes keeps them, so that another tab's sign-in can finish too."""
    return [key for key in request.session.keys()  # noqa: SIM118 - a session is no dict
            if key == FLOWS_KEY or key.startswith(_STATE_PREFIX)]


def finish(request: HttpRequest) -> SignInClaims:
    """Check the provider's answer and return what it asserted; SignInFailed otherwise."""
    if request.GET.get("error"):
        raise SignInFailed("cancelled" if request.GET["error"] == "access_denied"
                           else "provider_error")
    try:
        token: dict[str, Any] = _client(request).authorize_access_token(request)
    except OAuthError as error:
        reasons = {"mismatching_state": "state", "invalid_grant": "code_rejected"}
        raise SignInFailed(reasons.get(error.error or "", "provider_error")) from error
    except JoseError as error:
        raise SignInFailed("token_invalid") from error
    except (OSError, ValueError) as error:
        raise SignInFailed("provider_unreachable") from error
    userinfo = token.get("userinfo")
    if not userinfo:
        raise SignInFailed("token_invalid")
    return claims_from_oidc(dict(userinfo))
