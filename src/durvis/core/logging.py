"""Logging helpers: personal codes and secrets never reach a log in plain text, whoever writes
the line (our code, Django's access log, a library such as django-ninja, which logs an
`Authorization` header it does not understand whole)."""

import logging
import re

from durvis.core.identifiers import mask_personal_code

# Eleven digits starting 0-3 (optionally `DDMMYY-NNNNN`, the hyphen also URL-encoded as it is
# in a logged query string): the shape of a personal code.
PERSONAL_CODE_PATTERN = re.compile(r"(?<!\d)([0-3]\d{5})(?:-|%2[dD])?(\d{5})(?!\d)")
# Credentials: an HTTP authorization scheme's parameter (`Bearer …`, `Basic …`), our API tokens
# (`dv_<prefix>_<secret>`) wherever they appear, and what django-ninja logs of a header it
# does not understand (`Unexpected auth - '…'`), and the secrets of one-time links.
SECRET_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic|digest|token)(\s+|%20|\+)[^\s'\"&,;]+"), r"\1\2[redacted]"),
    (re.compile(r"\bdv_([0-9a-f]{10})_[\w-]+"), r"dv_\1_[redacted]"),
    (re.compile(r"(Unexpected auth - ')[^']*(')"), r"\1[redacted]\2"),
    # A one-time link's secret in an address (the prefilled application a holder's system
    # opened, A10: `/applications/prefill/<token>/`; only its SHA-256 is stored).
    (re.compile(r"(/applications/prefill/)[^/\s?'\"]+"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """Replace every personal-code-shaped number with its masked form and every credential by
    `[redacted]` (an API token keeps its public prefix, which names the client)."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return PERSONAL_CODE_PATTERN.sub(lambda m: mask_personal_code(m.group(1) + m.group(2)), text)


class RedactPersonalCodes(logging.Filter):
    """A logging filter that masks personal codes in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}
