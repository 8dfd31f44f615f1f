"""The page shell that every page app shares (the e-account, administration, and the
capability apps' own pages): a page for a signed-in client gets the role it acts in
(`client_required`), a staff page a session that passed both sign-in factors
(`staff_required`). Anybody short of that is sent to the step they are at, with `next` pointing
back (an htmx request changes the whole page, not a part).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from durvis.identity import sessions
from durvis.web.roles import current_role


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


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `login_required`, but the user must also have passed the second factor. Anybody
    short of that goes to the step they are at: the password (LOGIN_URL) or the code (or the
    enrolment of a device), with `next` pointing back here."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and sessions.passed_second_factor(user):
            return view(request, *args, **kwargs)
        step = sessions.next_step(request)
        response = redirect_to_login(request.get_full_path(), reverse(step) if step else None)
        if getattr(request, "htmx", False):  # an htmx request changes the whole page, not a part
            return HttpResponseClientRedirect(response["Location"])
        return response

    return wrapped
