"""The base of every form of the pages: its text fields refuse what `durvis.core.text` refuses
(control characters but tab and line breaks, unpaired surrogates), each with an error on the
field in the user's language. Django's own text field refuses only U+0000, which PostgreSQL
cannot store, with a message that says nothing to a person who pasted the text.

Every form of the platform derives from `Form` or `ModelForm` here, or mixes `TextFields` into
one of Django's (the staff sign-in's `PasswordForm`); `tests/core/test_forms.py` holds every form class
to it. The rule is added when the form is cleaned, so it covers fields a form adds in its own
`__init__` too.
"""

from __future__ import annotations

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

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


class Form(TextFields, forms.Form):
    """The platform's form."""


class ModelForm(TextFields, forms.ModelForm):  # type: ignore[type-arg]
    """The platform's model form."""
