"""A call script's journey in Chromium (issue 17, B6): the holder's knowledge editor builds a
script on forms (no JSON), its problems shown at its questions, and sends it to review; a
central editor publishes it; an agent of a centre that serves the service runs it one question
at a time, with the keyboard, to its outcome and registers the consultation, which records the
path. Every page on the way passes axe-core."""

from __future__ import annotations

import pytest

from durvis.identity import services as identity
from durvis.knowledge.models import ScriptRun, ScriptVersion, VersionState
from durvis.register.models import Consultation

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _as_staff(browser, live_server, staff_login, member):
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(locale="lv-LV", viewport={"width": 1280, "height": 900})
    client = staff_login(Client(), member)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    return context, context.new_page()


def _member(username, institution, roles):
    return identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                 institution=institution, roles=roles)


def test_an_editor_builds_a_central_editor_publishes_an_agent_runs(
        browser, live_server, catalogue, institutions, staff_login):
    from playwright.sync_api import expect

    editor = _member("editor.vsaa", institutions["VSAA"], ["knowledge_editor"])
    central = _member("editor.vdaa", institutions["VDAA"], ["knowledge_editor"])
    agent = _member("agent.vdaa", institutions["VDAA"], ["agent"])
    base = f"{live_server.url}/en/administration/knowledge/scripts/"

    # The holder's editor creates the script and its first question.
    context, page = _as_staff(browser, live_server, staff_login, editor)
    page.goto(base)
    assert_accessible(page, "the scripts' list (editor)")
    page.get_by_role("link", name="New call script").click()
    page.select_option("#id_service", str(catalogue["childbirth"].pk))
    page.fill("#id_title_lv", "Bērna piedzimšanas pabalsts")
    assert_accessible(page, "a new script")
    page.get_by_role("button", name="Create the script").click()
    page.get_by_role("link", name="Add a question").click()
    page.fill("#id_question", "Vai bērns dzimis pēdējā gada laikā?")
    page.fill("#id_answer-0-label", "Jā")
    page.select_option("#id_answer-0-leads", "new")
    assert_accessible(page, "a question's form")
    page.get_by_role("button", name="Save the question").click()
    # The new question is empty: a problem at it; correct it.
    expect(page.locator("#question-q2 .govuk-error-message").first).to_be_visible()
    assert_accessible(page, "the draft with problems")
    page.locator("#question-q2").get_by_role("link", name="Change").click()
    page.fill("#id_question", "Vai vecāks ir apdrošināts?")
    page.fill("#id_answer-0-label", "Jā")
    page.select_option("#id_answer-0-leads", "outcome:register_application")
    page.get_by_role("button", name="Save the question").click()
    page.locator("#question-q1").get_by_role("link", name="Change").click()
    page.fill("#id_answer-1-label", "Nē")
    page.select_option("#id_answer-1-leads", "outcome:second_level")
    page.get_by_role("button", name="Save the question").click()
    expect(page.locator(".govuk-error-message")).to_have_count(0)
    page.get_by_role("link", name="Preview: run it without saving").click()
    assert_accessible(page, "the preview")
    page.go_back()
    page.get_by_role("button", name="Send to review").click()
    version = ScriptVersion.objects.get()
    assert version.state == VersionState.REVIEW
    context.close()

    # The central editor publishes it from the review queue.
    context, page = _as_staff(browser, live_server, staff_login, central)
    page.goto(base)
    page.get_by_role("link", name="Bērna piedzimšanas pabalsts (version 1)").click()
    assert_accessible(page, "the review")
    page.get_by_role("button", name="Publish").click()
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    assert_accessible(page, "the script's page")
    context.close()

    # The agent runs it with the keyboard to its end and registers the consultation.
    context, page = _as_staff(browser, live_server, staff_login, agent)
    page.goto(base)
    page.get_by_role("button", name="Run “Bērna piedzimšanas pabalsts”").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vai bērns dzimis pēdējā gada laikā?")).to_be_visible()
    assert_accessible(page, "the runner")
    page.get_by_role("button", name="Jā").focus()  # the first answer has the focus already
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vai vecāks ir apdrošināts?")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Register the consultation")).to_be_visible()
    assert_accessible(page, "the outcome")
    page.get_by_role("link", name="Register the consultation").click()
    page.check("input[name=channel][value=phone]")
    page.check("input[name=who][value=anonymous]")
    page.check("input[name=outcome][value=answered]")
    assert_accessible(page, "the consultation with the run")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("The consultation is registered")).to_be_visible()
    context.close()
    consultation = Consultation.objects.get()
    run = ScriptRun.objects.get()
    assert consultation.service == catalogue["childbirth"]
    assert run.consultation == consultation and run.outcome == "register_application"
    assert run.path == [{"node": "q1", "answer": 0}, {"node": "q2", "answer": 0}]
