"""Why a client sign-in failed, in words the person understands (A12).

Both protocols raise `SignInFailed` with a short reason; the sign-in views audit the reason and
show its message. Nothing is signed in when it is raised.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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
