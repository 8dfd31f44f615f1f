"""The SMS gateway adapter (C1): one JSON-over-HTTP call per message.

The protocol: `POST {DURVIS_SMS_GATEWAY_URL}/messages` with `Authorization: Bearer <key>` and
`{"to": "+3712...", "from": "<sender>", "text": "...", "reference": "<idempotency key>"}`.
The gateway answers 202 `{"id": "...", "status": "accepted"}`; a repeated `reference` is not sent
twice. 400/422 `{"error": "invalid_number" | ...}` and 401/403 are permanent (retrying cannot
help); 429 and 5xx are temporary. A provider with another protocol gets another adapter with
the same `send` signature.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings


class SmsRejected(Exception):
    """The gateway refused the message for good (a bad number, bad credentials)."""


class SmsUnavailable(Exception):
    """The gateway could not take the message now; try again later."""


PERMANENT = {400, 401, 403, 404, 422}


def is_configured() -> bool:
    return bool(settings.DURVIS_SMS_GATEWAY_URL)


def send(to: str, text: str, reference: str) -> str:
    """Hand one SMS to the gateway; returns the gateway's message id."""
    body = json.dumps({"to": to, "from": settings.DURVIS_SMS_SENDER, "text": text,
                       "reference": reference}).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is configuration
        settings.DURVIS_SMS_GATEWAY_URL.rstrip("/") + "/messages", data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": f"Bearer {settings.DURVIS_SMS_GATEWAY_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=settings.DURVIS_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            return str(json.loads(response.read() or b"{}").get("id", ""))
    except urllib.error.HTTPError as exc:
        detail = _error_code(exc)
        if exc.code in PERMANENT:
            raise SmsRejected(f"HTTP {exc.code} {detail}".strip()) from None
        raise SmsUnavailable(f"HTTP {exc.code} {detail}".strip()) from None
    except (OSError, ValueError) as exc:
        raise SmsUnavailable(f"{type(exc).__name__}: {exc}") from None


def _error_code(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read() or b"{}").get("error", ""))
    except ValueError:
        return ""
