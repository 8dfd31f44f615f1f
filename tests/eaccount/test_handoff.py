"""The single sign-on hand-off to a holder's own e-service (A12, A10, issue 13): a signed-in
client is handed over with a token signed by the platform, which the e-service checks with the
published JWKS; the token is bound to the e-service, short-lived and used once."""

from __future__ import annotations

import html
import re
import time

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from durvis.audit.models import AuditEvent
from durvis.catalog import services as catalog
from durvis.catalog.models import Service
from durvis.core.actor import Actor

ESERVICE = "https://e.vsaa.example.lv/apply"
START = "/en/eaccount/services/1011/apply-at-holder/"


@pytest.fixture
def holder_hosted(catalogue, staff, institutions):
    """Childbirth benefit (1011, VSAA) applied for at VSAA's e-service, registered for SSO."""
    actor = Actor(kind="staff", staff=staff["vsaa_admin"])
    eservice = catalog.register_eservice(actor, institutions["VSAA"], name="VSAA portāls",
                                         return_urls=[ESERVICE], claims=[])
    catalog.update_service(actor, catalogue["childbirth"],
                           {"application_mode": "holder", "eservice_url": ESERVICE}, {})
    return eservice


def token_of(response) -> str:
    page = response.content.decode()
    assert f'action="{ESERVICE}"' in page
    found = re.search(r'name="handoff_token" value="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def verify(client, token, *, audience, issuer="http://127.0.0.1:8000"):
    """What an e-service does: the platform's JWKS, the signature, iss, aud, exp (joserfc)."""
    keys = KeySet.import_key_set(client.get("/sso/jwks.json").json())
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    JWTClaimsRegistry(iss={"essential": True, "value": issuer},
                      aud={"essential": True, "value": audience},
                      exp={"essential": True}, jti={"essential": True}).validate(decoded.claims)
    return decoded


def test_anonymous_is_sent_to_sign_in_and_back(client, holder_hosted):
    response = client.get(START)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/signin/?next=")
    assert "apply-at-holder" in response["Location"]


def test_the_page_says_where_and_what_is_sent(sign_in, family, holder_hosted):
    browser = sign_in(family["parent"])
    page = browser.get(START).content.decode()
    assert "You are going to “VSAA portāls”" in page
    assert "Your name" in page and "Your personal code" not in page
    assert ESERVICE not in page  # nothing goes anywhere before "Continue"


def test_the_token_is_signed_bound_and_short_lived(sign_in, family, holder_hosted, client):
    browser = sign_in(family["parent"])
    response = browser.post(START, {})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = token_of(response)
    claims = verify(client, token, audience=holder_hosted.client_id).claims
    assert claims["exp"] - claims["iat"] == 120
    assert claims["given_name"] == "Jānis" and claims["act_as"] == {"kind": "self"}
    assert claims["service"] == {"code": 1011, "name": "Childbirth benefit"}
    assert claims["acr"] == "urn:durvis:acr:national-signin" and claims["locale"] == "en"
    assert "personal_code" not in claims and family["parent"].personal_code not in token
    # bound to its e-service: another audience refuses it
    with pytest.raises(JoseError):
        verify(client, token, audience="es_someone_else")
    # a stable pairwise subject: the same next time, no personal code in it
    again = verify(client, token_of(browser.post(START, {})), audience=holder_hosted.client_id)
    assert again.claims["sub"] == claims["sub"] and again.claims["jti"] != claims["jti"]


def test_a_token_signed_by_another_key_is_refused(sign_in, family, holder_hosted, client):
    from joserfc.jwk import ECKey

    forged = jwt.encode({"alg": "ES256"}, {"aud": holder_hosted.client_id,
                                           "iss": "http://127.0.0.1:8000",
                                           "exp": int(time.time()) + 60, "jti": "x"},
                        ECKey.generate_key("P-256"))
    with pytest.raises(JoseError):
        verify(client, forged, audience=holder_hosted.client_id)


def test_an_expired_token_is_refused(sign_in, family, holder_hosted, client, settings):
    settings.DURVIS_HANDOFF_TOKEN_SECONDS = -1
    token = token_of(sign_in(family["parent"]).post(START, {}))
    with pytest.raises(JoseError):
        verify(client, token, audience=holder_hosted.client_id)


def test_personal_codes_only_when_the_eservice_is_entitled(sign_in, family, holder_hosted,
                                                           client, staff):
    catalog.update_eservice(Actor(kind="staff", staff=staff["vsaa_admin"]), holder_hosted,
                            name=holder_hosted.name, return_urls=holder_hosted.return_urls,
                            claims=["personal_code"], is_active=True)
    child = family["child"]
    browser = sign_in(family["parent"], role=f"person:{child.pk}")
    assert "Your personal code" in browser.get(START).content.decode()
    claims = verify(client, token_of(browser.post(START, {})), audience=holder_hosted.client_id).claims
    assert claims["personal_code"] == family["parent"].personal_code
    assert claims["act_as"]["kind"] == "child"
    assert claims["act_as"]["personal_code"] == child.personal_code


def test_a_company_role_names_the_company(sign_in, family, holder_hosted, client):
    company = family["company"]
    Service.objects.filter(code=1011).update(audience="all")
    browser = sign_in(family["parent"], role=f"company:{company.pk}")
    claims = verify(client, token_of(browser.post(START, {})), audience=holder_hosted.client_id).claims
    assert claims["act_as"]["kind"] == "company"
    assert claims["act_as"]["registration_number"] == company.registration_number


def test_a_joint_representative_is_refused_with_the_reason(sign_in, family, holder_hosted,
                                                           joint_representative):
    Service.objects.filter(code=1011).update(audience="all")
    browser = sign_in(joint_representative, role=f"company:{family['company'].pk}")
    response = browser.post(START, {})
    assert response.status_code == 403
    assert "handoff_token" not in response.content.decode()


def test_every_handoff_is_audited_without_the_personal_code(sign_in, family, holder_hosted):
    token = token_of(sign_in(family["parent"]).post(START, {}))
    jti = jwt.decode(token, KeySet.import_key_set(
        __import__("durvis.core.signing_keys", fromlist=["jwks"]).jwks()), algorithms=["ES256"]
    ).claims["jti"]
    event = AuditEvent.objects.get(action="catalog.eservice.handoff")
    assert event.details == {"service": 1011, "client_id": holder_hosted.client_id,
                             "role": "self", "jti": jti, "claims": []}
    assert family["parent"].personal_code not in str(event.details)


def test_another_institutions_eservice_is_never_used(sign_in, family, holder_hosted, staff,
                                                     institutions):
    """VID registers the same address; VSAA's own registration is turned off: no hand-off."""
    catalog.register_eservice(Actor(kind="staff", staff=staff["vid_admin"]), institutions["VID"],
                              name="VID", return_urls=[ESERVICE], claims=["personal_code"])
    catalog.update_eservice(Actor(kind="staff", staff=staff["vsaa_admin"]), holder_hosted,
                            name=holder_hosted.name, return_urls=holder_hosted.return_urls,
                            claims=[], is_active=False)
    response = sign_in(family["parent"]).post(START, {})
    assert response.status_code == 503
    assert "handoff_token" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="catalog.eservice.handoff").exists()


