"""Call scripts (sarunu scenāriji, B6; issue 17): decision trees of prepared questions and
answers that lead an agent to an outcome, their lifecycle, their runs and what the runs reached.
The knowledge base's public face for scripts (`pyproject.toml`'s `also_public`), beside
`services` (articles' writes) and `queries` (articles' reads): the workplace's pages use it.

**The definition** of a `ScriptVersion`: `{"start": node id, "nodes": {id: {"question": text,
"answers": [{"label": text, "next": node id} | {"label": text, "outcome": OUTCOME,
"article": article id or null}]}}}`. `check_definition` lists what is wrong with one (a dead end,
a loop, an unknown or unreachable question, an article outcome without a known article,
overlong text), each message naming the question. A draft is saved whatever its problems (the
editor shows them); it is neither sent to review nor published with any.

**The lifecycle** is the articles' one (`services.lock_state`, `services.move_state`,
`VersionState`): a knowledge editor of the owner (`knowledge.edit`) writes a draft and submits
it; a central editor (`knowledge.review`) sends it back with a comment, publishes it now or
schedules it (the worker source `knowledge.script_schedule`: `publish_due`); publishing marks
the previous published version outdated; `retire` takes the script out of use.

**A run** (`ScriptRun`) is an agent's way through the published version: `start_run`, then
`answer` per question (the path `[{"node": id, "answer": index}]` grows; an answer to any but
the current question is refused), ending at an outcome; `attach_run` saves it on the
consultation the agent registers. `outcomes` counts where the runs of a version ended.

Scripts hold no personal data; writes are audited, reads are not."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide, require
from durvis.audit.services import record
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.concurrency import advance_version
from durvis.identity.models import StaffMember
from durvis.knowledge.models import (
    Article,
    ArticleAudience,
    CallScript,
    ScriptRun,
    ScriptVersion,
    VersionState,
)
from durvis.knowledge.rules import KnowledgeAction, is_central_editor
from durvis.knowledge.services import (
    check_approval,
    lock_state,
    move_state,
    next_scheduled,
    publish_scheduled,
    supersede,
)
from durvis.register.models import Consultation

OUTCOMES = {
    "article": gettext_lazy("Read out an article"),
    "register_application": gettext_lazy("Register an application"),
    "book_appointment": gettext_lazy("Book an appointment"),
    "second_level": gettext_lazy("Route to the second level"),
}
MAX_NODES = 60
MAX_ANSWERS = 10
MAX_QUESTION = 1000
MAX_LABEL = 200
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
OPEN_STATES = (VersionState.DRAFT, VersionState.REVIEW, VersionState.SCHEDULED)


def empty_definition() -> dict[str, Any]:
    """A new script's definition: no questions yet."""
    return {"start": "", "nodes": {}}


# --- The definition's check ----------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One problem of a definition: the question it is at (`node`, "" for the whole script)
    and the `message` (in the reader's language), naming the question."""

    node: str
    message: str

    def __str__(self) -> str:
        return self.message


def problems(definition: Any, service: Service | None = None) -> list[Problem]:
    """Everything wrong with a definition (decoded JSON), in the order of its questions: no
    start, a question with no answers, an answer leading nowhere (a dead end) or to an unknown
    question, an unknown outcome, an article outcome without an article or naming an unknown
    one, a loop (a question reachable from itself), questions the start never reaches, text
    over `MAX_QUESTION`/`MAX_LABEL` characters, more than `MAX_NODES` questions or
    `MAX_ANSWERS` answers. An empty list: it may be published."""
    if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), dict):
        return [Problem("", _("The script has no questions."))]
    nodes: dict[str, Any] = definition["nodes"]
    found: list[Problem] = []
    start = definition.get("start")
    if not nodes:
        return [Problem("", _("The script has no questions."))]
    if len(nodes) > MAX_NODES:
        found.append(Problem("", _("A script has at most %(n)d questions.") % {"n": MAX_NODES}))
    if not isinstance(start, str) or start not in nodes:
        found.append(Problem("", _("Choose the first question.")))
    articles = _known_articles(nodes, service)
    for node_id, node in nodes.items():
        found += [Problem(str(node_id), _("Question “%(node)s”: %(problem)s") % {
            "node": node_label(nodes, str(node_id)), "problem": p})
            for p in _node_problems(node, nodes, articles)]
    found += _graph_problems(nodes, start if isinstance(start, str) else "")
    return found


