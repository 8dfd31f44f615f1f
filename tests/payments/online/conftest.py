"""Fixtures of the online payment tests (A8): the payment simulator on a free port in a thread
(the production adapter talks to it over HTTP), the holders' merchant accounts, a prepayment
invoice of the parent's case, and `pay_at_simulator`, which does what the payer's browser does
on the simulator's page."""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest

from durvis.core.actor import Actor
from durvis.demo import paysim
from durvis.payments import services as payments
from durvis.payments.models import MerchantAccount
from durvis.register.models import ServiceCase

SECRET = "whsec-test-0123456789abcdef0123456789"


@pytest.fixture
def simulator(settings):
    server = paysim.start()
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": server.simulator.base_url}
    yield server.simulator
    server.shutdown()
    server.server_close()


@pytest.fixture
def merchants(institutions):
    return {code: MerchantAccount.objects.create(
        institution=institutions[code], provider="gateway", merchant_id=f"m-{code.lower()}",
        secret=f"{SECRET}-{code}") for code in ("VSAA", "RIGA")}


@pytest.fixture
def invoice(family, paid_service, payee_accounts, merchants):
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    return payments.issue_prepayment(Actor(kind="person", person=family["parent"]), case,
                                     language="lv")


def choose(redirect_url: str, outcome: str, *, lose_callback: bool = False) -> str:
    """Press a button on the simulator's payer page (`pay`, `cancel`, `fail`); returns where
    the browser is sent (the return URL)."""
    fields = {"outcome": outcome, "lang": "lv"}
    if lose_callback:
        fields["lose_callback"] = "1"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(redirect_url, data=urllib.parse.urlencode(fields).encode(),
                                     method="POST")
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 303
        return answer.headers["Location"]
    raise AssertionError("the simulator did not redirect")


@pytest.fixture
def pay_at_simulator():
    return choose
