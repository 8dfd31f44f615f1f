"""The base of every form of the pages: its text fields refuse what `durvis.core.text` refuses
(control characters but tab and line breaks, unpaired surrogates), each with an error on the
field in the user's language. Django's own text field refuses only U+0000, which PostgreSQL
cannot store, with a message that says nothing to a person who pasted the text.

Every form of the platform derives from `Form` or `ModelForm` here, or mixes `TextFields` into
one of Django's (the staff sign-in's `PasswordForm`); `tests/core/test_forms.py` holds every form class
to it. The rule is added when the form is cleaned, so it covers fields a form adds in its own
`__init__` too. An error of a hidden field (nobody sees the field) is shown with the form's own
errors.

An edit form that must not silently undo a change made elsewhere carries the version of the
record it was opened on (`VersionField`; `durvis.core.concurrency` explains the mechanism), and
`differences` tells the person which of the values they sent differ from the saved ones.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from durvis.core.text import TextValidator


def guard_text_fields(form: forms.BaseForm) -> None:
    """Give every text field of `form` (CharField and its kinds: e-mail, URL, slug, ...) the
    text rule, in place of Django's refusal of U+0000 alone (one error, not two, for a NUL)."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and TextValidator() not in field.validators:
            field.validators = [v for v in field.validators
                                if not isinstance(v, ProhibitNullCharactersValidator)]
            field.validators.append(TextValidator())


class TextFields:
    """Mixed into a Django form: its text fields follow `durvis.core.text`."""

    def full_clean(self) -> None:
        assert isinstance(self, forms.BaseForm)
        guard_text_fields(self)
        super().full_clean()  # type: ignore[misc]
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
