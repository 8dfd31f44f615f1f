"""The periodic access review (A7, A5; seed 4.3.4, G44; issue 16): an institution's administrator
lists everybody with rights on its services (its own staff, the providers' agents and
back-office specialists), confirms or revokes each; the review is written and audited, a
revocation of its own staff takes the roles, a provider's is asked of the provider; a review is
due every 90 days."""

from __future__ import annotations

import datetime

import pytest

from durvis.administration.models import AccessDecision, AccessReview
from durvis.audit.models import AuditEvent
from durvis.identity import services as identity
from durvis.identity.models import StaffMember

REVIEW = "/administration/access-review/"


@pytest.fixture
def people(staff, institutions, catalogue):
    """VSAA's back-office specialist, VID's agent (VID provides no VSAA service), VDAA's
    administrator (VDAA provides every service of the catalogue)."""
    def make(username, code, roles):
        return identity.record_staff(username=username, password=f"pw-{username}-long-enough",
                                     institution=institutions[code], roles=roles)

    return {"back_office": make("bo.vsaa", "VSAA", ["back_office"]),
            "vid_agent": make("agent.vid", "VID", ["agent"]),
            "vdaa_admin": make("admin.vdaa", "VDAA", ["institution_admin"])}


def choices(staff, people, **overrides):
    data = {f"m{staff['vsaa_admin'].pk}": "confirm", f"m{people['back_office'].pk}": "confirm",
            f"m{staff['agent'].pk}": "confirm"}
    data.update({f"m{k}": v for k, v in overrides.items()})
    return data


def test_the_list_holds_own_staff_and_the_providers_staff(client, staff, staff_login, people):
    response = staff_login(client, staff["vsaa_admin"]).get(REVIEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "bo.vsaa" in html and "admin.vsaa" in html  # its own staff
    assert "agent.centre" in html  # VDAA's agent: VDAA provides VSAA's services
    assert "admin.vdaa" not in html  # a provider's administrator works on no VSAA service
    assert "agent.vid" not in html and "admin.vid" not in html
    assert "govuk-warning-text" in html  # never reviewed: due
    # nobody revokes themself: their own row offers only "confirm"
    assert f'name="m{staff["vsaa_admin"].pk}" value="revoke"' not in html
    assert f'name="m{people["back_office"].pk}" value="revoke"' in html


def test_a_missing_decision_is_refused_and_nothing_is_written(client, staff, staff_login, people):
    data = choices(staff, people)
    del data[f"m{staff['agent'].pk}"]
    response = staff_login(client, staff["vsaa_admin"]).post(REVIEW, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "govuk-error-summary" in html and f'href="#id_m{staff["agent"].pk}_0"' in html
    assert not AccessReview.objects.exists()


def test_revoking_oneself_is_refused(client, staff, staff_login, people):
    data = choices(staff, people, **{str(staff["vsaa_admin"].pk): "revoke"})
    response = staff_login(client, staff["vsaa_admin"]).post(REVIEW, data)
    assert response.status_code == 422
    assert not AccessReview.objects.exists()
    assert StaffMember.objects.get(pk=staff["vsaa_admin"].pk).roles == ["institution_admin"]


def test_confirm_and_revoke_are_written_applied_and_audited(client, staff, staff_login, people):
    data = choices(staff, people, **{str(people["back_office"].pk): "revoke",
                                     str(staff["agent"].pk): "revoke"})
    response = staff_login(client, staff["vsaa_admin"]).post(REVIEW, data, follow=True)
    assert response.redirect_chain == [(REVIEW, 302)]
    review = AccessReview.objects.get()
    assert review.institution.code == "VSAA" and review.reviewer == staff["vsaa_admin"]
    decisions = dict(review.decisions.values_list("member_id", "decision"))
    assert decisions == {staff["vsaa_admin"].pk: "confirm", people["back_office"].pk: "revoke",
                         staff["agent"].pk: "revoke"}
    # its own specialist loses the roles; the provider's agent is asked of the provider
    assert StaffMember.objects.get(pk=people["back_office"].pk).roles == []
    assert StaffMember.objects.get(pk=staff["agent"].pk).roles == ["agent"]
    completed = AuditEvent.objects.get(action="administration.access_review.completed")
    assert completed.details["revoked"] == 1 and completed.details["requested"] == 1
    revoked = AuditEvent.objects.get(action="identity.staff.roles_revoked")
    assert revoked.object_id == str(people["back_office"].pk)
    assert revoked.details["roles"] == ["back_office"]
    html = response.content.decode()
    assert "govuk-warning-text" not in html  # just reviewed: not due
    assert "bo.vsaa" not in html  # without roles, no rights left to review

    provider = staff_login(client, people["vdaa_admin"]).get(REVIEW).content.decode()
    assert "agent.centre" in provider and "Valsts sociālās apdrošināšanas aģentūra" in provider


def test_a_review_is_due_again_after_90_days(client, staff, staff_login, people):
    staff_login(client, staff["vsaa_admin"]).post(REVIEW, choices(staff, people))
    AccessReview.objects.update(completed_at=AccessReview.objects.get().completed_at
                                - datetime.timedelta(days=91))
    assert "govuk-warning-text" in client.get(REVIEW).content.decode()


def test_only_an_institution_administrator_reviews(client, staff, staff_login, people):
    assert staff_login(client, staff["agent"]).get(REVIEW).status_code == 403
    assert staff_login(client, people["back_office"]).post(
        REVIEW, choices(staff, people)).status_code == 403
    assert not AccessDecision.objects.exists()
