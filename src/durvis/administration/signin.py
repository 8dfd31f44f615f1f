"""Staff sign-in (A12): a password, then a 6-digit code from an authenticator app (TOTP).

1. `staff-login`: the password. axes' backend checks it first and refuses a locked-out user name
   and address. A right password does not sign the user in yet: the session remembers, for
   sessions.PENDING_SECONDS, who passed the first step, and the browser goes on to step 2.
2. `staff-login-code`: a code from the user's confirmed TOTP device (django-otp); or, for a user
   without one, `staff-login-enrol`: the new secret as an otpauth:// address, as text and as a QR
   code, and a first code to confirm it.

Only a right code signs the user in (`django.contrib.auth.login` and `django_otp.login`), so a
signed-in session has always passed both factors.

Throttling follows OWASP ASVS 4.0 2.2.1 (anti-automation that an attacker cannot turn into a
lock-out of the real user, and no more than 100 failed attempts an hour on one account):
- every wrong password and every wrong code counts with axes per user name and address; the
  AXES_FAILURE_LIMIT-th within the cool-off locks that pair out (`lockout_response`), so
  someone with the password at another address cannot lock the real user out of their codes
  (django-otp's back-off per device, which could, is off: OTP_TOTP_THROTTLE_FACTOR = 0);
- a ceiling per account, whatever the addresses: after DURVIS_SIGNIN_ACCOUNT_CEILING failures
  within an hour (axes' failure log), signing in to that account pauses until the oldest of them
  is an hour old (`account_paused`); the pause is audited and its page says to tell the
  administrator.
"""

from __future__ import annotations

import datetime
import math
import re
from base64 import b32encode
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessFailureLog
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.core.actor import Actor
from durvis.core.forms import Form, TextFields
from durvis.identity import queries as identity_queries
from durvis.identity import services as identity
from durvis.identity import sessions
from durvis.identity.services import CodeCheck

# The window of the per-account ceiling on failed sign-ins (ASVS 2.2.1: at most 100 an hour).
ACCOUNT_WINDOW = datetime.timedelta(hours=1)

