"""Payment providers (A8; seed 4.2 lines 1687-1729): the `PaymentProvider` protocol online
payments use, and the `PROVIDERS` registry of adapters (`core.registry`).

One production adapter, `gateway`, speaks the common redirect + signed-callback protocol of
payment platforms (modelled on EveryPay, Mollie and Stripe Checkout), over HTTPS and JSON:

- **Create a payment**: `POST {base}/v1/payments` with HTTP Basic authentication (the merchant
  id and secret of the holder's `MerchantAccount`) and an `Idempotency-Key` header (a repeated
  request with the same key answers the first payment, never a second). The body:
  `{"amount": "7.11", "currency": "EUR", "reference": "RF…", "order_id": "…", "description":
  "…", "return_url": "…", "callback_url": "…", "expires_at": "2026-12-01T10:00:00+00:00",
  "locale": "lv", "method": "card"}`. The answer (201, or 200 for a repeat): `{"id": "…",
  "state": "started", "redirect_url": "…", "amount": "7.11", "currency": "EUR", …}`.
- **Read a payment** (polling): `GET {base}/v1/payments/{id}`, the same object.
- **Refund**: `POST {base}/v1/payments/{id}/refunds` with an `Idempotency-Key`, body
  `{"amount": "3.00", "reason": "…"}`: full or partial; the answer `{"id": "…", "state":
  "success" | "failed", "amount": "3.00"}`.
- **The callback**: the provider POSTs the payment object as JSON (`{"event":
  "payment.updated", "payment": {...}}`) to `callback_url`, server to server, with the headers
  `Gateway-Merchant` (the merchant id), `Gateway-Timestamp` (Unix seconds) and
  `Gateway-Signature: v1=<hex>`, the HMAC-SHA256 with the merchant's secret of
  `<timestamp>.<body bytes>` (Stripe's scheme). The platform refuses a timestamp more than
  `DURVIS_PAYMENT_CALLBACK_TOLERANCE` seconds off and compares in constant time.

States are the platform's own (`PaymentState`): created, started, submitted, success, failed,
cancelled, expired. The base URL of each provider is `DURVIS_PAYMENT_PROVIDER_URLS[key]`
(`DURVIS_PAYMENT_GATEWAY_URL`); in demo mode the simulator (`durvis.demo.paysim`) answers it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings

from durvis.core.registry import Registry
from durvis.payments.models import MerchantAccount, PaymentState

TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "Gateway-Signature"
TIMESTAMP_HEADER = "Gateway-Timestamp"
MERCHANT_HEADER = "Gateway-Merchant"
STATES = frozenset(PaymentState.values)


class ProviderError(Exception):
    """The provider could not be reached or refused the request (`status`: its HTTP status, 0
    when unreachable; `body`: what it said, never the credentials)."""

    def __init__(self, message: str, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        self.status, self.body = status, body[:500]


class CallbackRefused(Exception):
    """A callback the platform does not accept: `status` is the HTTP status to answer (400 a
    malformed body, 401 a bad or stale signature, 403 another merchant's payment, 404 an
    unknown merchant or payment) and `code` the machine-readable reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider tells it: its id, state (a `PaymentState` value), amount (EUR),
    where to send the payer, and when it was paid."""

    id: str
    state: str
    amount: Decimal
    currency: str = "EUR"
    redirect_url: str = ""
    order_id: str = ""
    paid_at: datetime.datetime | None = None


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider tells it."""

    id: str
    state: str
    amount: Decimal


@dataclass(frozen=True)
class NewPayment:
    """What the platform asks the provider to collect (amount in EUR, two places)."""

    amount: Decimal
    currency: str
    reference: str
    order_id: str
    description: str
    return_url: str
    callback_url: str
    expires_at: datetime.datetime
    locale: str = "lv"
    method: str = "card"


