"""`manage.py demo_camt` (A8, demo): a tester makes a camt.054 notification that pays open demo
invoices, uploads it on the statement page and sees them paid; with `--mistype` the entries wait
in the manual queue; without numbers it lists the open invoices; demo mode only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from durvis.payments import camt
from durvis.payments.models import Invoice, StatementEntry
from tests.payments.test_statements import invoices  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings):
    settings.DEMO_MODE = True


def _make(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_camt", *args, stdout=out, stderr=err)
    return out.getvalue().encode(), err.getvalue()


def _upload(client, staff_login, finance, data):
    page = staff_login(client, finance["VSAA"].staff)
    return page.post("/en/staff/statements/", {
        "file": SimpleUploadedFile("demo.xml", data, "application/xml")}, follow=True)


def test_the_file_pays_the_invoices_named(client, staff_login, finance, invoices):  # noqa: F811
    first, second, third = invoices
    payments_ = camt.CamtSummary()
    data, said = _make(first.number, second.number)
    entries = list(camt.read(data, payments_))
    assert payments_.message_type == "camt.054.001.08"
    assert payments_.accounts == [first.payee_iban]
    assert [(e.reference, e.amount) for e in entries] == [
        (first.reference, first.total), (second.reference, second.total)]
    assert "2 payment(s), 19.11 EUR" in said and "/staff/statements/" in said
    page = _upload(client, staff_login, finance, data)
    assert "Imported: 2 matched" in page.content.decode()
    states = dict(Invoice.objects.values_list("number", "state"))
    assert (states[first.number], states[second.number], states[third.number]) == (
        "paid", "paid", "issued")
    again, _said = _make(third.number)
    assert again != data  # every file made is a new one (its own message id and references)


def test_mistyped_references_wait_in_the_manual_queue(client, staff_login, finance,
                                                      invoices):  # noqa: F811
    data, said = _make("--mistype", invoices[0].number)
    assert "manual queue" in said
    page = _upload(client, staff_login, finance, data)
    assert "0 matched, 0 proposed, 1 in the queue" in page.content.decode()
    assert StatementEntry.objects.get().reason == "checksum"
    assert Invoice.objects.get(pk=invoices[0].pk).state == "issued"


def test_a_statement_and_a_file_written_to_disk(tmp_path, invoices):  # noqa: F811
    target = tmp_path / "statement.xml"
    _make("--statement", "--output", str(target), invoices[2].number)
    summary = camt.CamtSummary()
    assert len(list(camt.read(target.read_bytes(), summary))) == 1
    assert summary.message_type == "camt.053.001.08"


def test_without_numbers_it_lists_the_open_invoices(invoices):  # noqa: F811
    listing, _said = _make()
    text = listing.decode()
    assert all(invoice.number in text for invoice in invoices)
    assert "7.11 EUR" in text and "VSAA" in text


def test_what_cannot_be_paid_is_refused(finance, family, invoices, payee_accounts):  # noqa: F811
    with pytest.raises(CommandError, match="No invoice numbered 9999-99-99"):
        _make("9999-99-99")
    Invoice.objects.filter(pk=invoices[0].pk).update(state="paid")
    with pytest.raises(CommandError, match="Not open"):
        _make(invoices[0].number)
    Invoice.objects.filter(pk=invoices[1].pk).update(payee_iban=payee_accounts["RIGA"].iban)
    with pytest.raises(CommandError, match="different accounts"):
        _make(invoices[1].number, invoices[2].number)


def test_only_in_demo_mode(settings, invoices):  # noqa: F811
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode only"):
        _make(invoices[0].number)
