"""The e-service assistant (A3): an agent at a client-service centre identifies a client who is
present, fills in the service's e-form for them through the same engine, prints the summary,
attaches the scan of the signed paper and only then confirms; the case records the agent, the
centre and the signed authorisation; the monthly list of originals per holder. Each step and
each refusal, as units and through HTTP."""

from __future__ import annotations

import datetime
import io

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from durvis.access.policy import explanation_of
from durvis.audit.models import AuditEvent
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.events import dispatch_due
from durvis.documents.models import Direction, Document
from durvis.eforms import assistant
from durvis.eforms.models import (
    ApplicationOrigin,
    ApplicationStatus,
    AssistedApplication,
)
from durvis.identity import services as identity
from durvis.register.models import ActedBy, IdentificationLevel, RegisterChannel, ServiceCase
from tests.eforms.journey import PDF, publish_form
from tests.eforms.samples import q, t

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centres")]

POINT = "Rīgas VPVKAC (Pils iela)"  # a point of the register (the `centres` fixture)
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def small_form():
    return {"format": "durvis-form/1", "pages": [
        {"key": "applicant", "title": t("Par jums", "About you"), "questions": [
            q("name", "short_text", required=True),
            q("personal_code", "personal_code", required=True),
            q("resident", "yes_no", required=True),
        ], "routing": [
            {"when": {"question": "resident", "op": "equals", "value": False},
             "end": t("Tikai iedzīvotājiem.", "Only for residents.")},
        ]},
        {"key": "payment", "title": t("Izmaksa", "Payment"), "questions": [
            q("iban", "iban", required=True),
        ]},
    ]}


@pytest.fixture
def service(institutions, catalogue):
    childbirth = catalogue["childbirth"]
    publish_form(institutions, childbirth, small_form())
    Service.objects.filter(pk=childbirth.pk).update(assistant_allowed=True)
    childbirth.refresh_from_db()
    return childbirth


@pytest.fixture
def agent(staff):
    return Actor(kind="staff", staff=staff["agent"])


@pytest.fixture
def vid_agent(institutions):
    member = identity.record_staff(username="agent.vid", password="pw-agent.vid-long-enough",
                                   institution=institutions["VID"], roles=["agent"])
    return Actor(kind="staff", staff=member)


def _identify(agent, service, person, **over):
    return assistant.identify_client(agent, service, **{
        "personal_code": person.personal_code if person else "", "document_kind": "id_card",
        "document_number": "pa 1234567", "service_point": POINT, **over})


def _fill(agent, assisted):
    from durvis.eforms import services
    application = assisted.application
    client = assistant.client_of(assisted)
    first = services.answer_page(agent, client, application, "applicant",
                                 {"name": "Jānis Bērziņš", "personal_code": "140386-12043",
                                  "resident": "yes"}, version=application.version)
    assert not first.errors, first.errors
    second = services.answer_page(agent, client, first.application, "payment",
                                  {"iban": "LV80BANK0000435195001"},
                                  version=first.application.version)
    assert not second.errors, second.errors
    assisted.application = second.application
    return assisted


def _ready(agent, service, person):
    """An assisted application filled in, its summary printed and the signed scan attached."""
    assisted = _fill(agent, _identify(agent, service, person))
    assistant.print_summary(agent, assisted, language="lv")
    assistant.attach_scan(agent, assisted, name="signed.pdf", content=PDF,
                          content_type="application/pdf")
    return assisted


# --- units --------------------------------------------------------------------------------------

def test_identify_starts_the_clients_own_application_and_logs_no_personal_code(
        agent, service, family):
    parent = family["parent"]
    assisted = _identify(agent, service, parent)
    application = assisted.application
    assert application.client_person == parent and application.started_by == parent
    assert application.origin == ApplicationOrigin.ASSISTED
    assert application.answers["personal_code"] == "14038612043"  # prefilled from the record
    assert assisted.document_kind == "id_card" and assisted.document_number == "PA1234567"
    assert assisted.institution.code == "VDAA" and assisted.service_point == POINT
    event = AuditEvent.objects.filter(action="eforms.assistant.identify").get()
    assert event.subject_person_id == parent.pk
    assert event.service_point == POINT  # "who used my data" says where (B4)
    assert parent.personal_code not in str(event.details)
    assert "PA1234567" not in str(event.details)


