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

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.core.registry import Registry
from durvis.identity import services as identity
from durvis.identity.models import Company, Person, StaffMember
from durvis.identity.national import SignedInIdentity, SignInRole
from durvis.identity.queries import staff_of

PERSON_KEY = "durvis.client.person"
METHOD_KEY = "durvis.client.method"
# The role the national sign-in asked for first (a company or a represented person), read once
# by the e-account to start in that role.
INITIAL_ROLE_KEY = "durvis.client.initial_role"


def start(request: HttpRequest, identity: SignedInIdentity, *, keep: Iterable[str] = ()) -> None:
    """Sign the person in: a fresh session key, the clocks started, the sign-in audited. `keep`
    names session keys carried into the new session (the other sign-ins this browser has under
    way, in another tab); everything else goes."""
    carried = {key: request.session[key] for key in keep if key in request.session}
    request.session.flush()
    request.session.cycle_key()
    rotate_token(request)  # a form another tab opened before this sign-in is not sent as this person
    request.session.update(carried)
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


# The longest return address kept (a bookmarked, filtered history is far shorter).
RETURN_ADDRESS_MAX = 512


def return_address(url: str) -> str:
    """`url` if it is a path on this site to return to after a sign-in, or "" for anything else:
    an absolute address (of this site too), a scheme-relative one (`//evil.example`), a
    backslash or control character, or one over RETURN_ADDRESS_MAX characters. Against open
    redirects (A12), for every sign-in, the clients' and the staff's."""
    if (not url.startswith("/") or len(url) > RETURN_ADDRESS_MAX
            or any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in url)
            or not url_has_allowed_host_and_scheme(url, allowed_hosts=None)):
        return ""
    return url


def signed_in_person(request: HttpRequest) -> Person | None:
    """The person of this session, or None. Cached on the request."""
    if not hasattr(request, "_durvis_person"):
        person_id = request.session.get(PERSON_KEY) if hasattr(request, "session") else None
        person = Person.objects.filter(pk=person_id).first() if person_id else None
        request._durvis_person = person  # type: ignore[attr-defined]
    return request._durvis_person  # type: ignore[attr-defined,no-any-return]


def end(request: HttpRequest) -> None:
    """Sign out: the whole session goes, and so does the CSRF token: a form left open in
    another tab cannot be sent by whoever signs in next on this browser (a shared computer)."""
    request.session.flush()
    rotate_token(request)
    request._durvis_person = None  # type: ignore[attr-defined]


def actor_from_request(request: HttpRequest) -> Actor:
    """The actor behind a page request. Staff come from the session's user, and only after both
    sign-in factors (A12: a session that passed the password alone is no one's); persons
    (citizens) from the e-account sign-in (`client_session`); anybody else is anonymous."""
    address = request.META.get("REMOTE_ADDR")
    staff = _staff_of(request)
    if staff is not None and passed_second_factor(request.user):
        return Actor(kind="staff", staff=staff, source_address=address)
    person = signed_in_person(request)
    if person is not None:
        return Actor(kind="person", person=person, source_address=address)
    return Actor(source_address=address)


def _staff_of(request: HttpRequest) -> StaffMember | None:
    """The staff record of the request's user, read once per request and user (a page asks
    for the actor in the view, the header and the role switch: one query, not four)."""
    user = request.user
    key = getattr(user, "pk", None) if user.is_authenticated else None
    kept = getattr(request, "_durvis_staff", None)
    if kept is None or kept[0] != key:
        kept = (key, staff_of(user))
        request._durvis_staff = kept  # type: ignore[attr-defined]
    return kept[1]


@dataclass(frozen=True)
class ActingClientSource:
    """Where pages below the e-account learn whose client the signed-in person acts for now:
    the role switch, which the e-account registers (`durvis.web.roles.current_role`, checked
    against the policy on every request). `client_of(request)` gives the Person or Company, or
    None when nobody signed in acts for anyone."""

    key: str
    client_of: Callable[[HttpRequest], Person | Company | None]


ACTING_CLIENT: Registry[ActingClientSource] = Registry("acting client of a page request")


