"""Definitions the e-form tests share: one question of each type, and a family-benefit form
with a condition, a route that skips a page, a route that ends the form, and a repeating group."""

from __future__ import annotations

from typing import Any


def t(lv: str, en: str | None = None) -> dict[str, str]:
    return {"lv": lv, "en": en or lv}


def q(key: str, kind: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "type": kind, "label": t(f"Jautājums {key}", f"Question {key}"), **more}


OPTIONS = [{"value": "a", "label": t("A")}, {"value": "b", "label": t("B")},
           {"value": "c", "label": t("C")}]


def one_question(question: dict[str, Any]) -> dict[str, Any]:
    return {"format": "durvis-form/1", "pages": [
        {"key": "p1", "title": t("Lapa"), "questions": [question]}]}


def family_benefit() -> dict[str, Any]:
    return {"format": "durvis-form/1", "pages": [
        {"key": "applicant", "title": t("Iesniedzējs", "Applicant"), "questions": [
            q("name", "short_text", required=True),
            q("resident", "yes_no", required=True),
            q("phone", "phone"),
            q("has_children", "yes_no", required=True),
            q("children_count", "number", integer=True, min=1, max=20,
              condition={"question": "has_children", "op": "equals", "value": True,
                         "effect": "show"}),
            q("email", "email", condition={"question": "has_children", "op": "equals",
                                           "value": True, "effect": "require"}),
        ], "routing": [
            {"when": {"question": "resident", "op": "equals", "value": False},
             "end": t("Pabalstu var saņemt tikai Latvijas iedzīvotāji.",
                      "Only residents of Latvia can receive the benefit.")},
            {"when": {"question": "has_children", "op": "equals", "value": False},
             "goto": "payment"},
        ]},
        {"key": "family", "title": t("Ģimene", "Family"), "questions": [
            q("members", "repeating_group", required=True, min=1, max=3,
              item_label=t("Ģimenes loceklis", "Family member"), questions=[
                  q("member_name", "short_text", required=True),
                  q("member_code", "personal_code", required=True),
                  q("member_born", "date", max="today"),
              ]),
        ]},
        {"key": "payment", "title": t("Izmaksa", "Payment"), "questions": [
            q("iban", "iban", required=True),
            q("amount", "money", min="0.01", max="1000.00"),
        ]},
    ]}
