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


def test_the_revoke_page_of_an_ended_mandate_says_so_and_offers_no_button(client, family,
                                                                          helper):
    from durvis.core.actor import Actor
    from durvis.mandates import services

    parent = family["parent"]
    mandate = services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                             services.Terms())
    sign_in_person(client, parent)
    url = reverse("eaccount:mandate-revoke", args=[mandate.pk])
    assert 'type="submit"' in client.get(url).content.decode()
    assert post(client, url).status_code == 302
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Jā, atsaukt pilnvaru" not in body and 'class="warning"' not in body
    assert "jau ir beigusies" in body
    assert "Atsaukt pilnvaru" not in client.get(
        reverse("eaccount:mandate", args=[mandate.pk])).content.decode().split("<h1>")[1]
    again = post(client, url)
    assert again.status_code == 422
    assert "govuk-error-summary" in again.content.decode()


def test_the_grant_form_groups_its_choices_and_folds_the_lists_under_their_scope(
        client, family, catalogue):
    sign_in_person(client, family["parent"])
    body = client.get(reverse("eaccount:mandate-grant")).content.decode()
    assert 'data-durvis-reveal' in body
    assert 'data-aria-controls="conditional-scope-services"' in body
    assert ('class="govuk-radios__conditional govuk-radios__conditional--hidden" '
            'id="conditional-scope-services"') in body
    assert 'class="govuk-checkboxes__input" id="id_rights_0" name="rights"' in body
    assert "<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">Ģimene un bērni" \
        in body
    assert 'data-filter-list="service-list"' in body
    # A refused choice comes back with its list open and its choices kept.
    response = post(client, reverse("eaccount:mandate-grant"), grantee_code="",
                    scope="services", service_ids=[catalogue["childbirth"].pk], rights=["read"])
    body = response.content.decode()
    assert response.status_code == 422
    assert ('class="govuk-radios__conditional" id="conditional-scope-services"') in body
    assert f'value="{catalogue["childbirth"].pk}" checked' in body
    assert 'value="read" checked' in body


def test_the_case_pages_say_what_a_submission_rests_on_in_words(client, family, helper,
                                                                 catalogue, staff_login,
                                                                 institutions):
    from django.template.loader import render_to_string
    from django.test import Client

    from durvis.core.actor import Actor
    from durvis.identity import services as identity_services
    from durvis.mandates import services
    from durvis.register.models import ServiceCase

    parent, case = family["parent"], family["own"]
    mandate = services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                             services.Terms(rights=["apply", "read"]))
    ServiceCase.objects.filter(pk=case.pk).update(
        acted_by="representative", representative=helper, mandate_reference=mandate.reference())
    url = reverse("eaccount:case", args=[case.number.replace(" ", "-")])
    link = f'<a href="{reverse("eaccount:mandate", args=[mandate.pk])}">pilnvaru Nr. {mandate.pk}</a>'
    # The representative acting for the grantor: words, a link they may open, no "mandate:7".
    sign_in_person(client, helper, role=f"person:{parent.pk}")
    body = client.get(url).content.decode()
    assert "mandate:" not in body
    assert f"pamatojoties uz {link} (pilnvaras devējs: Jānis Bērziņš)" in body
    page = client.get(reverse("eaccount:mandate", args=[mandate.pk]))
    assert page.status_code == 200
    assert "Atsaukt pilnvaru" not in page.content.decode()
    assert client.get(reverse("eaccount:mandate-revoke", args=[mandate.pk])).status_code == 404
    # The grantor sees the same words and link.
    client.logout()
    sign_in_person(client, parent)
    assert link in client.get(url).content.decode()
    # The staff case page: the words, no link.
    officer = identity_services.record_staff(
        username="bo.vsaa", password="pw-long-enough-for-tests",
        institution=institutions["VSAA"], roles=["back_office"])
    staff_page = staff_login(Client(), officer).get(
        reverse("administration:case", args=[case.number])).content.decode()
    assert "mandate:" not in staff_page
    assert (f"pamatojoties uz pilnvaru Nr. {mandate.pk} (pilnvaras devējs: Jānis Bērziņš)"
            in staff_page)
    # The other bases, in words.
    for reference, words in (
            ("signed-authorisation:12", "klienta centrā parakstīto pilnvarojumu"),
            (f"role:person:{family['child'].pk}", "kā nepilngadīgā klienta vecāks"),
            (f"role:company:{family['company'].pk}", "kā uzņēmuma pārstāvis"),
            ("role:self", ""), ("mandate:x", "")):
        case.mandate_reference = reference
        shown = render_to_string("components/case_basis.html", {"case": case}).strip()
        assert (words in shown) if words else shown == "", reference


