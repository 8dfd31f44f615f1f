"""The knowledge base's subscribers (B6): a published article reaches the staff who follow its
service, service group or topic (a notice in the workplace and an e-mail through the outbox,
only to those who may read it); feedback with a comment or a flag reaches the owner's
knowledge editors as a notice. A redelivered event adds no second notice or e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from durvis.access.policy import decide
from durvis.core.actor import Actor
from durvis.core.events import Event, subscriber
from durvis.identity.models import StaffMember, StaffRole
from durvis.integrations.services import enqueue_notification
from durvis.knowledge.events import ARTICLE_PUBLISHED, FEEDBACK_GIVEN
from durvis.knowledge.models import Article, Notice, NoticeKind, Subscription
from durvis.knowledge.rules import KnowledgeAction


@subscriber(ARTICLE_PUBLISHED, "knowledge.notify_subscribers")
def notify_subscribers(events: Sequence[Event]) -> None:
    for event in events:
        article = (Article.objects.select_related("service", "published")
                   .filter(pk=event.payload["article_id"]).first())
        if article is None or article.published_id != event.payload["version_id"]:
            continue  # retired or already replaced: the newer event tells
        # The rule reads the reader's institution and roles only: asked once per such pair.
        may_read: dict[tuple[int, frozenset[str]], bool] = {}
        for member in _followers(article):
            key = (member.institution_id, frozenset(member.roles))
            if key not in may_read:
                may_read[key] = bool(decide(Actor(kind="staff", staff=member),
                                            KnowledgeAction.READ_ARTICLE, article))
            if not may_read[key]:
                continue
            _, created = Notice.objects.get_or_create(
                member=member, version_id=article.published_id, kind=NoticeKind.PUBLISHED,
                defaults={"article": article})
            if created and member.user.email:
                _email(member, article)


def _followers(article: Article) -> list[StaffMember]:
    """The staff following the article's service, its group (or a group of its service) or
    its topic (the same words, any case)."""
    follows = Q(pk__in=[])
    if article.service_id is not None:
        follows |= Q(service_id=article.service_id)
        assert article.service is not None
        follows |= Q(category__in=article.service.categories.all())
    if article.category_id is not None:
        follows |= Q(category_id=article.category_id)
    if article.topic:
        follows |= Q(topic__iexact=article.topic)
    ids = Subscription.objects.filter(follows).values("member_id")
    return list(StaffMember.objects.filter(pk__in=ids).select_related("user", "institution"))


def _email(member: StaffMember, article: Article) -> None:
    """One e-mail in Latvian (the staff's working language) with the article's link."""
    assert article.published is not None
    base = str(settings.DURVIS_PUBLIC_URL).rstrip("/")
    link = base + reverse("administration:knowledge-article", args=[article.pk])
    with translation.override("lv"):
        subject = gettext("Knowledge base: “%(title)s” is published (version %(number)s)") % {
            "title": article.published.title_lv, "number": article.published.number}
        body = f"{subject}\n\n{gettext('Read the article')}: {link}\n"
    enqueue_notification("email", member.user.email, ARTICLE_PUBLISHED, subject, body)


@subscriber(FEEDBACK_GIVEN, "knowledge.notify_editors")
def notify_editors(events: Sequence[Event]) -> None:
    for event in events:
        staff = StaffMember.objects.filter(institution_id=event.payload["institution_id"])
        for member in (m for m in staff if m.has_role(StaffRole.KNOWLEDGE_EDITOR)):
            Notice.objects.get_or_create(
                member=member, version_id=event.payload["version_id"], kind=NoticeKind.FEEDBACK,
                defaults={"article_id": event.payload["article_id"]})
