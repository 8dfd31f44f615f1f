"""The e-account journey in Chromium (A2, A12, C1–C3): a parent signs in through the demo
identity provider (OpenID Connect), sees a case that a back-office system created and updated
through the API, opens its timeline, acts for their child and back, reads a message and downloads
its attachment, uploads a document, turns a notification off and rates the decided case; the SMTP
server on loopback receives the e-mail about the status change."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from durvis.core.events import dispatch_due
from durvis.documents.models import Document
from durvis.integrations import services as integrations
from durvis.messaging.models import NotificationPreference
from durvis.register.models import Feedback, ServiceCase
from tests.documents.samples import PDF

from .axe import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def now():
    return timezone.now().isoformat()


def call_api(live_server, token, path, body):
    """A back-office system's call over HTTP, as it would make it."""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/{urllib.parse.quote(path)}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_client_follows_a_case_in_the_e_account(live_server, demo_signin, family, smtp,
                                                     api_client_factory, page, tmp_path,
                                                     settings):
    settings.MEDIA_ROOT = str(tmp_path)
    parent, child = family["parent"], family["child"]
    system = api_client_factory("VSAA", operations=("cases:read", "cases:write",
                                                    "messages:write"))

    # A back-office system registers an application and reports progress through the API.
    case = call_api(live_server, system.token, "cases", {
        "service_code": 1011, "identification": "signed_in", "application_channel": "centre",
        "personal_code": parent.personal_code})
    number = case["number"]
    call_api(live_server, system.token, f"cases/{number}/events",
             {"status": "in_progress", "holder_status": "Izskatīšanā pie speciālista",
              "occurred_at": now()})
    while dispatch_due() or integrations.deliver_due():  # the worker's rounds
        pass
    to_parent = [m for rcpt, m in smtp.messages if parent.email in rcpt]
    assert to_parent and number in to_parent[-1]["Subject"]
    assert parent.personal_code not in to_parent[-1].get_content()

    # Sign in through the demo identity provider, as the parent.
    page.goto(f"{live_server.url}/")
    page.get_by_role("banner").get_by_role("link", name="Ienākt").click()
    page.locator("form[action$='/signin/start/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/demo/idp/authorize\?"))
    page.locator(f'input[value="{parent.pk}:self"]').check()
    page.locator("button[value=sign_in]").click()
    expect(page).to_have_url(f"{live_server.url}/eaccount/")
    expect(page.locator(".role-bar")).to_contain_text("Jānis Bērziņš")

    # The history has the case; its page has the timeline with the holder's own status name.
    page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Vēsture").click()
    page.get_by_role("link", name=number).click()
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Izskatīšanā pie speciālista")
    expect(page.locator("dl.facts")).to_contain_text("Klientu apkalpošanas centrs")
    assert_accessible(page, "case page")

    # Act for the child, see the child's case and not one's own, and come back.
    page.get_by_label("Darboties citā lomā").select_option(f"person:{child.pk}")
    page.get_by_role("button", name="Pārslēgt").click()
    expect(page.locator(".role-bar")).to_contain_text("Emīlija Bērziņa")
    page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Vēsture").click()
    expect(page.locator("main table")).to_contain_text(family["childs"].number)
    expect(page.locator("main table")).not_to_contain_text(number)
    page.get_by_label("Darboties citā lomā").select_option("self")
    page.get_by_role("button", name="Pārslēgt").click()
    expect(page.locator(".role-bar")).to_contain_text("Jānis Bērziņš")

    # The institution writes about the case with an attachment; the client reads and downloads.
    call_api(live_server, system.token, "messages", {
        "case_number": number, "subject": "Nepieciešama izziņa",
        "body": "Lūdzu, iesniedziet darba devēja izziņu.",
        "attachments": [{"name": "veidlapa.pdf", "content_type": "application/pdf",
                         "title": "Izziņas veidlapa", "content": base64.b64encode(PDF).decode()}]})
    page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Ziņojumi").click()
    page.get_by_role("link", name="Nepieciešama izziņa").click()
    expect(page.locator("main")).to_contain_text("Lūdzu, iesniedziet darba devēja izziņu.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Izziņas veidlapa").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF

    # Upload a document about the case.
    page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Dokumenti").click()
    page.get_by_role("button", name="Augšupielādēt dokumentu").click()
    page.get_by_label("Nosaukums").fill("Darba devēja izziņa")
    page.get_by_label("Datne").set_input_files(
        files=[{"name": "izzina.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_label("Par lietu (nav obligāti)").select_option(
        str(ServiceCase.objects.get(number=number).pk))
    page.get_by_role("button", name="Augšupielādēt").click()
    expect(page.locator("main table")).to_contain_text("Darba devēja izziņa")
    assert Document.objects.get(title="Darba devēja izziņa").case.number == number

    # Turn off e-mails about status changes.
    page.get_by_role("navigation", name="E-konts").get_by_role("link", name="Profils").click()
    page.get_by_role("link", name="Paziņojumi").first.click()
    page.locator("tbody tr").filter(has_text="Manu lietu statusa izmaiņas").locator(
        "input[type=checkbox]").first.uncheck()
    page.get_by_role("button", name="Saglabāt").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert NotificationPreference.objects.get(person=parent, topic="status_changes",
                                              channel="email").enabled is False

    # The holder decides; the client rates the case.
    call_api(live_server, system.token, f"cases/{number}/events",
             {"status": "decided", "holder_status": "Piešķirts", "occurred_at": now()})
    page.goto(f"{live_server.url}/eaccount/history/")
    page.get_by_role("link", name=number).click()
    page.get_by_label("4 – labi").check()
    page.get_by_label("Komentārs (nav obligāti)").fill("Ātri un saprotami.")
    page.get_by_role("button", name="Nosūtīt vērtējumu").click()
    expect(page.get_by_role("status")).to_contain_text("Paldies")
    assert Feedback.objects.get(case__number=number).rating == 4
