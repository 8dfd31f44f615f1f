"""The citizen pays a fee online in Chromium (A8, A10, A2): a signed-in parent applies for a
service with a fee, sees the prepayment invoice on the confirmation, opens it in the e-account
(RF reference, QR code, Pay), pays on the payment simulator's page (the production adapter
talks to the simulator over HTTP; the simulator posts its signed callback to the live server),
comes back to the return page, and sees the invoice paid and the case's payment status moved
on. The e-account's invoice pages, the simulator's page and the return page have no axe-core
violation in Latvian and English at 375 and 1280 px, and none scrolls sideways."""

from __future__ import annotations

import pytest

from tests.eforms.journey import PDF, publish_form

from .axe import assert_accessible, assert_no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulator(settings):
    from durvis.demo import paysim

    server = paysim.start()
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": server.simulator.base_url}
    yield server.simulator
    server.shutdown()
    server.server_close()


@pytest.fixture
def paid_service_with_merchant(catalogue, institutions):
    from durvis.catalog.models import Service
    from durvis.core.actor import SYSTEM
    from durvis.payments import services as payments
    from durvis.payments.models import MerchantAccount

    Service.objects.filter(code=1011).update(fee_kind="prepayment", fee_amount="7.11")
    payments.save_payee_account(SYSTEM, institutions["VSAA"],
                                name="Valsts sociālās apdrošināšanas aģentūra",
                                iban="LV71TREL9140401016000", bic="TRELLV22")
    MerchantAccount.objects.create(institution=institutions["VSAA"], provider="gateway",
                                   merchant_id="m-vsaa", secret="whsec-e2e-0123456789abcdef")
    return Service.objects.get(code=1011)


def _clean(page, where, languages=("", "/en")):
    """No axe violation and no sideways scroll at 1280 and 375 px, in each language of the
    page's address (the prefix `/en`)."""
    url = page.url
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for prefix in languages:
            if prefix and "/en/" not in url:
                origin, _sep, path = url.partition("//")[2].partition("/")
                page.goto(f"{url.split('//')[0]}//{origin}{prefix}/{path}")
            else:
                page.goto(url)
            assert_accessible(page, f"{where}{prefix} at {width} px")
            assert_no_sideways_scroll(page, f"{where}{prefix}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)


def test_a_citizen_applies_pays_online_and_sees_the_invoice_paid(
        live_server, family, institutions, paid_service_with_merchant, simulator,
        sign_in_client, page, tmp_path):
    from playwright.sync_api import expect

    from durvis.eforms.models import Application
    from durvis.payments.models import Invoice
    from durvis.register.models import ServiceCase

    publish_form(institutions, paid_service_with_merchant)
    sign_in_client(page, family["parent"])
    page.goto(f"{live_server.url}/services/1011/")
    page.get_by_role("button", name="Pieteikties").click()
    page.get_by_role("button", name="Sākt").click()
    page.locator("#f-personal_code").fill("140386-12043")
    page.locator("#f-resident").check()
    page.locator("#f-has_children").check()
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator("h1")).to_have_text("Ģimene")
    page.locator("#f-members-0-member_name").fill("Emīlija")
    page.locator("#f-members-0-member_code").fill("220515-20311")
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    expect(page.locator("h1")).to_have_text("Izmaksa")
    page.locator("#f-iban").fill("LV80 BANK 0000 4351 9500 1")
    certificate = tmp_path / "izzina.pdf"
    certificate.write_bytes(PDF)
    page.locator("#f-certificate").set_input_files(str(certificate))
    page.get_by_role("button", name="Saglabāt un turpināt").click()
    page.locator("#f-declaration").check()
    page.get_by_role("button", name="Iesniegt pieteikumu").click()
    expect(page.locator("h1")).to_have_text("Pieteikums iesniegts")

    # The confirmation shows the invoice with "Pay now".
    invoice = Invoice.objects.get()
    case_number = Application.objects.get().case.number
    expect(page.locator("main")).to_contain_text(invoice.number)
    expect(page.get_by_role("button", name="Maksāt tagad")).to_be_visible()
    assert_accessible(page, "confirmation with the invoice (lv)")

    # The invoice in the e-account: RF reference in groups of four, the QR code, Pay.
    page.get_by_role("link", name="Skatīt rēķinu un citus apmaksas veidus").click()
    expect(page.locator("h1")).to_contain_text(invoice.number)
    expect(page.locator("#invoice-state")).to_have_text("Izrakstīts")
    expect(page.locator("main")).to_contain_text(invoice.reference[:4] + " ")
    expect(page.get_by_role("img", name=f"QR kods rēķina {invoice.number} apmaksai")).to_be_visible()
    _clean(page, "unpaid invoice")
    page.goto(f"{live_server.url}/eaccount/invoices/")
    expect(page.locator("main")).to_contain_text(invoice.number)
    _clean(page, "invoice list")
    page.get_by_role("link", name=invoice.number).click()

    # Pay, with the keyboard: the button takes Enter.
    page.get_by_role("button", name="Maksāt tiešsaistē").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Apstipriniet maksājumu")).to_be_visible()
    assert page.url.startswith(simulator.base_url + "/pay/")
    _clean(page, "simulator's page", languages=("",))
    page.goto(page.url + "?lang=en")
    expect(page.get_by_role("heading", name="Confirm the payment")).to_be_visible()
    _clean(page, "simulator's page (en)", languages=("",))
    page.goto(page.url.split("?")[0])
    page.get_by_role("button", name="Maksāt", exact=True).click()

    # Back on the platform: the callback came, the invoice is paid, the case moved on.
    expect(page.locator("h1")).to_have_text("Maksājums saņemts")
    assert simulator.callbacks and simulator.callbacks[0]["status"] == 200
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    assert ServiceCase.objects.get(number=case_number).payment_status == "paid"
    _clean(page, "return page")
    page.get_by_role("link", name="Skatīt rēķinu").click()
    expect(page.locator("#invoice-state")).to_have_text("Apmaksāts")
    _clean(page, "paid invoice")
    page.goto(f"{live_server.url}/eaccount/cases/{case_number.replace(' ', '-')}/")
    expect(page.locator("#case-payment-status")).to_have_text("Apmaksāts")
    expect(page.locator("main")).to_contain_text(invoice.number)
