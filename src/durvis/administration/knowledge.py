"""The knowledge base's pages (B6, A13; issue 17): search and reading for every staff member,
feedback and subscriptions; the editors' list, the article template's form, versions with
their differences; the central editors' review queue. The knowledge app decides and writes
(`knowledge.services`, `knowledge.queries`); refusals show the rule's explanation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from durvis.access.policy import decide, explanation_of, require
from durvis.administration.forms import offer_services
from durvis.catalog.models import Category, Service
from durvis.catalog.queries import categories, services_served_by
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import Form, VersionField
from durvis.identity.sessions import actor_from_request
from durvis.knowledge import queries as knowledge
from durvis.knowledge import services as writes
from durvis.knowledge.models import (
    Article,
    ArticleAudience,
    ArticleVersion,
    Feedback,
    Section,
    Subscription,
    VersionState,
)
from durvis.knowledge.queries import section_label
from durvis.knowledge.rules import KnowledgeAction, is_central_editor
from durvis.web.shell import staff_required

AUDIENCE_HELP = gettext_lazy("Public articles are shown on the service's page in the "
                             "catalogue too.")


# --- Forms -------------------------------------------------------------------------------------

class SearchForm(Form):
    q = forms.CharField(label=gettext_lazy("Search the knowledge base"), max_length=200,
                        required=False)
    service = forms.TypedChoiceField(label=gettext_lazy("Service at hand"), coerce=int,
                                     required=False, empty_value=None)


class SubjectForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int, required=False,
                                     empty_value=None)
    category = forms.TypedChoiceField(label=gettext_lazy("Or a service group"), coerce=int,
                                      required=False, empty_value=None)
    topic = forms.CharField(label=gettext_lazy("Or a topic"), max_length=100, required=False)
    audience = forms.ChoiceField(label=gettext_lazy("Who may read it"),
                                 widget=forms.RadioSelect, choices=ArticleAudience.choices,
                                 help_text=AUDIENCE_HELP)
    first_level = forms.BooleanField(
        label=gettext_lazy("The call centre answers it at the first level"), required=False)

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_services(self, "service", services, _("None"))
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("None")), *((c.pk, c.name) for c in categories())]


class AudienceForm(Form):
    audience = forms.ChoiceField(label=gettext_lazy("Who may read it"),
                                 widget=forms.RadioSelect, choices=ArticleAudience.choices,
                                 help_text=AUDIENCE_HELP)
    first_level = forms.BooleanField(
        label=gettext_lazy("The call centre answers it at the first level"), required=False)


class ArticleForm(Form):
    """The article template: the titles, each section in Latvian and English, the legal acts
    one per line ("title | https://…")."""

    title_lv = forms.CharField(label=gettext_lazy("Title (Latvian)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200,
                               required=False)
    legal_acts = forms.CharField(
        label=gettext_lazy("Legal acts"), required=False, max_length=6000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: its title, a vertical bar, its address, e.g. "
                               "\"Valsts pārvaldes iekārtas likums | https://likumi.lv/ta/id/"
                               "63545\"."))
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in Section:
            for lang in ("lv", "en"):
                self.fields[f"{section.value}_{lang}"] = forms.CharField(
                    label=section_label(section, lang), required=False,
                    max_length=writes.MAX_SECTION, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_legal_acts(self) -> list[dict[str, str]]:
        acts = []
        for line in str(self.cleaned_data.get("legal_acts") or "").splitlines():
            if not line.strip():
                continue
            title, bar, url = line.rpartition("|")
            if not bar:
                raise ValidationError(_("Write each legal act as its title, a vertical bar and "
                                        "its address: “%(line)s”.") % {"line": line[:100]})
            acts.append({"title": title.strip(), "url": url.strip()})
        return acts

    def draft(self) -> writes.ArticleDraft:
        data = self.cleaned_data
        return writes.ArticleDraft(
            title_lv=data["title_lv"], title_en=data.get("title_en") or "",
            content={s.value: {lang: data.get(f"{s.value}_{lang}") or "" for lang in ("lv", "en")}
                     for s in Section},
            legal_acts=data.get("legal_acts") or [])

    def sections(self) -> list[tuple[Any, Any, Any]]:
        """(section label, Latvian field, English field) for the template."""
        return [(s.label, self[f"{s.value}_lv"], self[f"{s.value}_en"]) for s in Section]


def version_initial(version: ArticleVersion) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title_lv": version.title_lv, "title_en": version.title_en, "version": version.version,
        "legal_acts": "\n".join(f"{a['title']} | {a['url']}" for a in version.legal_acts)}
    for key, texts in version.content.items():
        for lang in ("lv", "en"):
            initial[f"{key}_{lang}"] = texts.get(lang, "")
    return initial


class ReviewForm(Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect,
                                 choices=[("publish", gettext_lazy("Publish now")),
                                          ("schedule", gettext_lazy("Schedule the publication")),
                                          ("return", gettext_lazy("Send back to the editors"))])
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at (for a scheduled publication)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"])
    comment = forms.CharField(label=gettext_lazy("Comment to the editors"), required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "schedule" and not data.get("publish_at"):
            self.add_error("publish_at", _("Give the time of publication."))
        return data


class RetireForm(Form):
    reason = forms.CharField(label=gettext_lazy("Why it is retired"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(Form):
    helpful = forms.ChoiceField(label=gettext_lazy("Did the article help?"),
                                widget=forms.RadioSelect, required=False,
                                choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))])
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    flagged = forms.BooleanField(label=gettext_lazy("Ask the editors to review the article"),
                                 required=False)


class SubscribeForm(Form):
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int, required=False,
                                     empty_value=None)
    category = forms.TypedChoiceField(label=gettext_lazy("Or a service group"), coerce=int,
                                      required=False, empty_value=None)
    topic = forms.CharField(label=gettext_lazy("Or a topic"), max_length=100, required=False,
                            widget=forms.TextInput(attrs={"list": "knowledge-topics"}),
                            help_text=gettext_lazy("A topic articles are written about (the "
                                                   "list offers them), or one to come."))

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_services(self, "service", services, _("None"))
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("None")), *((c.pk, c.name) for c in categories())]


# --- Reading and searching (every staff member) ------------------------------------------------

def _services(actor: Actor) -> list[Service]:
    """The services an actor picks from: those their institution serves (a central editor's:
    every service)."""
    if is_central_editor(actor):
        return list(Service.objects.order_by("code"))
    assert actor.institution_id is not None
    return list(services_served_by(actor.institution_id).order_by("code"))


@staff_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Search the articles the reader may see (every word, typos and missing diacritics
    forgiven); with a service at hand its articles come first (B6, A13)."""
    actor = actor_from_request(request)
    services = _services(actor)
    form = SearchForm(request.GET or None)
    offer_services(form, "service", services, _("None"))
    results: list[Article] = []
    asked = False
    if form.is_bound and form.is_valid():
        service = next((s for s in services if s.pk == form.cleaned_data["service"]), None)
        query = form.cleaned_data["q"]
        asked = bool(query.strip() or service)
        results = knowledge.search_articles(actor, query, service=service)
    return render(request, "administration/knowledge/search.html", {
        "form": form, "results": _cards(results), "asked": asked,
        "partial": getattr(results, "partial", False),
        "too_short": getattr(results, "too_short", False),
        "ignored": getattr(results, "ignored", []),
        "notices": knowledge.notices_of(actor, unread=True, limit=10),
        "may_edit": decide(actor, KnowledgeAction.EDIT)}, status=200 if not form.errors else 422)