def acting_client(request: HttpRequest) -> Person | Company | None:
    """The client the signed-in person acts for in this request (their active role: themself,
    a minor child, a company, a grantor by mandate), from the registered source; None without
    a signed-in person or a source (A1: the catalogue pages show what that client may use)."""
    for source in ACTING_CLIENT:
        client = source.client_of(request)
        if client is not None:
            return client
    return None


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
    rotate_token(request)


# --- Staff: the password passed, the second factor owed (A12) ------------------------------------
#
# Each staff sign-in under way is one flow: who passed the password, when, and where to return.
# The session keeps them by a random flow id, which the second step's address carries
# (`?flow=`), so that two sign-ins in two tabs of one browser each return where they were asked
# to (and check the code of their own user), whichever finishes first.

PENDING_KEY = "durvis.signin"
PENDING_SECONDS = 10 * 60
MAX_PENDING = 4
FLOW_PARAM = "flow"
CODE_STEP = "staff-login-code"
ENROL_STEP = "staff-login-enrol"


@dataclass(frozen=True)
class Pending:
    """Someone who passed the password step and owes the second factor; `flow` names the sign-in
    ("" for a session signed in before the second factor existed)."""

    user: Any
    backend: str
    next: str
    flow: str = ""


def begin_pending(request: HttpRequest, user: Any, backend: str, next_url: str) -> str:
    """Remember that `user` passed the password step, beside the other sign-ins under way; the
    new flow's id, for the second step's address."""
    flows = _live_flows(request.session, MAX_PENDING - 1)
    flow = secrets.token_urlsafe(12)
    flows[flow] = {"user": user.pk, "backend": backend, "started": time.time(),
                   "next": return_address(next_url)}
    request.session[PENDING_KEY] = flows
    return flow


def end_pending(request: HttpRequest, flow: str | None = None) -> None:
    """Forget one sign-in under way (the one finished), or all of them (flow=None)."""
    if flow is None:
        request.session.pop(PENDING_KEY, None)
        return
    flows = _live_flows(request.session)
    flows.pop(flow, None)
    if flows:
        request.session[PENDING_KEY] = flows
    else:
        request.session.pop(PENDING_KEY, None)


def step_url(step: str, flow: str) -> str:
    """The address of a second step (CODE_STEP or ENROL_STEP) of a flow."""
    return f"{reverse(step)}?{urlencode({FLOW_PARAM: flow})}" if flow else reverse(step)


def next_step(request: HttpRequest) -> str | None:
    """The URL name of the step that a request short of a full sign-in goes to: the code (or the
    enrolment) for someone who passed the password, None (the password) for anybody else."""
    pending = pending_sign_in(request)
    if pending is None:
        return None
    return CODE_STEP if identity.totp_device(pending.user) else ENROL_STEP


def pending_sign_in(request: HttpRequest) -> Pending | None:
    """Who passed the staff password step and owes the second factor, if anybody: in the flow
    that the request names (`?flow=`), or else in the newest one."""
    flows = _live_flows(request.session)
    # The flow the step's address names; without one (a page behind the sign-in sent a
    # half-signed-in browser here), the newest. A named flow that is gone is nobody's.
    name = request.GET.get(FLOW_PARAM) or next(reversed(flows), "")
    state = flows.get(name)
    if state is not None:
        user = get_user_model()._default_manager.filter(pk=state["user"], is_active=True).first()
        if user is not None:
            return Pending(user, state["backend"], state.get("next", ""), name)
        end_pending(request, name)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not passed_second_factor(user):
        # Signed in without the second factor (a session from before it existed): step 2 now.
        return Pending(user, request.session.get(BACKEND_SESSION_KEY, ""), "")
    return None


def _live_flows(session: Any, limit: int = MAX_PENDING) -> dict[str, dict[str, Any]]:
    """The session's staff sign-ins under way that started within PENDING_SECONDS, oldest
    first, the newest `limit` of them."""
    stored = session.get(PENDING_KEY)
    if not isinstance(stored, dict):
        return {}
    now = time.time()
    live = sorted(((name, state) for name, state in stored.items()
                   if isinstance(state, dict) and "user" in state
                   and now - state.get("started", 0) <= PENDING_SECONDS),
                  key=lambda item: item[1]["started"])
    return dict(live[-limit:]) if limit > 0 else {}


def passed_second_factor(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
