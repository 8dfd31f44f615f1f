"""The e-service assistant (A3; seed 4.4.1.4 lines 2686-2695, 4.2 lines 1774-1780): an agent at
a client-service centre fills in a service's e-form for a client who is present, prints the
summary for the client to check and sign, scans the signed paper and only then confirms the
submission.

The application is an ordinary `Application` of the client (filled in through the same engine
and pages' checks: `services.answer_page`), started here with the client as `started_by` (the
client signs it). The client may be a company (its registration number, the enterprise
register): the person present then represents it (a representative who may act alone, or a
holder of the company's mandate to apply for the service: the identity rule
`client.use_service`), is its `started_by` and signs for it. An `AssistedApplication` row
beside it records the agent, their institution and centre, the identity document checked, the
company's representative and their capacity, the printed summary and the scan. The
agent acts with their own rights: the policy admits them (`rules.AssistantAction.ASSIST`, and
the application rules for assisted applications of their institution) only for services the
holder marked (`Service.assistant_allowed`) that their institution holds or provides.

On confirmation the case is opened by the agent (`register.services.open_case`: acted by an
agent, identified by the agent, at a client-service centre, the agent's institution as
provider, the centre as service point) with its basis as the case's `mandate_reference`: a
mandate in force the client granted to the agent's institution with the right to apply,
reaching the service (`mandate:<id>`; decided by the mandates app's rule
`mandates.assist_under`, looked up by `mandates.queries.held_by_institution`, asked again at
the confirmation: no scan is needed then), else the signed authorisation
(`signed-authorisation:<document id>`, `BASIS_PREFIX`), refused without the scan. An attached
scan is linked to the case as evidence. Files answered on the e-form's pages are the client's
documents received by the agent's institution (`services.upload_file`), linked to the case
with it. Every step is in the activity log; the personal code never is (the person present is
the entry's subject), nor the document number.

Refusals: PermissionDenied (`access.policy.Refused`, with an explanation for the agent) for a
service not marked, another institution's service or application, a non-agent;
ValidationError keyed by field (below) for bad input; `services.ApplicationClosed` for an
application no longer a draft.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from durvis.access.policy import decide, require, visible
from durvis.audit.services import record
from durvis.catalog.models import Audience, Channel, Service, ServiceStatus, Stage
from durvis.catalog.queries import serving
from durvis.core.actor import Actor
from durvis.documents.models import Direction, Document
from durvis.documents.services import attach_to_case, store_document
from durvis.eforms import services
from durvis.eforms.engine import CompiledForm, walk
from durvis.eforms.models import (
    Application,
    ApplicationOrigin,
    ApplicationStatus,
    AssistedApplication,
    IdentityDocument,
    VersionStatus,
)
from durvis.eforms.queries import compiled, live_version
from durvis.eforms.rules import ApplicationAction, AssistantAction
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import owner_fields
from durvis.identity.registers import enterprise_register, population_register
from durvis.identity.rules import ClientRight, IdentityAction
from durvis.mandates import queries as mandates
from durvis.mandates.models import Mandate
from durvis.mandates.rules import MandateAction
from durvis.register.models import (
    SIGNED_AUTHORISATION,
    ActedBy,
    IdentificationLevel,
    RegisterChannel,
)
from durvis.register.services import NewCase, open_case
from durvis.servicepoints import queries as point_queries

# The case's basis: `signed-authorisation:<document id>` in `ServiceCase.mandate_reference`.
BASIS_PREFIX = SIGNED_AUTHORISATION
# The scans the assistant accepts: a PDF from the centre's scanner, or a photo of the page.
SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{4,20}")


def _field(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def assisted_services(actor: Actor) -> QuerySet[Service]:
    """The services the agent may serve clients for: published, marked for the assistant, with
    a live e-form, held by the agent's institution or with its application stage delegated to
    it today; by code. Empty for anybody the
    policy refuses the assistant."""
    require(actor, AssistantAction.ASSIST)
    return (Service.objects.filter(
        status=ServiceStatus.PUBLISHED, assistant_allowed=True,
        eform__versions__status=VersionStatus.PUBLISHED)
        .filter(serving(actor.institution_id, Stage.APPLICATION))
        .distinct().order_by("code"))


def centre_choices(language: str) -> list[tuple[str, str]]:
    """Where an agent may say they serve the client (A3): every active point of the service
    points' register (A1) as (the stored value — its name —, its name in `language`)."""
    return point_queries.labelled_choices(language)


