"""The base of every form of the pages, and of every page's query parameters.

Text fields follow the one text rule (`durvis.core.text`): their value is put in Normalization
Form C before anything else reads it (a password excepted: it is compared as typed), then
refused, on the field and in the user's language, when it holds a control character, a
bidirectional control (in a line: any text field but a multi-line text area), or nothing but
invisible characters. Django's own text field refuses only U+0000, which PostgreSQL cannot
store, with a message that says nothing to a person who pasted the text.

Number and date fields (and choices of records by id) read only the ASCII digits 0–9: Django's
parse with `int()` and `strptime` also reads "２０２６" as 2026, so a field would store or look up
what the person did not write as they see it; such a value is refused (`non_ascii_digits`).

A text field is rendered without the HTML `maxlength` (a browser silently cuts a pasted text
there); its `max_length` is checked by the server, which refuses a longer text with an error
naming the limit and the length sent (Django's `max_length` message, in the person's language).

A choice (a select, radios, check boxes; of fixed options or of records) refuses a value that
is not one of its options with "Choose one of the options shown." in the person's language,
never Django's message that repeats the posted value back on the page.

Every form of the platform derives from `Form` or `ModelForm` here, or mixes `TextFields` into
one of Django's (the staff sign-in's `PasswordForm`); `tests/core/test_forms.py` holds every form
class to it. The rule is added when the form is cleaned, so it covers fields a form adds in its
own `__init__` too.

A page reads its query string (`?page=2&status=decided`: the e-account's history, C3, its
inbox and documents, A2, C2, the catalogue, A1, the staff's lists) through one `QueryForm` of
its own: each parameter is a field, a wrong value is an error the page shows
(`query_errors.html`, in the person's language) while the page falls back to the parameter's
default, never a 500. An error of a hidden field (nobody sees
the field) is shown with the form's own errors.

An edit form that must not silently undo a change made elsewhere carries the version of the
record it was opened on (`VersionField`; `durvis.core.concurrency` explains the mechanism), and
`differences` tells the person which of the values they sent differ from the saved ones.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from durvis.core.case_numbers import parse_case_number
from durvis.core.text import TextValidator, digits_refusal, has_other_digits, normalise

# Django's own messages whose Latvian translation has a slip (`jabūt` for `jābūt`): the
# platform's catalogue (LOCALE_PATHS, read before Django's) translates them anew;
# tests/core/test_latvian_spelling.py checks the whole merged catalogue.
DJANGO_CORRECTED = (
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
)

# Fields that read digits from what was typed (ModelChoiceField looks a record up by its id).
NUMBER_FIELDS = (forms.IntegerField, forms.DateField, forms.DateTimeField, forms.TimeField,
                 forms.ModelChoiceField)


def _normalising(to_python: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def normalised(value: Any) -> Any:
        return to_python(normalise(value) if isinstance(value, str) else value)

    normalised.durvis_guarded = True  # type: ignore[attr-defined]
    return normalised


def _ascii_digits_only(to_python: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        if isinstance(value, str) and has_other_digits(value):
            message, code = digits_refusal()
            raise ValidationError(message, code=code)
        return to_python(value)

    checked.durvis_guarded = True  # type: ignore[attr-defined]
    return checked


def _guard_text(field: forms.CharField) -> None:
    if TextValidator() in field.validators or TextValidator(line=False) in field.validators:
        return
    secret = isinstance(field.widget, forms.PasswordInput)
    line = not (secret or isinstance(field.widget, forms.Textarea))
    field.validators = [v for v in field.validators
                        if not isinstance(v, ProhibitNullCharactersValidator)]
    field.validators.append(TextValidator(line=line))
    if not secret:
        field.to_python = _normalising(field.to_python)  # type: ignore[method-assign,assignment]


_NOT_AN_OPTION = _("Choose one of the options shown.")
_NOT_THE_OPTIONS = _("Choose only from the options shown.")


def _guard_choice(field: forms.Field) -> None:
    """Django's refusal of a value that is not an option says it back ("Select a valid choice.
    X is not one of the available choices."): whatever was posted, shown on the page. The
    platform says which options to choose from instead, in the person's language, and never
    echoes the value (a message a field gives of its own, without the value, is kept)."""
    multiple = isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField))
    defaults = [m for cls in type(field).__mro__
                for m in getattr(cls, "default_error_messages", {}).values()]
    for key in ("invalid_choice", "invalid_pk_value", "invalid_list"):
        message = field.error_messages.get(key)
        if message is not None and (any(message is d for d in defaults) or "%(" in str(message)):
            field.error_messages[key] = _NOT_THE_OPTIONS if multiple else _NOT_AN_OPTION


def guard_text_fields(form: forms.BaseForm) -> None:
    """Give every text field of `form` (CharField and its kinds: e-mail, URL, slug, ...) the
    text rule, in place of Django's refusal of U+0000 alone (one error, not two, for a NUL),
    every number, date and record choice the ASCII digits, and every choice a refusal of a
    value that is not an option which does not echo the value (`_guard_choice`)."""
    for field in form.fields.values():
        if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
            _guard_choice(field)
        if isinstance(field, forms.CharField):
            _guard_text(field)
        elif isinstance(field, NUMBER_FIELDS) and not getattr(field.to_python, "durvis_guarded",
                                                                False):
            field.to_python = _ascii_digits_only(  # type: ignore[method-assign,assignment]
                field.to_python)


class TextFields:
    """Mixed into a Django form: its text fields follow `durvis.core.text`."""

    # A page's query form renders no hidden inputs: its errors stay on their parameters.
    hidden_errors_to_form = True

    def __getitem__(self, name: str) -> forms.BoundField:
        # Rendered without `maxlength`: a browser cuts what is pasted past it and says nothing;
        # the field's own `max_length` refuses a longer text with an error the page shows.
        bound = super().__getitem__(name)  # type: ignore[misc]
        bound.field.widget.attrs.pop("maxlength", None)
        return bound  # type: ignore[no-any-return]

    def full_clean(self) -> None:
        assert isinstance(self, forms.BaseForm)
        guard_text_fields(self)
        super().full_clean()  # type: ignore[misc]
        if self.hidden_errors_to_form:
            _show_hidden_errors(self)


def _show_hidden_errors(form: forms.BaseForm) -> None:
    """Move the errors of hidden fields (a form's version) to the form's own errors: a page
    shows no error next to a field nobody sees."""
    for name in [n for n in form.errors if n in form.fields and form.fields[n].widget.is_hidden]:
        errors = form.errors.pop(name)
        form.errors.setdefault(NON_FIELD_ERRORS, form.error_class(error_class="nonfield"))
        form.errors[NON_FIELD_ERRORS].extend(errors)


_OUT_OF_DATE = _("This page is out of date, so nothing was saved: open it again and make your "
                 "changes there.")


class VersionField(forms.IntegerField):
    """The version of the record the form was opened on, hidden (`durvis.core.concurrency`): a
    form without it, or with something else in it, is out of date and saves nothing."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("error_messages", {
            "required": _OUT_OF_DATE, "invalid": _OUT_OF_DATE, "min_value": _OUT_OF_DATE})
        super().__init__(**kwargs)


