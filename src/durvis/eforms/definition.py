"""The form definition format, `durvis-form/1` (A10): what one version of a service's e-form says,
stored as data, and how it is checked.

A definition is a JSON document (`definition.schema.json` beside this module is its JSON Schema
2020-12; docs/eforms.md explains it): pages of questions, each with a key, a type, texts in
Latvian and English (`{"lv": ..., "en": ...}`), validation (`required`, `min`, `max`,
`integer`, `options`), a condition (`show` or `require` it on an earlier answer) and, per page,
routing (skip to a later page, or end the form with a reason). The answers' JSON Schema 2020-12
is derived from it (`answers_schema`), so an answer set is data any system can check.

`problems(definition)` names everything wrong with a definition, each problem placed at a page,
a question (`members.name` inside a group), a route and a field (the builder's field names), so
the builder shows it at the field; `publish_problems` adds what only a form to be published must
have. Nothing here touches the database.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

FORMAT = "durvis-form/1"
SCHEMA_PATH = Path(__file__).with_name("definition.schema.json")


class QuestionType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    EMAIL = "email"
    PHONE = "phone"
    PERSONAL_CODE = "personal_code"
    COMPANY_NUMBER = "company_number"
    IBAN = "iban"
    ADDRESS = "address"
    FILE = "file"
    REPEATING_GROUP = "repeating_group"


TYPE_LABELS = {
    QuestionType.SHORT_TEXT: gettext_lazy("Short text"),
    QuestionType.LONG_TEXT: gettext_lazy("Long text"),
    QuestionType.NUMBER: gettext_lazy("Number"),
    QuestionType.MONEY: gettext_lazy("Amount of money (EUR)"),
    QuestionType.DATE: gettext_lazy("Date"),
    QuestionType.SINGLE_CHOICE: gettext_lazy("One of several options"),
    QuestionType.MULTIPLE_CHOICE: gettext_lazy("Several of several options"),
    QuestionType.YES_NO: gettext_lazy("Yes or no"),
    QuestionType.EMAIL: gettext_lazy("E-mail address"),
    QuestionType.PHONE: gettext_lazy("Phone number"),
    QuestionType.PERSONAL_CODE: gettext_lazy("Personal code"),
    QuestionType.COMPANY_NUMBER: gettext_lazy("Company registration number"),
    QuestionType.IBAN: gettext_lazy("Bank account (IBAN)"),
    QuestionType.ADDRESS: gettext_lazy("Address"),
    QuestionType.FILE: gettext_lazy("File upload"),
    QuestionType.REPEATING_GROUP: gettext_lazy("Repeating group (a list of items)"),
}

TEXT_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.ADDRESS})
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
# What `min` and `max` limit: the length of a text, the value of a number or an amount, a date,
# or how many items (options chosen, group items). An address is no text the person writes but
# a register's address (its length is the register's standard text's): limits on it are refused.
LENGTH_LIMITED = TEXT_TYPES - {QuestionType.ADDRESS}
VALUE_LIMITED = frozenset({QuestionType.NUMBER, QuestionType.MONEY})
DATE_LIMITED = frozenset({QuestionType.DATE})
COUNT_LIMITED = frozenset({QuestionType.MULTIPLE_CHOICE, QuestionType.REPEATING_GROUP})
# Questions a condition or a route may look at.
COMPARABLE = frozenset({QuestionType.YES_NO, QuestionType.SINGLE_CHOICE,
                        QuestionType.MULTIPLE_CHOICE, QuestionType.NUMBER})
DEFAULT_MAX_LENGTH = {QuestionType.SHORT_TEXT: 200, QuestionType.LONG_TEXT: 5000,
                      QuestionType.ADDRESS: 500}
MAX_GROUP_ITEMS = 50
# An address answer (A9): the State Address Register's code of a current building or premises,
# and its standard text (the platform writes the register's own text; a text given is ignored).
ADDRESS_ANSWER = ('{"code": <the State Address Register code of a current building or premises>, '
                  '"text": <its standard text: written by the platform from the register>}')
# Page keys the addresses of the journey and of the builder use for their own steps
# (`…/<reference>/check/`, `…/submitted/`, `…/discard/`; the builder's `pages/new/`, the
# preview's `end/`): a page with such a key could never be reached.
RESERVED_PAGE_KEYS = frozenset({"check", "submitted", "discard", "new", "end"})
MONEY_PATTERN = r"^-?(0|[1-9][0-9]{0,11})\.[0-9]{2}$"
MONEY_LIMIT = re.compile(r"^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")


def text(value: Any) -> str:
    """A definition's text (`{"lv": ..., "en": ...}`) in the active language, Latvian when the
    English is missing; "" for no text."""
    if not isinstance(value, dict):
        return ""
    language = (get_language() or "lv")[:2]
    return str(value.get(language) or value.get("lv") or "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (`page` key, `question` key, dotted inside a
    group: `members.name`; `route` index on the page), the builder's `field` it is about
    (`key`, `options`, `min`, `condition_question`, `goto`, ...; "" for the whole thing), a
    stable `code` and a `message` in the active language."""

    page: str
    question: str
    route: int | None
    field: str
    code: str
    message: str


