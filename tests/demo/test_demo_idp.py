"""The demo OpenID Connect provider (A12) as a relying party sees it, over real HTTP: discovery,
JWKS, the picker, the token endpoint's checks (client, PKCE, single-use and short-lived codes)
and userinfo."""

from __future__ import annotations

import datetime
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

from durvis.demo import idp
from durvis.demo.models import AuthorizationCode
from durvis.identity import oidc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server, settings):
    settings.DEMO_MODE = True
    settings.DURVIS_PUBLIC_URL = live_server.url
    settings.DURVIS_OIDC_CLIENT_SECRET = ""
    return live_server.url


@pytest.fixture
def moved(signatory):
    return signatory


def browser() -> Client:
    """A browser at the live server's address: the provider and the relying party both answer
    at the address the browser used."""
    return Client(HTTP_HOST=urlsplit(settings.DURVIS_PUBLIC_URL).netloc)


def callback_url() -> str:
    return f"{settings.DURVIS_PUBLIC_URL}/signin/oidc/callback"


def authorization(verifier: str, **overrides: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "durvis", "redirect_uri": callback_url(),
            "scope": "openid profile", "state": "s-1", "nonce": "n-1",
            "code_challenge": idp.pkce_challenge(verifier), "code_challenge_method": "S256",
            **overrides}


def get_code(choice: str, verifier: str) -> str:
    answer = browser().post("/demo/idp/authorize", {**authorization(verifier), "choice": choice})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def redeem(base: str, code: str, verifier: str, secret: str | None = None, **extra: str):
    return requests.post(f"{base}/demo/idp/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": callback_url(), **extra,
    }, auth=("durvis", oidc.client_secret() if secret is None else secret), timeout=10)


def test_discovery_and_keys(provider):
    document = requests.get(f"{provider}/demo/idp/.well-known/openid-configuration",
                            timeout=10).json()
    assert document["issuer"] == f"{provider}/demo/idp"
    assert document["code_challenge_methods_supported"] == ["S256"]
    keys = requests.get(document["jwks_uri"], timeout=10).json()["keys"]
    assert [k["alg"] for k in keys] == ["RS256"] and "d" not in keys[0]


def test_the_provider_answers_at_the_address_it_is_reached_at(provider, live_server, settings):
    """Its issuer and endpoints are at the host and port it was asked at, not at
    DURVIS_PUBLIC_URL (issue 10: `PORT=8201 make run`)."""
    settings.DURVIS_PUBLIC_URL = "http://127.0.0.1:9"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    for base in (f"http://localhost:{live_server.thread.port}",
                 f"http://127.0.0.1:{live_server.thread.port}"):
        document = requests.get(f"{base}/demo/idp/.well-known/openid-configuration",
                                timeout=10).json()
        assert document["issuer"] == f"{base}/demo/idp"
        assert {document[k].split("/demo/")[0] for k in
                ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                 "jwks_uri")} == {base}


def test_the_key_is_generated_once_into_the_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = idp.signing_key()
    path = tmp_path / "demo-idp" / "signing-key.pem"
    assert path.exists() and path.stat().st_mode & 0o077 == 0
    idp._load_key.cache_clear()
    assert idp.signing_key().kid == first.kid


def test_picker_lists_persons_with_masked_codes_and_roles(provider, moved):
    person, company = moved
    page = browser().get("/demo/idp/authorize", {**authorization("v" * 43), "ui_locales": "en"})
    text = page.content.decode()
    assert page.status_code == 200 and 'lang="en"' in text
    assert "Kristaps Krūmiņš" in text and "328673-*****" in text
    assert "32867300417" not in text and "05079011186" not in text
    assert f'value="{person.pk}:self"' in text
    assert f'value="{person.pk}:earlier:0"' in text and "050790-*****" in text
    assert f'value="{person.pk}:company:{company.pk}"' in text and "SIA Zaļā Pļava" in text


def test_an_unknown_client_or_return_address_is_not_redirected_to(provider):
    for overrides in ({"client_id": "someone"}, {"redirect_uri": "https://evil.example/cb"}):
        page = browser().get("/demo/idp/authorize", authorization("v" * 43, **overrides))
        assert page.status_code == 400 and "Location" not in page


@pytest.mark.parametrize("overrides, error", [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": ""}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile"}, "invalid_scope"),
])
def test_requests_without_pkce_or_openid_are_refused(provider, overrides, error):
    answer = browser().get("/demo/idp/authorize", authorization("v" * 43, **overrides))
    assert answer.status_code == 302 and f"error={error}" in answer["Location"]


