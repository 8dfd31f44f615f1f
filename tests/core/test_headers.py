"""The web's defences in the headers (issue 11): a Content-Security-Policy on every HTML page,
`Cache-Control: no-store` wherever personal data may be, HSTS and the HTTPS redirect in
production, and `manage.py check --deploy` clean with production settings."""

import os
import subprocess
import sys

import pytest
from conftest import production_signing_key_file

from tests.identity.test_client_signin import PRODUCTION_KEY, ROOT, VAR_DIR

pytestmark = pytest.mark.django_db


def policy(response):
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_a_public_page_has_the_policy_and_may_be_cached(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Cookie" in response["Vary"]


def test_the_embeddable_search_may_be_framed_by_other_portals(client, catalogue):
    response = client.get("/embed/")
    assert policy(response)["frame-ancestors"] == "*"
    assert policy(response)["script-src"] == "'self'"


def test_the_e_account_is_never_stored(client, client_login, family):
    client_login(family["parent"])
    for path in ("/eaccount/", "/eaccount/history/", "/eaccount/messages/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "Content-Security-Policy" in response


def test_staff_pages_are_never_stored(client, staff, staff_login, catalogue):
    staff_login(client, staff["vsaa_admin"])
    for path in ("/staff/", "/administration/integrations/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"]


def test_api_answers_to_a_caller_with_credentials_are_never_stored(api_client_factory):
    system = api_client_factory("VSAA")
    response = system.get("/api/v1/cases")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DURVIS_", "DATABASE_URL", "SECRET_KEY", "DEBUG", "SECURE_"))}
    production = {
        "DURVIS_ENV": "production", "SECRET_KEY": PRODUCTION_KEY, "DEBUG": "false",
        "DURVIS_DEMO": "false", "DURVIS_VAR_DIR": VAR_DIR,
        "ALLOWED_HOSTS": "durvis.example.lv",
        "DURVIS_OIDC_DISCOVERY_URL": "https://idp.example.lv/.well-known/openid-configuration",
        "DURVIS_OIDC_CLIENT_SECRET": "s" * 32,
        "DURVIS_AUDIT_KEYS": "prod:cHJvZHVjdGlvbi1hdWRpdC1rZXktb2YtMzItYnl0ZXM=",
        "DURVIS_SECRET_KEYS": "prod:cHJvZHVjdGlvbi1zZWNyZXQta2V5LW9mLTMyLWJ5dGU=",
        "DURVIS_PAYMENT_GATEWAY_URL": "https://pay.example.lv/api",
        "DURVIS_SIGNING_KEY_FILES": production_signing_key_file()}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "PYTHONPATH": str(ROOT / "src"), **production, **env}, check=False)


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_answers_with_hsts_and_redirects_to_https():
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "http = Client(HTTP_HOST='durvis.example.lv')\n"
        "print(http.get('/healthz').status_code)\n"
        "r = http.get('/', secure=False); print(r.status_code, r['Location'])\n"
        "r = http.get('/healthz', secure=True); print(r['Strict-Transport-Security'])\n")
    result = manage("shell", "-c", script)
    lines = result.stdout.strip().splitlines()
    assert lines[-3:] == ["200", "301 https://durvis.example.lv/",
                          "max-age=31536000; includeSubDomains; preload"], result.stderr
