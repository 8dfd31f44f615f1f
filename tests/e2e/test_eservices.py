"""Holder-hosted e-services and embedded forms in Chromium (A10, A12, issue 13): the service page,
the hand-off page and the embed entry pass axe-core in Latvian and English at a phone's and a
desktop's width; a signed-in client is handed over to a holder's e-service on loopback, which
checks the token with the platform's JWKS; a registered portal frames the embed entry."""

from __future__ import annotations

import functools
import threading
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from durvis.catalog import services as catalog
from durvis.core.actor import Actor
from tests.eaccount.holder_eservice import HolderEService

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (375, 1280)
PORTAL_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A municipality's portal</title></head>
<body><main><h1>Apply here</h1>
<iframe src="{src}" title="Childbirth benefit application" width="100%" height="600"></iframe>
</main></body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def holder(live_server, catalogue, staff, institutions, settings):
    """1011 applied for at VSAA's e-service on loopback, with a fee."""
    settings.DURVIS_PUBLIC_URL = live_server.url
    with HolderEService(live_server.url, live_server.url) as eservice:
        actor = Actor(kind="staff", staff=staff["vsaa_admin"])
        registration = catalog.register_eservice(actor, institutions["VSAA"], name="VSAA portāls",
                                                 return_urls=[eservice.url], claims=[])
        eservice.client_id = registration.client_id
        catalog.update_service(actor, catalogue["childbirth"], {
            "application_mode": "holder", "eservice_url": eservice.url,
            "fee_kind": "prepayment", "fee_amount": Decimal("7.11")}, {})
        yield eservice


def _fits(page, url, where, width):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{where}: {response.status}"
    assert_no_sideways_scroll(page, f"{where} at {width} px")
    assert_accessible(page, where)


@pytest.mark.parametrize("language", ["lv", "en"])
def test_service_page_handoff_and_embed_entry_pass_axe(live_server, holder, family, page,
                                                       sign_in_client, language):
    prefix = "" if language == "lv" else "/en"
    pages = [("service page", f"{prefix}/services/1011/"),
             ("embed entry", f"{prefix}/embed/services/1011/apply/"),
             ("embed entry of a platform form", f"{prefix}/embed/services/1006/apply/")]
    for where, path in pages:
        for width in WIDTHS:
            _fits(page, live_server.url + path, f"{where} ({language}, {width}px)", width)
    expect(page.locator("body")).to_contain_text("Sign in to apply" if language == "en"
                                                 else "Pieteikties sistēmā")
    sign_in_client(page, family["parent"])
    for width in WIDTHS:
        _fits(page, f"{live_server.url}{prefix}/eaccount/services/1011/apply-at-holder/",
              f"hand-off ({language}, {width}px)", width)
        _fits(page, f"{live_server.url}{prefix}/embed/services/1006/signed-in/",
              f"signed in from a frame ({language}, {width}px)", width)


def test_a_client_is_handed_over_to_the_holders_eservice(live_server, holder, family, page,
                                                         sign_in_client):
    sign_in_client(page, family["parent"])
    page.goto(f"{live_server.url}/en/services/1011/")
    expect(page.locator(".fee-amount")).to_have_text("€7.11")
    page.get_by_role("button", name="Apply at State Social Insurance Agency's e-service").click()
    page.get_by_role("button", name="Continue to the e-service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Jānis Bērziņš")
    assert page.url == holder.url
    assert holder.received[0]["act_as"] == {"kind": "self"}


def test_an_anonymous_visitor_signs_in_first_and_comes_back(live_server, holder, family, page,
                                                            demo_signin):
    page.goto(f"{live_server.url}/en/services/1011/")
    page.get_by_role("button", name="Apply at State Social Insurance Agency's e-service").click()
    expect(page).to_have_url(f"{live_server.url}/en/signin/"
                             "?next=/en/eaccount/services/1011/apply-at-holder/")
    page.locator("form[action$='/signin/start/'] button[type=submit]").click()
    page.locator(f'input[value="{family["parent"].pk}:self"]').check()
    page.locator("button[value=sign_in]").click()
    expect(page).to_have_url(f"{live_server.url}/en/eaccount/services/1011/apply-at-holder/")
    page.get_by_role("button", name="Continue to the e-service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Jānis Bērziņš")
    assert holder.received[0]["amr"] == ["oidc", "demo"]  # the protocol and the method


@pytest.fixture
def portal(tmp_path, live_server):
    """Another site (127.0.0.1 on its own port) whose page frames the embed entry."""
    (tmp_path / "index.html").write_text(
        PORTAL_PAGE.format(src=f"{live_server.url}/en/embed/services/1011/apply/"),
        encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_only_a_registered_portal_frames_the_entry(live_server, catalogue, staff, institutions,
                                                   portal, browser):
    def framed_heading(page):
        page.goto(f"{portal}/index.html")
        frame = page.frame_locator("iframe")
        return frame.get_by_role("heading", level=1)

    context = browser.new_context()
    page = context.new_page()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text))
    heading = framed_heading(page)
    page.wait_for_timeout(1000)
    expect(heading).to_have_count(0)  # not registered: refused by frame-ancestors
    assert any("frame-ancestors" in text for text in blocked), blocked
    catalog.add_embed_origin(Actor(kind="staff", staff=staff["vsaa_admin"]),
                             institutions["VSAA"], portal)
    expect(framed_heading(page)).to_have_text("Childbirth benefit")
    context.close()
