"""Writes of the knowledge base (B6): articles and their versions through the lifecycle, staff
feedback, subscriptions and notices. Every write checks the policy (`knowledge.rules`), is
audited and runs in one transaction; refusals raise PermissionDenied (`Refused`), bad input
ValidationError keyed by field (`docs/knowledge.md`).

The lifecycle (seed B6; issue 17): an owner's knowledge editor writes a draft and sends it to
review (`submit`: the template's required sections must be there); a central editor sends it
back with a comment (`return_to_draft`), publishes it now or schedules it (`approve`); the
worker publishes scheduled versions when their time comes (`publish_due`, the worker source
`knowledge.schedule`); publishing marks the previous published version outdated, indexes the
article in the one search service (A13) and publishes `knowledge.article_published`, which
notifies the subscribers; `retire` takes an article out of use. Call scripts share the
lifecycle (`knowledge.scripts`)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from durvis.access.policy import require
from durvis.audit.services import record
from durvis.catalog.models import Category, Service
from durvis.core.actor import SYSTEM, Actor
from durvis.core.concurrency import advance_version
from durvis.core.events import publish
from durvis.identity.models import Institution, StaffMember
from durvis.knowledge.events import ARTICLE_PUBLISHED, FEEDBACK_GIVEN
from durvis.knowledge.models import (
    REQUIRED_SECTIONS,
    Article,
    ArticleAudience,
    ArticleVersion,
    Feedback,
    Notice,
    Section,
    Subscription,
    VersionState,
)
from durvis.knowledge.rules import KnowledgeAction
from durvis.search import services as search

SEARCH_KIND = "knowledge.article"
MAX_SECTION = 20_000
MAX_LEGAL_ACTS = 30
MAX_SCHEDULE = datetime.timedelta(days=366)
FEEDBACK_REPEAT = datetime.timedelta(minutes=2)  # the same feedback again within it: a repeat


@dataclass
class ArticleDraft:
    """The text of a version as an editor gives it: the titles, `content` ({section value:
    {"lv": text, "en": text}}, sections of `Section` only) and `legal_acts` ([{"title": text,
    "url": http(s) URL}])."""

    title_lv: str
    title_en: str = ""
    content: dict[str, dict[str, str]] = field(default_factory=dict)
    legal_acts: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ArticleSubject:
    """What a new article is about: a `service`, a service group (`category`) or a `topic`
    (exactly one), who may read it (`audience`) and whether the call centre answers it at the
    first level."""

    audience: str
    service: Service | None = None
    category: Category | None = None
    topic: str = ""
    first_level: bool = False


# --- Articles ----------------------------------------------------------------------------------

@transaction.atomic
def create_article(actor: Actor, subject: ArticleSubject, draft: ArticleDraft) -> ArticleVersion:
    """A new article with its first version as a draft, owned by the service's holder (a
    group's or topic's: the editor's institution). Raises Refused (not a knowledge editor of
    the holder) and ValidationError (no or several subjects, an audience of another kind, a
    delegated audience without a service, a bad draft)."""
    _check_subject(subject)
    owner: Model | None = (subject.service if subject.service is not None
                           else _institution(actor))
    require(actor, KnowledgeAction.EDIT, owner)
    member = _member(actor)
    institution_id = (subject.service.holder_id if subject.service is not None
                      else member.institution_id)
    article = Article.objects.create(
        institution_id=institution_id, service=subject.service, category=subject.category,
        topic=subject.topic.strip(), audience=subject.audience,
        first_level=subject.first_level, created_by=member)
    version = ArticleVersion(article=article, number=1, author=member,
                             audience=subject.audience, first_level=subject.first_level)
    _apply(version, draft)
    version.save()
    record(actor, "knowledge.article.create", article,
           details={"version": 1, "audience": article.audience})
    return version


def _check_subject(subject: ArticleSubject) -> None:
    given = [x for x in (subject.service, subject.category, subject.topic.strip()) if x]
    if len(given) != 1:
        raise ValidationError({"service": _("Choose one: a service, a service group or a "
                                            "topic.")})
    if subject.audience not in ArticleAudience.values:
        raise ValidationError({"audience": _("Choose who may read the article.")})
    if subject.audience == ArticleAudience.DELEGATED and subject.service is None:
        raise ValidationError({"audience": _("Only an article about a service can be for the "
                                             "providers it was delegated to.")})
    if len(subject.topic) > 100:
        raise ValidationError({"topic": _("A topic is at most 100 characters.")})


@transaction.atomic
def save_draft(actor: Actor, version: ArticleVersion, draft: ArticleDraft,
               expected: int | None) -> ArticleVersion:
    """Change a draft's text. `expected` is the version number the form was opened on (None:
    whatever it is). Raises Refused, ValidationError (a bad draft; `state`: not a draft) and
    `core.concurrency.StaleVersion` (changed meanwhile: nothing written)."""
    require(actor, KnowledgeAction.EDIT, version.article)
    if version.state != VersionState.DRAFT:
        raise ValidationError({"state": _("Only a draft can be changed.")})
    advance_version(ArticleVersion.objects.filter(pk=version.pk), expected)
    version.refresh_from_db(fields=["version"])
    _apply(version, draft)
    version.save()
    record(actor, "knowledge.article.edit", version.article, details={"version": version.number})
    return version


@transaction.atomic
def change_audience(actor: Actor, version: ArticleVersion, audience: str,
                    first_level: bool) -> None:
    """Set who may read the article and whether the call centre answers it at the first level
    once this draft is published: a change of audience is reviewed like the text, never in
    force before. Raises Refused and ValidationError (as `create_article`; `state`: not a
    draft)."""
    article = version.article
    require(actor, KnowledgeAction.EDIT, article)
    _check_subject(ArticleSubject(audience=audience, service=article.service,
                                  category=article.category, topic=article.topic))
    lock_state(version, VersionState.DRAFT, _("Only a draft can be changed."))
    move_state(version, VersionState.DRAFT, audience=audience, first_level=first_level)
    record(actor, "knowledge.article.audience", article,
           details={"version": version.number, "audience": audience,
                    "first_level": first_level})


@transaction.atomic
def new_version(actor: Actor, article: Article) -> ArticleVersion:
    """The article's draft to work on: the open draft or version in review if there is one,
    else a new draft copied from the newest version. Raises Refused."""
    require(actor, KnowledgeAction.EDIT, article)
    Article.objects.select_for_update().filter(pk=article.pk).get()
    open_ = article.versions.filter(state__in=(VersionState.DRAFT, VersionState.REVIEW,
                                               VersionState.SCHEDULED)).first()
    if open_ is not None:
        return open_
    newest = article.versions.order_by("-number").first()
    assert newest is not None
    number = (article.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ArticleVersion.objects.create(
        article=article, number=number, author=_member(actor), title_lv=newest.title_lv,
        title_en=newest.title_en, content=newest.content, legal_acts=newest.legal_acts,
        audience=article.audience, first_level=article.first_level)
    record(actor, "knowledge.article.new_version", article, details={"version": number})
    return version


def missing_sections(version: ArticleVersion) -> list[str]:
    """The required sections (`REQUIRED_SECTIONS`, in Latvian) a version lacks, as `Section`
    values; an empty list when it may be published."""
    return [s.value for s in REQUIRED_SECTIONS
            if not (version.content.get(s.value) or {}).get("lv", "").strip()]


@transaction.atomic
def submit(actor: Actor, version: ArticleVersion) -> None:
    """Send a draft to the central editors' review. Raises Refused and ValidationError (not a
    draft; a required section missing, keyed by the section)."""
    require(actor, KnowledgeAction.EDIT, version.article)
    lock_state(version, VersionState.DRAFT, _("Only a draft can be sent to review."))
    _require_sections(version)
    move_state(version, VersionState.REVIEW, submitted_at=timezone.now())
    record(actor, "knowledge.article.submit", version.article,
           details={"version": version.number})


def _require_sections(version: ArticleVersion) -> None:
    missing = missing_sections(version)
    if missing:
        labels = ", ".join(str(Section(m).label) for m in missing)
        raise ValidationError({m: _("Required sections are empty: %(sections)s.")
                               % {"sections": labels} for m in missing})


@transaction.atomic
def return_to_draft(actor: Actor, version: ArticleVersion, comment: str) -> None:
    """A central editor sends a version in review (or scheduled) back to its editors with a
    comment. Raises Refused and ValidationError (no comment; not in review)."""
    require(actor, KnowledgeAction.REVIEW, version.article)
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must change.")})
    lock_state(version, (VersionState.REVIEW, VersionState.SCHEDULED),
          _("Only a version in review can be sent back."))
    move_state(version, VersionState.DRAFT, review_comment=comment.strip(),
          reviewer=_member(actor), publish_at=None)
    record(actor, "knowledge.article.return", version.article,
           details={"version": version.number})


@transaction.atomic
def approve(actor: Actor, version: ArticleVersion,
            publish_at: datetime.datetime | None = None) -> None:
    """A central editor publishes a version in review now (`publish_at` None) or schedules it
    for `publish_at` (then the worker publishes it). Raises Refused and ValidationError (not in
    review; a required section missing; `publish_at` not in the future)."""
    require(actor, KnowledgeAction.REVIEW, version.article)
    lock_state(version, VersionState.REVIEW, _("Only a version in review can be published."))
    _require_sections(version)
    check_approval(actor, version, publish_at)
    member = _member(actor)
    if publish_at is not None:
        move_state(version, VersionState.SCHEDULED, publish_at=publish_at, reviewer=member,
              review_comment="")
        record(actor, "knowledge.article.schedule", version.article,
               details={"version": version.number, "publish_at": publish_at.isoformat()})
        return
    version.reviewer = member
    _publish(actor, version)


def check_approval(actor: Actor, version: Any, publish_at: datetime.datetime | None) -> None:
    """The review's own rules for an article's or a script's version: another central editor
    than its author approves it (four eyes), and a publication is scheduled in the future, at
    most `MAX_SCHEDULE` ahead. Raises ValidationError (`state`, `publish_at`)."""
    if version.author_id == _member(actor).pk:
        raise ValidationError({"state": _("Another central editor reviews a version you wrote "
                                          "(four eyes).")})
    if publish_at is not None and publish_at <= timezone.now():
        raise ValidationError({"publish_at": _("The publication time must be in the "
                                               "future.")})
    if publish_at is not None and publish_at > timezone.now() + MAX_SCHEDULE:
        raise ValidationError({"publish_at": _("A publication is scheduled at most a year "
                                               "ahead.")})


def publish_due(now: datetime.datetime | None = None, batch: int = 100) -> int:
    """Publish the scheduled article versions whose time has come (the worker source
    `knowledge.schedule`). Returns how many."""
    return publish_scheduled(ArticleVersion, _publish, now, batch)


def next_due_at() -> datetime.datetime | None:
    """When the earliest scheduled article version is due (None: none is scheduled)."""
    return next_scheduled(ArticleVersion)


def publish_scheduled(versions: type[Model], publish: Callable[[Actor, Any], None],
                      now: datetime.datetime | None, batch: int) -> int:
    """Publish the scheduled `versions` (an article's or a script's version model) whose time
    has come with `publish(SYSTEM, version)`, each in its own transaction, rows another worker
    holds skipped. Returns how many."""
    now = now or timezone.now()
    done = 0
    manager = versions._default_manager
    due = (manager.filter(state=VersionState.SCHEDULED, publish_at__lte=now)
           .order_by("publish_at").values_list("pk", flat=True)[:batch])
    for pk in due:
        with transaction.atomic():
            version = (manager.select_for_update(skip_locked=True)
                       .filter(pk=pk, state=VersionState.SCHEDULED).first())
            if version is not None:
                publish(SYSTEM, version)
                done += 1
    return done


def next_scheduled(versions: type[Model]) -> datetime.datetime | None:
    """When the earliest scheduled version of `versions` is due (None: none is)."""
    return (versions._default_manager.filter(state=VersionState.SCHEDULED)
            .order_by("publish_at").values_list("publish_at", flat=True).first())


def supersede(owner: Any, version: Any) -> int | None:
    """Make `version` the published one of its locked `owner` (an article or a script): the
    one published before is outdated. Returns the previous version's id (None: none)."""
    now = timezone.now()
    previous = owner.published_id
    if previous is not None:
        type(version)._default_manager.filter(pk=previous).update(
            state=VersionState.OUTDATED, ended_at=now)
    move_state(version, VersionState.PUBLISHED, published_at=now, reviewer=version.reviewer,
               review_comment="")
    owner.published = version
    return previous


