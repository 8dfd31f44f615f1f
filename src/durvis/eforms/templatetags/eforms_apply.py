"""`{% load eforms_apply %}{% takes_applications service as online %}`: whether a catalogue
service is applied for through the platform's e-form (its application mode) and has a live
one (A10), so its page offers "Apply" (the catalogue, below e-forms in the layers, does not ask
in its view)."""

from __future__ import annotations

from typing import Any

from django import template

from durvis.catalog.models import ApplicationMode
from durvis.eforms.queries import live_version

register = template.Library()


@register.simple_tag
def takes_applications(service: Any) -> bool:
    return (service.application_mode == ApplicationMode.PLATFORM
            and live_version(service) is not None)
