"""Reads of the activity log for the people it is about (B4, B5, A2): "who used my data".

Every service that lets staff or an institution's system read or change a person's data records
an event with the person as its subject (`services.record`). The person (or a parent for a
minor) reads those events back: when, which institution and whether a person at it or its
system, what was done (the label the recording app declared with `declare_use`), for what
purpose and about which case. The employee's name is not shown (the platform keeps it for the
institution's own review). The person's own actions and the platform's background work are not
"use by others" and are left out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from durvis.audit.models import AuditEvent
from durvis.core.registry import Registry

# Those whose use of a person's data the person is shown: an institution's staff and systems,
# and the platform's operators (commands run on the server).
OTHERS = ("staff", "api_client", "operator")
GENERIC_USE = _("Used your data")


@dataclass(frozen=True)
class DataUse:
    """What an audited `action` (its `key`) did with a person's data, as the person reads it."""

    key: str
    label: Promise


DATA_USES: Registry[DataUse] = Registry("uses of personal data")


def declare_use(action: str, label: Promise) -> str:
    """Declare how the person reads the audited `action` about them ("Read your case"), in the
    app that records it (its `rules.py`); returns `action`. Raises ImproperlyConfigured for an
    action declared twice."""
    DATA_USES.register(DataUse(action, label))
    return action


@dataclass(frozen=True)
class Purpose:
    """A purpose a read of personal data is recorded with (its `key`, the stored text), as the
    person reads it."""

    key: str
    label: Promise


PURPOSES: Registry[Purpose] = Registry("purposes of reading personal data")


def declare_purpose(key: str, label: Promise) -> str:
    """Declare how the person reads a purpose recorded with a read of their data, in the app
    that reads (its `rules.py`); returns `key`, the text to record. Raises
    ImproperlyConfigured for a purpose declared twice."""
    PURPOSES.register(Purpose(key, label))
    return key


def purpose_of(key: str) -> Promise | str:
    """The person's text of a recorded purpose: its label if declared, else the text as
    recorded (a free text an employee typed), "" for none."""
    try:
        return PURPOSES.get(key).label
    except KeyError:
        return key


def label_of(action: str) -> Promise:
    """The person's label of an audited action; a generic one for an undeclared action."""
    try:
        return DATA_USES.get(action).label
    except KeyError:
        return GENERIC_USE


@dataclass(frozen=True)
class Use:
    """One use of a person's data by others: `at` (aware datetime), the acting institution's
    code and whether its system (`by_system`) or a person there acted, the label, the purpose
    recorded, the object (`object_type` `app.model`, `object_id`) and `details` (the recording
    app's; a case number under `case` where it gave one)."""

    id: int
    at: Any
    institution_code: str
    by_system: bool
    label: Promise
    purpose: Promise | str
    object_type: str
    object_id: str
    details: dict[str, Any]
    service_point: str = ""


def uses_of(person_id: int | None = None, *, company_id: int | None = None,
            before: int | None = None, limit: int = 50) -> list[Use]:
    """The newest `limit` uses of the data of person `person_id` (or of company `company_id`)
    by institutions' staff and systems, newest first, each with the service point the staff
    member worked at; `before`: only those older than that use's `id` (the next page). Reads
    the subject's index, so a page costs the same however long the log. The caller has
    decided that the reader may see them (`identity` rule `client.see_data_use`)."""
    rows = (AuditEvent.objects.filter(subject_company_id=company_id, actor_kind__in=OTHERS)
            if company_id is not None else
            AuditEvent.objects.filter(subject_person_id=person_id, actor_kind__in=OTHERS))
    if before is not None:
        rows = rows.filter(id__lt=before)
    return [Use(e.id, e.occurred_at, e.actor_institution, e.actor_kind == "api_client",
                label_of(e.action), purpose_of(e.purpose), e.object_type, e.object_id, e.details,
                e.service_point)
            for e in rows.order_by("-id")[:limit]]


def count_since(action: str, subject_person_id: int, since: Any) -> int:
    """How many events of `action` about the person were recorded since `since` (an aware
    datetime), by anybody: a limit that holds across sessions and staff (three failed checks of
    a caller close the check for everybody, `administration.clients`)."""
    return AuditEvent.objects.filter(action=action, subject_person_id=subject_person_id,
                                     occurred_at__gte=since).count()


def flagged_among(event_ids: Collection[int]) -> set[int]:
    """Which of these events (uses shown to a person) were flagged for the institution's
    review: one query for a page."""
    from durvis.audit.models import FlaggedUse

    return set(FlaggedUse.objects.filter(event_id__in=set(event_ids))
               .values_list("event_id", flat=True))
