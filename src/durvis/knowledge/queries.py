"""Reads of the knowledge base (B6, A13): what a reader may see (`knowledge.article.read`, its
list filter), search through the one search service, the editors' and reviewers' lists, the
versions and their differences, notices and subscriptions. Articles hold no personal data, so
reads are not audited."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from durvis.access.policy import visible
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.knowledge.models import (
    Article,
    ArticleAudience,
    ArticleVersion,
    Feedback,
    Notice,
    Section,
    Subscription,
    VersionState,
)
from durvis.knowledge.rules import KnowledgeAction, is_central_editor
from durvis.knowledge.services import SEARCH_KIND
from durvis.search import services as search


def readable(actor: Actor) -> QuerySet[Article]:
    """The articles `actor` may read (the rule's list filter), with their published version."""
    return visible(actor, KnowledgeAction.READ_ARTICLE,
                   Article.objects.select_related("published", "service", "institution",
                                                  "category"))


def article_for(actor: Actor, pk: int) -> Article:
    """One article the actor may read. Raises Article.DoesNotExist for an unknown one and one
    the actor may not read alike."""
    return readable(actor).get(pk=pk)


def search_articles(actor: Actor, query: str, *, service: Service | None = None,
                    limit: int = 20) -> list[Article]:
    """Published articles matching `query` (every word through its stem, synonyms, forgiving
    typos and missing diacritics; some of the words when none match all, then the list is a
    `Found` with `partial` set: `search.match`), best first, only those `actor` may read; with
    `service`, that service's articles first. An empty query with a service: the service's articles."""
    published = readable(actor).filter(published__isnull=False)
    if search.too_short(query):  # `a`, `-`: nothing asked; a service's articles, if any
        if service is None:
            return Found(too_short=bool(query.strip()))
        query = ""
    if query.strip().isdigit():  # a service's code: that service's articles only
        return list(published.filter(service__code=int(query.strip()[:9]))
                    .order_by("-first_level", "pk")[:limit])
    if not query.strip():
        if service is None:
            return []
        return list(published.filter(service=service).order_by("-first_level", "pk")[:limit])
    # The best matches the reader may see, narrowed in the database (the service at hand's
    # first), then loaded with their published version.
    best: list[int] = []
    partial = []
    ignored = search.ignored_words(query)
    if service is not None:
        found = search.match(SEARCH_KIND, query, limit=limit,
                             within=published.filter(service=service))
        best, partial = [pk for pk, _ in found], [found.partial] if found else []
    if len(best) < limit:
        others = published.exclude(service=service) if service is not None else published
        found = search.match(SEARCH_KIND, query, within=others, limit=limit - len(best))
        best += [pk for pk, _ in found]
        partial += [found.partial] if found else []
    # The page's cards need the published text and the service only.
    cards = published.select_related(None).select_related("published", "service")
    loaded = {a.pk: a for a in cards.filter(pk__in=best)}
    return Found((loaded[pk] for pk in best if pk in loaded),
                 partial=bool(partial) and all(partial), ignored=ignored)


class Found(list[Article]):
    """Articles best first; `partial`: they match only some of the query's words; `too_short`:
    the query asks for nothing (fewer than two letters and digits); `ignored`: a long query's
    words that were not used, as typed (`search.ignored_words`)."""

    def __init__(self, articles: Iterable[Article] = (), *, partial: bool = False,
                 too_short: bool = False, ignored: Iterable[str] = ()) -> None:
        super().__init__(articles)
        self.partial = partial
        self.too_short = too_short
        self.ignored = list(ignored)


def public_articles(service: Service) -> list[Article]:
    """The public articles about a service with their published text (for its catalogue
    page)."""
    return list(Article.objects.select_related("published")
                .filter(service=service, audience=ArticleAudience.PUBLIC,
                        published__isnull=False).order_by("pk"))


def editable(actor: Actor) -> QuerySet[Article]:
    """The articles the actor edits (their institution's; a central editor's: all), newest
    first, with the owner and subject."""
    articles = Article.objects.select_related("published", "service", "institution", "category")
    if actor.staff is None:
        return articles.none()
    if not is_central_editor(actor):
        articles = articles.filter(institution_id=actor.staff.institution_id)
    return articles.order_by("-pk")


def review_queue() -> QuerySet[ArticleVersion]:
    """The versions waiting for a central editor or scheduled, oldest first."""
    return (ArticleVersion.objects.select_related("article", "article__institution", "author__user")
            .filter(state__in=(VersionState.REVIEW, VersionState.SCHEDULED))
            .order_by("submitted_at", "pk"))


def versions_of(article: Article) -> list[ArticleVersion]:
    """Every version of the article, newest first."""
    return list(article.versions.select_related("author__user", "reviewer__user")
                .order_by("-number"))


def open_version(article: Article) -> ArticleVersion | None:
    """The version being worked on (a draft, in review or scheduled), if any."""
    return article.versions.filter(state__in=(VersionState.DRAFT, VersionState.REVIEW,
                                              VersionState.SCHEDULED)).order_by("-number").first()


@dataclass
class Change:
    """One part of a version compared with another: `label`, and `pieces` as (kind, text) with
    kind "same", "added" or "removed", word by word."""

    label: str
    pieces: list[tuple[str, str]]


def diff(old: ArticleVersion | None, new: ArticleVersion) -> list[Change]:
    """What changed from `old` to `new` (None: everything is added), part by part (the
    titles, each section in each language, the legal acts); unchanged parts are left out."""
    changes = []
    for label, before, after in _parts(old, new):
        if before != after:
            changes.append(Change(label, _words(before, after)))
    return changes


def _parts(old: ArticleVersion | None, new: ArticleVersion) -> list[tuple[str, str, str]]:
    from django.utils.translation import gettext as _

    def text(version: ArticleVersion | None, key: str, lang: str) -> str:
        return str(((version.content.get(key) or {}) if version else {}).get(lang, ""))

    def acts(version: ArticleVersion | None) -> str:
        return "\n".join(f"{a['title']} {a['url']}" for a in (version.legal_acts if version
                                                               else []))

    def readers(version: ArticleVersion | None) -> str:
        if version is None or not version.audience:
            return ""
        first = _("the call centre answers it at the first level") if version.first_level else ""
        return " · ".join(filter(None, [str(ArticleAudience(version.audience).label), first]))

    parts = [(_("Title (Latvian)"), old.title_lv if old else "", new.title_lv),
             (_("Title (English)"), old.title_en if old else "", new.title_en),
             (_("Who may read it"), readers(old), readers(new))]
    for section in Section:
        for lang in ("lv", "en"):
            parts.append((section_label(section, lang), text(old, section.value, lang),
                          text(new, section.value, lang)))
    parts.append((_("Legal acts"), acts(old), acts(new)))
    return parts


def section_label(section: Section, language: str) -> str:
    """A section's name with the language of its text: "Steps (in Latvian)"."""
    from django.utils.translation import gettext as _

    if language == "en":
        return _("%(section)s (in English)") % {"section": section.label}
    return _("%(section)s (in Latvian)") % {"section": section.label}


def _words(before: str, after: str) -> list[tuple[str, str]]:
    """Word by word, the spaces and line ends kept with the text (so an unchanged line is
    not reported, and the text reads as written)."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        for kind, text in (("removed", "".join(a[i1:i2])), ("added", "".join(b[j1:j2]))):
            if text.strip():
                pieces.append((kind, text))
            elif text:
                pieces.append(("same", text))
    return pieces


_TOKENS = re.compile(r"\S+|\s+")


def feedback_to_handle(actor: Actor) -> QuerySet[Feedback]:
    """Open feedback with a comment or a flag on the articles the actor edits, newest first."""
    return (Feedback.objects.select_related("article", "version", "given_by__user",
                                            "given_by__institution")
            .filter(article__in=editable(actor), handled_at__isnull=True)
            .filter(Q(flagged=True) | ~Q(comment=""))
            .order_by("-created_at"))


def notices_of(actor: Actor, *, unread: bool = False, limit: int = 50) -> list[Notice]:
    """The actor's own notices, newest first."""
    if actor.staff is None:
        return []
    notices = Notice.objects.select_related("article", "version").filter(member=actor.staff)
    if unread:
        notices = notices.filter(read_at__isnull=True)
    return list(notices.order_by("-created_at", "-pk")[:limit])


def subscriptions_of(actor: Actor) -> list[Subscription]:
    """What the actor follows."""
    if actor.staff is None:
        return []
    return list(Subscription.objects.select_related("service", "category")
                .filter(member=actor.staff).order_by("pk"))


def topics() -> list[str]:
    """The topics articles are written about, for following one (each once, any case)."""
    seen: dict[str, str] = {}
    for topic in Article.objects.exclude(topic="").values_list("topic", flat=True).order_by(
            "topic"):
        seen.setdefault(topic.casefold(), topic)
    return list(seen.values())

