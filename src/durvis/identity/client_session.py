"""The signed-in client's session (A12): who signed in through the national sign-in, and how.

Citizens are not Django users: their session holds the person's id and the sign-in details,
nothing else. Starting a session cycles the session key (no fixation) and is audited.
`durvis.access.policy.actor_from_request` reads it; the e-account reads the role from
`durvis.eaccount.roles`.
"""

from __future__ import annotations

from django.http import HttpRequest

from durvis.administration.middleware import mark_signed_in
from durvis.audit.services import record
from durvis.identity.models import Person
from durvis.identity.national import SignedInIdentity, SignInRole

PERSON_KEY = "durvis.client.person"
METHOD_KEY = "durvis.client.method"
# The role the national sign-in asked for first (a company or a represented person), read once
# by the e-account to start in that role.
INITIAL_ROLE_KEY = "durvis.client.initial_role"


def start(request: HttpRequest, identity: SignedInIdentity) -> None:
    """Sign the person in: a fresh session key, the clocks started, the sign-in audited."""
    from durvis.access.policy import Actor

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
