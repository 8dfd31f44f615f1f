"""A holder's system opens the platform's form for a client with prefilled answers (B9, A10), in
the browser: the link's page and the refusal page pass axe-core in Latvian and English, work at
375 px, and the client starts the prefilled application with the keyboard alone."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from durvis.eforms.models import Application
from tests.eforms.submitted import delivery_client, delivery_files, submit_application  # noqa: F401

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def prefill_link(request, live_server, person):
    request.getfixturevalue("submit_application")  # publishes the e-form of 1011
    settings = request.getfixturevalue("settings")
    settings.DURVIS_WEBHOOK_ALLOW_INTERNAL = True
    settings.DURVIS_PUBLIC_URL = live_server.url
    institutions = request.getfixturevalue("institutions")
    institutions["VSAA"].website = "https://www.vsaa.gov.lv"
    institutions["VSAA"].save()
    system: Client = request.getfixturevalue("api_client_factory")(
        "VSAA", operations=("applications:prefill",))
    response = system.post("/api/v1/applications/prefill", {
        "service_code": 1011, "answers": {"name": "Jānis Bērziņš", "children_count": 3},
        "return_url": "https://e.vsaa.gov.lv/atpakal",
        "personal_code": person.personal_code}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["url"]


def test_the_client_starts_a_prefilled_application_with_the_keyboard(
        request, live_server, page, sign_in_client):
    person = request.getfixturevalue("delivery_client")
    link = prefill_link(request, live_server, person)
    sign_in_client(page, person)
    for language in ("lv", "en"):
        page.goto(link if language == "lv" else link.replace(live_server.url,
                                                              live_server.url + "/en"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, f"prefill page ({language})")
        page.set_viewport_size({"width": 375, "height": 800})
        assert_no_sideways_scroll(page)
        page.set_viewport_size({"width": 1280, "height": 900})
    start = page.get_by_role("button", name="Start now")
    start.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/eaccount/applications/**")
    application = Application.objects.get()
    assert application.answers["children_count"] == 3
    assert application.return_url == "https://e.vsaa.gov.lv/atpakal"
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "used link page (lv)")
    page.set_viewport_size({"width": 375, "height": 800})
    assert_no_sideways_scroll(page)