def test_a_platform_form_service_has_no_handoff(sign_in, family, catalogue):
    assert sign_in(family["parent"]).get(START).status_code == 404


def test_jwks_is_public_and_has_no_private_parts(client):
    keys = client.get("/sso/jwks.json").json()["keys"]
    assert keys and all(key["kty"] == "EC" and "d" not in key and key["kid"] for key in keys)


@pytest.mark.django_db(transaction=True)
def test_the_full_handoff_to_a_holder_eservice_on_loopback(live_server, catalogue, family, staff,
                                                          institutions, sign_in, settings):
    """The holder's e-service checks the token with the JWKS it fetches from the platform, with
    the library; a replay of the same token is refused by it (the `jti` is used once)."""
    from .holder_eservice import HolderEService, post_token

    issuer = "http://127.0.0.1:8000"
    with HolderEService(live_server.url, issuer) as eservice:
        actor = Actor(kind="staff", staff=staff["vsaa_admin"])
        registration = catalog.register_eservice(actor, institutions["VSAA"], name="VSAA",
                                                 return_urls=[eservice.url], claims=[])
        eservice.client_id = registration.client_id
        catalog.update_service(actor, catalogue["childbirth"],
                               {"application_mode": "holder", "eservice_url": eservice.url}, {})
        page = sign_in(family["parent"]).post(START, {}).content.decode()
        assert f'action="{eservice.url}"' in page
        token = html.unescape(re.search(r'name="handoff_token" value="([^"]+)"', page).group(1))
        status, body = post_token(eservice.url, token)
        assert status == 200 and "Welcome, Jānis Bērziņš" in body
        assert eservice.received[0]["aud"] == registration.client_id
        assert post_token(eservice.url, token)[0] == 401  # the same token again: refused
