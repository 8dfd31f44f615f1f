"""The e-form engine (A10, A3): answers checked against a definition on the server, never
trusting the browser.

A definition is compiled once (`compile_form`, cached by its checksum): the answers' JSON Schema
2020-12 (`definition.answers_schema`) becomes a `jsonschema` Draft 2020-12 validator extended
with the keyword `x-durvis`, which runs what JSON Schema cannot say (the text rule of
`durvis.core.text`, e-mail, E.164 phone, the personal code's and registration number's check
digits, IBAN, money precision and range, dates). Conditions and routing are the layout's: `walk`
follows the pages from the first by their routes over the answers given, and sees which
questions are visible and which required. Errors come keyed per question (`members.0.name` for
the first item of a group), each with a stable `code` and a message in the active language
(Latvian by default), the question's own error text where it has one.

Answer shapes (the JSON each type takes): text, e-mail, date (`YYYY-MM-DD`), single choice (the
option's value) - a string; address - `{"code": <State Address Register code>, "text": <its
standard text>}`, the code a current building or premises of the register (A9: never free text;
the platform writes the register's text); the personal code and registration number - 11
digits; phone - E.164 (`+37129123456`); IBAN - compact capitals; money - a string with two
decimals (`"12.50"`, never a float); number - a JSON number; multiple choice - a list of option
values; yes/no - true or false; file - `{"document_id": <a Document's id>, "name": "<file
name>"}` (the document stored beforehand with `documents.services.store_document`,
malware-scanned; `validate_answers(documents=...)` checks the ids are the applicant's);
repeating group - a list of objects of its questions' answers.

The public face is `durvis.eforms.queries` (re-exported there); this module is private.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from durvis.addresses import queries as address_queries
from durvis.addresses.queries import fold_address
from durvis.core.identifiers import compact, validate_company_number, validate_personal_code
from durvis.core.text import forbidden_character, refusal
from durvis.eforms.definition import (
    CHOICE_TYPES,
    QuestionType,
    answers_schema,
    decimal_or_none,
    text,
)

NON_FIELD = "__all__"
DEFAULT_PHONE_REGION = "LV"


@dataclass(frozen=True)
class AnswerError:
    """One refusal: `key` is the question (`members.0.name` inside a group's first item,
    `__all__` for the whole form), `code` stable (`required`, `hidden`, `unknown`, `type`,
    `choice`, `min_length`, `max_length`, `minimum`, `maximum`, `min_items`, `max_items`,
    `unique`, `integer`, `control_character`, `unpaired_surrogate`, `email`, `phone`,
    `personal_code`, `company_number`, `iban`, `money`, `money_precision`, `date`,
    `address` (not a choice from the register), `address_unknown` (no such current register
    address), `not_eligible`, `document`), `message` in the active language."""

    key: str
    code: str
    message: str


class _Refusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _check_text(value: str) -> None:
    character = forbidden_character(value)
    if character is not None:
        message, code = refusal(character)
        raise _Refusal(code, message)


def _check_email(value: str) -> None:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise _Refusal("email", _("Enter an e-mail address like name@example.lv.")) from None


def _check_phone(value: str) -> None:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise _Refusal("phone", _("Enter a phone number, like 20000000 or +371 20000000."))


def _check_identifier(validate: Callable[[str], str], code: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            validate(value)
        except DjangoValidationError as error:
            raise _Refusal(code, " ".join(str(m) for m in error.messages)) from None
    return check


def _check_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException:
        raise _Refusal("iban", _("Enter a valid IBAN account number, like "
                                 "LV80BANK0000435195001.")) from None


def _check_date(value: str) -> None:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise _Refusal("date", _("Enter a real date, like 27.03.2026.")) from None
    if len(value) != 10:
        raise _Refusal("date", _("Enter a real date, like 27.03.2026."))


CHECKS: dict[str, Callable[[str], None]] = {
    QuestionType.EMAIL: _check_email,
    QuestionType.PHONE: _check_phone,
    QuestionType.PERSONAL_CODE: _check_identifier(validate_personal_code, "personal_code"),
    QuestionType.COMPANY_NUMBER: _check_identifier(validate_company_number, "company_number"),
    QuestionType.IBAN: _check_iban,
    QuestionType.DATE: _check_date,
}


def _check_address(value: Any) -> None:
    """An address answer (A9) is `{"code": <int>, "text": <str>}` whose code the State Address
    Register holds as a current building or premises (`addresses.queries.current`): `address`
    for anything else typed (free text), `address_unknown` for a code that is not one now."""
    if (not isinstance(value, dict) or not set(value) <= {"code", "text"}
            or not isinstance(value.get("code"), int) or isinstance(value.get("code"), bool)
            or not isinstance(value.get("text", ""), str)):
        raise _Refusal("address", _("Choose the address from the State Address Register: type "
                                    "part of it and pick one of the addresses found."))
    if address_queries.current(value["code"]) is None:
        raise _Refusal("address_unknown", _("The State Address Register has no such address "
                                            "now: find the address and choose it again."))


def _x_durvis(validator: Any, kind: str, instance: Any, schema: dict[str, Any]) -> Iterator[SchemaError]:
    """The keyword `x-durvis`: the checks of the type `kind` on a string answer (every string
    follows the text rule first); an address answer's register code (`_check_address`)."""
    if kind == QuestionType.ADDRESS:
        try:
            _check_address(instance)
        except _Refusal as refused:
            yield SchemaError(refused.message, validator="x-durvis", validator_value=refused.code)
        return
    if not isinstance(instance, str):
        return
    try:
        _check_text(instance)
        check = CHECKS.get(kind)
        if check is not None:
            check(instance)
    except _Refusal as refused:
        yield SchemaError(refused.message, validator="x-durvis", validator_value=refused.code)


