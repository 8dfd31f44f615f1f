"""What an API client can ask about itself (B9)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from durvis.core.api import ErrorOut
from durvis.integrations.http import ApiClientAuth, actor_of

router = Router(tags=["integration"], auth=ApiClientAuth())


class WhoAmI(Schema):
    client_id: int
    institution: str
    operations: list[str]
    service_ids: list[int] | None


@router.get("/whoami", response={200: WhoAmI, 401: ErrorOut},
            summary="The calling client, its institution and scopes")
def whoami(request: HttpRequest) -> dict[str, Any]:
    """Lets a system check its token and scopes before it starts work."""
    grant = actor_of(request).api
    assert grant is not None
    return {"client_id": grant.client_id, "institution": grant.institution_code,
            "operations": sorted(grant.operations),
            "service_ids": sorted(grant.service_ids) if grant.service_ids is not None else None}
