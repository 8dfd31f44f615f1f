"""Searches other portals put on their pages (the catalogue's, A1; the address register's,
A9): one way for both. The page is framed anywhere (`embeddable`: no X-Frame-Options, CSP
`frame-ancestors *`, GET and HEAD only) and extends `embed_base.html` (the platform's styles
without its header and footer); a portal inserts it with one script tag
(`<script src=".../embed.js" data-lang="en" data-height="480px">`), which `frame_script`
answers: the script puts an `<iframe>` of the page, in the language asked for, where it stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    """A page another portal may frame, from any origin (its content is public)."""
    framed: Callable[..., HttpResponseBase] = require_safe(
        xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view)))
    return framed


def frame_script(request: HttpRequest, page: str, *, title_lv: str, title_en: str,
                 height: str) -> HttpResponse:
    """The script that frames the page named `page` (a URL name) on another portal: in the
    language `data-lang` asks for, else the script's own (`/en/embed.js` frames the English
    page), with its title in that language; its least height a CSS length (`data-height`
    overrides it). The frame's address is built from the Latvian one (no language prefix), so
    a language is never prefixed twice."""
    with translation.override(settings.LANGUAGE_CODE):
        frame_url = request.build_absolute_uri(reverse(page))
    context: dict[str, Any] = {"frame_url": frame_url, "lang": translation.get_language(),
                               "title_lv": title_lv, "title_en": title_en, "height": height}
    return render(request, "components/embed.js", context,
                  content_type="text/javascript; charset=utf-8")
