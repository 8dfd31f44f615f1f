"""Forms of the inbox pages: answer a message, write to an institution (the client), send a
message to a client of a case (staff)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from durvis.core.forms import CaseNumberField, Form, PageField, QueryForm
from durvis.identity.models import Institution
from durvis.messaging.services import MAX_BODY, MAX_SUBJECT, Attachment
from durvis.register.models import ServiceCase


class InboxQuery(QueryForm):
    """The inbox page's query: the inbox or the archive (`?show=archive`), and the page."""

    show = forms.ChoiceField(label=_("Show"), required=False, initial="",
                             choices=[("", _("Inbox")), ("archive", _("Archive"))])
    page = PageField()


class CaseQuery(QueryForm):
    """`?case=<number>`: a page that preselects one of the client's cases (the case page's
    "write about this case", "upload a document for this case")."""

    case = CaseNumberField(label=_("Case number"), required=False, initial="")


class AttachmentFields(Form):
    """One optional file with its title; the documents service checks its size and type."""

    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)
    attachment_title = forms.CharField(
        label=_("Title of the attachment"), required=False, max_length=200,
        help_text=_("For example: Certificate of income. Without a title, the file name is used."))

    def attachments(self) -> list[Attachment]:
        upload = self.cleaned_data.get("attachment")
        if upload is None:
            return []
        title = self.cleaned_data.get("attachment_title") or upload.name
        return [(upload.name, upload.read(), upload.content_type or "application/octet-stream",
                 title)]


def _body_field() -> forms.CharField:
    return forms.CharField(label=_("Text"), max_length=MAX_BODY,
                           widget=forms.Textarea(attrs={"rows": 6}))


class ReplyForm(AttachmentFields):
    body = _body_field()
    field_order = ["body", "attachment", "attachment_title"]


class WriteForm(AttachmentFields):
    """A new conversation: about one of the client's cases (it goes to the case's holder) or
    with an institution of the client's choice."""

    case = forms.TypedChoiceField(label=_("About the case"), required=False, coerce=int,
                                  empty_value=None)
    institution = forms.TypedChoiceField(
        label=_("Or to the institution"), required=False, coerce=int, empty_value=None,
        help_text=_("Needed only when the message is not about a case."))
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT)
    body = _body_field()
    field_order = ["case", "institution", "subject", "body", "attachment", "attachment_title"]

    def __init__(self, *args: Any, cases: list[ServiceCase], institutions: list[Institution],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {c.pk: c for c in cases}
        self.institutions = {i.pk: i for i in institutions}
        case_field = self.fields["case"]
        institution_field = self.fields["institution"]
        assert isinstance(case_field, forms.ChoiceField)
        assert isinstance(institution_field, forms.ChoiceField)
        case_field.choices = [("", _("Not about a case")), *(
            (c.pk, f"{c.number} {c.service.name} ({c.holder.name})") for c in cases)]
        institution_field.choices = [("", _("Choose an institution")), *(
            (i.pk, i.name) for i in institutions)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("case") and not data.get("institution"):
            raise ValidationError({"institution": _("Choose a case or an institution.")})
        return data

    def chosen_case(self) -> ServiceCase | None:
        pk = self.cleaned_data.get("case")
        return self.cases[pk] if pk else None

    def chosen_institution(self) -> Institution | None:
        pk = self.cleaned_data.get("institution")
        return self.institutions[pk] if pk else None


class StaffMessageForm(AttachmentFields):
    """An employee writes to the client of a case of their institution."""

    case_number = forms.CharField(label=_("Case number"), max_length=40,
                                  help_text=_("For example 1011 123458"))
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT)
    body = _body_field()
    signature_requested = forms.BooleanField(
        label=_("Ask the client to sign the attachment"), required=False,
        help_text=_("For example an agreement. The client (or whoever may sign in the "
                    "client's name) confirms it in the e-account; this is not a qualified "
                    "electronic signature."))
    field_order = ["case_number", "subject", "body", "attachment", "attachment_title",
                   "signature_requested"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("signature_requested") and not cleaned.get("attachment"):
            self.add_error("signature_requested", ValidationError(
                _("Attach the document the client is to sign."), code="no_attachment"))
        return cleaned
