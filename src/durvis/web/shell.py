"""The page shell that every page app shares (the e-account, administration, and the
capability apps' own pages): a page for a signed-in client gets the role it acts in
(`client_required`), a staff page a session that passed both sign-in factors
(`staff_required`). Anybody short of that is sent to the step they are at, with `next` pointing
back (an htmx request changes the whole page, not a part).

A client's form acts for the role it was opened in, or not at all (C1, issue 12): the role lives
in the session, which every tab shares, so `client_required` compares the role a submitted form
carries (`roles.ROLE_FIELD`) with the current one before the view runs, and refuses a mismatch
with a page that says what happened and how to go on. Nothing is saved and nothing is re-targeted
at the other client; the view never learns of the submission.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, overload
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from durvis.identity import sessions
from durvis.web.roles import ROLE_FIELD, ClientRole, current_role, role_for_key

View = Callable[..., HttpResponse]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@overload
def client_required(view: View) -> View: ...


@overload
def client_required(*, acts_for_role: bool) -> Callable[[View], View]: ...


def client_required(view: View | None = None, *, acts_for_role: bool = True
                    ) -> View | Callable[[View], View]:
    """Anybody not signed in through the national sign-in goes to the sign-in page, with `next`
    pointing back here. The view finds the role in `request.client_role`.

    A submission (any method but GET, HEAD, OPTIONS, TRACE) must carry the role its form was
    opened in (`roles.ROLE_FIELD`, from `components/role_field.html`); one opened in another role,
    or carrying none, is refused (409, `role_changed`) before the view runs. Only a view whose
    submissions do not act for the role says so, `@client_required(acts_for_role=False)`: the
    role switch itself, and the profile, which is always the signed-in person's own (C1, A2).
    `tests/eaccount/test_role_bound_forms.py` lists those and checks every other."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = current_role(request)
            if role is None:
                response = redirect_to_login(request.get_full_path(), reverse("client-signin"))
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(response["Location"])
                return response
            request.client_role = role  # type: ignore[attr-defined]
            if acts_for_role and request.method not in SAFE_METHODS:
                opened = request.POST.get(ROLE_FIELD, "")
                if opened != role.key:
                    return role_changed(request, opened, role)
            return view(request, *args, **kwargs)

        wrapped.durvis_client_view = True  # type: ignore[attr-defined]
        wrapped.acts_for_role = acts_for_role  # type: ignore[attr-defined]
        return wrapped

    return decorate(view) if view is not None else decorate


def role_changed(request: HttpRequest, opened_key: str, current: ClientRole) -> HttpResponse:
    """The answer to a form submitted in another role than the one it was opened in (409): what
    happened, in which role the form was opened (`opened_key`, a role key; empty when the form
    carried none) and which is current, and the two ways on: switch back to the form's role and
    fill it in again, or open the form again in the current role."""
    opened = role_for_key(sessions.actor_from_request(request), opened_key) if opened_key else None
    back = _form_page(request)
    return render(request, "web/role_changed.html", {
        "opened_role": opened if opened is not None and opened.key != current.key else None,
        "current_role": current, "back": back,
        # A page of one record (a case, a conversation) of the form's role is not the current
        # role's: the way on in the current role starts from its overview.
        "again": back if _is_list_page(back) else reverse("eaccount:overview"),
    }, status=409)


def _form_page(request: HttpRequest) -> str:
    """The page the form was on (this site's only), else the e-account's overview."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()},
                                                   request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("eaccount:overview")


def _is_list_page(path: str) -> bool:
    try:
        return not resolve(path.partition("?")[0]).kwargs
    except Resolver404:
        return False


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
