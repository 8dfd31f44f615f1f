"""Call scripts in the workplace (B6; issue 17): the knowledge editors' list, a form-based editor
of questions and answers (nobody types JSON), a preview, the central editors' review, the
versions and where the runs ended; the agents' runner, one question at a time, ending at the
outcome and the link that registers the consultation with the run.

The editor works on the version itself (`knowledge.scripts.save_draft`, checked by its version
number, `core.concurrency`): the draft is saved whatever its problems, which are listed at their
questions (`scripts.problems`); submitting and publishing refuse any. A question's form holds
its text and one row per answer (the label, where it leads: another question, a new question,
or an outcome, and for the outcome "article" the article); an empty row adds an answer, an
answer whose target is left empty is removed. The preview follows answers given in the address
(`?a=0&a=1`) without saving a run; the runner saves each answer (`scripts.answer`) and works
without JavaScript: the answers are buttons of one form."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from durvis.access.policy import decide
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import Form, VersionField
from durvis.identity.sessions import actor_from_request
from durvis.knowledge import scripts
from durvis.knowledge.models import (
    Article,
    CallScript,
    ScriptRun,
    ScriptVersion,
    VersionState,
)
from durvis.knowledge.rules import KnowledgeAction, is_central_editor
from durvis.web.shell import staff_required

NEW = "new"  # "leads to a new question"


# --- Forms ---------------------------------------------------------------------------------------

class ScriptForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int, required=False,
                                     empty_value=None)
    topic = forms.CharField(label=gettext_lazy("Or a topic"), max_length=100, required=False)
    title_lv = forms.CharField(label=gettext_lazy("Title in Latvian"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title in English"), max_length=200,
                               required=False)

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("None: a topic")),
                         *((s.pk, f"{s.code} {s.name}") for s in services)]


class DraftForm(Form):
    title_lv = forms.CharField(label=gettext_lazy("Title in Latvian"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title in English"), max_length=200,
                               required=False)
    start = forms.ChoiceField(label=gettext_lazy("First question"), required=False)
    version = VersionField()

    def __init__(self, *args: Any, nodes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["start"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose the first question")), *nodes]


class QuestionForm(Form):
    question = forms.CharField(label=gettext_lazy("Question"), max_length=scripts.MAX_QUESTION,
                               widget=forms.Textarea(attrs={"rows": 3}))
    version = VersionField()


class AnswerForm(Form):
    label = forms.CharField(label=pgettext_lazy("a call script's answer", "Answer"),
                            max_length=scripts.MAX_LABEL, required=False)
    leads = forms.ChoiceField(label=gettext_lazy("Leads to"), required=False)
    article = forms.TypedChoiceField(label=gettext_lazy("Article (for the outcome “Read out an "
                                                        "article”)"),
                                     coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, nodes: list[tuple[str, str]],
                 articles: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leads = self.fields["leads"]
        article = self.fields["article"]
        assert isinstance(leads, forms.ChoiceField) and isinstance(article, forms.ChoiceField)
        leads.choices = [
            ("", _("Nowhere (leave empty to remove the answer)")),
            (gettext_lazy("Outcomes"), [(f"outcome:{k}", v) for k, v in scripts.OUTCOMES.items()]),
            (gettext_lazy("Questions"), [(f"node:{k}", v) for k, v in nodes]),
            (NEW, _("A new question (added empty)"))]
        article.choices = [("", _("None")), *articles]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("leads") and not (data.get("label") or "").strip() and "label" in data:
            self.add_error("label", _("Write the answer."))
        if (data.get("label") or "").strip() and not data.get("leads"):
            self.add_error("leads", _("Choose where the answer leads, or clear its text to "
                                      "remove it."))
        return data


class ReturnForm(Form):
    comment = forms.CharField(label=gettext_lazy("What must change"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at (empty: now)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


# --- Helpers -------------------------------------------------------------------------------------

def _actor(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if actor.staff is None:
        raise PermissionDenied
    return actor


def _script(actor: Actor, pk: int, action: str = KnowledgeAction.EDIT) -> CallScript:
    try:
        return scripts.script_for(actor, pk, action)
    except CallScript.DoesNotExist:
        raise Http404 from None


def _version(actor: Actor, pk: int) -> ScriptVersion:
    try:
        return scripts.version_for(actor, pk)
    except ScriptVersion.DoesNotExist:
        raise Http404 from None


def _nodes(version: ScriptVersion) -> dict[str, Any]:
    nodes = version.definition.get("nodes")
    return nodes if isinstance(nodes, dict) else {}


def _ordered(version: ScriptVersion) -> list[str]:
    """The questions as a run meets them: from the first along the answers, then the rest."""
    nodes = _nodes(version)
    start = version.definition.get("start")
    order = [start] if start in nodes else []
    for key in order:
        for answer in (nodes[key].get("answers") or []) if isinstance(nodes[key], dict) else []:
            target = answer.get("next") if isinstance(answer, dict) else None
            if isinstance(target, str) and target in nodes and target not in order:
                order.append(target)
    return order + [k for k in nodes if k not in order]


def _node_choices(version: ScriptVersion) -> list[tuple[str, str]]:
    nodes = _nodes(version)
    return [(k, scripts.node_label(nodes, k)) for k in _ordered(version)]


def _new_id(nodes: dict[str, Any]) -> str:
    number = len(nodes) + 1
    while f"q{number}" in nodes:
        number += 1
    return f"q{number}"


def _articles(script: CallScript) -> list[tuple[int, str]]:
    """The articles an answer may lead to, by their published title: those everyone who runs
    the script may read (`scripts.reachable_articles`)."""
    return [(pk, title) for pk, title in scripts.reachable_articles(script.service)
            .order_by("published__title_lv", "pk")
            .values_list("pk", "published__title_lv")[:500]]


def _summary(*forms_: forms.Form) -> list[dict[str, str]]:
    return [{"href": f"#{f[name].id_for_label}" if name in f.fields else "#main",
             "text": f"{f[name].label}: {e}" if name in f.fields else str(e)}
            for f in forms_ for name in f.errors for e in f.errors[name]]


def _errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- The editors' pages --------------------------------------------------------------------------

@staff_required
def script_list(request: HttpRequest) -> HttpResponse:
    """The scripts the person edits, the review queue for central editors, and the published
    scripts they may run."""
    actor = _actor(request)
    editor = bool(decide(actor, KnowledgeAction.EDIT, None))
    return render(request, "administration/script_list.html", {
        "editor": editor, "central": is_central_editor(actor),
        "editable": list(scripts.editable(actor)[:200]) if editor else [],
        "queue": list(scripts.review_queue()[:200]) if is_central_editor(actor) else [],
        "runnable": scripts.runnable(actor)})


@staff_required
def script_new(request: HttpRequest) -> HttpResponse:
    """A new script about a service the editor's institution holds (a central editor: any)
    or a topic; it opens on its first draft."""
    actor = _actor(request)
    if not decide(actor, KnowledgeAction.EDIT, None):
        raise PermissionDenied
    assert actor.staff is not None
    services = list(Service.objects.order_by("code") if is_central_editor(actor) else
                    Service.objects.filter(holder_id=actor.staff.institution_id)
                    .order_by("code"))
    form = ScriptForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = next((s for s in services if s.pk == data["service"]), None)
        try:
            version = scripts.create_script(actor, title_lv=data["title_lv"],
                                            title_en=data["title_en"], service=service,
                                            topic=data["topic"])
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("The script is created: add its questions."))
            return redirect("administration:script-version", pk=version.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "administration/script_new.html",
                  {"form": form, "summary": _summary(form)}, status=status)


@staff_required
def script_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A script: its versions, the one being worked on, and where the runs of each ended."""
    actor = _actor(request)
    script = _script(actor, pk)
    versions = scripts.versions_of(script)
    return render(request, "administration/script_page.html", {
        "script": script, "versions": versions, "open": scripts.open_version(script),
        "central": is_central_editor(actor),
        "endings": [(v, scripts.outcomes(v)) for v in versions
                    if v.state in (VersionState.PUBLISHED, VersionState.OUTDATED,
                                   VersionState.RETIRED)],
        "outcomes": scripts.OUTCOMES})


