"""Every page of the public site, the e-account and the administration at a phone's width
(375 px) and a desktop's (1280 px), in Latvian and English (issue 9): nothing scrolls sideways,
axe-core finds no violation of any impact, and the history's status is visible on a phone."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280)
LANGUAGES = ("lv", "en")

PUBLIC = [
    ("home", "catalog:home", []), ("services", "catalog:services", []),
    ("service", "catalog:service", [1011]), ("accessibility", "accessibility", []),
    ("privacy", "privacy", []), ("contacts", "contacts", []), ("staff-login", "staff-login", []),
    ("addresses", "addresses:search", []), ("address-embed", "addresses:embed", []),
]
EACCOUNT = [
    ("overview", "eaccount:overview", []), ("history", "eaccount:history", []),
    ("case", "eaccount:case", ["own"]), ("messages", "inbox:list", []),
    ("write", "inbox:write", []), ("documents", "documents:list", []),
    ("upload", "documents:upload", []), ("profile", "profile:contacts", []),
    ("preferences", "profile:preferences", []), ("mandates", "eaccount:mandates", []),
    ("mandate-grant", "eaccount:mandate-grant", []),
    ("mandate-request", "eaccount:mandate-request", []),
    ("data-use", "eaccount:data-use", []),
    # A mandate's page with what was done under it, and a conversation a representative wrote
    # under it ("under mandate no. N", linked): `_done_under_a_mandate`.
    ("mandate", "eaccount:mandate", ["mandate"]), ("thread", "inbox:thread", ["thread"]),
    # The signing page of a document the institution asked to sign (`_asked_to_sign`).
    ("sign", "documents:sign", ["to_sign"]),
]
ADMINISTRATION = [
    ("home", "administration:home", []), ("services", "administration:services", []),
    ("service-form", "administration:service-edit", [1011]),
    ("new-service", "administration:service-create", []),
    ("integrations", "administration:integrations", []), ("team", "administration:team", []),
    ("workflows", "administration:workflows", []), ("load", "administration:load", []),
    # The workflow step editor: the draft of the service's workflow and a step's form (issue 16).
    ("workflow-draft", "administration:workflow-draft", [1011]),
    ("workflow-step", "administration:workflow-step", [1011, "review"]),
    ("workflow-step-new", "administration:workflow-step-new", [1011]),
    ("audit", "administration:audit", []), ("access-review", "administration:access-review", []),
    ("flagged-uses", "administration:flagged-uses", []),
    ("delegations", "administration:delegations", []),
    ("office-hours", "administration:office-hours", []),
]
AGENT = [
    ("home", "administration:home", []), ("tasks", "administration:tasks", []),
    ("clients", "administration:clients", []),
    ("consultation", "administration:consultation-new", []),
    ("cases", "administration:cases", []),
    ("case", "administration:case", ["own"]), ("write", "staff-messages:new", []),
    ("time", "administration:my-time", []),
    ("forbidden", "administration:services", []),
]


def _url(name, args, family, language):
    resolved = [family[a].number.replace(" ", "-") if a in ("own",)
                else family[a].pk if a in ("mandate", "thread", "to_sign") else a for a in args]
    with translation.override(language):
        return reverse(name, args=resolved)


def _done_under_a_mandate(family):
    """The parent grants the stranger a mandate; the stranger writes to the case's holder under
    it, and the parent's case is marked submitted under it."""
    from durvis.core.actor import Actor
    from durvis.mandates import services as mandates
    from durvis.messaging import services as messaging
    from durvis.register.models import ServiceCase

    parent, stranger, case = family["parent"], family["stranger"], family["own"]
    mandate = mandates.grant(Actor(kind="person", person=parent), parent,
                             stranger.personal_code,
                             mandates.Terms(rights=["apply", "read", "answer_messages"]))
    ServiceCase.objects.filter(pk=case.pk).update(
        acted_by="representative", representative=stranger, mandate_reference=mandate.reference())
    message = messaging.write_to_institution(Actor(kind="person", person=stranger), parent, None,
                                             "Jautājums par lietu", "Kad būs lēmums?", case=case)
    family["mandate"], family["thread"] = mandate, message.thread


