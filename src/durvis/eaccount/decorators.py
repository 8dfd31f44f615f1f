"""`client_required`: every e-account page needs a signed-in person; the view gets the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from durvis.eaccount.roles import current_role


def client_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anybody not signed in through the national sign-in goes to the sign-in page, with `next`
    pointing back here. The view finds the role in `request.client_role`."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        role = current_role(request)
        if role is not None:
            request.client_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)
        response = redirect_to_login(request.get_full_path(), reverse("client-signin"))
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response["Location"])
        return response

    return wrapped
