"""The knowledge base (zināšanu bāze, B6): articles about services, service groups and topics,
and call scripts (sarunu scenāriji) that lead an agent through a conversation, both kept in
versions that pass through one lifecycle (`VersionState`, `docs/knowledge.md`).

An `Article` or `CallScript` is the stable thing people link to and subscribe to; its
`ArticleVersion`s / `ScriptVersion`s are the texts, numbered from 1. At most one version is
published at a time (`published`); publishing a newer one marks it `outdated`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Category, Service
from durvis.identity.models import Institution, StaffMember
from durvis.register.models import Consultation


class ArticleAudience(models.TextChoices):
    """Who may read an article (B6; enforced by the rule `knowledge.article.read`)."""

    PUBLIC = "public", _("Public: everyone, also on the service page")
    PROVIDERS = "providers", _("All providers' staff")
    HOLDER = "holder", _("The holder's staff only")
    DELEGATED = "delegated", _("The holder and the providers it delegated the service to")


class VersionState(models.TextChoices):
    """draft → review → scheduled → published → outdated (a newer one published) or retired; a
    reviewer may send a version in review back to draft with a comment."""

    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    OUTDATED = "outdated", _("Outdated")
    RETIRED = "retired", _("Retired")


class Section(models.TextChoices):
    """The article template's sections, in the order they are shown."""

    SUMMARY = "summary", _("Summary")
    ELIGIBILITY = "eligibility", _("Who is eligible")
    DOCUMENTS = "documents", _("Documents needed")
    FEES = "fees", _("Fees")
    STEPS = "steps", _("Steps")
    CHANNELS = "channels", _("Channels and places")
    FAQ = "faq", _("Frequent questions")
    BACK_OFFICE = "back_office", _("Back-office process")


# Without these (in Latvian) a version is neither sent to review nor published.
REQUIRED_SECTIONS = (Section.SUMMARY, Section.ELIGIBILITY, Section.STEPS)


class Article(models.Model):
    """A knowledge base article (zināšanu bāzes raksts) about one service, a service group
    (catalogue category) or a topic. `institution` owns it: the service's holder, whose
    knowledge editors edit it."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    audience = models.CharField(_("audience"), max_length=12, choices=ArticleAudience.choices)
    # The call centre may answer this at the first level (B6: marked per service).
    first_level = models.BooleanField(_("the call centre answers it at the first level"),
                                      default=False)
    published = models.OneToOneField("ArticleVersion", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["institution", "service"], name="knowledge_article_owner")]

    def __str__(self) -> str:
        return f"article {self.pk}"


class ArticleVersion(models.Model):
    """One text of an article: titles and the template's sections in Latvian and English
    (`content`: {section: {"lv": text, "en": text}}), the legal acts (`legal_acts`: [{"title",
    "url"}]), and where it is in the lifecycle."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=VersionState.choices,
                             default=VersionState.DRAFT)
    title_lv = models.CharField(_("title (Latvian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    content = models.JSONField(default=dict)
    legal_acts = models.JSONField(default=list)
    # Who may read it and the first-level mark once this version is published: a change of
    # audience is reviewed like the text (empty: the article's as it is).
    audience = models.CharField(max_length=12, choices=ArticleAudience.choices, blank=True,
                                db_default="")
    first_level = models.BooleanField(default=False, db_default=False)
    author = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    review_comment = models.TextField(blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # the edit form's check (core.concurrency)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "number"],
                                               name="unique_article_version")]
        indexes = [models.Index(fields=["state", "publish_at"], name="knowledge_version_due")]

    def __str__(self) -> str:
        return f"{self.title_lv} (v{self.number})"

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_lv

    @property
    def local_title(self) -> str:
        """The title in the active language (Latvian when there is no English one)."""
        return self.title(get_language() or "lv")

    def section(self, key: str, language: str) -> str:
        texts = self.content.get(key) or {}
        return str((texts.get("en") if language == "en" else "") or texts.get("lv") or "")


class Feedback(models.Model):
    """A staff member's feedback on an article version (B6): helpful or not, a comment, a flag
    asking its editors to review it. Handled by one of the owner's knowledge editors."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="+")
    given_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    helpful = models.BooleanField(null=True)
    comment = models.TextField(blank=True)
    flagged = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    def __str__(self) -> str:
        return f"feedback on {self.article_id}"


class Subscription(models.Model):
    """A staff member follows a service, a service group (category) or a topic: every
    published change of an article about it reaches them (`Notice`, and an e-mail)."""

    member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    topic = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "service", "category", "topic"],
                                               name="unique_knowledge_subscription",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return f"subscription {self.pk}"


class NoticeKind(models.TextChoices):
    PUBLISHED = "published", _("Published")
    FEEDBACK = "feedback", _("Feedback")


class Notice(models.Model):
    """A notice in a staff member's workplace: an article they follow was published, or
    feedback on an article they edit."""

    member = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "read_at"], name="knowledge_notice_unread")]
        constraints = [models.UniqueConstraint(fields=["member", "version", "kind"],
                                               name="unique_knowledge_notice")]

    def __str__(self) -> str:
        return f"notice {self.pk}"


class CallScript(models.Model):
    """A call script (sarunas scenārijs): a decision tree of prepared questions and answers that
    leads an agent to an outcome, owned by an institution, about a service or a topic."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    published = models.OneToOneField("ScriptVersion", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"script {self.pk}"


class ScriptVersion(models.Model):
    """One version of a call script: its title and `definition` ({"start": node id, "nodes":
    {id: {"question": text, "answers": [{"label": text, "next": node id} or {"label": text,
    "outcome": kind, "article": article id or null}]}}}), checked by
    `knowledge.scripts.check_definition`."""

    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=VersionState.choices,
                             default=VersionState.DRAFT)
    title_lv = models.CharField(_("title (Latvian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    definition = models.JSONField(default=dict)
    author = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    review_comment = models.TextField(blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["script", "number"],
                                               name="unique_script_version")]

    def __str__(self) -> str:
        return f"{self.title_lv} (v{self.number})"


class ScriptRun(models.Model):
    """One run of a call script by an agent: the path taken (`path`: [{"node": id, "answer":
    index}]), where it ended (`outcome`), and the consultation it was saved on."""

    version = models.ForeignKey(ScriptVersion, on_delete=models.PROTECT, related_name="runs")
    agent = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    consultation = models.ForeignKey(Consultation, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    path = models.JSONField(default=list)
    outcome = models.CharField(max_length=24, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["version", "outcome"], name="knowledge_run_outcome")]

    def __str__(self) -> str:
        return f"run {self.pk}"