def check_definition(definition: Any, service: Service | None = None) -> list[str]:
    """`problems` as messages (an empty list: none)."""
    return [p.message for p in problems(definition, service)]


def reachable_articles(service: Service | None) -> QuerySet[Article]:
    """The articles an answer of a script about `service` (None: a topic script) may lead to:
    published, and read by everyone who may run the script — public or for all providers'
    staff, or for the holder and its delegates when it is about the same service (the
    script's runners are that service's holder and providers)."""
    readers = Q(audience__in=(ArticleAudience.PUBLIC, ArticleAudience.PROVIDERS))
    if service is not None:
        readers |= Q(audience=ArticleAudience.DELEGATED, service=service)
    return Article.objects.filter(readers, published__isnull=False)


def node_label(nodes: dict[str, Any], node_id: str) -> str:
    """A question as people know it: its text, shortened to 60 characters (its id if empty)."""
    node = nodes.get(node_id)
    text = str(node.get("question", "")).strip() if isinstance(node, dict) else ""
    if not text:
        return node_id
    return text if len(text) <= 60 else text[:59] + "…"


def _known_articles(nodes: dict[str, Any], service: Service | None) -> set[int]:
    wanted = {a.get("article") for n in nodes.values() if isinstance(n, dict)
              for a in (n.get("answers") or []) if isinstance(a, dict)}
    ids = [int(x) for x in wanted if isinstance(x, int) and not isinstance(x, bool)
           and 0 < x < 2**31]
    return set(reachable_articles(service).filter(pk__in=ids).values_list("pk", flat=True))


def _node_problems(node: Any, nodes: dict[str, Any], articles: set[int]) -> list[str]:
    if not isinstance(node, dict):
        return [_("it is not a question.")]
    found = []
    question = node.get("question")
    if not isinstance(question, str) or not question.strip():
        found.append(_("write the question."))
    elif len(question) > MAX_QUESTION:
        found.append(_("a question is at most %(n)d characters.") % {"n": MAX_QUESTION})
    answers = node.get("answers")
    if not isinstance(answers, list) or not answers:
        return [*found, _("it has no answers.")]
    if len(answers) > MAX_ANSWERS:
        found.append(_("a question has at most %(n)d answers.") % {"n": MAX_ANSWERS})
    for number, answer in enumerate(answers, start=1):
        found += [_("answer %(number)d: %(problem)s") % {"number": number, "problem": p}
                  for p in _answer_problems(answer, nodes, articles)]
    return found


def _answer_problems(answer: Any, nodes: dict[str, Any], articles: set[int]) -> list[str]:
    if not isinstance(answer, dict):
        return [_("it is not an answer.")]
    found = []
    label = answer.get("label")
    if not isinstance(label, str) or not label.strip():
        found.append(_("write the answer."))
    elif len(label) > MAX_LABEL:
        found.append(_("an answer is at most %(n)d characters.") % {"n": MAX_LABEL})
    target, outcome = answer.get("next"), answer.get("outcome")
    if target and outcome:
        found.append(_("it leads either to a question or to an outcome, not both."))
    elif target:
        if not isinstance(target, str) or target not in nodes:
            found.append(_("it leads to an unknown question."))
    elif outcome:
        found += _outcome_problems(answer, articles)
    else:
        found.append(_("it leads nowhere (a dead end): choose the next question or an "
                       "outcome."))
    return found


def _outcome_problems(answer: dict[str, Any], articles: set[int]) -> list[str]:
    outcome, article = answer.get("outcome"), answer.get("article")
    if outcome not in OUTCOMES:
        return [_("unknown outcome.")]
    if outcome != "article":
        return []
    if article is None or article == "":
        return [_("choose the article it leads to.")]
    if not isinstance(article, int) or article not in articles:
        return [_("the article it names is not published for everyone who runs this script.")]
    return []


def _targets(node: Any, nodes: dict[str, Any]) -> list[str]:
    if not isinstance(node, dict) or not isinstance(node.get("answers"), list):
        return []
    return [a["next"] for a in node["answers"]
            if isinstance(a, dict) and isinstance(a.get("next"), str) and a["next"] in nodes]


