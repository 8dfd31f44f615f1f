"""Workflows, teams and tasks (B2, B3, B7; issue 16).

A provider institution keeps, per service it handles, one `Workflow` in versions: a
`WorkflowVersion` holds the definition (`definition.py`, `durvis-workflow/1`) and is never
changed once published; a new version serves the cases that start after it, and a running case
stays on the version its first task was made from (seed: workflows are kept by the provider,
4.3.5 line 2172).

A `Task` is one case's stay at one step: queued at an institution (and a team of it), for a
role, taken by an assignee or waiting in the queue, with the times its step allows fixed when it
was made (`first_response_due`, `resolution_due`, `warn_at`: computed once by the business
calendar, so that finding the late ones is an indexed query). Every move is a `TaskEvent` (the
case's workflow history) and an audit row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Service
from durvis.identity.models import Institution, StaffMember
from durvis.register.models import ServiceCase


class Team(models.Model):
    """A team of an institution's staff with its own queue (front office, second level, the
    lawyers); `leads` are its supervisors, who get escalations."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="teams")
    key = models.SlugField(_("key"), max_length=40)
    name_lv = models.CharField(_("name in Latvian"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    members = models.ManyToManyField(StaffMember, related_name="teams", blank=True)
    leads = models.ManyToManyField(StaffMember, related_name="led_teams", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "key"], name="team_key")]

    def __str__(self) -> str:
        return f"{self.institution.code}/{self.key}"


class Workflow(models.Model):
    """A provider's workflow for one service; `retired_at` set: no new case starts on it."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="workflows")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="workflows")
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["institution", "service"], condition=Q(retired_at__isnull=True),
            name="one_live_workflow")]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.service.code} {self.name}"


class WorkflowVersion(models.Model):
    """One published, unchangeable version of a workflow's definition."""

    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "number"],
                                               name="workflow_version_number")]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number}"


class TaskState(models.TextChoices):
    QUEUED = "queued", _("Waiting in the queue")
    TAKEN = "taken", _("Being worked on")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (TaskState.QUEUED, TaskState.TAKEN)


class Task(models.Model):
    case = models.ForeignKey(ServiceCase, on_delete=models.PROTECT, related_name="tasks")
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="tasks")
    step = models.CharField(max_length=40)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="tasks")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="tasks")
    role = models.CharField(max_length=20)
    # The stage of the service's delivery the step belongs to (`catalog.models.Stage`).
    stage = models.CharField(max_length=20, default="execution")
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.QUEUED)
    assignee = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="tasks")
    created_at = models.DateTimeField()
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the current assignee got it: their working time runs from here (D2).
    taken_at = models.DateTimeField(null=True, blank=True)
    version_no = models.PositiveIntegerField(default=0)  # moved on by every change

    class Meta:
        indexes = [
            # A queue: an institution's waiting tasks in the order the page shows them (the most
            # urgent first), so a page reads its rows and stops; the team and the role ride along
            # so that counting the tasks a person may take reads the index alone.
            models.Index(fields=["institution", "resolution_due", "id"], name="task_queue",
                         include=["team", "role"], condition=Q(state="queued")),
            models.Index(fields=["assignee", "resolution_due"], name="task_mine",
                         condition=Q(state="taken")),
            # The scheduler's scans: open tasks past their time, not yet escalated or warned.
            models.Index(fields=["resolution_due"], name="task_escalation_due",
                         condition=Q(state__in=("queued", "taken"), escalated_at__isnull=True,
                                     resolution_due__isnull=False)),
            models.Index(fields=["warn_at"], name="task_warning_due",
                         condition=Q(state__in=("queued", "taken"), warned_at__isnull=True,
                                     warn_at__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(state__in=("queued", "taken")),
                                    name="one_open_task_per_case"),
            models.CheckConstraint(condition=Q(state="queued", assignee__isnull=True)
                                   | ~Q(state="queued"), name="queued_task_unassigned"),
            models.CheckConstraint(condition=Q(state="taken", assignee__isnull=False)
                                   | ~Q(state="taken"), name="taken_task_assigned"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.step} ({self.state})"


class TaskEventKind(models.TextChoices):
    CREATED = "created", _("Queued")
    TAKEN = "taken", _("Taken")
    RELEASED = "released", _("Put back in the queue")
    HANDED_OVER = "handed_over", _("Handed over")
    MOVED = "moved", _("Moved on")
    WARNED = "warned", _("Close to its time")
    ESCALATED = "escalated", _("Escalated")
    CANCELLED = "cancelled", _("Cancelled")


class TaskEvent(models.Model):
    """One move of a task: who (`actor_id`, the audit log's form; empty for the scheduler),
    when, from and to whom or which step, and the comment."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=TaskEventKind.choices)
    at = models.DateTimeField()
    actor_id = models.CharField(max_length=64, blank=True)
    staff = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    to_staff = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    to_step = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
