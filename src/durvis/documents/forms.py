"""Forms of the documents pages: the direction filter and the upload (C2)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from durvis.core.forms import CaseNumberField, Form, QueryForm
from durvis.documents import filetypes
from durvis.documents.models import Direction
from durvis.documents.services import MAX_TITLE, check_size, max_bytes, size_label
from durvis.identity.models import Institution
from durvis.register.models import ServiceCase


class DirectionFilterForm(QueryForm):
    """The documents page's query: show received documents, sent ones, or both (sent by GET:
    the address can be kept)."""

    direction = forms.ChoiceField(label=_("Show"), required=False,
                                  choices=[("", _("Received and sent")), *Direction.choices])


class UploadQuery(QueryForm):
    """`?case=<number>`: the case page's "upload a document for this case" preselects it."""

    case = CaseNumberField(label=_("Case number"), required=False, initial="")


class UploadForm(Form):
    """A document the client sends: a title, the file, optionally the case it is about and the
    institution it is for. The documents service checks the file itself (kind, malware)."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE,
                            help_text=_("For example: Certificate of income 2025"))
    file = forms.FileField(label=_("File"))
    case = forms.TypedChoiceField(label=_("About the case (optional)"), required=False,
                                  coerce=int, empty_value=None)
    institution = forms.TypedChoiceField(
        label=_("For the institution (optional)"), required=False, coerce=int, empty_value=None,
        help_text=_("A document about a case is for the case's institution."))

    def __init__(self, *args: Any, cases: list[ServiceCase], institutions: list[Institution],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {c.pk: c for c in cases}
        self.institutions = {i.pk: i for i in institutions}
        self.fields["file"].help_text = _("Up to %(limit)s: %(kinds)s") % {
            "limit": size_label(max_bytes()), "kinds": filetypes.allowed_labels()}
        self.fields["file"].widget.attrs["accept"] = ",".join(filetypes.allowed_extensions())
        _choice_field(self, "case").choices = [("", _("Not about a case")), *(
            (c.pk, f"{c.number} {c.service.name}") for c in cases)]
        _choice_field(self, "institution").choices = [("", _("No particular institution")), *(
            (i.pk, i.name) for i in institutions)]

    def clean_file(self) -> UploadedFile:
        """Refuse an empty or oversized file before it is read into memory."""
        upload: UploadedFile = self.cleaned_data["file"]
        try:
            check_size(upload.size or 0)
        except ValidationError as error:
            raise ValidationError(error.error_dict["file"]) from None
        return upload

    def chosen_case(self) -> ServiceCase | None:
        pk = self.cleaned_data.get("case")
        return self.cases[pk] if pk else None

    def chosen_institution(self) -> Institution | None:
        """The institution chosen, else the holder of the chosen case."""
        pk = self.cleaned_data.get("institution")
        if pk:
            return self.institutions[pk]
        case = self.chosen_case()
        return case.holder if case is not None else None


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class SignForm(Form):
    """The signing page's confirmation: no fields (the page shows what is signed, by whom); a
    refusal is the form's error, shown in the error summary."""