def _publish(actor: Actor, version: ArticleVersion) -> None:
    article = Article.objects.select_for_update().get(pk=version.article_id)
    previous = supersede(article, version)
    if version.audience:
        article.audience, article.first_level = version.audience, version.first_level
    article.save(update_fields=["published", "audience", "first_level"])
    version.article = article
    index_article(article)
    record(actor, "knowledge.article.publish", article,
           details={"version": version.number, "outdated": previous})
    publish(actor, ARTICLE_PUBLISHED, [(f"article:{article.pk}", {
        "article_id": article.pk, "version_id": version.pk, "number": version.number,
        "institution_id": article.institution_id, "service_id": article.service_id,
        "category_id": article.category_id, "topic": article.topic})])


@transaction.atomic
def retire(actor: Actor, article: Article, reason: str) -> None:
    """A central editor takes an article out of use, saying why: its published version is
    retired, it leaves the search index; its history stays. Raises Refused and
    ValidationError (no reason; nothing published)."""
    require(actor, KnowledgeAction.REVIEW, article)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the article is retired.")})
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.published_id is None:
        raise ValidationError({"state": _("The article has no published version.")})
    ArticleVersion.objects.filter(pk=article.published_id).update(
        state=VersionState.RETIRED, ended_at=timezone.now())
    article.published = None
    article.save(update_fields=["published"])
    search.remove(SEARCH_KIND, article.pk)
    record(actor, "knowledge.article.retire", article, details={"reason": reason.strip()[:500]})


