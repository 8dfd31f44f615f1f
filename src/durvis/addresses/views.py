"""The address search's pages (A9): the plain search (`/addresses/`: a form and a list of
answers, no script needed) and its framed twin for other portals (`/embed/addresses/`, inserted
by `/embed/addresses.js`), where choosing an address tells the portal's page (a `message`
event) and, without script, shows the address's code to copy. The autocomplete widget itself
(`templates/addresses/_combobox.html`, `static/js/addresses.mjs`) asks the API
(`GET /api/v1/addresses`), and falls back to these pages' plain search without script.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from durvis.addresses import queries
from durvis.addresses.words import query_words
from durvis.core.forms import QueryForm

MAX_QUERY_LENGTH = 200
RESULTS = 20


class AddressQuery(QueryForm):
    """The words searched for; longer than MAX_QUERY_LENGTH is cut there."""

    q = forms.CharField(label=_("Address"), required=False, initial="", strip=True)
    shown = ("q",)

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"])[:MAX_QUERY_LENGTH]


def _context(request: HttpRequest) -> dict[str, object]:
    form = AddressQuery(request.GET)
    query = form.value("q")
    searched = bool(query)
    return {"form": form, "query": query, "searched": searched,
            "no_words": searched and not query_words(query),
            "results": queries.search(query, limit=RESULTS) if searched else []}


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Find an address: the form and, once searched, the answers (text, code, coordinates)."""
    return render(request, "addresses/search.html", _context(request))


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def embed(request: HttpRequest) -> HttpResponse:
    """The address search for another portal's page: framed anywhere (open data)."""
    return render(request, "addresses/embed.html", _context(request))


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """`<script src=".../embed/addresses.js" data-lang="en">`: inserts the framed search where
    it stands; the portal listens for `message` events `{"type": "durvis.address", ...}`."""
    frame_url = request.build_absolute_uri(reverse("addresses:embed"))
    return render(request, "addresses/embed.js", {"frame_url": frame_url},
                  content_type="text/javascript; charset=utf-8")