@staff_required
@require_POST
def script_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the version to work on (the open one, or a copy of the newest)."""
    actor = _actor(request)
    version = scripts.new_version(actor, _script(actor, pk))
    return redirect("administration:script-version", pk=version.pk)


@staff_required
@require_POST
def script_retire(request: HttpRequest, pk: int) -> HttpResponse:
    """A central editor retires the published version."""
    actor = _actor(request)
    script = _script(actor, pk)
    try:
        scripts.retire(actor, script)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The script is retired."))
    return redirect("administration:script", pk=script.pk)


@staff_required
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A version: its titles and first question (a draft: editable), its questions with their
    problems; POST `action` `save` or `submit` (its editors), `return` or `approve` (a central
    editor)."""
    actor = _actor(request)
    version = _version(actor, pk)
    action = request.POST.get("action", "save")
    if request.method == "POST" and action in ("return", "approve"):
        return _review(request, actor, version, action)
    editable = (version.state == VersionState.DRAFT
                and bool(decide(actor, KnowledgeAction.EDIT, version.script)))
    initial = {"title_lv": version.title_lv, "title_en": version.title_en,
               "start": version.definition.get("start") or "", "version": version.version}
    form = DraftForm(request.POST if request.method == "POST" else None, initial=initial,
                     nodes=_node_choices(version))
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        response = _save_or_submit(request, actor, version, form, action)
        if response is not None:
            return response
        status = 422
    return _version_render(request, actor, version, form, editable, status=status)


