"""The builder's edits of a draft's definition (A10), as pure functions on the document: each
changes `definition` in place and raises LookupError for a page or question it does not have.
Whether the result is a good definition is `definition.problems`' to say; the services check it
before anything is saved. Private: the services are the public face."""

from __future__ import annotations

from typing import Any

Definition = dict[str, Any]


def _page(definition: Definition, key: str) -> dict[str, Any]:
    for page in definition["pages"]:
        if page["key"] == key:
            return page
    raise LookupError(f"no page {key}")


def _siblings(definition: Definition, key: str) -> tuple[list[dict[str, Any]], int]:
    """The list holding question `key` (`group.child` inside a group) and its index there."""
    head, _, child = key.partition(".")
    for page in definition["pages"]:
        for index, question in enumerate(page["questions"]):
            if question["key"] != head:
                continue
            if not child:
                return page["questions"], index
            inner = question.get("questions", [])
            for position, sub in enumerate(inner):
                if sub["key"] == child:
                    return inner, position
    raise LookupError(f"no question {key}")


def find_question(definition: Definition, key: str) -> dict[str, Any]:
    questions, index = _siblings(definition, key)
    return questions[index]


def page_of(definition: Definition, key: str) -> str:
    head = key.partition(".")[0]
    for page in definition["pages"]:
        if any(q["key"] == head for q in page["questions"]):
            return str(page["key"])
    raise LookupError(f"no question {key}")


def add_page(definition: Definition, page: dict[str, Any]) -> None:
    definition["pages"].append({"questions": [], **page})


def update_page(definition: Definition, key: str, changes: dict[str, Any]) -> None:
    """Change a page's key or title; routes to it follow a new key."""
    page = _page(definition, key)
    new_key = changes.get("key", key)
    page.update(changes)
    if new_key != key:
        for other in definition["pages"]:
            for route in other.get("routing", []):
                if route.get("goto") == key:
                    route["goto"] = new_key


def move_page(definition: Definition, key: str, step: int) -> None:
    pages = definition["pages"]
    index = pages.index(_page(definition, key))
    target = index + step
    if 0 <= target < len(pages):
        pages[index], pages[target] = pages[target], pages[index]


def remove_page(definition: Definition, key: str) -> None:
    definition["pages"].remove(_page(definition, key))


def put_question(definition: Definition, *, page: str, question: dict[str, Any],
                 replacing: str | None = None, group: str | None = None) -> None:
    """Add `question` at the end of `page` (or of the repeating group `group`), or put it in
    the place of `replacing` (its conditions and routes follow a changed key)."""
    if replacing is not None:
        questions, index = _siblings(definition, replacing)
        old_key = questions[index]["key"]
        if "questions" in questions[index] and "questions" not in question:
            question["questions"] = questions[index]["questions"]
        questions[index] = question
        if "." not in replacing and question["key"] != old_key:
            _rename_references(definition, old_key, question["key"])
        return
    if group is not None:
        parent = find_question(definition, group)
        parent.setdefault("questions", []).append(question)
        return
    _page(definition, page)["questions"].append(question)


def _rename_references(definition: Definition, old: str, new: str) -> None:
    for page in definition["pages"]:
        for question in page["questions"]:
            condition = question.get("condition")
            if condition and condition["question"] == old:
                condition["question"] = new
        for route in page.get("routing", []):
            if route["when"]["question"] == old:
                route["when"]["question"] = new


def move_question(definition: Definition, key: str, step: int) -> None:
    questions, index = _siblings(definition, key)
    target = index + step
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]


def remove_question(definition: Definition, key: str) -> None:
    questions, index = _siblings(definition, key)
    del questions[index]


def add_route(definition: Definition, page: str, route: dict[str, Any]) -> None:
    _page(definition, page).setdefault("routing", []).append(route)


def remove_route(definition: Definition, page: str, index: int) -> None:
    routes = _page(definition, page).get("routing", [])
    if not 0 <= index < len(routes):
        raise LookupError(f"no route {index} on {page}")
    del routes[index]