def _cards(articles: list[Article]) -> list[dict[str, Any]]:
    language = get_language() or "lv"
    return [{"article": a, "title": a.published.title(language) if a.published else "",
             "summary": a.published.section(Section.SUMMARY, language) if a.published else ""}
            for a in articles]


def panel(actor: Actor, service: Service | None, query: str = "") -> list[dict[str, Any]]:
    """The knowledge base's results beside the client in the workplace for the service at
    hand (B3, B6): its articles (first-level answers first), or those matching `query`."""
    found = knowledge.search_articles(actor, query, service=service, limit=5)
    if service is not None and not query and len(found) < 5:  # also those naming it
        found += [a for a in knowledge.search_articles(actor, service.name, limit=5)
                  if a not in found][:5 - len(found)]
    return _cards(found)


@staff_required
def article_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The published text of an article the reader may see (an editor also reaches its
    versions); feedback and following its subject."""
    actor = actor_from_request(request)
    article = _readable(actor, pk)
    language = get_language() or "lv"
    version = article.published
    may_edit = decide(actor, KnowledgeAction.EDIT, article)
    return render(request, "administration/knowledge/article.html", {
        "article": article, "version": version,
        "title": version.title(language) if version else "",
        "sections": _sections(version, language) if version else [],
        "feedback_form": FeedbackForm(), "may_edit": bool(may_edit),
        "open_version": knowledge.open_version(article) if may_edit else None})


def _readable(actor: Actor, pk: int) -> Article:
    try:
        return knowledge.article_for(actor, pk)
    except Article.DoesNotExist:
        raise Http404 from None


def _sections(version: ArticleVersion, language: str) -> list[tuple[Any, str]]:
    return [(s.label, version.section(s.value, language)) for s in Section
            if version.section(s.value, language)]


@staff_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Feedback on the published version: helpful or not, a comment, a flag for review."""
    actor = actor_from_request(request)
    article = _readable(actor, pk)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        helpful = {"yes": True, "no": False}.get(form.cleaned_data["helpful"] or "")
        try:
            writes.give_feedback(actor, article, helpful=helpful,
                                 comment=form.cleaned_data["comment"],
                                 flagged=form.cleaned_data["flagged"])
        except ValidationError as error:
            _show(form, error)
        else:
            messages.success(request, _("Thank you: the editors see your feedback."))
            return redirect("administration:knowledge-article", pk=article.pk)
    language = get_language() or "lv"
    version = article.published
    return render(request, "administration/knowledge/article.html", {
        "article": article, "version": version,
        "title": version.title(language) if version else "",
        "sections": _sections(version, language) if version else [], "feedback_form": form,
        "may_edit": bool(decide(actor, KnowledgeAction.EDIT, article))}, status=422)


