"""The finance specialist's pages (A8) through HTTP: the institution's invoices (filter, search,
pages), an invoice with its lines and payments, cancelling and crediting after a confirmation
step, a payment recorded by hand, issuing a post-payment invoice (lines added without
JavaScript, errors at the field in lv/en), payee accounts; the role check, another institution's
invoice a 404; the team page grants and withdraws the finance role."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.utils import formats, translation

from durvis.audit.models import AuditEvent
from durvis.identity import services as identity
from durvis.payments import services as payments
from durvis.payments.models import Invoice, PayeeAccount, Payment
from durvis.payments.references import printed

pytestmark = pytest.mark.django_db


def issue(actor, case, price="7.11"):
    return payments.issue_invoice(actor, case.number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind="fee", description="Ekspertīze",
                                                    unit_price=price)]))


@pytest.fixture
def signed_in(client, staff_login, finance, payee_accounts, family):
    return staff_login(client, finance["VSAA"].staff)


@pytest.fixture
def invoice(finance, family, payee_accounts):
    return issue(finance["VSAA"], family["own"])


def test_only_finance_staff_see_the_pages_and_the_section(client, staff_login, staff, finance,
                                                          payee_accounts, family):
    admin = staff_login(client, staff["vsaa_admin"])
    assert admin.get("/en/administration/finance/").status_code == 403
    assert "/administration/finance/" not in admin.get("/en/staff/").content.decode()
    client.logout()
    specialist = staff_login(client, finance["VSAA"].staff)
    assert "/administration/finance/" in specialist.get("/en/staff/").content.decode()
    for path in ("/en/administration/finance/", "/en/administration/finance/new/",
                 "/en/administration/finance/accounts/"):
        assert specialist.get(path).status_code == 200, path


def test_the_list_filters_searches_and_pages(signed_in, finance, family, invoice):
    other = issue(finance["VSAA"], family["childs"], "3.00")
    payments.record_payment(finance["VSAA"], other, source="manual", amount="3.00",
                            paid_at=other.issued_at, dedup_key="m:1")
    page = signed_in.get("/en/administration/finance/").content.decode()
    assert invoice.number in page and other.number in page
    assert AuditEvent.objects.filter(action="payments.invoice.list").count() == 2
    paid = signed_in.get("/en/administration/finance/", {"state": "paid"}).content.decode()
    assert other.number in paid and invoice.number not in paid
    by_reference = signed_in.get("/en/administration/finance/", {
        "q": printed(invoice.reference).lower()}).content.decode()
    assert invoice.number in by_reference and other.number not in by_reference
    by_case = signed_in.get("/en/administration/finance/",
                            {"q": family["childs"].number.replace(" ", "-")}).content.decode()
    assert other.number in by_case and invoice.number not in by_case
    wrong = signed_in.get("/en/administration/finance/", {"state": "lost", "page": "x"})
    assert wrong.status_code == 200


def test_another_institutions_invoice_is_a_404(client, staff_login, finance, family,
                                               payee_accounts, invoice):
    riga = staff_login(client, finance["RIGA"].staff)
    base = f"/en/administration/finance/{invoice.number}/"
    assert riga.get(base).status_code == 404
    assert riga.get(f"{base}payment/").status_code == 404
    assert riga.post(f"{base}cancel/", {"cancel-reason": "x", "confirmed": "yes"}
                     ).status_code == 404
    assert riga.post(f"{base}credit/", {"credit-reason": "x", "confirmed": "yes"}
                     ).status_code == 404
    assert invoice.number not in riga.get("/en/administration/finance/").content.decode()
    assert Invoice.objects.get(pk=invoice.pk).state == "issued"


def test_an_invoice_page_shows_lines_payments_and_their_source(signed_in, finance, invoice):
    payments.record_payment(finance["VSAA"], invoice, source="finance_system", amount="2.00",
                            paid_at=invoice.issued_at, dedup_key="fs:1", bank_reference="B-77")
    page = signed_in.get(f"/en/administration/finance/{invoice.number}/").content.decode()
    assert "Ekspertīze" in page and "7.11" in page and "B-77" in page
    assert "Reported by the holder&#x27;s finance system" in page
    assert "Partly paid" in page
    assert AuditEvent.objects.filter(action="payments.invoice.read").exists()


def test_cancel_asks_first_then_cancels_with_the_reason(signed_in, invoice):
    url = f"/en/administration/finance/{invoice.number}/cancel/"
    empty = signed_in.post(url, {"cancel-reason": ""})
    assert empty.status_code == 422 and "Give the reason." in empty.content.decode()
    asked = signed_in.post(url, {"cancel-reason": "Iesniegums atsaukts"})
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).state == "issued"
    done = signed_in.post(url, {"cancel-reason": "Iesniegums atsaukts", "confirmed": "yes"},
                          follow=True)
    assert "is cancelled" in done.content.decode()
    invoice.refresh_from_db()
    assert (invoice.state, invoice.closed_reason) == ("cancelled", "Iesniegums atsaukts")
    again = signed_in.post(url, {"cancel-reason": "x", "confirmed": "yes"}, follow=True)
    assert "cancelled or credited already" in again.content.decode()


def test_credit_issues_a_credit_note(signed_in, finance, invoice):
    payments.record_payment(finance["VSAA"], invoice, source="manual", amount="7.11",
                            paid_at=invoice.issued_at, dedup_key="m:1")
    page = signed_in.get(f"/en/administration/finance/{invoice.number}/").content.decode()
    assert "Cancel the invoice" not in page  # money was paid: credit only
    url = f"/en/administration/finance/{invoice.number}/credit/"
    asked = signed_in.post(url, {"credit-reason": "Nesniegts"})
    assert "refunded separately" in asked.content.decode()
    done = signed_in.post(url, {"credit-reason": "Nesniegts", "confirmed": "yes"}, follow=True)
    note = Invoice.objects.get(credits=invoice)
    assert note.total == Decimal("-7.11") and note.number in done.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).state == "credited"


def test_a_payment_is_recorded_by_hand_once_per_bank_reference(signed_in, invoice):
    url = f"/en/administration/finance/{invoice.number}/payment/"
    assert signed_in.get(url).status_code == 200
    sent = {"amount": "7.11", "paid_on": "2026-11-20", "bank_reference": "BANK-1",
            "payer_name": ""}
    done = signed_in.post(url, sent, follow=True)
    assert "The payment is recorded." in done.content.decode()
    again = signed_in.post(url, sent, follow=True)
    assert "nothing was booked twice" in again.content.decode()
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.get().source == "manual"
    assert Invoice.objects.get(pk=invoice.pk).state == "paid"


def test_an_amount_with_a_decimal_comma_is_read_as_people_type_it(signed_in, invoice):
    sent = {"amount": "7,11", "paid_on": "2026-11-20", "bank_reference": "BANK-1"}
    signed_in.post(f"/en/administration/finance/{invoice.number}/payment/", sent)
    assert Payment.objects.get().amount == Decimal("7.11")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "7.111", "at most two decimals"),
    ("amount", "0", "above zero"),
    ("amount", "7,1,1", "as a number, e.g. 7,11"),
    ("paid_on", "2999-01-01", "in the future"),
    ("bank_reference", "", "This field is required"),
])
def test_a_wrong_payment_is_refused_at_its_field(signed_in, invoice, field, value, message):
    sent = {"amount": "7.11", "paid_on": "2026-11-20", "bank_reference": "BANK-1", field: value}
    response = signed_in.post(f"/en/administration/finance/{invoice.number}/payment/", sent)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Payment.objects.exists()


def lines(*rows):
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50"}
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{name}": value for name, value in row.items()})
    return data


LINE = {"kind": "fee", "description": "Ekspertīze", "quantity": "2", "unit_price": "10.00",
        "vat_rate": "21"}


def test_an_invoice_is_issued_through_the_form_with_a_line_added_without_javascript(
        signed_in, family):
    head = {"case_number": family["own"].number.replace(" ", "-"), "due_date": "",
            "payer_name": "", "language": "en"}
    added = signed_in.post("/en/administration/finance/new/",
                           {**head, **lines(LINE), "add_line": "1"})
    page = added.content.decode()
    assert added.status_code == 200 and 'name="lines-1-description"' in page
    assert 'value="Ekspertīze"' in page and "There is a problem" not in page
    done = signed_in.post("/en/administration/finance/new/", {**head, **lines(
        LINE, {"kind": "state_duty", "description": "Nodeva", "quantity": "1",
               "unit_price": "7.11", "vat_rate": "0"})}, follow=True)
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("31.31") and invoice.kind == "postpayment"
    assert invoice.number in done.content.decode()


@pytest.mark.parametrize(("language", "change", "field", "message"), [
    ("en", {"lines-0-unit_price": "7.111"}, "lines-0-unit_price", "at most two decimals"),
    ("lv", {"lines-0-unit_price": "7.111"}, "lines-0-unit_price", "ne vairāk kā divas"),
    ("en", {"lines-0-unit_price": "-1"}, "lines-0-unit_price", "An amount must be above zero"),
    ("en", {"lines-0-quantity": "0"}, "lines-0-quantity", "above zero"),
    ("en", {"lines-0-description": ""}, "lines-0-description", "This field is required"),
    ("en", {"case_number": "1011 14"}, "case_number", "check digit"),
    ("en", {"case_number": "1011 999"}, "case_number", "no case with this number"),
    ("en", {"due_date": "2020-01-01"}, "due_date", "before the issue date"),
])
def test_the_issue_form_shows_each_error_at_its_field(signed_in, family, language, change,
                                                      field, message):
    prefix = "/en" if language == "en" else ""
    sent = {"case_number": family["own"].number, "due_date": "", "payer_name": "",
            "language": "lv", **lines(LINE), **change}
    response = signed_in.post(f"{prefix}/administration/finance/new/", sent)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page, page[page.find("errorlist"):][:800]
    assert f'id="id_{field}_error"' in page
    assert f'href="#id_{field}"' in page
    assert not Invoice.objects.exists()


def test_another_institutions_case_cannot_be_invoiced(client, staff_login, finance, family,
                                                      payee_accounts):
    riga = staff_login(client, finance["RIGA"].staff)
    response = riga.post("/en/administration/finance/new/", {
        "case_number": family["own"].number, "language": "lv", **lines(LINE)})
    assert response.status_code == 422
    assert "no case with this number" in response.content.decode()
    assert not Invoice.objects.exists()


def test_payee_accounts_are_checked_and_one_is_the_default(signed_in, payee_accounts):
    url = "/en/administration/finance/accounts/"
    bad = signed_in.post(url, {"name": "VSAA", "iban": "LV71TREL9140401016001", "bic": "",
                               "is_default": "on"})
    assert bad.status_code == 422 and "The IBAN is not valid" in bad.content.decode()
    assert 'id="id_iban_error"' in bad.content.decode()
    other_bank = signed_in.post(url, {"name": "VSAA", "iban": "LV36RIKO0000435195001",
                                      "bic": "TRELLV22"})
    assert "BIC TRELLV22 is another bank&#x27;s" in other_bank.content.decode()
    saved = signed_in.post(url, {"name": "VSAA konts", "iban": "LV36 riko 0000 4351 9500 1",
                                 "bic": ""}, follow=True)
    assert "LV36RIKO0000435195001" in saved.content.decode()
    added = PayeeAccount.objects.get(institution__code="VSAA", iban="LV36RIKO0000435195001")
    assert not added.is_default
    signed_in.post(f"{url}{added.pk}/default/")
    assert PayeeAccount.objects.get(institution__code="VSAA", is_default=True).pk == added.pk
    riga_account = payee_accounts["RIGA"]
    assert signed_in.post(f"{url}{riga_account.pk}/default/").status_code == 404


def test_the_administrator_grants_and_withdraws_the_finance_role(client, staff, staff_login,
                                                                  institutions):
    colleague = identity.record_staff(username="kase.vsaa", password="pw-kase-long-enough",
                                      institution=institutions["VSAA"], roles=["agent"])
    admin = staff_login(client, staff["vsaa_admin"])
    assert "Make a finance specialist" in admin.get("/en/staff/team/").content.decode()
    done = admin.post(f"/en/staff/team/{colleague.pk}/finance/", {"grant": "yes"}, follow=True)
    assert "manages your institution&#x27;s invoices" in done.content.decode()
    colleague.refresh_from_db()
    assert "finance" in colleague.roles and "agent" in colleague.roles
    assert "Withdraw the finance role" in admin.get("/en/staff/team/").content.decode()
    admin.post(f"/en/staff/team/{colleague.pk}/finance/", {"grant": "no"})
    colleague.refresh_from_db()
    assert "finance" not in colleague.roles
    assert admin.post(f"/en/staff/team/{colleague.pk}/cashier/", {"grant": "yes"}
                      ).status_code == 404
    client.logout()
    other = staff_login(client, staff["vid_admin"])
    assert other.post(f"/en/staff/team/{colleague.pk}/finance/", {"grant": "yes"}
                      ).status_code == 404


def summary(page):
    """The GOV.UK error summary's entries, as people read them."""
    assert 'class="govuk-error-summary"' in page
    body = page.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in body.split("<li>")[1:]]


