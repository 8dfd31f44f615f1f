"""Document storage (C2): the one way to store and read a client's documents.

A document is stored all or nothing: it is checked (size, kind by name and by content, what it
could do to the person who opens it by kind (`inspection`), the malware scan of the file and
of each part of an archive) before anything is written; then the file goes to Django's storage
under a random name (a client's file name may say more about them than the platform needs to
show in its storage) and the row, the audit entry and any notification are written in one transaction. A
failure after the file was written removes the file again.

Who may store: a person acting for the client (`IdentityAction.CLIENT_WRITE`) sends a document to an
institution; an institution's system or client-service staff (`DocumentAction.SEND_TO_CLIENT`) delivers
one to the client, about one of its cases or not.

Signing (`sign_document`): an institution may ask the client to sign a document it delivers
(`signature_requested`); the client, or whoever may sign in the client's name
(`DocumentAction.SIGN`), confirms it once in the e-account. This is an electronic confirmation
by the signed-in person (their authentication is the evidence, with the file's SHA-256 at that
moment), not a qualified electronic signature (eParaksts).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import unicodedata
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from durvis.access.policy import allowed, decide, require
from durvis.audit.services import record
from durvis.core.actor import Actor
from durvis.core.events import publish
from durvis.documents import filetypes, inspection
from durvis.documents.events import DOCUMENT_DELIVERED, DOCUMENT_SIGNED
from durvis.documents.inspection import file_error, size_label
from durvis.documents.models import Direction, Document, Signature
from durvis.documents.queries import case_to_write_about
from durvis.documents.rules import DocumentAction, Filing
from durvis.documents.scanning import ScannerUnavailable, configured_scanner
from durvis.identity.models import Company, Institution, Person
from durvis.identity.queries import audit_subject, owner_fields, owner_filter
from durvis.identity.rules import ClientRight, IdentityAction, service_of
from durvis.mandates.queries import relied_on
from durvis.register.models import ServiceCase

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_TITLE = 200
ORPHAN_GRACE = datetime.timedelta(hours=1)


def max_bytes() -> int:
    """The largest document accepted, in bytes (the `DURVIS_DOCUMENT_MAX_BYTES` setting)."""
    return int(settings.DURVIS_DOCUMENT_MAX_BYTES)


def check_size(size: int) -> None:
    """Refuse an empty or oversized file (`size` in bytes); callers with an upload check its
    size with this before reading it into memory. Raises ValidationError keyed `file`, code
    `empty` or `too_large` (the message names the limit, `max_bytes`)."""
    if size <= 0:
        raise file_error(_("The file is empty."), "empty")
    if size > max_bytes():
        raise file_error(_("The file is larger than %(limit)s."), "too_large",
                         limit=size_label(max_bytes()))


def clean_file_name(name: str) -> str:
    """The name to show and to send on download: the last path part, without control
    characters, at most 200 characters with the extension kept."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_NAME - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and keep > 0 else name[:MAX_NAME]
    return name


def check_kind(name: str, content: bytes, content_type: str) -> filetypes.FileKind:
    """The file's kind, when its name (extension), its content (sniffed) and the declared media
    type `content_type` agree on one allowed kind. Raises ValidationError keyed `file`, code
    `forbidden_type`, whose message names the allowed kinds, otherwise (`polyglot` for a file
    named PDF whose PDF header comes after something else)."""
    claimed = filetypes.kind_of_name(name)
    if claimed is None or filetypes.sniff(content) != claimed or not claimed.accepts_declared(
            content_type):
        if claimed is filetypes.PDF and filetypes.is_pdf_behind_something(content):
            raise file_error(_("The file is something else before it is a PDF (a web page, "
                               "for example); only plain PDF files can be uploaded."),
                             "polyglot")
        raise file_error(_("Files of this type cannot be uploaded; allowed: %(kinds)s."),
                         "forbidden_type", kinds=filetypes.allowed_labels())
    return claimed


