"""The knowledge base's articles (issue 17, B6, A13): the lifecycle, the audiences, editing rights,
search through the one search service, feedback and subscriptions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from durvis.audit.models import AuditEvent
from durvis.integrations.models import OutboxMessage
from durvis.knowledge import queries, services
from durvis.knowledge.models import Article, ArticleVersion, Notice, VersionState
from tests.knowledge.conftest import TEXT, actor


def draft(title="Bērna piedzimšanas pabalsts", content=None):
    return services.ArticleDraft(title_lv=title, title_en="Childbirth benefit",
                                 content=TEXT if content is None else content)


def subject(catalogue, audience="public", **kwargs):
    return services.ArticleSubject(audience=audience, service=kwargs.pop(
        "service", catalogue["childbirth"]), **kwargs)


def test_an_article_goes_from_draft_through_review_to_published_and_the_old_one_is_outdated(
        people, catalogue):
    editor, central = actor(people["editor"]), actor(people["central"])
    first = services.create_article(editor, subject(catalogue), draft())
    assert first.state == VersionState.DRAFT
    services.submit(editor, first)
    services.approve(central, first)
    article = Article.objects.get(pk=first.article_id)
    assert article.published_id == first.pk
    second = services.new_version(editor, article)
    assert second.number == 2 and second.content == first.content
    services.save_draft(editor, second, draft(title="Bērna piedzimšanas pabalsts (jauns)"),
                        expected=second.version)
    services.submit(editor, second)
    services.approve(central, second)
    first.refresh_from_db()
    article.refresh_from_db()
    assert first.state == VersionState.OUTDATED and first.ended_at is not None
    assert article.published_id == second.pk
    actions = list(AuditEvent.objects.filter(action__startswith="knowledge.article")
                   .values_list("action", flat=True))
    assert actions.count("knowledge.article.publish") == 2


def test_a_version_without_a_required_section_is_neither_reviewed_nor_published(people,
                                                                                catalogue):
    editor = actor(people["editor"])
    version = services.create_article(editor, subject(catalogue), draft(content={
        "summary": {"lv": "Kopsavilkums", "en": ""}}))
    with pytest.raises(ValidationError) as refused:
        services.submit(editor, version)
    assert set(refused.value.message_dict) == {"eligibility", "steps"}
    assert "Kas var saņemt" in str(refused.value) or "eligible" in str(refused.value)
    version.refresh_from_db()
    assert version.state == VersionState.DRAFT


def test_a_schedule_in_the_past_is_refused_and_a_future_one_is_published_by_the_clock(
        people, catalogue):
    editor, central = actor(people["editor"]), actor(people["central"])
    version = services.create_article(editor, subject(catalogue), draft())
    services.submit(editor, version)
    with pytest.raises(ValidationError) as refused:
        services.approve(central, version, publish_at=timezone.now() - datetime.timedelta(hours=1))
    assert "publish_at" in refused.value.message_dict
    at = timezone.now() + datetime.timedelta(hours=2)
    services.approve(central, version, publish_at=at)
    version.refresh_from_db()
    assert version.state == VersionState.SCHEDULED
    assert services.next_due_at() == at
    assert services.publish_due(timezone.now()) == 0
    assert services.publish_due(at + datetime.timedelta(seconds=1)) == 1
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    assert Article.objects.get(pk=version.article_id).published_id == version.pk


def test_only_the_holders_editors_write_and_only_a_central_editor_publishes(people, catalogue):
    vid_editor = actor(people["vid_editor"])
    with pytest.raises(PermissionDenied):
        services.create_article(vid_editor, subject(catalogue), draft())
    version = services.create_article(actor(people["editor"]), subject(catalogue), draft())
    with pytest.raises(PermissionDenied):
        services.save_draft(vid_editor, version, draft(title="Svešs"), expected=None)
    services.submit(actor(people["editor"]), version)
    with pytest.raises(PermissionDenied):
        services.approve(actor(people["editor"]), version)
    with pytest.raises(PermissionDenied):
        services.create_article(actor(people["centre_agent"]), subject(catalogue), draft())
    version.refresh_from_db()
    assert version.state == VersionState.REVIEW and version.title_lv == "Bērna piedzimšanas pabalsts"


def test_a_delegated_audience_needs_a_service_and_one_subject_is_required(people, catalogue):
    editor = actor(people["editor"])
    with pytest.raises(ValidationError) as refused:
        services.create_article(editor, services.ArticleSubject(audience="delegated",
                                                                topic="Pabalsti"), draft())
    assert "audience" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.create_article(editor, services.ArticleSubject(audience="public"), draft())
    assert not Article.objects.exists()


@pytest.mark.parametrize(("audience", "readers", "refused"), [
    ("public", {"editor", "central", "riga_agent", "centre_agent", "back_office"}, set()),
    ("providers", {"editor", "central", "riga_agent", "centre_agent", "back_office"}, set()),
    ("holder", {"editor", "central", "back_office"}, {"riga_agent", "centre_agent"}),
    ("delegated", {"editor", "central", "back_office", "centre_agent"}, {"riga_agent"}),
])
def test_the_audience_decides_who_reads_and_finds(people, publish_article, audience, readers,
                                                  refused):
    version = publish_article(audience=audience)
    for name in readers:
        assert queries.search_articles(actor(people[name]), "berna piedzimsanas") == [
            version.article], name
        assert queries.article_for(actor(people[name]), version.article_id)
    for name in refused:
        assert queries.search_articles(actor(people[name]), "berna piedzimsanas") == [], name
        with pytest.raises(Article.DoesNotExist):
            queries.article_for(actor(people[name]), version.article_id)


def test_search_forgives_typos_and_missing_diacritics_and_puts_the_service_at_hand_first(
        people, publish_article, catalogue):
    childbirth = publish_article(title="Bērna piedzimšanas pabalsts: kā pieteikties")
    topic = publish_article(title="Pabalsti ģimenēm ar bērniem", service=None,
                            topic="Ģimenes pabalsti")
    reader = actor(people["centre_agent"])
    assert queries.search_articles(reader, "piedzimsnas pabalsts") == [childbirth.article]
    found = queries.search_articles(reader, "pabalsts", service=catalogue["childbirth"])
    assert found[0] == childbirth.article and topic.article in found
    assert queries.search_articles(reader, "", service=catalogue["childbirth"]) == [
        childbirth.article]


def test_a_retired_article_leaves_the_search_and_keeps_its_history(people, publish_article):
    version = publish_article()
    services.retire(actor(people["central"]), version.article, "Pakalpojums vairs netiek sniegts.")
    assert queries.search_articles(actor(people["centre_agent"]), "piedzimsanas") == []
    version.refresh_from_db()
    assert version.state == VersionState.RETIRED
    assert ArticleVersion.objects.filter(article=version.article).count() == 1


def test_a_subscriber_who_may_read_it_gets_a_notice_and_an_e_mail_once(
        people, publish_article, catalogue, worker):
    services.subscribe(actor(people["centre_agent"]), service=catalogue["childbirth"])
    services.subscribe(actor(people["riga_agent"]), service=catalogue["childbirth"])
    people["centre_agent"].user.email = "centre@example.lv"
    people["centre_agent"].user.save()
    version = publish_article(audience="delegated")
    worker.events()
    worker.events()
    notices = Notice.objects.filter(version=version)
    assert [n.member for n in notices] == [people["centre_agent"]]
    mail = OutboxMessage.objects.get(recipient="centre@example.lv")
    assert version.title_lv in mail.payload["subject"]
    assert f"/staff/knowledge/{version.article_id}/" in mail.payload["body"]


def test_feedback_with_a_flag_reaches_the_owners_editors(people, publish_article, worker):
    version = publish_article()
    with pytest.raises(ValidationError):
        services.give_feedback(actor(people["centre_agent"]), version.article, helpful=None,
                               comment="  ", flagged=False)
    services.give_feedback(actor(people["centre_agent"]), version.article, helpful=False,
                           comment="Nav minēts termiņš.", flagged=True)
    worker.events()
    assert Notice.objects.filter(member=people["editor"], kind="feedback").count() == 1
    assert [f.comment for f in queries.feedback_to_handle(actor(people["editor"]))] == [
        "Nav minēts termiņš."]
    assert list(queries.feedback_to_handle(actor(people["vid_editor"]))) == []


def test_the_diff_shows_what_changed_word_by_word(people, publish_article):
    first = publish_article()
    second = services.new_version(actor(people["editor"]), first.article)
    changed = {**TEXT, "steps": {"lv": "Aizpildiet iesniegumu klientu centrā.", "en": ""}}
    services.save_draft(actor(people["editor"]), second, draft(
        title=first.title_lv, content=changed), expected=None)
    changes = queries.diff(first, second)
    steps = [c for c in changes if c.label.startswith("Soļi") or c.label.startswith("Steps")]
    assert len(steps) == 2  # Latvian changed, English removed
    assert ("removed", "e-kontā.") in steps[0].pieces
    assert ("added", "klientu centrā.") in steps[0].pieces


def test_a_central_editor_does_not_publish_their_own_version(people, catalogue):
    central = actor(people["central"])
    version = services.create_article(central, services.ArticleSubject(
        audience="providers", topic="Dzīvesvietas deklarēšana"), draft())
    services.submit(central, version)
    with pytest.raises(ValidationError) as refused:
        services.approve(central, version)
    assert "state" in refused.value.message_dict
    from durvis.identity import services as identity

    second = identity.record_staff(username="editor2.vdaa", password="pw-editor2-long-enough",
                                   institution=people["central"].institution,
                                   roles=["knowledge_editor"])
    services.approve(actor(second), version)
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED


def test_a_browsers_line_ends_are_no_change_and_http_legal_acts_are_refused(people,
                                                                           publish_article):
    first = publish_article(content={**TEXT, "steps": {"lv": "1. Pirmais.\n2. Otrais.",
                                                        "en": ""}})
    second = services.new_version(actor(people["editor"]), first.article)
    services.save_draft(actor(people["editor"]), second, draft(
        title=first.title_lv, content={**TEXT, "steps": {"lv": "1. Pirmais.\r\n2. Otrais.",
                                                         "en": ""},
                                        "faq": {"lv": "Jautājums?", "en": ""}}), expected=None)
    labels = [c.label for c in queries.diff(first, second)]
    assert len(labels) == 1 and labels[0].startswith(("Biežāk uzdotie", "Frequent")), labels
    with pytest.raises(ValidationError):
        services.save_draft(actor(people["editor"]), second, services.ArticleDraft(
            title_lv="X", content=TEXT, legal_acts=[{"title": "Likums",
                                                      "url": "http://likumi.lv/ta/id/1"}]),
            expected=None)


def test_feedback_sent_twice_is_kept_once_and_a_topic_is_followed_once(people,
                                                                      publish_article):
    version = publish_article()
    agent = actor(people["centre_agent"])
    for _ in range(2):
        services.give_feedback(agent, version.article, helpful=False, comment="Trūkst.",
                               flagged=False)
    assert version.article.feedback.count() == 1
    first = services.subscribe(agent, topic="Dzīvesvietas deklarēšana")
    assert services.subscribe(agent, topic="dzīvesvietas deklarēšana") == first


def test_a_service_code_finds_that_services_articles_only(people, publish_article, catalogue):
    childbirth = publish_article()
    other = publish_article(title="Jauns pabalsts", service="draft")
    reader = actor(people["centre_agent"])
    assert queries.search_articles(reader, "1011") == [childbirth.article]
    assert queries.search_articles(reader, "1099") == [other.article]
    assert queries.search_articles(reader, "1017") == []
