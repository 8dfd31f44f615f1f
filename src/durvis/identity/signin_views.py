"""The client's sign-in pages: choose how to sign in, and sign out (A12)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from durvis.identity import client_session


def choose(request: HttpRequest) -> HttpResponse:
    """How to sign in: the national sign-in (and, in demo mode, the demo provider behind it)."""
    return render(request, "identity/signin.html", {"next": request.GET.get("next", "")})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    client_session.end(request)
    return redirect("catalog:home")