def scan(name: str, content: bytes) -> str:
    """Run the configured malware scanner; returns its name for the record. A file it refuses,
    or a scanner without an answer, is not stored: raises ValidationError keyed `file`, code
    `malware` for a refused file and `scan_unavailable` when the scanner does not answer (the
    person may try again later)."""
    try:
        result = configured_scanner()(name, content)
    except ScannerUnavailable as error:
        log.warning("malware scan unavailable: %s", error)
        raise file_error(_("The file could not be checked for malware; please try again later."),
                         "scan_unavailable") from error
    if not result.clean:
        log.warning("malware scanner %s refused a file: %s", result.scanner, result.threat)
        raise file_error(_("The file was refused by the malware check."), "malware")
    return result.scanner


def _institution(actor: Actor, direction: str, institution: Institution | None
                 ) -> Institution | None:
    """A received document comes from the actor's own institution; a sent one goes to the
    institution the client chose (or none)."""
    if direction == Direction.SENT:
        return institution
    institution = institution or Institution.objects.filter(pk=actor.institution_id or 0).first()
    require(actor, DocumentAction.SEND_AS_INSTITUTION, institution)
    return institution


def _title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": ValidationError(_("Give the document a title."),
                                                        code="required")})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": ValidationError(
            _("The title is longer than %(limit)s characters."), code="max_length",
            params={"limit": MAX_TITLE})})
    return title


def store_document(actor: Actor, *, client: Person | Company, name: str, content: bytes,
                   content_type: str, title: str, direction: str,
                   institution: Institution | None = None, case: ServiceCase | None = None,
                   is_result: bool = False, signature_requested: bool = False,
                   attachment: bool = False) -> Document:
    """Check, scan and store one document of `client` (see the module's docstring); `content`
    is the file's bytes, `name` the file name as uploaded, `direction` a `Direction`: `sent` by
    a person acting for the client (to `institution`, or none), `received` from the actor's
    institution (`institution`, when given, must be it). Raises ValidationError keyed by field
    (`file`, `title`) with messages for people, and PermissionDenied when the actor may not
    store it.

    The codes: `title` `required` or `max_length` (200 characters); `file` `empty`,
    `too_large`, `forbidden_type`, `malware` (the file or one of its parts) or
    `scan_unavailable`, and from the inspection by kind (`documents.inspection`): `polyglot`
    (a PDF that is also a web page, a picture that is also an archive), `javascript` and
    `launch_action` (PDF), `macro` (DOCX, ODT, and documents inside an archive),
    `archive_too_large`, `archive_ratio` (a zip bomb) and `archive_nested`, `encrypted` (a
    password-protected file cannot be checked) and `damaged` (nor can a broken one). A picture
    is stored without what was appended after its end, so `size` and `sha256` are then of the
    picture alone. PermissionDenied comes from
    `DocumentAction.STORE_DOCUMENT` (a person not acting for the client, or about another
    client's case; an institution not involved in the case, or whose system lacks the
    `messages:write` scope) or `DocumentAction.SEND_AS_INSTITUTION` (a received document in the
    name of an institution other than the actor's).

    `signature_requested` (a received document only: an institution asks the client to sign
    it, `sign_document`) raises ValidationError keyed `signature_requested` (code
    `not_received`) on a sent one. `attachment`: the document is a message's attachment, which
    asks the right to answer messages rather than to apply (`Filing.attachment`).

    A document sent by someone acting for the client under a mandate records the mandate
    (`Document.mandate`, `mandates.queries.relied_on` with the right the policy asked, `apply`,
    or `answer_messages` for an attachment), and so does its audit entry."""
    require(actor, DocumentAction.STORE_DOCUMENT,
            Filing(direction, case, is_result, attachment=attachment), client)
    if signature_requested and direction != Direction.RECEIVED:
        raise ValidationError({"signature_requested": ValidationError(
            _("Only an institution asks the client to sign a document it sends."),
            code="not_received")})
    title = _title(title)
    name = clean_file_name(name)
    check_size(len(content))
    kind = check_kind(name, content, content_type)
    content = inspection.inspect(kind, name, content, scan)
    scanned_by = scan(name, content)
    institution = _institution(actor, direction, institution)
    right = ClientRight.ANSWER_MESSAGES if attachment else ClientRight.APPLY
    mandate = (relied_on(actor, client, right, service_of(case))
               if direction == Direction.SENT else None)
    stored_name = default_storage.save(
        f"documents/{timezone.now():%Y/%m}/{secrets.token_hex(16)}", ContentFile(content))
    try:
        with transaction.atomic():
            document = Document.objects.create(
                **owner_fields(client), case=case, institution=institution, direction=direction,
                is_result=is_result, title=title, file=stored_name, file_name=name,
                content_type=kind.content_type, size=len(content),
                sha256=hashlib.sha256(content).hexdigest(), scanned_by=scanned_by,
                uploaded_by=actor.person, mandate=mandate,
                signature_requested=signature_requested)
            record(actor, "documents.document.store", document, subject=audit_subject(client),
                   details={"direction": direction, "case": case.number if case else None,
                            "size": document.size, "sha256": document.sha256,
                            "is_result": is_result, "signature_requested": signature_requested,
                            "mandate": mandate.pk if mandate else None})
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return document


