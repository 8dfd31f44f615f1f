"""Webhooks never lead into our own network (issue 11, "The web's defences"; B9): only https,
only public addresses after DNS resolution, checked when the address is saved and again on
every delivery; internal addresses only where DURVIS_WEBHOOK_ALLOW_INTERNAL says so (demo,
tests), never in production."""

import pytest
from django.core.exceptions import ValidationError

from durvis.integrations import services as integrations
from durvis.integrations.addresses import check_webhook_url
from durvis.integrations.models import OutboxMessage, OutboxStatus, WebhookEndpoint
from tests.identity.test_client_signin import PRODUCTION_KEY, VAR_DIR, settings_import
from tests.integrations.test_outbox import (  # noqa: F401
    open_case,
    receiver,
    run_worker_until_idle,
    setup,
)


@pytest.fixture
def production_rules(settings):
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = False


def refusal(url):
    with pytest.raises(ValidationError) as raised:
        check_webhook_url(url)
    return raised.value.error_dict["url"][0].code


@pytest.mark.parametrize("url, code", [
    ("ftp://files.example.lv/hook", "scheme"),
    ("http://example.lv/hook", "scheme"),
    ("https://127.0.0.1:8000/hook", "internal"),
    ("https://[::1]/hook", "internal"),
    ("https://localhost/hook", "internal"),
    ("https://169.254.169.254/latest/meta-data/", "internal"),
    ("https://10.1.2.3/hook", "internal"),
    ("https://192.168.0.10/hook", "internal"),
    ("https://100.64.0.1/hook", "internal"),
    ("https://[::ffff:127.0.0.1]/hook", "internal"),
    ("https://[fe80::1]/hook", "internal"),
    ("https://0.0.0.0/hook", "internal"),
    ("https://nothing-here.invalid/hook", "unresolvable"),
])
def test_addresses_webhooks_may_not_call(production_rules, url, code):
    assert refusal(url) == code


def test_a_public_address_is_accepted(production_rules):
    check_webhook_url("https://93.184.216.34/hook")


def test_internal_addresses_where_allowed_still_need_http_or_https(settings):
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    check_webhook_url("http://127.0.0.1:9000/hook")
    check_webhook_url("https://not-resolvable-in-tests.example.lv/hook")
    assert refusal("ftp://127.0.0.1/hook") == "scheme"
    assert refusal("file:///etc/passwd") == "scheme"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "https://[fe80::1]/hook", "http://0.0.0.0:8000/"])
def test_the_metadata_service_is_refused_even_where_internal_addresses_are_allowed(settings,
                                                                                    url):
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    assert refusal(url) == "internal"


def test_saving_an_internal_address_is_refused(setup, production_rules):  # noqa: F811
    admin, _, institutions = setup
    with pytest.raises(ValidationError):
        integrations.register_webhook(admin, institutions["VSAA"], "https://127.0.0.1/hook",
                                      ["case.registered"])
    assert not WebhookEndpoint.objects.exists()


def test_every_delivery_checks_the_address_again(setup, receiver, settings):  # noqa: F811
    """Saved while allowed (or while the name pointed elsewhere), delivered when it is not: the
    connection is refused before a byte is sent, and the message waits to be retried."""
    admin, centre, institutions = setup
    hook = receiver()
    integrations.register_webhook(admin, institutions["VSAA"], hook.url, ["case.registered"])
    open_case(centre)
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = False
    integrations.deliver_due()
    message = OutboxMessage.objects.get()
    assert hook.received == [] and message.status == OutboxStatus.PENDING
    assert "internal address" in message.last_error
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    run_worker_until_idle()
    assert len(hook.received) == 1


def test_the_administration_form_explains_a_refused_address(client, staff, catalogue,
                                                             staff_login, production_rules):
    staff_login(client, staff["vsaa_admin"])
    explained = {
        "ftp://files.example.lv/hook": "starts with https://",
        "ftp://x": "starts with https://",  # not a URL either: the scheme is what to fix first
        "gopher://[::1]/": "starts with https://",
        "https://169.254.169.254/": "internal network",
        "https://exa mple.lv/hook": "not a valid name",
        "https://no-such-host.invalid/hook": "cannot be found",
        "https://*.example.lv/hook": "not a valid name",
        "https://93.184.215.14:99999/hook": "port is not a number",
        "https://93.184.215.14:http/hook": "port is not a number",
        "https://93.184.215.14/ho ok": "Enter a valid URL",
        "javascript:alert(1)": "starts with https://",
        "https://user:pass@93.184.215.14/hook": "user name or password",
    }
    for url, explanation in explained.items():
        response = client.post("/en/administration/integrations/webhooks/", {
            "webhook-url": url, "webhook-events": ["case.registered"]})
        assert response.status_code == 422
        assert explanation in response.content.decode(), url
    assert not WebhookEndpoint.objects.exists()


def test_production_refuses_internal_webhooks():
    result = settings_import(DURVIS_ENV="production", SECRET_KEY=PRODUCTION_KEY, DEBUG="false",
                             DURVIS_DEMO="false", DURVIS_VAR_DIR=VAR_DIR,
                             DURVIS_WEBHOOK_ALLOW_INTERNAL="true")
    assert result.returncode != 0 and "DURVIS_WEBHOOK_ALLOW_INTERNAL" in result.stderr