def test_a_mandates_holder_is_not_asked_to_rate_the_grantors_case(client, family, helper,
                                                                   decide_case):
    from durvis.core.actor import Actor
    from durvis.mandates import services
    from durvis.register.models import Feedback

    parent, case = family["parent"], family["own"]
    services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                   services.Terms(rights=["apply", "read", "answer_messages"]))
    decide_case(family["system"], case)
    url = reverse("eaccount:case", args=[case.number.replace(" ", "-")])
    feedback_url = reverse("eaccount:case-feedback", args=[case.number])
    sign_in_person(client, helper, role=f"person:{parent.pk}")
    body = client.get(url).content.decode()
    assert feedback_url not in body
    assert "pilnvaru, neļauj to novērtēt" in body
    assert post(client, feedback_url, role=f"person:{parent.pk}", rating=5).status_code == 403
    assert not Feedback.objects.exists()
    client.logout()
    sign_in_person(client, parent)
    assert feedback_url in client.get(url).content.decode()


def test_a_draft_under_a_mandate_is_the_grantors_and_says_so(client, family, institutions,
                                                              catalogue):
    from durvis.core.actor import Actor
    from durvis.eforms.models import Application
    from durvis.identity import services as identity_services
    from durvis.mandates import services
    from tests.eforms.journey import publish_form

    publish_form(institutions, catalogue["childbirth"])
    parent = family["parent"]
    helper = identity_services.record_person(
        personal_code="05118012342", given_name="Ilze", family_name="Palīdze",
        email="ilze@example.lv")
    services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                   services.Terms(rights=["apply", "read"]))
    role = f"person:{parent.pk}"
    sign_in_person(client, helper, role=role)
    response = post(client, reverse("eforms:start", args=[1011]), role=role)
    assert response.status_code == 302, response.content.decode()[:2000]
    app = Application.objects.latest("pk")
    assert app.answers["email"] == parent.email != helper.email
    assert app.answers["name"] == "Jānis Bērziņš"
    body = client.get(response["Location"]).content.decode()
    assert 'value="janis@example.lv"' in body and "ilze@example.lv" not in body
    assert 'id="application-for"' in body
    assert "Pieteikuma iesniedzējs: Jānis Bērziņš." in body
    # The person's own application says nothing of the kind.
    client.logout()
    sign_in_person(client, parent)
    response = post(client, reverse("eforms:start", args=[1011]))
    assert 'id="application-for"' not in client.get(response["Location"]).content.decode()


def test_the_latvian_mandate_texts_keep_names_in_the_nominative(client, family, helper):
    from django.template.loader import render_to_string
    from django.utils import translation

    from durvis.core.actor import Actor
    from durvis.mandates import services

    parent = family["parent"]
    sign_in_person(client, parent)
    assert "Pilnvaras devējs: Jānis Bērziņš. Pilnvarotais varēs rīkoties pilnvaras devēja vārdā" \
        in client.get(reverse("eaccount:mandate-grant")).content.decode()
    mandate = services.grant(Actor(kind="person", person=parent), parent, helper.personal_code,
                             services.Terms())
    body = client.get(reverse("eaccount:mandate-revoke", args=[mandate.pk])).content.decode()
    assert "(pilnvaras devējs: Jānis Bērziņš; pilnvarotais: Ilze Palīdze)" in body
    assert "devis" not in body
    with translation.override("lv"):
        mail = render_to_string("messaging/mandate_changed_email.txt", {
            "mandate_id": mandate.pk, "grantor": parent, "grantee": helper, "state": "Spēkā",
            "eaccount_url": "https://durvis.example"})
    assert "Pilnvaras devējs: Jānis Bērziņš\nPilnvarotais: Ilze Palīdze" in mail


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


def test_a_person_grants_a_mandate_to_an_institution_for_assisted_service(client, family,
                                                                          institutions):
    """A3: a mandate to the institution whose client-service centres then serve the person
    without a signed paper each time: granted by the institution's code, listed, overlaps
    refused; an unknown code is named; a code never makes a mandate to a person."""
    from durvis.eforms import assistant  # noqa: F401 - the rule that uses it is registered
    from durvis.mandates import queries

    parent = family["parent"]
    sign_in_person(client, parent)
    url = reverse("eaccount:mandate-grant")
    response = post(client, url, grantee_code="vdaa", scope="all", rights=["apply", "read"])
    assert response.status_code == 302, response.content.decode()[:2000]
    mandate = Mandate.objects.get()
    assert mandate.grantee_institution == institutions["VDAA"]
    assert mandate.grantee_person is None and mandate.grantee_company is None
    assert queries.held_by_institution(institutions["VDAA"].pk, parent, "apply", None) == mandate
    listing = client.get("/en" + reverse("eaccount:mandates")).content.decode()
    assert institutions["VDAA"].name in listing
    again = post(client, "/en" + url, grantee_code="VDAA", scope="all", rights=["apply"])
    assert again.status_code == 422 and "overlaps mandate no." in again.content.decode()
    unknown = post(client, "/en" + url, grantee_code="NOSUCH", scope="all", rights=["apply"])
    assert unknown.status_code == 422
    assert "No institution with this code or registration number" in unknown.content.decode()
    assert Mandate.objects.count() == 1