def attach_to_case(actor: Actor, client: Person | Company, document_ids: list[int],
                   case: ServiceCase, *, direction: str = Direction.SENT) -> int:
    """Link documents filed earlier (not yet about any case) to the client's `case`: the
    attachments the client sent with an e-form application once it became a case, to the
    case's holder (A10, C2; `direction` sent), or what an institution's agent received from
    the client before the case existed, such as the scan of a signed authorisation (A3;
    `direction` received: only those received from the actor's own institution). Only the
    client's own documents without a case move; the others are left as they are. Audited per
    document. Returns how many were linked. Raises PermissionDenied when the actor may not
    file documents about the case for the client (`DocumentAction.STORE_DOCUMENT`)."""
    require(actor, DocumentAction.STORE_DOCUMENT, Filing(direction, case), client)
    if not document_ids:
        return 0
    rows = Document.objects.filter(owner_filter(client), pk__in=document_ids,
                                   direction=direction, case__isnull=True)
    if direction == Direction.RECEIVED:
        rows = rows.filter(institution_id=actor.institution_id or 0)
    linked = list(rows)
    for document in linked:
        document.case = case
        if direction == Direction.SENT:
            document.institution_id = case.holder_id
        document.save(update_fields=["case", "institution"])
        record(actor, "documents.document.attach", document, subject=audit_subject(client),
               details={"case": case.number})
    return len(linked)


def deliver_to_client(actor: Actor, *, case_number: str, name: str, content: bytes,
                      content_type: str, title: str, is_result: bool = False,
                      signature_requested: bool = False) -> Document:
    """An institution delivers a document (a result, a decision) about one of its cases to the
    case's client (C2): stored in the client's documents and its case, and the client is told
    (results topic for a result, messages otherwise). `case_number` is as people write it
    (`9999 76544`); other arguments as in `store_document`.

    Raises PermissionDenied unless the actor is an institution's system with the
    `messages:write` scope or its client-service staff (`DocumentAction.SEND_TO_CLIENT`);
    ServiceCase.DoesNotExist for a malformed or unknown number and, alike, a case the
    institution is not involved in ("no such case"); ValidationError keyed `case` (code
    `no_client`) for a case without an identified client (anonymous, phone only); and what
    `store_document` raises (ValidationError keyed `file` or `title`)."""
    if not decide(actor, DocumentAction.SEND_TO_CLIENT):
        raise PermissionDenied("the client lacks the messages:write scope")
    case = _case_for_delivery(actor, case_number)
    client: Person | Company | None = case.client_company or case.client_person
    if client is None:
        raise ValidationError({"case": ValidationError(
            _("The case has no identified client to deliver to."), code="no_client")})
    document: Document | None = None
    try:
        with transaction.atomic():
            document = store_document(
                actor, client=client, name=name, content=content, content_type=content_type,
                title=title, direction=Direction.RECEIVED, case=case, is_result=is_result,
                signature_requested=signature_requested)
            publish(actor, DOCUMENT_DELIVERED, [(f"case:{case.pk}", {
                "document_id": document.pk, "case_id": case.pk, "number": case.number,
                "is_result": is_result, "client_person_id": case.client_person_id,
                "client_company_id": case.client_company_id})])
    except BaseException:
        if document is not None:  # its row was rolled back with the rest: no file without one
            document.file.delete(save=False)
        raise
    return document