@pytest.mark.parametrize(("field", "value", "says"), [
    ("unit_price", "-5", "Line 1, Unit price (EUR, without VAT): An amount must be above zero."),
    ("unit_price", "9" * 30,
     "Line 1, Unit price (EUR, without VAT): An amount is at most 999 999 999.99 EUR."),
    ("quantity", "-1", "Line 1, Quantity: A quantity must be above zero."),
    ("quantity", "1000000", "Line 1, Quantity: A quantity is at most 100 000."),
    ("vat_rate", "-21", "Line 1, VAT (%, optional): A VAT rate cannot be below zero."),
])
def test_a_bad_number_on_the_issue_form_says_why(signed_in, family, field, value, says):
    head = {"case_number": family["own"].number, "due_date": "", "payer_name": "",
            "language": "en"}
    response = signed_in.post("/en/administration/finance/new/",
                              {**head, **lines({**LINE, field: value})})
    assert response.status_code == 422
    assert summary(html.unescape(response.content.decode())) == [says]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(("amount", "says"), [
    ("-5", "Amount (EUR): An amount must be above zero."),
    ("1" + "0" * 25, "Amount (EUR): An amount is at most 999 999 999.99 EUR."),
])
def test_a_bad_payment_amount_says_why(signed_in, invoice, amount, says):
    response = signed_in.post(f"/en/administration/finance/{invoice.number}/payment/", {
        "amount": amount, "paid_on": "2026-11-20", "bank_reference": "B-1"})
    assert response.status_code == 422
    assert summary(html.unescape(response.content.decode())) == [says]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("action", "language", "says"), [
    ("cancel", "en", "Reason: Give the reason."), ("credit", "en", "Reason: Give the reason."),
    ("cancel", "lv", "Iemesls: Norādiet iemeslu."),
    ("credit", "lv", "Iemesls: Norādiet iemeslu.")])
