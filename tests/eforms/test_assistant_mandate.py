"""The e-service assistant on a mandate the client granted to the agent's institution (A3,
issue 15): the agent confirms without the signed scan, the case rests on the mandate; a
revoked, expired, another institution's or another service's mandate, or one without the right
to apply, allows nothing, and the scan is required as before."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from durvis.access.policy import decide
from durvis.audit.models import AuditEvent
from durvis.catalog.models import Category
from durvis.core.actor import Actor
from durvis.eforms import assistant
from durvis.eforms.models import ApplicationStatus, AssistedApplication
from durvis.mandates import queries
from durvis.mandates.models import Mandate, MandateBasis, MandateScope, MandateState
from durvis.mandates.rules import MandateAction
from durvis.register.models import ActedBy, ServiceCase
from tests.eforms import test_assistant as base
from tests.eforms.test_assistant import _fill, _http_fill, _identify, _start

# The assistant's fixtures: the marked service with its e-form, the VDAA agent, their desk.
service, agent, desk = base.service, base.agent, base.desk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centres")]


def to_institution(grantor, institution, *, scope=MandateScope.ALL, services=(), categories=(),
                   apply=True, state=MandateState.ACTIVE, valid_from=None, valid_until=None):
    mandate = Mandate.objects.create(
        grantor_person=grantor, grantee_institution=institution, scope=scope, may_apply=apply,
        may_read=True, valid_from=valid_from or timezone.localdate(), valid_until=valid_until,
        state=state, basis=MandateBasis.EACCOUNT)
    mandate.services.set(services)
    mandate.categories.set(categories)
    return mandate


# --- the rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("scope", ["all", "services", "categories"])
def test_a_mandate_to_the_agents_institution_reaching_the_service_is_the_basis(
        agent, service, family, institutions, scope):
    mandate = to_institution(
        family["parent"], institutions["VDAA"], scope=scope,
        services=[service] if scope == "services" else [],
        categories=[Category.objects.get(slug="family-benefits")] if scope == "categories" else [])
    assert decide(agent, MandateAction.ASSIST_UNDER, service, family["parent"])
    assert queries.held_by_institution(institution_id=institutions["VDAA"].pk,
                                       client=family["parent"], right="apply",
                                       service_id=service.pk) == mandate


def _refused_cases(institutions, catalogue):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    return {
        "revoked": dict(state=MandateState.REVOKED),
        "requested": dict(state=MandateState.REQUESTED),
        "expired": dict(valid_from=today - 10 * day, valid_until=today - day),
        "not yet in force": dict(valid_from=today + day),
        "another institution's": dict(institution=institutions["VSAA"]),
        "another service's": dict(scope=MandateScope.SERVICES,
                                  services=[catalogue["kindergarten"]]),
        "without the right to apply": dict(apply=False),
    }


@pytest.mark.parametrize("case", ["revoked", "requested", "expired", "not yet in force",
                                  "another institution's", "another service's",
                                  "without the right to apply"])
def test_a_mandate_that_does_not_fit_allows_nothing(agent, service, family, institutions,
                                                    catalogue, case):
    terms = _refused_cases(institutions, catalogue)[case]
    institution = terms.pop("institution", institutions["VDAA"])
    to_institution(family["parent"], institution, **terms)
    decision = decide(agent, MandateAction.ASSIST_UNDER, service, family["parent"])
    assert not decision
    with translation.override("en"):
        assert "no mandate in force" in str(decision.explanation)
    assert queries.held_by_institution(institutions["VDAA"].pk, family["parent"], "apply",
                                       service.pk) is None


def test_another_clients_mandate_and_a_non_agent_are_refused(agent, service, family,
                                                             institutions, staff):
    to_institution(family["stranger"], institutions["VDAA"])
    assert not decide(agent, MandateAction.ASSIST_UNDER, service, family["parent"])
    to_institution(family["parent"], institutions["VDAA"])
    admin = Actor(kind="staff", staff=staff["vsaa_admin"])
    assert not decide(admin, MandateAction.ASSIST_UNDER, service, family["parent"])
    person = Actor(kind="person", person=family["stranger"])
    assert not decide(person, MandateAction.ASSIST_UNDER, service, family["parent"])


# --- the submission -----------------------------------------------------------------------------

def test_confirming_on_a_mandate_needs_no_scan_and_the_case_rests_on_it(
        agent, service, family, institutions):
    mandate = to_institution(family["parent"], institutions["VDAA"])
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    assert assistant.mandate_basis(agent, assisted) == mandate
    with pytest.raises(ValidationError) as unconfirmed:
        assistant.confirm(agent, assisted, result_channel="eaccount", signed=False)
    assert "declaration" in unconfirmed.value.error_dict
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    case = application.case
    assert application.status == ApplicationStatus.SUBMITTED
    assert case.mandate_reference == f"mandate:{mandate.pk}" and case.basis == (
        "mandate", str(mandate.pk))
    assert case.acted_by == ActedBy.AGENT and case.signed_authorisation_id is None
    event = AuditEvent.objects.get(action="eforms.assistant.confirm")
    assert event.details["mandate"] == mandate.pk and event.details["scan"] is None
    # No signed original to send: the monthly list leaves it out.
    month = timezone.localdate().replace(day=1)
    assert assistant.originals(agent, month) == []


def test_a_mandate_revoked_after_the_check_page_allows_nothing_from_that_moment(
        agent, service, family, institutions):
    mandate = to_institution(family["parent"], institutions["VDAA"])
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    assert assistant.mandate_basis(agent, assisted) == mandate
    Mandate.objects.filter(pk=mandate.pk).update(state=MandateState.REVOKED,
                                                 ended_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    assert refused.value.error_dict["scan"][0].code == "required"
    assert not ServiceCase.objects.filter(acted_by=ActedBy.AGENT).exists()
    assert not AuditEvent.objects.filter(action="eforms.assistant.confirm").exists()


# --- HTTP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "basis", "done", "client_sees"), [
    ("en", "will rest on mandate no. {n}", "on the basis of mandate no. {n}",
     "on the basis of mandate no. {n}"),
    ("lv", "pamatā būs pilnvara Nr. {n}", "pamatojoties uz pilnvaru Nr. {n}",
     "pamatojoties uz pilnvaru Nr. {n}")])
def test_http_the_check_page_names_the_mandate_and_confirming_needs_no_scan(
        desk, service, family, institutions, sign_in, language, basis, done, client_sees):
    mandate = to_institution(family["parent"], institutions["VDAA"])
    _start(desk, service, family["parent"])
    assisted = AssistedApplication.objects.get()
    _http_fill(desk, assisted)
    reference = assisted.application.reference
    with translation.override(language):
        check = reverse("assistant:check", args=[reference])
    page = desk.get(check).content.decode()
    assert 'id="submission-basis"' in page and basis.format(n=mandate.pk) in page
    assert ("signs the authorisation" not in page  # a fresh tester's finding: nothing to sign
            and "paraksta tajā pilnvarojumu" not in page)
    response = desk.post(check, {"result_channel": "eaccount", "signed": "yes"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert done.format(n=mandate.pk) in desk.get(response["Location"]).content.decode()
    case = ServiceCase.objects.get(acted_by=ActedBy.AGENT)
    with translation.override(language):
        url = reverse("eaccount:case", args=[case.number])
    html = sign_in(family["parent"]).get(url).content.decode()
    assert 'id="assisted-basis"' in html and client_sees.format(n=mandate.pk) in html


@pytest.mark.parametrize(("language", "says"), [
    ("en", "attach its scan before you confirm"), ("lv", "pievienojiet tā skenējumu")])
def test_http_without_a_mandate_the_check_page_asks_for_the_scan(desk, service, family,
                                                                 institutions, language, says):
    to_institution(family["parent"], institutions["VSAA"])  # another institution's
    _start(desk, service, family["parent"])
    assisted = AssistedApplication.objects.get()
    _http_fill(desk, assisted)
    with translation.override(language):
        check = reverse("assistant:check", args=[assisted.application.reference])
    assert says in desk.get(check).content.decode()
    response = desk.post(check, {"result_channel": "eaccount", "signed": "yes"})
    assert response.status_code == 422
    assert not ServiceCase.objects.filter(acted_by=ActedBy.AGENT).exists()
