"""Workflow writes (B2, B3, B7): publish and retire a provider's workflow, start a case on it,
and move its tasks — take, put back, hand over, move on to the next step (setting the register
status the exit names), escalate by hand — and the scheduler's scans that warn before a task's
time runs out and escalate it when it has.

Every write checks the one policy (`rules.WorkflowAction`), takes the task's row lock, writes a
`TaskEvent` (the case's workflow history) and an audit row about the case's client. A move
that the register refuses (a status that may not follow the case's current one) leaves the task
where it was: the whole move is one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from durvis.access.policy import decide
from durvis.audit.services import Entry, record, record_many
from durvis.catalog.models import Service
from durvis.core import bulk
from durvis.core.actor import SYSTEM, Actor
from durvis.core.events import publish
from durvis.core.worker import SOURCES, Source
from durvis.core.working_time import STATE_OFFICE_HOURS, BusinessCalendar, WeeklyHours
from durvis.identity.models import Institution, StaffMember
from durvis.identity.queries import audit_subject_of
from durvis.register.models import CaseStatus, ServiceCase
from durvis.register.services import StatusEvent, record_status_events, record_work
from durvis.workflows import definition as wf
from durvis.workflows.events import TASK_ESCALATED, TASK_WARNING
from durvis.workflows.models import (
    OPEN_STATES,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskState,
    Team,
    Workflow,
    WorkflowVersion,
)
from durvis.workflows.rules import WorkflowAction

STATUSES = frozenset(CaseStatus.values)
# A case in one of these is settled: its open tasks have nothing left to do.
SETTLED = frozenset({CaseStatus.RESULT_DELIVERED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN,
                     CaseStatus.REJECTED})
SCAN_BATCH = 500
# What the scheduler's scan reads of a task and its case: its marks, what the notices name.
SCANNED = ("id", "case_id", "step", "institution_id", "team_id", "assignee_id", "state",
           "resolution_due", "warn_at", "warned_at", "escalated_at", "version_no",
           "case__id", "case__number", "case__client_person_id")


def calendar_for(institution_id: int) -> BusinessCalendar:
    """The business calendar a queue at the institution counts time by (B7): its own office
    hours and days closed (`Institution.office_hours`, `closed_days`, set by its administrator),
    else the state's office hours; the Latvian public holidays, moved working days and the
    shorter pre-holiday day either way. One query."""
    found = (Institution.objects.filter(pk=institution_id)
             .values_list("office_hours", "closed_days").first())
    if found is None:
        return BusinessCalendar()
    hours, closed = found
    return BusinessCalendar(
        hours=WeeklyHours.parse(hours) if hours else STATE_OFFICE_HOURS,
        closed=frozenset(datetime.date.fromisoformat(day) for day in closed or ()))


def parse_definition(data: Any) -> wf.Definition:
    """`definition.parse` against the register's statuses; raises its ValidationError."""
    return wf.parse(data, statuses=STATUSES)


