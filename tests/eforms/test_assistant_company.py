"""The e-service assistant serving a company (A3, issue 15): the company by its registration
number (the enterprise register adapter), the person present who represents it (a
representative who may act alone, or a holder of the company's mandate to apply for the
service); the application, the case, the summary and the pages are the company's. Refusals: a
person with no such standing, a joint representative, a company for a service for residents,
a person for a service for companies, a number nobody has."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from durvis.audit.models import AuditEvent
from durvis.catalog.models import Service
from durvis.eforms import assistant
from durvis.eforms import services as eforms_services
from durvis.eforms.models import ApplicationStatus, AssistedApplication
from durvis.identity import services as identity
from durvis.identity.registers import enterprise_register
from durvis.mandates.models import Mandate, MandateBasis, MandateScope, MandateState
from durvis.register.models import ActedBy, ServiceCase
from tests.eforms import test_assistant as base
from tests.eforms.journey import PDF, publish_form
from tests.eforms.samples import q, t

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centres")]

agent, desk, service = base.agent, base.desk, base.service
POINT = base.POINT


def company_form():
    return {"format": "durvis-form/1", "pages": [
        {"key": "details", "title": t("Par uzņēmumu", "About the company"), "questions": [
            q("contact", "short_text", required=True),
        ]},
    ]}


@pytest.fixture
def vat(institutions, catalogue):
    """The companies' service (VID's, its application stage delegated to VDAA), marked."""
    found = catalogue["vat"]
    publish_form(institutions, found, company_form())
    Service.objects.filter(pk=found.pk).update(assistant_allowed=True)
    found.refresh_from_db()
    return found


def _identify(agent, service, person, company, **over):
    return assistant.identify_client(agent, service, **{
        "personal_code": person.personal_code if person else "", "document_kind": "id_card",
        "document_number": "PA1234567", "service_point": POINT,
        "registration_number": company.registration_number if company else "", **over})


def _fill(agent, assisted):
    application = assisted.application
    outcome = eforms_services.answer_page(agent, assistant.client_of(assisted), application,
                                          "details", {"contact": "Grāmatvedība"},
                                          version=application.version)
    assert not outcome.errors, outcome.errors
    assisted.application = outcome.application
    return assisted


def test_the_enterprise_register_adapter_finds_a_company_by_number(family):
    register = enterprise_register()
    assert register.company("402031 23456") == family["company"]
    assert register.company("40003032949") is None
    with pytest.raises(ValidationError):
        register.company("40203123457")  # the check digit


def test_a_board_member_who_may_act_alone_applies_for_the_company(agent, vat, family):
    company, parent = family["company"], family["parent"]
    assisted = _fill(agent, _identify(agent, vat, parent, company))
    application = assisted.application
    assert application.client_company == company and application.client_person is None
    assert assisted.representative == parent and application.started_by == parent
    assert assisted.representative_basis == f"role:company:{company.pk}"
    assert assistant.client_of(assisted) == company
    assistant.print_summary(agent, assisted, language="lv")
    assistant.attach_scan(agent, assisted, name="signed.pdf", content=PDF,
                          content_type="application/pdf")
    submitted = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    case = submitted.case
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert case.client_company == company and case.client_person is None
    assert case.acted_by == ActedBy.AGENT and case.signed_authorisation_id is not None
    confirm = AuditEvent.objects.get(action="eforms.assistant.confirm")
    assert confirm.details["representative_basis"] == f"role:company:{company.pk}"
    assert confirm.subject_person_id == parent.pk


def test_a_holder_of_the_companys_mandate_for_the_service_applies(agent, vat, family):
    company, stranger = family["company"], family["stranger"]
    mandate = Mandate.objects.create(
        grantor_company=company, grantee_person=stranger, scope=MandateScope.SERVICES,
        may_apply=True, valid_from=timezone.localdate(), state=MandateState.ACTIVE,
        basis=MandateBasis.EACCOUNT)
    mandate.services.set([vat])
    assisted = _identify(agent, vat, stranger, company)
    assert assisted.representative_basis == f"mandate:{mandate.pk}"
    assert assisted.representative_mandate == str(mandate.pk)


def test_the_companys_mandate_to_the_agents_institution_needs_no_scan(
        agent, vat, family, institutions):
    company = family["company"]
    mandate = Mandate.objects.create(
        grantor_company=company, grantee_institution=institutions["VDAA"],
        scope=MandateScope.ALL, may_apply=True, valid_from=timezone.localdate(),
        state=MandateState.ACTIVE, basis=MandateBasis.EACCOUNT)
    assisted = _fill(agent, _identify(agent, vat, family["parent"], company))
    case = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True).case
    assert case.mandate_reference == f"mandate:{mandate.pk}" and case.client_company == company


@pytest.mark.parametrize("who", ["stranger", "joint", "other service's mandate",
                                 "revoked mandate"])
def test_a_person_who_may_not_apply_for_the_company_is_refused(agent, vat, family, catalogue,
                                                               who):
    company, person = family["company"], family["stranger"]
    if who == "joint":
        identity.record_representation(company, person, "board_member", may_act_alone=False,
                                       valid_from=datetime.date(2020, 1, 1))
    elif who != "stranger":
        mandate = Mandate.objects.create(
            grantor_company=company, grantee_person=person, scope=MandateScope.SERVICES,
            may_apply=True, valid_from=timezone.localdate(),
            state=MandateState.REVOKED if who == "revoked mandate" else MandateState.ACTIVE,
            basis=MandateBasis.EACCOUNT)
        mandate.services.set([catalogue["declaration"] if who != "revoked mandate" else vat])
    with pytest.raises(ValidationError) as refused:
        _identify(agent, vat, person, company)
    assert refused.value.error_dict["personal_code"][0].code == "not_representative"
    assert not AssistedApplication.objects.exists()


def test_a_company_for_a_service_for_residents_and_a_person_for_a_companies_service(
        agent, service, vat, family):
    with pytest.raises(ValidationError) as company_refused:
        _identify(agent, service, family["parent"], family["company"])
    assert company_refused.value.error_dict["registration_number"][0].code == "audience"
    with pytest.raises(ValidationError) as person_refused:
        _identify(agent, vat, family["parent"], None)
    assert person_refused.value.error_dict["registration_number"][0].code == "audience"
    with pytest.raises(ValidationError) as unknown:
        _identify(agent, vat, family["parent"], None, registration_number="40003032949")
    assert unknown.value.error_dict["registration_number"][0].code == "unknown"
    assert not AssistedApplication.objects.exists()


def test_the_summary_names_the_company_and_its_representative(agent, vat, family,
                                                             monkeypatch):
    rendered = {}

    class Html:
        def __init__(self, string):
            rendered["html"] = string

        def write_pdf(self):
            return b"%PDF-1.7"

    monkeypatch.setattr("weasyprint.HTML", Html)
    assisted = _fill(agent, _identify(agent, vat, family["parent"], family["company"]))
    assistant.print_summary(agent, assisted, language="en")
    html = rendered["html"]
    assert "SIA Zaļā Pļava" in html and "40203123456" in html
    assert "Jānis Bērziņš" in html and "may act alone" in html
    assert "On behalf of SIA Zaļā Pļava" in html


# --- HTTP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "says"), [
    ("en", "This service is for residents: the assistant serves a company only"),
    ("lv", "Šis pakalpojums ir iedzīvotājiem: asistents uzņēmumu apkalpo tikai")])
def test_http_a_company_for_a_service_for_residents_is_an_error_at_the_field(
        desk, service, family, language, says):
    with translation.override(language):
        url = reverse("assistant:start", args=[service.code])
    response = desk.post(url, {
        "personal_code": family["parent"].personal_code, "document_kind": "passport",
        "document_number": "LV1234567", "service_point": POINT,
        "registration_number": family["company"].registration_number})
    assert response.status_code == 422
    page = response.content.decode()
    assert says in page and 'href="#f-registration_number"' in page
    assert not AssistedApplication.objects.exists()


@pytest.mark.parametrize(("language", "says"), [
    ("en", "This person may not apply for the company"),
    ("lv", "Šī persona nevar pieteikties uzņēmuma vārdā")])
def test_http_a_person_who_may_not_act_for_the_company(desk, vat, family, language, says):
    with translation.override(language):
        url = reverse("assistant:start", args=[vat.code])
    response = desk.post(url, {
        "personal_code": family["stranger"].personal_code, "document_kind": "passport",
        "document_number": "LV1234567", "service_point": POINT,
        "registration_number": family["company"].registration_number})
    assert response.status_code == 422
    assert says in response.content.decode()
    assert not AssistedApplication.objects.exists()


@pytest.mark.parametrize(("language", "represented"), [
    ("en", "a representative who may act alone"), ("lv", "pārstāvis, kas var rīkoties viens")])
def test_http_the_company_served_from_start_to_done(desk, vat, family, sign_in, language,
                                                    represented):
    company = family["company"]
    with translation.override(language):
        start = reverse("assistant:start", args=[vat.code])
    response = desk.post(start, {
        "personal_code": family["parent"].personal_code, "document_kind": "passport",
        "document_number": "LV1234567", "service_point": POINT,
        "registration_number": company.registration_number})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assisted = AssistedApplication.objects.get()
    reference = assisted.application.reference
    page = desk.get(response["Location"]).content.decode()
    assert "SIA Zaļā Pļava" in page and represented in page
    response = desk.post(response["Location"], {"contact": "Grāmatvedība", "version": "0"})
    with translation.override(language):
        check = reverse("assistant:check", args=[reference])
    assert response["Location"].endswith(reverse("assistant:check", args=[reference])
                                         .split("/", 2)[2])
    assert "SIA Zaļā Pļava" in desk.get(check).content.decode()
    desk.get(reverse("assistant:summary", args=[reference]))
    scan = io.BytesIO(PDF)
    scan.name = "signed.pdf"
    assert desk.post(reverse("assistant:scan", args=[reference]), {"scan": scan}).status_code == 302
    response = desk.post(check, {"result_channel": "eaccount", "signed": "yes"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    done = desk.get(response["Location"]).content.decode()
    case = ServiceCase.objects.get(acted_by=ActedBy.AGENT)
    assert case.client_company == company and case.number in done and "SIA Zaļā Pļava" in done