def sign_document(actor: Actor, *, client: Person | Company, document_id: int) -> Signature:
    """The actor signs, in `client`'s name, the client's document `document_id` that an
    institution asked the client to sign (C1, C2): one `Signature` row (who signed, in whose
    name, when, the file's SHA-256 read now, and the mandate relied on: `relied_on` with the
    right `sign`), audited (`documents.document.sign`, the client as subject) and published as
    `document.signed` to the sending institution's systems (webhook), all in one transaction.
    An authentication-based confirmation, not a qualified electronic signature.

    Raises Document.DoesNotExist for an unknown id and, alike, a document the actor may not
    read in the client's role; PermissionDenied (`access.policy.Refused`, with the
    explanation for a joint representative) when the actor may not sign in the client's name
    (`DocumentAction.SIGN`: under a mandate, no `sign` right reaching the document's service);
    ValidationError keyed `document`: code `not_requested` (nobody asked for a signature) or
    `already_signed`. Nothing is stored on a refusal."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or not allowed(actor, IdentityAction.CLIENT_READ, document, client):
            raise Document.DoesNotExist
        require(actor, DocumentAction.SIGN, document, client)
        if not document.signature_requested or document.direction != Direction.RECEIVED:
            raise ValidationError({"document": ValidationError(
                _("The institution did not ask for this document to be signed."),
                code="not_requested")})
        if Signature.objects.filter(document=document).exists():
            raise ValidationError({"document": ValidationError(
                _("This document is signed already."), code="already_signed")})
        with document.file.open("rb") as stored:
            digest = hashlib.sha256(stored.read()).hexdigest()
        mandate = relied_on(actor, client, ClientRight.SIGN, service_of(document))
        assert actor.person is not None  # the rule lets only a person sign
        signature = Signature.objects.create(
            document=document, client_person_id=document.client_person_id,
            client_company_id=document.client_company_id, signed_by=actor.person,
            signed_at=timezone.now(), sha256=digest, mandate=mandate)
        record(actor, "documents.document.sign", document, subject=audit_subject(client),
               details={"signature": signature.pk, "sha256": digest,
                        "mandate": mandate.pk if mandate else None})
        _publish_signed(actor, document, signature)
    return signature


def _publish_signed(actor: Actor, document: Document, signature: Signature) -> None:
    """Tell the sending institution's systems (webhook `document.signed`): no personal data;
    they read the rest through the API."""
    case = document.case if document.case_id is not None else None
    publish(actor, DOCUMENT_SIGNED, [(f"document:{document.pk}", {
        "institutions": [document.institution_id] if document.institution_id else [],
        "webhook": {"document_id": document.pk, "case_number": case.number if case else None,
                    "signed_at": signature.signed_at.isoformat(), "sha256": signature.sha256,
                    "mandate": signature.mandate_id}})])


def _case_for_delivery(actor: Actor, number: str) -> ServiceCase:
    try:
        return case_to_write_about(actor, number)
    except ValidationError:
        raise ServiceCase.DoesNotExist from None


def sweep_orphan_files(older_than: datetime.timedelta = ORPHAN_GRACE) -> int:
    """Delete stored files that no document row names, once they are older than a stored
    document's transaction can take. They are left behind when a caller's transaction that
    wrapped `store_document` rolled back after the file was written (an inbox message whose
    second attachment was refused), or when a process died mid-way. Returns how many."""
    cutoff = timezone.now() - older_than
    removed = 0
    for name in _stored_names("documents"):
        if default_storage.get_modified_time(name) >= cutoff:
            continue
        if not Document.objects.filter(file=name).exists():
            default_storage.delete(name)
            removed += 1
    return removed


def _stored_names(folder: str) -> Iterator[str]:
    if not default_storage.exists(folder):
        return
    folders, files = default_storage.listdir(folder)
    for file_name in files:
        yield f"{folder}/{file_name}"
    for sub in folders:
        yield from _stored_names(f"{folder}/{sub}")