def index_article(article: Article) -> None:
    """(Re)index the article's published text in the one search service (both languages, the
    service's code and name, the topic), in the caller's transaction."""
    version = article.published
    if version is None:
        search.remove(SEARCH_KIND, article.pk)
        return
    texts = [article.topic]
    codes = []
    if article.service is not None:
        texts += [article.service.name]
        codes += [str(article.service.code), article.service.pilot_code]
    for texts_of in version.content.values():
        texts += [texts_of.get("lv", ""), texts_of.get("en", "")]
    search.index(SEARCH_KIND, article.pk, texts, names=[version.title_lv, version.title_en],
                 codes=codes)


def reindex_all() -> int:
    """Index every published article again (`manage.py search_reindex`); how many."""
    count = 0
    for article in (Article.objects.filter(published__isnull=False)
                    .select_related("published", "service").order_by("pk").iterator()):
        with transaction.atomic():
            index_article(article)
        count += 1
    return count


def _apply(version: ArticleVersion, draft: ArticleDraft) -> None:
    errors: dict[str, str] = {}
    title = draft.title_lv.strip()
    if not title:
        errors["title_lv"] = _("Give the title in Latvian.")
    elif len(title) > 200 or len(draft.title_en.strip()) > 200:
        errors["title_lv"] = _("A title is at most 200 characters.")
    content: dict[str, dict[str, str]] = {}
    for key, texts in draft.content.items():
        if key not in Section.values:
            errors[key] = _("Unknown section.")
            continue
        kept = {lang: _lines(texts.get(lang, "")) for lang in ("lv", "en")}
        if any(len(t) > MAX_SECTION for t in kept.values()):
            errors[key] = _("A section is at most %(n)s characters.") % {"n": MAX_SECTION}
        if any(kept.values()):
            content[key] = kept
    errors.update(_check_legal_acts(draft.legal_acts))
    if errors:
        raise ValidationError(errors)
    version.title_lv, version.title_en = title, draft.title_en.strip()
    version.content, version.legal_acts = content, draft.legal_acts


