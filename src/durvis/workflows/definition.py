"""A workflow's definition, `durvis-workflow/1` (B2, B7; seed 4.3.5 line 2172, 4.4.2.2 lines
2975-2988): the steps a case goes through at a provider, who works on each, where each may lead
and the time each allows. An administrator writes it without code (a form or JSON); it is
stored as JSON in a `WorkflowVersion` and read here into frozen data.

    {"format": "durvis-workflow/1",
     "first": "registration",
     "steps": {
       "registration": {
         "name": {"lv": "Reģistrācija", "en": "Registration"},
         "queue": {"institution": "provider", "team": "front-office"},
         "role": "agent",
         "first_response": "2h", "resolution": "1d", "warn_before": "1h",
         "next": [{"step": "review", "status": "in_progress",
                   "name": {"lv": "Nodot izskatīšanai", "en": "Send for review"}},
                  {"step": null, "status": "rejected",
                   "name": {"lv": "Noraidīt", "en": "Reject"}}]},
       ...}}

- `queue.institution`: `provider` (the institution that registered the case), `holder` (the
  service's holder: the seed's "route to the holder"), or an institution's code; `queue.team`:
  a team of that institution (its key), or absent for the institution's whole queue.
- `role`: the staff role that works on the step (`agent`, `back_office`).
- `stage` (optional): the stage of the service's delivery the step belongs to, for the
  working-time records (`information`, `application`, `execution`, `result_delivery`);
  by default `application` for an agent's step and `execution` for a back-office one.
- Times allowed, in working time by the queue's business calendar (`core.working_time`):
  `"90m"`, `"4h"` (working minutes, hours) or `"3d"` (working days, ending at the close of the
  last one); `first_response` (until someone takes the task), `resolution` (until it leaves the
  step), `warn_before` (a warning that long before the resolution runs out). Each optional.
- `next`: the exits; each names the following step (`null`: the workflow ends) and the register
  status the case gets (`core` vocabulary: `register.models.CaseStatus`; empty: unchanged).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from durvis.catalog.models import Stage

FORMAT = "durvis-workflow/1"
LANGUAGES = ("lv", "en")
QUEUE_KINDS = ("provider", "holder")
ROLES = ("agent", "back_office")
STAGES = tuple(Stage.values)
DEFAULT_STAGE = {"agent": "application", "back_office": "execution"}
KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_TIME = re.compile(r"^(\d{1,4})([mhd])$")
MAX_STEPS = 50


@dataclass(frozen=True)
class Allowance:
    """A time allowed: `amount` working minutes (`m`), hours (`h`) or days (`d`)."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def working_time(self) -> datetime.timedelta:
        """As working time (minutes or hours; days are counted by the calendar instead)."""
        return datetime.timedelta(minutes=self.amount if self.unit == "m" else self.amount * 60)


@dataclass(frozen=True)
class Exit:
    """Where a step may lead: `step` (None: the end), the register `status` it sets ("" none)."""

    step: str | None
    status: str
    names: dict[str, str]


@dataclass(frozen=True)
class Step:
    key: str
    names: dict[str, str]
    institution: str  # "provider", "holder" or an institution code
    team: str
    role: str
    stage: str
    first_response: Allowance | None
    resolution: Allowance | None
    warn_before: Allowance | None
    exits: tuple[Exit, ...]


@dataclass(frozen=True)
class Definition:
    first: str
    steps: dict[str, Step]

    def step(self, key: str) -> Step:
        return self.steps[key]


def _one_of(values: Any) -> str:
    return _("one of %(values)s") % {"values": ", ".join(values)}


class _Errors:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.found.append((path, message))


def parse(data: Any, *, statuses: frozenset[str], complete: bool = True) -> Definition:
    """Read a definition (decoded JSON) against the register's `statuses`. Raises
    ValidationError (code `definition`) listing every problem as "path: message" (the path a
    JSON path, the message in the reader's language), e.g.
    `steps.review.next[1].step: no step 'decision'`. `complete=False` (a draft being built
    step by step in the editor) leaves out the check that every step is reachable and has a way
    to the end; a definition that is published is always read complete."""
    errors = _Errors()
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        must = _("must be %(format)s") % {"format": repr(FORMAT)}
        raise ValidationError(f"format: {must}", code="definition")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, dict) or not raw_steps:
        errors.add("steps", _("at least one step"))
        raw_steps = {}
    if len(raw_steps) > MAX_STEPS:
        errors.add("steps", _("at most %(count)d steps") % {"count": MAX_STEPS})
    steps = {}
    for key, raw in raw_steps.items():
        if not isinstance(key, str) or not KEY.match(key):
            errors.add(f"steps.{key}", _("a key of lowercase letters, digits, - and _"))
            continue
        steps[key] = _step(key, raw, statuses, errors)
    first = data.get("first")
    if not isinstance(first, str) or not first:
        errors.add("first", _("the key of the first step"))
    elif first not in steps:
        errors.add("first", _("no step %(key)s") % {"key": repr(first)})
    for step in steps.values():
        for index, exit_ in enumerate(step.exits):
            if exit_.step is not None and exit_.step not in steps:
                errors.add(f"steps.{step.key}.next[{index}].step",
                           _("no step %(key)s") % {"key": repr(exit_.step)})
    if complete and not errors.found and isinstance(first, str):
        _check_reach(first, steps, errors)
    if errors.found:
        raise ValidationError([f"{path}: {message}" for path, message in errors.found],
                              code="definition")
    return Definition(str(first), steps)