def test_an_empty_reason_is_in_the_error_summary_linked_to_its_field(signed_in, invoice, action,
                                                                     language, says):
    prefix = "/en" if language == "en" else ""
    response = signed_in.post(f"{prefix}/administration/finance/{invoice.number}/{action}/",
                              {f"{action}-reason": "  "})
    page = html.unescape(response.content.decode())
    assert response.status_code == 422 and summary(page) == [says]
    assert f'href="#id_{action}-reason"' in page
    assert re.search(r"<title>(Error|Kļūda):", page)
    assert Invoice.objects.get(pk=invoice.pk).state == "issued"


def test_a_reason_the_text_rule_refuses_is_said_at_the_field(signed_in, invoice):
    url = f"/en/administration/finance/{invoice.number}/cancel/"
    response = signed_in.post(url, {"cancel-reason": "a\u202eb", "confirmed": "yes"})
    page = response.content.decode()
    assert response.status_code == 422 and 'class="govuk-error-summary"' in page
    assert 'href="#id_cancel-reason"' in page
    assert Invoice.objects.get(pk=invoice.pk).state == "issued"


@pytest.mark.parametrize(("language", "money", "paid", "quantity"), [
    ("en", "€1,234.50", "€2.00", ">10<"), ("lv", "€\xa01\xa0234,50", "€\xa02,00", ">10<")])