@cache
def _definition_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(definition: Any) -> list[Problem]:
    """Everything wrong with `definition` (a parsed JSON document), in document order: first
    its shape against `definition.schema.json` (code `schema`, the JSON path in the message),
    and only for a well-shaped one the rules JSON Schema cannot say: unique keys (`duplicate`),
    no page keyed like a step of the journey (`reserved`: `RESERVED_PAGE_KEYS`),
    choice questions with options (`no_options`, `duplicate_option`), limits that fit the type
    (`limit`, `limit_order`), conditions and routes on earlier questions of a comparable type
    with a value it can have (`condition_later`, `condition_unknown`, `condition_type`,
    `condition_value`), routes to later pages (`goto_earlier`, `goto_unknown`), no group in a
    group (`group_nested`). Returns [] for a good one (a draft may still be incomplete:
    `publish_problems`)."""
    shape = sorted(_definition_validator().iter_errors(definition), key=lambda e: list(e.path))
    if shape:
        return [Problem("", "", None, "", "schema", f"{e.json_path}: {e.message}")
                for e in shape[:20]]
    return [p for p in _Checker(definition).run() if p.code not in INCOMPLETE]


# What a draft may lack while it is built, but a published form may not.
INCOMPLETE = frozenset({"group_empty"})


def publish_problems(definition: Any) -> list[Problem]:
    """`problems`, plus what a published form needs: at least one page (`no_pages`), a
    question on every page (`empty_page`) and in every repeating group (`group_empty`)."""
    found = problems(definition)
    if found:
        return found
    found = [p for p in _Checker(definition).run() if p.code in INCOMPLETE]
    if found:
        return found
    pages = definition["pages"]
    if not pages:
        return [Problem("", "", None, "", "no_pages", _("The form has no pages."))]
    return [Problem(page["key"], "", None, "", "empty_page",
                    _("The page “%(title)s” has no questions.") % {"title": text(page["title"])})
            for page in pages if not page["questions"]]


