"""The team page (A12): an administrator sees the staff of their institution (a platform
administrator everybody's) and resets the second factor of a colleague who lost their phone, who
then adds a new device at their next sign-in, and grants or withdraws the roles an administrator
gives (`TEAM_ROLES`: form builder, finance specialist). The access policy decides; identity
resets and grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from durvis.access.policy import decide
from durvis.administration.confirm import ask, confirmed
from durvis.core.actor import Actor
from durvis.identity import services as identity
from durvis.identity.models import StaffMember, StaffRole
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required


def _administrator(request: HttpRequest) -> Actor:
    actor = actor_from_request(request)
    if not decide(actor, IdentityAction.RESET_STAFF_SECOND_FACTOR):
        raise PermissionDenied
    return actor


def _team(actor: Actor) -> QuerySet[StaffMember]:
    """The staff an administrator sees: their institution's, or (platform) everybody's."""
    members = StaffMember.objects.select_related("user", "institution").annotate(
        has_device=Exists(TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)))
    if not actor.has_role(StaffRole.PLATFORM_ADMIN):
        assert actor.staff is not None  # the policy lets only staff through `_administrator`
        members = members.filter(institution_id=actor.staff.institution_id)
    return members.order_by("institution__code", "user__username")


@staff_required
def team(request: HttpRequest) -> HttpResponse:
    actor = _administrator(request)
    rows = [{
        "member": member,
        "roles": [StaffRole(role).label if role in StaffRole.values else role
                  for role in member.roles],
        "may_reset": decide(actor, IdentityAction.RESET_STAFF_SECOND_FACTOR, member).allowed,
        "may_grant": decide(actor, IdentityAction.GRANT_STAFF_ROLE, member).allowed,
        "grantable": [{"slug": slug, "held": grantable.role in member.roles,
                       "label": grantable.withdraw if grantable.role in member.roles
                       else grantable.grant} for slug, grantable in TEAM_ROLES.items()],
    } for member in _team(actor)]
    return render(request, "administration/team.html", {"rows": rows})


@staff_required
@require_POST
def reset_second_factor(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = _administrator(request)
    member = _team(actor).filter(pk=member_id).first()
    if member is None:
        raise Http404  # another institution's staff do not exist for this administrator
    if not decide(actor, IdentityAction.RESET_STAFF_SECOND_FACTOR, member):
        raise PermissionDenied  # oneself: refused before asking
    if not confirmed(request):
        return ask(request, title=_("Reset the second factor of %(username)s?")
                   % {"username": member.user.get_username()},
                   warning=_("Their authenticator devices are removed and their sessions end "
                             "now. They add a new device at their next sign-in."),
                   action=_("Yes, reset it"), cancel_url=reverse("administration:team"))
    identity.reset_second_factor(actor, member)  # PermissionDenied for oneself
    messages.success(request, _(
        "The second factor of %(username)s has been reset: at their next sign-in, after the "
        "password, they add a new device to an authenticator app.")
        % {"username": member.user.get_username()})
    return redirect("administration:team")


@dataclass(frozen=True)
class GrantableRole:
    """A role an administrator grants on the team page (`GRANTABLE_ROLES`): its address, its
    buttons and what the page says once it is given or taken."""

    role: StaffRole
    grant: Any
    withdraw: Any
    granted: Any
    withdrawn: Any


# By the role's part of the address (`/staff/team/<id>/<slug>/`).
TEAM_ROLES = {
    "form-builder": GrantableRole(
        StaffRole.FORM_BUILDER, gettext_lazy("Make a form builder"),
        gettext_lazy("Withdraw the form-builder role"),
        gettext_lazy("%(name)s now builds your services' e-forms."),
        gettext_lazy("%(name)s no longer builds e-forms.")),
    "finance": GrantableRole(
        StaffRole.FINANCE, gettext_lazy("Make a finance specialist"),
        gettext_lazy("Withdraw the finance role"),
        gettext_lazy("%(name)s now manages your institution's invoices and payments."),
        gettext_lazy("%(name)s no longer manages invoices and payments.")),
    "agent": GrantableRole(
        StaffRole.AGENT, gettext_lazy("Make a client-service agent"),
        gettext_lazy("Withdraw the agent role"),
        gettext_lazy("%(name)s now serves clients at your centre (cases, the e-service "
                     "assistant)."),
        gettext_lazy("%(name)s no longer serves clients as an agent.")),
}


@staff_required
@require_POST
def grant_role(request: HttpRequest, member_id: int, role: str) -> HttpResponse:
    """Give or take away a colleague's grantable role (`TEAM_ROLES`: the form builder's, A10;
    the finance specialist's, A8): `grant` is `yes` or `no`. Another institution's staff and an
    unknown role are a 404."""
    actor = _administrator(request)
    grantable = TEAM_ROLES.get(role)
    member = _team(actor).filter(pk=member_id).first()
    if member is None or grantable is None:
        raise Http404  # another institution's staff do not exist for this administrator
    granted = request.POST.get("grant") == "yes"
    identity.set_staff_role(actor, member, grantable.role, granted=granted)
    name = member.user.get_full_name() or member.user.get_username()
    messages.success(request, str(grantable.granted if granted else grantable.withdrawn)
                     % {"name": name})
    return redirect("administration:team")