def test_a_service_not_marked_for_the_assistant_is_refused(agent, service, family):
    Service.objects.filter(pk=service.pk).update(assistant_allowed=False)
    service.refresh_from_db()
    with pytest.raises(PermissionDenied) as refused:
        _identify(agent, service, family["parent"])
    with translation.override("en"):
        assert "not marked" in explanation_of(refused.value, "")
    assert not AssistedApplication.objects.exists()


def test_a_client_the_population_register_does_not_know_is_refused(agent, service):
    with pytest.raises(ValidationError) as refused:
        _identify(agent, service, None, personal_code="010101-10006")
    assert refused.value.error_dict["personal_code"][0].code == "unknown"
    with pytest.raises(ValidationError) as malformed:
        _identify(agent, service, None, personal_code="010101-10005",
                  document_number="", document_kind="", service_point="")
    assert set(malformed.value.error_dict) == {"personal_code", "document_number",
                                                "document_kind", "service_point"}
    assert not AssistedApplication.objects.exists()


def test_an_agent_of_an_institution_that_neither_holds_nor_provides_is_refused(
        vid_agent, service, family):
    with pytest.raises(PermissionDenied) as refused:
        _identify(vid_agent, service, family["parent"])
    with translation.override("en"):
        assert "nor takes applications for it" in explanation_of(refused.value, "")


def test_a_staff_member_without_the_agent_role_is_refused(staff, service, family):
    with pytest.raises(PermissionDenied):
        _identify(Actor(kind="staff", staff=staff["vsaa_admin"]), service, family["parent"])


def test_another_institutions_agent_cannot_reach_the_application(agent, service, family,
                                                                 institutions):
    assisted = _identify(agent, service, family["parent"])
    vsaa_agent = Actor(kind="staff", staff=identity.record_staff(
        username="agent.vsaa", password="pw-agent.vsaa-long-enough",
        institution=institutions["VSAA"], roles=["agent"]))
    with pytest.raises(LookupError):
        assistant.assisted_application(vsaa_agent, assisted.application.reference)


def test_confirming_without_the_scan_is_refused_and_submits_nothing(agent, service, family):
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    assistant.print_summary(agent, assisted, language="lv")
    with pytest.raises(ValidationError) as refused:
        assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    assert refused.value.error_dict["scan"][0].code == "required"
    assert not ServiceCase.objects.filter(acted_by=ActedBy.AGENT).exists()
    assisted.application.refresh_from_db()
    assert assisted.application.status == ApplicationStatus.DRAFT


def test_a_scan_of_another_file_type_is_refused(agent, service, family):
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    assistant.print_summary(agent, assisted, language="lv")
    with pytest.raises(ValidationError) as refused:
        assistant.attach_scan(agent, assisted, name="signed.txt", content=b"signed",
                              content_type="text/plain")
    assert refused.value.error_dict["scan"][0].code == "forbidden_type"
    with pytest.raises(ValidationError) as lying:  # a name that lies about the content
        assistant.attach_scan(agent, assisted, name="signed.pdf", content=PNG,
                              content_type="application/pdf")
    said = lying.value.error_dict["scan"][0]
    assert said.code == "forbidden_type" and "PDF, JPEG vai PNG" in said.message
    assert "DOCX" not in said.message and "eDoc" not in said.message
    assert not Document.objects.filter(client_person=family["parent"],
                                       direction=Direction.RECEIVED).exists()


def test_a_scan_before_the_summary_is_printed_is_refused(agent, service, family):
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    with pytest.raises(ValidationError) as refused:
        assistant.attach_scan(agent, assisted, name="signed.png", content=PNG,
                              content_type="image/png")
    assert refused.value.error_dict["scan"][0].code == "not_printed"


def test_the_summary_is_a_pdf_with_the_answers_and_the_authorisation(agent, service, family):
    assisted = _fill(agent, _identify(agent, service, family["parent"]))
    printed = assistant.print_summary(agent, assisted, language="en")
    with pikepdf.open(io.BytesIO(printed.content)) as pdf:
        assert len(pdf.pages) >= 1
    assert AssistedApplication.objects.get(pk=assisted.pk).summary_printed_at is not None


