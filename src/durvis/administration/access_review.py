"""The periodic access review (A7, A5; seed 4.3.4 lines 2127-2139, G44): an institution's
administrator lists everybody with rights on its services (its own staff with any role, and
the agents and back-office specialists of the institutions that provide its services), and
confirms or revokes each; the review is written (`AccessReview`, one `AccessDecision` each) and
recorded in the activity log.

Revoking one of the institution's own staff takes their roles at once (through identity's
`revoke_staff_roles`); revoking a provider's employee is a request to the provider's
administrator, who manages its own users (seed 4.3.4: holder and provider each keep their own
user register): it is listed on the provider's review page until the provider reviews its own
staff.

How often: the seed says "regularly" and names no period. We assume every 90 days
(`settings.DURVIS_ACCESS_REVIEW_DAYS`; quarterly, as many institutions' security policies do;
PCI DSS v4.0 requirement 7.2.4 asks for at least every six months), and the page flags a review
as due once that has passed since the last one, or when there has never been one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from durvis.access.policy import decide
from durvis.administration.models import AccessDecision, AccessReview
from durvis.administration.rules import AdministrationAction
from durvis.audit.services import record
from durvis.catalog import queries as catalog_queries
from durvis.core.actor import Actor
from durvis.core.forms import Form
from durvis.identity import services as identity
from durvis.identity.models import Institution, StaffMember, StaffRole
from durvis.identity.sessions import actor_from_request
from durvis.web.shell import staff_required

DEFAULT_REVIEW_DAYS = 90
# The roles through which a provider's employee works on a holder's services.
PROVIDER_ROLES = (StaffRole.AGENT, StaffRole.BACK_OFFICE)


def review_interval() -> datetime.timedelta:
    """How long a review holds (`DURVIS_ACCESS_REVIEW_DAYS`, 90 days by default)."""
    return datetime.timedelta(days=getattr(settings, "DURVIS_ACCESS_REVIEW_DAYS",
                                           DEFAULT_REVIEW_DAYS))


def providers_of(holder_id: int) -> set[int]:
    """The ids of the other institutions with any stage of any of the holder's services
    delegated and in force today (`catalog.queries.delegations_given`, `in_force`)."""
    return set(catalog_queries.delegations_given(holder_id).filter(catalog_queries.in_force())
               .exclude(provider_id=holder_id).values_list("provider_id", flat=True)
               .distinct())


def people_with_rights(institution: Institution) -> QuerySet[StaffMember]:
    """Everybody with rights on the institution's services, its own staff first, each by
    institution and user name: its own staff who hold any role, and the providers' staff
    who hold a role of `PROVIDER_ROLES`."""
    own = list(StaffMember.objects.filter(institution=institution)
               .values_list("pk", "roles"))
    theirs = list(StaffMember.objects.filter(institution_id__in=providers_of(institution.pk))
                  .values_list("pk", "roles"))
    ids = ([pk for pk, roles in own if roles]
           + [pk for pk, roles in theirs if set(roles) & set(PROVIDER_ROLES)])
    return (StaffMember.objects.filter(pk__in=ids).select_related("user", "institution")
            .order_by("institution__code", "user__username"))


def last_review(institution: Institution) -> AccessReview | None:
    return (AccessReview.objects.filter(institution=institution).select_related("reviewer__user")
            .order_by("-completed_at").first())


def is_due(review: AccessReview | None, now: datetime.datetime | None = None) -> bool:
    """Whether a review is due: never done, or `review_interval` has passed since the last."""
    return review is None or (now or timezone.now()) - review.completed_at >= review_interval()


def requests_for(institution: Institution) -> QuerySet[AccessDecision]:
    """Holders' requests to revoke this institution's staff, made since the institution's own
    last review (its review answers them)."""
    asked = AccessDecision.objects.filter(
        institution=institution, decision=AccessDecision.Decision.REVOKE
    ).exclude(review__institution=institution)
    last = last_review(institution)
    if last is not None:
        asked = asked.filter(review__completed_at__gt=last.completed_at)
    return asked.select_related("member__user", "review__institution").order_by("-review_id")


class ReviewForm(Form):
    """One choice per person with rights: confirm or revoke; oneself (and, for an institution's
    administrator, a platform administrator of the institution) only confirm."""

    def __init__(self, *args: Any, people: list[StaffMember], me: StaffMember,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        choices = AccessDecision.Decision.choices
        for member in people:
            name = member.user.get_full_name() or member.user.get_username()
            locked = member.pk == me.pk or (  # identity refuses these: offer only "confirm"
                member.institution_id == me.institution_id
                and StaffRole.PLATFORM_ADMIN in member.roles
                and not me.has_role(StaffRole.PLATFORM_ADMIN))
            self.fields[f"m{member.pk}"] = forms.ChoiceField(
                label=gettext_lazy("%(name)s (%(institution)s)") % {
                    "name": name, "institution": member.institution.code},
                choices=choices[:1] if locked else choices, widget=forms.RadioSelect,
                error_messages={"required": gettext_lazy("Confirm or revoke each person."),
                                "invalid_choice": gettext_lazy(
                                    "Confirm or revoke each person (nobody revokes their own "
                                    "rights).")})

    def decisions(self) -> list[tuple[StaffMember, str]]:
        return [(m, self.cleaned_data[f"m{m.pk}"]) for m in self.people]


@dataclass(frozen=True)
class Outcome:
    review: AccessReview
    revoked: int
    requested: int


def complete_review(actor: Actor, institution: Institution,
                    decisions: list[tuple[StaffMember, str]]) -> Outcome:
    """Write the review of `institution` with one decision per person, in one transaction:
    the institution's own staff revoked lose their roles now (identity's
    `revoke_staff_roles`), a provider's staff revoked are a request to the provider; the
    review is recorded in the activity log (`administration.access_review.completed`, with
    the counts). Raises PermissionDenied unless the actor is the institution's administrator
    (`AdministrationAction.REVIEW_ACCESS`), or a revocation identity refuses (oneself)."""
    if not decide(actor, AdministrationAction.REVIEW_ACCESS, institution):
        raise PermissionDenied("only the institution's administrator reviews its access rights")
    assert actor.staff is not None
    with transaction.atomic():
        review = AccessReview.objects.create(institution=institution, reviewer=actor.staff,
                                             completed_at=timezone.now())
        revoked = requested = 0
        for member, decision in decisions:
            AccessDecision.objects.create(review=review, member=member,
                                          institution_id=member.institution_id,
                                          roles=list(member.roles), decision=decision)
            if decision != AccessDecision.Decision.REVOKE:
                continue
            if member.institution_id == institution.pk:
                identity.revoke_staff_roles(actor, member, reason=f"access review {review.pk}")
                revoked += 1
            else:
                requested += 1
        record(actor, "administration.access_review.completed", review, details={
            "people": len(decisions), "revoked": revoked, "requested": requested,
            "revoke": [m.pk for m, d in decisions if d == AccessDecision.Decision.REVOKE]})
    return Outcome(review, revoked, requested)


def _reviewer(request: HttpRequest) -> tuple[Actor, Institution]:
    actor = actor_from_request(request)
    if actor.staff is None or not decide(actor, AdministrationAction.REVIEW_ACCESS,
                                         actor.staff.institution):
        raise PermissionDenied
    return actor, actor.staff.institution


@staff_required
def review(request: HttpRequest) -> HttpResponse:
    """The review page: when the last review was done and whether one is due, the holders'
    requests to revoke this institution's staff, and everybody with rights on its services
    with a choice each. POST writes the review (a missing choice: the error summary, 422,
    nothing written)."""
    actor, institution = _reviewer(request)
    assert actor.staff is not None
    people = list(people_with_rights(institution))
    form = ReviewForm(request.POST if request.method == "POST" else None, people=people,
                      me=actor.staff)
    if request.method == "POST" and form.is_valid():
        outcome = complete_review(actor, institution, form.decisions())
        messages.success(request, _(
            "The access review is recorded: %(people)d people, %(revoked)d revoked, "
            "%(requested)d revocations asked of the providers.") % {
            "people": len(people), "revoked": outcome.revoked, "requested": outcome.requested})
        return redirect("administration:access-review")
    last = last_review(institution)
    return render(request, "administration/access_review.html", {
        "institution": institution, "form": form, "last": last, "due": is_due(last),
        "interval_days": review_interval().days, "requests": list(requests_for(institution)),
        "rows": [{"member": m, "field": form[f"m{m.pk}"], "own": m.institution_id ==
                  institution.pk, "roles": [StaffRole(r).label if r in StaffRole.values else r
                                            for r in m.roles]} for m in people],
    }, status=422 if form.is_bound else 200)
