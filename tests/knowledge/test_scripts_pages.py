"""Call scripts through the workplace's pages (B6; issue 17): an editor builds a script on
forms (no JSON), sees its problems, a central editor publishes it, an agent runs it one
question at a time and registers the consultation, which records the path; another
institution's editor and a provider's agent of a service it does not serve are refused."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from durvis.identity.models import StaffMember
from durvis.identity.services import record_staff
from durvis.knowledge.models import CallScript, ScriptRun, ScriptVersion, VersionState
from durvis.register.models import Consultation

pytestmark = pytest.mark.django_db
BASE = "/administration/knowledge/scripts/"


@pytest.fixture
def browsers(institutions, staff_login):
    def make(username, institution, roles):
        member = record_staff(username=username, password=f"pw-{username}-long-enough",
                              institution=institutions[institution], roles=roles)
        return staff_login(Client(), member)

    return {"editor": make("editor.vsaa", "VSAA", ["knowledge_editor"]),
            "vid_editor": make("editor.vid", "VID", ["knowledge_editor"]),
            "central": make("editor.vdaa", "VDAA", ["knowledge_editor"]),
            "agent": make("agent.vdaa", "VDAA", ["agent"]),
            "roja_agent": make("agent.roja", "ROJA", ["agent"])}


def _version_field(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page)[1]


def build_and_publish(browsers, catalogue) -> CallScript:
    editor = browsers["editor"]
    response = editor.post(BASE + "new/", {"service": catalogue["childbirth"].pk,
                                           "title_lv": "Bērna piedzimšanas pabalsts"})
    assert response.status_code == 302
    version = ScriptVersion.objects.get()
    url = f"{BASE}versions/{version.pk}/"
    page = editor.get(url + "questions/new/").content.decode()
    response = editor.post(url + "questions/new/", {
        "question": "Vai bērns dzimis pēdējo 6 mēnešu laikā?", "version": _version_field(page),
        "answer-0-label": "Jā", "answer-0-leads": "new",
        "answer-1-label": "Nē", "answer-1-leads": "outcome:second_level"})
    assert response.status_code == 302, response.content.decode()
    version.refresh_from_db()
    assert version.definition["start"] == "q1" and "q2" in version.definition["nodes"]
    # The new empty question is a problem shown at it; sending to review is refused.
    page = editor.get("/en" + url).content.decode()
    assert 'id="question-q2"' in page and "Question “q2”: write the question." in page
    response = editor.post(url, {"action": "submit", "title_lv": version.title_lv,
                                 "start": "q1", "version": _version_field(page)})
    assert response.status_code == 422
    page = editor.get(url + "questions/q2/").content.decode()
    response = editor.post(url + "questions/q2/", {
        "question": "Vai vecāks ir apdrošināts?", "version": _version_field(page),
        "answer-0-label": "Jā", "answer-0-leads": "outcome:register_application",
        "answer-1-label": "Nezinu", "answer-1-leads": "outcome:book_appointment"})
    assert response.status_code == 302
    page = editor.get(url).content.decode()
    response = editor.post(url, {"action": "submit", "title_lv": version.title_lv,
                                 "start": "q1", "version": _version_field(page)})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == VersionState.REVIEW
    # Only a central editor publishes.
    assert editor.post(url, {"action": "approve"}).status_code == 403
    response = browsers["central"].post(url, {"action": "approve", "publish_at": ""})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    return version.script


def test_build_publish_run_and_register_the_consultation(browsers, catalogue):
    script = build_and_publish(browsers, catalogue)
    agent = browsers["agent"]
    assert "Bērna piedzimšanas pabalsts" in agent.get(BASE).content.decode()
    response = agent.post(f"{BASE}{script.pk}/run/")
    run = ScriptRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"runs/{run.pk}/")
    run_url = f"{BASE}runs/{run.pk}/"
    page = agent.get(run_url).content.decode()
    assert "Vai bērns dzimis pēdējo 6 mēnešu laikā?" in page
    assert agent.post(run_url, {"node": "q2", "answer": "0"}).status_code == 422  # not current
    assert agent.post(run_url, {"node": "q1", "answer": "0"}).status_code == 302
    assert agent.post(run_url, {"node": "q2", "answer": "1"}).status_code == 302
    page = agent.get(run_url).content.decode()
    register = re.search(r'href="(/staff/consultations/new/\?[^"]+)"', page)[1].replace(
        "&amp;", "&")
    assert f"script_run={run.pk}" in register
    form = agent.get(register).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', form)[1]
    response = agent.post(register, {
        "service": catalogue["childbirth"].pk, "channel": "phone", "who": "anonymous",
        "outcome": "answered", "started": started, "script_run": run.pk})
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    run.refresh_from_db()
    assert run.consultation == consultation
    assert run.path == [{"node": "q1", "answer": 0}, {"node": "q2", "answer": 1}]
    assert run.outcome == "book_appointment"
    # Saved once: the same run cannot be saved on a second consultation.
    form = agent.get(register).content.decode()
    started = re.search(r'name="started" value="([^"]+)"', form)[1]
    again = agent.post(register, {
        "service": catalogue["childbirth"].pk, "channel": "phone", "who": "anonymous",
        "outcome": "answered", "started": started, "script_run": run.pk})
    assert again.status_code == 422 and Consultation.objects.count() == 1
    # The editors see where it ended.
    page = browsers["editor"].get(f"{BASE}{script.pk}/").content.decode()
    assert "Nezinu" in page


def test_other_institutions_are_refused(browsers, catalogue):
    script = build_and_publish(browsers, catalogue)
    version = script.published
    assert browsers["vid_editor"].get(f"{BASE}versions/{version.pk}/").status_code == 404
    assert browsers["vid_editor"].get(f"{BASE}{script.pk}/").status_code == 404
    assert browsers["vid_editor"].post(BASE + "new/", {
        "service": catalogue["childbirth"].pk, "title_lv": "X"}).status_code == 422
    assert browsers["roja_agent"].post(f"{BASE}{script.pk}/run/").status_code == 404
    assert "Bērna piedzimšanas" not in browsers["roja_agent"].get(BASE).content.decode()
    assert browsers["agent"].get(BASE + "new/").status_code == 403


def test_the_preview_runs_a_draft_without_saving(browsers, catalogue):
    script = build_and_publish(browsers, catalogue)
    url = f"{BASE}versions/{script.published_id}/preview/"
    page = browsers["editor"].get(url, {"a": ["0", "0"]}).content.decode()
    assert "Vai vecāks ir apdrošināts?" in page  # the path so far
    assert not ScriptRun.objects.exists()
    assert browsers["editor"].get(url, {"a": ["9", "x"]}).status_code == 200


def test_an_article_outcome_links_to_the_article(browsers, catalogue, institutions):
    from durvis.core.actor import Actor
    from durvis.knowledge import scripts
    from durvis.knowledge import services as knowledge

    script = build_and_publish(browsers, catalogue)
    editor = Actor(kind="staff", staff=script.created_by)
    article = knowledge.create_article(editor, knowledge.ArticleSubject(
        audience="providers", service=catalogue["childbirth"]), knowledge.ArticleDraft(
        title_lv="Kā pieteikties", content={k: {"lv": "Teksts", "en": ""}
                                            for k in ("summary", "eligibility", "steps")}))
    knowledge.submit(editor, article)
    knowledge.approve(Actor(kind="staff", staff=StaffMember.objects.get(
        user__username="editor.vdaa")), article)
    article = article.article
    version = scripts.new_version(editor, script)
    definition = version.definition
    definition["nodes"]["q1"]["answers"][1] = {"label": "Nē", "outcome": "article",
                                               "article": article.pk}
    scripts.save_draft(editor, version, title_lv=version.title_lv, title_en="",
                       definition=definition, expected=None)
    scripts.submit(editor, version)
    assert browsers["central"].post(f"{BASE}versions/{version.pk}/",
                                    {"action": "approve"}).status_code == 302
    agent = browsers["agent"]
    agent.post(f"{BASE}{script.pk}/run/")
    run = ScriptRun.objects.latest("pk")
    agent.post(f"{BASE}runs/{run.pk}/", {"node": "q1", "answer": "1"})
    page = agent.get(f"{BASE}runs/{run.pk}/").content.decode()
    assert f'href="/staff/knowledge/{article.pk}/"' in page
    # Versions of the script and where its runs ended: version 2 published, 1 outdated.
    page = browsers["editor"].get(f"{BASE}{script.pk}/").content.decode()
    assert "Version 2" in page or "2. versija" in page


def test_an_answer_leads_only_to_an_article_its_agents_may_read(browsers, catalogue):
    """A fresh tester's finding: a script could send the centre's agent to a holder-only
    article, which answers them 404; such an article is neither offered nor accepted."""
    from durvis.core.actor import Actor
    from durvis.knowledge import scripts
    from durvis.knowledge import services as knowledge

    script = build_and_publish(browsers, catalogue)
    editor = Actor(kind="staff", staff=script.created_by)
    hidden = knowledge.create_article(editor, knowledge.ArticleSubject(
        audience="holder", service=catalogue["childbirth"]), knowledge.ArticleDraft(
        title_lv="Iekšējā kārtība", content={k: {"lv": "Teksts", "en": ""}
                                             for k in ("summary", "eligibility", "steps")}))
    knowledge.submit(editor, hidden)
    knowledge.approve(Actor(kind="staff", staff=StaffMember.objects.get(
        user__username="editor.vdaa")), hidden)
    assert hidden.article_id not in dict(scripts.reachable_articles(catalogue["childbirth"])
                                         .values_list("pk", "pk"))
    version = scripts.new_version(editor, script)
    definition = version.definition
    definition["nodes"]["q1"]["answers"][1] = {"label": "Nē", "outcome": "article",
                                               "article": hidden.article_id}
    scripts.save_draft(editor, version, title_lv=version.title_lv, title_en="",
                       definition=definition, expected=None)
    with pytest.raises(ValidationError):
        scripts.submit(editor, version)


def test_a_typed_answer_without_a_target_is_kept_and_named(browsers, catalogue):
    """A fresh tester's finding: an answer typed with "Nowhere" chosen vanished silently."""
    editor = browsers["editor"]
    editor.post(BASE + "new/", {"service": catalogue["childbirth"].pk,
                                "title_lv": "Bērna piedzimšanas pabalsts"})
    version = ScriptVersion.objects.get()
    url = f"{BASE}versions/{version.pk}/questions/new/"
    page = editor.get(url).content.decode()
    response = editor.post(url, {"question": "Strupceļš?", "version": _version_field(page),
                                 "answer-0-label": "Jā", "answer-0-leads": ""})
    assert response.status_code == 422
    assert 'value="Jā"' in response.content.decode()
    version.refresh_from_db()
    assert "Strupceļš?" not in str(version.definition)