def test_the_confirmed_case_records_the_agent_the_centre_and_the_signed_authorisation(
        agent, service, family, staff):
    assisted = _ready(agent, service, family["parent"])
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    case = application.case
    assert application.status == ApplicationStatus.SUBMITTED
    assert case.acted_by == ActedBy.AGENT and case.agent == staff["agent"].user
    assert case.identification == IdentificationLevel.IDENTIFIED_BY_AGENT
    assert case.application_channel == RegisterChannel.CENTRE
    assert case.provider.code == "VDAA" and case.service_point == POINT
    scan = Document.objects.get(pk=case.signed_authorisation_id)
    assert scan.case == case and scan.client_person == family["parent"]
    assert case.mandate_reference == f"signed-authorisation:{scan.pk}"
    assert AssistedApplication.objects.get(pk=assisted.pk).confirmed_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"eforms.assistant.identify", "eforms.assistant.summary", "eforms.assistant.scan",
            "eforms.assistant.confirm", "register.case.open"} <= actions
    with pytest.raises(Exception) as again:  # a second confirm shows the same case
        assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    assert again.value.application.case == case  # type: ignore[attr-defined]


def test_the_agent_must_confirm_the_client_signed(agent, service, family):
    assisted = _ready(agent, service, family["parent"])
    with pytest.raises(ValidationError) as refused:
        assistant.confirm(agent, assisted, result_channel="eaccount", signed=False)
    assert "declaration" in refused.value.error_dict


def test_the_clients_copy_is_made_for_an_assisted_application(agent, service, family):
    assisted = _ready(agent, service, family["parent"])
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    dispatch_due()
    assert Document.objects.filter(case=application.case,
                                   file_name__startswith="application-").exists()


@pytest.mark.parametrize(("language", "says"), [
    ("en", "uploaded by {agent} (agent at {point})"),
    ("lv", "augšupielādēja {agent} (aģents, {point})")])
def test_http_the_agents_submission_names_the_agent_and_the_centre(
        agent, desk, service, family, sign_in, language, says):
    assisted = _ready(agent, service, family["parent"])
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    dispatch_due()  # the application's copy, made in the client's name
    case = application.case
    member = agent.staff.user
    name = member.get_full_name() or member.get_username()
    said = says.format(agent=name, point=POINT)
    with translation.override(language):
        client_url = reverse("eaccount:case", args=[case.number])
        documents_url = reverse("documents:list")
        staff_url = reverse("administration:case", args=[case.number.replace(" ", "-")])
    client = sign_in(family["parent"])
    for page in (client.get(client_url), client.get(documents_url)):
        text = page.content.decode()
        assert page.status_code == 200 and text.count(said) == 2, text
        assert "(client)" not in text and "(klients)" not in text
    staff_page = desk.get(staff_url).content.decode()
    assert staff_page.count(said.removeprefix("uploaded by ").removeprefix("augšupielādēja ")) \
        >= 1


def test_the_monthly_originals_list_per_holder(agent, service, family, vid_agent):
    assisted = _ready(agent, service, family["parent"])
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    month = timezone.localdate().replace(day=1)
    groups = assistant.originals(agent, month)
    assert [g.holder.code for g in groups] == ["VSAA"]
    row = groups[0].rows[0]
    assert row.case_number == application.case.number and row.service_point == POINT
    csv_text = assistant.originals_csv(groups)
    assert application.case.number in csv_text and POINT in csv_text
    assert assistant.originals(vid_agent, month) == []  # another institution's centre
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    assert assistant.originals(agent, previous) == []


def test_originals_csv_cells_never_start_a_formula():
    assert assistant._cell("=cmd()") == "'=cmd()"


def test_agent_role_is_grantable(staff, vsaa_admin, institutions):
    from durvis.identity.models import StaffRole
    member = identity.record_staff(username="clerk.vsaa", password="pw-clerk.vsaa-long-enough",
                                   institution=institutions["VSAA"], roles=[])
    identity.set_staff_role(vsaa_admin, member, StaffRole.AGENT, granted=True)
    member.refresh_from_db()
    assert "agent" in member.roles


def test_the_population_register_adapter_finds_by_code(family):
    from durvis.identity.registers import population_register
    assert population_register().person("140386-12043") == family["parent"]
    assert population_register().person("010101-10006") is None
    with pytest.raises(ValidationError):
        population_register().person("010101-10005")


