"""Every page knows whether a client is signed in and in which role (shown in the header), how
many messages of the role the signed-in person has not read (the e-account's navigation, A2,
C1), and whether they may act in the role's name alone (C1, A12: a company's representative
who may act only jointly sees why not). Both are read only by a page that shows them."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from durvis.access.policy import decide
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.messaging import queries as messaging_queries
from durvis.web.roles import available_roles, current_role


def client(request: HttpRequest) -> dict[str, Any]:
    role = current_role(request)
    if role is None:
        return {"client_role": None}
    me = request._durvis_person  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    return {"client_role": role, "client_person": me,
            "client_roles": SimpleLazyObject(lambda: available_roles(me)),
            # Callables (a template calls them), asked once per request at most.
            "client_unread": cache(lambda: messaging_queries.unread_count(actor, role.client)),
            # Truthy when the person may act in the role's name; else its `explanation`.
            "client_acts": cache(
                lambda: decide(actor, IdentityAction.CLIENT_WRITE, client=role.client))}