@dataclass(frozen=True)
class Callback:
    """A verified callback: the merchant it came for and the payment it reports."""

    merchant: MerchantAccount
    payment: ProviderPayment
    raw: Mapping[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    """What an online payment provider's adapter does (A8). `merchant` carries the holder's
    credentials; every method raises ProviderError when the provider cannot be reached or
    refuses."""

    key: str
    description: str

    def create_payment(self, merchant: MerchantAccount, new: NewPayment, *,
                       idempotency_key: str) -> ProviderPayment: ...

    def get_payment(self, merchant: MerchantAccount, payment_id: str) -> ProviderPayment: ...

    def refund(self, merchant: MerchantAccount, payment_id: str, *, amount: Decimal,
               reason: str, idempotency_key: str) -> ProviderRefund: ...

    def verify_callback(self, headers: Mapping[str, str], body: bytes,
                        now: float | None = None) -> Callback: ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The callback signature header's value: `v1=` and the hex HMAC-SHA256 with `secret` of
    `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ProviderError(f"the provider answered an amount that is not one: {value!r}") \
            from None
    return amount.quantize(Decimal("0.01"))


def _payment(data: Mapping[str, Any]) -> ProviderPayment:
    if not isinstance(data, Mapping) or not data.get("id") or data.get("state") not in STATES:
        raise ProviderError("the provider answered a payment without an id or a known state")
    paid_at = None
    if data.get("paid_at"):
        try:
            paid_at = datetime.datetime.fromisoformat(str(data["paid_at"]))
        except ValueError:
            paid_at = None
    return ProviderPayment(id=str(data["id"])[:100], state=str(data["state"]),
                           amount=_amount(data.get("amount", "0")),
                           currency=str(data.get("currency", "EUR")),
                           redirect_url=str(data.get("redirect_url") or "")[:500],
                           order_id=str(data.get("order_id") or ""), paid_at=paid_at)


class GatewayProvider:
    """The production adapter of the redirect + signed-callback protocol (module docstring)."""

    key = "gateway"
    description = "Payment gateway: redirect to the payer's page, signed callback (HMAC-SHA256)"
    demo = False

    def base_url(self) -> str:
        return str(settings.DURVIS_PAYMENT_PROVIDER_URLS.get(self.key, "")).rstrip("/")

    def check(self) -> list[str]:
        """The start-up check (`core.checks`: a system check, and production refuses to start):
        production needs the provider's API base URL (`DURVIS_PAYMENT_GATEWAY_URL`), over
        HTTPS, since the merchant's id and secret travel with every request. Outside
        production an unset URL only makes the Pay button say the service is unreachable."""
        if not settings.PRODUCTION:
            return []
        url = self.base_url()
        if not url:
            return ["DURVIS_PAYMENT_GATEWAY_URL is not set: no online payment can start. Set "
                    "it to the payment provider's API base URL (https://...)."]
        if not url.startswith("https://"):
            return ["DURVIS_PAYMENT_GATEWAY_URL must be an https:// URL in production: the "
                    "merchant's credentials are sent with every request."]
        return []

    def _call(self, merchant: MerchantAccount, method: str, path: str,
              body: Mapping[str, Any] | None = None, idempotency_key: str = "") -> Any:
        base = self.base_url()
        if not base.startswith(("https://", "http://")):
            raise ProviderError("the provider's base URL is not configured")
        credentials = base64.b64encode(f"{merchant.merchant_id}:{merchant.secret}".encode())
        headers = {"Authorization": f"Basic {credentials.decode()}",
                   "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(f"{base}{path}", data=data,  # noqa: S310 (http(s))
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise ProviderError(f"the provider refused: HTTP {error.code}", error.code,
                                text) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ProviderError(f"the provider could not be reached: {error}") from None

    def create_payment(self, merchant: MerchantAccount, new: NewPayment, *,
                       idempotency_key: str) -> ProviderPayment:
        """Ask the provider to collect `new`; the answer carries the payer's redirect URL."""
        answer = self._call(merchant, "POST", "/v1/payments", {
            "amount": str(new.amount), "currency": new.currency, "reference": new.reference,
            "order_id": new.order_id, "description": new.description,
            "return_url": new.return_url, "callback_url": new.callback_url,
            "expires_at": new.expires_at.isoformat(), "locale": new.locale,
            "method": new.method}, idempotency_key)
        payment = _payment(answer)
        if not payment.redirect_url.startswith(("https://", "http://")):
            raise ProviderError("the provider answered no redirect URL")
        return payment

    def get_payment(self, merchant: MerchantAccount, payment_id: str) -> ProviderPayment:
        """The payment's state now (polling)."""
        return _payment(self._call(
            merchant, "GET", f"/v1/payments/{urllib.parse.quote(payment_id, safe='')}"))

    def refund(self, merchant: MerchantAccount, payment_id: str, *, amount: Decimal,
               reason: str, idempotency_key: str) -> ProviderRefund:
        """Give back `amount` (EUR) of a successful payment."""
        answer = self._call(
            merchant, "POST", f"/v1/payments/{urllib.parse.quote(payment_id, safe='')}/refunds",
            {"amount": str(amount), "reason": reason}, idempotency_key)
        if not isinstance(answer, Mapping) or not answer.get("id"):
            raise ProviderError("the provider answered a refund without an id")
        state = "success" if answer.get("state") == "success" else "failed"
        return ProviderRefund(id=str(answer["id"])[:100], state=state,
                              amount=_amount(answer.get("amount", amount)))

    def verify_callback(self, headers: Mapping[str, str], body: bytes,
                        now: float | None = None) -> Callback:
        """Check a callback: the merchant is one of ours (an active `MerchantAccount` of this
        provider), the timestamp is within `DURVIS_PAYMENT_CALLBACK_TOLERANCE` seconds of now,
        the signature is the merchant's (constant-time compare), the body is a payment. Raises
        CallbackRefused (404 `merchant`, 401 `signature` / `stale`, 400 `body`)."""
        merchant_id = headers.get(MERCHANT_HEADER, "")
        merchant = MerchantAccount.objects.filter(provider=self.key, merchant_id=merchant_id,
                                                  active=True).first() if merchant_id else None
        if merchant is None:
            raise CallbackRefused(404, "merchant", "unknown merchant")
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        try:
            when = int(timestamp)
        except ValueError:
            raise CallbackRefused(401, "signature", "no timestamp") from None
        expected = sign(merchant.secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise CallbackRefused(401, "signature", "bad signature")
        if abs((now if now is not None else time.time()) - when) > \
                settings.DURVIS_PAYMENT_CALLBACK_TOLERANCE:
            raise CallbackRefused(401, "stale", "the timestamp is too far from now")
        try:
            data = json.loads(body)
            payment = _payment(data["payment"])
        except (ValueError, KeyError, TypeError, ProviderError):
            raise CallbackRefused(400, "body", "the body is not a payment") from None
        return Callback(merchant=merchant, payment=payment, raw=data)


PROVIDERS: Registry[PaymentProvider] = Registry("payment providers")
PROVIDERS.register(GatewayProvider())


def provider(key: str) -> PaymentProvider:
    """The adapter under `key`; raises KeyError for an unknown one."""
    return PROVIDERS.get(key)
