"""A translated field in the page's language; where the page's language has no text and the
Latvian one stands in (modeltranslation's fallback), the text is marked `lang="lv"` so a screen
reader pronounces it as Latvian (WCAG 3.1.2, Language of Parts)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()


@register.filter
def in_language(obj: Any, field: str) -> SafeString | str:
    value = getattr(obj, field, "")
    if not value:
        return ""
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    if getattr(obj, f"{field}_{language}", None) or not hasattr(obj, f"{field}_{language}"):
        return str(value)
    for fallback, _name in settings.LANGUAGES:
        if fallback != language and getattr(obj, f"{field}_{fallback}", None):
            return format_html('<span lang="{}">{}</span>', fallback, value)
    return str(value)
