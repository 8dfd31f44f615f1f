"""Delivery of submitted applications to the holder's systems (B9, A10, B1): what a holder's
system is told of an application, the same body whether it comes as the signed webhook
`application.submitted` (`durvis.eforms.handlers`) or from the feed it polls
(`GET /api/v1/applications?since=`, `durvis.eforms.api`).

Unlike every other webhook, this one carries personal data: the answers by question key, the
client's identifier and the acting person. It is written to the outbox as a secret message,
whose payload is removed once it is delivered or given up (`integrations.services.emit(...,
secret=True)`), and the activity log says which endpoint was sent whose data. The files are not
in the body: each attachment and the PDF copy is a link to the API
(`GET /api/v1/applications/{reference}/attachments/{document_id}`), read with the system's token
and audited like every read.

The body (`application_body`), keys in this order:

- `reference` (UUID), `case_number`, `service_code`;
- `form`: `{"version": <number>, "checksum": <SHA-256 of the version's canonical JSON>}`;
- `client`: `{"kind": "person"|"company", "personal_code", "registration_number", "name"}`;
- `acting_person`: `{"personal_code", "name", "relation"}` (`client`, `parent`, `guardian`,
  `trustee`, `mandate`, `representative`: `identity.queries.relation_to`): who filled and
  submitted it for the client;
- `origin` (`platform`, `holder`, `embedded`), `result_channel`, `service_point`;
- `submitted_at` (ISO 8601, UTC);
- `answers`: the answers by question key, as the form's format writes them (`docs/eforms.md`);
- `attachments`: `[{"question", "document_id", "title", "file_name", "content_type", "size",
  "sha256", "url"}]` for each file answer (`question` is the key, `group.<index>.key` inside a
  repeating group);
- `pdf`: the PDF copy of the application as the same object without `question`, or null;
- `acknowledged_at`: when the holder acknowledged receipt (`POST /cases/{number}/acknowledge`),
  or null (the webhook is written at submission: always null there).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from durvis.access.policy import decide, require, visible
from durvis.audit.services import Entry, record, record_many
from durvis.catalog.models import Service
from durvis.core.actor import Actor
from durvis.core.changes import ChangeCursor, changed_after, horizon, position_of
from durvis.documents.models import Direction, Document
from durvis.eforms.engine import file_answers
from durvis.eforms.models import Application, ApplicationStatus
from durvis.eforms.queries import compiled
from durvis.eforms.rules import FormAction
from durvis.identity.queries import acting_person, audit_subject_of

ATTACHMENT_PATH = "/api/v1/applications/{reference}/attachments/{document_id}"
PDF = "application/pdf"


def submitted() -> QuerySet[Application]:
    """Submitted applications with what their body needs (one query for the rows)."""
    return (Application.objects.filter(status=ApplicationStatus.SUBMITTED, case__isnull=False)
            .select_related("service", "form_version", "case", "client_person",
                            "client_company", "started_by"))


def attachment_url(application: Application, document_id: int) -> str:
    """The absolute API address of one file of the application (`DURVIS_PUBLIC_URL`)."""
    base = str(settings.DURVIS_PUBLIC_URL).rstrip("/")
    return base + ATTACHMENT_PATH.format(reference=application.reference,
                                         document_id=document_id)


def case_documents(applications: Iterable[Application]) -> dict[int, list[Document]]:
    """The documents the clients sent with their applications' cases, by case id, oldest
    first (one query)."""
    found: dict[int, list[Document]] = {}
    case_ids = [a.case_id for a in applications if a.case_id is not None]
    for document in Document.objects.filter(case_id__in=case_ids, direction=Direction.SENT
                                            ).order_by("created_at", "pk"):
        assert document.case_id is not None
        found.setdefault(document.case_id, []).append(document)
    return found


def _file_out(application: Application, document: Document) -> dict[str, Any]:
    return {"document_id": document.pk, "title": document.title,
            "file_name": document.file_name, "content_type": document.content_type,
            "size": document.size, "sha256": document.sha256,
            "url": attachment_url(application, document.pk)}


def _client_out(application: Application) -> dict[str, Any]:
    if application.client_company is not None:
        return {"kind": "company", "personal_code": None,
                "registration_number": application.client_company.registration_number,
                "name": application.client_company.name}
    person = application.client_person
    assert person is not None  # ClientOwnedRequired: one owner
    return {"kind": "person", "personal_code": person.personal_code,
            "registration_number": None, "name": str(person)}


def _utc(moment: datetime.datetime) -> str:
    """ISO 8601 in UTC to the millisecond (`2026-12-01T09:30:00.123Z`), as the API's JSON
    renderer writes its times: the webhook and the feed carry the same body."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def application_body(application: Application, documents: list[Document]) -> dict[str, Any]:
    """What a holder's system receives of a submitted application (the module's docstring lists
    the keys), JSON-ready; `documents` are those the client sent with its case
    (`case_documents`). The file answers name their documents; the PDF copy is the other PDF
    document of the case (the journey stores it there), if any."""
    assert application.case is not None and application.submitted_at is not None
    by_id = {d.pk: d for d in documents}
    form = compiled(application.form_version)
    attachments = []
    for key, document_id in file_answers(form, application.answers):
        document = by_id.get(document_id)
        if document is not None:
            attachments.append({"question": key, **_file_out(application, document)})
    answered = {a["document_id"] for a in attachments}
    copy = next((d for d in documents if d.pk not in answered and d.content_type == PDF), None)
    acting = acting_person(application.started_by, application)
    return {
        "reference": str(application.reference),
        "case_number": application.case.number,
        "service_code": application.service.code,
        "form": {"version": application.form_version.number,
                 "checksum": application.form_version.checksum},
        "client": _client_out(application),
        "acting_person": None if acting is None else {
            "personal_code": acting.person.personal_code, "name": str(acting.person),
            "relation": acting.relation.value},
        "origin": application.origin,
        "result_channel": application.result_channel,
        "service_point": application.service_point,
        "submitted_at": _utc(application.submitted_at),
        "answers": application.answers,
        "attachments": attachments,
        "pdf": _file_out(application, copy) if copy is not None else None,
        "acknowledged_at": (_utc(application.case.acknowledged_at)
                            if application.case.acknowledged_at else None),
    }


