"""The form builder's forms (A10, A5): a page, a question of each type, a route, turned into
and out of the `durvis-form/1` parts they edit. Only the shape of what is typed is checked here
(a key's letters, an option per line); whether the definition still holds together (unique
keys, conditions on earlier questions, routes forward) is the e-forms services' to say, and
`show_problems` puts their refusal at these forms' fields."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from durvis.core.forms import Form
from durvis.eforms.queries import (
    CHOICE_TYPES,
    COMPARABLE,
    TYPE_LABELS,
    CompiledForm,
    Problem,
    QuestionType,
    text,
)

KEY = RegexValidator(r"^[a-z][a-z0-9_]{0,39}$", _(
    "Use 1 to 40 small Latin letters, digits and _, starting with a letter (such as "
    "family_members)."), code="key")
OPTION_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
LIMITED = {
    QuestionType.SHORT_TEXT: _("characters"), QuestionType.LONG_TEXT: _("characters"),
    QuestionType.ADDRESS: _("characters"), QuestionType.NUMBER: _("value"),
    QuestionType.MONEY: _("amount in euros, such as 10.00"),
    QuestionType.DATE: _("date as YYYY-MM-DD, or today"),
    QuestionType.MULTIPLE_CHOICE: _("options chosen"),
    QuestionType.REPEATING_GROUP: _("items"),
}
OPS = [("equals", _("is")), ("not_equals", _("is not")), ("one_of", _("is one of (separate with commas)")),
       ("includes", _("includes (several answers)"))]


def _texts(data: dict[str, Any], name: str) -> dict[str, str] | None:
    lv, en = data.get(f"{name}_lv", "").strip(), data.get(f"{name}_en", "").strip()
    if not lv and not en:
        return None
    return {"lv": lv or en, "en": en or lv}


def _initial_texts(value: Any, name: str) -> dict[str, str]:
    value = value or {}
    return {f"{name}_lv": value.get("lv", ""), f"{name}_en": value.get("en", "")}


class PageForm(Form):
    key = forms.CharField(label=_("Key"), max_length=40, validators=[KEY], help_text=_(
        "A short name for systems and routes, such as applicant."))
    title_lv = forms.CharField(label=_("Title (Latvian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)

    def title(self) -> dict[str, str]:
        return {"lv": self.cleaned_data["title_lv"], "en": self.cleaned_data["title_en"]}

    @staticmethod
    def initial_from(page: dict[str, Any]) -> dict[str, Any]:
        return {"key": page["key"], **_initial_texts(page["title"], "title")}


class TypeForm(Form):
    type = forms.ChoiceField(label=_("What kind of answer?"), widget=forms.RadioSelect,
                             choices=[(k.value, TYPE_LABELS[k]) for k in QuestionType])

    def __init__(self, *args: Any, in_group: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if in_group:
            field = self.fields["type"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(k.value, TYPE_LABELS[k]) for k in QuestionType
                             if k != QuestionType.REPEATING_GROUP]


def _condition_targets(form: CompiledForm | None, before: str | None, page: str) -> list[tuple[str, str]]:
    """Earlier top-level questions a condition may look at: those before `before` (a key) or,
    for a new question, all on pages up to and including `page`."""
    if form is None:
        return []
    found: list[tuple[str, str]] = []
    for compiled_page in form.pages:
        for question in compiled_page.questions:
            if question.key == before:
                return found
            if question.type in COMPARABLE:
                found.append((question.key, f"{question.label} ({question.key})"))
        if before is None and compiled_page.key == page:
            return found
    return found


class QuestionForm(Form):
    """One question of a given `kind`; the fields that do not apply to it are left out."""

    key = forms.CharField(label=_("Key"), max_length=40, validators=[KEY], help_text=_(
        "A short name for the answer in the data, such as iban."))
    label_lv = forms.CharField(label=_("Question (Latvian)"), max_length=500)
    label_en = forms.CharField(label=_("Question (English)"), max_length=500)
    help_lv = forms.CharField(label=_("Help text (Latvian)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    help_en = forms.CharField(label=_("Help text (English)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    error_lv = forms.CharField(label=_("Error text (Latvian)"), required=False, max_length=500,
                               help_text=_("Shown instead of the standard message when the "
                                           "answer is not valid. Leave empty for the standard."))
    error_en = forms.CharField(label=_("Error text (English)"), required=False, max_length=500)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    options = forms.CharField(
        label=_("Options"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line: value | Latvian | English, such as "
                    "self | Es pats | Myself. The value may be left out."))
    integer = forms.BooleanField(label=_("Whole numbers only"), required=False)
    min = forms.CharField(label=_("Smallest allowed"), required=False, max_length=20)
    max = forms.CharField(label=_("Largest allowed"), required=False, max_length=20)
    item_label_lv = forms.CharField(label=_("Name of one item (Latvian)"), required=False,
                                    max_length=200, help_text=_("Such as Family member."))
    item_label_en = forms.CharField(label=_("Name of one item (English)"), required=False,
                                    max_length=200)
    condition_question = forms.ChoiceField(label=_("Depends on the answer to"), required=False)
    condition_op = forms.ChoiceField(label=_("Condition"), choices=OPS, required=False)
    condition_value = forms.CharField(
        label=_("Value"), required=False, max_length=200,
        help_text=_("yes or no, an option's value, or a number."))
    condition_effect = forms.ChoiceField(
        label=_("When the condition holds"), required=False, widget=forms.RadioSelect,
        choices=[("show", _("show the question (otherwise it is not asked)")),
                 ("require", _("require an answer (otherwise it is optional)"))])

    def __init__(self, *args: Any, kind: str, compiled: CompiledForm | None = None,
                 page: str = "", editing: str | None = None, in_group: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        drop = set()
        if kind not in CHOICE_TYPES:
            drop.add("options")
        if kind != QuestionType.NUMBER:
            drop.add("integer")
        if kind in LIMITED:
            for name in ("min", "max"):
                self.fields[name].help_text = str(LIMITED[QuestionType(kind)])
        else:
            drop |= {"min", "max"}
        if kind != QuestionType.REPEATING_GROUP:
            drop |= {"item_label_lv", "item_label_en"}
        if in_group:
            drop |= {"condition_question", "condition_op", "condition_value", "condition_effect"}
        else:
            field = self.fields["condition_question"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", _("(none: always asked)")),
                             *_condition_targets(compiled, editing, page)]
        for name in drop:
            del self.fields[name]

    @staticmethod
    def initial_from(question: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"key": question["key"], "required": question.get("required", False),
                                   "integer": question.get("integer", False)}
        for name in ("label", "help", "error", "item_label"):
            initial.update(_initial_texts(question.get(name), name))
        for name in ("min", "max"):
            initial[name] = "" if question.get(name) is None else str(question[name])
        initial["options"] = "\n".join(
            f"{o['value']} | {o['label'].get('lv', '')} | {o['label'].get('en', '')}"
            for o in question.get("options", []))
        condition = question.get("condition")
        if condition:
            value = condition["value"]
            shown = ", ".join(_shown(v) for v in value) if isinstance(value, list) else _shown(value)
            initial.update(condition_question=condition["question"], condition_op=condition["op"],
                           condition_value=shown, condition_effect=condition.get("effect", "show"))
        return initial

    def clean_options(self) -> list[dict[str, Any]]:
        options = []
        for number, line in enumerate(self.cleaned_data.get("options", "").splitlines(), 1):
            parts = [p.strip() for p in line.split("|")]
            if not any(parts):
                continue
            if len(parts) == 1:
                parts = [slugify(parts[0]).replace("-", "_")[:60] or f"option_{number}", parts[0]]
            value, lv, en = ([*parts, "", ""])[:3]
            if not OPTION_VALUE.match(value):
                raise forms.ValidationError(
                    _("Line %(line)s: the value may hold only Latin letters, digits, - and _."),
                    code="option_value", params={"line": number})
            if not lv:
                raise forms.ValidationError(_("Line %(line)s: give the option's Latvian text."),
                                            code="option_label", params={"line": number})
            options.append({"value": value, "label": {"lv": lv, "en": en or lv}})
        return options

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("condition_question") and not data.get("condition_value"):
            self.add_error("condition_value", _("Give the value the condition compares with."))
        return data

    def question(self, target_kind: str | None, children: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
        """The `durvis-form/1` question object; `target_kind` is the type of the question the
        condition looks at (to read its value as yes/no, a number or an option)."""
        data = self.cleaned_data
        question: dict[str, Any] = {"key": data["key"], "type": self.kind,
                                    "label": _texts(data, "label")}
        for name in ("help", "error", "item_label"):
            found = _texts(data, name)
            if found:
                question[name] = found
        if data.get("required"):
            question["required"] = True
        if data.get("integer"):
            question["integer"] = True
        if "options" in self.fields:
            question["options"] = data["options"]
        for name in ("min", "max"):
            raw = (data.get(name) or "").strip()
            if raw:
                question[name] = _limit(self.kind, raw)
        if data.get("condition_question"):
            question["condition"] = {
                "question": data["condition_question"], "op": data.get("condition_op") or "equals",
                "value": comparison_value(target_kind, data.get("condition_op") or "equals",
                                          data["condition_value"]),
                "effect": data.get("condition_effect") or "show"}
        if self.kind == QuestionType.REPEATING_GROUP:
            question["questions"] = children or []
        return question


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _limit(kind: str, raw: str) -> Any:
    if kind in (QuestionType.MONEY, QuestionType.DATE):
        return raw.replace(",", ".") if kind == QuestionType.MONEY else raw
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return raw  # the services refuse it at the field, with the type's own words
    if not number.is_finite():
        return raw
    return int(number) if number == number.to_integral_value() else float(number)


def comparison_value(kind: str | None, op: str, raw: str) -> Any:
    """What a builder typed for a condition, as the answers of `kind` hold it: yes/no (jā/nē)
    as true/false, a number as a number, options as their values; `one_of` as a list."""
    parts = [p.strip() for p in raw.split(",")] if op == "one_of" else [raw.strip()]
    values = [_typed(kind, p) for p in parts if p]
    return values if op == "one_of" else (values[0] if values else "")


def _typed(kind: str | None, value: str) -> Any:
    if kind == QuestionType.YES_NO:
        return {"yes": True, "jā": True, "true": True, "no": False, "nē": False,
                "false": False}.get(value.lower(), value)
    if kind == QuestionType.NUMBER:
        return _limit(QuestionType.NUMBER, value)
    return value


class RouteForm(Form):
    when_question = forms.ChoiceField(label=_("When the answer to"))
    when_op = forms.ChoiceField(label=_("Condition"), choices=OPS)
    when_value = forms.CharField(label=_("Value"), max_length=200, help_text=_(
        "yes or no, an option's value, or a number."))
    action = forms.ChoiceField(label=_("Then"), widget=forms.RadioSelect, choices=[
        ("goto", _("skip to a later page")), ("end", _("end the form: the person is not eligible"))])
    goto = forms.ChoiceField(label=_("Page to skip to"), required=False)
    end_lv = forms.CharField(label=_("Why the form ends (Latvian)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    end_en = forms.CharField(label=_("Why the form ends (English)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, compiled: CompiledForm, page: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = self.fields["when_question"]
        goto = self.fields["goto"]
        assert isinstance(question, forms.ChoiceField) and isinstance(goto, forms.ChoiceField)
        question.choices = _condition_targets(compiled, None, page)
        goto.choices = [("", "—"), *((p.key, f"{p.title} ({p.key})") for p in compiled.pages
                                     if p.key != page)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "goto" and not data.get("goto"):
            self.add_error("goto", _("Choose the page to skip to."))
        if data.get("action") == "end" and not data.get("end_lv", "").strip():
            self.add_error("end_lv", _("Say why the form ends here."))
        return data

    def route(self, target_kind: str | None) -> dict[str, Any]:
        data = self.cleaned_data
        route: dict[str, Any] = {"when": {
            "question": data["when_question"], "op": data["when_op"],
            "value": comparison_value(target_kind, data["when_op"], data["when_value"])}}
        if data["action"] == "goto":
            route["goto"] = data["goto"]
        else:
            route["end"] = _texts(data, "end")
        return route


def show_problems(form: forms.Form, problems: list[Problem], *, question: str = "",
                  page: str = "") -> None:
    """Put the services' refusal on `form`: a problem of the question (or page) being edited at
    its field, when the form has one; anything else at the top of the form."""
    for problem in problems:
        own = (question and problem.question == question) or (
            page and not question and problem.page == page and not problem.question)
        if own and problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        else:
            form.add_error(None, problem.message)


def route_label(route: dict[str, Any], compiled: CompiledForm) -> dict[str, str]:
    """A route as the builder lists it: the condition and where it leads."""
    when = route["when"]
    value = when["value"]
    shown = ", ".join(_shown(v) for v in value) if isinstance(value, list) else _shown(value)
    ops = dict(OPS)
    target = (f"{compiled.page(route['goto']).title}" if route.get("goto")
              and any(p.key == route["goto"] for p in compiled.pages) else text(route.get("end")))
    return {"question": when["question"], "op": str(ops.get(when["op"], when["op"])),
            "value": shown, "goto": route.get("goto") or "", "target": target}
