"""Catalogue writes (A1, A5): `create_service` and `update_service` check the access policy,
write the audit log and reindex the service for search, all in one transaction; the imports of
the pilot catalogue. Reads are in `durvis.catalog.queries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce

from durvis.access.policy import decide
from durvis.audit.services import record
from durvis.catalog.models import (
    Category,
    LifeSituation,
    Service,
    TreeNode,
)
from durvis.catalog.queries import SEARCH_KIND
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.core.concurrency import advance_version
from durvis.identity.models import Institution
from durvis.search import services as search

FIRST_SERVICE_CODE = 1000
TRANSLATED_FIELDS = ("name", "summary", "description")


def next_service_code() -> int:
    """Codes are never reused: the next code follows the highest ever given (services are never
    deleted, so the highest is still in the table)."""
    highest = Service.objects.aggregate(top=Coalesce(Max("code"), FIRST_SERVICE_CODE - 1))["top"]
    return int(highest) + 1


def reindex(service: Service) -> None:
    """Index the service's names and descriptions in every language, its codes and holder."""
    texts: list[str] = [str(service.code), service.pilot_code, service.holder.code]
    for field in TRANSLATED_FIELDS:
        texts.extend(str(getattr(service, f"{field}_{lang}") or "") for lang in ("lv", "en"))
    texts.extend(str(getattr(service.holder, f"name_{lang}") or "") for lang in ("lv", "en"))
    search.index(SEARCH_KIND, service.pk, texts)


@transaction.atomic
def create_service(
    actor: Actor, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> Service:
    """Add a service to the `holder`'s catalogue under the next code (`next_service_code`),
    index it for search and audit it; returns it. `fields` maps model field names to values
    (e.g. `name_lv`, `audience`, `status`); `relations` maps many-to-many names (`providers`,
    `categories`, `life_situations`) to the objects to link. Raises PermissionDenied unless the
    actor is the holder's (pakalpojuma turētājs) institution administrator
    (`CatalogAction.CREATE_SERVICE`, A5), and ValidationError keyed by model field from the
    model's validation (`full_clean`); an unknown field name is a programming error
    (TypeError)."""
    decision = decide(actor, CatalogAction.CREATE_SERVICE, holder)
    if not decision:
        raise PermissionDenied(decision.reason)
    service = Service(holder=holder, code=next_service_code(), **fields)
    service.full_clean()
    service.save()
    _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.create", service, details={"code": service.code})
    return service


@transaction.atomic
def update_service(
    actor: Actor, service: Service, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]],
    *, version: int | None = None,
) -> Service:
    """Change a service's `fields` and `relations` (shapes as in `create_service`) and reindex
    it; the audit event lists the fields and relations that changed, and the service's version
    moves on. `version` is the version the edit form was opened on (None: no form). Raises
    PermissionDenied unless the actor is the administrator of the service's holder
    (`CatalogAction.CHANGE_SERVICE`, A5); StaleVersion (`durvis.core.concurrency`), saving
    nothing, when the service changed after the form was opened (another administrator, another
    tab, an import); and ValidationError keyed by model field from the model's validation
    (nothing is saved then, but the `service` instance keeps the new values); an unknown field
    or relation name is a programming error (AttributeError)."""
    decision = decide(actor, CatalogAction.CHANGE_SERVICE, service)
    if not decision:
        raise PermissionDenied(decision.reason)
    service.version = advance_version(Service.objects.filter(pk=service.pk), version)
    changed = sorted(name for name, value in fields.items() if getattr(service, name) != value)
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()
    changed += _set_relations(service, relations)
    reindex(service)
    record(actor, "catalog.service.update", service, details={"changed": changed})
    return service


def _relations_differ(service: Service, relations: Mapping[str, Iterable[Any]]) -> bool:
    return any({v.pk for v in values} != set(getattr(service, name).values_list("pk", flat=True))
               for name, values in relations.items())


def _set_relations(service: Service, relations: Mapping[str, Iterable[Any]]) -> list[str]:
    changed = []
    for name, values in relations.items():
        manager = getattr(service, name)
        wanted = {v.pk for v in values}
        if wanted != set(manager.values_list("pk", flat=True)):
            manager.set(list(values))
            changed.append(name)
    return changed


@transaction.atomic
def import_service(
    code: int, holder: Institution, fields: dict[str, Any], relations: Mapping[str, Iterable[Any]]
) -> tuple[Service, bool]:
    """Create or update a service under a given code, as a trusted import (demo data, a
    migration from an institution's old catalogue): no access check and no audit event. `fields`
    and `relations` are shaped as in `create_service`. Returns (service, changed); a service
    whose data is unchanged is not written again, a changed one gets its next version (an open
    edit form notices). Raises ValidationError keyed by model field from the model's
    validation."""
    service = Service.objects.select_for_update().filter(code=code).first() or Service(code=code)
    fields = {**fields, "holder": holder}
    changed = service.pk is None or any(getattr(service, k) != v for k, v in fields.items())
    changed = changed or _relations_differ(service, relations)
    if changed:
        for name, value in fields.items():
            setattr(service, name, value)
        if service.pk is not None:
            service.version += 1  # the row is locked (select_for_update above)
        service.full_clean(validate_unique=True)
        service.save()
        _set_relations(service, relations)
        reindex(service)
    return service, changed


@transaction.atomic
def import_tree_node(
    model: type[Category] | type[LifeSituation], slug: str, fields: dict[str, Any], parent: Any,
) -> TreeNode:
    """Create or update a category or life situation by slug (trusted import)."""
    node, _ = model.objects.update_or_create(slug=slug, defaults={**fields, "parent": parent})
    return node