def _save_or_submit(request: HttpRequest, actor: Actor, version: ScriptVersion,
                    form: DraftForm, action: str) -> HttpResponse | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        scripts.save_draft(actor, version, title_lv=data["title_lv"], title_en=data["title_en"],
                           definition={**version.definition, "start": data["start"]},
                           expected=data["version"])
        if action == "submit":
            scripts.submit(actor, version)
    except StaleVersion:
        form.add_error(None, _("Someone changed this draft after you opened it: review it "
                               "and save again."))
        return None
    except ValidationError as error:
        if action == "submit" and "definition" in getattr(error, "error_dict", {}):
            form.add_error(None, _("The script is saved, but not sent to review: correct the "
                                   "problems below first."))
            return None
        _errors(form, error)
        return None
    messages.success(request, _("The script is sent to review.") if action == "submit"
                     else _("The draft is saved."))
    return redirect("administration:script-version", pk=version.pk)


def _review(request: HttpRequest, actor: Actor, version: ScriptVersion,
            action: str) -> HttpResponse:
    if not decide(actor, KnowledgeAction.REVIEW, version.script):
        raise PermissionDenied
    return_form = ReturnForm(request.POST if action == "return" else None)
    approve_form = ApproveForm(request.POST if action == "approve" else None)
    form = return_form if action == "return" else approve_form
    if form.is_valid():
        try:
            if action == "return":
                scripts.return_to_draft(actor, version, return_form.cleaned_data["comment"])
            else:
                scripts.approve(actor, version, approve_form.cleaned_data["publish_at"])
        except ValidationError as error:
            _errors(form, error)
        else:
            version.refresh_from_db()
            messages.success(request, {
                VersionState.DRAFT: _("The version is sent back to its editors."),
                VersionState.SCHEDULED: _("The version is scheduled."),
            }.get(version.state, _("The version is published.")))  # type: ignore[call-overload]
            return redirect("administration:script", pk=version.script_id)
    draft = DraftForm(None, nodes=_node_choices(version))
    return _version_render(request, actor, version, draft, False, status=422,
                           return_form=return_form, approve_form=approve_form)


def _version_render(request: HttpRequest, actor: Actor, version: ScriptVersion, form: DraftForm,
                    editable: bool, *, status: int = 200, return_form: ReturnForm | None = None,
                    approve_form: ApproveForm | None = None) -> HttpResponse:
    found = scripts.problems(version.definition, version.script.service)
    nodes = _nodes(version)
    rows = [{"key": key, "question": scripts.node_label(nodes, key),
             "first": key == version.definition.get("start"),
             "answers": [_answer_text(a, nodes) for a in (nodes[key].get("answers") or [])
                         if isinstance(a, dict)] if isinstance(nodes[key], dict) else [],
             "problems": [p.message for p in found if p.node == key]}
            for key in _ordered(version)]
    reviewer = (version.state in (VersionState.REVIEW, VersionState.SCHEDULED)
                and bool(decide(actor, KnowledgeAction.REVIEW, version.script)))
    return_form = return_form or ReturnForm()
    approve_form = approve_form or ApproveForm()
    summary = _summary(form, return_form, approve_form)
    summary += [{"href": f"#question-{p.node}" if p.node else "#questions", "text": p.message}
                for p in found] if request.method == "POST" else []
    return render(request, "administration/script_version.html", {
        "version": version, "script": version.script, "form": form, "editable": editable,
        "rows": rows, "general": [p.message for p in found if not p.node],
        "problem_count": len(found), "reviewer": reviewer,
        "own": actor.staff is not None and version.author_id == actor.staff.pk, "return_form": return_form,
        "approve_form": approve_form, "summary": summary}, status=status)


def _answer_text(answer: dict[str, Any], nodes: dict[str, Any]) -> str:
    label = str(answer.get("label", ""))
    target = answer.get("next")
    if isinstance(target, str) and target:
        where = _("question “%(node)s”") % {"node": scripts.node_label(nodes, target)}
    elif answer.get("outcome") in scripts.OUTCOMES:
        where = str(scripts.OUTCOMES[answer["outcome"]])
        if answer["outcome"] == "article" and answer.get("article"):
            where += f" ({answer['article']})"
    else:
        where = _("nowhere")
    return f"{label} → {where}"


