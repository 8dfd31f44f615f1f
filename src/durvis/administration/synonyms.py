"""The search's synonyms and everyday words (A1, A13; issue 19): the catalogue's central editor
keeps groups of words or phrases that mean the same to the person searching (*tax return* =
*income declaration*, *ID karte* = *personas apliecība*), per language. Every search of every
index uses them from the next query on (`search.services.match`). The catalogue's services
check the policy (`catalog.manage_synonyms`) and audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide
from durvis.catalog import services as catalog
from durvis.catalog.queries import services_per_word
from durvis.catalog.rules import CatalogAction
from durvis.core.actor import Actor
from durvis.core.concurrency import StaleVersion
from durvis.core.forms import Form, VersionField
from durvis.identity.sessions import actor_from_request
from durvis.search.models import Synonyms
from durvis.web.shell import staff_required

LANGUAGE_NAMES = {"lv": gettext_lazy("Latvian"), "en": gettext_lazy("English")}


class SynonymsForm(Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"),
                                 choices=list(LANGUAGE_NAMES.items()), widget=forms.RadioSelect)
    words = forms.CharField(
        label=gettext_lazy("Words or phrases that mean the same"), max_length=2100,
        help_text=gettext_lazy("Separated by a new line or by / = ; |, e.g. \"tax return\" and "
                               "\"income declaration\". A search for any of them also finds "
                               "the others. A word may be in one group only."),
        widget=forms.Textarea(attrs={"rows": 5}))


class SynonymsEditForm(SynonymsForm):
    version = VersionField()


def _editor(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, CatalogAction.MANAGE_SYNONYMS, None):
        raise PermissionDenied
    return actor


def _save(request: HttpRequest, actor: Actor, form: SynonymsForm,
          group: Synonyms | None) -> bool:
    """Save the bound form's group; False with the errors at their fields."""
    if not form.is_valid():
        return False
    try:
        catalog.save_synonyms(actor, group, language=form.cleaned_data["language"],
                              words=form.cleaned_data["words"].splitlines(),
                              version=form.cleaned_data.get("version"))
    except ValidationError as error:
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return False
    except StaleVersion:
        form.add_error(None, _("Someone changed these synonyms after you opened them; the "
                               "page shows them as they are now. Make your change again."))
        return False
    messages.success(request, _("The synonyms are saved; the next search uses them."))
    return True


@staff_required
def synonym_list(request: HttpRequest) -> HttpResponse:
    """Every synonym group by language; POST adds one."""
    actor = _editor(request)
    form = SynonymsForm(request.POST if request.method == "POST" else None,
                        initial={"language": "lv"})
    if request.method == "POST" and _save(request, actor, form, None):
        return redirect("administration:synonyms")
    groups = list(Synonyms.objects.order_by("language", "pk"))
    return render(request, "administration/synonyms.html", {
        "form": form, "languages": [
            {"code": code, "name": name, "groups": [g for g in groups if g.language == code]}
            for code, name in LANGUAGE_NAMES.items()],
    }, status=422 if form.errors else 200)


@staff_required
def synonym_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One group: what each of its words finds by itself, change its words (POST) or remove it
    (POST with `remove`: a page asks to confirm, then POST with `remove` and `confirmed`; no
    script needed)."""
    actor = _editor(request)
    group = get_object_or_404(Synonyms, pk=pk)
    initial: dict[str, Any] = {"language": group.language, "words": group.terms,
                               "version": group.version}
    if request.method == "POST" and "remove" in request.POST:
        if "confirmed" not in request.POST:
            return render(request, "administration/synonym_remove.html", {"group": group})
        catalog.delete_synonyms(actor, group)
        messages.success(request, _("The synonyms are removed; searches no longer use them."))
        return redirect("administration:synonyms")
    form = SynonymsEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if _save(request, actor, form, group):
            return redirect("administration:synonyms")
        group.refresh_from_db()
        if form.non_field_errors():  # out of date: show the saved words to start again from
            form = SynonymsEditForm({"language": group.language, "words": group.terms,
                                     "version": group.version})
            form.is_valid()
            form.add_error(None, _("Someone changed these synonyms after you opened them; the "
                                   "page shows them as they are now. Make your change again."))
    return render(request, "administration/synonym_edit.html", {
        "form": form, "group": group, "previews": services_per_word(group.term_list)},
        status=422 if form.errors else 200)
