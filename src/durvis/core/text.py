"""The one rule for text, wherever it comes from (a form, an API body, a query string, a file
name): how it is normalised and what it may not hold. Forms apply it to every text field
(`durvis.core.forms`: the e-account's and the staff's pages, A2, A5, C1), the API to every
string of every request (`durvis.integrations.http`: the integration layer, B9), so that what
a client or an institution's system writes reaches the other side as it was meant.

Normalised: every text is put in Unicode Normalization Form C (UAX #15), at the boundary, before
it is checked, compared or stored. "Bērziņš" typed on a keyboard that composes (ē, one code
point) and pasted from one that does not (e + U+0304) is then the same name, one length, one
search key.

Refused, in any text:

- control characters (Unicode's `Cc`: C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) except
  tab, line feed and carriage return, and unpaired surrogates (U+D800–U+DFFF, which JSON's
  `"\\ud800"` can smuggle into a Python string though they are no characters). PostgreSQL
  cannot store U+0000 nor encode a surrogate, and the rest are invisible in every page, mail
  and export that would show them (`control_character`, `unpaired_surrogate`);
- text that is empty once its invisible characters are taken away: format characters (`Cf`:
  zero-width space and joiners, the byte order mark, soft hyphen, bidirectional controls), the
  other default-ignorable code points of Unicode (UAX #44 `Default_Ignorable_Code_Point`:
  Hangul fillers, variation selectors, the combining grapheme joiner) and white space. A
  subject of zero-width spaces is an inbox link nobody can see or click (`only_invisible`).

Refused in line text only: the bidirectional controls of UAX #9 (`bidi_control`): the
embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E, U+200F
and U+061C. A line is a name, a subject, a title, a file name, a reference, a search: text
shown inside other text (a list, a link, a page title, a mail's subject) where a right-to-left
override turns "Iesniegums \\u202eexe.fdp" into what reads as "Iesniegums pdf.exe" and runs on
into whatever follows. Nothing Latvian needs them; the characters of right-to-left scripts
carry their own direction (UAX #9 rules W1–W7, N1–N2) without them.

Allowed in paragraphs (a message's body, a note, a comment: a multi-line text area in a form,
a field marked `paragraphs` in the API): the bidirectional controls, which people writing
Arabic or Hebrew mixed with Latin do use. A paragraph is always shown as a block of its own, and
UAX #9 ends every embedding, override and isolate at the end of its paragraph (rule X8), so they
cannot reach the text around it.

Allowed everywhere: every other character, the line and paragraph separators U+2028/U+2029,
and format characters inside visible text (the zero-width joiner of an emoji sequence, a soft
hyphen).

Uploaded files' names are no text anybody types: the multipart parser keeps only their
printable characters (Django's `MultiPartParser.sanitize_file_name`), and the documents service
removes every format character from any file name it stores (`clean_file_name`); a name given
in a JSON body is a line like any other.

Digits: where text is read as a number (a page, an amount, a code, a date), only the ASCII
digits 0–9 count (`ascii_digits`). `str.isdigit()` also accepts "²" (which `int()` then
refuses: a 500) and `str.isdecimal()` "２" (which `int()` reads as 2): a number typed with other
digits is refused with `NON_ASCII_DIGITS`, never guessed.

`problem` is the one test; `TextValidator` says it on a form's field, in the user's language
(`durvis.core.forms`), and the API refuses with the same message and code, naming the field.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# UAX #9: explicit embeddings and overrides, isolates, and the implicit marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
# UAX #44 Default_Ignorable_Code_Point (DerivedCoreProperties.txt) beyond the format characters
# (`Cf`), which are all invisible too.
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
                        "\ufff0-\ufff8\U000e0000-\U000e0fff]")
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)

CONTROL_CHARACTER = "control_character"
UNPAIRED_SURROGATE = "unpaired_surrogate"
BIDI_CONTROL = "bidi_control"
ONLY_INVISIBLE = "only_invisible"
NON_ASCII_DIGITS = "non_ascii_digits"


def normalise(value: str) -> str:
    """`value` in Unicode Normalization Form C (UAX #15)."""
    return unicodedata.normalize("NFC", value)


def forbidden_character(value: str) -> str | None:
    """The first control character or unpaired surrogate of `value`, or None."""
    found = _FORBIDDEN.search(value)
    return found.group() if found else None


def bidi_control(value: str) -> str | None:
    """The first bidirectional control (UAX #9) of `value`, or None."""
    found = _BIDI.search(value)
    return found.group() if found else None


def without_refused(value: str) -> tuple[str, list[str]]:
    """`value` without the control characters and unpaired surrogates a line may not hold, and
    those characters (`U+0000`, in order, once each): for a search, which may look for what is
    left rather than refuse (the page says what it left out). Bidirectional controls stay, for
    the field to refuse: they can make the text read otherwise than it is (`bidi_control`)."""
    dropped: list[str] = []

    def drop(found: re.Match[str]) -> str:
        if (point := code_point(found.group())) not in dropped:
            dropped.append(point)
        return " "

    return _FORBIDDEN.sub(drop, value), dropped


def is_invisible(character: str) -> bool:
    """Whether a character shows nothing: white space, a format character (`Cf`) or another
    default-ignorable code point (UAX #44)."""
    return (character.isspace() or unicodedata.category(character) == "Cf"
            or _IGNORABLE.fullmatch(character) is not None)


def only_invisible(value: str) -> bool:
    """Whether `value` holds characters but none that shows (`is_invisible`)."""
    return bool(value) and all(is_invisible(character) for character in value)


def ascii_digits(value: str) -> bool:
    """Whether `value` is one or more of the ASCII digits 0–9 and nothing else."""
    return _ASCII_DIGITS.fullmatch(value) is not None


def has_other_digits(value: str) -> bool:
    """Whether `value` holds a digit that is not one of 0–9 (`２`, `²`, `٣`: Unicode's `Nd` and
    `No`)."""
    return any(not ("0" <= character <= "9") and unicodedata.category(character) in ("Nd", "No")
               for character in value)


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


def problem(value: str, *, line: bool = True) -> tuple[str, str] | None:
    """What is wrong with `value` (already normalised) as text, in the active language, with its
    stable code, or None: a control character or unpaired surrogate, in a line (`line`) a
    bidirectional control, and text of nothing but invisible characters."""
    character = forbidden_character(value)
    if character is not None:
        return refusal(character)
    character = bidi_control(value) if line else None
    if character is not None:
        return (str(_("The text contains an invisible character that changes the direction of "
                      "the text (%(character)s), so that it can look like something else. "
                      "Remove it, for example by typing the text again instead of pasting it.")
                    % {"character": code_point(character)}), BIDI_CONTROL)
    if only_invisible(value):
        return (str(_("The text has only invisible characters (such as zero-width spaces). "
                      "Type the text.")), ONLY_INVISIBLE)
    return None


def digits_refusal() -> tuple[str, str]:
    """What is said of a number typed with other digits than 0–9, and its code."""
    return (str(_("Use the digits 0–9: other digits (such as ２ or ²) are not read here.")),
            NON_ASCII_DIGITS)


@deconstructible
class TextValidator:
    """Refuses text `problem` finds wrong (every form's text fields have it, see
    `durvis.core.forms`): `line=False` for a paragraph, which may hold bidirectional controls.
    Django's own validator refuses only U+0000."""

    def __init__(self, *, line: bool = True) -> None:
        self.line = line

    def __call__(self, value: object) -> None:
        found = problem(str(value), line=self.line)
        if found is not None:
            message, code = found
            raise ValidationError(message, code=code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.line == self.line

    def __hash__(self) -> int:
        return hash((TextValidator, self.line))
