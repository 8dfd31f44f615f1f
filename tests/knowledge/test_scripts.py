"""Call scripts (B6; issue 17): the definition's checks (a dead end, a loop, an unknown or
unreachable question, an article outcome), the lifecycle shared with articles, the policy (an
editor of another institution, a provider's agent of a service it does not serve), runs and
what the analytics count."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.identity.services import record_staff
from durvis.knowledge import scripts
from durvis.knowledge.models import ScriptRun, VersionState

pytestmark = pytest.mark.django_db


def actor(member):
    return Actor(kind="staff", staff=member)


@pytest.fixture
def people(institutions):
    def make(username, institution, roles):
        return actor(record_staff(username=username, password=f"pw-{username}-long-enough",
                                  institution=institutions[institution], roles=roles))

    return {"editor": make("editor.vsaa", "VSAA", ["knowledge_editor"]),
            "vid_editor": make("editor.vid", "VID", ["knowledge_editor"]),
            "central": make("editor.vdaa", "VDAA", ["knowledge_editor"]),
            "agent": make("agent.vdaa", "VDAA", ["agent"]),
            "roja_agent": make("agent.roja", "ROJA", ["agent"])}


def tree(**changes):
    definition = {"start": "q1", "nodes": {
        "q1": {"question": "Vai bērns dzimis Latvijā?", "answers": [
            {"label": "Jā", "next": "q2"},
            {"label": "Nē", "outcome": "second_level", "article": None}]},
        "q2": {"question": "Vai vecāks ir apdrošināts?", "answers": [
            {"label": "Jā", "outcome": "register_application", "article": None},
            {"label": "Nezinu", "outcome": "book_appointment", "article": None}]}}}
    definition["nodes"].update(changes)
    return definition


def published(people, catalogue, definition=None):
    version = scripts.create_script(people["editor"], title_lv="Bērna piedzimšana",
                                    service=catalogue["childbirth"])
    scripts.save_draft(people["editor"], version, title_lv="Bērna piedzimšana", title_en="",
                       definition=definition or tree(), expected=None)
    scripts.submit(people["editor"], version)
    scripts.approve(people["central"], version)
    version.script.refresh_from_db()
    return version


def test_a_sound_tree_has_no_problems(catalogue):
    assert scripts.check_definition(tree()) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"q2": {"question": "Kas tālāk?", "answers": [{"label": "Nekas"}]}},
     "leads nowhere (a dead end)"),
    ({"q2": {"question": "Kas tālāk?", "answers": [{"label": "Atpakaļ", "next": "q1"}]}},
     "(a loop)"),
    ({"q2": {"question": "Kas tālāk?", "answers": [{"label": "Uz", "next": "q9"}]}},
     "leads to an unknown question"),
    ({"q3": {"question": "Aizmirsts?", "answers": [{"label": "Jā", "outcome": "second_level"}]}},
     "is not reached from the first question"),
    ({"q2": {"question": "Kas tālāk?", "answers": []}}, "it has no answers"),
    ({"q2": {"question": "Kas tālāk?", "answers": [{"label": "Raksts", "outcome": "article",
                                                    "article": None}]}},
     "choose the article it leads to"),
    ({"q2": {"question": "Kas tālāk?", "answers": [{"label": "Raksts", "outcome": "article",
                                                    "article": 987654}]}},
     "the article it names is not published for everyone who runs this script"),
    ({"q2": {"question": "x" * 1001, "answers": [{"label": "Jā", "outcome": "second_level"}]}},
     "at most 1000 characters"),
])
def test_each_flaw_is_named_at_its_question(change, expected, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation
    with translation.override("en"):
        found = scripts.problems(tree(**change))
    assert any(expected in p.message for p in found), found
    assert all(p.node for p in found if expected in p.message)


def test_no_start_is_refused(catalogue):
    from django.utils import translation
    with translation.override("en"):
        assert scripts.check_definition({**tree(), "start": ""}) == ["Choose the first question."]


def test_the_lifecycle_draft_review_publish_outdated_retire(people, catalogue):
    first = published(people, catalogue)
    script = first.script
    assert script.published == first and first.state == VersionState.PUBLISHED
    second = scripts.new_version(people["editor"], script)
    assert second.number == 2 and second.definition == first.definition
    assert scripts.new_version(people["editor"], script) == second  # the open one
    scripts.submit(people["editor"], second)
    scripts.return_to_draft(people["central"], second, "Precizē jautājumu")
    second.refresh_from_db()
    assert second.state == VersionState.DRAFT and second.review_comment == "Precizē jautājumu"
    scripts.submit(people["editor"], second)
    with pytest.raises(ValidationError) as past:
        scripts.approve(people["central"], second,
                        timezone.now() - datetime.timedelta(minutes=1))
    assert "publish_at" in past.value.error_dict
    scripts.approve(people["central"], second, timezone.now() + datetime.timedelta(hours=1))
    second.refresh_from_db()
    assert second.state == VersionState.SCHEDULED
    assert scripts.next_due_at() == second.publish_at
    assert scripts.publish_due(second.publish_at) == 1
    first.refresh_from_db()
    script.refresh_from_db()
    assert first.state == VersionState.OUTDATED and script.published_id == second.pk
    scripts.retire(people["central"], script)
    script.refresh_from_db()
    assert script.published is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"knowledge.script.create", "knowledge.script.publish",
            "knowledge.script.retire"} <= actions
    from durvis.administration.audit_labels import action_label
    assert all(action_label(a) != a for a in actions if a.startswith("knowledge.script."))


def test_a_flawed_draft_is_saved_but_neither_submitted_nor_published(people, catalogue):
    version = scripts.create_script(people["editor"], title_lv="X", service=catalogue["childbirth"])
    found = scripts.save_draft(people["editor"], version, title_lv="X", title_en="",
                               definition=tree(q2={"question": "?", "answers": [{"label": "a"}]}),
                               expected=1)
    assert found
    with pytest.raises(ValidationError) as refused:
        scripts.submit(people["editor"], version)
    assert "definition" in refused.value.error_dict


def test_editors_of_another_institution_and_non_editors_are_refused(people, catalogue):
    with pytest.raises(PermissionDenied):
        scripts.create_script(people["vid_editor"], title_lv="X", service=catalogue["childbirth"])
    with pytest.raises(PermissionDenied):
        scripts.create_script(people["agent"], title_lv="X", topic="Vispārīgi")
    version = scripts.create_script(people["editor"], title_lv="X", service=catalogue["childbirth"])
    with pytest.raises(PermissionDenied):
        scripts.save_draft(people["vid_editor"], version, title_lv="Y", title_en="",
                           definition=tree(), expected=None)
    scripts.save_draft(people["editor"], version, title_lv="X", title_en="", definition=tree(),
                       expected=None)
    scripts.submit(people["editor"], version)
    with pytest.raises(PermissionDenied):  # only a central editor publishes
        scripts.approve(people["editor"], version)


def test_a_run_follows_the_answers_and_refuses_another_question(people, catalogue):
    version = published(people, catalogue)
    with pytest.raises(PermissionDenied):  # Roja does not serve the childbirth benefit
        scripts.start_run(people["roja_agent"], version.script)
    run = scripts.start_run(people["agent"], version.script)
    with pytest.raises(ValidationError):
        scripts.answer(people["agent"], run, "q2", 0)
    step = scripts.answer(people["agent"], run, "q1", 0)
    assert step.node == "q2"
    with pytest.raises(ValidationError):
        scripts.answer(people["agent"], run, "q2", 7)
    step = scripts.answer(people["agent"], run, "q2", 1)
    assert step.node is None and step.outcome == "book_appointment"
    run.refresh_from_db()
    assert run.path == [{"node": "q1", "answer": 0}, {"node": "q2", "answer": 1}]
    assert run.outcome == "book_appointment" and run.finished_at is not None
    with pytest.raises(ValidationError):
        scripts.answer(people["agent"], run, "q2", 0)
    with pytest.raises(ScriptRun.DoesNotExist):  # another agent's run
        scripts.answer(people["roja_agent"], run, "q1", 0)


def test_the_analytics_count_where_the_runs_end(people, catalogue):
    version = published(people, catalogue)
    for answers in ([("q1", 1)], [("q1", 0), ("q2", 0)], [("q1", 0), ("q2", 0)], [("q1", 0)]):
        run = scripts.start_run(people["agent"], version.script)
        for node, index in answers:
            scripts.answer(people["agent"], run, node, index)
    endings = scripts.outcomes(version)
    assert [(e.node, e.answer, e.outcome, e.count) for e in endings] == [
        ("q2", "Jā", "register_application", 2), ("q1", "Nē", "second_level", 1)]


def test_the_demo_script_is_published_and_sound(db):
    from durvis.demo.loader import load_demo
    from durvis.knowledge.models import CallScript

    load_demo()
    script = CallScript.objects.select_related("published", "service").get(service__code=1011)
    assert script.published is not None
    assert scripts.check_definition(script.published.definition) == []
    articles = {a.get("article") for n in script.published.definition["nodes"].values()
                for a in n["answers"] if a.get("outcome") == "article"}
    assert articles and None not in articles
    from durvis.identity.models import StaffMember
    agent = StaffMember.objects.get(user__username="agent.centre")
    assert script in scripts.runnable(actor(agent))


def test_the_worker_publishes_a_scheduled_script_when_due(people, catalogue):
    from durvis.core.worker import SOURCES

    version = scripts.create_script(people["editor"], title_lv="X", service=catalogue["childbirth"])
    scripts.save_draft(people["editor"], version, title_lv="X", title_en="", definition=tree(),
                       expected=None)
    scripts.submit(people["editor"], version)
    scripts.approve(people["central"], version, timezone.now() + datetime.timedelta(seconds=1))
    source = SOURCES.get("knowledge.script_schedule")
    assert source.next_due_at() == version.publish_at
    from django.db.models import F
    type(version).objects.filter(pk=version.pk).update(
        publish_at=F("publish_at") - datetime.timedelta(minutes=5))
    assert source.run_due() == 1
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