@staff_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    """What the staff member follows, their notices (read on opening), following more."""
    actor = actor_from_request(request)
    services = _services(actor)
    form = SubscribeForm(request.POST or None, services=services)
    if request.method == "POST":
        if "remove" in request.POST:
            try:
                writes.unsubscribe(actor, int(str(request.POST["remove"])[:18]))
            except (ValueError, Subscription.DoesNotExist):  # unknown, or another's
                messages.error(request, _("That subscription does not exist."))
            else:
                messages.success(request, _("You no longer follow it."))
            return redirect("administration:knowledge-subscriptions")
        if form.is_valid():
            data = form.cleaned_data
            service = next((s for s in services if s.pk == data["service"]), None)
            category = (Category.objects.filter(pk=data["category"]).first()
                        if data["category"] else None)
            try:
                writes.subscribe(actor, service=service, category=category, topic=data["topic"])
            except ValidationError as error:
                _show(form, error)
            else:
                messages.success(request, _("You will be told of every published change."))
                return redirect("administration:knowledge-subscriptions")
    notices = knowledge.notices_of(actor)
    writes.mark_read(actor, [n.pk for n in notices if n.read_at is None])
    return render(request, "administration/knowledge/subscriptions.html", {
        "form": form, "subscriptions": knowledge.subscriptions_of(actor), "notices": notices,
        "topics": knowledge.topics(), "email": actor.staff.user.email if actor.staff else ""},
        status=422 if form.errors else 200)


# --- Editors -----------------------------------------------------------------------------------

def _editor(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, KnowledgeAction.EDIT):
        raise PermissionDenied
    return actor


@staff_required
def editor_home(request: HttpRequest) -> HttpResponse:
    """The editors' list: their institution's articles (a central editor's: all) with the state
    of their newest version, the feedback to handle and, for central editors, the review queue."""
    actor = _editor(request)
    articles = list(knowledge.editable(actor)[:200])
    newest = {v.article_id: v for v in ArticleVersion.objects.filter(
        article__in=articles).order_by("article_id", "number")}
    rows = [{"article": a, "newest": newest.get(a.pk)} for a in articles]
    central = is_central_editor(actor)
    return render(request, "administration/knowledge/editor.html", {
        "rows": rows, "feedback": list(knowledge.feedback_to_handle(actor)[:50]),
        "queue": list(knowledge.review_queue()[:100]) if central else [], "central": central})


