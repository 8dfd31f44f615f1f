"""The holder's finance staff import a camt.054 notification in Chromium (A8): one payment
settles its invoice by the reference; one with a mistyped reference lands in the manual queue and
is matched by hand to its invoice found by number; both invoices are paid. axe-core finds no
violation on the statement pages."""

from __future__ import annotations

import pytest

from tests.payments.camt_builder import Ntry, Tx, document
from tests.payments.conftest import finance, payee_accounts  # noqa: F401  (fixtures)
from tests.payments.test_statements import _mistyped, invoices  # noqa: F401  (a fixture)

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_import_then_match_by_hand(live_server, page, finance, invoices):  # noqa: F811
    from django_otp.util import random_hex
    from playwright.sync_api import expect

    from durvis.identity import services as identity

    first, second = invoices[0], invoices[1]
    device = identity.record_totp_device(finance["VSAA"].staff,
                                         random_hex(identity.TOTP_KEY_BYTES))
    base = f"{live_server.url}/en"
    page.goto(f"{base}/staff/login/?next=/en/staff/statements/")
    page.locator("#id_username").fill("finance.vsaa")
    page.locator("#id_password").fill("pw-finance.vsaa-long-enough")
    page.locator("main form button[type=submit]").click()
    page.locator("#id_otp_token").fill(identity.current_totp_code(device))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/staff/statements/")
    assert_accessible(page, "statements, empty")

    data = document([
        Ntry("7.11", [Tx("7.11", ref="E2E-1", reference=first.reference)]),
        Ntry("12.00", [Tx("12.00", ref="E2E-2", reference=_mistyped(second.reference),
                          name="Anna Liepa")])])
    page.locator("#id_file").set_input_files(files=[
        {"name": "notification.xml", "mimeType": "application/xml", "buffer": data}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("main")).to_contain_text("Imported: 1 matched, 0 proposed, 1 in the queue")
    assert_accessible(page, "statements after an import")

    page.get_by_role("link", name="1 entry waits in the manual queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manual queue")
    assert_accessible(page, "manual queue")
    page.get_by_role("link", name=_mistyped(second.reference)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment of €12.00")
    expect(page.locator("main")).to_contain_text("check digits do not match")
    assert_accessible(page, "an entry")

    page.locator("#id_q").fill(second.number)
    page.locator("#id_q").press("Enter")  # the keyboard submits the search
    match = page.get_by_role("button", name=f"Match {second.number}")
    expect(match).to_be_visible()
    assert_accessible(page, "an entry with invoices found")
    match.focus()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text(f"Matched to invoice {second.number}.")
    expect(page.locator("main")).to_contain_text("Nothing waits")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("paid", "paid")


def test_the_statement_page_fits_a_phone(live_server, page, finance):  # noqa: F811
    from django_otp.util import random_hex
    from playwright.sync_api import expect

    from durvis.identity import services as identity

    device = identity.record_totp_device(finance["VSAA"].staff,
                                         random_hex(identity.TOTP_KEY_BYTES))
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/staff/login/?next=/staff/statements/")
    page.locator("#id_username").fill("finance.vsaa")
    page.locator("#id_password").fill("pw-finance.vsaa-long-enough")
    page.locator("main form button[type=submit]").click()
    page.locator("#id_otp_token").fill(identity.current_totp_code(device))
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bankas izraksti")
    assert_no_sideways_scroll(page, "statements at 375 px")
    assert_accessible(page, "statements in Latvian at 375 px")
