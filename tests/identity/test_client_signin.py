"""Client sign-in by OpenID Connect (A12) against the demo identity provider, over real HTTP.

The browser's steps go through Django's test client; the relying party's back-channel calls
(discovery, token, JWKS) go over HTTP to the live server, where the demo provider answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.identity import services as identity
from durvis.identity.sessions import INITIAL_ROLE_KEY, PERSON_KEY

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def oidc(demo_signin):
    """The relying party pointed at the demo provider on the live server."""
    return demo_signin


@pytest.fixture
def people(signatory):
    """A person who moved to a new-format code (the old one kept) and signs a company."""
    moved, company = signatory
    other = identity.record_person(personal_code="14038612043", given_name="Jānis",
                                   family_name="Bērziņš")
    return {"moved": moved, "other": other, "company": company}


def local(url: str) -> str:
    """The path and query of an absolute URL on the live server (the test client's view)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def to_provider(browser: Client, start: str = "/signin/start/") -> str:
    """Start the sign-in; the authorization request's path and query at the demo provider."""
    response = browser.get(start)
    assert response.status_code == 302
    assert "/demo/idp/authorize?" in response["Location"]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    return local(response["Location"])


def pick(browser: Client, authorize: str, choice: str) -> str:
    """Choose a person and role on the provider's page; the callback's path and query."""
    page = browser.get(authorize)
    assert page.status_code == 200
    assert f'value="{choice}"'.encode() in page.content
    fields = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = browser.post(urlsplit(authorize).path, {**fields, "choice": choice,
                                                     "action": "sign_in"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{browser.live_url}/signin/oidc/callback?")
    return local(answer["Location"])


@pytest.fixture
def browser(oidc):
    client = Client()
    client.live_url = oidc.url
    return client


def signed_in(browser: Client):
    return browser.session.get(PERSON_KEY)


def test_sign_in_finds_the_person_by_a_historical_code(browser, people):
    """A12: the provider names the person by their earlier (old-format) code only; the platform
    finds the same person and opens their e-account."""
    moved = people["moved"]
    callback = pick(browser, to_provider(browser), f"{moved.pk}:earlier:0")
    assert "05079011186" not in callback  # the code never travels in the browser
    response = browser.get(callback)
    assert response.status_code == 302
    assert response["Location"] == reverse("eaccount:overview")
    assert signed_in(browser) == moved.pk
    event = AuditEvent.objects.filter(action="identity.client.sign_in").latest("id")
    assert event.details["protocol"] == "oidc" and event.subject_person_id == moved.pk
    assert "05079011186" not in str(event.details)


def test_sign_in_returns_to_a_local_next_page_in_english(browser, people):
    authorize = to_provider(browser, "/en/signin/start/?next=/en/eaccount/history/")
    assert parse_qs(urlsplit(authorize).query)["ui_locales"] == ["en"]
    response = browser.get(pick(browser, authorize, f"{people['other'].pk}:self"))
    assert response["Location"] == "/en/eaccount/history/"


def test_a_foreign_next_address_is_ignored(browser, people):
    authorize = to_provider(browser, "/signin/start/?next=https://evil.example/")
    response = browser.get(pick(browser, authorize, f"{people['other'].pk}:self"))
    assert response["Location"] == reverse("eaccount:overview")


def test_company_signatory_starts_in_the_company_role(browser, people):
    """`PK:<code>-UR:<regcode>`: the e-account opens in the company's role."""
    moved, company = people["moved"], people["company"]
    browser.get(pick(browser, to_provider(browser), f"{moved.pk}:company:{company.pk}"))
    assert signed_in(browser) == moved.pk
    assert browser.session[INITIAL_ROLE_KEY] == f"company:{company.pk}"


def test_a_state_that_is_not_this_browsers_is_refused(browser, people):
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    query = parse_qs(urlsplit(callback).query)
    response = browser.get("/signin/oidc/callback", {"code": query["code"][0],
                                                     "state": "forged-state"})
    assert response.status_code == 400
    assert b'data-reason="state"' in response.content
    assert signed_in(browser) is None
    failure = AuditEvent.objects.filter(action="identity.client.sign_in_failed").latest("id")
    assert failure.details["reason"] == "state"


def test_a_callback_from_another_browser_is_refused(browser, people, oidc):
    """Login CSRF: a code obtained by one browser cannot sign another in."""
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    stranger = Client()
    response = stranger.get(callback)
    assert response.status_code == 400 and stranger.session.get(PERSON_KEY) is None


def test_a_wrong_pkce_verifier_is_refused(browser, people):
    authorize = to_provider(browser)
    session = browser.session
    key = next(k for k in list(session.keys()) if k.startswith("_state_national_"))
    state = session[key]
    state["data"]["code_verifier"] = "a-verifier-that-does-not-match-the-challenge-0123456789"
    session[key] = state
    session.save()
    response = browser.get(pick(browser, authorize, f"{people['other'].pk}:self"))
    assert response.status_code == 400
    assert b'data-reason="code_rejected"' in response.content
    assert signed_in(browser) is None


def test_a_replayed_code_is_refused(browser, people):
    """The first sign-in uses the code; a second sign-in attempt that slips the same code in
    under its own (valid) state is refused by the provider."""
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert browser.get(callback).status_code == 302

    again = Client()
    again.live_url = browser.live_url
    state = parse_qs(urlsplit(to_provider(again)).query)["state"][0]
    response = again.get("/signin/oidc/callback", {"code": code, "state": state})
    assert response.status_code == 400
    assert b'data-reason="code_rejected"' in response.content
    assert again.session.get(PERSON_KEY) is None


def test_the_same_callback_twice_signs_in_once(browser, people):
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    assert browser.get(callback).status_code == 302
    response = browser.get(callback)
    assert response.status_code == 400  # the state was used up


def test_cancelling_at_the_provider_says_so(browser, people):
    authorize = to_provider(browser)
    fields = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = browser.post(urlsplit(authorize).path, {**fields, "action": "cancel"})
    assert "error=access_denied" in answer["Location"]
    response = browser.get(local(answer["Location"]))
    assert response.status_code == 400
    assert b'data-reason="cancelled"' in response.content
    assert signed_in(browser) is None


def test_a_person_unknown_to_the_platform_is_told_so(browser, people):
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    people["other"].delete()  # gone from the population register before the answer arrives
    response = browser.get(callback)
    assert response.status_code == 400
    assert b'data-reason="unknown_person"' in response.content
    assert signed_in(browser) is None


def test_the_failure_page_is_in_the_language_the_sign_in_started_in(browser, people):
    to_provider(browser, "/en/signin/start/")
    response = browser.get("/signin/oidc/callback", {"code": "x", "state": "y"})
    assert response.status_code == 400
    assert b'lang="en"' in response.content and b"You are not signed in" in response.content


def test_chooser_page_offers_the_national_sign_in_and_explains_the_demo(client, settings):
    settings.DEMO_MODE = True
    settings.DURVIS_OIDC_DISCOVERY_URL = ""
    response = client.get("/en/signin/?next=/en/eaccount/")
    text = response.content.decode()
    assert "Sign in with latvija.lv" in text
    assert "demo identity provider" in text
    assert 'name="next" value="/en/eaccount/"' in text


def test_outside_demo_mode_there_is_no_demo_provider(client, settings, db):
    """Production refuses demo mode; with demo mode off the demo provider does not answer and
    the relying party never falls back to it."""
    settings.DEMO_MODE = False
    settings.DURVIS_OIDC_DISCOVERY_URL = ""
    settings.DURVIS_OIDC_CLIENT_SECRET = ""
    for path in ("/demo/idp/.well-known/openid-configuration", "/demo/idp/jwks",
                 "/demo/idp/authorize"):
        assert client.get(path).status_code == 404
    assert client.post("/demo/idp/token").status_code == 404
    response = client.get("/signin/start/")
    assert response.status_code == 503
    assert b'data-reason="not_configured"' in response.content
    assert "demo identity provider" not in client.get("/en/signin/").content.decode()


def settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    """Start the platform's WSGI application (what gunicorn does) with these settings."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DURVIS_", "DATABASE_URL", "SECRET_KEY", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "-c", "import durvis.wsgi"], cwd=ROOT, capture_output=True,
        text=True, env={**clean, "PYTHONPATH": str(ROOT / "src"), **env}, check=False)


@pytest.mark.parametrize("extra, message", [
    ({"DURVIS_DEMO": "true"}, "Demo features cannot be enabled in production"),
    ({"DURVIS_DEMO": "false"}, "Production needs DURVIS_OIDC_DISCOVERY_URL"),
])
def test_production_settings_refuse_the_demo_provider(extra, message):
    result = settings_import(DURVIS_ENV="production", SECRET_KEY="x" * 40, DEBUG="false",
                             DURVIS_VAR_DIR=str(ROOT / "var"), **extra)
    assert result.returncode != 0 and message in result.stderr


def test_production_settings_accept_a_configured_provider():
    result = settings_import(
        DURVIS_ENV="production", SECRET_KEY="x" * 40, DEBUG="false", DURVIS_DEMO="false",
        DURVIS_VAR_DIR=str(ROOT / "var"),
        DURVIS_OIDC_DISCOVERY_URL="https://idp.example.lv/.well-known/openid-configuration",
        DURVIS_OIDC_CLIENT_SECRET="s" * 32, DURVIS_AUDIT_KEYS=f"prod:{'a' * 44}")
    assert result.returncode == 0, result.stderr