class CodeForm(Form):
    otp_token = forms.CharField(label=gettext_lazy("6-digit code"), max_length=20)

    def clean_otp_token(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["otp_token"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(
                gettext_lazy("Enter the 6 digits that your authenticator app shows."),
                code="format")
        return code


class PasswordForm(TextFields, AuthenticationForm):
    """Django's user name and password, with the platform's text rule (durvis.core.forms)."""


class PasswordStepView(LoginView):
    """Step 1: the password (Django's login view, except that a right password leads to the second
    factor instead of signing in)."""

    template_name = "administration/login.html"
    form_class = PasswordForm

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if account_paused(user.get_username()):
            return _paused(self.request, user)
        self.request.session.cycle_key()  # a new session id for the half-signed-in state
        # This sign-in's own flow, named in the second step's address: another tab's sign-in
        # neither replaces its user nor its return address.
        flow = sessions.begin_pending(self.request, user, user.backend, self.get_redirect_url())
        step = sessions.CODE_STEP if identity.totp_device(user) else sessions.ENROL_STEP
        return redirect(sessions.step_url(step, flow))


@sensitive_post_parameters("otp_token")
@never_cache
def code_step(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the authenticator app."""
    pending = sessions.pending_sign_in(request)
    if pending is None:
        return _start_again(request)
    if _already_signed_in(request, pending):
        return _go_on(request, pending)
    device = identity.totp_device(pending.user)
    if device is None:
        return redirect(sessions.step_url(sessions.ENROL_STEP, pending.flow))
    return _second_factor(request, pending, device, "administration/login_code.html",
                          {"demo_code": identity.sign_in_aid(pending.user, device)})


@sensitive_post_parameters("otp_token")
@never_cache
def enrol_step(request: HttpRequest) -> HttpResponse:
    """Step 2 for a user without a device: add Durvis to an authenticator app and confirm it with
    a first code."""
    pending = sessions.pending_sign_in(request)
    if pending is None:
        return _start_again(request)
    if _already_signed_in(request, pending):
        return _go_on(request, pending)
    if identity.totp_device(pending.user) is not None:
        return redirect(sessions.step_url(sessions.CODE_STEP, pending.flow))
    device = identity.start_totp_enrolment(pending.user)
    uri = device.config_url
    return _second_factor(request, pending, device, "administration/login_enrol.html", {
        "otpauth_uri": uri,
        "secret": b32encode(device.bin_key).decode(),
        "qr_svg": qr_svg(uri, _("QR code for adding Durvis to an authenticator app")),
    })


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The page a locked-out user name and address get (AXES_LOCKOUT_CALLABLE)."""
    if hasattr(request, "session"):
        sessions.end_pending(request)
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(request, "administration/lockout.html", {"minutes": minutes},
                  status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))


def account_paused(username: str) -> bool:
    """Whether the account had DURVIS_SIGNIN_ACCOUNT_CEILING failed sign-in attempts (wrong
    passwords and wrong codes, from any address) within the last hour (ASVS 2.2.1)."""
    since = timezone.now() - ACCOUNT_WINDOW
    return AccessFailureLog.objects.filter(
        username=username, attempt_time__gte=since).count() >= settings.DURVIS_SIGNIN_ACCOUNT_CEILING


def _paused(request: HttpRequest, user: Any) -> HttpResponse:
    sessions.end_pending(request)
    identity.record_lockout(_actor(user, request.META.get("REMOTE_ADDR")), user)
    return render(request, "administration/lockout.html",
                  {"minutes": int(ACCOUNT_WINDOW.total_seconds() // 60), "account": True},
                  status=429)


def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None,
                  ip_address: str | None = None, **kwargs: Any) -> None:
    """axes' `user_locked_out` signal: write the lockout to the activity log."""
    user_model = get_user_model()
    user = (user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
            if username else None)
    identity.record_lockout(_actor(user, ip_address), user)


def qr_svg(data: str, label: str) -> SafeString:
    """`data` as an inline SVG QR code (qrcode's SVG factory: no image library needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"',
                 f'<svg class="qr-code" role="img" aria-label="{escape(label)}"', svg, count=1)
    return mark_safe(svg)  # qrcode's own markup; the label is escaped


def _second_factor(request: HttpRequest, pending: sessions.Pending, device: TOTPDevice, template: str,
                   context: dict[str, Any]) -> HttpResponse:
    user = pending.user
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        _abandon(request)
        return lockout_response(request, None, credentials)
    if account_paused(user.get_username()):
        _abandon(request)
        return _paused(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = _actor(user, request.META.get("REMOTE_ADDR"))
        result = identity.check_totp_code(actor, device, form.cleaned_data["otp_token"])
        if result is CodeCheck.ACCEPTED:
            return _complete(request, pending, device, actor)
        # A wrong code counts like a wrong password: axes may lock the user name and address out.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            _abandon(request)
            return lockout_response(request, None, credentials)
        form.add_error("otp_token", _("Too many wrong codes in a row: wait a few seconds and "
                                      "enter the newest code.") if result is CodeCheck.THROTTLED
                       else _("The code is wrong or has already been used. Enter the code "
                              "that the app shows now."))
    return render(request, template, {**context, "form": form,
                                      "username": user.get_username()})


def _complete(request: HttpRequest, pending: sessions.Pending, device: TOTPDevice,
              actor: Actor) -> HttpResponse:
    """Both factors passed: sign in."""
    login(request, pending.user, backend=pending.backend)
    django_otp.login(request, device)
    sessions.mark_signed_in(request.session)
    identity.record_sign_in(actor, pending.user)
    return _go_on(request, pending)


def _already_signed_in(request: HttpRequest, pending: sessions.Pending) -> bool:
    """This flow's user finished signing in meanwhile, in another tab of the browser."""
    user = request.user
    return (bool(pending.flow) and user.is_authenticated and user.pk == pending.user.pk
            and sessions.passed_second_factor(user))


def _go_on(request: HttpRequest, pending: sessions.Pending) -> HttpResponse:
    """End this sign-in's flow (others under way stay) and go where it was asked to: the page
    that sent the browser to the second step, the one asked for at the password, or home."""
    sessions.end_pending(request, pending.flow)
    target = (sessions.return_address(request.GET.get("next", "")) or pending.next
              or resolve_url(settings.LOGIN_REDIRECT_URL))
    return redirect(target)


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Please sign in with your user name and password first."))
    return redirect(settings.LOGIN_URL)


def _abandon(request: HttpRequest) -> None:
    sessions.end_pending(request)
    if request.user.is_authenticated:
        logout(request)


def _actor(user: Any, address: str | None) -> Actor:
    staff = identity_queries.staff_of(user) if user is not None else None
    if staff is not None:
        return Actor(kind="staff", staff=staff, source_address=address)
    return Actor(source_address=address)
