"""The knowledge base's pages (issue 17): an editor writes on the template, a central editor
reviews and publishes, staff search, read and give feedback, follow a service; refusals are
clear and lose nothing."""

from __future__ import annotations

import datetime

from conftest import sign_in_staff
from django.urls import reverse
from django.utils import timezone

from durvis.knowledge.models import Article, ArticleVersion, Feedback, Subscription, VersionState
from tests.knowledge.conftest import TEXT


def article_form(catalogue, **changes):
    data = {"subject-service": str(catalogue["childbirth"].pk), "subject-audience": "public",
            "subject-first_level": "on", "title_lv": "Bērna piedzimšanas pabalsts",
            "title_en": "Childbirth benefit", "version": "1",
            "legal_acts": "Valsts sociālo pabalstu likums | https://likumi.lv/ta/id/68483"}
    for key, texts in TEXT.items():
        data[f"{key}_lv"], data[f"{key}_en"] = texts["lv"], texts["en"]
    data.update(changes)
    return data


def test_the_editor_writes_and_the_central_editor_publishes_through_the_pages(
        client, people, catalogue):
    editor = sign_in_staff(client, people["editor"])
    response = editor.post("/administration/knowledge/new/", article_form(catalogue))
    version = ArticleVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/administration/knowledge/{version.article_id}/v1/"
    assert version.legal_acts == [{"title": "Valsts sociālo pabalstu likums",
                                   "url": "https://likumi.lv/ta/id/68483"}]
    url = f"/administration/knowledge/{version.article_id}/v1/"
    editor.post(url + "act/", {"action": "submit"})
    version.refresh_from_db()
    assert version.state == VersionState.REVIEW
    central = sign_in_staff(client, people["central"])
    queue = central.get("/administration/knowledge/")
    assert "Bērna piedzimšanas pabalsts" in queue.content.decode()
    central.post(url + "act/", {"action": "review", "decision": "publish"})
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    page = sign_in_staff(client, people["centre_agent"]).get(
        f"/staff/knowledge/{version.article_id}/")
    assert "Aizpildiet iesniegumu e-kontā." in page.content.decode()


def test_a_missing_section_and_a_bad_legal_act_are_shown_at_their_fields(client, people,
                                                                      catalogue):
    editor = sign_in_staff(client, people["editor"])
    response = editor.post("/administration/knowledge/new/", article_form(
        catalogue, legal_acts="Likums bez adreses"))
    assert response.status_code == 422
    assert "vertikāl" in response.content.decode() or "vertical bar" in response.content.decode()
    assert not Article.objects.exists()
    response = editor.post("/administration/knowledge/new/", article_form(
        catalogue, steps_lv="", legal_acts="Likums | javascript:alert(1)"))
    assert response.status_code == 422
    assert not Article.objects.exists()
    editor.post("/administration/knowledge/new/", article_form(catalogue, steps_lv=""))
    version = ArticleVersion.objects.get()
    page = editor.post(f"/administration/knowledge/{version.article_id}/v1/act/",
                       {"action": "submit"}, follow=True)
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT
    assert "Soļi" in page.content.decode() or "Steps" in page.content.decode()


def test_another_institutions_editor_cannot_edit_and_a_past_schedule_is_refused(
        client, people, catalogue, publish_article):
    version = publish_article()
    draft = sign_in_staff(client, people["editor"]).post(
        f"/administration/knowledge/{version.article_id}/v1/act/", {"action": "new_version"})
    assert draft.status_code == 302
    other = sign_in_staff(client, people["vid_editor"])
    refused = other.get(f"/administration/knowledge/{version.article_id}/v2/edit/")
    assert refused.status_code == 403
    assert "iestādes zināšanu redaktori" in refused.content.decode()  # the reason, not "roles"
    assert other.post(f"/administration/knowledge/{version.article_id}/v2/edit/",
                      article_form(catalogue, title_lv="Svešs")).status_code == 403
    assert ArticleVersion.objects.get(number=2).title_lv == version.title_lv
    editor = sign_in_staff(client, people["editor"])
    editor.post(f"/administration/knowledge/{version.article_id}/v2/act/", {"action": "submit"})
    past = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = sign_in_staff(client, people["central"]).post(
        f"/administration/knowledge/{version.article_id}/v2/act/",
        {"action": "review", "decision": "schedule", "publish_at": past}, follow=True)
    assert ArticleVersion.objects.get(number=2).state == VersionState.REVIEW
    assert page.status_code == 422
    assert "nākotnē" in page.content.decode()
    assert f'value="{past}"' in page.content.decode()  # the time typed is kept