# --- A question's form ---------------------------------------------------------------------------

@staff_required
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new question of a draft."""
    return _question(request, pk, None)


@staff_required
def question_page(request: HttpRequest, pk: int, node: str) -> HttpResponse:
    """One question of a draft and its answers."""
    return _question(request, pk, node)


def _editable_draft(request: HttpRequest, pk: int) -> tuple[Actor, ScriptVersion]:
    actor = _actor(request)
    version = _version(actor, pk)
    if not decide(actor, KnowledgeAction.EDIT, version.script):
        raise PermissionDenied
    if version.state != VersionState.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        raise _Redirect(reverse("administration:script-version", args=[version.pk]))
    return actor, version


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _question(request: HttpRequest, pk: int, node: str | None) -> HttpResponse:
    try:
        actor, version = _editable_draft(request, pk)
    except _Redirect as moved:
        return redirect(moved.url)
    nodes = _nodes(version)
    if node is not None and node not in nodes:
        raise Http404
    current = nodes.get(node, {}) if node is not None else {}
    current = current if isinstance(current, dict) else {}
    answers_initial = [_answer_initial(a) for a in current.get("answers") or []
                       if isinstance(a, dict)]
    posted = request.POST if request.method == "POST" else None
    form = QuestionForm(posted, initial={"question": current.get("question", ""),
                                         "version": version.version})
    count = (len([k for k in posted if k.startswith("answer-") and k.endswith("-label")])
             if posted else len(answers_initial) + 1)
    count = max(1, min(count, scripts.MAX_ANSWERS + 1))
    choices = [c for c in _node_choices(version) if c[0] != node]
    articles = _articles(version.script)
    answer_forms = [AnswerForm(posted, prefix=f"answer-{i}", nodes=choices, articles=articles,
                               initial=answers_initial[i] if i < len(answers_initial) else {})
                    for i in range(count)]
    if posted is not None and form.is_valid() and all(f.is_valid() for f in answer_forms):
        saved = _save_question(request, actor, version, node, form, answer_forms)
        if saved is not None:
            return saved
    status = 422 if posted is not None else 200
    own = [p.message for p in scripts.problems(version.definition, version.script.service)
           if node and p.node == node]
    return render(request, "administration/script_question.html", {
        "version": version, "form": form, "answer_forms": answer_forms, "node": node,
        "own_problems": own, "summary": _summary(form, *answer_forms)}, status=status)


def _answer_initial(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("next"):
        leads = f"node:{answer['next']}"
    elif answer.get("outcome"):
        leads = f"outcome:{answer['outcome']}"
    else:
        leads = ""
    return {"label": answer.get("label", ""), "leads": leads, "article": answer.get("article")}


def _save_question(request: HttpRequest, actor: Actor, version: ScriptVersion, node: str | None,
                   form: QuestionForm, answer_forms: list[AnswerForm]) -> HttpResponse | None:
    nodes = dict(_nodes(version))
    key = node if node is not None else _new_id(nodes)
    nodes[key] = {"question": "", "answers": []}  # reserve the key for new questions
    answers = []
    for answer_form in answer_forms:
        data = answer_form.cleaned_data
        leads = data.get("leads") or ""
        if not leads:
            continue
        answer: dict[str, Any] = {"label": data["label"].strip()}
        if leads == NEW:
            target = _new_id(nodes)
            nodes[target] = {"question": "", "answers": []}
            answer["next"] = target
        elif leads.startswith("node:"):
            answer["next"] = leads.removeprefix("node:")
        else:
            answer["outcome"] = leads.removeprefix("outcome:")
            answer["article"] = data.get("article") if answer["outcome"] == "article" else None
        answers.append(answer)
    nodes[key] = {"question": form.cleaned_data["question"].strip(), "answers": answers}
    start = version.definition.get("start") or key
    try:
        scripts.save_draft(actor, version, title_lv=version.title_lv, title_en=version.title_en,
                           definition={"start": start, "nodes": nodes},
                           expected=form.cleaned_data["version"])
    except StaleVersion:
        form.add_error(None, _("Someone changed this draft after you opened it: review it "
                               "and save again."))
        return None
    except ValidationError as error:
        _errors(form, error)
        return None
    messages.success(request, _("The question is saved."))
    return redirect("administration:script-version", pk=version.pk)


@staff_required
@require_POST
def question_remove(request: HttpRequest, pk: int, node: str) -> HttpResponse:
    """Remove a question, refused while an answer leads to it."""
    try:
        actor, version = _editable_draft(request, pk)
    except _Redirect as moved:
        return redirect(moved.url)
    nodes = _nodes(version)
    if node not in nodes:
        raise Http404
    leading = [scripts.node_label(nodes, k) for k, n in nodes.items() if k != node
               and isinstance(n, dict) and any(isinstance(a, dict) and a.get("next") == node
                                               for a in n.get("answers") or [])]
    if leading:
        messages.error(request, _("The question is not removed: an answer of %(questions)s "
                                  "leads to it. Change those answers first.")
                       % {"questions": ", ".join(f"“{q}”" for q in leading)})
        return redirect("administration:script-version", pk=version.pk)
    remaining = {k: v for k, v in nodes.items() if k != node}
    start = version.definition.get("start")
    scripts.save_draft(actor, version, title_lv=version.title_lv, title_en=version.title_en,
                       definition={"start": "" if start == node else start, "nodes": remaining},
                       expected=None)
    messages.success(request, _("The question is removed."))
    return redirect("administration:script-version", pk=version.pk)


# --- The preview and the runner ------------------------------------------------------------------

@staff_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a version (a draft too) without saving a run: the answers given so far are in the
    address (`?a=0&a=1`); an answer that does not fit starts again."""
    actor = _actor(request)
    version = _version(actor, pk)
    given = [int(a) for a in request.GET.getlist("a")[:scripts.MAX_NODES]
             if a.isascii() and a.isdigit() and len(a) <= 2]
    try:
        step = scripts.walk(version.definition, given)
    except ValueError:
        given, step = [], scripts.Step(None, "", None, [])
        with suppress(ValueError):  # a draft whose first question is gone: nothing to preview
            step = scripts.walk(version.definition, [])
    nodes = _nodes(version)
    options = []
    if step.node is not None:
        for index, answer in enumerate(nodes[step.node].get("answers") or []):
            query = "&".join(f"a={i}" for i in [*given, index])
            label = answer.get("label", "") if isinstance(answer, dict) else ""
            options.append({"label": label, "href": f"?{query}"})
    return render(request, "administration/script_preview.html", {
        "version": version, "step": step, "options": options,
        "question": nodes[step.node].get("question", "") if step.node else "",
        **_outcome_context(step)})


