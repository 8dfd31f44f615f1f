"""Forms of the e-account pages: the history filter and feedback (C3)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from durvis.catalog.models import Service
from durvis.core.forms import DayField, Form, PageField, QueryForm
from durvis.identity.models import Institution
from durvis.register import queries as register_queries
from durvis.register.models import CaseStatus, RegisterChannel
from durvis.register.queries import HistoryFilters


class HistoryFilterForm(QueryForm):
    """The history page's query: narrow it by case number, status, institution, service,
    channel and period, and its page. Sent by GET, so a filtered history has an address the
    client can bookmark. A wrong filter lists nothing and says why on its field; a wrong page
    number shows the first page and says why above it."""

    shown = ("number", "status", "institution", "service", "channel", "date_from", "date_to")

    number = forms.CharField(label=_("Case number"), required=False, max_length=40,
                             help_text=_("For example 1011 123458"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *CaseStatus.choices])
    institution = forms.TypedChoiceField(label=_("Institution"), required=False, coerce=int,
                                         empty_value=None)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int,
                                     empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel")), *RegisterChannel.choices])
    date_from = DayField(label=pgettext_lazy("start of a period", "From"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DayField(label=pgettext_lazy("end of a period", "To"), required=False,
                       widget=forms.DateInput(attrs={"type": "date"}))
    page = PageField()

    def __init__(self, *args: Any, institutions: list[Institution], services: list[Service],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution_field = cast(forms.ChoiceField, self.fields["institution"])
        institution_field.choices = [("", _("Any institution")),
                                     *((i.pk, i.name) for i in institutions)]
        service_field = cast(forms.ChoiceField, self.fields["service"])
        service_field.choices = [("", _("Any service")),
                                 *((s.pk, f"{s.code} {s.name}") for s in services)]

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"].strip()
        if number:
            return register_queries.normalise_case_number(number)
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": _("The end of the period is before its start.")})
        return data

    def filters(self) -> HistoryFilters | None:
        """What the history is narrowed to; None when a filter is wrong."""
        if any(name in self.errors for name in (*self.shown, "__all__")):
            return None
        data = self.cleaned_data
        return HistoryFilters(status=data.get("status") or "",
                              institution_id=data.get("institution"),
                              service_id=data.get("service"), channel=data.get("channel") or "",
                              date_from=data.get("date_from"), date_to=data.get("date_to"),
                              number=data.get("number") or "")

    def filtered(self) -> bool:
        """Whether any filter was typed (even one with an error)."""
        return any(self.data.get(name) for name in self.shown)

    def query(self) -> str:
        """The filters as typed, for the links to other pages."""
        return urlencode([(name, self.data[name]) for name in self.shown if self.data.get(name)])


class FeedbackForm(Form):
    """A rating from 1 (poor) to 5 (excellent) and an optional comment."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 – excellent")), (4, _("4 – good")), (3, _("3 – acceptable")),
                 (2, _("2 – poor")), (1, _("1 – very poor"))],
        error_messages={"required": _("Choose a rating from 1 to 5.")})
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