def _asked_to_sign(family):
    """VSAA's back office sends the parent two agreements to sign; the parent signs one (the
    list then shows "Signed by ..." and a "Sign" link)."""
    from durvis.core.actor import Actor
    from durvis.documents import services as documents
    from durvis.identity import services as identity
    from durvis.messaging import services as messaging
    from tests.documents.samples import PDF

    parent, case = family["parent"], family["own"]
    officer = identity.record_staff(username="sign.vsaa", password="pw-sign-long-enough",
                                    institution=case.holder, roles=["back_office"])
    staff_actor = Actor(kind="staff", staff=officer)
    sent = [messaging.send_to_client(
        staff_actor, client=parent, institution=case.holder, subject="Līgums", body="Parakstiet.",
        case=case, attachments=[("ligums.pdf", PDF, "application/pdf", title)],
        signature_requested=True).attachments.get() for title in ("Līgums", "Vienošanās")]
    documents.sign_document(Actor(kind="person", person=parent), client=parent,
                            document_id=sent[1].pk)
    family["to_sign"] = sent[0]


def _check(page, url, where, width):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status in (200, 403), f"{where}: {response.status}"
    assert_no_sideways_scroll(page, f"{where} at {width} px")
    assert_accessible(page, where)
    return response.status


def _staff_cookie(page, live_server, staff_login, member):
    from django.conf import settings

    client = staff_login(Client(), member)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_and_eaccount_pages_fit_a_phone_and_pass_axe(
        live_server, family, page, sign_in_client, decide_case, settings, language):
    settings.DEMO_MODE = True
    decide_case(family["system"], family["own"], status="waiting_for_client")
    _done_under_a_mandate(family)
    _asked_to_sign(family)
    for name, url_name, args in PUBLIC:
        for width in WIDTHS:
            _check(page, live_server.url + _url(url_name, args, family, language),
                   f"public {name} ({language}, {width}px)", width)
    sign_in_client(page, family["parent"])
    for name, url_name, args in EACCOUNT:
        for width in WIDTHS:
            _check(page, live_server.url + _url(url_name, args, family, language),
                   f"e-account {name} ({language}, {width}px)", width)


@pytest.mark.parametrize("language", LANGUAGES)
def test_history_status_is_visible_on_a_phone(live_server, family, page, sign_in_client,
                                              language):
    from playwright.sync_api import expect

    sign_in_client(page, family["parent"])
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + _url("eaccount:history", [], family, language))
    status = page.locator("table tbody tr").first.locator("td").last
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375


@pytest.mark.parametrize("language", LANGUAGES)
def test_administration_pages_fit_a_phone_and_pass_axe(live_server, family, staff, page,
                                                       staff_login, language):
    from durvis.access.policy import Actor
    from durvis.integrations import services as integrations

    admin = staff["vsaa_admin"]
    hook = integrations.register_webhook(Actor(kind="staff", staff=admin), admin.institution,
                                         "https://vsaa.example.lv/hooks", ["case.registered"])
    from durvis.catalog.models import Service
    from durvis.workflows import services as workflows

    # A live workflow with the step "review", which the step editor's pages open (issue 16).
    workflows.publish_version(Actor(kind="staff", staff=admin), admin.institution,
                              Service.objects.get(code=1011), "Izskatīšana", {
        "format": "durvis-workflow/1", "first": "review", "steps": {"review": {
            "name": {"lv": "Izskatīšana", "en": "Review"}, "queue": {"institution": "holder"},
            "role": "back_office", "resolution": "1d",
            "next": [{"step": None, "status": "decided", "name": {"lv": "Lemt", "en": "Decide"}}]}}})
    _staff_cookie(page, live_server, staff_login, admin)
    for name, url_name, args in [*ADMINISTRATION, ("webhook", "administration:webhook", [hook.pk])]:
        for width in WIDTHS:
            status = _check(page, live_server.url + _url(url_name, args, family, language),
                            f"administration {name} ({language}, {width}px)", width)
            assert status == 200, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_pages_fit_a_phone_and_pass_axe(live_server, family, institutions, page,
                                              staff_login, language):
    from durvis.identity import services as identity

    agent = identity.record_staff(username="backoffice.vsaa", password="pw-backoffice-long",
                                  institution=institutions["VSAA"], roles=["back_office"],
                                  given_name="Ieva", family_name="Lāce")
    _staff_cookie(page, live_server, staff_login, agent)
    from django.utils import timezone

    from durvis.register import services as register

    now = timezone.now()
    work = register.record_work(agent, "execution", now - datetime.timedelta(minutes=9), now,
                                case=family["own"])
    for name, url_name, args in [*AGENT, ("time-correct", "administration:time-correct",
                                          [work.pk])]:
        for width in WIDTHS:
            status = _check(page, live_server.url + _url(url_name, args, family, language),
                            f"agent {name} ({language}, {width}px)", width)
            assert status == (403 if name == "forbidden" else 200), name


