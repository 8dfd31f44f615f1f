"""The form builder's steps that the browser journeys share (A10, A5): in the builder at
/administration/forms/, a form builder of the service's holder starts a draft and builds the
two-page family form (a required yes/no question "has_children", its type chosen with the
keyboard alone; a page "family" whose repeating group "members" is shown only after "yes"),
previews it to its end and publishes it. The sign-in is the fixture `builder_login`
(tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SUBMIT = "main form button[type=submit]"
NEXT = "main form button.govuk-button:not([name])"  # the preview's "continue", not "add another"

# (key, type, Latvian label, English label) of a group's questions; each required.
MEMBER_NAME = ("member_name", "short_text", "Vārds", "Name")
MEMBER_CODE = ("member_code", "personal_code", "Personas kods", "Personal code")


def add_question(page: Any, kind: str, fields: Mapping[str, str], checks: Iterable[str] = (),
                 selects: Mapping[str, str] | None = None, keyboard: bool = False) -> None:
    """On "Add a question": choose the type `kind` (with Space and Enter when `keyboard`), then
    fill the question's form (`fields` by field name, tick `checks`, choose `selects`); the
    caller submits it."""
    radio = page.locator(f"input[name=type][value={kind}]")
    if keyboard:
        radio.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
    else:
        radio.check()
        page.locator(SUBMIT).click()
    for name, value in fields.items():
        page.locator(f"#id_{name}").fill(value)
    for name in checks:
        page.locator(f"#id_{name}").check()
    for name, value in (selects or {}).items():
        page.locator(f"#id_{name}").select_option(value)


def start_draft(page: Any, code: int) -> None:
    """From the builder's list of forms: open service `code`'s form and build a new draft."""
    from playwright.sync_api import expect

    page.locator(f"a[href='/administration/forms/{code}/']").click()
    page.locator(f"form[action$='/{code}/draft/'] button").click()
    expect(page.get_by_role("status")).to_be_visible()


def build_family_form(page: Any, base: str,
                      members: Iterable[tuple[str, str, str, str]] = (MEMBER_NAME,)) -> None:
    """On the draft's page `base` (the form's address without the closing slash): page 1 gets
    the required yes/no "has_children" (its type chosen with the keyboard alone); a new page
    "family" gets the required repeating group "members" (1 to 3 items) shown only when
    has_children is yes, with the required questions `members`. Ends on the draft's page."""
    from playwright.sync_api import expect

    page.locator("a[href$='/pages/page_1/questions/new/']").click()
    add_question(page, "yes_no", {"key": "has_children", "label_lv": "Vai jums ir bērni?",
                                  "label_en": "Do you have children?"}, checks=["required"],
                 keyboard=True)
    page.locator(SUBMIT).click()
    expect(page).to_have_url(f"{base}/")

    page.locator("a[href$='/pages/new/']").click()
    page.locator("#id_key").fill("family")
    page.locator("#id_title_lv").fill("Ģimene")
    page.locator("#id_title_en").fill("Family")
    page.locator(SUBMIT).click()
    page.locator("a[href$='/pages/family/questions/new/']").click()
    add_question(page, "repeating_group", {
        "key": "members", "label_lv": "Ģimenes locekļi", "label_en": "Family members",
        "min": "1", "max": "3", "item_label_lv": "Ģimenes loceklis",
        "item_label_en": "Family member", "condition_value": "yes"},
        checks=["required"], selects={"condition_question": "has_children"})
    page.locator(SUBMIT).click()
    for key, kind, label_lv, label_en in members:
        page.locator("a[href$='/questions/members/']").click()
        page.locator("a[href*='questions/new/?group=members']").click()
        add_question(page, kind, {"key": key, "label_lv": label_lv, "label_en": label_en},
                     checks=["required"])
        page.locator(SUBMIT).click()
        expect(page).to_have_url(f"{base}/")


def preview_family_form(page: Any, item: Mapping[str, str]) -> None:
    """From the draft's page: the preview, answered "yes"; the family page refuses no member,
    then takes one (`item`: its answers by group question key) and reaches the end, which
    shows them."""
    from playwright.sync_api import expect

    page.locator("a[href$='/preview/']").click()
    page.locator("#f-has_children").check()
    page.locator(NEXT).click()
    expect(page.locator("h1")).to_have_text("Ģimene")
    page.locator(NEXT).click()
    expect(page.locator("#f-members-error")).to_be_visible()
    for key, value in item.items():
        page.locator(f"#f-members-0-{key}").fill(value)
    page.locator(NEXT).click()
    for value in item.values():
        expect(page.locator("main")).to_contain_text(value)


def publish(page: Any, base: str) -> None:
    """Publish the draft at `base`: the difference with the live form first, then the
    confirmation."""
    from playwright.sync_api import expect

    page.goto(f"{base}/publish/")
    expect(page.locator("table")).to_contain_text("members")
    page.locator(SUBMIT).click()
    expect(page.get_by_role("status")).to_contain_text("1")
