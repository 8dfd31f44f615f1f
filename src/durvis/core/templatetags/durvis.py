"""Template helpers shared by every page."""

from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def language_url(context: template.Context, language: str) -> str:
    """The current page (with its query) in another language."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)
