"""Signed-in sessions expire (A12): a staff member's after DURVIS_STAFF_IDLE_MINUTES without a
request, a client's (e-account) after DURVIS_CLIENT_IDLE_MINUTES, and both at the latest
SESSION_COOKIE_AGE after sign-in however busy the user is.

Django's own expiry cannot do both: a session that is written to is extended by
SESSION_COOKIE_AGE each time, so this middleware keeps two timestamps in the session (Unix
seconds) and signs the user out when either is too old. The sign-out happens before the view
runs, so the page then asks for a sign-in like any anonymous request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LAST_ACTIVITY_KEY = "durvis.last_activity"
SIGNED_IN_AT_KEY = "durvis.signed_in_at"
# The last activity is written at most once a minute, not on every request.
TOUCH_SECONDS = 60


def mark_signed_in(session: Any, now: float | None = None) -> None:
    """Start the clocks of a new sign-in."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_ACTIVITY_KEY] = now


# The e-account session's person (see durvis.identity.client_session).
CLIENT_PERSON_KEY = "durvis.client.person"


class StaffSessionTimeoutMiddleware:
    """Sign out a signed-in staff member or client whose session has been idle or open too
    long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, settings.DURVIS_STAFF_IDLE_MINUTES, logout)
        elif request.session.get(CLIENT_PERSON_KEY):
            self._check(request, settings.DURVIS_CLIENT_IDLE_MINUTES, _end_client_session)
        return self.get_response(request)

    def _check(self, request: HttpRequest, minutes: int,
               sign_out: Callable[[HttpRequest], None]) -> None:
        session = request.session
        now = time.time()
        idle_seconds = minutes * 60
        last = session.get(LAST_ACTIVITY_KEY)
        started = session.get(SIGNED_IN_AT_KEY)
        if last is not None and now - last > idle_seconds:
            sign_out(request)
            messages.info(request, ngettext(
                "You were signed out after %(minutes)d minute without activity. Please sign in again.",
                "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
                minutes) % {"minutes": minutes})
            return
        if started is not None and now - started > settings.SESSION_COOKIE_AGE:
            sign_out(request)
            messages.info(request, _("Your session reached its maximum length, so you were signed "
                                     "out. Please sign in again."))
            return
        if started is None:  # a session from before these clocks existed starts them now
            session[SIGNED_IN_AT_KEY] = now
        if last is None or now - last >= TOUCH_SECONDS:
            session[LAST_ACTIVITY_KEY] = now


def _end_client_session(request: HttpRequest) -> None:
    request.session.flush()