@staff_required
def article_new(request: HttpRequest) -> HttpResponse:
    """A new article: its subject and audience, and the first draft on the template."""
    actor = _editor(request)
    services = [s for s in _services(actor)
                if is_central_editor(actor) or s.holder_id == actor.institution_id]
    subject = SubjectForm(request.POST or None, services=services, prefix="subject")
    form = ArticleForm(request.POST or None, initial={"version": 1})
    if request.method == "POST" and subject.is_valid() and form.is_valid():
        data = subject.cleaned_data
        try:
            version = writes.create_article(actor, writes.ArticleSubject(
                audience=data["audience"], first_level=data["first_level"], topic=data["topic"],
                service=next((s for s in services if s.pk == data["service"]), None),
                category=(Category.objects.filter(pk=data["category"]).first()
                          if data["category"] else None)), form.draft())
        except ValidationError as error:
            _show(subject if set(error.message_dict) & set(subject.fields) else form, error)
        except PermissionDenied as error:
            subject.add_error("service", explanation_of(error, _("You may not write about this "
                                                                  "service.")))
        else:
            messages.success(request, _("The draft is saved."))
            return redirect(_version_url(version))
    return render(request, "administration/knowledge/article_form.html", {
        "subject": subject, "form": form, "new": True},
        status=422 if subject.errors or form.errors else 200)


def _version(actor: Actor, pk: int, number: int) -> ArticleVersion:
    """The version of an article the actor edits or reviews. Raises Http404 (unknown, or not
    readable) and Refused (readable but another institution's: its explanation is shown)."""
    article = _readable(actor, pk)
    if not is_central_editor(actor):
        require(actor, KnowledgeAction.EDIT, article)
    return get_object_or_404(ArticleVersion.objects.select_related(
        "article", "article__service", "article__institution", "author__user",
        "reviewer__user"), article=article, number=number)


