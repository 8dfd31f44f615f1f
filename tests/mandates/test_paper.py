"""A mandate on paper recorded at a client-service centre (C1, A2; issue 15): the basis "a signed
paper scanned at a centre" or "a notarial deed", the scan kept as the grantor's document, the
signer's powers checked (never the agent's), every refusal storing nothing — neither the
mandate nor the scan."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from durvis.access.policy import decide
from durvis.audit.models import AuditEvent
from durvis.core.actor import Actor
from durvis.documents.models import Document
from durvis.identity import services as identity
from durvis.identity.models import Person
from durvis.identity.rules import IdentityAction
from durvis.identity.services import record_staff
from durvis.mandates.models import Mandate, MandateBasis, MandateState
from tests.documents.samples import PDF

pytestmark = pytest.mark.django_db



@pytest.fixture
def desk(family, institutions, staff_login):
    parent = family["parent"]
    Person.objects.filter(pk=parent.pk).update(phone="+37129123456",
                                               date_of_birth=datetime.date(1986, 3, 14))
    agent = record_staff(username="agent.vdaa", password="pw-agent-vdaa-long-enough",
                         institution=institutions["VDAA"], roles=["agent"])
    finance = record_staff(username="finance.vdaa", password="pw-finance-vdaa-long-enough",
                           institution=institutions["VDAA"], roles=["finance"])
    helper = identity.record_person(personal_code="05118012342", given_name="Ilze",
                                    family_name="Palīdze")
    http = staff_login(Client(), agent)
    http.get(reverse("administration:clients"), {"q": parent.personal_code})  # identified
    return {"http": http, "finance": staff_login(Client(), finance), "parent": parent,
            "helper": helper, "family": family,
            "url": reverse("administration:client-paper-mandate", args=[parent.pk])}


def _post(desk, **fields):
    data = {"basis": "scanned_paper", "document_number": "PA1234567", "grantor": "self",
            "grantee_code": desk["helper"].personal_code, "scope": "all",
            "rights": ["apply", "read"], "scan": SimpleUploadedFile(
                "pilnvara.pdf", PDF, content_type="application/pdf")}
    data.update(fields)
    return desk["http"].post(desk["url"], {k: v for k, v in data.items() if v is not None})


def test_a_signed_paper_scanned_at_the_centre_becomes_a_mandate_in_force(desk):
    response = _post(desk)
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert mandate.basis == MandateBasis.SCANNED_PAPER and mandate.state == MandateState.ACTIVE
    assert mandate.grantor_person == desk["parent"] and mandate.granted_by == desk["parent"]
    assert mandate.recorded_by_institution.code == "VDAA"
    scan = Document.objects.get(pk=mandate.evidence_document_id)
    assert scan.client_person_id == desk["parent"].pk
    assert decide(Actor(kind="person", person=desk["helper"]), IdentityAction.ACT_FOR,
                  client=desk["parent"])
    row = AuditEvent.objects.get(action="mandates.mandate.record_on_paper")
    assert row.details["identity_document"] == "4567"
    assert "PA1234567" not in str(row.details)


def test_the_grantor_sees_the_basis_the_centre_and_the_scan(desk, client_login):
    _post(desk)
    mandate = Mandate.objects.get()
    http = client_login(desk["parent"])
    with translation.override("en"):
        page = http.get(reverse("eaccount:mandate", args=[mandate.pk]),
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A signed paper scanned at a centre" in page
    assert reverse("documents:download", args=[mandate.evidence_document_id]) in page


def test_a_notarial_deed_needs_its_number_and_date(desk):
    refused = _post(desk, basis="notarial_deed")
    assert refused.status_code == 422
    page = refused.content.decode()
    assert 'id="id_deed_number-error"' in page and 'id="id_deed_date-error"' in page
    assert not Mandate.objects.exists() and not Document.objects.exists()
    future = _post(desk, basis="notarial_deed", deed_number="1234",
                   deed_date=(timezone.localdate() + datetime.timedelta(days=1)).isoformat())
    assert future.status_code == 422 and not Mandate.objects.exists()
    done = _post(desk, basis="notarial_deed", deed_number="1234", deed_notary="Zvērināta notāre",
                 deed_date="2026-11-02")
    assert done.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.deed_number, mandate.deed_date) == ("1234", datetime.date(2026, 11, 2))


@pytest.mark.parametrize(("fields", "field"), [
    ({"scan": None}, "scan"),
    ({"scan": SimpleUploadedFile("pilnvara.txt", b"text", content_type="text/plain")}, "scan"),
    ({"document_number": ""}, "document_number"),
    ({"grantee_code": "14038612043"}, "grantee_code"),  # to oneself
    ({"grantee_code": "99999999999"}, "grantee_code"),  # unknown
    ({"grantor": "company:999999"}, "grantor"),  # not one the signer may grant for
    ({"rights": []}, "rights"),
    ({"valid_until": "2001-01-01"}, "valid_until"),
])
def test_bad_input_is_refused_at_its_field_and_stores_nothing(desk, fields, field):
    response = _post(desk, **fields)
    assert response.status_code == 422
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not Mandate.objects.exists() and not Document.objects.exists()


def test_the_signer_grants_for_their_company_and_child_but_never_by_a_mandate(desk):
    company = desk["family"]["company"]
    child = desk["family"]["child"]
    page = desk["http"].get(desk["url"]).content.decode()
    assert f"company:{company.pk}" in page and f"person:{child.pk}" in page
    assert _post(desk, grantor=f"company:{company.pk}").status_code == 302
    assert Mandate.objects.get().grantor_company == company


def test_only_an_agent_with_the_client_identified_records(desk, family):
    assert desk["finance"].get(desk["url"]).status_code in (403, 404)
    stranger = reverse("administration:client-paper-mandate", args=[family["stranger"].pk])
    assert desk["http"].get(stranger).status_code == 404  # not identified in this session
    assert not Mandate.objects.exists()


def test_every_missing_field_is_named_at_once_and_a_fake_pdf_is_told_the_scans_kinds(desk):
    """The tester's findings: the scan was asked for only once the rest was right; a file
    that is not what its name says got the documents' list of every kind."""
    response = _post(desk, scan=None, document_number="", grantee_code="", rights=[])
    page = response.content.decode()
    for field in ("scan", "document_number", "grantee_code", "rights"):
        assert f'id="id_{field}-error"' in page
    assert "Šis lauks ir nepieciešams" not in page
    fake = _post(desk, scan=SimpleUploadedFile("pilnvara.pdf", b"just text",
                                               content_type="application/pdf"))
    assert fake.status_code == 422
    assert "jābūt PDF, JPEG vai PNG datnei" in fake.content.decode()
    assert not Mandate.objects.exists() and not Document.objects.exists()


def test_a_minor_grants_no_mandate_neither_at_a_centre_nor_in_the_e_account(
        desk, family, client_login):
    """A minor acts through their parents (Civil Law): the tester recorded a mandate an
    11-year-old 'signed' for herself; the e-account let her grant one too."""
    from durvis.access.policy import allowed
    from durvis.mandates.rules import MandateAction

    child = family["child"]
    Person.objects.filter(pk=child.pk).update(date_of_birth=datetime.date(2015, 5, 22))
    child.refresh_from_db()
    assert not allowed(Actor(kind="person", person=child), MandateAction.MANAGE, None, child)
    assert allowed(Actor(kind="person", person=family["parent"]), MandateAction.MANAGE, None,
                   child)
    desk["http"].get(reverse("administration:clients"), {"q": child.personal_code})
    url = reverse("administration:client-paper-mandate", args=[child.pk])
    page = desk["http"].get(url).content.decode()
    assert 'name="grantor"' not in page and "nepilngadīgā pilnvaras" in page
    http = client_login(child)
    assert http.get(reverse("eaccount:mandate-grant")).status_code == 403
