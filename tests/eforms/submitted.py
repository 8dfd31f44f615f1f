"""A factory of submitted applications for the delivery tests (B9): what the journey does on
submit, done directly: a published form version, the case opened in the register by the
holder's system, the client's files stored with the case, the Application row with the case's
change position, and `application.submitted` published, all in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.events import publish
from durvis.documents import services as documents
from durvis.eforms import services as eforms
from durvis.eforms.events import APPLICATION_SUBMITTED
from durvis.eforms.models import Application, ApplicationStatus, FormVersion
from durvis.identity import services as identity
from durvis.identity.models import Company, Person
from durvis.integrations import services as integrations
from durvis.register import services as register
from tests.documents.samples import PDF, PNG
from tests.eforms.samples import q, t

FORM = {"format": "durvis-form/1", "pages": [
    {"key": "applicant", "title": t("Iesniedzējs", "Applicant"), "questions": [
        q("name", "short_text", required=True),
        q("children_count", "number", integer=True, min=0, max=20),
        q("certificate", "file"),
    ]},
]}


@dataclass
class Submitter:
    """Submits applications to services 1011 (VSAA) and 1006 (VID) for `person`."""

    system: dict[int, Actor]
    versions: dict[int, FormVersion] = field(default_factory=dict)

    def __call__(self, client: Person | Company, *, by: Person | None = None, code: int = 1011,
                 answers: dict[str, Any] | None = None, file: bytes | None = PNG,
                 pdf: bool = True) -> Application:
        acting = by or client
        assert isinstance(acting, Person)
        ids = ({"personal_code": client.personal_code} if isinstance(client, Person)
               else {"registration_number": client.registration_number})
        with transaction.atomic():
            case = register.open_case(self.system[code], register.NewCase(
                service_code=code, identification="signed_in", application_channel="eaccount",
                result_channel="eaccount", **ids))
            answers = dict(answers or {"name": str(client), "children_count": 2})
            person_actor = Actor(kind="person", person=acting)
            if file is not None:
                document = documents.store_document(
                    person_actor, client=client, name="izziņa.png", content=file,
                    content_type="image/png", title="Izziņa", direction="sent",
                    institution=case.holder, case=case)
                answers["certificate"] = {"document_id": document.pk, "name": "izziņa.png"}
            if pdf:
                documents.store_document(
                    person_actor, client=client, name="pieteikums.pdf", content=PDF,
                    content_type="application/pdf", title="Pieteikums", direction="sent",
                    institution=case.holder, case=case)
            now = timezone.now()
            owner = ({"client_person": client} if isinstance(client, Person)
                     else {"client_company": client})
            application = Application.objects.create(
                service=case.service, form_version=self.versions[code], started_by=acting,
                role_key="self" if acting == client else "company", answers=answers,
                status=ApplicationStatus.SUBMITTED, case=case, submitted_at=now,
                expires_at=now + datetime.timedelta(days=30), change_xid=case.change_xid,
                change_seq=case.change_seq, result_channel="eaccount", **owner)
            publish(person_actor, APPLICATION_SUBMITTED, [(case.number, {
                "application_id": application.pk, "reference": str(application.reference),
                "case_number": case.number, "service_code": code,
                "form_version": self.versions[code].number,
                "holder_id": case.service.holder_id})])
        return application


@pytest.fixture
def delivery_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DURVIS_MALWARE_SCANNER = "durvis.documents.scanning.eicar"
    return settings.MEDIA_ROOT


@pytest.fixture
def delivery_client(institutions):
    return identity.record_person(personal_code="161175-19997", given_name="Jānis",
                                  family_name="Bērziņš")


@pytest.fixture
def submit_application(delivery_files, institutions, catalogue, api_client_factory):
    """`submit_application(client, by=None, code=1011, answers=None, file=PNG, pdf=True)`: a submitted
    application (the VSAA and VID systems open the cases)."""
    versions = {}
    for code, holder in ((1011, "VSAA"), (1006, "VID")):
        member = identity.record_staff(
            username=f"forms.{holder.lower()}", password="pw-forms-long-enough",
            institution=institutions[holder], roles=["form_builder"])
        versions[code] = eforms.load_definition(
            Actor(kind="staff", staff=member), Service.objects.get(code=code), FORM,
            publish_it=True)
    system = {}
    for code, holder in ((1011, "VSAA"), (1006, "VID")):
        admin = identity.record_staff(
            username=f"cases.{holder.lower()}", password="pw-cases-long-enough",
            institution=institutions[holder], roles=["institution_admin"])
        client, _ = integrations.create_api_client(
            Actor(kind="staff", staff=admin), institutions[holder], "Case system",
            ["cases:write"])
        system[code] = integrations.api_actor(client)
    return Submitter(system, versions)
