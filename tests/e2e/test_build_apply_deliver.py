"""From the builder to the holder's system, in Chromium (A10, A3, B9, issue 13): a form builder
of VSAA builds service 1011's two-page form in the browser (a repeating group shown only after
"yes"), previews and publishes it; a citizen finds the service in the catalogue, applies, is
refused a wrong personal code at the field and in the summary, fixes it, adds a second family
member, leaves, resumes from "Applications in progress", checks the answers and submits; the
case is in the e-account with the PDF copy among the documents; and VSAA's webhook receiver on
loopback gets that application once, a CloudEvent signed per Standard Webhooks, with the case number, the
service code and every answer. The builder's pages and the new form's pages have no axe-core
violation, in Latvian and in English."""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .axe import assert_accessible
from .builder import MEMBER_CODE, MEMBER_NAME, build_family_form, preview_family_form, publish, start_draft

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_" + base64.b64encode(b"vsaa-webhook-secret-for-the-journey").decode()
TOLERANCE_S = 300  # the Standard Webhooks libraries refuse a timestamp older than this
SAVE = "Saglabāt un turpināt"


def signature_holds(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    """What the holder's receiver does, from docs/integration.md alone: the Standard Webhooks
    library verifies `webhook-id`, `webhook-timestamp` and `webhook-signature` with the
    secret; no headers, another secret, a changed body or an old timestamp are refused."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class HolderReceiver:
    """VSAA's system on loopback: every POST is kept with whether its signature held; a signed
    one is answered 204, anything else 401 (nothing unsigned is accepted)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signed = signature_holds(dict(self.headers), body)
                receiver.posts.append({"headers": dict(self.headers), "body": body,
                                       "signed": signed, "path": self.path})
                self.send_response(204 if signed else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/durvis/applications"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _sign(stamp: int, body: bytes, secret: str = SECRET) -> dict[str, str]:
    """The Standard Webhooks headers another sender would make."""
    when = datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
    return {"webhook-id": "msg-1", "webhook-timestamp": str(stamp),
            "webhook-signature": Webhook(secret).sign("msg-1", when, body.decode())}


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` as another sender would; the answer's status."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def holder_receiver():
    receiver = HolderReceiver()
    yield receiver
    receiver.close()


def test_a_form_built_in_the_browser_is_applied_for_and_delivered_signed(
        live_server, builder_login, family, institutions, sign_in_client, holder_receiver,
        page):
    from playwright.sync_api import expect

    from durvis.core.actor import Actor
    from durvis.core.events import dispatch_due
    from durvis.eforms.models import Application
    from durvis.identity import services as identity
    from durvis.integrations import services as integrations
    from durvis.integrations.models import OutboxMessage, OutboxStatus

    site = live_server.url

    def check(page: Any, path: str, where: str) -> None:
        """axe-core on `path` in English (the address's /en twin), then in Latvian, where the
        page is left."""
        for prefix, language in (("/en", "en"), ("", "lv")):
            page.goto(f"{site}{prefix}{path}")
            assert_accessible(page, f"{where} ({language})")

    # VSAA's administrator has subscribed its system to submitted applications.
    admin = identity.record_staff(username="admin.vsaa", password="pw-admin.vsaa-long-enough",
                                  institution=institutions["VSAA"], roles=["institution_admin"])
    integrations.register_webhook(Actor(kind="staff", staff=admin), institutions["VSAA"],
                                  holder_receiver.url, ["application.submitted"], secret=SECRET)

    # 1. The form builder builds, previews and publishes the form, in the browser.
    builder_login(page)
    form = "/administration/forms/1011"
    check(page, "/administration/forms/", "the builder's list of forms")
    start_draft(page, 1011)
    build_family_form(page, f"{site}{form}", members=(MEMBER_NAME, MEMBER_CODE))
    for path, where in (
            (f"{form}/", "the draft"), (f"{form}/pages/family/", "the family page"),
            (f"{form}/pages/new/", "a new page"),
            (f"{form}/pages/family/questions/new/", "a new question's type"),
            (f"{form}/pages/family/questions/new/?type=personal_code", "a new question"),
            (f"{form}/questions/members/", "the repeating group"),
            (f"{form}/questions/members.member_code/", "a group's question"),
            (f"{form}/preview/page_1/", "the preview's first page"),
            (f"{form}/preview/family/", "the preview's family page"),
            (f"{form}/publish/", "publishing")):
        check(page, path, f"builder: {where}")
    page.goto(f"{site}{form}/")
    preview_family_form(page, {"member_name": "Emīlija", "member_code": "22051520311"})
    check(page, f"{form}/preview/end/", "builder: the preview's end")
    publish(page, f"{site}{form}")
    check(page, f"{form}/", "builder: the published form")

    # 2. Signed out; the citizen signs in, finds the service in the catalogue and applies.
    page.context.clear_cookies()
    sign_in_client(page, family["parent"])
    page.goto(f"{site}/services/?q=piedzimšanas")
    page.get_by_role("link", name="Bērna piedzimšanas pabalsts").first.click()
    expect(page.locator("h1")).to_contain_text("Bērna piedzimšanas pabalsts")
    check(page, "/services/1011/", "the service page")
    page.get_by_role("button", name="Pieteikties").click()
    expect(page.locator("h1")).to_contain_text("Bērna piedzimšanas pabalsts")
    check(page, "/services/1011/apply/", "the start page")
    page.get_by_role("button", name="Sākt").click()
    page.locator("#f-has_children").check()
    page.get_by_role("button", name=SAVE).click()
    expect(page.locator("h1")).to_have_text("Ģimene")
    application = Application.objects.get(client_person=family["parent"])
    journey = f"/eaccount/applications/{application.reference}"

    # A wrong personal code: the error at the field and in the summary, in English and then
    # in Latvian, where it is fixed from the summary's link.
    code_error = page.locator("#f-members-0-member_code-error")
    summary_link = page.locator(".govuk-error-summary a[href='#f-members-0-member_code']")
    for prefix, message in (("/en", "personal code"), ("", "personas kod")):
        page.goto(f"{site}{prefix}{journey}/family/")
        page.locator("#f-members-0-member_name").fill("Emīlija Bērziņa")
        page.locator("#f-members-0-member_code").fill("220515-20312")
        page.locator("main form button.govuk-button:not([name])").click()
        expect(code_error).to_contain_text(message, ignore_case=True)
        expect(summary_link).to_contain_text(message, ignore_case=True)
        assert_accessible(page, f"the family page with an error ({prefix or 'lv'})")
    summary_link.click()
    expect(page.locator("#f-members-0-member_code")).to_be_focused()
    page.locator("#f-members-0-member_code").fill("220515-20311")
    page.get_by_role("button", name="Pievienot vēl: Ģimenes loceklis").click()
    page.locator("#f-members-1-member_name").fill("Kārlis Bērziņš")
    page.locator("#f-members-1-member_code").fill("140386-12043")
    assert_accessible(page, "family page with two members (lv)")
    page.get_by_role("button", name=SAVE).click()
    expect(page.locator("h1")).to_have_text("Pirms iesniegšanas pārbaudiet savas atbildes")

    # Leave, and resume from the e-account's "Applications in progress".
    page.goto(f"{site}/eaccount/")
    expect(page.get_by_role("heading", name="Iesāktie pieteikumi")).to_be_visible()
    check(page, "/eaccount/applications/", "applications in progress")
    page.get_by_role("link", name="Turpināt").first.click()
    expect(page.locator("h1")).to_have_text("Ģimene")  # where the draft was left
    expect(page.locator("#f-members-0-member_code")).to_have_value("22051520311")
    expect(page.locator("#f-members-1-member_name")).to_have_value("Kārlis Bērziņš")
    page.get_by_role("button", name=SAVE).click()
    expect(page.locator("h1")).to_have_text("Pirms iesniegšanas pārbaudiet savas atbildes")
    for path, where in ((f"{journey}/page_1/", "the form's first page"),
                        (f"{journey}/family/", "the form's family page"),
                        (f"{journey}/check/", "check your answers")):
        check(page, path, where)
    main = page.locator("main")
    expect(main).to_contain_text("Jā")
    for answer in ("Emīlija Bērziņa", "22051520311", "Kārlis Bērziņš", "14038612043"):
        expect(main).to_contain_text(answer)
    page.locator("#f-declaration").check()
    page.get_by_role("button", name="Iesniegt pieteikumu").click()
    expect(page.locator("h1")).to_have_text("Pieteikums iesniegts")
    application.refresh_from_db()
    number = application.case.number
    expect(page.locator(".govuk-panel")).to_contain_text(number)

    # 3. The worker's round: the PDF copy, then the webhook, delivered.
    while dispatch_due():
        pass
    while integrations.deliver_due():  # the outbox: the webhook (and the client's e-mail)
        pass
    check(page, f"{journey}/submitted/", "the confirmation")
    page.goto(f"{site}{journey}/submitted/")
    copy = page.get_by_role("link", name="Lejupielādēt pieteikuma kopiju (PDF)").get_attribute("href")
    pdf = page.request.get(f"{site}{copy}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    page.get_by_role("link", name="Skatīt lietu savā e-kontā").click()
    expect(page.locator("h1")).to_contain_text(number)
    page.goto(f"{site}/eaccount/documents/")
    expect(page.locator("main")).to_contain_text(f"Pieteikums {number}")

    # 4. VSAA's system got that application once, signed, with every answer.
    post, = holder_receiver.posts
    assert post["signed"] and post["path"] == "/durvis/applications"
    event, = json.loads(post["body"])  # a CloudEvents batch of one
    assert event["type"] == "lv.durvis.application.submitted" and event["subject"] == number
    item = event["data"]
    assert item["case_number"] == number
    assert item["service_code"] == 1011
    assert item["reference"] == str(application.reference)
    assert item["client"]["personal_code"] == family["parent"].personal_code
    assert item["answers"] == {"has_children": True, "members": [
        {"member_name": "Emīlija Bērziņa", "member_code": "22051520311"},
        {"member_name": "Kārlis Bērziņš", "member_code": "14038612043"}]}
    assert copy == f"/eaccount/documents/{item['pdf']['document_id']}/download/"  # the client's copy
    message = OutboxMessage.objects.get(event="application.submitted")
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1

    # The receiver is no rubber stamp: the same body unsigned, signed with another secret,
    # tampered with, or signed too long ago is refused.
    body, stamp = post["body"], int(time.time())
    another = "whsec_" + base64.b64encode(b"another secret").decode()
    for headers in ({}, _sign(stamp, body, another),
                    _sign(stamp, body + b" "),
                    _sign(stamp - 2 * TOLERANCE_S, body)):
        assert _post(holder_receiver.url, body, headers) == 401
    assert _post(holder_receiver.url, body, _sign(stamp, body)) == 204
