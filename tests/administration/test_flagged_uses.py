"""Flagged uses (B4, B5; issue 16): a 360° view with neither a case nor the client's consent
behind it is flagged when it is recorded; the client sees it flagged in "who used my data", the
acting institution's administrator reviews it in the administration and marks it reviewed with
a note (audited); an empty note is refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from durvis.audit.models import AuditEvent, FlaggedUse
from durvis.identity.services import record_staff

pytestmark = pytest.mark.django_db
FLAGGED = "/administration/audit/flagged/"


@pytest.fixture
def views(family, institutions, staff_login):
    """VSAA's agent opens the parent's 360° view once under the law, once for the case."""
    agent = staff_login(Client(), record_staff(
        username="agent.vsaa", password="pw-agent-vsaa-long-enough",
        institution=institutions["VSAA"], roles=["agent"]))
    parent, case = family["parent"], family["own"]
    agent.get(reverse("administration:clients"), {"q": parent.personal_code})
    url = reverse("administration:client", args=[parent.pk])
    assert agent.get(url, {"service": case.service.pk, "basis": "law"}).status_code == 200
    assert agent.get(url, {"service": case.service.pk, "basis": "case",
                           "case": case.number}).status_code == 200
    return family


def test_only_the_view_without_case_or_consent_is_flagged(views):
    flagged = FlaggedUse.objects.get()
    assert flagged.event.details["basis"] == "law" and flagged.institution_code == "VSAA"
    assert AuditEvent.objects.filter(action="identity.profile.read").count() == 2


def test_the_client_sees_it_flagged(views, client_login):
    with translation.override("en"):
        page = client_login(views["parent"]).get(reverse("eaccount:data-use")).content.decode()
    assert page.count(">flagged</strong>") == 1
    assert "had neither a case of yours nor your consent behind it" in page


def test_the_institution_reviews_it_and_the_review_is_audited(views, client, staff,
                                                              staff_login):
    admin = staff_login(client, staff["vsaa_admin"])
    page = admin.get(FLAGGED).content.decode()
    flagged = FlaggedUse.objects.get()
    assert f'name="flagged" value="{flagged.pk}"' in page and "agent.vsaa" in page
    refused = admin.post(FLAGGED, {"flagged": flagged.pk, "note": "  "})
    assert refused.status_code == 422 and "govuk-error-summary" in refused.content.decode()
    assert FlaggedUse.objects.get().reviewed_at is None
    done = admin.post(FLAGGED, {"flagged": flagged.pk, "note": "Nodokļu parāds: likums atļauj."},
                      follow=True)
    assert done.redirect_chain == [(FLAGGED, 302)]
    flagged.refresh_from_db()
    assert flagged.reviewed_at is not None and flagged.note.startswith("Nodokļu")
    assert AuditEvent.objects.filter(action="audit.flagged_use.reviewed").count() == 1
    assert f'name="flagged" value="{flagged.pk}"' not in done.content.decode()
    again = admin.post(FLAGGED, {"flagged": flagged.pk, "note": "Vēlreiz"}, follow=True)
    assert again.status_code == 200 and FlaggedUse.objects.get().note.startswith("Nodokļu")


def test_another_institution_does_not_see_it(views, client, staff, staff_login):
    admin = staff_login(client, staff["vid_admin"])
    flagged = FlaggedUse.objects.get()
    assert f'value="{flagged.pk}"' not in admin.get(FLAGGED).content.decode()
    admin.post(FLAGGED, {"flagged": flagged.pk, "note": "Nav mūsu"})
    assert FlaggedUse.objects.get().reviewed_at is None
    assert staff_login(Client(), staff["agent"]).get(FLAGGED).status_code == 403