def test_the_finance_pages_write_money_and_dates_as_the_e_account_does(
        signed_in, finance, family, language, money, paid, quantity):
    invoice = payments.issue_invoice(finance["VSAA"], family["own"].number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind="fee", description="Kopijas",
                                                    unit_price="123.45", quantity="10")]))
    payments.record_payment(finance["VSAA"], invoice, source="manual", amount="2.00",
                            paid_at=invoice.issued_at, dedup_key="m:1", bank_reference="B-1")
    prefix = "/en" if language == "en" else ""
    with translation.override(language):
        due = formats.date_format(invoice.due_date, "DATE_FORMAT")
        short_due = formats.date_format(invoice.due_date, "SHORT_DATE_FORMAT")
    page = signed_in.get(f"{prefix}/administration/finance/{invoice.number}/").content.decode()
    assert money in page and paid in page and quantity in page and "1E+1" not in page
    assert due in page and " EUR" not in page
    listing = signed_in.get(f"{prefix}/administration/finance/").content.decode()
    assert money in listing and short_due in listing and "1234.50" not in listing
    form = signed_in.get(f"{prefix}/administration/finance/{invoice.number}/payment/")
    assert money in form.content.decode() and " EUR" not in form.content.decode()


@pytest.mark.parametrize(("language", "hint", "not_a_number"), [
    ("en", "For example, 7,11 or 7.11", "Write the amount in euros as a number, e.g. 7,11."),
    ("lv", "Piemēram, 7,11 vai 7.11", "Ierakstiet summu eiro kā skaitli, piemēram, 7,11.")])
