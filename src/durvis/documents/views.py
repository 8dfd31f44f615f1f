"""The e-account's documents (C2): the list of the current role's documents, the upload, the
download. Every page shows the documents of the current role only (`request.client_role`); a
document of another client is "not found", never "forbidden" (its existence is not revealed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from durvis.access.policy import allowed, decide, explanation_of
from durvis.catalog import queries as catalog_queries
from durvis.documents import queries as document_queries
from durvis.documents import services as documents
from durvis.documents.forms import DirectionFilterForm, SignForm, UploadForm, UploadQuery
from durvis.documents.models import Direction, Document
from durvis.documents.rules import DocumentAction
from durvis.identity.rules import IdentityAction
from durvis.identity.sessions import actor_from_request
from durvis.mandates import queries as mandate_queries
from durvis.register import queries as register_queries
from durvis.web.roles import ClientRole
from durvis.web.shell import client_required

PAGE_SIZE = 100


@client_required
def document_list(request: HttpRequest) -> HttpResponse:
    """The role's documents, received and sent, newest first; filtered by direction."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    form = DirectionFilterForm(request.GET)
    direction = form.value("direction") or ""
    listed = document_queries.client_documents(actor_from_request(request), role.client,
                                               direction=direction or None)
    shown = list(listed[:PAGE_SIZE])
    return render(request, "documents/list.html", {
        "eaccount_section": "documents", "form": form, "query_form": form,
        "documents": shown, "openable": mandate_queries.openable(
            actor_from_request(request), role.client, [d.mandate_id for d in shown]),
        "total": listed.count(), "direction": direction, "page_size": PAGE_SIZE,
    })


def _upload_form(request: HttpRequest, role: ClientRole, data: Any = None, files: Any = None
                 ) -> UploadForm:
    cases = list(register_queries.visible_cases(
        actor_from_request(request), role.client))
    institutions = list(catalog_queries.institutions().order_by("name"))
    chosen = UploadQuery(request.GET).value("case")
    initial = {"case": next((c.pk for c in cases if c.number == chosen), None)}
    return UploadForm(data, files, initial=initial, cases=cases, institutions=institutions)


@client_required
def upload(request: HttpRequest) -> HttpResponse:
    """The client sends a document (to an institution, about a case, or for their records).
    A refused file is said next to the field, in the client's language; the title stays. A
    representative who may act only jointly sees why they cannot, instead of the form."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    if request.method != "POST":
        return render(request, "documents/upload.html", {
            "eaccount_section": "documents", "form": _upload_form(request, role),
            "query_form": UploadQuery(request.GET)})
    form = _upload_form(request, role, request.POST, request.FILES)
    if not decide(actor_from_request(request), IdentityAction.CLIENT_WRITE, client=role.client):
        # A representative who may act only jointly (C1, A12): the page says why; nothing is
        # stored.
        return render(request, "documents/upload.html", {
            "eaccount_section": "documents", "form": form}, status=403)
    if form.is_valid() and _store(request, role, form):
        messages.success(request, _("The document was uploaded."))
        return redirect("documents:list")
    return render(request, "documents/upload.html", {
        "eaccount_section": "documents", "form": form}, status=422)


def _store(request: HttpRequest, role: ClientRole, form: UploadForm) -> bool:
    """Store the upload; a refusal of the documents service becomes the form's error."""
    upload_ = form.cleaned_data["file"]
    try:
        documents.store_document(
            actor_from_request(request), client=role.client, name=upload_.name or "",
            content=upload_.read(), content_type=upload_.content_type or "",
            title=form.cleaned_data["title"], direction=Direction.SENT,
            institution=form.chosen_institution(), case=form.chosen_case())
    except ValidationError as error:
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
        return False
    except PermissionDenied as refused:
        form.add_error(None, explanation_of(refused,
                                            _("You cannot upload documents in this role.")))
        return False
    return True


@client_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the file as an attachment with its stored type; the browser must not guess another
    (nosniff), and no cache keeps a copy of personal data. Files are at most
    DURVIS_DOCUMENT_MAX_BYTES, so they are sent from memory."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    try:
        document = document_queries.open_for_download(actor_from_request(request), pk, role.client)
    except Document.DoesNotExist:
        raise Http404 from None
    with document.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@client_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The client (or whoever may sign in the client's name: a parent of a minor, a company's
    representative who may act alone, a representative whose mandate has the right to sign)
    signs a document an institution asked them to sign (C1, C2): the page shows the document,
    "I sign this document" and the signer's name; the POST signs. An electronic confirmation by
    the signed-in person, not a qualified electronic signature. A document of another client
    is "not found"; a refusal (signed already, no signature asked, no right) is said on the
    page and nothing is stored."""
    role: ClientRole = request.client_role  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    try:
        document = document_queries.document_to_sign(actor, pk, role.client)
    except Document.DoesNotExist:
        raise Http404 from None
    form = SignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        try:
            documents.sign_document(actor, client=role.client, document_id=document.pk)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            status = 422
        except PermissionDenied as refused:
            form.add_error(None, explanation_of(refused, _(
                "You cannot sign documents for this client: signing in its name needs the "
                "right to sign (a mandate with the right to apply or to read is not enough).")))
            status = 403
        else:
            messages.success(request, _("You signed the document “%(title)s”.")
                             % {"title": document.title})
            return redirect("documents:list")
        document = document_queries.document_to_sign(actor, pk, role.client)
    signature = document_queries.signature_of(document)
    return render(request, "documents/sign.html", {
        "eaccount_section": "documents", "document": document, "form": form,
        "signature": signature, "may_sign": allowed(actor, DocumentAction.SIGN, document,
                                                    role.client),
        "signer": actor.person, "openable": mandate_queries.openable(
            actor, role.client, [signature.mandate_id if signature else None]),
    }, status=status)
