"""The service form of the institution administrator (A5): both languages side by side."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from durvis.catalog.models import Channel, Service
from durvis.core.forms import ModelForm, VersionField
from durvis.identity.models import Institution

SCALAR_FIELDS = [
    "name_lv", "name_en", "summary_lv", "summary_en", "description_lv", "description_en",
    "pilot_code", "audience", "municipality", "application_channels", "result_channels",
    "application_mode", "eservice_url", "assistant_allowed", "fee_kind", "fee_amount", "processing_days",
    "legal_acts_lv", "legal_acts_en", "status",
]
RELATION_FIELDS = ["categories", "life_situations"]


class ServiceForm(ModelForm):
    """A service's catalogue entry. Editing one, it carries the service's version
    (`durvis.core.concurrency`), so a form left open does not undo another change."""

    version = VersionField()
    application_channels = forms.MultipleChoiceField(
        label=_("Channels of application"), choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )
    result_channels = forms.MultipleChoiceField(
        label=_("Channels of the result"), choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )

    eservice_url = forms.CharField(
        label=_("Address of the holder's e-service"), max_length=500, required=False,
        help_text=_("https://…; one of the return addresses of an e-service your institution "
                    "registered for single sign-on (E-services and embedding)."))

    class Meta:
        model = Service
        fields = SCALAR_FIELDS + RELATION_FIELDS
        widgets = {
            "application_mode": forms.RadioSelect,
            "categories": forms.CheckboxSelectMultiple,
            "life_situations": forms.CheckboxSelectMultiple,
            "description_lv": forms.Textarea(attrs={"rows": 5}),
            "description_en": forms.Textarea(attrs={"rows": 5}),
            "legal_acts_lv": forms.Textarea(attrs={"rows": 3}),
            "legal_acts_en": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "name_lv": _("Name (Latvian)"), "name_en": _("Name (English)"),
            "summary_lv": _("Summary (Latvian)"), "summary_en": _("Summary (English)"),
            "description_lv": _("Description (Latvian)"),
            "description_en": _("Description (English)"),
            "legal_acts_lv": _("Legal acts (Latvian), one per line"),
            "legal_acts_en": _("Legal acts (English), one per line"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name_lv"].required = True
        # A form sent without the mode (a page from before it existed) keeps the saved one.
        self.fields["application_mode"].required = False
        if self.instance.pk is None:
            del self.fields["version"]  # a new service has no version to keep
        else:
            self.initial.setdefault("version", self.instance.version)
        self.fields["municipality"].queryset = Institution.objects.filter(  # type: ignore[attr-defined]
            kind=Institution.Kind.MUNICIPALITY
        )

    def clean_application_mode(self) -> str:
        return str(self.cleaned_data.get("application_mode") or self.instance.application_mode)

    def scalar_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SCALAR_FIELDS}

    def relation_data(self) -> dict[str, Any]:
        return {name: list(self.cleaned_data[name]) for name in RELATION_FIELDS}


def offer_services(form: forms.BaseForm, name: str, services: list[Any], empty: Any) -> None:
    """Make the choice field `name` of `form` offer `services` ("<code> <name>", by id), after
    an empty choice labelled `empty` (the workplace's and the workflows' service pickers)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [("", empty)] + [(s.pk, f"{s.code} {s.name}") for s in services]


# A workplace form open longer than half a working day times nothing (seconds).
MAX_OPEN = 4 * 3600


def opened_now(salt: str) -> str:
    """The signed moment a workplace form is opened (a hidden field: the time it takes is
    measured by the server and cannot be typed, D2)."""
    return signing.TimestampSigner(salt=salt).sign(str(timezone.now().timestamp()))


def opened_at(value: str, salt: str) -> datetime.datetime | None:
    """When the form carrying `value` (from `opened_now` with the same `salt`) was opened;
    None for a tampered value or one older than MAX_OPEN."""
    try:
        stamp = float(signing.TimestampSigner(salt=salt).unsign(value, max_age=MAX_OPEN))
    except (signing.BadSignature, ValueError):
        return None
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
