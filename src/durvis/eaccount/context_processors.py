"""Every page knows whether a client is signed in and in which role (shown in the header)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from durvis.web.roles import available_roles, current_role


def client(request: HttpRequest) -> dict[str, Any]:
    role = current_role(request)
    if role is None:
        return {"client_role": None}
    me = request._durvis_person  # type: ignore[attr-defined]
    return {"client_role": role, "client_person": me,
            "client_roles": SimpleLazyObject(lambda: available_roles(me))}
