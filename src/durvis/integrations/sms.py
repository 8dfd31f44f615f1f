"""The SMS gateway adapter (C1): one JSON-over-HTTP call per message.

The protocol: `POST {DURVIS_SMS_GATEWAY_URL}/messages` with `Authorization: Bearer <key>` and
`{"to": "+3712...", "from": "<sender>", "text": "...", "reference": "<idempotency key>"}`.
The gateway answers 202 `{"id": "...", "status": "accepted"}`; a repeated `reference` is not sent
twice. 400/422 `{"error": "invalid_number" | ...}` and 401/403 are permanent (retrying cannot
help); 429 and 5xx are temporary. A provider with another protocol gets another adapter with
the same `send` signature.

What a message costs is counted in segments (`segments`): a text entirely in the GSM 03.38
alphabet goes as 7-bit characters, any other text (Latvian's ā, ē, ī, ū, č, ģ, ķ, ļ, ņ, š, ž)
as UCS-2.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
from django.conf import settings


class SmsRejected(Exception):
    """The gateway refused the message for good (a bad number, bad credentials)."""


class SmsUnavailable(Exception):
    """The gateway could not take the message now; try again later."""


PERMANENT = {400, 401, 403, 404, 422}


# One segment, and each part of a longer (concatenated) message, whose header takes 6 bytes:
# GSM 03.38 7-bit counts septets (a character of the extension table, such as € [ ] { } ~ | ^ \,
# takes two: the escape and itself); UCS-2 counts UTF-16 code units.
GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def encoding(text: str) -> str:
    """`gsm` when the text is all in the GSM 03.38 basic and extension tables, else `ucs2`."""
    try:
        text.encode("gsm03.38")
    except UnicodeError:
        return "ucs2"
    return "gsm"


def segments(text: str) -> int:
    """How many SMS segments the text takes (0 for no text): up to 160 septets (GSM 03.38) or 70
    UCS-2 characters in one, else parts of 153 septets or 67 UCS-2 characters. A part does not
    split an escape sequence or a surrogate pair, so a part may hold one unit fewer."""
    if not text:
        return 0
    if encoding(text) == "gsm":
        units = [len(char.encode("gsm03.38")) for char in text]
        single, part = GSM_SINGLE, GSM_PART
    else:
        units = [len(char.encode("utf-16-le")) // 2 for char in text]
        single, part = UCS2_SINGLE, UCS2_PART
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


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
