"""`record` is called by every service that changes state or lets staff read personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from durvis.audit.models import AuditEvent

if TYPE_CHECKING:
    from durvis.access.policy import Actor
    from durvis.identity.models import Person


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    subject: Person | None = None,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `details` must not hold personal codes (it is shown to administrators)."""
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_id=actor.audit_id,
        actor_institution=actor.institution_code,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        subject_person_id=subject.pk if subject is not None else None,
        purpose=purpose,
        source_address=actor.source_address,
        details=details or {},
    )


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first (for the administration pages)."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-id")
