"""Workflow reads (B3): a staff member's queue and own tasks, one task with its step and
history, and the colleagues a task may be handed to. Lists show case numbers, services and
times, never a client's name; opening a task reads the case through the register (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from durvis.access.policy import decide
from durvis.core.actor import Actor
from durvis.identity.models import StaffMember
from durvis.identity.rules import is_institution_admin_of
from durvis.workflows import definition as wf
from durvis.workflows.models import (
    OPEN_STATES,
    Task,
    TaskEvent,
    TaskState,
    Team,
    WorkflowVersion,
)
from durvis.workflows.rules import WorkflowAction
from durvis.workflows.services import parse_definition

QUEUE_LIMIT = 200
QUEUE_PAGE = 25


# What a task list shows (case number, service, step, team, due time and its marks) and what
# the access rules ask of a task: a list reads these columns alone, not the workflow's
# definition or the service's texts once per row.
LISTED = ("id", "case_id", "version_id", "step", "institution_id", "team_id", "role", "state",
          "assignee_id", "resolution_due", "warned_at", "escalated_at", "version_no",
          "case__id", "case__number", "case__service_id", "case__service__id",
          "case__service__name", "case__service__name_lv", "case__service__name_en",
          "team__id", "team__name_lv", "team__name_en")


def _open_tasks() -> QuerySet[Task]:
    return (Task.objects.filter(state__in=OPEN_STATES)
            .select_related("case__service", "team").only(*LISTED)
            .order_by("resolution_due", "pk"))


def with_step_names(tasks: list[Task], language: str) -> list[Task]:
    """The tasks, each with `step_name` set to its step's name in `language` (the definitions
    of the tasks' workflow versions read in one query, each parsed once)."""
    definitions = dict(WorkflowVersion.objects.filter(
        pk__in={task.version_id for task in tasks}).values_list("pk", "definition"))
    steps = {pk: parse_definition(data) for pk, data in definitions.items()}
    for task in tasks:
        task.step_name = step_name(  # type: ignore[attr-defined]
            steps[task.version_id].step(task.step), language)
    return tasks


def queue_page(actor: Actor, number: int = 1, *, size: int | None = None) -> Page:
    """Page `number` (from 1; past the last, the last) of the tasks waiting for someone to take
    them that the actor may work on: their institution's, for a role they have, and of no team
    or of a team they are in; the most urgent first (by resolution time, then creation order),
    `size` (default QUEUE_PAGE) a page; `page.paginator.count` is how many wait. Reads the
    `task_queue` index in the page's order and stops at the page's end; the count reads the
    index alone. An actor who is not staff has an empty queue."""
    return Paginator(_queue(actor), size or QUEUE_PAGE).get_page(number)


def _queue(actor: Actor) -> QuerySet[Task]:
    if actor.staff is None:
        return Task.objects.none()
    teams = _teams_of(actor.staff)
    institution_id: int = actor.staff.institution_id
    return _open_tasks().filter(
        Q(team__isnull=True) | Q(team_id__in=teams), institution_id=institution_id,
        state=TaskState.QUEUED, role__in=actor.roles)


def my_tasks(actor: Actor, *, limit: int = QUEUE_LIMIT) -> list[Task]:
    """The tasks the actor is working on, the most urgent first."""
    if actor.staff is None:
        return []
    return list(_open_tasks().filter(state=TaskState.TAKEN, assignee=actor.staff)[:limit])


def escalated_to(actor: Actor, *, limit: int = QUEUE_LIMIT) -> list[Task]:
    """The open escalated tasks the actor supervises (B7: the supervisor's list): those of the
    teams they lead and, for the institution's administrator, its tasks of no team; the most
    urgent first. Agrees with `WorkflowAction.SUPERVISE`."""
    if actor.staff is None:
        return []
    scope = Q(team_id__in=list(actor.staff.led_teams.values_list("pk", flat=True)))
    if is_institution_admin_of(actor, actor.staff.institution_id):
        scope |= Q(team__isnull=True, institution_id=actor.staff.institution_id)
    return list(_open_tasks().filter(scope, escalated_at__isnull=False)[:limit])


def _teams_of(member: StaffMember) -> list[int]:
    return list(Team.objects.filter(Q(members=member) | Q(leads=member))
                .values_list("pk", flat=True).distinct())


@dataclass(frozen=True)
class TaskView:
    """One task for its page: the task, its step's definition, its history, whether the actor
    may work on it, supervise it, and whether they hold it."""

    task: Task
    step: wf.Step
    events: list[TaskEvent]
    may_work: bool
    may_supervise: bool
    holds: bool


def task_for(actor: Actor, pk: int) -> TaskView:
    """The task `pk` if the actor may work on or supervise it (raises Task.DoesNotExist
    otherwise, alike for one that does not exist)."""
    task = (Task.objects.select_related("case__service", "version", "team", "assignee__user",
                                        "institution").filter(pk=pk).first())
    if task is None:
        raise Task.DoesNotExist
    works = decide(actor, WorkflowAction.WORK, task).allowed
    supervises = decide(actor, WorkflowAction.SUPERVISE, task).allowed
    if not (works or supervises):
        raise Task.DoesNotExist
    open_task = task.state in OPEN_STATES  # a closed task is shown, with nothing to do
    may_work, may_supervise = open_task and works, open_task and supervises
    step = parse_definition(task.version.definition).step(task.step)
    events = list(task.events.select_related("staff__user", "to_staff__user"))
    holds = (actor.staff is not None and task.state == TaskState.TAKEN
             and task.assignee_id == actor.staff.pk)
    return TaskView(task, step, events, may_work, may_supervise, holds)


def colleagues_for(task: Task, actor: Actor) -> list[StaffMember]:
    """The actor's colleagues who may work on the task (a hand-over's choices), by name."""
    candidates = (StaffMember.objects.filter(institution_id=task.institution_id)
                  .select_related("user").order_by("user__username"))
    if task.team_id is not None:
        candidates = candidates.filter(Q(teams=task.team_id) | Q(led_teams=task.team_id))
    return [m for m in candidates.distinct() if task.role in m.roles
            and (actor.staff is None or m.pk != actor.staff.pk)]


def step_name(step: wf.Step, language: str) -> str:
    """The step's name in `language` (Latvian when there is none in it)."""
    return step.names.get(language) or step.names.get("lv", step.key)


def exit_names(step: wf.Step, language: str) -> list[tuple[int, str, Any]]:
    """(index, name, following step's key or None) of each exit of the step."""
    return [(i, e.names.get(language) or e.names.get("lv", ""), e.step)
            for i, e in enumerate(step.exits)]