def identify_client(actor: Actor, service: Service, *, personal_code: str, document_kind: str,
                    document_number: str, service_point: str,
                    registration_number: str = "") -> AssistedApplication:
    """The agent identifies the client in person and starts the client's application for
    `service` (A3): the personal code is looked up in the population register adapter
    (`identity.registers.population_register().person`), the identity document checked is
    recorded by kind and number (upper case, spaces dropped), the centre is a point of the
    service points' register (`servicepoints.queries.point_choices`: stored by its name). The
    draft is prefilled from the client's own record, as the client's own start would be.

    A company is served when `registration_number` is given: the company is looked up in the
    enterprise register adapter (`enterprise_register().company`), and the person of the
    personal code is the one present who acts for it: they must be entitled to apply for the
    service in its name (`identity.rules` `client.use_service`: a representative who may act
    alone by the enterprise register, or a mandate of the company with the right to apply
    reaching the service); their capacity is recorded (`AssistedApplication.representative`,
    `representative_basis`). The application is the company's.

    Raises PermissionDenied (`AssistantAction.ASSIST`: not an agent, the service not marked,
    not the agent's institution's); ValidationError keyed `personal_code` (`required`: empty;
    the code's own error; `unknown`: nobody has it; `not_representative`: the person may not
    apply for the company), `registration_number` (the number's own error; `unknown`;
    `audience`: a company for a service for residents), `document_kind` / `service_point`
    (`required`), `document_number` (`required`, `format`: 4 to 20 letters and digits), and
    `__all__` `audience` (a person for a service for companies), `no_form` when the service has
    no live e-form."""
    require(actor, AssistantAction.ASSIST, service)
    problems: dict[str, ValidationError] = {}
    person = _person_present(personal_code, problems)
    company = _company_served(registration_number, service, problems) \
        if registration_number.strip() else None
    if document_kind not in IdentityDocument.values:
        problems["document_kind"] = ValidationError(
            gettext("Choose the identity document you checked."), code="required")
    number = "".join(document_number.split()).upper()
    if not number:
        problems["document_number"] = ValidationError(
            gettext("Enter the number of the identity document you checked."), code="required")
    elif not DOCUMENT_NUMBER.fullmatch(number):
        problems["document_number"] = ValidationError(gettext(
            "A document number has 4 to 20 letters and digits."), code="format")
    if service_point not in point_queries.point_choices():
        problems["service_point"] = ValidationError(
            gettext("Choose the centre where you serve the client."), code="required")
    capacity = ""
    if person is not None and company is not None:
        capacity = _capacity(person, company, service, problems)
    if company is None and "registration_number" not in problems and not _audience_fits(
            service, person):
        problems["registration_number"] = ValidationError(gettext(
            "This service is for companies: enter the company's registration number and the "
            "personal code of the person who represents it."), code="audience")
    if problems:
        raise ValidationError(problems)
    assert person is not None
    client: Person | Company = company if company is not None else person
    require(actor, AssistantAction.ASSIST, service, client)
    version = live_version(service)
    if version is None:
        raise ValidationError(gettext("This service takes no applications online."),
                              code="no_form")
    form = compiled(version)
    answers = services.strip_hidden(form, services.platform_prefill(
        form, Actor(kind="person", person=person), client))
    assert actor.staff is not None
    with transaction.atomic():
        application = Application.objects.create(
            **owner_fields(client), service=service, form_version=version, started_by=person,
            role_key=f"company:{company.pk}" if company is not None else "self",
            origin=ApplicationOrigin.ASSISTED, answers=answers, pages_done=[],
            current_page=form.pages[0].key, expires_at=services._expiry())
        assisted = AssistedApplication.objects.create(
            application=application, agent=actor.staff.user, institution=actor.staff.institution,
            service_point=service_point, document_kind=document_kind, document_number=number,
            representative=person if company is not None else None,
            representative_basis=capacity)
        record(actor, "eforms.assistant.identify", application, subject=person,
               service_point=service_point, details={"service": service.code, "document_kind": document_kind,
                        "service_point": service_point, "version": version.number,
                        "company": company.pk if company is not None else None,
                        "representative_basis": capacity or None})
    return assisted


