"""The client hears of their invoices (A8, C1; topic invoices): a new invoice with its amount,
due date and reference, its payment state when it becomes paid, partly paid, overpaid,
cancelled or credited (not every internal change), and the reminders before and after the due
date. Sent through the outbox to a real SMTP server on loopback, in the reader's language, with
no personal code."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from durvis.core.actor import Actor
from durvis.core.events import publish
from durvis.messaging import services as messaging
from durvis.payments import reminders
from durvis.payments import services as payments
from durvis.payments.models import Invoice
from durvis.register.models import ServiceCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def paying(family, institutions):
    """The childbirth benefit (1011, VSAA) made a prepaid service of 7.11 EUR, VSAA's Treasury
    account, and its finance specialist (as `tests/payments/conftest.py` sets them up)."""
    from durvis.catalog.models import Service
    from durvis.core.actor import SYSTEM
    from durvis.identity import services as identity

    Service.objects.filter(code=1011).update(fee_kind="prepayment", fee_amount="7.11")
    payments.save_payee_account(SYSTEM, institutions["VSAA"], name="Valsts sociālās "
                                "apdrošināšanas aģentūra", iban="LV71TREL9140401016000",
                                bic="TRELLV22")
    member = identity.record_staff(username="finance.vsaa", password="pw-finance.vsaa-long-enough",
                                   institution=institutions["VSAA"], roles=["finance"])
    return {"VSAA": Actor(kind="staff", staff=member)}


def me(person):
    return Actor(kind="person", person=person)


def issue(family, language="lv"):
    case = ServiceCase.objects.select_related("service", "holder").get(pk=family["own"].pk)
    return payments.issue_prepayment(me(family["parent"]), case, language=language)


def mails(smtp, worker):
    worker.deliver()
    found = [(rcpt, str(mail["Subject"]).strip(), mail.get_content()) for rcpt, mail in smtp.messages]
    smtp.messages.clear()
    return found


def test_a_new_invoice_is_e_mailed_with_amount_due_date_and_reference(
        smtp, worker, family, paying):
    invoice = issue(family)
    ((rcpt, subject, body),) = mails(smtp, worker)
    assert rcpt == ["janis@example.lv"]
    assert subject == f"Jauns rēķins lietai {family['own'].number}"
    assert invoice.number in body and "€\xa07,11" in body
    assert invoice.due_date.strftime("%d.%m.%Y") in body
    assert "RF" in body and invoice.reference[4:8] in body
    assert f"/eaccount/cases/{family['own'].number.replace(' ', '-')}" in body
    assert "14038612043" not in body and "140386-12043" not in body


def test_in_english_for_a_client_who_chose_it(smtp, worker, family, paying):
    messaging.set_language(me(family["parent"]), family["parent"], "en")
    invoice = issue(family)
    ((_, subject, body),) = mails(smtp, worker)
    assert subject == f"New invoice for case {family['own'].number}"
    assert "€7.11" in body and "/en/eaccount/cases/" in body and invoice.number in body


def test_the_invoices_topic_turned_off_sends_nothing(smtp, worker, family, paying):
    messaging.set_preference(me(family["parent"]), family["parent"], "invoices", "email", False)
    invoice = issue(family)
    payments.record_payment(paying["VSAA"], invoice, source="finance_system", amount="7.11",
                            paid_at=timezone.now(), dedup_key="fs:1")
    assert mails(smtp, worker) == []
    # Turned on again, the client hears of the next invoice and of its cancellation.
    messaging.set_preference(me(family["parent"]), family["parent"], "invoices", "email", True)
    payments.cancel_invoice(paying["VSAA"], issue(family), reason="Kļūda")
    assert len(mails(smtp, worker)) == 2  # the new invoice, then its cancellation


def test_paid_partly_paid_and_overpaid_are_told_but_not_every_change(
        smtp, worker, family, paying):
    invoice = issue(family)
    mails(smtp, worker)
    at = timezone.now()
    payments.record_payment(paying["VSAA"], invoice, source="finance_system", amount="2.00",
                            paid_at=at, dedup_key="fs:1")
    ((_, subject, body),) = mails(smtp, worker)
    assert subject == f"Rēķins {invoice.number} ir daļēji apmaksāts"
    assert "€\xa02,00" in body and "€\xa05,11" in body
    # A second part payment leaves the state as it was: nothing new to tell.
    payments.record_payment(paying["VSAA"], invoice, source="finance_system", amount="1.00",
                            paid_at=at, dedup_key="fs:2")
    assert mails(smtp, worker) == []
    payments.record_payment(paying["VSAA"], invoice, source="finance_system", amount="4.11",
                            paid_at=at, dedup_key="fs:3")
    ((_, subject, _body),) = mails(smtp, worker)
    assert subject == f"Rēķins {invoice.number} ir apmaksāts"
    payments.record_payment(paying["VSAA"], invoice, source="finance_system", amount="1.00",
                            paid_at=at, dedup_key="fs:4")
    ((_, subject, body),) = mails(smtp, worker)
    assert subject == f"Rēķins {invoice.number} ir pārmaksāts"
    assert "€\xa08,11" in body


def test_cancelled_and_credited_are_told_and_the_credit_note_is_not_a_new_invoice(
        smtp, worker, family, paying):
    first, second = issue(family), issue(family)
    mails(smtp, worker)
    payments.cancel_invoice(paying["VSAA"], first, reason="Kļūda")
    payments.credit_invoice(paying["VSAA"], second, reason="Atsaukts")
    subjects = sorted(subject for _r, subject, _b in mails(smtp, worker))
    assert subjects == sorted([f"Rēķins {first.number} ir atcelts",
                               f"Rēķins {second.number} ir kreditēts"])


def test_a_failed_online_payment_is_told_a_started_one_is_not(
        smtp, worker, family, paying):
    invoice = issue(family)
    mails(smtp, worker)
    facts = payments.invoice_facts(Invoice.objects.select_related("case").get(pk=invoice.pk))
    for state in ("started", "failed"):
        publish(me(family["parent"]), "payment.changed", [(f"invoice:{invoice.pk}", {
            **facts, "previous_state": "issued", "payment_id": 1, "payment_state": state,
            "amount": "7.11"})])
    ((_, subject, body),) = mails(smtp, worker)
    assert subject == f"Rēķina {invoice.number} maksājums neizdevās"
    assert invoice.number in body


def test_reminders_before_and_after_the_due_date(smtp, worker, family, paying):
    invoice = issue(family)
    mails(smtp, worker)
    today = timezone.localdate()
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=today - datetime.timedelta(days=9),
                                                 due_date=today + datetime.timedelta(days=2))
    reminders.run()
    ((_, subject, body),) = mails(smtp, worker)
    due = (today + datetime.timedelta(days=2)).strftime("%d.%m.%Y")
    assert subject == f"Rēķina {invoice.number} samaksas termiņš ir {due}"
    assert "€\xa07,11" in body
    Invoice.objects.filter(pk=invoice.pk).update(due_date=today - datetime.timedelta(days=1))
    reminders.run()
    ((_, subject, body),) = mails(smtp, worker)  # the overdue state itself is not told twice
    assert subject == f"Rēķina {invoice.number} samaksas termiņš ir nokavēts"
    reminders.run()
    assert mails(smtp, worker) == []
