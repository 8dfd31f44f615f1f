"""A readable difference between two versions of a form (A10): what publishing a draft changes
against the live version, said page by page and question by question in the active language.
Private: `queries.diff` is the public face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from durvis.eforms.definition import TYPE_LABELS, text

# The parts of a question a change names, with what people call them.
FIELDS = {
    "label": lambda: _("question text"), "help": lambda: _("help text"),
    "error": lambda: _("error text"), "type": lambda: _("type"),
    "required": lambda: _("required"), "options": lambda: _("options"),
    "min": lambda: _("smallest allowed"), "max": lambda: _("largest allowed"),
    "integer": lambda: _("whole numbers only"), "condition": lambda: _("condition"),
    "item_label": lambda: _("item name"), "questions": lambda: _("questions of the group"),
}


@dataclass(frozen=True)
class Change:
    """One difference: `kind` is `added`, `removed`, `changed` or `moved`; `what` names the page
    or question; `detail` says what changed (may be "")."""

    kind: str
    what: str
    detail: str = ""


def _questions(definition: dict[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    if not definition:
        return {}
    return {q["key"]: (p["key"], q) for p in definition["pages"] for q in p["questions"]}


def _pages(definition: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in definition["pages"]} if definition else {}


def _name(question: dict[str, Any]) -> str:
    return f"“{text(question['label'])}” ({question['key']})"


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """The changes from `old` (None: nothing published yet) to `new`, pages first, then
    questions in `new`'s order, then those removed."""
    changes: list[Change] = []
    old_pages, new_pages = _pages(old), _pages(new)
    old_order = list(old_pages)
    for page_key, page in new_pages.items():
        name = f"“{text(page['title'])}”"
        before = old_pages.get(page_key)
        if before is None:
            changes.append(Change("added", _("Page %(name)s") % {"name": name}))
            continue
        if before["title"] != page["title"]:
            changes.append(Change("changed", _("Page %(name)s") % {"name": name}, _("title")))
        if before.get("routing", []) != page.get("routing", []):
            changes.append(Change("changed", _("Page %(name)s") % {"name": name}, _("routing")))
    kept = [k for k in new_pages if k in old_pages]
    if kept != [k for k in old_order if k in new_pages]:
        changes.append(Change("moved", _("Pages"), _("new order")))
    changes.extend(Change("removed", _("Page %(name)s") % {"name": f"“{text(p['title'])}”"})
                   for k, p in old_pages.items() if k not in new_pages)
    old_questions, new_questions = _questions(old), _questions(new)
    for key, (page_key, question) in new_questions.items():
        found = old_questions.get(key)
        if found is None:
            changes.append(Change("added", _("Question %(name)s") % {"name": _name(question)},
                                  str(TYPE_LABELS.get(question["type"], question["type"]))))
            continue
        old_page, before = found
        fields = [str(label()) for field, label in FIELDS.items()
                  if before.get(field) != question.get(field)]
        if fields:
            changes.append(Change("changed", _("Question %(name)s") % {"name": _name(question)},
                                  ", ".join(fields)))
        if old_page != page_key:
            changes.append(Change("moved", _("Question %(name)s") % {"name": _name(question)},
                                  _("to page “%(page)s”") % {
                                      "page": text(new_pages[page_key]["title"])}))
    changes.extend(Change("removed", _("Question %(name)s") % {"name": _name(q)})
                   for k, (_p, q) in old_questions.items() if k not in new_questions)
    return changes