def _person_present(personal_code: str, problems: dict[str, ValidationError]) -> Person | None:
    """The person of the personal code (the population register), or a problem keyed
    `personal_code`."""
    try:
        if not personal_code.strip():
            problems["personal_code"] = ValidationError(
                gettext("Enter the client's personal code."), code="required")
            return None
        person = population_register().person(personal_code)
    except ValidationError as error:
        problems["personal_code"] = error
        return None
    if person is None:
        problems["personal_code"] = ValidationError(gettext(
            "The population register has no person with this personal code."), code="unknown")
    return person


def _company_served(registration_number: str, service: Service,
                    problems: dict[str, ValidationError]) -> Company | None:
    """The company of the registration number (the enterprise register), for a service a
    company may receive; or a problem keyed `registration_number`."""
    try:
        company = enterprise_register().company(registration_number)
    except ValidationError as error:
        problems["registration_number"] = error
        return None
    if company is None:
        problems["registration_number"] = ValidationError(gettext(
            "The enterprise register has no company with this registration number."),
            code="unknown")
    elif not _audience_fits(service, company):
        problems["registration_number"] = ValidationError(gettext(
            "This service is for residents: the assistant serves a company only for a service "
            "for companies."), code="audience")
        return None
    return company


def _audience_fits(service: Service, client: Person | Company | None) -> bool:
    if client is None or service.audience == Audience.ALL:
        return True
    wanted = Audience.COMPANIES if isinstance(client, Company) else Audience.RESIDENTS
    return bool(service.audience == wanted)


def _capacity(person: Person, company: Company, service: Service,
              problems: dict[str, ValidationError]) -> str:
    """What lets `person` apply for `service` in `company`'s name (the identity rule
    `client.use_service`): `role:company:<id>` by the enterprise register (a representative who
    may act alone), `mandate:<id>` by a mandate of the company (`mandates.queries.relied_on`);
    "" with a problem keyed `personal_code` when nothing does."""
    representative = Actor(kind="person", person=person)
    if not decide(representative, IdentityAction.USE_SERVICE, service, company):
        problems["personal_code"] = ValidationError(gettext(
            "This person may not apply for the company: by the enterprise register they are "
            "not a representative who may act alone, and they hold no mandate of the company "
            "to apply for this service."), code="not_representative")
        return ""
    mandate = mandates.relied_on(representative, company, ClientRight.APPLY, service.pk)
    return mandate.reference() if mandate is not None else f"role:company:{company.pk}"


def assisted_application(actor: Actor, reference: Any) -> AssistedApplication:
    """The assisted application with this reference that the agent may work on (their
    institution's); LookupError for any other (another institution's is not revealed)."""
    found = (AssistedApplication.objects.select_related(
        "application", "application__service", "application__service__holder",
        "application__client_person", "application__client_company",
        "application__form_version", "application__case", "institution", "agent", "scan",
        "representative")
        .filter(application__reference=reference).first())
    if found is None or not _may(actor, ApplicationAction.READ, found):
        raise LookupError("no such assisted application")
    return found


def _may(actor: Actor, action: str, assisted: AssistedApplication) -> bool:
    return bool(decide(actor, action, assisted.application, client_of(assisted)))


def client_of(assisted: AssistedApplication) -> Person | Company:
    """Whose application it is: the company served, else the person."""
    application = assisted.application
    client = application.client_company or application.client_person
    assert client is not None
    return client


def present(assisted: AssistedApplication) -> Person:
    """The person present at the centre: the company's representative, else the client."""
    application = assisted.application
    person = assisted.representative or application.client_person
    assert person is not None
    return person