# --- HTTP ---------------------------------------------------------------------------------------

@pytest.fixture
def desk(client, staff, staff_login):
    return staff_login(client, staff["agent"])


def _start(desk, service, person, **over):
    return desk.post(reverse("assistant:start", args=[service.code]), {
        "personal_code": person.personal_code if person else "", "document_kind": "passport",
        "document_number": "LV1234567", "service_point": POINT, **over})


def _http_fill(desk, assisted):
    reference = assisted.application.reference
    response = desk.post(reverse("assistant:page", args=[reference, "applicant"]), {
        "name": "Jānis Bērziņš", "personal_code": "140386-12043", "resident": "yes",
        "version": "0"})
    assert response.status_code == 302, (response.status_code, response.content.decode()[-3000:])
    response = desk.post(reverse("assistant:page", args=[reference, "payment"]), {
        "iban": "LV80BANK0000435195001", "version": "1"})
    assert response["Location"] == reverse("assistant:check", args=[reference])


def test_http_the_whole_flow_and_the_client_sees_it(desk, service, family, sign_in):
    assert service.code in [s.code for s in desk.get(reverse("assistant:home")).context["services"]]
    response = _start(desk, service, family["parent"])
    assert response.status_code == 302
    assisted = AssistedApplication.objects.get()
    reference = assisted.application.reference
    assert response["Location"] == reverse("assistant:page", args=[reference, "applicant"])
    page = desk.get(response["Location"])
    assert page.status_code == 200 and "Jānis Bērziņš" in page.content.decode()
    _http_fill(desk, assisted)
    assert desk.get(reverse("assistant:check", args=[reference])).status_code == 200
    pdf = desk.get(reverse("assistant:summary", args=[reference]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    scan = io.BytesIO(PDF)
    scan.name = "signed.pdf"
    response = desk.post(reverse("assistant:scan", args=[reference]), {"scan": scan})
    assert response.status_code == 302
    response = desk.post(reverse("assistant:check", args=[reference]),
                         {"result_channel": "eaccount", "signed": "yes"})
    assert response["Location"] == reverse("assistant:done", args=[reference])
    done = desk.get(response["Location"]).content.decode()
    case = ServiceCase.objects.get(acted_by=ActedBy.AGENT)
    assert case.number in done and POINT in done
    staff_view = desk.get(reverse("administration:case", args=[case.number.replace(" ", "-")]))
    assert 'id="assisted-basis"' in staff_view.content.decode()
    client_view = sign_in(family["parent"]).get(reverse("eaccount:case", args=[case.number]))
    html = client_view.content.decode()
    assert client_view.status_code == 200 and 'id="assisted-basis"' in html
    assert "Inese" in html or "agent.centre" in html
    assert reverse("documents:download", args=[case.signed_authorisation_id]) in html


def test_http_a_service_not_marked_is_refused_with_a_message(desk, service, family):
    Service.objects.filter(pk=service.pk).update(assistant_allowed=False)
    response = desk.get(reverse("assistant:start", args=[service.code]))
    assert response.status_code == 403
    assert "e-pakalpojumu asistent" in response.content.decode()
    assert _start(desk, service, family["parent"]).status_code == 403
    assert not AssistedApplication.objects.exists()


@pytest.mark.parametrize(("language", "asks"), [
    ("en", "Enter the client&#x27;s personal code."), ("lv", "Ievadiet klienta personas kodu.")])
def test_http_an_empty_personal_code_is_asked_for(desk, service, language, asks):
    with translation.override(language):
        url = reverse("assistant:start", args=[service.code])
    response = desk.post(url, {"personal_code": " ", "document_kind": "passport",
                               "document_number": "LV1234567", "service_point": POINT})
    assert response.status_code == 422
    page = response.content.decode()
    assert asks in page and 'href="#f-personal_code"' in page
    assert "digits" not in page and "cipar" not in page
    assert not AssistedApplication.objects.exists()


@pytest.mark.parametrize(("language", "says"), [
    ("en", "The scan must be a PDF, JPEG or PNG file"),
    ("lv", "Skenējumam jābūt PDF, JPEG vai PNG datnei")])
def test_http_a_fake_pdf_scan_is_told_the_scans_kinds(desk, service, family, language, says):
    _start(desk, service, family["parent"])
    assisted = AssistedApplication.objects.get()
    _http_fill(desk, assisted)
    reference = assisted.application.reference
    desk.get(reverse("assistant:summary", args=[reference]))
    fake = io.BytesIO(b"this is no PDF at all")
    fake.name = "signed.pdf"
    with translation.override(language):
        url = reverse("assistant:scan", args=[reference])
    response = desk.post(url, {"scan": fake})
    assert response.status_code == 422
    page = response.content.decode()
    assert says in page and "DOCX" not in page and "eDoc" not in page and "TXT" not in page


def test_http_a_client_not_found_is_an_error_at_the_field(desk, service):
    response = _start(desk, service, None, personal_code="010101-10006")
    assert response.status_code == 422
    assert 'href="#f-personal_code"' in response.content.decode()
    assert not AssistedApplication.objects.exists()


def test_http_another_institutions_agent(client, staff_login, service, family, vid_agent,
                                         agent):
    vid_desk = staff_login(client, vid_agent.staff)
    assert vid_desk.get(reverse("assistant:start", args=[service.code])).status_code == 403
    assisted = _identify(agent, service, family["parent"])
    reference = assisted.application.reference
    assert vid_desk.get(reverse("assistant:page", args=[reference, "applicant"])).status_code == 404
    assert vid_desk.post(reverse("assistant:check", args=[reference]),
                         {"result_channel": "eaccount", "signed": "yes"}).status_code == 404


def test_http_confirming_without_the_scan_is_refused(desk, service, family):
    _start(desk, service, family["parent"])
    assisted = AssistedApplication.objects.get()
    _http_fill(desk, assisted)
    reference = assisted.application.reference
    response = desk.post(reverse("assistant:check", args=[reference]),
                         {"result_channel": "eaccount", "signed": "yes"})
    assert response.status_code == 422
    assert 'href="#f-scan"' in response.content.decode()
    assert not ServiceCase.objects.filter(acted_by=ActedBy.AGENT).exists()


def test_http_a_scan_of_a_bad_type_is_refused(desk, service, family):
    _start(desk, service, family["parent"])
    assisted = AssistedApplication.objects.get()
    _http_fill(desk, assisted)
    reference = assisted.application.reference
    desk.get(reverse("assistant:summary", args=[reference]))
    bad = io.BytesIO(b"not a scan")
    bad.name = "signed.docx"
    response = desk.post(reverse("assistant:scan", args=[reference]), {"scan": bad})
    assert response.status_code == 422
    assert 'id="f-scan-error"' in response.content.decode()
    none = desk.post(reverse("assistant:scan", args=[reference]), {})
    assert none.status_code == 422


def test_http_originals_page_and_csv(desk, agent, service, family):
    assisted = _ready(agent, service, family["parent"])
    application = assistant.confirm(agent, assisted, result_channel="eaccount", signed=True)
    page = desk.get(reverse("assistant:originals"))
    assert page.status_code == 200 and application.case.number in page.content.decode()
    month = f"{timezone.localdate():%Y-%m}"
    csv_response = desk.get(reverse("assistant:originals"), {"month": month, "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert application.case.number in csv_response.content.decode()
    assert desk.get(reverse("assistant:originals"), {"month": "2026-13"}).status_code == 400


def test_http_a_non_agent_sees_no_assistant(client, staff_login, staff, service):
    admin = staff_login(client, staff["vsaa_admin"])
    assert admin.get(reverse("assistant:home")).status_code == 403
    assert admin.get(reverse("assistant:originals")).status_code == 403


def test_the_catalogue_shows_the_flag(client, service):
    page = client.get(reverse("catalog:service", args=[service.code])).content.decode()
    assert 'id="assistant-allowed"' in page


def test_the_holder_marks_a_service_in_its_service_form(client, staff_login, staff, catalogue):
    admin = staff_login(client, staff["vsaa_admin"])
    url = reverse("administration:service-edit", args=[1011])
    form = admin.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"assistant_allowed": "on", "categories": [c.pk for c in form.initial["categories"]],
                 "life_situations": [s.pk for s in form.initial["life_situations"]]})
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Service.objects.get(code=1011).assistant_allowed

