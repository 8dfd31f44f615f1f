"""Access rules of the workflows (B2, B3, B7): who defines a provider's workflows and who works
on, hands over and escalates its tasks. Registered into the one policy when the app loads.

A workflow is defined by an administrator of an institution that holds or provides the service
(seed 4.3.5: workflows are kept by the provider). A task is worked on by staff of the
institution it is queued at, with the step's role, and — when queued for a team — a member or
lead of that team; a team's leads supervise its tasks (hand over anybody's, see escalations).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Service
from durvis.catalog.queries import serves
from durvis.core.actor import Actor
from durvis.identity.models import Institution
from durvis.identity.rules import is_institution_admin_of
from durvis.workflows.models import Task


class WorkflowAction(StrEnum):
    # obj = the Institution, client = the Service: may the actor define its workflow for it.
    DEFINE = "workflows.define"
    # obj = the Task: may the actor take it and work on it (move it on, escalate it by hand).
    WORK = "workflows.work"
    # obj = the Institution: may the actor keep its teams (members, leads).
    MANAGE_TEAMS = "workflows.manage_teams"
    # obj = the Task: may the actor supervise it (hand over a task someone else holds).
    SUPERVISE = "workflows.supervise"
    # obj = the Institution: may the actor see its staff's working load per service point (D2).
    SEE_LOAD = "workflows.see_load"


@rule(WorkflowAction.DEFINE)
def define(actor: Actor, institution: Any, service: Any) -> Decision:
    """An institution's administrator defines its workflows for the services it holds or
    provides (B2): a delegation of any stage in force today (`catalog.queries.serves`)."""
    if not isinstance(institution, Institution) or not isinstance(service, Service):
        return deny("an institution and a service")
    if not is_institution_admin_of(actor, institution.pk):
        return deny("only the institution's administrator defines its workflows")
    if not serves(service, institution.pk):
        return deny("the institution neither holds nor provides the service")
    return ALLOW


@rule(WorkflowAction.MANAGE_TEAMS)
def manage_teams(actor: Actor, institution: Any, client: Any) -> Decision:
    """An institution's administrator keeps its teams (B3, B7)."""
    if isinstance(institution, Institution) and is_institution_admin_of(actor, institution.pk):
        return ALLOW
    return deny("only the institution's administrator keeps its teams")


def _team_ids(actor: Actor, *, leads: bool) -> set[int]:
    assert actor.staff is not None
    related = actor.staff.led_teams if leads else actor.staff.teams
    return set(related.values_list("pk", flat=True))


@rule(WorkflowAction.WORK)
def work(actor: Actor, task: Any, client: Any) -> Decision:
    """Staff of the task's institution with its step's role work on it; for a team's task, a
    member or lead of the team (B3)."""
    if not isinstance(task, Task):
        return deny("not a task")
    if actor.staff is None or actor.institution_id != task.institution_id:
        return deny("a task of another institution")
    if task.team_id is not None and task.team_id not in (
            _team_ids(actor, leads=False) | _team_ids(actor, leads=True)):
        return deny("a task of another team")
    if not actor.has_role(task.role):
        return deny(f"the step needs the role {task.role}")
    return ALLOW


@rule(WorkflowAction.SUPERVISE)
def supervise(actor: Actor, task: Any, client: Any) -> Decision:
    """A lead of the task's team supervises it; a task of no team, the institution's
    administrator (B7)."""
    if not isinstance(task, Task) or actor.staff is None:
        return deny("staff and a task")
    if task.team_id is not None:
        if task.team_id in _team_ids(actor, leads=True):
            return ALLOW
        return deny("not a lead of the task's team")
    if is_institution_admin_of(actor, task.institution_id):
        return ALLOW
    return deny("not the institution's administrator")


@rule(WorkflowAction.SEE_LOAD)
def see_load(actor: Actor, institution: Any, client: Any) -> Decision:
    """A team lead of the institution or its administrator sees the day's and the week's load
    per service point (D2: "a team lead sees the day's and the week's load")."""
    if not isinstance(institution, Institution) or actor.staff is None:
        return deny("staff and an institution")
    if actor.institution_id != institution.pk:
        return deny("another institution's load")
    if is_institution_admin_of(actor, institution.pk) or _team_ids(actor, leads=True):
        return ALLOW
    return deny("only a team lead or the administrator sees the load")