def _x_durvis_range(validator: Any, limits: list[Any], instance: Any,
                    schema: dict[str, Any]) -> Iterator[SchemaError]:
    """The keyword `x-durvis-range`: [min, max] of an amount (Decimal, exact) or a date (ISO or
    the word `today`)."""
    if not isinstance(instance, str):
        return
    kind = schema["x-durvis"]
    low, high = limits
    if kind == QuestionType.MONEY:
        amount = decimal_or_none(instance)
        if amount is None:
            return
        if low is not None and amount < Decimal(low):
            yield SchemaError("", validator="minimum", validator_value=_euro(low))
        if high is not None and amount > Decimal(high):
            yield SchemaError("", validator="maximum", validator_value=_euro(high))
        return
    try:
        day = datetime.date.fromisoformat(instance)
    except ValueError:
        return
    if low is not None and day < _day(low):
        yield SchemaError("", validator="min_date", validator_value=_day(low))
    if high is not None and day > _day(high):
        yield SchemaError("", validator="max_date", validator_value=_day(high))


def _day(limit: str) -> datetime.date:
    return timezone.localdate() if limit == "today" else datetime.date.fromisoformat(limit)


def _euro(value: Any) -> str:
    return f"{Decimal(value):.2f}"


AnswerValidator = validators.extend(Draft202012Validator, {
    "x-durvis": _x_durvis, "x-durvis-range": _x_durvis_range})


@dataclass(frozen=True)
class Route:
    when: dict[str, Any]
    goto: str | None
    end: dict[str, Any] | None


@dataclass(frozen=True)
class Question:
    """A question of a compiled form (`definition` is its part of the document)."""

    key: str
    type: str
    page: str
    position: int
    definition: dict[str, Any]
    children: tuple[Question, ...] = ()

    @property
    def label(self) -> str:
        return text(self.definition["label"])

    @property
    def required(self) -> bool:
        return bool(self.definition.get("required"))

    @property
    def condition(self) -> dict[str, Any] | None:
        return self.definition.get("condition")


@dataclass(frozen=True)
class Page:
    key: str
    index: int
    definition: dict[str, Any]
    questions: tuple[Question, ...]
    routes: tuple[Route, ...]

    @property
    def title(self) -> str:
        return text(self.definition["title"])