def _graph_problems(nodes: dict[str, Any], start: str) -> list[Problem]:
    """Loops (a depth-first search meeting a question on its own way) and the questions the
    start does not reach."""
    found: list[Problem] = []
    state: dict[str, int] = {}  # 1: on the way, 2: done
    looped: set[str] = set()
    for root in nodes:
        stack: list[tuple[str, int]] = [(root, 0)] if root not in state else []
        while stack:
            node_id, index = stack.pop()
            targets = _targets(nodes[node_id], nodes)
            if index == 0:
                state[node_id] = 1
            if index < len(targets):
                stack.append((node_id, index + 1))
                target = targets[index]
                if state.get(target) == 1 and target not in looped:
                    looped.add(target)
                    found.append(Problem(target, _("Question “%(node)s” is reached again from "
                                                   "the questions after it (a loop).") % {
                        "node": node_label(nodes, target)}))
                elif target not in state:
                    stack.append((target, 0))
            else:
                state[node_id] = 2
    reached = _reached(nodes, start)
    found += [Problem(n, _("Question “%(node)s” is not reached from the first question.")
                      % {"node": node_label(nodes, n)}) for n in nodes if n not in reached]
    return found


def _reached(nodes: dict[str, Any], start: str) -> set[str]:
    if start not in nodes:
        return set(nodes)  # "choose the first question" says it already
    seen, todo = {start}, [start]
    while todo:
        for target in _targets(nodes[todo.pop()], nodes):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _require_clean(version: ScriptVersion) -> None:
    found = check_definition(version.definition, version.script.service)
    if found:
        raise ValidationError({"definition": found})


# --- Writes: the lifecycle -----------------------------------------------------------------------

@transaction.atomic
def create_script(actor: Actor, *, title_lv: str, title_en: str = "",
                  service: Service | None = None, topic: str = "") -> ScriptVersion:
    """A new script about a `service` (owned by its holder) or a `topic` (owned by the editor's
    institution), with an empty draft as version 1. Raises Refused (`knowledge.edit`: not a
    knowledge editor of the owner) and ValidationError (`service`: none or both; `topic` over
    100 characters; `title_lv` empty or over 200)."""
    topic = topic.strip()
    if (service is None) == (not topic):
        raise ValidationError({"service": _("Choose one: a service or a topic.")})
    if len(topic) > 100:
        raise ValidationError({"topic": _("A topic is at most 100 characters.")})
    member = _member(actor)
    require(actor, KnowledgeAction.EDIT, service if service is not None else member.institution)
    titles = _titles(title_lv, title_en)
    script = CallScript.objects.create(
        institution_id=service.holder_id if service is not None else member.institution_id,
        service=service, topic=topic, created_by=member)
    version = ScriptVersion.objects.create(script=script, number=1, author=member,
                                           definition=empty_definition(), **titles)
    record(actor, "knowledge.script.create", script, details={"version": 1})
    return version


def _titles(title_lv: str, title_en: str) -> dict[str, str]:
    title_lv, title_en = title_lv.strip(), title_en.strip()
    if not title_lv:
        raise ValidationError({"title_lv": _("Give the title in Latvian.")})
    if len(title_lv) > 200 or len(title_en) > 200:
        raise ValidationError({"title_lv": _("A title is at most 200 characters.")})
    return {"title_lv": title_lv, "title_en": title_en}


@transaction.atomic
def save_draft(actor: Actor, version: ScriptVersion, *, title_lv: str, title_en: str,
               definition: dict[str, Any], expected: int | None) -> list[Problem]:
    """Change a draft's titles and definition; saved whatever its `problems`, which are
    returned (the editor shows them). `expected`: the version the form was opened on (None:
    any). Raises Refused, ValidationError (`state`: not a draft; `title_lv`; `definition`: not
    a definition's shape) and `core.concurrency.StaleVersion` (changed meanwhile: nothing
    written)."""
    require(actor, KnowledgeAction.EDIT, version.script)
    titles = _titles(title_lv, title_en)
    if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), dict):
        raise ValidationError({"definition": _("Not a call script's definition.")})
    lock_state(version, VersionState.DRAFT, _("Only a draft can be changed."))
    advance_version(ScriptVersion.objects.filter(pk=version.pk), expected)
    version.refresh_from_db(fields=["version"])
    version.title_lv, version.title_en = titles["title_lv"], titles["title_en"]
    version.definition = {"start": str(definition.get("start") or ""),
                          "nodes": definition["nodes"]}
    version.save()
    record(actor, "knowledge.script.edit", version.script, details={"version": version.number})
    return problems(version.definition, version.script.service)