@transaction.atomic
def publish_version(actor: Actor, institution: Institution, service: Service, name: str,
                    data: Any) -> WorkflowVersion:
    """Publish a new version of `institution`'s workflow for `service` (a new workflow if it has
    no live one), from the definition `data` (decoded JSON); cases that start from now on use
    it, running ones stay on theirs. Raises PermissionDenied (`WorkflowAction.DEFINE`) and
    ValidationError: `definition` (code `definition`, every problem listed) for a definition
    that does not parse or names an institution or a team that does not exist; `name` (code
    `required`) for an empty name."""
    if not decide(actor, WorkflowAction.DEFINE, institution, service):
        raise PermissionDenied("may not define this institution's workflows")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("Give the workflow a name."),
                                                       code="required")})
    try:
        parsed = parse_definition(data)
        _check_queues(parsed, institution, service)
    except ValidationError as error:
        raise ValidationError({"definition": error.error_list}) from None
    workflow = (Workflow.objects.select_for_update()
                .filter(institution=institution, service=service, retired_at__isnull=True)
                .first())
    if workflow is None:
        workflow = Workflow.objects.create(institution=institution, service=service, name=name)
    elif workflow.name != name:
        workflow.name = name
        workflow.save(update_fields=["name"])
    number = (workflow.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = WorkflowVersion.objects.create(workflow=workflow, number=number, definition=data,
                                             published_by=actor.audit_id)
    record(actor, "workflows.version.publish", version,
           details={"service": service.code, "number": number, "steps": len(parsed.steps)})
    return version


def _check_queues(parsed: wf.Definition, institution: Institution, service: Service) -> None:
    """Every queue names an institution and a team that exist (`provider` is the defining
    institution; `holder` the service's holder)."""
    problems = []
    for step in parsed.steps.values():
        target = _target_institution(step.institution, institution.pk, service.holder_id)
        if target is None:
            missing = _("no institution %(code)s") % {"code": repr(step.institution)}
            problems.append(f"steps.{step.key}.queue.institution: {missing}")
        elif step.team and not Team.objects.filter(institution_id=target, key=step.team).exists():
            missing = _("no team %(key)s there") % {"key": repr(step.team)}
            problems.append(f"steps.{step.key}.queue.team: {missing}")
    if problems:
        raise ValidationError(problems, code="definition")


def _target_institution(queue: str, provider_id: int, holder_id: int) -> int | None:
    if queue == "provider":
        return provider_id
    if queue == "holder":
        return holder_id
    return Institution.objects.filter(code=queue).values_list("pk", flat=True).first()


@transaction.atomic
def create_team(actor: Actor, institution: Institution, key: str, name_lv: str,
                name_en: str) -> Team:
    """A new team of the institution. Raises PermissionDenied (`WorkflowAction.MANAGE_TEAMS`)
    and ValidationError keyed `key` (`taken`) for a key the institution uses already."""
    if not decide(actor, WorkflowAction.MANAGE_TEAMS, institution):
        raise PermissionDenied("may not keep this institution's teams")
    if Team.objects.filter(institution=institution, key=key).exists():
        raise ValidationError({"key": ValidationError(_("Your institution has a team with this "
                                                        "key already."), code="taken")})
    team = Team.objects.create(institution=institution, key=key, name_lv=name_lv,
                               name_en=name_en)
    record(actor, "workflows.team.create", team, details={"key": key})
    return team


@transaction.atomic
def set_team_people(actor: Actor, team: Team, member_ids: Sequence[int],
                    lead_ids: Sequence[int]) -> Team:
    """The team's members and leads become exactly these staff of its institution (other ids
    are ignored). Raises PermissionDenied (`WorkflowAction.MANAGE_TEAMS`)."""
    if not decide(actor, WorkflowAction.MANAGE_TEAMS, team.institution):
        raise PermissionDenied("may not keep this institution's teams")
    people = set(StaffMember.objects.filter(institution_id=team.institution_id)
                 .values_list("pk", flat=True))
    members = sorted(people & set(member_ids))
    leads = sorted(people & set(lead_ids))
    team.members.set(members)
    team.leads.set(leads)
    record(actor, "workflows.team.people", team, details={"members": members, "leads": leads})
    return team


@transaction.atomic
def retire(actor: Actor, workflow: Workflow) -> Workflow:
    """Retire a workflow: no new case starts on it; running tasks go on. Raises
    PermissionDenied (`WorkflowAction.DEFINE`)."""
    if not decide(actor, WorkflowAction.DEFINE, workflow.institution, workflow.service):
        raise PermissionDenied("may not retire this institution's workflows")
    if workflow.retired_at is None:
        workflow.retired_at = timezone.now()
        workflow.save(update_fields=["retired_at"])
        record(actor, "workflows.workflow.retire", workflow)
    return workflow


@transaction.atomic
def start_cases(cases: Sequence[ServiceCase], *, now: datetime.datetime | None = None
                ) -> list[Task]:
    """Start each case that has no task yet on the live workflow of the institution that
    registered it (its provider), or else of its holder: its first task, queued. A case of a
    service no workflow covers gets none (its holder's own back-office system handles it).
    Returns the tasks made."""
    now = now or timezone.now()
    started = set(Task.objects.filter(case__in=cases).values_list("case_id", flat=True))
    waiting = [c for c in cases if c.pk not in started]
    versions = _live_versions({c.service_id for c in waiting})
    made = []
    for case in waiting:
        version = versions.get((case.provider_id, case.service_id)) or versions.get(
            (case.holder_id, case.service_id))
        if version is not None:
            parsed = parse_definition(version.definition)
            made.append(_queue(SYSTEM, case, version, parsed.step(parsed.first), now))
    return made


def _live_versions(service_ids: set[int]) -> dict[tuple[int, int], WorkflowVersion]:
    """The newest version of every live workflow of these services, by (institution, service):
    one query for a whole batch of cases."""
    found: dict[tuple[int, int], WorkflowVersion] = {}
    rows = (WorkflowVersion.objects.select_related("workflow")
            .filter(workflow__service_id__in=service_ids, workflow__retired_at__isnull=True)
            .order_by("number"))
    for version in rows:
        found[(version.workflow.institution_id, version.workflow.service_id)] = version
    return found


def _queue(actor: Actor, case: ServiceCase, version: WorkflowVersion, step: wf.Step,
           now: datetime.datetime, comment: str = "") -> Task:
    institution_id = _target_institution(step.institution, version.workflow.institution_id,
                                         case.holder_id)
    if institution_id is None:
        raise ValidationError(f"the step {step.key} queues at an unknown institution")
    team = (Team.objects.filter(institution_id=institution_id, key=step.team).first()
            if step.team else None)
    first_response, resolution, warn = deadlines(step, now, calendar_for(institution_id))
    task = Task.objects.create(
        case=case, version=version, step=step.key, institution_id=institution_id, team=team,
        role=step.role, stage=step.stage, created_at=now, first_response_due=first_response,
        resolution_due=resolution, warn_at=warn)
    _event(actor, task, TaskEventKind.CREATED, now, comment=comment)
    return task


def deadlines(step: wf.Step, start: datetime.datetime, calendar: BusinessCalendar
              ) -> tuple[datetime.datetime | None, datetime.datetime | None,
                         datetime.datetime | None]:
    """(first response due, resolution due, warning at) of a task of `step` queued at `start`,
    in working time by `calendar` (None where the step allows no time)."""
    def due(allowance: wf.Allowance | None) -> datetime.datetime | None:
        if allowance is None:
            return None
        if allowance.unit == "d":
            return calendar.add_days(start, allowance.amount)
        return calendar.add_hours(start, allowance.working_time)

    resolution = due(step.resolution)
    warn = None
    if resolution is not None and step.warn_before is not None:
        warn = _warning(calendar, start, resolution, step.warn_before)
    return due(step.first_response), resolution, warn


def _warning(calendar: BusinessCalendar, start: datetime.datetime,
             resolution: datetime.datetime, before: wf.Allowance) -> datetime.datetime:
    """The instant `before` (working time) ahead of `resolution`, not before `start`."""
    if before.unit == "d":
        return _days_before(calendar, resolution, before.amount, start)
    left = calendar.worked_between(start, resolution) - before.working_time
    return calendar.add_hours(start, max(left, datetime.timedelta(0)))


def _days_before(calendar: BusinessCalendar, resolution: datetime.datetime, days: int,
                 start: datetime.datetime) -> datetime.datetime:
    """The close of the working day `days` working days before the one `resolution` falls on
    (not before `start`)."""
    day = resolution.astimezone(calendar.zone).date()
    left = days
    while left > 0:
        day -= datetime.timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    spans = calendar.intervals(day)
    return max(start, spans[-1][1]) if spans else start


def _event(actor: Actor, task: Task, kind: str, at: datetime.datetime, *,
           to_staff: StaffMember | None = None, to_step: str = "", comment: str = "") -> None:
    TaskEvent.objects.create(task=task, kind=kind, at=at, actor_id=actor.audit_id,
                             staff=actor.staff, to_staff=to_staff, to_step=to_step,
                             comment=comment)
    record(actor, f"workflows.task.{kind}", task.case, subject=audit_subject_of(task.case),
           details={"task": task.pk, "step": task.step, "to_step": to_step,
                    "to_staff": to_staff.pk if to_staff else None})


def _locked(task: Task, version_no: int | None) -> Task:
    # Only the task's row: the case is the register's to lock (its status events do).
    current = (Task.objects.select_for_update(of=("self",)).select_related("case", "version")
               .get(pk=task.pk))
    if version_no is not None and current.version_no != version_no:
        raise ValidationError(
            _("Someone else changed this task meanwhile; look at it again."), code="stale")
    return current


def _save(task: Task, *fields: str) -> None:
    task.version_no += 1
    task.save(update_fields=[*fields, "version_no"])


def _require(actor: Actor, action: str, task: Task) -> None:
    decision = decide(actor, action, task)
    if not decision:
        raise PermissionDenied(decision.reason)


@transaction.atomic
def take(actor: Actor, task: Task, *, version_no: int | None = None) -> Task:
    """The actor takes a queued task (the first response, if it was the first). Raises
    PermissionDenied (`WorkflowAction.WORK`), ValidationError code `stale` (changed meanwhile)
    or `not_queued` (someone holds it, or it is closed)."""
    task = _locked(task, version_no)
    _require(actor, WorkflowAction.WORK, task)
    if task.state != TaskState.QUEUED:
        raise ValidationError(_("This task is not waiting in the queue."), code="not_queued")
    now = timezone.now()
    task.state, task.assignee, task.taken_at = TaskState.TAKEN, actor.staff, now
    task.first_response_at = task.first_response_at or now
    _save(task, "state", "assignee", "taken_at", "first_response_at")
    _event(actor, task, TaskEventKind.TAKEN, now)
    return task


@transaction.atomic
def release(actor: Actor, task: Task, *, comment: str = "", version_no: int | None = None
            ) -> Task:
    """The assignee (or a supervisor) puts a taken task back in its queue. Raises
    PermissionDenied and ValidationError (`stale`, `not_taken`)."""
    task = _locked(task, version_no)
    _require_holder_or_lead(actor, task)
    now = timezone.now()
    _record_held(task, now)
    task.state, task.assignee, task.taken_at = TaskState.QUEUED, None, None
    _save(task, "state", "assignee", "taken_at")
    _event(actor, task, TaskEventKind.RELEASED, now, comment=comment)
    return task


def _record_held(task: Task, now: datetime.datetime) -> None:
    """The assignee's time on the task, from taking (or being handed) it until `now`, into
    the register's working-time records (D2)."""
    if task.assignee is not None and task.taken_at is not None:
        record_work(task.assignee, task.stage, task.taken_at, now, case=task.case,
                    step=task.step)


def _require_holder_or_lead(actor: Actor, task: Task) -> None:
    if task.state != TaskState.TAKEN:
        raise ValidationError(_("Nobody is working on this task."), code="not_taken")
    holds = actor.staff is not None and task.assignee_id == actor.staff.pk
    if not holds:
        _require(actor, WorkflowAction.SUPERVISE, task)


@transaction.atomic
def hand_over(actor: Actor, task: Task, to: StaffMember, comment: str, *,
              version_no: int | None = None) -> Task:
    """Hand a task to a colleague who may work on it, with a comment (B7: delegation): by the
    one who holds it, by a supervisor, or — a queued task — by anybody who may work on it.
    Raises PermissionDenied, ValidationError keyed `to` (`not_eligible`: the colleague may not
    work on this step) or `comment` (`required`), or code `stale`."""
    task = _locked(task, version_no)
    if not (comment or "").strip():
        raise ValidationError({"comment": ValidationError(_("Say why you hand it over."),
                                                          code="required")})
    if task.state == TaskState.QUEUED:
        _require(actor, WorkflowAction.WORK, task)
    else:
        _require_holder_or_lead(actor, task)
    colleague = Actor(kind="staff", staff=to)
    if not decide(colleague, WorkflowAction.WORK, task):
        raise ValidationError({"to": ValidationError(
            _("This colleague may not work on this step."), code="not_eligible")})
    now = timezone.now()
    _record_held(task, now)
    task.state, task.assignee, task.taken_at = TaskState.TAKEN, to, now
    _save(task, "state", "assignee", "taken_at")
    _event(actor, task, TaskEventKind.HANDED_OVER, now, to_staff=to, comment=comment.strip())
    return task


@transaction.atomic
def move(actor: Actor, task: Task, exit_index: int, *, comment: str = "",
         version_no: int | None = None) -> Task | None:
    """The assignee moves the task on by one of its step's exits: the register status the exit
    names is recorded for the case, the task is done, and the next step's task is queued (None
    when the workflow ends there). Raises PermissionDenied (only the assignee), ValidationError
    keyed `exit` (`unknown`), `status` (the register's refusal, e.g. `invalid_transition`), or
    code `stale`/`not_taken`; nothing is changed then."""
    task = _locked(task, version_no)
    if task.state != TaskState.TAKEN:
        raise ValidationError(_("Nobody is working on this task."), code="not_taken")
    if actor.staff is None or task.assignee_id != actor.staff.pk:
        raise PermissionDenied("only the one working on the task moves it on")
    _require(actor, WorkflowAction.WORK, task)
    step = parse_definition(task.version.definition).step(task.step)
    if not 0 <= exit_index < len(step.exits):
        raise ValidationError({"exit": ValidationError(_("Choose where the case goes next."),
                                                       code="unknown")})
    chosen = step.exits[exit_index]
    now = timezone.now()
    if chosen.status:
        _set_status(actor, task.case, chosen.status, now, comment)
    _record_held(task, now)
    task.state, task.completed_at = TaskState.DONE, now
    _save(task, "state", "completed_at")
    _event(actor, task, TaskEventKind.MOVED, now, to_step=chosen.step or "", comment=comment)
    if chosen.step is None:
        return None
    parsed = parse_definition(task.version.definition)
    return _queue(actor, task.case, task.version, parsed.step(chosen.step), now, comment)


def _set_status(actor: Actor, case: ServiceCase, status: str, at: datetime.datetime,
                note: str) -> None:
    if case.status == status:
        return
    (result,) = record_status_events(actor, [StatusEvent(case.number, at, status=status,
                                                         note=note[:500])])
    if result.outcome == "rejected":
        message = "; ".join(e["msg"] for e in result.errors)
        raise ValidationError({"status": ValidationError(message, code=result.errors[0]["type"])})


@transaction.atomic
def close_settled(cases: Sequence[tuple[int, datetime.datetime]]) -> int:
    """Close the open tasks of cases settled outside their workflow — a result handed out at
    the counter, a withdrawal, a holder's system closing the case — given as (case id, when
    the settling status took effect): each task queued before that moment is cancelled (its
    holder's time recorded, a `cancelled` event, audited as the platform's), so it is neither
    worked on nor escalated. A task the workflow queued at that very moment (an exit that set
    the status and went on) stays. Returns how many it closed."""
    settled_at = dict(cases)
    tasks = (Task.objects.select_for_update(of=("self",)).select_related("case", "assignee")
             .filter(case_id__in=list(settled_at), state__in=OPEN_STATES).order_by("pk"))
    closed = [task for task in tasks if task.created_at < settled_at[task.case_id]]
    now = timezone.now()
    for task in closed:
        _record_held(task, now)
        task.state, task.completed_at = TaskState.CANCELLED, now
        _save(task, "state", "completed_at")
        _event(SYSTEM, task, TaskEventKind.CANCELLED, now)
    return len(closed)


@transaction.atomic
def escalate(actor: Actor, task: Task, comment: str, *, version_no: int | None = None) -> Task:
    """The assignee escalates an unclear task to the team's leads by hand (B7), with a comment.
    Raises PermissionDenied, ValidationError keyed `comment` (`required`) or code `stale`."""
    task = _locked(task, version_no)
    if actor.staff is None or task.assignee_id != actor.staff.pk:
        raise PermissionDenied("only the one working on the task escalates it")
    if not (comment or "").strip():
        raise ValidationError({"comment": ValidationError(_("Say what is unclear."),
                                                          code="required")})
    now = timezone.now()
    task.escalated_at = now
    _save(task, "escalated_at")
    _event(actor, task, TaskEventKind.ESCALATED, now, comment=comment.strip())
    _announce(actor, TASK_ESCALATED, [task], by_hand=True, comment=comment.strip())
    return task


def _facts(task: Task, leads: dict[int, list[int]]) -> dict[str, Any]:
    return {"task_id": task.pk, "case_id": task.case_id, "number": task.case.number,
            "step": task.step, "institution_id": task.institution_id, "team_id": task.team_id,
            "assignee_id": task.assignee_id, "lead_ids": leads.get(task.team_id or 0, []),
            "resolution_due": task.resolution_due.isoformat() if task.resolution_due else None}


def _leads(tasks: Sequence[Task]) -> dict[int, list[int]]:
    team_ids = {t.team_id for t in tasks if t.team_id is not None}
    found: dict[int, list[int]] = {}
    for team_id, member_id in Team.leads.through.objects.filter(
            team_id__in=team_ids).values_list("team_id", "staffmember_id"):
        found.setdefault(team_id, []).append(member_id)
    return found


def _announce(actor: Actor, event: str, tasks: Sequence[Task], **extra: Any) -> None:
    leads = _leads(tasks)
    publish(actor, event, [(f"task:{t.pk}", {**_facts(t, leads), **extra}) for t in tasks])


def _scan(due_field: str, done_field: str, kind: str, event: str, now: datetime.datetime,
          **extra: Any) -> int:
    """Mark up to SCAN_BATCH open tasks whose `due_field` has passed and `done_field` is unset
    (skipping rows another scanner holds), write their events, audit rows and one domain event
    each; returns how many."""
    with transaction.atomic():
        tasks = list(Task.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(Q(**{f"{due_field}__lte": now, f"{done_field}__isnull": True}),
                             state__in=OPEN_STATES)
                     .select_related("case").only(*SCANNED).order_by(due_field)[:SCAN_BATCH])
        if not tasks:
            return 0
        for task in tasks:
            setattr(task, done_field, now)
            task.version_no += 1
        # One statement each for the marks, the events and the audit rows (the audit row names
        # the case's client by id: no person is read).
        bulk.update_rows(Task, [done_field, "version_no"],
                         [(t.pk, now, t.version_no) for t in tasks])
        bulk.copy_rows(TaskEvent, ["task_id", "kind", "at"], [(t.pk, kind, now) for t in tasks])
        case_type = ServiceCase._meta.label_lower
        record_many(SYSTEM, [Entry(f"workflows.task.{kind}", case_type, str(t.case_id),
                                   t.case.client_person_id,
                                   details={"task": t.pk, "step": t.step})
                             for t in tasks])
        _announce(SYSTEM, event, tasks, **extra)
    return len(tasks)


def escalate_due(now: datetime.datetime | None = None) -> int:
    """The scheduler's scan (B7): warn the open tasks whose warning time has come, escalate
    those past their resolution time, in batches; returns how many it marked (one batch of
    each: the worker calls again while there is more)."""
    now = now or timezone.now()
    warned = _scan("warn_at", "warned_at", TaskEventKind.WARNED, TASK_WARNING, now)
    escalated = _scan("resolution_due", "escalated_at", TaskEventKind.ESCALATED, TASK_ESCALATED,
                      now, by_hand=False, comment="")
    return warned + escalated


def next_escalation_at() -> datetime.datetime | None:
    """When the next open task reaches its warning or resolution time (the worker's clock)."""
    open_tasks = Task.objects.filter(state__in=OPEN_STATES)
    times = [
        open_tasks.filter(warned_at__isnull=True, warn_at__isnull=False)
        .order_by("warn_at").values_list("warn_at", flat=True).first(),
        open_tasks.filter(escalated_at__isnull=True, resolution_due__isnull=False)
        .order_by("resolution_due").values_list("resolution_due", flat=True).first(),
    ]
    found = [t for t in times if t is not None]
    return min(found) if found else None


SOURCES.register(Source("workflows.escalation", escalate_due, next_escalation_at,
                        lambda _ids: 0))