def test_an_agent_searches_without_diacritics_with_a_typo_and_gives_feedback(
        client, people, publish_article, catalogue):
    version = publish_article()
    publish_article(audience="holder", title="Bērna piedzimšanas pabalsts: iekšējā kārtība")
    agent = sign_in_staff(client, people["riga_agent"])
    page = agent.get("/staff/knowledge/", {"q": "berna piedzimsnas"}).content.decode()
    assert "Bērna piedzimšanas pabalsts: kā pieteikties" in page
    assert "iekšējā kārtība" not in page
    holder_only = Article.objects.get(audience="holder")
    assert agent.get(f"/staff/knowledge/{holder_only.pk}/").status_code == 404
    response = agent.post(f"/staff/knowledge/{version.article_id}/feedback/",
                          {"helpful": "no", "comment": "Trūkst termiņa.", "flagged": "on"})
    assert response.status_code == 302
    assert Feedback.objects.get().flagged is True
    refused = agent.post(f"/staff/knowledge/{version.article_id}/feedback/", {"comment": ""})
    assert refused.status_code == 422 and Feedback.objects.count() == 1


def test_a_staff_member_follows_a_service_and_stops(client, people, catalogue):
    agent = sign_in_staff(client, people["centre_agent"])
    response = agent.post("/staff/knowledge/following/",
                          {"service": str(catalogue["childbirth"].pk)})
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    refused = agent.post("/staff/knowledge/following/", {"topic": "", "service": ""})
    assert refused.status_code == 422
    other = sign_in_staff(client, people["riga_agent"])
    other.post("/staff/knowledge/following/", {"remove": str(subscription.pk)})
    assert Subscription.objects.count() == 1
    agent = sign_in_staff(client, people["centre_agent"])
    agent.post("/staff/knowledge/following/", {"remove": str(subscription.pk)})
    assert not Subscription.objects.exists()


def test_a_stale_draft_save_loses_nothing(client, people, catalogue):
    editor = sign_in_staff(client, people["editor"])
    editor.post("/administration/knowledge/new/", article_form(catalogue))
    version = ArticleVersion.objects.get()
    url = f"/administration/knowledge/{version.article_id}/v1/edit/"
    editor.post(url, article_form(catalogue, title_lv="Pirmais labojums", version="1"))
    response = editor.post(url, article_form(catalogue, title_lv="Otrais", version="1",
                                             faq_lv="Mans jautājums"))
    assert response.status_code == 409
    assert "Mans jautājums" in response.content.decode()  # what was typed is still there
    version.refresh_from_db()
    assert version.title_lv == "Pirmais labojums"
    again = editor.post(url, article_form(catalogue, title_lv="Otrais", version="2",
                                          faq_lv="Mans jautājums"))
    assert again.status_code == 302
    version.refresh_from_db()
    assert version.title_lv == "Otrais"


def test_the_workplace_shows_the_service_at_hands_articles_beside_the_client(
        client, people, publish_article, family):
    """B3, B6: the 360° view opened for a service shows that service's articles, the first-level
    answers first, only those the agent may read."""
    from tests.administration.test_clients import _search

    public = publish_article(first_level=True)
    publish_article(audience="holder", title="Iekšējā kārtība")
    agent = sign_in_staff(client, people["centre_agent"])
    parent = family["parent"]
    _search(agent, parent.personal_code)
    page = agent.get(f"/staff/clients/{parent.pk}/", {
        "service": family["own"].service.pk, "basis": "case", "case": family["own"].number})
    text = page.content.decode()
    assert page.status_code == 200
    assert public.title_lv in text and "Iekšējā kārtība" not in text
    assert 'id="knowledge-panel-title"' in text


