"""The provider's callback is believed only when signed (A8, B9): HMAC-SHA256 with the
merchant's secret over `<timestamp>.<body>`, a fresh timestamp, a merchant of ours; anything
else is a precise refusal."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from durvis.payments.providers import (
    MERCHANT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackRefused,
    provider,
    sign,
)

pytestmark = pytest.mark.django_db

BODY = json.dumps({"event": "payment.updated", "payment": {
    "id": "sim_1", "state": "success", "amount": "7.11", "currency": "EUR"}}).encode()


def headers(merchant, secret=None, timestamp=None, body=BODY):
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return {MERCHANT_HEADER: merchant.merchant_id, TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(secret or merchant.secret, stamp, body)}


def refusal(merchant_headers, body=BODY):
    with pytest.raises(CallbackRefused) as raised:
        provider("gateway").verify_callback(merchant_headers, body)
    return raised.value.status, raised.value.code


def test_a_callback_signed_with_the_merchants_secret_is_believed(merchants):
    callback = provider("gateway").verify_callback(headers(merchants["VSAA"]), BODY)
    assert callback.merchant == merchants["VSAA"]
    assert (callback.payment.id, callback.payment.state) == ("sim_1", "success")
    assert callback.payment.amount == Decimal("7.11")


def test_a_bad_signature_is_refused(merchants):
    assert refusal(headers(merchants["VSAA"], secret="not-the-secret")) == (401, "signature")


def test_a_changed_body_breaks_the_signature(merchants):
    tampered = BODY.replace(b"7.11", b"0.01")
    assert refusal(headers(merchants["VSAA"]), tampered) == (401, "signature")


def test_another_merchants_secret_is_refused(merchants):
    signed_by_riga = headers(merchants["VSAA"], secret=merchants["RIGA"].secret)
    assert refusal(signed_by_riga) == (401, "signature")


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_a_stale_or_future_timestamp_is_refused(merchants, skew):
    stale = headers(merchants["VSAA"], timestamp=int(time.time()) + skew)
    assert refusal(stale) == (401, "stale")


def test_a_timestamp_within_the_tolerance_is_accepted(merchants):
    provider("gateway").verify_callback(
        headers(merchants["VSAA"], timestamp=int(time.time()) - 290), BODY)


def test_an_unknown_or_inactive_merchant_is_refused(merchants):
    unknown = {**headers(merchants["VSAA"]), MERCHANT_HEADER: "m-nobody"}
    assert refusal(unknown) == (404, "merchant")
    merchants["VSAA"].active = False
    merchants["VSAA"].save()
    assert refusal(headers(merchants["VSAA"])) == (404, "merchant")


def test_no_timestamp_or_a_body_that_is_not_a_payment_is_refused(merchants):
    no_stamp = {**headers(merchants["VSAA"]), TIMESTAMP_HEADER: ""}
    assert refusal(no_stamp) == (401, "signature")
    body = b'{"event": "payment.updated", "payment": {"id": "x", "state": "rich"}}'
    assert refusal(headers(merchants["VSAA"], body=body), body) == (400, "body")
