"""The knowledge base's journey in Chromium (issue 17; B6, A13): a holder's knowledge editor
writes an article on the template and sends it to review; a central editor reviews and
publishes it; a colleague who follows the service is told by e-mail (a real SMTP server on
loopback); an agent of a centre finds it by a misspelt query without diacritics, reads it and
gives feedback; a provider's agent without the service delegated finds no holder-only article
and is refused its address. Every knowledge page passes axe-core and fits a 375 px screen, in
Latvian and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from durvis.core.actor import Actor
from durvis.knowledge import services as knowledge
from durvis.knowledge.models import ArticleVersion, VersionState
from tests.knowledge.conftest import TEXT, make_people

from .axe import assert_accessible, assert_no_sideways_scroll
from .test_front_office_journey import _as_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page, where):
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_sideways_scroll(page, f"{where} at {width} px")
        assert_accessible(page, f"{where} at {width} px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_write_review_publish_notify_find_and_refuse(browser, live_server, catalogue, staff,
                                                     institutions, staff_login, smtp, worker,
                                                     settings):
    settings.DURVIS_PUBLIC_URL = live_server.url
    people = make_people(staff, institutions)
    knowledge.subscribe(Actor(kind="staff", staff=people["centre_agent"]),
                        service=catalogue["childbirth"])
    people["centre_agent"].user.email = "centre.agent@example.lv"
    people["centre_agent"].user.save()
    hidden = knowledge.create_article(Actor(kind="staff", staff=people["editor"]),
                                      knowledge.ArticleSubject(audience="holder",
                                                               service=catalogue["childbirth"]),
                                      knowledge.ArticleDraft(title_lv="Iekšējā lēmuma kārtība",
                                                             content=TEXT))
    knowledge.submit(Actor(kind="staff", staff=people["editor"]), hidden)
    knowledge.approve(Actor(kind="staff", staff=people["central"]), hidden)

    # The holder's editor writes on the template and sends it to review.
    context, page = _as_staff(browser, live_server, staff_login, people["editor"])
    page.goto(f"{live_server.url}/administration/knowledge/new/")
    _fits(page, "the new article's form")
    page.select_option("#id_subject-service", label="1011 Bērna piedzimšanas pabalsts")
    page.check("#id_subject-audience_0")  # public
    page.check("#id_subject-first_level")
    page.fill("#id_title_lv", "Bērna piedzimšanas pabalsts: kā pieteikties")
    page.fill("#id_title_en", "Childbirth benefit: how to apply")
    page.fill("#id_summary_lv", "Vienreizējs pabalsts par katru dzimušo bērnu.")
    page.fill("#id_steps_lv", "Aizpildiet iesniegumu e-kontā.")
    page.get_by_role("button", name="Saglabāt melnrakstu").click()
    expect(page.locator("#state")).to_have_text("Melnraksts")
    page.get_by_role("button", name="Nosūtīt pārskatīšanai").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Kas var saņemt")  # the required section is missing: refused, the draft kept
    page.get_by_role("link", name="Labot melnrakstu").click()
    page.fill("#id_eligibility_lv", "Bērna māte vai tēvs.")
    page.get_by_role("button", name="Saglabāt melnrakstu").click()
    page.get_by_role("button", name="Nosūtīt pārskatīšanai").click()
    expect(page.locator("#state")).to_have_text("Pārskatīšanā")
    _fits(page, "a version in review")
    version = ArticleVersion.objects.get(title_lv="Bērna piedzimšanas pabalsts: kā pieteikties")
    context.close()

    # The central editor reviews and publishes.
    context, page = _as_staff(browser, live_server, staff_login, people["central"])
    page.goto(f"{live_server.url}/administration/knowledge/")
    _fits(page, "the editors' list with the review queue")
    page.get_by_role("link", name="Bērna piedzimšanas pabalsts: kā pieteikties").first.click()
    page.check("#id_decision_0")  # publish now
    page.get_by_role("button", name="Izlemt").click()
    expect(page.locator("#state")).to_have_text("Publicēts")
    context.close()
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED

    # The follower is told by e-mail.
    worker.deliver()
    (mail,) = [m for rcpt, m in smtp.messages if "centre.agent@example.lv" in rcpt]
    assert "Bērna piedzimšanas pabalsts: kā pieteikties" in mail["Subject"]

    # A centre's agent finds it misspelt and without diacritics, reads it, gives feedback.
    context, page = _as_staff(browser, live_server, staff_login, people["centre_agent"])
    page.goto(f"{live_server.url}/staff/knowledge/")
    page.locator("#id_q").fill("berna piedzimsnas")
    page.keyboard.press("Enter")
    result = page.locator(".durvis-knowledge-results").get_by_role(
        "link", name="Bērna piedzimšanas pabalsts: kā pieteikties")
    expect(result).to_be_visible()
    expect(page.locator("#notices")).to_contain_text("Bērna piedzimšanas pabalsts")  # followed
    _fits(page, "the knowledge search's answer")
    result.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bērna piedzimšanas pabalsts: kā pieteikties")
    _fits(page, "an article")
    page.check("#id_helpful_1")
    page.fill("#id_comment", "Trūkst termiņa.")
    page.get_by_role("button", name="Nosūtīt atsauksmi").click()
    page.goto(f"{live_server.url}/staff/knowledge/following/")
    _fits(page, "what the agent follows")
    page.goto(f"{live_server.url}/en/staff/knowledge/")
    _fits(page, "the knowledge search in English")
    context.close()

    # A provider's agent without the service delegated: no holder-only article.
    context, page = _as_staff(browser, live_server, staff_login, people["riga_agent"])
    page.goto(f"{live_server.url}/staff/knowledge/?q=lemuma+kartiba")
    expect(page.locator("#results")).to_contain_text("0")
    assert "Iekšējā lēmuma kārtība" not in page.content()
    response = page.goto(f"{live_server.url}/staff/knowledge/{hidden.article_id}/")
    assert response is not None and response.status == 404
    context.close()
