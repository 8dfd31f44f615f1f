"""The address search's pages (A9): the plain search (`/addresses/`: a form and a list of
answers, no script needed) and its framed twin for other portals (`/embed/addresses/`, inserted
by `/embed/addresses.js`; `durvis.core.embed`, as the catalogue's), where choosing an address
tells the portal's page (a `message` event) and, without script, shows the address's code to
copy. The autocomplete widget itself (`templates/addresses/_combobox.html`,
`static/js/addresses.mjs`) asks the API (`GET /api/v1/addresses`), and falls back to these
pages' plain search without script.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from durvis.addresses import queries
from durvis.addresses.words import searchable
from durvis.core.embed import embeddable, frame_script
from durvis.core.forms import QueryForm
from durvis.core.text import without_refused

MAX_QUERY_LENGTH = 200
RESULTS = 20


class AddressQuery(QueryForm):
    """The page's query: `q`, the words searched for (longer than MAX_QUERY_LENGTH is cut there;
    control characters are left out and named in `dropped`: a pasted `%00` still searches for
    the rest; a bidirectional control is refused, as in every line of the platform), and
    `q-code`, the register code of the address the widget's list chose (the page then shows
    that address; a code that is no current address is ignored, as is a malformed one, with
    the page's query error summary)."""

    q = forms.CharField(label=_("Address"), required=False, initial="", strip=True)
    shown = ("q",)

    def __init__(self, query: QueryDict) -> None:
        data = query.copy()
        typed = str(query.get("q", ""))
        cleaned, self.dropped = without_refused(typed)
        if self.dropped:
            data["q"] = " ".join(cleaned.split())
        super().__init__(data)
        self.fields["q-code"] = forms.RegexField(
            label=_("Chosen address"), regex=r"^[0-9]{1,18}$", required=False, initial="",
            error_messages={"invalid": _("The chosen address's code is not a register code.")})

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"])[:MAX_QUERY_LENGTH]


def _context(request: HttpRequest) -> dict[str, object]:
    form = AddressQuery(request.GET)
    query = form.value("q")
    code = form.value("q-code")
    chosen = queries.found(int(code)) if code else None
    searched = bool(query) or chosen is not None or bool(form.dropped)
    return {"form": form, "query_form": form, "query": query, "searched": searched,
            "dropped": form.dropped, "chosen": chosen,
            "no_words": searched and chosen is None and not searchable(query),
            "results": ([chosen] if chosen is not None
                        else queries.search(query, limit=RESULTS) if query else [])}


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Find an address: the form and, once searched, the answers (text, code, coordinates)."""
    return render(request, "addresses/search.html", _context(request))


@embeddable
def embed(request: HttpRequest) -> HttpResponse:
    """The address search for another portal's page: framed anywhere (open data)."""
    return render(request, "addresses/embed.html", _context(request))


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """`<script src=".../embed/addresses.js" data-lang="en">`: inserts the framed search where
    it stands; the portal listens for `message` events `{"type": "durvis.address", ...}`."""
    return frame_script(request, "addresses:embed", title_lv="Meklēt adresi",
                        title_en="Find an address", height="360px")