def _refused(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return render(request, "administration/knowledge/refused.html", {"explanation": explanation_of(
        error, _("Only the knowledge editors of the article's institution edit it."))},
        status=403)


def _version_url(version: ArticleVersion) -> str:
    return reverse("administration:knowledge-version",
                   args=[version.article_id, version.number])


@staff_required
def version_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One version: its whole text in both languages, what changed since the published (or
    previous) version, the history; the actions its state allows the reader (send to review,
    review, retire, who may read it)."""
    actor = actor_from_request(request)
    try:
        version = _version(actor, pk, number)
    except PermissionDenied as error:
        return _refused(request, error)
    return _version_response(request, actor, version)


def _version_response(request: HttpRequest, actor: Actor, version: ArticleVersion, *,
                      review_form: ReviewForm | None = None,
                      retire_form: RetireForm | None = None) -> HttpResponse:
    article = version.article
    history = knowledge.versions_of(article)
    base = article.published if article.published_id not in (None, version.pk) else next(
        (v for v in history if v.number < version.number), None)
    language = get_language() or "lv"
    text = [(section_label(s, lang), version.section(s.value, lang) if lang == "lv" else
             (version.content.get(s.value) or {}).get("en", ""))
            for s in Section for lang in ("lv", "en")]
    bound = review_form is not None or retire_form is not None
    return render(request, "administration/knowledge/version.html", {
        "version": version, "article": article, "history": history, "base": base,
        "changes": knowledge.diff(base, version) if base else [],
        "title": version.title(language), "text": [(label, t) for label, t in text if t],
        "audience_label": ArticleAudience(version.audience or article.audience).label,
        "missing": [Section(m).label for m in writes.missing_sections(version)],
        "may_edit": bool(decide(actor, KnowledgeAction.EDIT, article)),
        "central": is_central_editor(actor),
        "own": actor.staff is not None and version.author_id == actor.staff.pk,
        "review_form": review_form or ReviewForm(), "retire_form": retire_form or RetireForm(),
        "audience_form": AudienceForm(initial={
            "audience": version.audience or article.audience,
            "first_level": version.first_level})}, status=422 if bound else 200)


@staff_required
def version_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Change a draft on the template (the version check refuses a save over a newer one)."""
    actor = actor_from_request(request)
    try:
        version = _version(actor, pk, number)
        require(actor, KnowledgeAction.EDIT, version.article)
    except PermissionDenied as error:
        return _refused(request, error)
    if version.state != VersionState.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect(_version_url(version))
    form = ArticleForm(request.POST or None, initial=version_initial(version))
    if request.method == "POST" and form.is_valid():
        try:
            writes.save_draft(actor, version, form.draft(), form.cleaned_data["version"])
        except StaleVersion:
            return _stale(request, form, version)
        except ValidationError as error:
            _show(form, error)
        else:
            messages.success(request, _("The draft is saved."))
            return redirect(_version_url(version))
    return render(request, "administration/knowledge/article_form.html", {
        "form": form, "version": version, "new": False}, status=422 if form.errors else 200)


def _stale(request: HttpRequest, form: ArticleForm, version: ArticleVersion) -> HttpResponse:
    """Someone saved the draft after the form was opened: the form comes back with the text
    this person typed (nothing lost), set to save over the newest version if they save again
    after comparing."""
    version.refresh_from_db()
    data = request.POST.copy()
    data["version"] = str(version.version)
    again = ArticleForm(data)
    again.is_valid()
    again.add_error(None, _("Someone saved this draft after you opened it, so your text is not "
                            "saved yet. Compare it with the newest version (its page opens in "
                            "the list of versions) and save again to keep yours."))
    return render(request, "administration/knowledge/article_form.html", {
        "form": again, "version": version, "new": False}, status=409)


@staff_required
@require_POST
def version_action(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The lifecycle's moves from the version's page: `action` = new_version, submit, review,
    retire, audience."""
    actor = actor_from_request(request)
    try:
        version = _version(actor, pk, number)
    except PermissionDenied as error:
        return _refused(request, error)
    action = str(request.POST.get("action", ""))
    if action in ("review", "retire"):
        return _decide(request, actor, version, action)
    try:
        target = _act(request, actor, version, action)
    except ValidationError as error:
        for text in dict.fromkeys(t for texts in error.message_dict.values() for t in texts):
            messages.error(request, text)
        target = _version_url(version)
    except PermissionDenied as error:
        messages.error(request, explanation_of(error, _("You may not do this.")))
        target = _version_url(version)
    return redirect(target)


def _decide(request: HttpRequest, actor: Actor, version: ArticleVersion,
            action: str) -> HttpResponse:
    """A central editor's review or retiring: a refusal shows at its field, the choices kept."""
    form: ReviewForm | RetireForm = (ReviewForm(request.POST) if action == "review"
                                     else RetireForm(request.POST))
    if form.is_valid():
        try:
            if isinstance(form, ReviewForm):
                _review(request, actor, version, form.cleaned_data)
            else:
                writes.retire(actor, version.article, form.cleaned_data["reason"])
                messages.success(request, _("The article is retired."))
        except ValidationError as error:
            _show(form, error)
        except PermissionDenied as error:
            form.add_error(None, explanation_of(error, _("You may not do this.")))
        else:
            return redirect(_version_url(version))
    version.refresh_from_db()
    if isinstance(form, ReviewForm):
        return _version_response(request, actor, version, review_form=form)
    return _version_response(request, actor, version, retire_form=form)


def _act(request: HttpRequest, actor: Actor, version: ArticleVersion, action: str) -> str:
    article = version.article
    if action == "new_version":
        draft = writes.new_version(actor, article)
        return reverse("administration:knowledge-edit", args=[article.pk, draft.number])
    if action == "submit":
        writes.submit(actor, version)
        messages.success(request, _("The version is sent to the central editors' review."))
    elif action == "audience":
        form = AudienceForm(request.POST)
        if not form.is_valid():
            raise ValidationError({"audience": _("Choose who may read the article.")})
        writes.change_audience(actor, version, form.cleaned_data["audience"],
                               form.cleaned_data["first_level"])
        messages.success(request, _("Who may read it changes when this version is "
                                    "published."))
    else:
        raise ValidationError({"action": _("Unknown action.")})
    return _version_url(version)


def _review(request: HttpRequest, actor: Actor, version: ArticleVersion,
            data: dict[str, Any]) -> None:
    if data["decision"] == "return":
        writes.return_to_draft(actor, version, data["comment"])
        messages.success(request, _("The version is sent back to its editors."))
    elif data["decision"] == "schedule":
        writes.approve(actor, version, publish_at=data["publish_at"])
        messages.success(request, _("The version will be published at %(at)s.")
                         % {"at": timezone.localtime(data["publish_at"]).strftime(
                             "%d.%m.%Y %H:%M")})
    else:
        writes.approve(actor, version)
        messages.success(request, _("The version is published."))


@staff_required
@require_POST
def feedback_handled(request: HttpRequest, pk: int) -> HttpResponse:
    """An editor marks feedback on their article handled."""
    actor = _editor(request)
    item = get_object_or_404(Feedback.objects.select_related("article"), pk=pk)
    try:
        writes.handle_feedback(actor, item)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The feedback is marked handled."))
    return redirect("administration:knowledge-editor")


def _show(form: forms.BaseForm, error: ValidationError) -> None:
    for name, texts in error.message_dict.items():
        field = next((n for n in (name, f"{name}_lv") if n in form.fields), None)
        form.add_error(field, texts)