def is_complete(form: CompiledForm, application: Application) -> bool:
    """Whether every page on the answers' path is answered and the form does not end early."""
    path = walk(form, application.answers)
    return path.ending is None and all(p in application.pages_done for p in path.pages)


def _writable(actor: Actor, assisted: AssistedApplication) -> Application:
    """The assisted application's row locked, after the policy let the agent write it."""
    locked = (Application.objects.select_for_update()
              .filter(pk=assisted.application_id).first())
    if locked is None:
        raise LookupError("no such application")
    require(actor, ApplicationAction.WRITE, locked, client_of(assisted))
    return locked


@dataclass(frozen=True)
class Summary:
    """The printed summary: the PDF's bytes and its file name."""

    content: bytes
    file_name: str


def print_summary(actor: Actor, assisted: AssistedApplication, *, language: str) -> Summary:
    """The summary for the client to check and sign (A3): every visible answer by page, the
    client, the agent, their institution and centre, and the authorisation the client signs
    ("I checked the information and authorise the agent to submit it for me"), in `language`
    (`lv`, `en`), rendered by WeasyPrint. Only of a complete draft; records when it was printed
    (audited). Raises PermissionDenied, `services.ApplicationClosed`, ValidationError
    `__all__` `incomplete` (a page still to answer)."""
    from weasyprint import HTML

    from durvis.eforms.pdf import summary

    application = assisted.application
    form = compiled(application.form_version)
    with transaction.atomic():
        locked = _writable(actor, assisted)
        services._open(locked)
        if not is_complete(form, locked):
            raise ValidationError(gettext("Answer every page before you print the summary."),
                                  code="incomplete")
        now = timezone.now()
        AssistedApplication.objects.filter(pk=assisted.pk).update(summary_printed_at=now)
        assisted.summary_printed_at = now
        record(actor, "eforms.assistant.summary", locked, subject=present(assisted),
               service_point=assisted.service_point, details={"service": locked.service.code})
    with translation.override(language):
        html = render_to_string("eforms/assisted_summary_pdf.html", {
            "application": locked, "assisted": assisted, "service": locked.service,
            "client": client_of(assisted), "pages": summary(form, locked.answers),
            "printed_at": timezone.localtime(now), "language": language,
        })
    return Summary(bytes(HTML(string=html).write_pdf()),
                   f"summary-{locked.service.code}-{str(locked.reference)[:8]}.pdf")


def attach_scan(actor: Actor, assisted: AssistedApplication, *, name: str, content: bytes,
                content_type: str) -> Document:
    """Store the scan of the summary the client signed (a PDF, JPEG or PNG; the documents
    service checks that the content is what the name says, its size, and scans it) as the
    client's document received from the agent's institution, the basis of the submission.
    A new scan replaces the one before (that one stays among the client's documents, not
    linked). Only after the summary was printed. Raises PermissionDenied,
    `services.ApplicationClosed`, ValidationError keyed `scan`: `required` (no file),
    `not_printed` (print the summary first), `forbidden_type` (another kind of file) and the
    documents service's file codes (`empty`, `too_large`, `malware`, `damaged`, ...)."""
    if not content and not name:
        raise _field("scan", gettext("Choose the scan of the signed summary."), "required")
    if not name.lower().endswith(SCAN_EXTENSIONS):
        raise _field("scan", gettext("The scan must be a PDF, JPEG or PNG file."),
                     "forbidden_type")
    with transaction.atomic():
        locked = _writable(actor, assisted)
        services._open(locked)
        current = AssistedApplication.objects.select_for_update().get(pk=assisted.pk)
        if current.summary_printed_at is None:
            raise _field("scan", gettext("Print the summary for the client to sign first."),
                         "not_printed")
        client = client_of(assisted)
        with translation.override("lv"):
            title = gettext("Signed authorisation: %(service)s") % {
                "service": locked.service.name}
        try:
            document = store_document(
                actor, client=client, name=name, content=content, content_type=content_type,
                title=title[:200], direction=Direction.RECEIVED,
                institution=Institution.objects.get(pk=actor.institution_id or 0))
        except ValidationError as error:
            raise ValidationError({"scan": _scan_problems(error)}) from None
        current.scan = document
        current.save(update_fields=["scan"])
        assisted.scan = document
        record(actor, "eforms.assistant.scan", locked, subject=present(assisted),
               service_point=assisted.service_point,
               details={"document": document.pk, "sha256": document.sha256})
    return document


