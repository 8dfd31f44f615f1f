"""Template filters of the service points (A1): a stored service point value shown in the
page's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from durvis.servicepoints.queries import point_label

register = template.Library()


@register.filter
def point_name(stored: str) -> str:
    """`{{ case.service_point|point_name }}`: the point's name in the page's language
    (`queries.point_label`: the register's point by its stored name, or by the old fixed
    list's "<town>, <address>"), else the stored text as it is."""
    return point_label(stored or "", (get_language() or "lv")[:2])
