"""Client sign-in by OpenID Connect (A12) against the demo identity provider, over real HTTP.

The browser's steps go through Django's test client; the relying party's back-channel calls
(discovery, token, JWKS) go over HTTP to the live server, where the demo provider answers.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from conftest import production_signing_key_file
from django.conf import settings
from django.test import Client
from django.urls import reverse

from durvis.audit.models import AuditEvent
from durvis.identity import services as identity
from durvis.identity.sessions import INITIAL_ROLE_KEY, PERSON_KEY

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
# This run's var directory (DURVIS_VAR_DIR; CI gives each concurrent run its own).
VAR_DIR = str(settings.VAR_DIR)
PRODUCTION_KEY = "k3y-" + "0123456789abcdef" * 4  # long and varied enough for production


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


def new_browser(live_url: str) -> Client:
    """A browser at the live server's address (its Host header): the relying party finds the
    demo provider at the address the browser used."""
    client = Client(HTTP_HOST=urlsplit(live_url).netloc)
    client.live_url = live_url
    return client


@pytest.fixture
def browser(oidc):
    return new_browser(oidc.url)


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


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "http://testserver/eaccount/",
                                    "/\n/evil.example/", "javascript:alert(1)"])
def test_a_foreign_next_address_is_ignored(browser, people, target):
    authorize = to_provider(browser, f"/signin/start/?next={quote(target)}")
    response = browser.get(pick(browser, authorize, f"{people['other'].pk}:self"))
    assert response["Location"] == reverse("eaccount:overview")


@pytest.mark.parametrize("first", ["history", "messages"])
def test_two_sign_ins_in_one_browser_each_return_to_their_own_page(browser, people, first):
    """Two tabs start a sign-in each, for different pages and languages; whichever comes back
    first, each lands on the page (and in the language) its own tab asked for: the return
    address is kept under the sign-in's state, not once per browser."""
    started = {
        "history": (to_provider(browser, "/signin/start/?next=/eaccount/history/"),
                    "/eaccount/history/", people["other"]),
        "messages": (to_provider(browser, "/en/signin/start/?next=/en/eaccount/messages/"),
                     "/en/eaccount/messages/", people["moved"]),
    }
    order = [first, *(name for name in started if name != first)]
    for name in order:
        authorize, page, person = started[name]
        response = browser.get(pick(browser, authorize, f"{person.pk}:self"))
        assert response.status_code == 302 and response["Location"] == page, name
        assert signed_in(browser) == person.pk


def test_an_unknown_state_does_not_borrow_another_sign_ins_page(browser, people):
    to_provider(browser, "/en/signin/start/?next=/en/eaccount/messages/")
    response = browser.get("/signin/oidc/callback", {"code": "x", "state": "not-this-one"})
    assert response.status_code == 400 and b'data-reason="state"' in response.content
    assert b'lang="en"' in response.content  # the language of the sign-in it started last


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
    stranger = new_browser(oidc.url)
    response = stranger.get(callback)
    assert response.status_code == 400 and stranger.session.get(PERSON_KEY) is None


def test_a_wrong_pkce_verifier_is_refused(browser, people, caplog):
    authorize = to_provider(browser)
    session = browser.session
    key = next(k for k in list(session.keys()) if k.startswith("_state_national_"))
    state = session[key]
    state["data"]["code_verifier"] = "a-verifier-that-does-not-match-the-challenge-0123456789"
    session[key] = state
    session.save()
    callback = pick(browser, authorize, f"{people['other'].pk}:self")
    with caplog.at_level(logging.INFO, logger="durvis.identity.signin"):
        response = browser.get(callback)
    assert response.status_code == 400
    assert b'data-reason="code_rejected"' in response.content
    assert signed_in(browser) is None
    # The log says why (the provider's error), never the code, the state or the verifier.
    logged = failure_log(caplog)
    assert logged.levelno == logging.WARNING and logged.reason == "code_rejected"
    assert "invalid_grant" in logged.cause and "PKCE" in logged.cause
    text = caplog.text
    for secret in (*parse_qs(urlsplit(callback).query).values(), [state["data"]["code_verifier"]]):
        assert secret[0] not in text


def test_a_replayed_code_is_refused(browser, people):
    """The first sign-in uses the code; a second sign-in attempt that slips the same code in
    under its own (valid) state is refused by the provider."""
    callback = pick(browser, to_provider(browser), f"{people['other'].pk}:self")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert browser.get(callback).status_code == 302

    again = new_browser(browser.live_url)
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