def _scan_problems(error: ValidationError) -> list[ValidationError]:
    """The documents service's refusal of a scan, as the scan's: a file that is not what its
    name says (`forbidden_type`) is told the kinds a scan may be, not every kind a document
    may be; the other problems (size, malware, damaged, ...) in the service's words."""
    problems = [problem for found in error.error_dict.values() for problem in found] \
        if hasattr(error, "error_dict") else error.error_list
    return [ValidationError(gettext("The scan must be a PDF, JPEG or PNG file, and this file's "
                                    "content is not what its name says."),
                            code="forbidden_type")
            if problem.code == "forbidden_type" else problem for problem in problems]


def mandate_basis(actor: Actor, assisted: AssistedApplication) -> Mandate | None:
    """The mandate the agent's submission will rest on instead of the client's signed paper: a
    mandate in force that the client granted to the agent's institution with the right to apply
    and reaching the application's service (`mandates.rules.MandateAction.ASSIST_UNDER`, the
    lookup `mandates.queries.held_by_institution`, the oldest such); None when there is none
    (the scan of the signed summary is then the basis). Asked afresh every time: a mandate
    revoked or expired counts from that moment. Raises nothing."""
    application = assisted.application
    client = client_of(assisted)
    if not decide(actor, MandateAction.ASSIST_UNDER, application.service, client):
        return None
    return mandates.held_by_institution(actor.institution_id, client, ClientRight.APPLY,
                                        application.service_id)


def confirm(actor: Actor, assisted: AssistedApplication, *, result_channel: str,
            service_point: str = "", signed: bool) -> Application:
    """The agent confirms the submission (A3), in one transaction. Its basis: a mandate in
    force the client granted to the agent's institution for the service (`mandate_basis`;
    the case records `mandate:<id>`, the agent confirms the client checked the answers), else
    the scan of the signed summary (`signed-authorisation:<id>`; refused without it, `scan`
    `required`: nothing is submitted; the agent confirms the client checked and signed it).
    `signed` is that confirmation. Every answer checked as the client's own submit checks
    them (`services.check_submission`); the case opened by the agent (acted by an agent,
    identified by the agent, at a client-service centre, the agent's institution providing,
    the centre as service point, the basis); an attached scan linked to the case; the
    application submitted as the client's own is (`services.record_submission`: the PDF copy,
    the holder's delivery, the client told); audited, the entry naming the mandate or the
    scan. A second confirm raises ApplicationClosed with the case.

    Raises ValidationError keyed `scan` (`required`), `declaration` (`required`), by question,
    `result_channel`, `service_point`; PermissionDenied; `services.ApplicationClosed`."""
    application = assisted.application
    form = compiled(application.form_version)
    client = client_of(assisted)
    with transaction.atomic():
        locked = _writable(actor, assisted)
        if locked.status == ApplicationStatus.SUBMITTED:
            raise services.ApplicationClosed(locked)
        services._open(locked)
        current = AssistedApplication.objects.select_for_update().get(pk=assisted.pk)
        mandate = mandate_basis(actor, assisted)
        if mandate is None and current.scan_id is None:
            raise _field("scan", gettext(
                "Attach the scan of the summary the client signed before you confirm: nothing "
                "was submitted."), "required")
        services.check_submission(
            form, locked, client, result_channel=result_channel, service_point=service_point,
            declared=signed, declaration=gettext(
                "Confirm that the client checked and signed the printed summary.")
            if mandate is None else gettext("Confirm that the client checked the answers."))
        institution = current.institution
        case = open_case(actor, NewCase(
            service_code=locked.service.code,
            identification=IdentificationLevel.IDENTIFIED_BY_AGENT,
            application_channel=RegisterChannel.CENTRE, acted_by=ActedBy.AGENT,
            personal_code=client.personal_code if isinstance(client, Person) else "",
            registration_number=client.registration_number if isinstance(client, Company)
            else "", provider_code=institution.code,
            service_point=current.service_point,
            mandate_reference=(mandate.reference() if mandate is not None
                               else f"{BASIS_PREFIX}{current.scan_id}"),
            result_channel=result_channel, holder_reference=str(locked.reference)))
        if current.scan_id is not None:
            attach_to_case(actor, client, [current.scan_id], case,
                           direction=Direction.RECEIVED)
        services.record_submission(actor, client, locked, form, case,
                                   result_channel=result_channel, service_point=service_point)
        current.confirmed_at = timezone.now()
        current.save(update_fields=["confirmed_at"])
        record(actor, "eforms.assistant.confirm", locked, subject=present(assisted),
               service_point=current.service_point,
               details={"service": locked.service.code, "case": case.number,
                        "scan": current.scan_id, "service_point": current.service_point,
                        "mandate": mandate.pk if mandate is not None else None,
                        "representative_basis": current.representative_basis or None})
    assisted.confirmed_at = current.confirmed_at
    return locked