def _step(key: str, raw: Any, statuses: frozenset[str], errors: _Errors) -> Step:
    at = f"steps.{key}"
    if not isinstance(raw, dict):
        errors.add(at, _("an object"))
        raw = {}
    queue = raw.get("queue") if isinstance(raw.get("queue"), dict) else {}
    if not queue:
        errors.add(f"{at}.queue", _("an object with an institution"))
    institution = str(queue.get("institution", ""))
    if institution not in QUEUE_KINDS and not re.match(r"^[A-Z0-9_-]{2,20}$", institution):
        errors.add(f"{at}.queue.institution", _("provider, holder or an institution's code"))
    team = str(queue.get("team") or "")
    if team and not KEY.match(team):
        errors.add(f"{at}.queue.team", _("a team's key"))
    role = raw.get("role")
    if role not in ROLES:
        errors.add(f"{at}.role", _one_of(ROLES))
    stage = raw.get("stage", DEFAULT_STAGE.get(str(role), "execution"))
    if stage not in STAGES:
        errors.add(f"{at}.stage", _one_of(STAGES))
    exits = raw.get("next", [])
    if not isinstance(exits, list) or not exits:
        errors.add(f"{at}.next", _("at least one exit (a step, or null to end)"))
        exits = []
    return Step(
        key, _names(raw.get("name"), f"{at}.name", errors), institution, team, str(role),
        str(stage),
        _allowance(raw.get("first_response"), f"{at}.first_response", errors),
        _allowance(raw.get("resolution"), f"{at}.resolution", errors),
        _allowance(raw.get("warn_before"), f"{at}.warn_before", errors),
        tuple(_exit(e, f"{at}.next[{i}]", statuses, errors) for i, e in enumerate(exits)))


def _names(raw: Any, at: str, errors: _Errors) -> dict[str, str]:
    if not isinstance(raw, dict):
        errors.add(at, _("a name in Latvian and English: %(example)s")
                   % {"example": '{"lv": …, "en": …}'})
        return {}
    names = {}
    for language in LANGUAGES:
        text = raw.get(language)
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            errors.add(f"{at}.{language}", _("a name of 1 to 200 characters"))
        else:
            names[language] = text.strip()
    return names


def _allowance(raw: Any, at: str, errors: _Errors) -> Allowance | None:
    if raw is None:
        return None
    match = _TIME.match(raw) if isinstance(raw, str) else None
    if not match or int(match[1]) == 0:
        errors.add(at, _("a working time such as 90m, 4h or 3d"))
        return None
    return Allowance(int(match[1]), match[2])


def _exit(raw: Any, at: str, statuses: frozenset[str], errors: _Errors) -> Exit:
    if not isinstance(raw, dict):
        errors.add(at, _("an object with step and status"))
        return Exit(None, "", {})
    step = raw.get("step")
    if step is not None and not isinstance(step, str):
        errors.add(f"{at}.step", _("a step's key, or null to end"))
        step = None
    status = str(raw.get("status") or "")
    if status and status not in statuses:
        errors.add(f"{at}.status", _one_of(sorted(statuses)))
    return Exit(step, status, _names(raw.get("name"), f"{at}.name", errors))


def _check_reach(first: str, steps: dict[str, Step], errors: _Errors) -> None:
    """Every step is reachable from the first, and from every step the end is reachable (no
    case can be stuck in a loop without a way out)."""
    reached, todo = {first}, [first]
    while todo:
        for exit_ in steps[todo.pop()].exits:
            if exit_.step is not None and exit_.step not in reached:
                reached.add(exit_.step)
                todo.append(exit_.step)
    for key in steps.keys() - reached:
        errors.add(f"steps.{key}", _("no step leads here"))
    ends = {k for k, s in steps.items() if any(e.step is None for e in s.exits)}
    changed = True
    while changed:
        before = len(ends)
        ends |= {k for k, s in steps.items() if any(e.step in ends for e in s.exits)}
        changed = len(ends) != before
    for key in sorted(steps.keys() - ends):
        errors.add(f"steps.{key}.next", _("no way from here to the end of the workflow"))
