"""The SAML 2.0 service provider of the client sign-in (A12), with pysaml2.

pysaml2 directly, not djangosaml2: djangosaml2 signs the assertion's subject in as a Django user
(it creates or finds one through its authentication backend), while our clients are persons
without Django accounts (`durvis.identity.sessions`). Using pysaml2 in our own views keeps
one client-session mechanism for both protocols.

The flow: an AuthnRequest by the HTTP-Redirect binding; the identity provider posts the Response
to the ACS (HTTP-POST binding); pysaml2 verifies the signature of the assertion (required) and of
the response (when signed) with `xmlsec1` against the provider's metadata, the audience, the
validity window, the recipient and InResponseTo.

The outstanding requests live in a signed, short-lived cookie rather than in the session: the
provider's POST is a cross-site request, on which browsers do not send the (SameSite=Lax)
session cookie. The cookie is `SameSite=None; Secure` (production runs on HTTPS) and binds the
answer to the browser that asked. It holds each outstanding AuthnRequest's id with its flow
(where that sign-in returns, in which language); the id is also the RelayState, which the
provider sends back with the Response, so two sign-ins started in two tabs each find their own.
The ACS removes the answered request from the cookie, so a response is accepted once.

Configuration (settings): `DURVIS_SAML_IDP_METADATA` (a file path or an https URL),
`DURVIS_SAML_SP_KEY_FILE` and `DURVIS_SAML_SP_CERT_FILE` (optional: sign AuthnRequests).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import sid
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED
from saml2.sigver import get_xmlsec_binary

from durvis.identity.national import SignInClaims, claims_from_saml
from durvis.identity.oidc import public_url
from durvis.identity.signin_errors import SignInFailed
from durvis.identity.signin_flow import MAX_PENDING, SignInFlow, newest, pending

REQUEST_COOKIE = "durvis_saml_request"
_COOKIE_SALT = "durvis.identity.saml.requests"
_REQUEST_MAX_AGE_SECONDS = 600
# Browsers keep a cookie of up to 4096 bytes; older requests give way first.
_COOKIE_MAX_BYTES = 3800


def entity_id() -> str:
    """The service provider's entity id: the address of its metadata."""
    return f"{public_url()}{reverse('client-signin-saml-metadata')}"


def acs_url() -> str:
    return f"{public_url()}{reverse('client-signin-saml-acs')}"


def _config() -> SPConfig:
    source = str(settings.DURVIS_SAML_IDP_METADATA)
    if not source:
        raise SignInFailed("not_configured")
    metadata = ({"remote": [{"url": source}]} if source.startswith(("https://", "http://"))
                else {"local": [source]})
    sp: dict[str, Any] = {
        "name": "Durvis",
        "endpoints": {"assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)]},
        "allow_unsolicited": False,
        "want_assertions_signed": True,
        "want_response_signed": False,
        "authn_requests_signed": bool(settings.DURVIS_SAML_SP_KEY_FILE),
        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
    }
    conf: dict[str, Any] = {
        "entityid": entity_id(),
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
        "service": {"sp": sp},
        "metadata": metadata,
    }
    if settings.DURVIS_SAML_SP_KEY_FILE:
        conf["key_file"] = str(settings.DURVIS_SAML_SP_KEY_FILE)
        conf["cert_file"] = str(settings.DURVIS_SAML_SP_CERT_FILE)
    config = SPConfig()
    config.load(conf)
    return config


def metadata_xml() -> str:
    """The service provider's metadata, for registering it with the identity provider."""
    return str(entity_descriptor(_config()))


def begin(request: HttpRequest, flow: SignInFlow) -> HttpResponse:
    """Redirect to the identity provider with an AuthnRequest whose id is also the RelayState;
    remember the id and `flow` in the cookie, beside the requests still outstanding."""
    request_id = sid()
    try:
        client = Saml2Client(_config())
        providers = list(client.metadata.identity_providers())
        if len(providers) != 1:
            raise SignInFailed("not_configured")
        _id, info = client.prepare_for_authenticate(
            entityid=providers[0], binding=BINDING_HTTP_REDIRECT, relay_state=request_id,
            message_id=request_id)
    except SignInFailed:
        raise
    except Exception as error:  # pysaml2 reports bad metadata/config with assorted exceptions
        raise SignInFailed("provider_unreachable") from error
    response = HttpResponseRedirect(dict(info["headers"])["Location"])
    outstanding = _outstanding(request, MAX_PENDING - 1)
    outstanding[request_id] = flow.dump()
    _keep(response, outstanding)
    return response


def flow_of(request: HttpRequest) -> SignInFlow | None:
    """The flow of the request that the posted Response answers (by its RelayState), if this
    browser has it outstanding."""
    return SignInFlow.load(_outstanding(request).get(request.POST.get("RelayState", "")))


def newest_flow(request: HttpRequest) -> SignInFlow | None:
    """The request this browser sent last, if one is still outstanding."""
    return newest(_outstanding(request))


def finish(request: HttpRequest) -> SignInClaims:
    """Verify the posted Response against the outstanding request its RelayState names;
    SignInFailed otherwise. The caller then calls `forget` whatever the outcome."""
    request_id = request.POST.get("RelayState", "")
    if not request_id or request_id not in _outstanding(request):
        raise SignInFailed("state")
    posted = request.POST.get("SAMLResponse", "")
    if not posted:
        raise SignInFailed("provider_error")
    client = Saml2Client(_config())
    try:
        response = client.parse_authn_request_response(
            posted, BINDING_HTTP_POST, outstanding={request_id: acs_url()})
    # pysaml2 raises plain Exception for some failed checks (the audience among them), so every
    # exception here means: not verified.
    except Exception as error:
        raise SignInFailed("token_invalid", detail=type(error).__name__) from error
    if response is None or response.assertion is None:
        raise SignInFailed("token_invalid")
    name_id = response.name_id.text if response.name_id is not None else ""
    contexts = response.authn_info()
    return claims_from_saml(str(name_id or "").strip(), response.ava or {},
                            authn_context=contexts[0][0] if contexts else "")


def forget(request: HttpRequest, response: HttpResponse) -> None:
    """Take the answered request (the posted RelayState) out of the cookie: answered once."""
    outstanding = _outstanding(request)
    outstanding.pop(request.POST.get("RelayState", ""), None)
    _keep(response, outstanding)


def _outstanding(request: HttpRequest, limit: int = MAX_PENDING) -> dict[str, list[object]]:
    try:
        stored = signing.loads(request.COOKIES.get(REQUEST_COOKIE, ""), salt=_COOKIE_SALT,
                               max_age=_REQUEST_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return {}
    return pending(stored, _REQUEST_MAX_AGE_SECONDS, limit)


def _keep(response: HttpResponse, outstanding: dict[str, list[object]]) -> None:
    """Write the outstanding requests into the cookie (the oldest dropped while it is too big),
    or remove the cookie when none is left."""
    path = reverse("client-signin-saml-acs")
    requests = dict(outstanding)
    while requests:
        value = signing.dumps(requests, salt=_COOKIE_SALT, compress=True)
        if len(value) <= _COOKIE_MAX_BYTES:
            response.set_cookie(REQUEST_COOKIE, value, max_age=_REQUEST_MAX_AGE_SECONDS,
                                secure=True, httponly=True, samesite="None", path=path)
            return
        requests.pop(next(iter(requests)))
    response.delete_cookie(REQUEST_COOKIE, path=path, samesite="None")
