"""`staff_required`: every staff page needs a session that passed both sign-in factors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from durvis.administration import signin


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `login_required`, but the user must also have passed the second factor. Anybody
    short of that goes to the step they are at: the password (LOGIN_URL) or the code (or the
    enrolment of a device), with `next` pointing back here."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and signin.passed_second_factor(user):
            return view(request, *args, **kwargs)
        step = signin.next_step(request)
        response = redirect_to_login(request.get_full_path(), reverse(step) if step else None)
        if getattr(request, "htmx", False):  # an htmx request changes the whole page, not a part
            return HttpResponseClientRedirect(response["Location"])
        return response

    return wrapped