def _outcome_context(step: scripts.Step) -> dict[str, Any]:
    label = str(scripts.OUTCOMES.get(step.outcome, "")) if step.node is None else ""
    url = ""
    if step.article is not None and Article.objects.filter(pk=step.article).exists():
        try:
            url = reverse("administration:knowledge-article", args=[step.article])
        except NoReverseMatch:  # the article pages are not installed
            url = ""
    return {"outcome_label": label, "article_url": url}


@staff_required
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent starts running the published script."""
    actor = _actor(request)
    script = _script(actor, pk, KnowledgeAction.RUN_SCRIPT)
    try:
        run = scripts.start_run(actor, script)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("administration:scripts")
    return redirect("administration:script-run", pk=run.pk)


@staff_required
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent's own run: the current question with its answers as buttons (POST `node` and
    `answer`), the path so far; at the end the outcome and the link that registers the
    consultation with the run."""
    actor = _actor(request)
    try:
        run = scripts.run_of(actor, pk)
    except ScriptRun.DoesNotExist:
        raise Http404 from None
    status = 200
    if request.method == "POST":
        index = str(request.POST.get("answer", ""))
        try:
            if not (index.isascii() and index.isdigit() and len(index) <= 2):
                raise ValidationError({"answer": _("Choose one of the answers.")})
            scripts.answer(actor, run, str(request.POST.get("node", ""))[:40], int(index))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = 422
        else:
            return redirect("administration:script-run", pk=run.pk)
        run.refresh_from_db()
    step = scripts.walk(run.version.definition, [p["answer"] for p in run.path])
    nodes = run.version.definition.get("nodes") or {}
    question = nodes[step.node] if step.node else {}
    return render(request, "administration/script_run.html", {
        "run": run, "step": step, "question": question.get("question", ""),
        "answers": list(enumerate(str(a.get("label", "")) for a in question.get("answers") or [])),
        "register_url": _register_url(run) if step.node is None else "",
        **_outcome_context(step)}, status=status)


def _register_url(run: ScriptRun) -> str:
    """The consultation form, carrying the run, the script's service and the outcome a route
    to the second level means."""
    query = f"script_run={run.pk}"
    if run.version.script.service_id is not None:
        query += f"&service={run.version.script.service_id}"
    if run.outcome == "second_level":
        query += "&outcome=routed"
    return f"{reverse('administration:consultation-new')}?{query}"

