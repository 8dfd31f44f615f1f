"""The payment simulator (A8, demo and tests): a small HTTP server of its own that speaks the
payment gateway's protocol (`durvis.payments.providers`, module docstring) exactly, so that the
adapter the platform uses against it is the production one.

- `POST /v1/payments` (HTTP Basic: merchant id and secret; `Idempotency-Key`): a payment in the
  state `started` whose `redirect_url` is the payer's page here.
- `GET /v1/payments/{id}`: the payment (only its merchant's); a started one past `expires_at`
  is `expired`.
- `POST /v1/payments/{id}/refunds` (`Idempotency-Key`): full or partial, never beyond what is
  left (422 `amount`).
- `GET /pay/{id}` (`?lang=en`): the payer's page, accessible, in Latvian or English: "Pay",
  "Cancel", "Fail", and a box to lose the callback (the platform must find out by polling).
  `POST /pay/{id}` sets the state, POSTs the signed callback (HMAC-SHA256 over
  `<timestamp>.<body>` with the merchant's secret) to `callback_url`, and sends the browser
  to `return_url` (303).

It trusts any merchant credentials (it is a simulator): the secret a merchant authenticates with
is the one its callbacks are signed with. Payments live in memory. `make run` starts it in demo
mode on `DURVIS_PAYSIM_PORT` (`manage.py run_paysim`); tests start it on port 0 in a thread
(`start`).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from durvis.core.templatetags.durvis_formats import format_money
from durvis.payments.models import PaymentState
from durvis.payments.providers import MERCHANT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

OUTCOMES = {"pay": "success", "cancel": "cancelled", "fail": "failed"}


@dataclass
class SimPayment:
    """A payment as the simulator keeps it."""

    id: str
    merchant_id: str
    secret: str
    amount: Decimal
    currency: str
    reference: str
    order_id: str
    description: str
    return_url: str
    callback_url: str
    expires_at: datetime.datetime | None
    locale: str
    state: str = "started"
    paid_at: datetime.datetime | None = None
    refunded: Decimal = Decimal("0.00")

    def public(self, base: str) -> dict[str, Any]:
        if self.state == "started" and self.expires_at is not None and \
                self.expires_at <= datetime.datetime.now(datetime.UTC):
            self.state = "expired"
        return {"id": self.id, "state": self.state, "amount": str(self.amount),
                "currency": self.currency, "reference": self.reference,
                "order_id": self.order_id, "description": self.description,
                "redirect_url": f"{base}/pay/{self.id}",
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "paid_at": self.paid_at.isoformat() if self.paid_at else None,
                "refunded": str(self.refunded)}


@dataclass
class Simulator:
    """The simulator's memory: payments, answers by idempotency key, the callbacks it sent."""

    base_url: str = ""
    payments: dict[str, SimPayment] = field(default_factory=dict)
    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Seconds `POST /v1/payments` takes before it answers: a slow provider, for tests.
    create_delay: float = 0.0

    def send_callback(self, payment: SimPayment) -> int:
        """POST the signed callback of `payment`; its HTTP status (0: unreachable)."""
        body = json.dumps({"event": "payment.updated",
                           "payment": payment.public(self.base_url)}).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 (http(s), checked at create)
            payment.callback_url, data=body, method="POST", headers={
            "Content-Type": "application/json", MERCHANT_HEADER: payment.merchant_id,
            TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(payment.secret, timestamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            log.warning("paysim: the callback to %s failed: %s", payment.callback_url, error)
            status = 0
        self.callbacks.append({"payment": payment.id, "state": payment.state, "status": status})
        return status


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount.quantize(Decimal("0.01"))


class Handler(BaseHTTPRequestHandler):
    """One request to the simulator."""

    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("paysim: " + format, *args)

    # --- plumbing ---
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1_000_000)) if length else b""

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, status: int, code: str, detail: str) -> None:
        self._json(status, {"error": code, "detail": detail})

    def _merchant(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            merchant, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (merchant, secret) if merchant and secret else None

    @property
    def sim(self) -> Simulator:
        return self.server.simulator

    # --- routes ---
    def do_GET(self) -> None:
        path, _sep, query = self.path.partition("?")
        parts = [p for p in path.split("/") if p]
        if len(parts) == 3 and parts[:2] == ["v1", "payments"]:
            return self._read(parts[2])
        if len(parts) == 2 and parts[0] == "pay":
            lang = urllib.parse.parse_qs(query).get("lang", [""])[0]
            return self._payer_page(parts[1], lang)
        return self._error(404, "not_found", "no such address")

    def do_POST(self) -> None:
        parts = [p for p in self.path.partition("?")[0].split("/") if p]
        if parts == ["v1", "payments"]:
            return self._create()
        if len(parts) == 4 and parts[:2] == ["v1", "payments"] and parts[3] == "refunds":
            return self._refund(parts[2])
        if len(parts) == 2 and parts[0] == "pay":
            return self._payer_choice(parts[1])
        return self._error(404, "not_found", "no such address")

    def _create(self) -> None:
        merchant = self._merchant()
        if merchant is None:
            return self._error(401, "unauthorized", "HTTP Basic credentials are required")
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            return self._error(400, "idempotency_key", "an Idempotency-Key is required")
        try:
            data = json.loads(self._body())
        except ValueError:
            return self._error(400, "body", "the body is not JSON")
        amount = _amount(data.get("amount"))
        if amount is None:
            return self._error(422, "amount", "the amount is a positive decimal string")
        for name in ("return_url", "callback_url"):
            if not str(data.get(name, "")).startswith(("http://", "https://")):
                return self._error(422, name, f"{name} is an absolute URL")
        if self.sim.create_delay:
            time.sleep(self.sim.create_delay)
        with self.sim.lock:
            earlier = self.sim.answers.get((merchant[0], key))
            if earlier is not None:
                return self._json(200, earlier[1])
            expires_at = None
            if data.get("expires_at"):
                try:
                    expires_at = datetime.datetime.fromisoformat(str(data["expires_at"]))
                except ValueError:
                    return self._error(422, "expires_at", "expires_at is an ISO 8601 time")
            payment = SimPayment(
                id=f"sim_{secrets.token_hex(8)}", merchant_id=merchant[0], secret=merchant[1],
                amount=amount, currency=str(data.get("currency") or "EUR"),
                reference=str(data.get("reference") or ""),
                order_id=str(data.get("order_id") or ""),
                description=str(data.get("description") or "")[:140],
                return_url=str(data["return_url"]), callback_url=str(data["callback_url"]),
                expires_at=expires_at, locale=str(data.get("locale") or "lv")[:2])
            self.sim.payments[payment.id] = payment
            answer = payment.public(self.sim.base_url)
            self.sim.answers[(merchant[0], key)] = (201, answer)
        return self._json(201, answer)

    def _own(self, payment_id: str) -> SimPayment | None:
        merchant = self._merchant()
        if merchant is None:
            self._error(401, "unauthorized", "HTTP Basic credentials are required")
            return None
        payment = self.sim.payments.get(payment_id)
        if payment is None or payment.merchant_id != merchant[0]:
            self._error(404, "not_found", "no such payment")
            return None
        return payment

    def _read(self, payment_id: str) -> None:
        payment = self._own(payment_id)
        if payment is not None:
            self._json(200, payment.public(self.sim.base_url))

    def _refund(self, payment_id: str) -> None:
        payment = self._own(payment_id)
        if payment is None:
            return
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            return self._error(400, "idempotency_key", "an Idempotency-Key is required")
        try:
            data = json.loads(self._body())
        except ValueError:
            return self._error(400, "body", "the body is not JSON")
        amount = _amount(data.get("amount"))
        with self.sim.lock:
            earlier = self.sim.answers.get((payment.merchant_id, f"refund:{key}"))
            if earlier is not None:
                return self._json(200, earlier[1])
            if payment.state != "success":
                return self._error(409, "state", "only a successful payment is refunded")
            if amount is None or amount > payment.amount - payment.refunded:
                return self._error(422, "amount", "more than is left to refund")
            payment.refunded += amount
            answer = {"id": f"ref_{secrets.token_hex(8)}", "payment_id": payment.id,
                      "amount": str(amount), "state": "success"}
            self.sim.answers[(payment.merchant_id, f"refund:{key}")] = (201, answer)
        return self._json(201, answer)

    def _payer_page(self, payment_id: str, lang: str, status: int = 200) -> None:
        payment = self.sim.payments.get(payment_id)
        language = lang if lang in ("lv", "en") else (payment.locale if payment else "lv")
        if language not in ("lv", "en"):
            language = "lv"
        with translation.override(language):
            html = render_to_string("demo/paysim_pay.html", {
                "payment": payment and payment.public(self.sim.base_url), "language": language,
                **(_shown(payment, language) if payment else {}),
                "other": "en" if language == "lv" else "lv", "path": f"/pay/{payment_id}"})
        self._send(status if payment else 404, html.encode(), "text/html; charset=utf-8", {
            "Content-Language": language,
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                       "form-action *; base-uri 'none'; frame-ancestors 'none'"})

    def _payer_choice(self, payment_id: str) -> None:
        form = urllib.parse.parse_qs(self._body().decode(errors="replace"))
        payment = self.sim.payments.get(payment_id)
        outcome = OUTCOMES.get(form.get("outcome", [""])[0])
        if payment is None or outcome is None:
            return self._payer_page(payment_id, form.get("lang", [""])[0], 400)
        with self.sim.lock:
            if payment.public(self.sim.base_url)["state"] == "started":
                payment.state = outcome
                if outcome == "success":
                    payment.paid_at = datetime.datetime.now(datetime.UTC)
        if form.get("lose_callback", [""])[0] != "1":
            self.sim.send_callback(payment)
        self._send(303, b"", "text/plain", {"Location": payment.return_url})


def _shown(payment: SimPayment, language: str) -> dict[str, str]:
    """The payer page's amount as people read it in `language` (`format_money`: `€ 20,00`,
    `€20.00`) and the payment's state as a word (`PaymentState`'s label: "Paid", not
    `success`). Call inside `translation.override(language)`."""
    amount = (format_money(payment.amount, language) if payment.currency == "EUR"
              else f"{payment.amount} {payment.currency}")
    state = payment.state
    return {"amount": amount,
            "state": str(PaymentState(state).label) if state in PaymentState.values else state}


class Server(ThreadingHTTPServer):
    """The simulator's HTTP server, holding its `Simulator`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], public_host: str = "") -> None:
        super().__init__(address, Handler)
        host = public_host or address[0]
        self.simulator = Simulator(base_url=f"http://{host}:{self.server_address[1]}")


def start(host: str = "127.0.0.1", port: int = 0) -> Server:
    """Start a simulator in a daemon thread (port 0: any free port); `server.simulator.base_url`
    is its address; `server.shutdown()` stops it."""
    server = Server((host, port))
    threading.Thread(target=server.serve_forever, name="paysim", daemon=True).start()
    return server
