"""The finance specialist's pages (A8) in Chromium, in Latvian and English, at a phone's width
(375 px) and a desktop's: axe-core finds no violation of any impact, nothing scrolls sideways,
and an invoice is issued with the keyboard only (a line added without JavaScript, an error at
its field first), then cancelled through the confirmation step."""

from __future__ import annotations

import pytest
from django.test import Client

from durvis.payments import services as payments
from durvis.payments.models import Invoice

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"lv": "", "en": "/en"}


@pytest.fixture
def finance_member(institutions):
    from durvis.core.actor import SYSTEM
    from durvis.identity import services as identity

    payments.save_payee_account(SYSTEM, institutions["VSAA"], name="VSAA",
                                iban="LV71TREL9140401016000", bic="TRELLV22")
    return identity.record_staff(username="finance.vsaa", password="pw-finance-long-enough",
                                 institution=institutions["VSAA"], roles=["finance"],
                                 given_name="Inese", family_name="Kalna")


def _signed_in(page, live_server, staff_login, member):
    from django.conf import settings

    client = staff_login(Client(), member)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])


def _fits(page, where, width):
    page.set_viewport_size({"width": width, "height": 900})
    assert_no_sideways_scroll(page, f"{where} at {width}px")
    assert_accessible(page, f"{where} at {width}px")


@pytest.mark.parametrize("language", LANGUAGES)
def test_finance_pages_pass_axe_fit_a_phone_and_work_by_keyboard(
        live_server, page, staff_login, family, finance_member, language):
    from playwright.sync_api import expect

    from durvis.core.actor import Actor

    base = f"{live_server.url}{LANGUAGES[language]}/administration/finance"
    actor = Actor(kind="staff", staff=finance_member)
    paid = payments.issue_invoice(actor, family["childs"].number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind="fee", description="Ekspertīze",
                                                    unit_price="7.11")]))
    payments.record_payment(actor, paid, source="finance_system", amount="2.00",
                            paid_at=paid.issued_at, dedup_key="fs:1", bank_reference="B-1")
    _signed_in(page, live_server, staff_login, finance_member)

    for path in ("/", f"/{paid.number}/", f"/{paid.number}/payment/", "/accounts/", "/new/"):
        page.goto(f"{base}{path}")
        for width in (375, 1280):
            _fits(page, f"{path} ({language})", width)

    # Errors at their fields: a payment, an account, the issue form.
    page.goto(f"{base}/{paid.number}/payment/")
    page.locator("#id_amount").fill("7.111")
    page.locator("#id_paid_on").fill("2026-11-20")
    page.locator("#id_bank_reference").fill("B-2")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_amount_error")).to_be_visible()
    _fits(page, f"payment with an error ({language})", 375)
    page.goto(f"{base}/accounts/")
    page.locator("#id_name").fill("VSAA")
    page.locator("#id_iban").fill("LV71TREL9140401016001")
    page.locator("main form button.govuk-button").click()
    expect(page.locator("#id_iban_error")).to_be_visible()
    _fits(page, f"accounts with an error ({language})", 375)

    # The issue form by keyboard only.
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(f"{base}/new/")
    page.locator("#id_case_number").focus()
    page.keyboard.type(family["own"].number)
    page.locator("#id_lines-0-description").focus()
    page.keyboard.type("Ekspertīze")
    page.locator("#id_lines-0-unit_price").focus()
    page.keyboard.type("10.001")
    page.get_by_role("button", name="Pievienot rindu" if language == "lv" else "Add a line"
                     ).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_lines-1-description")).to_be_visible()
    page.locator("#id_lines-1-description").focus()
    page.keyboard.type("Nodeva")
    page.locator("#id_lines-1-kind").select_option("state_duty")
    page.locator("#id_lines-1-unit_price").focus()
    page.keyboard.type("7.11")
    page.locator("#id_lines-1-unit_price").press("Enter")  # the form's first button: issue
    expect(page.locator("#id_lines-0-unit_price_error")).to_be_visible()
    _fits(page, f"issue form with an error ({language})", 375)
    page.locator("#id_lines-0-unit_price").fill("10.00")
    issue = page.get_by_role("button", name="Izrakstīt rēķinu" if language == "lv"
                             else "Issue the invoice")
    issue.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(family["own"].number.replace(
        " ", "-"))
    invoice = Invoice.objects.exclude(pk=paid.pk).get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoice.number)
    _fits(page, f"an issued invoice ({language})", 375)

    # Cancel it through the confirmation step.
    page.locator("#id_cancel-reason").fill("Kļūda")
    page.locator("#cancel-heading ~ form button[type=submit]").click()
    _fits(page, f"confirm a cancellation ({language})", 375)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text(invoice.number)
    invoice.refresh_from_db()
    assert invoice.state == "cancelled"
