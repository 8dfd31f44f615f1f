"""Domain events of the workflows (B2, B7): a task close to its time and a task escalated; the
notices to the assignee and the team's leads subscribe to them."""

from __future__ import annotations

from durvis.core.events import declare

TASK_FACTS = ("task_id", "case_id", "number", "step", "institution_id", "team_id",
              "assignee_id", "lead_ids", "resolution_due")

TASK_WARNING = declare(
    "task.breach_warning", publisher="workflows", payload=TASK_FACTS,
    description="An open task will pass the time its step allows within the step's warning "
                "time.")
TASK_ESCALATED = declare(
    "task.escalated", publisher="workflows", payload=(*TASK_FACTS, "by_hand", "comment"),
    description="A task was escalated to its team's leads: passed its time (by the scheduler) "
                "or by hand by its assignee.")