# --- the signed originals, sent to the holders month by month ---------------------------------

@dataclass(frozen=True)
class Original:
    """One signed original collected: the case number, when it was confirmed, the agent's name,
    the centre."""

    case_number: str
    confirmed_at: datetime.datetime
    agent: str
    service_point: str


@dataclass(frozen=True)
class HolderOriginals:
    """The originals one holder receives for a month."""

    holder: Institution
    rows: list[Original]


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of `month` (its first day) and of the next, in the platform's zone."""
    start = timezone.make_aware(datetime.datetime(month.year, month.month, 1))
    following = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, timezone.make_aware(datetime.datetime.combine(following, datetime.time()))


def originals(actor: Actor, month: datetime.date, *, holder_code: str = "") -> list[HolderOriginals]:
    """The signed originals the agent's institution collected in `month` (confirmed
    submissions resting on the signed authorisation; one resting on a mandate has none), by
    holder (by code), each holder's by confirmation time; `holder_code`
    narrows to one holder. Audited (the list names cases of clients). Raises PermissionDenied
    (`AssistantAction.ORIGINALS`: not an agent)."""
    require(actor, AssistantAction.ORIGINALS)
    start, end = month_bounds(month)
    rows = visible(actor, AssistantAction.ORIGINALS, AssistedApplication.objects.filter(
        confirmed_at__gte=start, confirmed_at__lt=end,
        application__case__mandate_reference__startswith=BASIS_PREFIX)).select_related(
        "application__case", "application__service__holder", "agent").order_by(
        "application__service__holder__code", "confirmed_at", "pk")
    if holder_code:
        rows = rows.filter(application__service__holder__code=holder_code)
    grouped: dict[int, HolderOriginals] = {}
    for row in rows:
        holder = row.application.service.holder
        case = row.application.case
        assert row.confirmed_at is not None and case is not None
        grouped.setdefault(holder.pk, HolderOriginals(holder, [])).rows.append(Original(
            case.number, timezone.localtime(row.confirmed_at),
            row.agent.get_full_name() or row.agent.get_username(), row.service_point))
    record(actor, "eforms.assistant.originals", None,
           details={"month": month.strftime("%Y-%m"), "holder": holder_code or None,
                    "rows": sum(len(h.rows) for h in grouped.values())})
    return list(grouped.values())


def originals_csv(found: list[HolderOriginals]) -> str:
    """The list as CSV (UTF-8, comma-separated, a header row): holder, case number, date
    (YYYY-MM-DD), agent, service point."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext("Holder"), gettext("Case number"), gettext("Date"),
                     gettext("Agent"), gettext("Service point")])
    for group in found:
        for row in group.rows:
            writer.writerow([_cell(group.holder.code), _cell(row.case_number),
                             row.confirmed_at.date().isoformat(), _cell(row.agent),
                             _cell(row.service_point)])
    return out.getvalue()


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet does not run as a formula (OWASP CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def result_channels(service: Service) -> list[tuple[str, Any]]:
    """The result channels offered, as (value, label)."""
    return [(c, Channel(c).label) for c in services.result_channels(service)]
