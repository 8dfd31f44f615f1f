"""The workflows' subscribers: a case registered on the platform starts on the live workflow of
the institution that registered it, or of its holder (B2: "an application submitted on the
platform for a holder without a back-office system starts one"); a case settled outside its
workflow (a result handed out at the counter, a withdrawal) closes its open tasks; the notices of a task
close to its time or escalated to the assignee and the team's leads (B7)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_lazy

from durvis.core.events import Event, subscriber
from durvis.identity.models import StaffMember
from durvis.integrations.services import enqueue_notification
from durvis.register.events import CASE_REGISTERED, CASE_STATUS_CHANGED
from durvis.register.models import ServiceCase
from durvis.workflows.events import TASK_ESCALATED, TASK_WARNING
from durvis.workflows.services import SETTLED, close_settled, start_cases


@subscriber(CASE_REGISTERED, "workflows.start_case")
def start_registered_cases(events: Sequence[Event]) -> None:
    ids = [e.payload["case_id"] for e in events]
    start_cases(list(ServiceCase.objects.filter(pk__in=ids).select_related("client_person")))


@subscriber(CASE_STATUS_CHANGED, "workflows.close_settled")
def close_settled_cases(events: Sequence[Event]) -> None:
    close_settled([(e.payload["case_id"], datetime.datetime.fromisoformat(e.payload["status_at"]))
                   for e in events
                   if e.payload.get("status_moved") and e.payload["status"] in SETTLED])


@subscriber(TASK_WARNING, "workflows.notify_warning")
def notify_warning(events: Sequence[Event]) -> None:
    """The assignee (or, for a queued task, the team's leads) is told by e-mail that the task's
    time runs out soon."""
    _notify(events, lambda p: [p["assignee_id"]] if p["assignee_id"] else p["lead_ids"],
            gettext_lazy("Task of case %(number)s: its time runs out at %(due)s"))


@subscriber(TASK_ESCALATED, "workflows.notify_escalation")
def notify_escalation(events: Sequence[Event]) -> None:
    """The assignee and the team's leads are told by e-mail that the task was escalated (B7)."""
    _notify(events, lambda p: [*([p["assignee_id"]] if p["assignee_id"] else []),
                               *p["lead_ids"]],
            gettext_lazy("Task of case %(number)s is escalated (its time: %(due)s)"))


def _notify(events: Sequence[Event], recipients: Any, subject: Any) -> None:
    """One e-mail per recipient and event, in Latvian (the staff's working language), through
    the outbox; a staff member without an e-mail address is skipped."""
    wanted = {e.id: list(dict.fromkeys(recipients(e.payload))) for e in events}
    people = {m.pk: m for m in StaffMember.objects.filter(
        pk__in={i for ids in wanted.values() for i in ids}).select_related("user")}
    base = str(settings.DURVIS_PUBLIC_URL).rstrip("/")
    with translation.override("lv"):
        for event in events:
            payload = event.payload
            due = payload["resolution_due"] or ""
            if due:
                due = formats.date_format(timezone.localtime(
                    datetime.datetime.fromisoformat(due)), "SHORT_DATETIME_FORMAT")
            title = str(subject) % {"number": payload["number"], "due": due}
            link = base + reverse("administration:task", args=[payload["task_id"]])
            opening = gettext("Open the task")
            body = f"{title}\n\n{opening}: {link}\n"
            for pk in wanted[event.id]:
                member = people.get(pk)
                if member is not None and member.user.email:
                    enqueue_notification("email", member.user.email, event.name, title, body)