def _lines(text: object) -> str:
    """A text with its line ends as "\n" (a browser's form sends "\r\n"), trimmed: a saved
    text that was not changed compares equal."""
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_legal_acts(acts: list[dict[str, str]]) -> dict[str, str]:
    if len(acts) > MAX_LEGAL_ACTS:
        return {"legal_acts": _("At most %(n)s legal acts.") % {"n": MAX_LEGAL_ACTS}}
    check = URLValidator(schemes=["https"])
    for act in acts:
        if not act.get("title", "").strip():
            return {"legal_acts": _("Every legal act needs its title.")}
        try:
            check(act.get("url", ""))
        except ValidationError:
            return {"legal_acts": _("“%(url)s” is not a web address (https://…).")
                    % {"url": act.get("url", "")[:100]}}
    return {}


def lock_state(version: Any, states: Any, message: str) -> None:
    """Lock a version's row (an `ArticleVersion` or `ScriptVersion`) until the transaction
    ends; raise ValidationError({"state": message}) unless it is in `states` (a value or a
    tuple of them)."""
    states = (states,) if isinstance(states, str) else states
    current = type(version)._default_manager.select_for_update().get(pk=version.pk)
    if current.state not in states:
        raise ValidationError({"state": message})


def move_state(version: Any, state: str, **changes: Any) -> None:
    """Move a locked version to `state`, setting `changes` (field: value) with it."""
    changes["state"] = state
    for name, value in changes.items():
        setattr(version, name, value)
    version.save(update_fields=[*changes, "updated_at"])


