"""The gateway provider's start-up check (A8): production without DURVIS_PAYMENT_GATEWAY_URL, or
with a plain-http one, is a system-check error naming the setting, and the production start-up
refuses it; outside production (the simulator in demo mode) nothing is reported."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from durvis.core import checks


def _ours():
    return [error for error in checks.registry_checks()
            if error.obj == "payment providers: gateway"]


@pytest.mark.parametrize(("url", "says"), [
    ("", "DURVIS_PAYMENT_GATEWAY_URL is not set"),
    ("http://pay.example.lv", "must be an https:// URL")])
def test_production_without_a_secure_gateway_url_is_an_error(settings, url, says):
    settings.PRODUCTION = True
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": url}
    [error] = _ours()
    assert error.id == "durvis.E001" and says in error.msg
    with pytest.raises(ImproperlyConfigured, match="DURVIS_PAYMENT_GATEWAY_URL"):
        checks.refuse_misconfigured_production()


def test_a_configured_gateway_and_development_pass(settings):
    settings.PRODUCTION = True
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": "https://pay.example.lv/api"}
    assert _ours() == []
    settings.PRODUCTION = False
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": ""}
    assert _ours() == []
