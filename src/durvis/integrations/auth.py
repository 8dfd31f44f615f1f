"""Bearer-token authentication of API clients (B9)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from durvis.integrations.services import api_actor, authenticate


class ApiClientAuth(HttpBearer):
    """`Authorization: Bearer dv_...`: the request acts as the client's `Actor`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        client = authenticate(token)
        if client is None:
            return None
        return api_actor(client, request.META.get("REMOTE_ADDR"))
