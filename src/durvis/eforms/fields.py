"""The fields of an e-form page as the citizen sees it (A10): what the partial
`templates/eforms/question.html` renders for each question, used by the journey's pages and the
builder's preview alike."""

from __future__ import annotations

from typing import Any

from durvis.eforms.definition import QuestionType, text
from durvis.eforms.engine import AnswerError, CompiledForm, Question

FILE = QuestionType.FILE


def shown_value(question: Question, value: Any) -> Any:
    """An answer as its field shows it again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if question.type == FILE and isinstance(value, dict):
        return value
    if question.type == QuestionType.ADDRESS and isinstance(value, dict):
        return str(value.get("text") or "")  # the register's text (its code: `_field`'s "code")
    return value


def fields(form: CompiledForm, questions: list[Question], answers: dict[str, Any],
           errors: dict[str, AnswerError], extra_items: dict[str, int] | None = None
           ) -> list[dict[str, Any]]:
    """What `eforms/question.html` renders for each question: name, texts, value, options,
    error and, for a group, its items' fields (`<group>-<i>-<key>`)."""
    result = []
    for question in questions:
        entry = _field(question, question.key, answers.get(question.key), errors.get(question.key))
        if question.type == QuestionType.REPEATING_GROUP:
            given = answers.get(question.key) or []
            least = max(int(question.definition.get("min") or 0), 1)
            count = max(len(given), least) + (extra_items or {}).get(question.key, 0)
            entry["items"] = [[
                _field(child, f"{question.key}-{index}-{child.key}",
                       (given[index] if index < len(given) and isinstance(given[index], dict)
                        else {}).get(child.key),
                       errors.get(f"{question.key}.{index}.{child.key}"))
                for child in question.children] for index in range(count)]
            entry["count"] = count
            entry["item_label"] = text(question.definition.get("item_label")) or question.label
        result.append(entry)
    return result


def _field(question: Question, name: str, value: Any,
           error: AnswerError | None) -> dict[str, Any]:
    definition = question.definition
    chosen = value if isinstance(value, list) else [value]
    hint = f"f-{name}-hint" if definition.get("help") else ""
    # A draft saved before the address question was the register's (A9) holds typed text: it
    # is shown as it was, and the person is asked to pick it from the register.
    old_text = question.type == QuestionType.ADDRESS and isinstance(value, str) and bool(
        value.strip())
    return {
        "describedby": " ".join(filter(None, [hint, f"f-{name}-old" if old_text else "",
                                              f"f-{name}-error" if error else ""])),
        "old_text": value.strip() if old_text else "",
        "matches": None,  # an address question's register answers (views.page, find_address)
        "code": value.get("code") if question.type == QuestionType.ADDRESS and isinstance(
            value, dict) else "",  # an address answer's register code (the widget keeps it)
        "name": name, "type": question.type, "label": question.label,
        "help": text(definition.get("help")), "value": shown_value(question, value),
        "required": question.required, "error": error.message if error else "",
        "options": [{"value": o["value"], "label": text(o["label"]),
                     "checked": o["value"] in chosen} for o in definition.get("options", [])],
    }