def _call_scripts(catalogue, institutions):
    """A published call script of the childbirth benefit with a second version in review, and
    an agent's run ended at its outcome (issue 17)."""
    from durvis.core.actor import Actor
    from durvis.identity import services as identity
    from durvis.knowledge import scripts

    def member(username, code, roles):
        return identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                     institution=institutions[code], roles=roles)

    editor, central = (member("editor.vsaa", "VSAA", ["knowledge_editor"]),
                       member("editor.vdaa", "VDAA", ["knowledge_editor"]))
    agent = member("agent.vdaa", "VDAA", ["agent"])
    by = {m: Actor(kind="staff", staff=m) for m in (editor, central, agent)}
    version = scripts.create_script(by[editor], title_lv="Bērna piedzimšanas pabalsts",
                                    service=catalogue["childbirth"])
    scripts.save_draft(by[editor], version, title_lv=version.title_lv, title_en="",
                       expected=None, definition={"start": "q1", "nodes": {
                           "q1": {"question": "Vai bērns dzimis pēdējā gada laikā?", "answers": [
                               {"label": "Jā", "outcome": "register_application"},
                               {"label": "Nē", "outcome": "second_level"}]}}})
    scripts.submit(by[editor], version)
    scripts.approve(by[central], version)
    second = scripts.new_version(by[editor], version.script)
    scripts.submit(by[editor], second)
    run = scripts.start_run(by[agent], version.script)
    scripts.answer(by[agent], run, "q1", 1)
    # A topic script's draft with a dead end: its problems shown at the question.
    draft = scripts.create_script(by[editor], title_lv="Vispārīgi jautājumi", topic="Vispārīgi")
    scripts.save_draft(by[editor], draft, title_lv=draft.title_lv, title_en="", expected=None,
                       definition={"start": "q1", "nodes": {"q1": {
                           "question": "Par ko ir jautājums?", "answers": [{"label": "Citu"}]}}})
    return {"editor": editor, "central": central, "agent": agent, "script": version.script_id,
            "version": version.pk, "second": second.pk, "run": run.pk, "draft": draft.pk}


@pytest.mark.parametrize("language", LANGUAGES)
def test_call_script_pages_fit_a_phone_and_pass_axe(live_server, catalogue, institutions, page,
                                                    staff_login, language):
    world = _call_scripts(catalogue, institutions)
    pages = {
        "editor": [("scripts", "administration:scripts", []),
                   ("script-new", "administration:script-new", []),
                   ("script", "administration:script", [world["script"]]),
                   ("script-version", "administration:script-version", [world["draft"]]),
                   ("script-question", "administration:script-question", [world["draft"], "q1"]),
                   ("script-question-new", "administration:script-question-new",
                    [world["draft"]]),
                   ("script-preview", "administration:script-preview", [world["version"]])],
        "central": [("script-review", "administration:script-version", [world["second"]])],
        "agent": [("scripts", "administration:scripts", []),
                  ("script-run", "administration:script-run", [world["run"]])],
    }
    for who, listed in pages.items():
        page.context.clear_cookies()
        _staff_cookie(page, live_server, staff_login, world[who])
        for name, url_name, args in listed:
            for width in WIDTHS:
                status = _check(page, live_server.url + _url(url_name, args, {}, language),
                                f"{who} {name} ({language}, {width}px)", width)
                assert status == 200, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_synonym_pages_fit_a_phone_and_pass_axe(live_server, family, staff, page,
                                                       staff_login, language):
    """The catalogue's central editor's synonyms list and a group's page (issue 19), and the
    catalogue's search with a partial match."""
    from durvis.catalog import services as catalog
    from durvis.core.actor import Actor

    group = catalog.save_synonyms(Actor(kind="staff", staff=staff["platform"]), None,
                                  language="en", words=["tax return", "income declaration"])
    with translation.override(language):
        partial = reverse("catalog:services") + "?q=b%C4%93rna+pabalsts+Jelgav%C4%81"
    for width in WIDTHS:
        _check(page, live_server.url + partial, f"a partial match ({language}, {width}px)", width)
    _staff_cookie(page, live_server, staff_login, staff["platform"])
    for name, url_name, args in [("synonyms", "administration:synonyms", []),
                                 ("synonym", "administration:synonym", [group.pk])]:
        for width in WIDTHS:
            status = _check(page, live_server.url + _url(url_name, args, family, language),
                            f"administration {name} ({language}, {width}px)", width)
            assert status == 200, name