def test_a_public_article_shows_on_the_service_page_and_a_holder_only_one_does_not(
        client, publish_article, catalogue):
    publish_article(content={**TEXT, "back_office": {"lv": "Iekšējais process", "en": ""}})
    publish_article(audience="holder", title="Iekšējā kārtība")
    page = client.get(reverse("catalog:service", args=[1011])).content.decode()
    assert "Bērna piedzimšanas pabalsts: kā pieteikties" in page
    assert "Iekšējā kārtība" not in page and "Iekšējais process" not in page


def test_a_change_of_readers_waits_for_review(client, people, publish_article):
    """The fresh tester's finding: an editor alone made a holder-only article public."""
    version = publish_article(audience="holder", title="Iekšējā kārtība")
    editor = sign_in_staff(client, people["editor"])
    editor.post(f"/administration/knowledge/{version.article_id}/v1/act/",
                {"action": "new_version"})
    url = f"/administration/knowledge/{version.article_id}/v2/act/"
    editor.post(url, {"action": "audience", "audience": "public"})
    article = Article.objects.get(pk=version.article_id)
    assert article.audience == "holder"
    assert ArticleVersion.objects.get(number=2).audience == "public"
    assert sign_in_staff(client, people["riga_agent"]).get(
        f"/staff/knowledge/{article.pk}/").status_code == 404
    editor = sign_in_staff(client, people["editor"])
    editor.post(url, {"action": "submit"})
    sign_in_staff(client, people["central"]).post(url, {"action": "review",
                                                        "decision": "publish"})
    article.refresh_from_db()
    assert article.audience == "public"
    assert sign_in_staff(client, people["riga_agent"]).get(
        f"/staff/knowledge/{article.pk}/").status_code == 200


def test_retiring_asks_why(client, people, publish_article):
    version = publish_article()
    central = sign_in_staff(client, people["central"])
    url = f"/administration/knowledge/{version.article_id}/v1/act/"
    refused = central.post(url, {"action": "retire", "reason": " "})
    assert refused.status_code == 422
    assert Article.objects.get(pk=version.article_id).published_id == version.pk
    central.post(url, {"action": "retire", "reason": "Pakalpojums beidzies."})
    assert Article.objects.get(pk=version.article_id).published_id is None


def test_a_central_editor_is_not_offered_to_publish_their_own_version(client, people):
    """Four eyes (a call-script tester's finding): the author sees who reviews, not a button
    that is refused on use; another central editor gets the review form."""
    from durvis.identity.services import record_staff
    from durvis.knowledge import services as knowledge
    from tests.knowledge.conftest import actor

    version = knowledge.create_article(actor(people["central"]), knowledge.ArticleSubject(
        audience="public", service=None, topic="Dzīvesvieta"), knowledge.ArticleDraft(
        title_lv="Dzīvesvietas deklarēšana", content=TEXT))
    knowledge.submit(actor(people["central"]), version)
    url = f"/administration/knowledge/{version.article_id}/v1/"
    own = sign_in_staff(client, people["central"]).get(url).content.decode()
    assert 'name="decision"' not in own and "(četru acu princips)" in own
    second = record_staff(username="editor2.vdaa", password="pw-editor2-vdaa-long-enough",
                          institution=people["central"].institution, roles=["knowledge_editor"])
    other = sign_in_staff(client, second).get(url).content.decode()
    assert 'name="decision"' in other and "(četru acu princips)" not in other


def test_a_refused_search_finds_no_article_and_says_why(client, people, publish_article):
    publish_article()
    agent = sign_in_staff(client, people["riga_agent"])
    response = agent.get("/en/staff/knowledge/", {"q": "\x00berna pabalsts"})
    page = response.content.decode()
    assert response.status_code == 422 and "control character" in page
    assert "Childbirth benefit" not in page and "kā pieteikties" not in page


def test_a_long_search_names_the_words_it_left_out(client, people, publish_article):
    publish_article()
    agent = sign_in_staff(client, people["riga_agent"])
    query = ("bērna piedzimšanas pabalsts kā pieteikties tiešsaistē un kādi dokumenti jāiesniedz "
             "pašvaldībā vai aģentūrā mēneša laikā")
    page = agent.get("/en/staff/knowledge/", {"q": query}).content.decode()
    assert "Childbirth benefit" in page or "kā pieteikties" in page
    assert 'id="ignored-words"' in page and "Left out: pašvaldībā, aģentūrā, mēneša, laikā" in page
