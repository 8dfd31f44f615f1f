"""Logging helpers: personal codes never reach a log in plain text."""

import logging
import re

from durvis.core.identifiers import mask_personal_code

# Eleven digits starting 0-3 (optionally `DDMMYY-NNNNN`): the shape of a personal code.
PERSONAL_CODE_PATTERN = re.compile(r"(?<!\d)([0-3]\d{5})-?(\d{5})(?!\d)")


def redact(text: str) -> str:
    """Replace every personal-code-shaped number with its masked form."""
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
