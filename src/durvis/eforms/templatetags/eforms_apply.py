"""`{% load eforms_apply %}{% takes_applications service as online %}`: whether a catalogue
service has a live e-form (A10), so its page offers "Apply" (the catalogue, below e-forms in the
layers, does not ask in its view)."""

from __future__ import annotations

from typing import Any

from django import template

from durvis.eforms.queries import live_version

register = template.Library()


@register.simple_tag
def takes_applications(service: Any) -> bool:
    return live_version(service) is not None
