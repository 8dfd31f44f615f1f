"""Signed-in sessions (A12): who is behind a request, and for how long.

Citizens are not Django users: their e-account session holds the person's id and the sign-in
details, nothing else; starting one cycles the session key (no fixation) and is audited. Staff
are Django users who passed both sign-in factors. `actor_from_request` turns either into the
`Actor` every service and rule receives.

Both kinds of session expire (the session clocks): a staff member's after
DURVIS_STAFF_IDLE_MINUTES without a request, a client's after DURVIS_CLIENT_IDLE_MINUTES, and both
at the latest SESSION_COOKIE_AGE after sign-in however busy the user is. Django's own expiry
cannot do both: a session that is written to is extended by SESSION_COOKIE_AGE each time, so
`SessionTimeoutMiddleware` keeps two timestamps in the session (Unix seconds) and signs the user
out when either is too old, before the view runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.identity.models import Person
from durvis.identity.national import SignedInIdentity, SignInRole
from durvis.identity.queries import staff_of

PERSON_KEY = "durvis.client.person"
METHOD_KEY = "durvis.client.method"
# The role the national sign-in asked for first (a company or a represented person), read once
# by the e-account to start in that role.
INITIAL_ROLE_KEY = "durvis.client.initial_role"


def start(request: HttpRequest, identity: SignedInIdentity) -> None:
    """Sign the person in: a fresh session key, the clocks started, the sign-in audited."""
    request.session.flush()
    request.session.cycle_key()
    request.session[PERSON_KEY] = identity.person.pk
    request.session[METHOD_KEY] = f"{identity.protocol}:{identity.method}".strip(":")
    mark_signed_in(request.session)
    if identity.identifier.role == SignInRole.COMPANY_SIGNATORY and identity.company:
        request.session[INITIAL_ROLE_KEY] = f"company:{identity.company.pk}"
    elif identity.identifier.role == SignInRole.REPRESENTATIVE and identity.represented:
        request.session[INITIAL_ROLE_KEY] = f"person:{identity.represented.pk}"
    actor = Actor(kind="person", person=identity.person,
                  source_address=request.META.get("REMOTE_ADDR"))
    record(actor, "identity.client.sign_in", identity.person, subject=identity.person,
           details={"protocol": identity.protocol, "method": identity.method,
                    "role": identity.identifier.role.value})


def signed_in_person(request: HttpRequest) -> Person | None:
    """The person of this session, or None. Cached on the request."""
    if not hasattr(request, "_durvis_person"):
        person_id = request.session.get(PERSON_KEY) if hasattr(request, "session") else None
        person = Person.objects.filter(pk=person_id).first() if person_id else None
        request._durvis_person = person  # type: ignore[attr-defined]
    return request._durvis_person  # type: ignore[attr-defined,no-any-return]


def end(request: HttpRequest) -> None:
    """Sign out: the whole session goes."""
    request.session.flush()
    request._durvis_person = None  # type: ignore[attr-defined]


def actor_from_request(request: HttpRequest) -> Actor:
    """The actor behind a page request. Staff come from the session's user, and only after both
    sign-in factors (A12: a session that passed the password alone is no one's); persons
    (citizens) from the e-account sign-in (`client_session`); anybody else is anonymous."""
    address = request.META.get("REMOTE_ADDR")
    staff = staff_of(request.user)
    if staff is not None and passed_second_factor(request.user):
        return Actor(kind="staff", staff=staff, source_address=address)
    person = signed_in_person(request)
    if person is not None:
        return Actor(kind="person", person=person, source_address=address)
    return Actor(source_address=address)


LAST_ACTIVITY_KEY = "durvis.last_activity"
SIGNED_IN_AT_KEY = "durvis.signed_in_at"
# The last activity is written at most once a minute, not on every request.
TOUCH_SECONDS = 60


def mark_signed_in(session: Any, now: float | None = None) -> None:
    """Start the clocks of a new sign-in."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_ACTIVITY_KEY] = now




class SessionTimeoutMiddleware:
    """Sign out a signed-in staff member or client whose session has been idle or open too
    long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, settings.DURVIS_STAFF_IDLE_MINUTES, logout)
        elif request.session.get(PERSON_KEY):
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


# --- Staff: the password passed, the second factor owed (A12) ------------------------------------

PENDING_KEY = "durvis.signin"
PENDING_SECONDS = 10 * 60
CODE_STEP = "staff-login-code"
ENROL_STEP = "staff-login-enrol"


@dataclass(frozen=True)
class Pending:
    """Someone who passed the password step and owes the second factor."""

    user: Any
    backend: str
    next: str


def next_step(request: HttpRequest) -> str | None:
    """The URL name of the step that a request short of a full sign-in goes to: the code (or the
    enrolment) for someone who passed the password, None (the password) for anybody else."""
    pending = pending_sign_in(request)
    if pending is None:
        return None
    return CODE_STEP if identity.totp_device(pending.user) else ENROL_STEP


def pending_sign_in(request: HttpRequest) -> Pending | None:
    """Who passed the staff password step and owes the second factor, if anybody."""
    state = request.session.get(PENDING_KEY)
    if state is not None:
        user = None
        if time.time() - state.get("started", 0) <= PENDING_SECONDS:
            user = get_user_model()._default_manager.filter(pk=state["user"],
                                                            is_active=True).first()
        if user is not None:
            return Pending(user, state["backend"], state.get("next", ""))
        request.session.pop(PENDING_KEY, None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not passed_second_factor(user):
        # Signed in without the second factor (a session from before it existed): step 2 now.
        return Pending(user, request.session.get(BACKEND_SESSION_KEY, ""), "")
    return None


def passed_second_factor(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
