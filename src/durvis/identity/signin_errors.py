"""Why a client sign-in failed, in words the person understands (A12).

Both protocols raise `SignInFailed` with a short reason, from the exception that caused it; the
sign-in views audit the reason, log the cause (`cause_of`) and show the reason's message.
Nothing is signed in when it is raised.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from durvis.core.logging import redact

MESSAGES: dict[str, Promise] = {
    "not_configured": _("The national sign-in is not configured on this server."),
    "provider_unreachable": _("The sign-in service cannot be reached now. Please try again later."),
    "cancelled": _("The sign-in was cancelled. You are not signed in."),
    "provider_error": _("The sign-in service did not sign you in. Please try again."),
    "state": _("This sign-in answer does not belong to this browser or has already been used. "
               "Please start the sign-in again."),
    "code_rejected": _("The sign-in service did not confirm this sign-in. "
                       "Please start the sign-in again."),
    "token_invalid": _("The sign-in service's answer could not be verified. You are not signed in."),
    "identifier": _("The sign-in service sent an identity that could not be read."),
    "unknown_person": _("We do not find you among the persons known to the platform. If you have "
                        "just received a personal code, please try again later."),
}


class SignInFailed(Exception):
    """A sign-in that must not go on; `reason` is a key of MESSAGES (and goes to the audit)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason if reason in MESSAGES else "provider_error"
        self.detail = detail

    @property
    def message(self) -> Promise:
        return MESSAGES[self.reason]


# Anything shaped like a token, a code, a state or a key (JWTs, long base64url runs) is left out
# of a logged cause, and personal codes are masked.
_SECRET_SHAPED = re.compile(r"eyJ[\w-]*\.[\w-]*\.?[\w-]*|[\w-]{32,}")
_MESSAGE_MAX = 300


def cause_of(error: BaseException) -> str:
    """Why a sign-in failed, for the log: the chain of exceptions behind `error` (at most three),
    each by its type and, for a network failure (OSError: refused, timed out, no such host) or
    an OAuth/JOSE error code, its message. Other messages may quote what the provider or the
    browser sent and are left out; so is anything shaped like a token; personal codes are
    masked."""
    parts: list[str] = []
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    while cause is not None and len(parts) < 3:
        parts.append(_describe(cause))
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return " <- ".join(parts)


def _describe(error: BaseException) -> str:
    name = type(error).__name__
    if isinstance(error, OSError):
        message = str(error)
    elif isinstance(code := getattr(error, "error", None), str):  # Authlib's, joserfc's errors
        description = getattr(error, "description", "") or ""
        message = f"{code}: {description}" if description else code
    else:
        return name
    message = redact(_SECRET_SHAPED.sub("[redacted]", message))[:_MESSAGE_MAX]
    return f"{name}: {message}" if message else name
