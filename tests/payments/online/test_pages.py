"""The client's invoice pages and the payment endpoints through HTTP (A8, A2): the list and
the invoice page in the e-account (state, RF reference in groups of four, payee, QR code, PDF,
Pay), the Pay button sending the payer to the provider, the return page saying the outcome in
the client's language, the callback endpoint's answers, the case page and the application's
confirmation showing the invoice."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from durvis.payments import online, pdf
from durvis.payments.models import Invoice, Payment
from durvis.payments.providers import MERCHANT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from durvis.payments.references import printed
from durvis.web.roles import ROLE_FIELD

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def pay(client, invoice, role="self", key="key-1"):
    return client.post(reverse("payments:start", args=[invoice.number]), {
        ROLE_FIELD: role, "idempotency_key": key, "method": "card"})


def test_the_invoice_list_shows_number_service_total_state_and_due_date(client_login, family,
                                                                        invoice):
    client = client_login(family["parent"])
    page = text(client.get(reverse("eaccount:invoices")))
    assert (invoice.number in page and "Bērna piedzimšanas pabalsts" in page) or \
        invoice.case.service.name in page
    assert "€\xa07,11" in page and "Izrakstīts" in page
    assert invoice.due_date.strftime("%d.%m.%Y") in page
    assert 'aria-current="page"' in page and "Rēķini" in page


def test_another_clients_invoices_are_not_shown(client_login, family, invoice):
    client = client_login(family["stranger"])
    assert invoice.number not in text(client.get(reverse("eaccount:invoices")))
    assert client.get(reverse("eaccount:invoice", args=[invoice.number])).status_code == 404
    assert pay(client, invoice).status_code == 404
    assert client.get(reverse("payments:return", args=[invoice.number])).status_code == 404


def test_the_invoice_page_shows_how_to_pay(client_login, family, invoice, simulator):
    client = client_login(family["parent"])
    page = text(client.get(reverse("eaccount:invoice", args=[invoice.number])))
    assert printed(invoice.reference) in page and " " in printed(invoice.reference)
    assert invoice.payee_iban in page and invoice.payee_name in page
    assert 'class="epc-qr"' in page and "QR kods rēķina" in page  # the EPC QR code
    assert 'name="idempotency_key"' in page and f'name="{ROLE_FIELD}" value="self"' in page
    assert "Maksāt tiešsaistē" in page
    assert "Lejupielādēt rēķinu" not in page  # no PDF stored yet
    Invoice.objects.filter(pk=invoice.pk).update(document_id=987)
    page = text(client.get(reverse("eaccount:invoice", args=[invoice.number])))
    assert reverse("documents:download", args=[987]) in page


def test_two_pages_carry_two_keys(client_login, family, invoice):
    client = client_login(family["parent"])
    keys = [json.dumps(text(client.get(reverse("eaccount:invoice", args=[invoice.number])))
                       .split('name="idempotency_key" value="')[1][:32]) for _ in range(2)]
    assert keys[0] != keys[1]


def test_pay_sends_the_payer_to_the_provider_and_a_double_click_to_the_same_payment(
        client_login, family, invoice, simulator):
    client = client_login(family["parent"])
    first = pay(client, invoice)
    assert first.status_code == 303
    assert first["Location"].startswith(simulator.base_url + "/pay/sim_")
    assert pay(client, invoice)["Location"] == first["Location"]
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    sent = simulator.payments[payment.provider_payment_id]
    assert sent.return_url == f"http://testserver/payments/invoices/{invoice.number}/return/"
    assert sent.callback_url == "http://testserver/payments/callback/gateway/"


def test_pay_without_the_provider_says_so_at_the_invoice(client_login, family, invoice,
                                                         settings):
    settings.DURVIS_PAYMENT_PROVIDER_URLS = {"gateway": "http://127.0.0.1:9"}
    client = client_login(family["parent"])
    response = pay(client, invoice)
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Maksājumu pakalpojums pašlaik nav sasniedzams" in page
    assert not Payment.objects.exists()


def test_pay_in_another_role_is_refused_and_nothing_starts(client_login, family, invoice,
                                                           simulator):
    client = client_login(family["parent"], role=f"company:{family['company'].pk}")
    response = pay(client, invoice)
    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_the_return_page_says_paid_and_the_invoice_moved(client_login, family, invoice,
                                                         simulator, pay_at_simulator):
    client = client_login(family["parent"])
    location = pay(client, invoice)["Location"]
    back = pay_at_simulator(location, "pay", lose_callback=True)
    page = text(client.get(back.replace("http://testserver", "")))
    assert "Maksājums saņemts" in page and "Apmaksāts" in page
    assert reverse("eaccount:invoice", args=[invoice.number]) in page
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    case_page = text(client.get(reverse("eaccount:case", args=[
        invoice.case.number.replace(" ", "-")])))
    assert invoice.number in case_page and "Apmaksāts" in case_page


@pytest.mark.parametrize(("outcome", "says"), [("cancel", "Maksājums atcelts"),
                                               ("fail", "Maksājums nav veikts")])
def test_the_return_page_says_cancelled_or_failed(client_login, family, invoice, simulator,
                                                  pay_at_simulator, outcome, says):
    client = client_login(family["parent"])
    location = pay(client, invoice)["Location"]
    back = pay_at_simulator(location, outcome, lose_callback=True)
    page = text(client.get(back.replace("http://testserver", "")))
    assert says in page
    invoice.refresh_from_db()
    assert invoice.state == "issued"


def test_the_return_page_in_english(client_login, family, invoice, simulator,
                                    pay_at_simulator):
    client = client_login(family["parent"])
    start = client.post("/en" + reverse("payments:start", args=[invoice.number]), {
        ROLE_FIELD: "self", "idempotency_key": "k", "method": "card"})
    back = pay_at_simulator(start["Location"], "pay", lose_callback=True)
    assert back.startswith("http://testserver/en/payments/")
    page = text(client.get(back.replace("http://testserver", "")))
    assert "Payment received" in page and "Paid" in page


def _callback(client, merchant, payment, state="success", secret=None):
    body = json.dumps({"event": "payment.updated", "payment": {
        "id": payment.provider_payment_id, "state": state, "amount": str(payment.amount),
        "currency": "EUR"}}).encode()
    stamp = str(int(time.time()))
    return client.post(reverse("payments:callback", args=["gateway"]), body,
                       content_type="application/json", headers={
                           MERCHANT_HEADER: merchant.merchant_id, TIMESTAMP_HEADER: stamp,
                           SIGNATURE_HEADER: sign(secret or merchant.secret, stamp, body)})


def _started(family, invoice):
    from durvis.core.actor import Actor

    return online.start_payment(Actor(kind="person", person=family["parent"]),
                                family["parent"], invoice, method="card", idempotency_key="k",
                                return_url="http://testserver/x/",
                                callback_url="http://127.0.0.1:9/")


def test_the_callback_endpoint_books_once_and_refuses_precisely(client, family, invoice,
                                                                simulator, merchants):
    from django.test import Client

    payment = _started(family, invoice)
    csrf_checked = Client(enforce_csrf_checks=True)
    bad = _callback(csrf_checked, merchants["VSAA"], payment, secret="guess")
    assert bad.status_code == 401 and bad.json()["error"] == "signature"
    other = _callback(csrf_checked, merchants["RIGA"], payment)
    assert other.status_code == 403 and other.json()["error"] == "merchant_mismatch"
    assert Invoice.objects.get(pk=invoice.pk).state == "issued"
    first = _callback(csrf_checked, merchants["VSAA"], payment)
    assert first.status_code == 200 and first.json() == {"ok": True, "state": "success"}
    assert _callback(csrf_checked, merchants["VSAA"], payment).status_code == 200
    invoice.refresh_from_db()
    assert invoice.paid == Decimal("7.11") and invoice.state == "paid"
    unknown = client.post(reverse("payments:callback", args=["nobody"]), b"{}",
                          content_type="application/json")
    assert unknown.status_code == 404 and unknown.json()["error"] == "provider"
    assert client.get(reverse("payments:callback", args=["gateway"])).status_code == 405


def test_the_fee_on_the_case_page_says_awaiting_payment(client_login, family, invoice):
    client = client_login(family["parent"])
    page = text(client.get(reverse("eaccount:case", args=[
        invoice.case.number.replace(" ", "-")])))
    assert "Gaida apmaksu" in page and invoice.number in page


def test_the_simulators_payer_page_is_in_latvian_and_english(family, invoice, simulator):
    import urllib.request

    payment = _started(family, invoice)
    with urllib.request.urlopen(payment.redirect_url, timeout=5) as answer:
        page = answer.read().decode()
    assert '<html lang="lv">' in page and "Maksāt" in page and "Atcelt" in page
    with urllib.request.urlopen(payment.redirect_url + "?lang=en", timeout=5) as answer:
        page = answer.read().decode()
    assert '<html lang="en">' in page and ">Pay<" in page and "Lose the callback" in page


def test_a_credited_invoice_and_its_credit_note_show_without_a_way_to_pay(
        client_login, family, invoice, finance):
    from durvis.payments import services as payments

    note = payments.credit_invoice(finance["VSAA"], invoice, reason="Issued by mistake")
    client = client_login(family["parent"])
    for number in (invoice.number, note.number):
        page = text(client.get(reverse("eaccount:invoice", args=[number])))
        assert "epc-qr" not in page and "Maksāt tiešsaistē" not in page
    assert "Kredītrēķins" in text(client.get(reverse("eaccount:invoice", args=[note.number])))


def test_the_fee_line_is_the_service_in_the_readers_language_said_once(
        client, client_login, staff_login, finance, family, invoice):
    # The application was made in Latvian; the line says the service, its kind beside it.
    [line] = invoice.lines.all()
    assert line.description == "Bērna piedzimšanas pabalsts"
    person = client_login(family["parent"])
    url = reverse("eaccount:invoice", args=[invoice.number])
    latvian = text(person.get(url))
    assert "Bērna piedzimšanas pabalsts <small class=\"meta\">(Pakalpojuma maksa)</small>" \
        in latvian
    english = text(person.get("/en" + url))
    assert "Childbirth benefit <small class=\"meta\">(Service fee)</small>" in english
    assert "Maksa:" not in english and "Fee:" not in english
    assert "Bērna piedzimšanas pabalsts" not in english.split("lines-heading")[1]
    with translation.override("lv"):
        [printed_line] = pdf.context(invoice)["lines"]
    assert (printed_line["kind"], printed_line["description"]) == (
        "Pakalpojuma maksa", "Bērna piedzimšanas pabalsts")
    staff = staff_login(client, finance["VSAA"].staff)
    finance_page = text(staff.get(f"/en/administration/finance/{invoice.number}/"))
    assert ">Childbirth benefit</td>" in finance_page and "Fee:" not in finance_page