def differences(sent: forms.BaseForm, saved: forms.BaseForm) -> list[str]:
    """The labels of the fields whose value in `sent` (the bound form the person sent) differs
    from the one saved now; `saved` is the same form, unbound, built on the saved record. The
    version aside, in the form's order. Empty when what was sent is what is saved."""
    return [str(field.label) for name, field in sent.fields.items()
            if not isinstance(field, VersionField) and not field.disabled
            and field.has_changed(saved[name].initial, sent[name].data)]


class Form(TextFields, forms.Form):
    """The platform's form."""


class ModelForm(TextFields, forms.ModelForm):  # type: ignore[type-arg]
    """The platform's model form."""


# --- A page's query parameters ----------------------------------------------------------------

MAX_PAGE = 10_000
# The days a page's period may name: wide enough for every record, narrow enough that a day
# after the end or before the start (and Riga's offset from UTC) stays a date Python has.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


class PageField(forms.IntegerField):
    """`?page=`: a page number from 1 to MAX_PAGE (10,000), in ASCII digits; missing is 1. A
    page beyond the last shows the last (the paginator's `get_page`). Never rendered as an
    input (a filter form that is sent again starts at page 1)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Page"))
        super().__init__(required=False, min_value=1, max_value=MAX_PAGE, initial=1,
                         error_messages={
                             "invalid": _("A page number is a whole number, such as 2."),
                             "min_value": _("Page numbers start at 1."),
                             "max_value": _("There are no more than %(limit_value)s pages."),
                         }, **kwargs)

    def clean(self, value: Any) -> int:
        return super().clean(value) or 1


class DayField(forms.DateField):
    """A day of a period (`?date_from=2026-01-31`), from FIRST_DAY to LAST_DAY."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(
                _("Enter a date from %(first)s to %(last)s."), code="out_of_range",
                params={"first": date_format(FIRST_DAY, "SHORT_DATE_FORMAT"),
                        "last": date_format(LAST_DAY, "SHORT_DATE_FORMAT")})


class CaseNumberField(forms.CharField):
    """A case number as people type it (`1011 13`, `1011-13`), cleaned to the register's form;
    a wrong one says what is wrong (the format, the check digit)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        number: str = super().clean(value)
        return str(parse_case_number(number)) if number else ""


class QueryForm(Form):
    """A page's query parameters: always bound to the query string (an empty one too), each
    parameter a field. `value(name)` is the cleaned value, or the field's `initial` when the
    parameter is missing or wrong (the page then shows the error). `shown` names the fields the
    page renders with their own errors (a filter form); `query_errors.html` lists the errors
    of the others."""

    shown: tuple[str, ...] = ()
    hidden_errors_to_form = False

    def __init__(self, query: QueryDict, **kwargs: Any) -> None:
        super().__init__(query, **kwargs)

    def value(self, name: str) -> Any:
        self.is_valid()
        if name in self.errors or name not in self.cleaned_data:
            return self.fields[name].initial
        return self.cleaned_data[name]

    def unshown_errors(self) -> list[tuple[str, str]]:
        """(label, message) of each error of a field the page does not render, and of the
        form as a whole when it renders none of its fields."""
        errors = [(str(self.fields[name].label or name), str(message))
                  for name, messages in self.errors.items() if name in self.fields
                  and name not in self.shown for message in messages]
        if not self.shown:
            errors += [("", str(message)) for message in self.non_field_errors()]
        return errors


class PageQueryForm(QueryForm):
    """The query of a page whose only parameter is its page number."""

    page = PageField()