def _member(actor: Actor) -> StaffMember:
    if actor.staff is None:
        raise ValidationError({"actor": _("Only staff write the knowledge base.")})
    return actor.staff


def _institution(actor: Actor) -> Institution | None:
    return actor.staff.institution if actor.staff is not None else None


# --- Feedback, subscriptions, notices ----------------------------------------------------------

@transaction.atomic
def give_feedback(actor: Actor, article: Article, *, helpful: bool | None, comment: str,
                  flagged: bool) -> Feedback:
    """A staff member who reads the article says whether its published version helped, with an
    optional comment and a flag asking its editors to review it; a flag or a comment reaches
    the owner's knowledge editors (`knowledge.feedback_given`). Raises Refused and
    ValidationError (nothing said; a comment over 2,000 characters; nothing published)."""
    require(actor, KnowledgeAction.READ_ARTICLE, article)
    member = _member(actor)
    comment = comment.strip()
    if helpful is None and not comment and not flagged:
        raise ValidationError({"comment": _("Say whether it helped, or write a comment.")})
    if len(comment) > 2000:
        raise ValidationError({"comment": _("A comment is at most 2,000 characters.")})
    if article.published_id is None:
        raise ValidationError({"comment": _("The article has no published version.")})
    repeated = Feedback.objects.filter(
        article=article, version_id=article.published_id, given_by=member, helpful=helpful,
        comment=comment, flagged=flagged,
        created_at__gte=timezone.now() - FEEDBACK_REPEAT).first()
    if repeated is not None:  # a double submit: the same feedback once
        return repeated
    feedback = Feedback.objects.create(article=article, version_id=article.published_id,
                                       given_by=member, helpful=helpful, comment=comment,
                                       flagged=flagged)
    record(actor, "knowledge.feedback.give", article,
           details={"helpful": helpful, "flagged": flagged})
    if comment or flagged:
        publish(actor, FEEDBACK_GIVEN, [(f"article:{article.pk}", {
            "feedback_id": feedback.pk, "article_id": article.pk,
            "version_id": article.published_id, "institution_id": article.institution_id,
            "flagged": flagged})])
    return feedback


@transaction.atomic
def handle_feedback(actor: Actor, feedback: Feedback) -> None:
    """An editor of the article marks the feedback handled. Raises Refused."""
    require(actor, KnowledgeAction.EDIT, feedback.article)
    Feedback.objects.filter(pk=feedback.pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=_member(actor))
    record(actor, "knowledge.feedback.handle", feedback.article)


@transaction.atomic
def subscribe(actor: Actor, *, service: Service | None = None, category: Category | None = None,
              topic: str = "") -> Subscription:
    """Follow a service, a service group or a topic (exactly one): every published change of
    an article about it is a notice in the workplace and an e-mail. Following it again changes
    nothing. Raises ValidationError (none or several; not staff)."""
    member = _member(actor)
    topic = topic.strip()
    if len([x for x in (service, category, topic) if x]) != 1:
        raise ValidationError({"service": _("Choose one: a service, a service group or a "
                                            "topic.")})
    if len(topic) > 100:
        raise ValidationError({"topic": _("A topic is at most 100 characters.")})
    same = Subscription.objects.filter(member=member, service=service, category=category,
                                       topic__iexact=topic).first()
    if same is not None:  # the same topic in other letters' case is the same follow
        return same
    subscription = Subscription.objects.create(member=member, service=service,
                                               category=category, topic=topic)
    record(actor, "knowledge.subscribe", subscription)
    return subscription


@transaction.atomic
def unsubscribe(actor: Actor, subscription_id: int) -> None:
    """Stop following (one's own subscriptions only; another's is not found). Raises
    Subscription.DoesNotExist."""
    member = _member(actor)
    subscription = Subscription.objects.get(pk=subscription_id, member=member)
    record(actor, "knowledge.unsubscribe", subscription)
    subscription.delete()


def mark_read(actor: Actor, notice_ids: list[int] | None = None) -> int:
    """Mark one's own notices read (all when `notice_ids` is None). Returns how many."""
    member = _member(actor)
    notices = Notice.objects.filter(member=member, read_at__isnull=True)
    if notice_ids is not None:
        notices = notices.filter(pk__in=notice_ids)
    return notices.update(read_at=timezone.now())
