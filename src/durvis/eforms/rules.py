"""Access rules of e-forms (A10, A5): who builds a service's form. Registered into the one
policy (`durvis.access.policy`) when the app loads.

The holder builds and maintains the e-forms of its services (seed 4.3.5, "the holder builds and
maintains the e-forms for application and result delivery"): staff of the holder institution
with the form-builder role, which the institution's administrator grants. Another institution's
services are refused, whatever the role.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.identity.models import StaffRole


class FormAction(StrEnum):
    # obj = the catalogue Service whose form is built, or None: may the actor open the builder.
    BUILD = "eforms.build"


def _buildable(actor: Actor, client: Any) -> Q:
    """The services whose forms the actor builds: their institution's, if a form builder."""
    if actor.staff is None or not actor.has_role(StaffRole.FORM_BUILDER):
        return Q(pk__in=[])
    return Q(holder_id=actor.institution_id)


@rule(FormAction.BUILD, list_filter=_buildable)
def build(actor: Actor, service: Any, client: Any) -> Decision:
    """A form builder of the holder institution builds, previews, publishes and retires the
    e-forms of its services (A10, A5); without a service: whether they may open the builder."""
    if actor.staff is None or not actor.has_role(StaffRole.FORM_BUILDER):
        return deny("not a form builder")
    if service is None:
        return ALLOW
    if not isinstance(service, Service):
        return deny("not a service")
    if service.holder_id == actor.institution_id:
        return ALLOW
    return deny("a service of another institution")