@dataclass(frozen=True)
class CompiledForm:
    """A definition ready to check answers: its pages, its top-level questions by key in the
    form's order, the answers' schema and its validator (built once)."""

    checksum: str
    definition: dict[str, Any]
    pages: tuple[Page, ...]
    questions: dict[str, Question]
    schema: dict[str, Any]
    validator: Any = field(repr=False)

    def page(self, key: str) -> Page:
        for page in self.pages:
            if page.key == key:
                return page
        raise KeyError(key)


def checksum(definition: dict[str, Any]) -> str:
    """The SHA-256 of the definition's canonical JSON: the same for the same content."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


_CACHE: dict[str, CompiledForm] = {}
_CACHE_SIZE = 512


def compile_form(definition: dict[str, Any], digest: str | None = None) -> CompiledForm:
    """The compiled form of a (valid) definition, built once per content and kept (up to 512
    definitions; a published version never changes, so its checksum `digest` is its key)."""
    digest = digest or checksum(definition)
    found = _CACHE.get(digest)
    if found is not None:
        return found
    pages = []
    questions: dict[str, Question] = {}
    position = 0
    for index, page in enumerate(definition["pages"]):
        compiled = []
        for raw in page["questions"]:
            children = tuple(Question(c["key"], c["type"], page["key"], -1, c)
                             for c in raw.get("questions", []))
            question = Question(raw["key"], raw["type"], page["key"], position, raw, children)
            position += 1
            compiled.append(question)
            questions[question.key] = question
        routes = tuple(Route(r["when"], r.get("goto"), r.get("end")) for r in page.get("routing", []))
        pages.append(Page(page["key"], index, page, tuple(compiled), routes))
    schema = answers_schema(definition)
    form = CompiledForm(digest, definition, tuple(pages), questions, schema, AnswerValidator(schema))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[digest] = form
    return form


# --- conditions and routing -------------------------------------------------------------------

def holds(condition: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Whether `condition` (`{"question", "op", "value"}`) holds on `answers`; a condition on an
    unanswered (or hidden) question never holds, whatever its `op`."""
    answer = answers.get(condition["question"])
    if answer is None:
        return False
    op, value = condition["op"], condition["value"]
    if isinstance(answer, list):  # multiple choice: equals/includes mean "one chosen is it"
        if op in ("equals", "includes"):
            return value in answer
        if op == "not_equals":
            return value not in answer
        return any(v in answer for v in value)
    if op == "one_of":
        return any(_same(answer, v) for v in value)
    same = _same(answer, value)
    return not same if op == "not_equals" else same


def _same(answer: Any, value: Any) -> bool:
    if isinstance(answer, bool) or isinstance(value, bool):
        return answer is value
    if isinstance(answer, int | float) and isinstance(value, int | float):
        return Decimal(str(answer)) == Decimal(str(value))
    return bool(answer == value)


@dataclass
class Walk:
    """The pages a respondent goes through on `answers` (`pages`, keys in order), the questions
    they see (`visible`, top-level keys in order) and must answer (`required`), and the end:
    `ending` holds the reason text (`{"lv", "en"}`) when a route ends the form (not eligible)
    on page `ended_on`."""

    pages: list[str]
    visible: list[str]
    required: set[str]
    ending: dict[str, Any] | None = None
    ended_on: str | None = None


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def walk(form: CompiledForm, answers: Mapping[str, Any]) -> Walk:
    """Follow the form from its first page over `answers`: on each page, the questions whose
    `show` condition holds on the visible answers before them; then the page's first route whose
    condition holds (skip to its page, or end the form), else the next page."""
    seen: dict[str, Any] = {}
    result = Walk([], [], set())
    index = 0
    while index < len(form.pages):
        page = form.pages[index]
        result.pages.append(page.key)
        for question in page.questions:
            condition = question.condition
            if condition and condition.get("effect", "show") == "show" and not holds(condition, seen):
                continue
            result.visible.append(question.key)
            if question.required or (condition and condition.get("effect") == "require"
                                     and holds(condition, seen)):
                result.required.add(question.key)
            if _answered(answers.get(question.key)):
                seen[question.key] = answers[question.key]
        index += 1
        for route in page.routes:
            if holds(route.when, seen):
                if route.end is not None:
                    result.ending, result.ended_on = route.end, page.key
                    return result
                index = next(p.index for p in form.pages if p.key == route.goto)
                break
    return result