class _Checker:
    """The semantic checks of `problems`, walking the pages in order so that "earlier" is what
    has been seen."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.pages = definition["pages"]
        self.found: list[Problem] = []
        self.seen: dict[str, dict[str, Any]] = {}  # top-level questions so far, by key

    def add(self, page: str, question: str, field: str, code: str, message: str,
            route: int | None = None) -> None:
        self.found.append(Problem(page, question, route, field, code, message))

    def run(self) -> list[Problem]:
        page_keys: list[str] = []
        for page in self.pages:
            if page["key"] in RESERVED_PAGE_KEYS:
                self.add(page["key"], "", "key", "reserved",
                         _("“%(key)s” names a step of every form (%(reserved)s): choose another "
                           "key.") % {"key": page["key"],
                                      "reserved": ", ".join(sorted(RESERVED_PAGE_KEYS))})
            elif page["key"] in page_keys:
                self.add(page["key"], "", "key", "duplicate",
                         _("Another page already has the key “%(key)s”.") % {"key": page["key"]})
            page_keys.append(page["key"])
        for index, page in enumerate(self.pages):
            for question in page["questions"]:
                self.question(page["key"], question, top_level=True)
            for number, route in enumerate(page.get("routing", [])):
                self.route(page["key"], page_keys, index, number, route)
        return self.found

    def question(self, page: str, question: dict[str, Any], *, top_level: bool,
                 group: str = "", siblings: set[str] | None = None) -> None:
        key = f"{group}.{question['key']}" if group else question["key"]
        kind = question["type"]
        taken = siblings if siblings is not None else self.seen
        if question["key"] in taken:
            self.add(page, key, "key", "duplicate",
                     _("Another question already has the key “%(key)s”.") % {"key": question["key"]})
        if "condition" in question:
            if top_level:
                self.condition(page, key, question["condition"], "condition")
            else:
                self.add(page, key, "condition_question", "condition_in_group",
                         _("A question inside a repeating group cannot have a condition."))
        self.options(page, key, kind, question.get("options"))
        self.limits(page, key, kind, question)
        if kind == QuestionType.REPEATING_GROUP:
            self.group(page, key, question, top_level)
        if siblings is not None:
            siblings.add(question["key"])
        else:
            self.seen[question["key"]] = question

    def group(self, page: str, key: str, question: dict[str, Any], top_level: bool) -> None:
        if not top_level:
            self.add(page, key, "type", "group_nested",
                     _("A repeating group cannot hold another repeating group."))
            return
        children = question.get("questions", [])
        if not children:
            self.add(page, key, "questions", "group_empty",
                     _("Add at least one question to the repeating group."))
        inside: set[str] = set()
        for child in children:
            self.question(page, child, top_level=False, group=key, siblings=inside)

    def options(self, page: str, key: str, kind: str, options: list[dict[str, Any]] | None) -> None:
        if kind not in CHOICE_TYPES:
            return
        values = [option["value"] for option in options or []]
        least = 2 if kind == QuestionType.SINGLE_CHOICE else 1
        if len(values) < least:
            self.add(page, key, "options", "no_options",
                     _("Give at least %(count)s options to choose from.") % {"count": least})
        elif len(set(values)) != len(values):
            self.add(page, key, "options", "duplicate_option",
                     _("Each option needs its own value."))

    def limits(self, page: str, key: str, kind: str, question: dict[str, Any]) -> None:
        parsed = {}
        for field in ("min", "max"):
            value = question.get(field)
            if value is None:
                continue
            limit = parse_limit(kind, value)
            if limit is None:
                self.add(page, key, field, "limit", _limit_message(kind))
            else:
                parsed[field] = limit
        if len(parsed) == 2 and parsed["min"] > parsed["max"]:
            self.add(page, key, "max", "limit_order",
                     _("The largest allowed value is smaller than the smallest."))

    def condition(self, page: str, key: str, condition: dict[str, Any], prefix: str,
                  route: int | None = None) -> None:
        target = self.seen.get(condition["question"])
        if target is None:
            later = any(q["key"] == condition["question"] for p in self.pages for q in p["questions"])
            self.add(page, key, f"{prefix}_question",
                     "condition_later" if later else "condition_unknown",
                     _("A condition can only depend on an earlier question.") if later else
                     _("There is no question “%(key)s”.") % {"key": condition["question"]}, route)
            return
        message = condition_value_problem(target, condition["op"], condition["value"])
        if message:
            code = "condition_type" if target["type"] not in COMPARABLE else "condition_value"
            field = f"{prefix}_question" if code == "condition_type" else f"{prefix}_value"
            self.add(page, key, field, code, message, route)

    def route(self, page: str, page_keys: list[str], index: int, number: int,
              route: dict[str, Any]) -> None:
        self.condition(page, "", route["when"], "when", number)
        goto = route.get("goto")
        if goto is None:
            if not text(route.get("end")).strip():
                self.add(page, "", "end_lv", "end_reason",
                         _("Say why the form ends here."), number)
            return
        if goto not in page_keys:
            self.add(page, "", "goto", "goto_unknown",
                     _("There is no page “%(key)s”.") % {"key": goto}, number)
        elif page_keys.index(goto) <= index:
            self.add(page, "", "goto", "goto_earlier",
                     _("A route can only skip forward, to a later page."), number)


def condition_value_problem(target: dict[str, Any], op: str, value: Any) -> str:
    """What is wrong with comparing question `target` by `op` with `value`, or ""."""
    kind = target["type"]
    if kind not in COMPARABLE:
        return _("A condition can depend only on a yes/no, choice or number question.")
    values = value if isinstance(value, list) else [value]
    if (op == "one_of") != isinstance(value, list) or not values:
        return _("“One of” takes a list of values; the other comparisons one value.")
    if op == "includes" and kind != QuestionType.MULTIPLE_CHOICE:
        return _("“Includes” is for questions with several answers.")
    if kind == QuestionType.YES_NO and not all(isinstance(v, bool) for v in values):
        return _("Compare a yes/no question with yes or no.")
    if kind == QuestionType.NUMBER and not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return _("Compare a number question with a number.")
    if kind in CHOICE_TYPES:
        known = {option["value"] for option in target.get("options", [])}
        if not all(isinstance(v, str) and v in known for v in values):
            return _("Compare with one of the question's options: %(options)s.") % {
                "options": ", ".join(sorted(known))}
    return ""


def parse_limit(kind: str, value: Any) -> Any:
    """A `min` or `max` as the type compares it (int length or count, Decimal value, a date or
    the word `today`), or None when it does not fit the type."""
    if kind in LENGTH_LIMITED or kind in COUNT_LIMITED:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if ok else None
    if kind == QuestionType.NUMBER:
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value))
        return Decimal(str(value)) if ok else None
    if kind == QuestionType.MONEY:
        if isinstance(value, str) and MONEY_LIMIT.match(value):
            return Decimal(value)
        return None
    if kind == QuestionType.DATE and isinstance(value, str):
        if value == "today":
            return datetime.date.max  # compares as "any date" here; checked against today
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _limit_message(kind: str) -> str:
    if kind in LENGTH_LIMITED:
        return _("Give a number of characters (a whole number, 0 or more).")
    if kind in COUNT_LIMITED:
        return _("Give a number of items (a whole number, 0 or more).")
    if kind == QuestionType.NUMBER:
        return _("Give a number.")
    if kind == QuestionType.MONEY:
        return _("Give an amount in euros with at most 2 decimals, such as 12.50.")
    if kind == QuestionType.DATE:
        return _("Give a date as YYYY-MM-DD, or the word today.")
    if kind == QuestionType.ADDRESS:
        return _("An address is chosen from the State Address Register, so it has no length "
                 "limits: leave the smallest and the largest empty.")
    return _("This type of question has no limits.")


def answer_schema(question: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema 2020-12 of one question's answer; `x-durvis` names the type for the
    checks JSON Schema cannot say (the text rule, formats, checksums, money precision)."""
    kind = question["type"]
    low, high = question.get("min"), question.get("max")
    schema: dict[str, Any] = {"x-durvis": kind}
    if kind == QuestionType.ADDRESS:  # the engine's `x-durvis` checks the shape and the code
        schema.update(type="object", description=ADDRESS_ANSWER)
    elif kind in TEXT_TYPES:
        schema.update(type="string", maxLength=high if high is not None else DEFAULT_MAX_LENGTH[kind])
        if low:
            schema["minLength"] = low
    elif kind == QuestionType.NUMBER:
        schema["type"] = "integer" if question.get("integer") else "number"
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
    elif kind == QuestionType.MONEY:
        schema.update(type="string", pattern=MONEY_PATTERN)
    elif kind == QuestionType.DATE:
        schema.update(type="string", format="date")
    elif kind == QuestionType.SINGLE_CHOICE:
        schema.update(type="string", enum=[o["value"] for o in question.get("options", [])])
    elif kind == QuestionType.MULTIPLE_CHOICE:
        schema.update(type="array", uniqueItems=True, items={
            "type": "string", "enum": [o["value"] for o in question.get("options", [])]})
    elif kind == QuestionType.YES_NO:
        schema = {"type": "boolean"}
    elif kind == QuestionType.EMAIL:
        schema.update(type="string", format="email", maxLength=254)
    elif kind == QuestionType.PHONE:
        schema.update(type="string", pattern=r"^\+[1-9][0-9]{6,14}$")
    elif kind in (QuestionType.PERSONAL_CODE, QuestionType.COMPANY_NUMBER):
        schema.update(type="string", pattern="^[0-9]{11}$")
    elif kind == QuestionType.IBAN:
        schema.update(type="string", pattern="^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
    elif kind == QuestionType.FILE:
        schema = {"type": "object", "required": ["document_id"], "additionalProperties": False,
                  "properties": {"document_id": {"type": "integer", "minimum": 1},
                                 "name": {"type": "string", "maxLength": 255, "x-durvis": "name"}}}
    elif kind == QuestionType.REPEATING_GROUP:
        children = question.get("questions", [])
        schema = {"type": "array", "maxItems": high if high is not None else MAX_GROUP_ITEMS,
                  "items": {"type": "object", "additionalProperties": False,
                            "properties": {c["key"]: answer_schema(c) for c in children},
                            "required": [c["key"] for c in children if c.get("required")]}}
        if low:
            schema["minItems"] = low
    if kind in COUNT_LIMITED and kind != QuestionType.REPEATING_GROUP:
        if low:
            schema["minItems"] = low
        if high is not None:
            schema["maxItems"] = high
    if kind in (QuestionType.MONEY, QuestionType.DATE) and (low is not None or high is not None):
        schema["x-durvis-range"] = [low, high]
    if kind in TEXT_TYPES and kind != QuestionType.ADDRESS and question.get("required") and not low:
        schema["minLength"] = 1
    return schema


def answers_schema(definition: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema 2020-12 of a whole answer set: an object of the answers by question key.
    Which questions must be answered depends on conditions and routing, which the layout says
    (the engine checks them), so no top-level question is `required` here."""
    properties = {q["key"]: answer_schema(q) for page in definition["pages"]
                  for q in page["questions"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "additionalProperties": False, "properties": properties}


def empty_definition() -> dict[str, Any]:
    """A new form's definition: one page, no questions yet."""
    return {"format": FORMAT, "pages": [
        {"key": "page_1", "title": {"lv": "Iesniegums", "en": "Application"}, "questions": []}]}


def decimal_or_none(value: str) -> Decimal | None:
    """`value` as a finite `Decimal`, or None (not a number; `NaN`, `Infinity`: no amount)."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
