"""The payment simulator keeps the gateway's protocol as the adapter expects it (A8): a repeated
create with the same Idempotency-Key is the same payment, credentials are required, reads are
the merchant's own, refunds never exceed what was paid, and the payer's choice is signed into a
callback the platform's own verification accepts."""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from durvis.payments.providers import NewPayment, ProviderError, provider

pytestmark = pytest.mark.django_db


def new(amount="7.11"):
    return NewPayment(amount=Decimal(amount), currency="EUR", reference="RF18539007547034",
                      order_id="1", description="1011-76544-01", return_url="http://x.test/r/",
                      callback_url="http://127.0.0.1:9/c/",
                      expires_at=datetime.datetime.now(datetime.UTC)
                      + datetime.timedelta(minutes=30))


def test_the_same_idempotency_key_is_the_same_payment(simulator, merchants):
    gateway = provider("gateway")
    first = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="a")
    again = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="a")
    other = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="b")
    assert first.id == again.id != other.id and first.state == "started"
    assert gateway.get_payment(merchants["VSAA"], first.id).amount == Decimal("7.11")


def test_credentials_are_required_and_reads_are_the_merchants_own(simulator, merchants):
    gateway = provider("gateway")
    payment = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="a")
    with pytest.raises(ProviderError) as raised:
        gateway.get_payment(merchants["RIGA"], payment.id)
    assert raised.value.status == 404
    request = urllib.request.Request(f"{simulator.base_url}/v1/payments", data=b"{}",
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401


def test_a_refund_beyond_what_was_paid_is_refused(simulator, merchants):
    gateway = provider("gateway")
    payment = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="a")
    simulator.payments[payment.id].state = "success"
    assert gateway.refund(merchants["VSAA"], payment.id, amount=Decimal("7.00"), reason="x",
                          idempotency_key="r1").state == "success"
    with pytest.raises(ProviderError) as raised:
        gateway.refund(merchants["VSAA"], payment.id, amount=Decimal("0.12"), reason="x",
                       idempotency_key="r2")
    assert raised.value.status == 422 and json.loads(raised.value.body)["error"] == "amount"


def test_the_simulators_callback_passes_the_platforms_verification(simulator, merchants,
                                                                   pay_at_simulator):
    gateway = provider("gateway")
    payment = gateway.create_payment(merchants["VSAA"], new(), idempotency_key="a")
    sent = []
    simulator.send_callback = lambda p: sent.append(p) or 200  # capture, then verify below
    pay_at_simulator(payment.redirect_url, "pay")
    from durvis.demo.paysim import Simulator

    captured = {}

    def record(url_request, timeout):
        captured["headers"] = dict(url_request.header_items())
        captured["body"] = url_request.data
        raise urllib.error.URLError("captured")

    import durvis.demo.paysim as paysim_module
    original = paysim_module.urllib.request.urlopen
    paysim_module.urllib.request.urlopen = record
    try:
        Simulator.send_callback(simulator, sent[0])
    finally:
        paysim_module.urllib.request.urlopen = original
    headers = {name.title(): value for name, value in captured["headers"].items()}
    callback = gateway.verify_callback(headers, captured["body"])
    assert callback.merchant == merchants["VSAA"]
    assert (callback.payment.id, callback.payment.state) == (payment.id, "success")


def test_the_simulator_runs_in_demo_mode_only(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode only"):
        call_command("run_paysim", "--port", "0")


def _payer_page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as answer:  # a finished payment's page is still a page
        return answer.read().decode()


@pytest.mark.parametrize(("lang", "amount", "state"), [
    ("lv", "€\xa01\xa0234,50", "Apmaksāts"), ("en", "€1,234.50", "Paid")])
def test_the_payer_page_says_the_amount_and_the_state_as_people_read_them(
        simulator, merchants, pay_at_simulator, lang, amount, state):
    from django.utils import translation

    payment = provider("gateway").create_payment(merchants["VSAA"], new("1234.50"),
                                                 idempotency_key="a")
    page = _payer_page(f"{payment.redirect_url}?lang={lang}")
    assert f"<dd>{amount}</dd>" in page and "EUR" not in page
    pay_at_simulator(payment.redirect_url, "pay", lose_callback=True)
    finished = _payer_page(f"{payment.redirect_url}?lang={lang}")
    with translation.override(lang):
        assert f": {state}." in finished and "success" not in finished
