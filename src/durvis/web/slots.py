"""The appointment's day-and-time form (A4), one for every page that books a time: the client's
in the e-account and the agent's from a client's profile in the workplace."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import formats
from django.utils.translation import gettext_lazy

from durvis.calendars import queries
from durvis.core.forms import Form
from durvis.core.working_time import ZONE


class SlotForm(Form):
    """A day (GET, to list its times) and a time of it (POST)."""

    day = forms.TypedChoiceField(label=gettext_lazy("Day"), required=False,
                                 coerce=datetime.date.fromisoformat)
    starts_at = forms.ChoiceField(label=gettext_lazy("Time"), widget=forms.RadioSelect,
                                  required=False)

    def __init__(self, *args: Any, days: list[datetime.date], slots: list[queries.Slot],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        day_field = self.fields["day"]
        assert isinstance(day_field, forms.TypedChoiceField)
        day_field.choices = [(d.isoformat(), formats.date_format(d, "l, j.m.Y")) for d in days]
        slot_field = self.fields["starts_at"]
        assert isinstance(slot_field, forms.ChoiceField)
        slot_field.choices = [(s.starts_at.isoformat(),
                               f"{s.starts_at.astimezone(ZONE):%H:%M}") for s in slots]


def chosen_day(request: HttpRequest, days: list[datetime.date]) -> datetime.date | None:
    """The day the request names (`day`, POST first) if it is one of `days`; else the first of
    them (None: no day to book)."""
    wanted = request.POST.get("day") or request.GET.get("day") or ""
    try:
        day = datetime.date.fromisoformat(wanted)
    except ValueError:
        return days[0] if days else None
    return day if day in days else (days[0] if days else None)


def when(at: datetime.datetime) -> str:
    """A booking's start as a person reads it (Riga time: "12.01.2027 09:30")."""
    return formats.date_format(at.astimezone(ZONE), "j.m.Y H:i")