@dataclass(frozen=True)
class Next:
    """Where a respondent goes after a page: `page` (a key), or the end: `done` (to check the
    answers) or `ineligible` with `reason` (a text in the active language)."""

    page: str | None
    done: bool = False
    ineligible: bool = False
    reason: str = ""


def next_page(form: CompiledForm, answers: Mapping[str, Any], current: str) -> Next:
    """The page after `current` on `answers` (routing applied). Raises KeyError for a page the
    form does not have. A `current` off the path (a skipped page) leads where the path goes
    from the last page on it before `current`."""
    form.page(current)
    path = walk(form, answers)
    if path.ending is not None and path.ended_on == current:
        return Next(None, ineligible=True, reason=text(path.ending))
    if current in path.pages:
        position = path.pages.index(current)
        if position + 1 < len(path.pages):
            return Next(path.pages[position + 1])
        if path.ending is not None:
            return Next(None, ineligible=True, reason=text(path.ending))
        return Next(None, done=True)
    later = [key for key in path.pages if form.page(key).index > form.page(current).index]
    return Next(later[0]) if later else Next(None, done=True)


def visible_questions(form: CompiledForm, answers: Mapping[str, Any],
                      page: str | None = None) -> list[Question]:
    """The questions a respondent sees on `answers` (those of one `page`, or all), in order."""
    keys = walk(form, answers).visible
    found = [form.questions[key] for key in keys]
    return [q for q in found if q.page == page] if page is not None else found


def required_questions(form: CompiledForm, answers: Mapping[str, Any]) -> set[str]:
    """The keys of the visible questions that must be answered on `answers`."""
    return walk(form, answers).required