def bodies(applications: list[Application]) -> list[dict[str, Any]]:
    """`application_body` of each (their documents read in one query)."""
    documents = case_documents(applications)
    return [application_body(a, documents.get(a.case_id or 0, [])) for a in applications]


# --- Reads by the holder's systems (the API) ---------------------------------------------------

PURPOSE = "delivery to the holder's system"


def applications_since(actor: Actor, cursor: ChangeCursor, limit: int = 100
                       ) -> tuple[list[dict[str, Any]], ChangeCursor]:
    """The bodies of applications submitted after `cursor`, in the order their submissions
    committed (`durvis.core.changes`: a submission whose transaction commits late behind a
    later one is listed later, never skipped), for the services the actor's institution holds
    or provides within its token's services; and the cursor to ask with next (`cursor` itself
    when nothing is new). Each is listed once (its position is the case's when it was opened;
    a later acknowledgement does not list it again). Every read is audited with the client as
    its subject. `ChangeCursor()` is the beginning; at most `limit` (1 to 500) are returned.
    Raises PermissionDenied unless the actor is a system with the `applications:read` scope
    (`FormAction.READ_APPLICATIONS`, B9)."""
    require(actor, FormAction.READ_APPLICATIONS)
    services = set(visible(actor, FormAction.READ_APPLICATIONS, Service.objects.all())
                   .values_list("pk", flat=True))
    seen = horizon()  # before the audit rows below
    page = list(changed_after(submitted().filter(service_id__in=services), cursor, seen)[:limit])
    record_many(actor, [Entry.about("eforms.application.read", a, subject=audit_subject_of(a),
                                    purpose=PURPOSE) for a in page])
    return bodies(page), (position_of(page[-1]) if page else cursor)


def _readable(actor: Actor, reference: str) -> Application:
    """The submitted application `reference` if the actor's system may read it. Raises
    PermissionDenied without the scope, and Application.DoesNotExist for an unknown reference,
    a draft, or an application of a service outside the actor's (alike: "not found")."""
    require(actor, FormAction.READ_APPLICATIONS)
    application = submitted().filter(reference=reference).first()
    if application is None or not decide(actor, FormAction.READ_APPLICATIONS,
                                         application.service):
        raise Application.DoesNotExist
    return application


def read_application(actor: Actor, reference: str) -> dict[str, Any]:
    """The body of one submitted application (`reference`, a UUID); audited. Raises as
    `_readable`: PermissionDenied without the `applications:read` scope,
    Application.DoesNotExist for an unknown or foreign one (B9)."""
    application = _readable(actor, reference)
    record(actor, "eforms.application.read", application, subject=audit_subject_of(application),
           purpose=PURPOSE)
    return bodies([application])[0]


def open_attachment(actor: Actor, reference: str, document_id: int) -> Document:
    """One file of a submitted application (a file answer's document or its PDF copy: a
    document the client sent with its case) for the actor's system to download; audited.
    Raises as `_readable`, and Document.DoesNotExist for a document that is not one of the
    application's (another case's, or one the institution delivered)."""
    application = _readable(actor, reference)
    document = Document.objects.filter(pk=document_id, case_id=application.case_id,
                                       direction=Direction.SENT).first()
    if document is None:
        raise Document.DoesNotExist
    record(actor, "eforms.application.attachment.read", document,
           subject=audit_subject_of(application), purpose=PURPOSE,
           details={"application": str(application.reference)})
    return document


def holder_institutions(application: Application) -> list[int]:
    """The institutions told of a submission by webhook: the service's holder (B9)."""
    return [application.service.holder_id]

