"""The site's statements and the favicon: the accessibility statement (EU web accessibility
directive), the privacy notice (GDPR articles 13 and 14) and the contacts, each written once per
language (long prose reads better as a page than as a hundred catalogue entries)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language

STATEMENTS = ("accessibility", "privacy", "contacts")


def statement(request: HttpRequest, name: str) -> HttpResponse:
    language = "en" if (get_language() or "lv").startswith("en") else "lv"
    return render(request, [f"pages/{name}.{language}.html"], {"statement": name})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return redirect(static("img/favicon.svg"), permanent=True)
