"""A visible focus indicator on every focusable element (WCAG 2.4.7, issue 9): walking a page
with the Tab key, each element that takes the focus looks different (outline, box shadow,
background, colour or underline) from the same element unfocused."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STYLE = """el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth,
  s.outlineColor, s.boxShadow, s.backgroundColor, s.color, s.textDecorationLine,
  s.textDecorationThickness].join("|"); }"""
MAX_TABS = 80


def walk(page, where):
    seen = 0
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = page.evaluate_handle("document.activeElement")
        tag = page.evaluate("el => el.tagName", element)
        if tag == "BODY":
            break
        focused = page.evaluate(STYLE, element)
        page.evaluate("el => el.blur()", element)
        unfocused = page.evaluate(STYLE, element)
        page.evaluate("el => el.focus()", element)
        name = page.evaluate("el => el.outerHTML.slice(0, 120)", element)
        assert focused != unfocused, f"{where}: no visible focus on {name}"
        seen += 1
    assert seen > 3, f"{where}: only {seen} focusable elements reached"


@pytest.mark.parametrize("width", [375, 1280])
def test_every_focusable_element_shows_the_focus(live_server, family, staff, page,
                                                 sign_in_client, staff_login, width):
    from django.conf import settings
    from django.test import Client

    page.set_viewport_size({"width": width, "height": 900})
    for path in ("/", "/services/?q=pabalsts", "/en/services/1011/", "/accessibility/"):
        page.goto(live_server.url + path)
        walk(page, f"{path} at {width}px")
    sign_in_client(page, family["parent"])
    for path in ("/eaccount/", "/eaccount/history/", "/eaccount/documents/upload/"):
        page.goto(live_server.url + path)
        walk(page, f"{path} at {width}px")
    client = staff_login(Client(), staff["vsaa_admin"])
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    for path in ("/staff/", "/administration/integrations/", "/staff/team/"):
        page.goto(live_server.url + path)
        walk(page, f"{path} at {width}px")
