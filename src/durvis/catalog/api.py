"""Catalogue API (C4): services, categories, life situations and institutions, read-only.

Every error is `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`, the same shape as the
framework's validation errors, so a client handles one format.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from durvis.catalog import queries as catalog_queries
from durvis.catalog.models import Category, LifeSituation, Service
from durvis.core.api import ApiError, ErrorOut
from durvis.identity.models import Institution

router = Router(tags=["catalogue"])

SLUG = r"^[a-z0-9][a-z0-9-]{0,79}$"
INSTITUTION_CODE = r"^[A-Za-z0-9_.-]{1,20}$"
MAX_SERVICE_CODE = 2_147_483_647


class InstitutionRef(Schema):
    code: str
    name: str


class InstitutionOut(InstitutionRef):
    kind: str
    parent: str | None


class TreeNodeOut(Schema):
    slug: str
    name: str
    description: str
    parent: str | None


class ServiceItem(Schema):
    code: int
    pilot_code: str | None
    name: str
    summary: str
    holder: InstitutionRef
    audience: str
    municipality: InstitutionRef | None
    fee_kind: str
    fee_amount: Decimal | None
    url: str


class DelegationOut(Schema):
    provider: InstitutionRef
    stage: Literal["information", "application", "execution", "result_delivery"] = Field(
        description="The stage the holder delegated: information (consultations), application, "
                    "execution, result delivery")
    valid_from: date
    valid_until: date | None = Field(description="The last day it holds (included); "
                                                 "null: until ended")


class ServiceDetail(ServiceItem):
    description: str
    providers: list[InstitutionRef] = Field(
        description="Every institution with a delegation of any stage in force today "
                    "(derived from `delegations`)")
    delegations: list[DelegationOut] = Field(
        description="Who besides the holder does which stage of the service, in force today or "
                    "to begin later (A1)")
    categories: list[str]
    life_situations: list[str]
    application_channels: list[str]
    result_channels: list[str]
    processing_days: int | None
    legal_acts: list[str]


class ServicePage(Schema):
    items: list[ServiceItem]
    count: int


class ServiceQuery(Schema):
    q: str = Field("", max_length=200, description="Search text (with or without diacritics)")
    category: str | None = Field(None, pattern=SLUG, description="Category slug (and below)")
    life_situation: str | None = Field(None, pattern=SLUG, description="Life situation slug")
    holder: str | None = Field(None, pattern=INSTITUTION_CODE, description="Holder's code")
    audience: Literal["residents", "companies", "internal"] | None = None
    municipality: str | None = Field(None, pattern=INSTITUTION_CODE,
                                     description="Municipality code: its own services only")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


def _institution_ref(institution: Institution | None) -> dict[str, str] | None:
    if institution is None:
        return None
    return {"code": institution.code, "name": institution.name}


def _item(service: Service) -> dict[str, object]:
    return {
        "code": service.code,
        "pilot_code": service.pilot_code or None,
        "name": service.name,
        "summary": service.summary,
        "holder": _institution_ref(service.holder),
        "audience": service.audience,
        "municipality": _institution_ref(service.municipality),
        "fee_kind": service.fee_kind,
        "fee_amount": service.fee_amount,
        "url": reverse("catalog:service", args=[service.code]),
    }


# What an unknown value of a filter is told, in the request's language.
UNKNOWN = {"category": gettext_lazy("No category has this slug."),
           "life_situation": gettext_lazy("No life situation has this slug."),
           "holder": gettext_lazy("No institution has this code."),
           "municipality": gettext_lazy("No institution has this code.")}


def _lookup(model: type[models.Model], field: str, value: str | None, key: str = "slug") -> Any:
    if value is None:
        return None
    found = model._default_manager.filter(**{key: value}).first()
    if found is None:
        raise ApiError(422, ["query", field], str(UNKNOWN[field]), "unknown_value")
    return found


@router.get("/services", response={200: ServicePage, 422: ErrorOut}, summary="Find services")
def list_services(request: HttpRequest, query: Query[ServiceQuery]) -> dict[str, object]:
    """Published services visible to the caller, best search matches first, then by code."""
    municipality = _lookup(Institution, "municipality", query.municipality, "code")
    if municipality is not None and municipality.kind != Institution.Kind.MUNICIPALITY:
        raise ApiError(422, ["query", "municipality"],
                       _("This institution is not a municipality."), "unknown_value")
    filters = catalog_queries.ServiceFilters(
        query=query.q,
        category=_lookup(Category, "category", query.category),
        life_situation=_lookup(LifeSituation, "life_situation", query.life_situation),
        holder=_lookup(Institution, "holder", query.holder, "code"),
        audience=query.audience,
        municipality=municipality,
    )
    context = catalog_queries.context_of_request(request)
    services = catalog_queries.find_services(filters, context)
    page = services[query.offset : query.offset + query.limit]
    return {"items": [_item(s) for s in page], "count": services.count()}


@router.get("/services/{code}", response={200: ServiceDetail, 404: ErrorOut, 422: ErrorOut},
            summary="One service")
def get_service(request: HttpRequest, code: int) -> dict[str, object]:
    if not 1 <= code <= MAX_SERVICE_CODE:
        raise ApiError(404, ["path", "code"], _("No published service with this code."),
                       "not_found")
    context = catalog_queries.context_of_request(request)
    service = catalog_queries.service_by_code(code, context)
    if service is None:
        raise ApiError(404, ["path", "code"], _("No published service with this code."),
                       "not_found")
    return {
        **_item(service),
        "description": service.description,
        "providers": [_institution_ref(p) for p in catalog_queries.providers_of(service)],
        "delegations": [{"provider": _institution_ref(d.provider), "stage": d.stage,
                         "valid_from": d.valid_from, "valid_until": d.valid_until}
                        for d in catalog_queries.current_delegations(service)],
        "categories": [c.slug for c in service.categories.all()],
        "life_situations": [s.slug for s in service.life_situations.all()],
        "application_channels": service.application_channels,
        "result_channels": service.result_channels,
        "processing_days": service.processing_days,
        "legal_acts": service.legal_act_list,
    }


def _tree(nodes: Sequence[Category | LifeSituation]) -> list[dict[str, object]]:
    slugs = {n.pk: n.slug for n in nodes}
    return [
        {"slug": n.slug, "name": n.name, "description": n.description,
         "parent": slugs.get(n.parent_id) if n.parent_id else None}
        for n in nodes
    ]


@router.get("/categories", response=list[TreeNodeOut], summary="Service categories (a tree)")
def list_categories(request: HttpRequest) -> list[dict[str, object]]:
    return _tree(list(catalog_queries.categories()))


@router.get("/life-situations", response=list[TreeNodeOut], summary="Life situations (a tree)")
def list_life_situations(request: HttpRequest) -> list[dict[str, object]]:
    return _tree(list(catalog_queries.life_situations()))


@router.get("/institutions", response=list[InstitutionOut], summary="Institutions")
def list_institutions(request: HttpRequest) -> list[dict[str, object]]:
    institutions = list(catalog_queries.institutions())
    codes = {i.pk: i.code for i in institutions}
    return [
        {"code": i.code, "name": i.name, "kind": i.kind,
         "parent": codes.get(i.parent_id) if i.parent_id else None}
        for i in institutions
    ]
