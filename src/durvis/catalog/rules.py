"""Access rules of the service catalogue (A1, A5): who sees a service, who adds and changes
one. Registered into the one policy (`durvis.access.policy`) when the app loads."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Audience, Service, ServiceStatus
from durvis.core.actor import Actor
from durvis.identity.models import Institution, StaffRole
from durvis.identity.rules import is_institution_admin_of


class CatalogAction(StrEnum):
    VIEW_SERVICE = "catalog.view_service"
    CREATE_SERVICE = "catalog.create_service"
    CHANGE_SERVICE = "catalog.change_service"
    ADMINISTER_CATALOG = "catalog.administer"
    MANAGE_ESERVICES = "catalog.manage_eservices"
    # obj = the Service (None: may the actor open the delegations page): hand its stages to
    # providers and end such delegations (A1, B3; issue 16).
    MANAGE_DELEGATIONS = "catalog.manage_delegations"
    # obj = None: keep the search's synonyms and everyday words (A1, A13; issue 19).
    MANAGE_SYNONYMS = "catalog.manage_synonyms"


def _viewable(actor: Actor, client: Any) -> Q:
    """Published services (internal ones for staff only), and an administrator's own
    institution's services whatever their state."""
    published = Q(status=ServiceStatus.PUBLISHED)
    q = published if actor.staff is not None else published & ~Q(audience=Audience.INTERNAL)
    if actor.staff is not None and actor.has_role(StaffRole.INSTITUTION_ADMIN):
        q |= Q(holder_id=actor.institution_id)
    return q


@rule(CatalogAction.VIEW_SERVICE, list_filter=_viewable)
def view_service(actor: Actor, service: Any, client: Any) -> Decision:
    """Anybody sees a published service, only employees an internal one; a draft or withdrawn
    service only its holder's administrators (A1)."""
    if not isinstance(service, Service):
        return deny("not a service")
    if service.status == ServiceStatus.PUBLISHED:
        if service.audience != Audience.INTERNAL:
            return ALLOW
        return ALLOW if actor.staff else deny("internal services are for employees")
    if is_institution_admin_of(actor, service.holder_id):
        return ALLOW
    return deny("not published")


@rule(CatalogAction.CREATE_SERVICE)
def create_service(actor: Actor, institution: Any, client: Any) -> Decision:
    """Only an institution's administrator adds services to its catalogue (A5)."""
    if not isinstance(institution, Institution):
        return deny("not an institution")
    if is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator adds its services")


@rule(CatalogAction.CHANGE_SERVICE)
def change_service(actor: Actor, service: Any, client: Any) -> Decision:
    """Only the holder institution's administrator changes a service (A5)."""
    if not isinstance(service, Service):
        return deny("not a service")
    if is_institution_admin_of(actor, service.holder_id):
        return ALLOW
    return deny("only the holder institution's administrator changes a service")


@rule(CatalogAction.ADMINISTER_CATALOG)
def administer_catalog(actor: Actor, obj: Any, client: Any) -> Decision:
    """Institution administrators open the catalogue administration."""
    if actor.has_role(StaffRole.INSTITUTION_ADMIN):
        return ALLOW
    return deny("not an institution administrator")


@rule(CatalogAction.MANAGE_ESERVICES)
def manage_eservices(actor: Actor, institution: Any, client: Any) -> Decision:
    """Only an institution's administrator registers its e-services for single sign-on and the
    web sites that may embed its forms (A12, A10); an e-service or origin of another institution
    is not theirs."""
    if not isinstance(institution, Institution):
        return deny("not an institution")
    if is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator manages its e-services")


@rule(CatalogAction.MANAGE_DELEGATIONS)
def manage_delegations(actor: Actor, service: Any, client: Any) -> Decision:
    """Only the holder institution's administrator hands a service's stages to providers and
    ends such delegations (seed 4.3, G01); without a service: whether they may open the page
    (any institution's administrator: a provider's sees what was delegated to it)."""
    if service is None:
        if actor.has_role(StaffRole.INSTITUTION_ADMIN):
            return ALLOW
        return deny("not an institution administrator")
    if not isinstance(service, Service):
        return deny("not a service")
    if is_institution_admin_of(actor, service.holder_id):
        return ALLOW
    return deny("only the holder institution's administrator delegates its stages")


def is_central_editor(actor: Actor) -> bool:
    """The catalogue's central editor: an editor (a knowledge editor) or the platform
    administrator of the platform's operator (`DURVIS_CATALOG_CENTRAL_INSTITUTION`, default
    `VDAA`), who keep what is common to every institution's services."""
    return (actor.staff is not None
            and actor.institution_code == str(settings.DURVIS_CATALOG_CENTRAL_INSTITUTION)
            and bool(actor.roles & {StaffRole.KNOWLEDGE_EDITOR, StaffRole.PLATFORM_ADMIN}))


@rule(CatalogAction.MANAGE_SYNONYMS)
def manage_synonyms(actor: Actor, obj: Any, client: Any) -> Decision:
    """Only the catalogue's central editor keeps the search's synonyms and everyday words:
    they apply to every institution's services and every index (issue 19)."""
    if is_central_editor(actor):
        return ALLOW
    return deny("only the catalogue's central editor keeps the synonyms")
