"""A confirmation step before an irreversible action (revoking an API token, resetting a
colleague's second factor, replacing a status mapping): the first POST answers a page that says
what will happen and asks again; only a POST carrying `confirmed=yes` acts."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "yes"


def ask(request: HttpRequest, *, title: str, warning: str, action: str, cancel_url: str,
        fields: Mapping[str, str] | None = None) -> HttpResponse:
    """The confirmation page: posts the same form again (its `fields` kept) with `confirmed`."""
    return render(request, "administration/confirm.html", {
        "title": title, "warning": warning, "action": action, "cancel_url": cancel_url,
        "fields": dict(fields or {}), "post_url": request.get_full_path(),
    })
