"""The e-account's mandate pages (issue 15): the lists, the grant and request forms with their
error summaries in both languages, confirm, refuse and revoke."""

import pytest
from conftest import sign_in_person
from django.urls import reverse

from durvis.identity import services as identity
from durvis.mandates.models import Mandate, MandateState


@pytest.fixture
def helper(family):
    return identity.record_person(personal_code="05118012342", given_name="Ilze",
                                  family_name="Palīdze", email="ilze@example.lv")


def post(client, url, role="self", **data):
    return client.post(url, {"opened_as": role, **data})


def test_grant_list_and_revoke(client, family, helper):
    parent = family["parent"]
    sign_in_person(client, parent)
    page = client.get(reverse("eaccount:mandate-grant"))
    assert page.status_code == 200
    response = post(client, reverse("eaccount:mandate-grant"), grantee_code=helper.personal_code,
                    scope="all", rights=["apply", "read"])
    assert response.status_code == 302, response.content.decode()[:3000]
    mandate = Mandate.objects.get()
    listing = client.get(reverse("eaccount:mandates")).content.decode()
    assert "Ilze Palīdze" in listing
    assert client.get(reverse("eaccount:mandate-revoke", args=[mandate.pk])).status_code == 200
    assert post(client, reverse("eaccount:mandate-revoke", args=[mandate.pk])).status_code == 302
    mandate.refresh_from_db()
    assert mandate.state == MandateState.REVOKED
    assert "Atsaukts" in client.get(reverse("eaccount:mandates")).content.decode() or \
        "Revoked" in client.get(reverse("eaccount:mandates")).content.decode()


@pytest.mark.parametrize("language", ["lv", "en"])
def test_a_bad_grant_shows_the_error_summary_and_stores_nothing(client, family, language):
    parent = family["parent"]
    sign_in_person(client, parent)
    client.cookies["django_language"] = language
    url = reverse("eaccount:mandate-grant")
    response = post(client, url, grantee_code=parent.personal_code, scope="all",
                    rights=["read"], HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert not Mandate.objects.exists()
    response = post(client, url, grantee_code="", scope="services", rights=[],
                    valid_from="2001-01-01", valid_until="2000-01-01")
    assert response.status_code == 422
    assert not Mandate.objects.exists()


def test_request_then_confirm(client, family, helper):
    parent = family["parent"]
    sign_in_person(client, helper)
    response = post(client, reverse("eaccount:mandate-request"),
                    grantor_code=parent.personal_code, scope="all", rights=["read"])
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.state == MandateState.REQUESTED
    # The requester cannot confirm it themself.
    response = post(client, reverse("eaccount:mandate", args=[mandate.pk]), action="confirm")
    assert response.status_code == 422
    client.logout()
    sign_in_person(client, parent)
    page = client.get(reverse("eaccount:mandate", args=[mandate.pk])).content.decode()
    assert 'value="confirm"' in page
    response = post(client, reverse("eaccount:mandate", args=[mandate.pk]), action="confirm")
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.state == MandateState.ACTIVE


def test_another_clients_mandate_is_not_found(client, family, helper):
    from durvis.core.actor import Actor
    from durvis.mandates import services

    parent = family["parent"]
    mandate = services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                             services.Terms())
    sign_in_person(client, family["stranger"])
    assert client.get(reverse("eaccount:mandate", args=[mandate.pk])).status_code == 404
    assert post(client, reverse("eaccount:mandate-revoke", args=[mandate.pk])).status_code == 404


def test_acting_by_a_mandate_gives_no_power_over_mandates(client, family, helper):
    from durvis.core.actor import Actor
    from durvis.mandates import services

    parent = family["parent"]
    services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                   services.Terms())
    sign_in_person(client, helper, role=f"person:{parent.pk}")
    assert client.get(reverse("eaccount:mandate-grant")).status_code == 403
    listing = client.get(reverse("eaccount:mandates"))
    assert listing.status_code == 200


def test_a_revoked_mandate_is_refused_on_the_very_next_request(client, family, helper):
    """Revocation takes effect at once: the grantee saw the grantor's case on one request; the
    grantor revokes; the grantee's next request is refused and the role falls back to
    themself (nothing of the decision is kept across requests)."""
    from durvis.core.actor import Actor
    from durvis.mandates import services

    parent = family["parent"]
    mandate = services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                             services.Terms(rights=["read"]))
    sign_in_person(client, helper, role=f"person:{parent.pk}")
    case_page = reverse("eaccount:case", args=[family["own"].number])
    assert client.get(case_page).status_code == 200
    assert client.get(case_page).status_code == 200
    services.revoke(Actor(kind="person", person=parent), mandate)
    assert client.get(case_page).status_code == 404
    assert client.session["durvis.client.role"] == "self"