@transaction.atomic
def new_version(actor: Actor, script: CallScript) -> ScriptVersion:
    """The script's version to work on: the open one (a draft, in review or scheduled) if any,
    else a new draft copied from the newest. Raises Refused."""
    require(actor, KnowledgeAction.EDIT, script)
    CallScript.objects.select_for_update().filter(pk=script.pk).get()
    open_ = script.versions.filter(state__in=OPEN_STATES).first()
    if open_ is not None:
        return open_
    newest = script.versions.order_by("-number").first()
    assert newest is not None
    number = (script.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ScriptVersion.objects.create(
        script=script, number=number, author=_member(actor), title_lv=newest.title_lv,
        title_en=newest.title_en, definition=newest.definition)
    record(actor, "knowledge.script.new_version", script, details={"version": number})
    return version


@transaction.atomic
def submit(actor: Actor, version: ScriptVersion) -> None:
    """Send a draft to the central editors' review. Raises Refused and ValidationError
    (`state`: not a draft; `definition`: the check's problems)."""
    require(actor, KnowledgeAction.EDIT, version.script)
    lock_state(version, VersionState.DRAFT, _("Only a draft can be sent to review."))
    _require_clean(version)
    move_state(version, VersionState.REVIEW, submitted_at=timezone.now())
    record(actor, "knowledge.script.submit", version.script, details={"version": version.number})


@transaction.atomic
def return_to_draft(actor: Actor, version: ScriptVersion, comment: str) -> None:
    """A central editor sends a version in review (or scheduled) back with a comment. Raises
    Refused and ValidationError (`comment` empty; `state`: not in review)."""
    require(actor, KnowledgeAction.REVIEW, version.script)
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must change.")})
    lock_state(version, (VersionState.REVIEW, VersionState.SCHEDULED),
               _("Only a version in review can be sent back."))
    move_state(version, VersionState.DRAFT, review_comment=comment.strip()[:2000],
               reviewer=_member(actor), publish_at=None)
    record(actor, "knowledge.script.return", version.script, details={"version": version.number})


@transaction.atomic
def approve(actor: Actor, version: ScriptVersion,
            publish_at: datetime.datetime | None = None) -> None:
    """A central editor publishes a version in review now (`publish_at` None) or schedules it
    (the worker publishes it then). Raises Refused and ValidationError (`state`: not in review;
    `definition`: the check's problems; `publish_at` not in the future)."""
    require(actor, KnowledgeAction.REVIEW, version.script)
    lock_state(version, VersionState.REVIEW, _("Only a version in review can be published."))
    _require_clean(version)
    check_approval(actor, version, publish_at)
    member = _member(actor)
    if publish_at is not None:
        move_state(version, VersionState.SCHEDULED, publish_at=publish_at, reviewer=member,
                   review_comment="")
        record(actor, "knowledge.script.schedule", version.script,
               details={"version": version.number, "publish_at": publish_at.isoformat()})
        return
    version.reviewer = member
    _publish(actor, version)


def publish_due(now: datetime.datetime | None = None, batch: int = 100) -> int:
    """Publish the scheduled script versions whose time has come (the worker source
    `knowledge.script_schedule`). Returns how many."""
    return publish_scheduled(ScriptVersion, _publish, now, batch)


def next_due_at() -> datetime.datetime | None:
    """When the earliest scheduled script version is due (None: none is scheduled)."""
    return next_scheduled(ScriptVersion)


def _publish(actor: Actor, version: ScriptVersion) -> None:
    script = CallScript.objects.select_for_update().get(pk=version.script_id)
    previous = supersede(script, version)
    script.save(update_fields=["published"])
    record(actor, "knowledge.script.publish", script,
           details={"version": version.number, "outdated": previous})


@transaction.atomic
def retire(actor: Actor, script: CallScript) -> None:
    """A central editor takes a script out of use: its published version is retired (runs
    started stay as they are). Raises Refused and ValidationError (`state`: nothing
    published)."""
    require(actor, KnowledgeAction.REVIEW, script)
    script = CallScript.objects.select_for_update().get(pk=script.pk)
    if script.published_id is None:
        raise ValidationError({"state": _("The script has no published version.")})
    ScriptVersion.objects.filter(pk=script.published_id).update(
        state=VersionState.RETIRED, ended_at=timezone.now())
    script.published = None
    script.save(update_fields=["published"])
    record(actor, "knowledge.script.retire", script)


def _member(actor: Actor) -> StaffMember:
    if actor.staff is None:
        raise ValidationError({"actor": _("Only staff write the knowledge base.")})
    return actor.staff


# --- Running a script ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """Where a way through a definition stands: the current question (`node`, None at the end)
    or the `outcome` reached with its `article` (an id or None), and the `taken` steps as
    (question text, answer label) pairs."""

    node: str | None
    outcome: str
    article: int | None
    taken: list[tuple[str, str]]


def walk(definition: dict[str, Any], answers: list[int]) -> Step:
    """Follow `answers` (each the index of an answer of the current question) from the start
    of a definition. Raises ValueError for an answer the current question does not have, or an
    answer after the end."""
    nodes = definition.get("nodes") or {}
    node: str | None = definition.get("start") or None
    taken: list[tuple[str, str]] = []
    for index in answers:
        if node is None or not isinstance(nodes.get(node), dict):
            raise ValueError("past the end")
        options = nodes[node].get("answers") or []
        if not 0 <= index < len(options) or not isinstance(options[index], dict):
            raise ValueError("no such answer")
        chosen = options[index]
        taken.append((str(nodes[node].get("question", "")), str(chosen.get("label", ""))))
        if chosen.get("next"):
            node = str(chosen["next"])
            continue
        article = chosen.get("article")
        return Step(None, str(chosen.get("outcome") or ""),
                    article if isinstance(article, int) else None, taken)
    if node is not None and not isinstance(nodes.get(node), dict):
        raise ValueError("unknown question")
    return Step(node, "", None, taken)


@transaction.atomic
def start_run(actor: Actor, script: CallScript) -> ScriptRun:
    """An agent starts a run of the script's published version. Raises Refused
    (`knowledge.script.run`: not staff of an institution that serves its service) and
    ValidationError (`state`: nothing published)."""
    script = CallScript.objects.select_related("service").get(pk=script.pk)  # as published now
    require(actor, KnowledgeAction.RUN_SCRIPT, script)
    if script.published_id is None:
        raise ValidationError({"state": _("The script has no published version.")})
    run = ScriptRun.objects.create(version_id=script.published_id, agent=_member(actor))
    record(actor, "knowledge.script.run", script, details={"run": run.pk})
    return run


@transaction.atomic
def answer(actor: Actor, run: ScriptRun, node: str, index: int) -> Step:
    """The agent's answer `index` to the question `node` of their own run: the path grows by
    it; at an outcome the run ends. Returns where it stands. Raises ScriptRun.DoesNotExist
    (another's run) and ValidationError (`answer`: the run has ended, `node` is not its current
    question, or it has no such answer)."""
    run = ScriptRun.objects.select_for_update().select_related("version").get(
        pk=run.pk, agent=_member(actor))
    if run.finished_at is not None:
        raise ValidationError({"answer": _("This run has already ended.")})
    step = walk(run.version.definition, [p["answer"] for p in run.path])
    if step.node != node:
        raise ValidationError({"answer": _("The script has moved on: answer the question "
                                           "shown.")})
    try:
        after = walk(run.version.definition, [*(p["answer"] for p in run.path), index])
    except ValueError:
        raise ValidationError({"answer": _("Choose one of the answers.")}) from None
    run.path = [*run.path, {"node": node, "answer": index}]
    changed = ["path"]
    if after.node is None:
        run.outcome, run.finished_at = after.outcome, timezone.now()
        changed += ["outcome", "finished_at"]
    run.save(update_fields=changed)
    return after


@transaction.atomic
def attach_run(actor: Actor, run_id: int, consultation: Consultation) -> ScriptRun:
    """Save the actor's own ended run on the consultation they registered (its path is then
    part of the consultation's record). Raises ScriptRun.DoesNotExist (another's run, unknown,
    or already saved on a consultation) and ValidationError (`script_run`: not ended; the
    consultation not the actor's)."""
    run = ScriptRun.objects.select_for_update().get(
        pk=run_id, agent=_member(actor), consultation__isnull=True)
    if run.finished_at is None:
        raise ValidationError({"script_run": _("The call script was not run to its end.")})
    member = _member(actor)
    if consultation.agent_id != member.user_id:
        raise ValidationError({"script_run": _("Not your consultation.")})
    run.consultation = consultation
    run.save(update_fields=["consultation"])
    record(actor, "knowledge.script.attach", consultation,
           details={"run": run.pk, "version": run.version_id, "outcome": run.outcome})
    return run


# --- Reads ---------------------------------------------------------------------------------------

def editable(actor: Actor) -> QuerySet[CallScript]:
    """The scripts the actor edits (their institution's; a central editor's: all), newest
    first, with the published version, owner and service."""
    scripts = CallScript.objects.select_related("published", "service", "institution")
    if actor.staff is None:
        return scripts.none()
    if not is_central_editor(actor):
        scripts = scripts.filter(institution_id=actor.staff.institution_id)
    return scripts.order_by("-pk")


def runnable(actor: Actor, *, service: Service | None = None) -> list[CallScript]:
    """The published scripts the actor may run (`knowledge.script.run`), by title; with
    `service`, that service's only."""
    scripts = CallScript.objects.select_related("published", "service").filter(
        published__isnull=False)
    if service is not None:
        scripts = scripts.filter(service=service)
    found = [s for s in scripts if decide(actor, KnowledgeAction.RUN_SCRIPT, s)]
    return sorted(found, key=lambda s: (s.published.title_lv if s.published else "", s.pk))


def script_for(actor: Actor, pk: int, action: str = KnowledgeAction.EDIT) -> CallScript:
    """One script the actor may `action` (`knowledge.edit` by default, or
    `knowledge.script.run`). Raises CallScript.DoesNotExist for an unknown one and one refused
    alike."""
    script = CallScript.objects.select_related("published", "service", "institution").get(pk=pk)
    if not decide(actor, action, script):
        raise CallScript.DoesNotExist
    return script


def version_for(actor: Actor, pk: int) -> ScriptVersion:
    """One version of a script the actor edits or reviews. Raises ScriptVersion.DoesNotExist
    (unknown or not theirs alike)."""
    version = (ScriptVersion.objects.select_related("script", "script__service",
                                                    "script__institution", "author__user")
               .get(pk=pk))
    if not (decide(actor, KnowledgeAction.EDIT, version.script)
            or decide(actor, KnowledgeAction.REVIEW, version.script)):
        raise ScriptVersion.DoesNotExist
    return version


def versions_of(script: CallScript) -> list[ScriptVersion]:
    """Every version of the script, newest first."""
    return list(script.versions.select_related("author__user", "reviewer__user")
                .order_by("-number"))


def open_version(script: CallScript) -> ScriptVersion | None:
    """The version being worked on (a draft, in review or scheduled), if any."""
    return script.versions.filter(state__in=OPEN_STATES).order_by("-number").first()


def review_queue() -> QuerySet[ScriptVersion]:
    """Script versions waiting for a central editor or scheduled, oldest first."""
    return (ScriptVersion.objects.select_related("script", "script__institution",
                                                 "author__user")
            .filter(state__in=(VersionState.REVIEW, VersionState.SCHEDULED))
            .order_by("submitted_at", "pk"))


def run_of(actor: Actor, pk: int) -> ScriptRun:
    """The actor's own run. Raises ScriptRun.DoesNotExist (unknown or another's alike)."""
    if actor.staff is None:
        raise ScriptRun.DoesNotExist
    return (ScriptRun.objects.select_related("version", "version__script",
                                             "version__script__service")
            .get(pk=pk, agent=actor.staff))


def runs_of(consultation: Consultation) -> list[ScriptRun]:
    """The script runs saved on a consultation."""
    return list(ScriptRun.objects.select_related("version").filter(consultation=consultation)
                .order_by("pk"))


@dataclass(frozen=True)
class Ending:
    """Where runs of a version ended: the last question (`node`, its `question` text), the
    `answer` given there, the `outcome` and how many runs (`count`)."""

    node: str
    question: str
    answer: str
    outcome: str
    count: int


def outcomes(version: ScriptVersion) -> list[Ending]:
    """Which branches end where: the ended runs of a version counted per last question and
    answer (so per outcome), the most frequent first."""
    counts: Counter[tuple[str, int, str]] = Counter()
    for path, outcome in (version.runs.filter(finished_at__isnull=False)
                          .values_list("path", "outcome")):
        if path:
            counts[(str(path[-1]["node"]), int(path[-1]["answer"]), str(outcome))] += 1
    nodes = version.definition.get("nodes") or {}
    endings = []
    for (node, index, outcome), count in counts.most_common():
        answers = (nodes.get(node) or {}).get("answers") or []
        label = str(answers[index].get("label", "")) if 0 <= index < len(answers) else ""
        endings.append(Ending(node, node_label(nodes, node), label, outcome, count))
    return endings