def test_the_amount_hints_say_a_decimal_comma_is_fine(signed_in, family, invoice, language,
                                                      hint, not_a_number):
    prefix = "/en" if language == "en" else ""
    issue = signed_in.get(f"{prefix}/administration/finance/new/").content.decode()
    payment = signed_in.get(f"{prefix}/administration/finance/{invoice.number}/payment/")
    for page in (issue, payment.content.decode()):
        assert hint in page
        assert "With a point" not in page and "Ar punktu" not in page
    refused = signed_in.post(f"{prefix}/administration/finance/new/", {
        "case_number": family["own"].number, "due_date": "", "payer_name": "",
        "language": "lv", **lines({**LINE, "unit_price": "septiņi"})})
    assert refused.status_code == 422
    assert not_a_number in html.unescape(refused.content.decode())


def test_the_issue_form_reads_decimal_commas(signed_in, family):
    done = signed_in.post("/en/administration/finance/new/", {
        "case_number": family["own"].number, "due_date": "", "payer_name": "", "language": "en",
        **lines({**LINE, "quantity": "2,5", "unit_price": "7,11", "vat_rate": "0"})})
    assert done.status_code == 302
    line = Invoice.objects.get().lines.get()
    assert (line.quantity, line.unit_price) == (Decimal("2.5"), Decimal("7.11"))


def test_a_refused_search_lists_no_invoice_and_the_page_links_drop_it(signed_in, finance, family,
                                                                       invoice):
    """Issue 19's review: a search the form refuses (a control character) listed every invoice
    under its error, and the page links carried it on."""
    for n in range(3):
        issue(finance["VSAA"], family["own"], f"{n + 1}.00")
    response = signed_in.get("/en/administration/finance/", {"q": "\x00" + invoice.number})
    page = response.content.decode()
    assert response.status_code == 200 and "control character" in page
    assert f">{invoice.number}</a>" not in page and "No invoices found." in page
    assert 'rel="next"' not in page