def strip_hidden(form: CompiledForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` without those to hidden or unknown questions (nor empty ones): what to keep
    after an answer changed which questions show."""
    visible = set(walk(form, answers).visible)
    return {k: v for k, v in answers.items() if k in visible and _answered(v)}


# --- validation -------------------------------------------------------------------------------

def validate_answers(form: CompiledForm, answers: Mapping[str, Any], *,
                     documents: Collection[int] | None = None) -> dict[str, AnswerError]:
    """Check a whole answer set (a JSON object by question key) as it would be submitted: every
    visible required question answered, every answer of its type and limits, no answer to a
    hidden or unknown question, not ended by a route (`__all__`, `not_eligible`, with the
    reason), and every file answer naming one of `documents` (the applicant's document ids;
    None skips that check). Returns the errors by key in the form's order ({} when valid);
    raises nothing."""
    path = walk(form, answers)
    errors = _validate(form, answers, path, set(path.visible), documents, refuse_hidden=True)
    if path.ending is not None:
        errors[NON_FIELD] = AnswerError(NON_FIELD, "not_eligible", text(path.ending))
    return errors


def validate_page(form: CompiledForm, answers: Mapping[str, Any], page: str, *,
                  documents: Collection[int] | None = None) -> dict[str, AnswerError]:
    """Check the answers to one page's questions within the answer set `answers` (the earlier
    pages' answers decide the conditions): the page's visible questions only; an answer to one
    of its hidden questions is refused (`hidden`). Raises KeyError for an unknown page."""
    target = form.page(page)
    path = walk(form, answers)
    keys = {q.key for q in target.questions}
    subset = {k: v for k, v in answers.items() if k in keys}
    return _validate(form, subset, path, {k for k in path.visible if k in keys}, documents,
                     refuse_hidden=True)


def _validate(form: CompiledForm, answers: Mapping[str, Any], path: Walk, visible: set[str],
              documents: Collection[int] | None, *, refuse_hidden: bool) -> dict[str, AnswerError]:
    errors: dict[str, AnswerError] = {}
    present: dict[str, Any] = {}
    for key, value in answers.items():
        if key not in form.questions:
            errors[key] = AnswerError(key, "unknown", _("This answer is not part of the form."))
        elif key not in visible:
            if refuse_hidden and _answered(value):
                errors[key] = AnswerError(key, "hidden", _(
                    "This question is not asked on the answers given: remove the answer."))
        elif _answered(value):
            present[key] = value
    for key in visible:
        if key in path.required and key not in present:
            errors[key] = _required(form.questions[key])
    for error in form.validator.iter_errors(present):
        found = _schema_error(form, error)
        if found is not None and found.key not in errors:
            errors[found.key] = found
    if documents is not None:
        for key, document_id in file_answers(form, present):
            if document_id not in documents and key not in errors:
                errors[key] = AnswerError(key, "document", _(
                    "The file is not among your uploaded documents: upload it again."))
    order = {key: position for position, key in enumerate(_keys_in_order(form))}
    return dict(sorted(errors.items(), key=lambda item: (order.get(item[0].split(".")[0], -1),
                                                         item[0])))


def _keys_in_order(form: CompiledForm) -> Iterator[str]:
    yield NON_FIELD
    yield from form.questions


def file_answers(form: CompiledForm, answers: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The (key, document id) of every file answer in `answers` (inside groups too), for the
    journey to check and attach; malformed ones are skipped (validation refuses them)."""
    found = []
    for key, question in form.questions.items():
        value = answers.get(key)
        if question.type == QuestionType.FILE and isinstance(value, dict):
            found.append((key, value.get("document_id")))
        elif question.type == QuestionType.REPEATING_GROUP and isinstance(value, list):
            for index, item in enumerate(value):
                for child in question.children:
                    inner = item.get(child.key) if isinstance(item, dict) else None
                    if child.type == QuestionType.FILE and isinstance(inner, dict):
                        found.append((f"{key}.{index}.{child.key}", inner.get("document_id")))
    return [(k, v) for k, v in found if isinstance(v, int)]


def _required(question: Question) -> AnswerError:
    if question.type in CHOICE_TYPES or question.type == QuestionType.YES_NO:
        message = _("Choose an answer.")
    elif question.type == QuestionType.FILE:
        message = _("Upload a file.")
    elif question.type == QuestionType.REPEATING_GROUP:
        message = _("Add at least one item.")
    else:
        message = _("Enter an answer.")
    return AnswerError(question.key, "required", message)


def _question_at(form: CompiledForm, path: list[Any]) -> Question | None:
    if not path:
        return None
    question = form.questions.get(path[0])
    if question is not None and len(path) >= 3 and question.children:
        return next((c for c in question.children if c.key == path[2]), None)
    return question


def _schema_error(form: CompiledForm, error: SchemaError) -> AnswerError | None:
    path = list(error.absolute_path)
    if error.validator == "required":  # inside a group item: the missing sub-answers
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        path = [*path, missing[0]] if missing else path
        question = _question_at(form, path)
        key = ".".join(str(p) for p in path)
        return AnswerError(key, "required", _required(question).message) if question else None
    if error.validator == "additionalProperties":
        extra = next(iter(set(error.instance) - set(error.schema.get("properties", {}))), "")
        key = ".".join(str(p) for p in [*path, extra])
        return AnswerError(key, "unknown", _("This answer is not part of the form."))
    while path and isinstance(path[-1], int) and len(path) in (2, 4):
        path = path[:-1]  # an item of a multiple choice: the error is the question's
    question = _question_at(form, path)
    if question is None:
        return None
    key = ".".join(str(p) for p in path)
    code, message = _message(question, error)
    custom = text(question.definition.get("error"))
    if custom and code not in ("required", "control_character", "unpaired_surrogate", "type"):
        message = custom
    return AnswerError(key, code, message)


def _message(question: Question, error: SchemaError) -> tuple[str, str]:
    kind, value = error.validator, error.validator_value
    items = question.type == QuestionType.REPEATING_GROUP
    messages: dict[str, tuple[str, Callable[[], str]]] = {
        "x-durvis": (str(value), lambda: error.message),
        "type": ("type", lambda: _("This answer is not of the right kind.")),
        "enum": ("choice", lambda: _("Choose one of the options.")),
        "minLength": ("min_length", lambda: _("Enter at least %(count)s characters.") % {"count": value}),
        "maxLength": ("max_length", lambda: _("Enter at most %(count)s characters.") % {"count": value}),
        "minimum": ("minimum", lambda: _("Enter %(limit)s or more.") % {"limit": value}),
        "maximum": ("maximum", lambda: _("Enter %(limit)s or less.") % {"limit": value}),
        "min_date": ("minimum", lambda: _("Enter a date on or after %(date)s.") % {
            "date": value.strftime("%d.%m.%Y")}),
        "max_date": ("maximum", lambda: _("Enter a date on or before %(date)s.") % {
            "date": value.strftime("%d.%m.%Y")}),
        "minItems": ("min_items", lambda: (_("Add at least %(count)s items.") if items else
                                           _("Choose at least %(count)s options.")) % {"count": value}),
        "maxItems": ("max_items", lambda: (_("Add at most %(count)s items.") if items else
                                           _("Choose at most %(count)s options.")) % {"count": value}),
        "uniqueItems": ("unique", lambda: _("Choose each option once.")),
    }
    if kind == "pattern" and question.type == QuestionType.MONEY:
        return _money_error(error.instance)
    if kind == "pattern":
        return _format_error(question.type)
    if kind == "type" and question.type == QuestionType.NUMBER and isinstance(error.instance, float):
        return "integer", _("Enter a whole number.")
    code, message = messages.get(kind, ("invalid", lambda: _("This answer is not valid.")))
    return code, message()


def _money_error(value: Any) -> tuple[str, str]:
    amount = decimal_or_none(str(value).strip())
    if amount is not None and amount.is_finite() and amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return "money_precision", _("Enter the amount in euros and cents, at most 2 decimals.")
    return "money", _("Enter an amount in euros, like 12.50.")


def _format_error(kind: str) -> tuple[str, str]:
    """A pattern refused (the type's own check, which runs first, usually said it better)."""
    if kind == QuestionType.PHONE:
        return "phone", _("Enter a phone number, like 20000000 or +371 20000000.")
    if kind == QuestionType.IBAN:
        return "iban", _("Enter a valid IBAN account number, like LV80BANK0000435195001.")
    if kind == QuestionType.PERSONAL_CODE:
        return "personal_code", _("Enter a personal code of 11 digits, like 010190-12345.")
    if kind == QuestionType.COMPANY_NUMBER:
        return "company_number", _("Enter a registration number of 11 digits.")
    return "invalid", _("This answer is not valid.")


# --- from a page's form fields ----------------------------------------------------------------

def parse_page(form: CompiledForm, page: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed answers of one page's questions from what an HTML form posted (`data`, a
    QueryDict or a dict of strings or lists): a field per question by its key (several values
    for a multiple choice), `<group>-<i>-<key>` for the i-th item of a group with
    `<group>-count` items, `yes`/`no` for yes/no, dates as `YYYY-MM-DD` or `DD.MM.YYYY`, amounts
    as people write them (`1 234,50 €`), phone numbers in Latvia without the +371, codes with
    or without the hyphen. A blank field is no answer. What cannot be converted is kept as
    typed, for `validate_page` to refuse with a message; file questions take the id of a
    document the journey stored (`<key>` = its id). Raises KeyError for an unknown page."""
    target = form.page(page)
    answers: dict[str, Any] = {}
    for question in target.questions:
        if question.type == QuestionType.REPEATING_GROUP:
            items = _parse_group(question, data)
            if items:
                answers[question.key] = items
            continue
        value = _parse_field(question, data, question.key)
        if _answered(value):
            answers[question.key] = value
    return answers


def _get(data: Mapping[str, Any], name: str, many: bool = False) -> Any:
    if hasattr(data, "getlist"):
        return data.getlist(name) if many else data.get(name, "")
    value = data.get(name, [] if many else "")
    if many:
        return list(value) if isinstance(value, list | tuple) else ([value] if value else [])
    return value[-1] if isinstance(value, list) and value else ("" if isinstance(value, list) else value)


def _parse_group(question: Question, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    try:
        count = min(int(_get(data, f"{question.key}-count") or 0), 200)
    except ValueError:
        count = 0
    items = []
    for index in range(count):
        item = {}
        for child in question.children:
            value = _parse_field(child, data, f"{question.key}-{index}-{child.key}")
            if _answered(value):
                item[child.key] = value
        if item:
            items.append(item)
    return items


def _parse_field(question: Question, data: Mapping[str, Any], name: str) -> Any:
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return [str(v) for v in _get(data, name, many=True) if str(v)]
    if question.type == QuestionType.ADDRESS:
        return _parse_address(str(_get(data, name) or "").strip(),
                              str(_get(data, f"{name}-code") or "").strip())
    raw = str(_get(data, name) or "")
    value = raw.strip()
    if not value:
        return None
    return PARSERS.get(question.type, lambda v: v)(value)


# What a person may type as a number or an amount, once spaces are gone and a decimal comma is a
# point: ASCII digits only (no exponent, no `NaN`, no other scripts' digits, which Python's
# Decimal would read).
NUMBER_TYPED = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def _typed(value: str) -> str:
    return value.replace(" ", "").replace("\u00a0", "").replace(",", ".")


def _parse_number(value: str) -> Any:
    cleaned = _typed(value)
    if not NUMBER_TYPED.fullmatch(cleaned):
        return value
    number = Decimal(cleaned)
    number = number + 0  # -0 is 0
    return int(number) if number == number.to_integral_value() else float(number)


def _parse_money(value: str) -> str:
    cleaned = _typed(value.replace("€", "").replace("EUR", ""))
    if not NUMBER_TYPED.fullmatch(cleaned):
        return value
    amount = Decimal(cleaned)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return cleaned  # refused for its precision
    return f"{amount + 0:.2f}"  # -0 is 0


def _parse_date(value: str) -> str:
    parts = value.replace("/", ".").split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        day, month, year = parts
        try:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            return value
    return value


def _parse_address(typed: str, code: str) -> Any:
    """An address question's answer from its field (`typed`) and the register code the widget
    or the no-script choice posted (`<name>-code`): `{"code", "text"}` with the register's
    standard text when the code names a current address and the field still shows it (or is
    empty: a choice without script); else the typed text resolved to the one address it names
    (`addresses.queries.resolve`); else what was typed (a string, which validation refuses:
    free text is no address). None for nothing given."""
    if code.isdigit() and len(code) <= 18:
        found = address_queries.current(int(code))
        if found is None:
            return {"code": int(code), "text": typed}  # refused: no such address now
        if not typed or fold_address(typed) == fold_address(found.std):
            return {"code": found.code, "text": found.std}
    if not typed:
        return None
    resolved = address_queries.resolve(typed)
    if resolved is not None and address_queries.current(resolved.code) is not None:
        return {"code": resolved.code, "text": resolved.std}
    return typed


def standard_addresses(form: CompiledForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` with each address answer naming a current register address given the
    register's standard text (a caller's own text replaced), inside groups too; other answers
    as they are. For answers that came as JSON (a prefill): what is stored is the register's."""
    def standard(question: Question, value: Any) -> Any:
        if question.type == QuestionType.ADDRESS and isinstance(value, dict) and isinstance(
                value.get("code"), int) and not isinstance(value.get("code"), bool):
            found = address_queries.current(value["code"])
            return {"code": found.code, "text": found.std} if found is not None else value
        if question.type == QuestionType.REPEATING_GROUP and isinstance(value, list):
            children = {c.key: c for c in question.children}
            return [{k: standard(children[k], v) if k in children else v
                     for k, v in item.items()} if isinstance(item, dict) else item
                    for item in value]
        return value

    return {key: standard(form.questions[key], value) if key in form.questions else value
            for key, value in answers.items()}


def _parse_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PARSERS: dict[str, Callable[[str], Any]] = {
    QuestionType.NUMBER: _parse_number,
    QuestionType.MONEY: _parse_money,
    QuestionType.DATE: _parse_date,
    QuestionType.PHONE: _parse_phone,
    QuestionType.YES_NO: lambda v: {"yes": True, "no": False}.get(v, v),
    QuestionType.PERSONAL_CODE: compact,
    QuestionType.COMPANY_NUMBER: compact,
    QuestionType.IBAN: lambda v: v.replace(" ", "").upper(),
    QuestionType.FILE: lambda v: {"document_id": int(v)} if v.isdigit() else v,
}


def money(answer: str) -> Decimal:
    """An amount answer (`"12.50"`) as the exact `Decimal` it is."""
    return Decimal(answer)