def failure_log(caplog):
    records = [r for r in caplog.records if r.name == "durvis.identity.signin"]
    assert records, "the failed sign-in was not logged"
    return records[-1]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_provider_is_found_at_the_address_the_browser_used(browser, people, settings):
    """Issue 10: `PORT=8201 make run` left DURVIS_PUBLIC_URL at port 8000, where nothing
    answered, and the sign-in was 'unreachable'. With the demo provider, the sign-in follows the
    browser's address (host and port), whatever DURVIS_PUBLIC_URL says."""
    settings.DURVIS_PUBLIC_URL = f"http://127.0.0.1:{closed_port()}"
    response = browser.get("/signin/start/?next=/eaccount/history/")
    assert response["Location"].startswith(f"{browser.live_url}/demo/idp/authorize?")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == [f"{browser.live_url}/signin/oidc/callback"]
    callback = pick(browser, local(response["Location"]), f"{people['other'].pk}:self")
    answer = browser.get(callback)
    assert answer.status_code == 302 and answer["Location"] == "/eaccount/history/"
    assert signed_in(browser) == people["other"].pk


def test_the_demo_provider_at_another_host_name_of_the_same_server(oidc, people, settings):
    """`localhost` and `127.0.0.1` are two sites to a browser (two session cookies): each is
    served at its own."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    for host in ("localhost", "127.0.0.1"):
        browser = new_browser(f"http://{host}:{oidc.thread.port}")
        authorize = to_provider(browser)
        assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [
            f"http://{host}:{oidc.thread.port}/signin/oidc/callback"]
        response = browser.get(pick(browser, authorize, f"{people['other'].pk}:self"))
        assert response.status_code == 302 and signed_in(browser) == people["other"].pk


def test_an_unreachable_provider_is_logged_with_its_cause(client, settings, db, caplog):
    """The page says the sign-in service cannot be reached; the log says why."""
    settings.DEMO_MODE = True
    port = closed_port()
    settings.DURVIS_OIDC_DISCOVERY_URL = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    settings.DURVIS_OIDC_CLIENT_SECRET = "a-client-secret-that-must-not-be-logged"
    with caplog.at_level(logging.INFO, logger="durvis.identity.signin"):
        response = client.get("/signin/start/")
    assert response.status_code == 503
    assert b'data-reason="provider_unreachable"' in response.content
    logged = failure_log(caplog)
    assert logged.levelno == logging.WARNING and logged.reason == "provider_unreachable"
    assert "ConnectionError" in logged.cause and f"port={port}" in logged.cause
    assert logged.cause in logged.getMessage()
    assert "a-client-secret-that-must-not-be-logged" not in caplog.text


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
    result = settings_import(DURVIS_ENV="production", SECRET_KEY=PRODUCTION_KEY, DEBUG="false",
                             DURVIS_VAR_DIR=VAR_DIR, **extra)
    assert result.returncode != 0 and message in result.stderr


def test_production_settings_accept_a_configured_provider():
    result = settings_import(
        DURVIS_ENV="production", SECRET_KEY=PRODUCTION_KEY, DEBUG="false", DURVIS_DEMO="false",
        DURVIS_VAR_DIR=VAR_DIR,
        DURVIS_OIDC_DISCOVERY_URL="https://idp.example.lv/.well-known/openid-configuration",
        DURVIS_OIDC_CLIENT_SECRET="s" * 32, DURVIS_AUDIT_KEYS=f"prod:{'a' * 44}",
        DURVIS_SECRET_KEYS=f"prod:{base64.b64encode(b'k' * 32).decode()}",
        DURVIS_PAYMENT_GATEWAY_URL="https://pay.example.lv/api",
        DURVIS_SIGNING_KEY_FILES=production_signing_key_file())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("extra, expected", [
    ({"PORT": "8201"}, "http://127.0.0.1:8201"),
    ({}, "http://127.0.0.1:8000"),
    ({"PORT": "8201", "DURVIS_PUBLIC_URL": "https://durvis.example.lv"}, "https://durvis.example.lv"),
])
def test_the_public_address_follows_the_port_unless_set(extra, expected):
    """`PORT=8201 make run`: notifications point to the port the platform serves."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DURVIS_", "DATABASE_URL", "SECRET_KEY", "DEBUG", "PORT"))}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.DURVIS_PUBLIC_URL)"], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "PYTHONPATH": str(ROOT / "src"), "DJANGO_SETTINGS_MODULE": "durvis.settings",
             "DURVIS_VAR_DIR": VAR_DIR, **extra}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