def test_a_choice_that_is_not_offered_is_refused(provider, moved):
    person, _company = moved
    page = browser().post("/demo/idp/authorize",
                         {**authorization("v" * 43), "choice": f"{person.pk}:company:999"})
    assert page.status_code == 400 and b'role="alert"' in page.content


def test_the_code_gives_signed_tokens_and_userinfo(provider, moved):
    person, company = moved
    verifier = secrets.token_urlsafe(40)
    tokens = redeem(provider, get_code(f"{person.pk}:company:{company.pk}", verifier), verifier)
    assert tokens.status_code == 200 and tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    keys = KeySet.import_key_set(requests.get(f"{provider}/demo/idp/jwks", timeout=10).json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == f"{provider}/demo/idp" and claims["aud"] == "durvis"
    assert claims["nonce"] == "n-1" and claims["exp"] > claims["iat"]
    assert claims["name_identifier"] == "PK:32867300417-UR:40203123456"
    assert claims["personal_codes"] == ["32867300417", "05079011186"]
    assert claims["serial_number"] == "PNOLV-328673-00417"
    info = requests.get(f"{provider}/demo/idp/userinfo", timeout=10,
                        headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]
    refused = requests.get(f"{provider}/demo/idp/userinfo", timeout=10,
                           headers={"Authorization": f"Bearer {body['id_token']}"})
    assert refused.status_code == 401


def test_a_code_is_single_use(provider, moved):
    person, _company = moved
    verifier = secrets.token_urlsafe(40)
    code = get_code(f"{person.pk}:self", verifier)
    assert redeem(provider, code, verifier).status_code == 200
    replay = redeem(provider, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_a_wrong_verifier_is_refused_and_uses_the_code_up(provider, moved):
    person, _company = moved
    verifier = secrets.token_urlsafe(40)
    code = get_code(f"{person.pk}:self", verifier)
    wrong = redeem(provider, code, secrets.token_urlsafe(40))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert redeem(provider, code, verifier).json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(provider, moved):
    person, _company = moved
    verifier = secrets.token_urlsafe(40)
    code = get_code(f"{person.pk}:self", verifier)
    AuthorizationCode.objects.update(expires_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert redeem(provider, code, verifier).json()["error"] == "invalid_grant"


def test_client_authentication_and_redirect_address_are_checked(provider, moved):
    person, _company = moved
    verifier = secrets.token_urlsafe(40)
    code = get_code(f"{person.pk}:self", verifier)
    wrong_secret = redeem(provider, code, verifier, secret="guess")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    other_address = redeem(provider, code, verifier, redirect_uri=f"{provider}/elsewhere")
    assert other_address.json()["error"] == "invalid_grant"


def test_only_codes_hashes_are_stored(provider, moved):
    person, _company = moved
    code = get_code(f"{person.pk}:self", "v" * 43)
    stored = AuthorizationCode.objects.get()
    assert stored.code_hash != code and re.fullmatch(r"[0-9a-f]{64}", stored.code_hash)


@pytest.mark.parametrize("value", ["dūrvis", "durvis²", "２", "\u202edurvis"])
def test_a_client_id_or_address_that_is_not_ascii_is_refused_never_a_500(provider, value):
    """hmac.compare_digest refuses str with other than ASCII characters (a TypeError): the
    comparisons take bytes."""
    for overrides in ({"client_id": value}, {"redirect_uri": callback_url() + value}):
        page = browser().get("/demo/idp/authorize", authorization("v" * 43, **overrides))
        assert page.status_code == 400 and "Location" not in page
    answer = requests.post(f"{provider}/demo/idp/token", data={
        "grant_type": "authorization_code", "code": "x", "code_verifier": "v" * 43,
        "client_id": value, "client_secret": value, "redirect_uri": callback_url()}, timeout=10)
    assert answer.status_code == 401


@pytest.mark.parametrize("choice", ["²:self", "２:self", "{pk}:earlier:²", "{pk}:company:２",
                                    "٣:self", ""])
def test_a_choice_with_other_digits_is_refused_never_a_500(provider, moved, choice):
    person, _company = moved
    page = browser().post("/demo/idp/authorize", {
        **authorization("v" * 43), "choice": choice.format(pk=person.pk)})
    assert page.status_code == 400 and b'role="alert"' in page.content


def test_a_non_ascii_code_challenge_cannot_break_the_token_endpoint(provider, moved):
    person, _company = moved
    answer = browser().post("/demo/idp/authorize", {
        **authorization("v" * 43, code_challenge="ā" * 43), "choice": f"{person.pk}:self"})
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    refused = redeem(provider, code, "v" * 43)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
