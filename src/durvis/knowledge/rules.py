"""Access rules of the knowledge base (B6): who reads an article (its audience), who writes,
reviews and publishes articles and call scripts, who runs a script. Registered into the one
policy (`durvis.access.policy`) when the app loads.

- A **knowledge editor** (`StaffRole.KNOWLEDGE_EDITOR`) of an institution writes the articles
  and scripts of the services it holds, and topic or service-group articles in its name.
- A **central editor** is a knowledge editor of the platform's operator
  (`DURVIS_KNOWLEDGE_CENTRAL_INSTITUTION`, default `VDAA`): they review, schedule, publish and
  retire every institution's articles and scripts (B6: "a central editor reviews and publishes").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import ALLOW, Decision, deny, rule
from durvis.catalog.models import Service
from durvis.catalog.queries import serves, serving
from durvis.core.actor import Actor
from durvis.identity.models import Institution, StaffRole
from durvis.knowledge.models import Article, ArticleAudience, CallScript


class KnowledgeAction(StrEnum):
    # obj = an Article: read its published text (with the list filter).
    READ_ARTICLE = "knowledge.article.read"
    # obj = an Article, or for a new one the Service or Institution it is about: write drafts.
    EDIT = "knowledge.edit"
    # obj = an Article or CallScript (None: may open the review queue): review, publish, retire.
    REVIEW = "knowledge.review"
    # obj = a CallScript: run it in the workplace (with the consultation it is saved on).
    RUN_SCRIPT = "knowledge.script.run"


def central_institution_code() -> str:
    """The operator whose knowledge editors are the central editors (`DURVIS_KNOWLEDGE_CENTRAL_
    INSTITUTION`, default `VDAA`, the platform's operator in the seed)."""
    return str(settings.DURVIS_KNOWLEDGE_CENTRAL_INSTITUTION)


def is_editor(actor: Actor) -> bool:
    return actor.staff is not None and actor.has_role(StaffRole.KNOWLEDGE_EDITOR)


def is_central_editor(actor: Actor) -> bool:
    """A knowledge editor of the central institution (see the module docstring)."""
    return is_editor(actor) and actor.institution_code == central_institution_code()


def _readable(actor: Actor, client: Any) -> Q:
    """`read_article` as a filter of articles."""
    if actor.staff is None:
        return Q(audience=ArticleAudience.PUBLIC, published__isnull=False)
    if is_central_editor(actor):
        return Q()
    mine = Q(institution_id=actor.institution_id)
    published = Q(published__isnull=False) & (
        Q(audience__in=(ArticleAudience.PUBLIC, ArticleAudience.PROVIDERS))
        | (Q(audience=ArticleAudience.HOLDER) & mine)
        | (Q(audience=ArticleAudience.DELEGATED)
           & (mine | Q(service__in=Service.objects.filter(serving(actor.institution_id))))))
    return published | (mine if is_editor(actor) else Q(pk__in=[]))


@rule(KnowledgeAction.READ_ARTICLE, list_filter=_readable)
def read_article(actor: Actor, article: Any, client: Any) -> Decision:
    """A published article by its audience: public to everyone; all providers' staff to every
    staff member; holder-only to the owner's staff; delegated to the owner's staff and the staff
    of the institutions the holder delegated a stage of the service to, on that day. The
    owner's knowledge editors and the central editors also read drafts and retired articles
    (B6)."""
    if not isinstance(article, Article):
        return deny("not an article")
    if actor.staff is not None and (is_central_editor(actor) or (
            is_editor(actor) and article.institution_id == actor.institution_id)):
        return ALLOW
    if article.published_id is None:
        return deny("not published")
    if article.audience == ArticleAudience.PUBLIC:
        return ALLOW
    if actor.staff is None:
        return deny("for staff only")
    if article.audience == ArticleAudience.PROVIDERS:
        return ALLOW
    if article.institution_id == actor.institution_id:
        return ALLOW
    if (article.audience == ArticleAudience.DELEGATED and article.service is not None
            and serves(article.service, actor.institution_id)):
        return ALLOW
    return deny("for the holder's staff only"
                if article.audience == ArticleAudience.HOLDER else "not delegated to you")


@rule(KnowledgeAction.EDIT)
def edit(actor: Actor, obj: Any, client: Any) -> Decision:
    """A knowledge editor writes the articles and scripts of their own institution: those about
    the services it holds, and topic articles in its name; a central editor any (B6). Without
    an object: whether they may open the editors' pages."""
    if not is_editor(actor):
        return deny("not a knowledge editor")
    if obj is None or is_central_editor(actor):
        return ALLOW
    owner = _owner(obj)
    if owner is None:
        return deny("not an article, script, service or institution")
    if owner == actor.institution_id:
        return ALLOW
    return deny("another institution's article",
                _("Only the knowledge editors of the institution that holds the service may "
                  "edit its articles."))


def _owner(obj: Any) -> int | None:
    if isinstance(obj, (Article, CallScript)):
        return int(obj.institution_id)
    if isinstance(obj, Service):
        return int(obj.holder_id)
    if isinstance(obj, Institution):
        return int(obj.pk)
    return None


@rule(KnowledgeAction.REVIEW)
def review(actor: Actor, obj: Any, client: Any) -> Decision:
    """Only a central editor reviews, schedules, publishes and retires (B6)."""
    if is_central_editor(actor):
        return ALLOW
    return deny("not a central editor",
                _("Only a central knowledge editor reviews and publishes."))


@rule(KnowledgeAction.RUN_SCRIPT)
def run_script(actor: Actor, script: Any, client: Any) -> Decision:
    """A published script is run by the staff of an institution that serves its service (holds
    it or has a stage of it delegated), a topic script by any staff member; its editors and the
    central editors also preview drafts."""
    if not isinstance(script, CallScript):
        return deny("not a call script")
    if actor.staff is None:
        return deny("for staff only")
    if is_central_editor(actor) or (is_editor(actor)
                                    and script.institution_id == actor.institution_id):
        return ALLOW
    if script.published_id is None:
        return deny("not published")
    if script.service is None or serves(script.service, actor.institution_id):
        return ALLOW
    return deny("a script of a service your institution does not serve")

