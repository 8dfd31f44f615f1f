"""The characters text may hold, wherever it comes from (a form, an API body, a query string).

Refused: the control characters (Unicode's `Cc`: C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F)
except tab, line feed and carriage return, and unpaired surrogates (U+D800–U+DFFF, which JSON's
`"\\ud800"` can smuggle into a Python string though they are no characters). PostgreSQL cannot
store U+0000 nor encode a surrogate (a 500, where SQLite stored them), and the rest are invisible
in every page, mail and export that would show them (a C1 character is usually what is left of
text decoded in the wrong encoding).

Allowed: every other character, including the line and paragraph separators U+2028/U+2029
(text, shown as line breaks) and format characters such as zero-width joiners and bidirectional
marks, which Latvian and other scripts use.

`forbidden_character` is the one test; `TextValidator` says it on a form's field, in the user's
language (`durvis.core.forms`), and the API refuses with `refusal`, naming the field.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTER = "control_character"
UNPAIRED_SURROGATE = "unpaired_surrogate"


def forbidden_character(value: str) -> str | None:
    """The first character of `value` that text may not hold, or None."""
    found = _FORBIDDEN.search(value)
    return found.group() if found else None


def code_point(character: str) -> str:
    """`U+0000`: how a message names an invisible character."""
    return f"U+{ord(character):04X}"


def refusal(character: str) -> tuple[str, str]:
    """What is said of a forbidden character, in the active language, and its stable code:
    (message, `control_character` or `unpaired_surrogate`)."""
    if "\ud800" <= character <= "\udfff":
        return (str(_("The text contains an unpaired surrogate (%(character)s), which is not a "
                      "character.") % {"character": code_point(character)}), UNPAIRED_SURROGATE)
    return (str(_("The text contains an invisible control character (%(character)s). Remove "
                  "it, for example by typing the text again instead of pasting it.")
                % {"character": code_point(character)}), CONTROL_CHARACTER)


@deconstructible
class TextValidator:
    """Refuses text holding a character `forbidden_character` finds (every form's text fields
    have it, see `durvis.core.forms`); Django's own refuses only U+0000."""

    def __call__(self, value: object) -> None:
        character = forbidden_character(str(value))
        if character is not None:
            message, code = refusal(character)
            raise ValidationError(message, code=code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator)

    def __hash__(self) -> int:
        return hash(TextValidator)
