"""The finance staff's statement pages (A8): upload with errors at the field in lv/en, the
imports with counts, the manual queue, confirming, matching by hand, setting aside; only the
holder's finance staff; another institution's entry is 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from durvis.audit.models import AuditEvent
from durvis.payments.models import BankStatement, StatementEntry
from tests.payments.camt_builder import Ntry, Tx, document
from tests.payments.test_statements import _mistyped, invoices  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
LIST = "/en/staff/statements/"
QUEUE = "/en/staff/statements/queue/"


def _upload(client, data, name="camt.xml", language="en"):
    prefix = "/en" if language == "en" else ""
    return client.post(f"{prefix}/staff/statements/",
                       {"file": SimpleUploadedFile(name, data, "application/xml")})


@pytest.fixture
def finance_page(client, staff_login, finance):
    return staff_login(client, finance["VSAA"].staff)


def test_upload_settles_and_queues_and_the_list_shows_the_counts(finance_page, invoices):  # noqa: F811
    first, second = invoices[0], invoices[1]
    data = document([Ntry("7.11", [Tx("7.11", ref="A1", reference=first.reference)]),
                     Ntry("12.00", [Tx("12.00", ref="A2", reference=_mistyped(second.reference))])])
    answer = _upload(finance_page, data, "notification.xml")
    assert answer.status_code == 302
    page = finance_page.get(LIST)
    text = page.content.decode()
    assert "Imported: 1 matched, 0 proposed, 1 in the queue" in text
    assert "notification.xml" in text and "camt.054.001.08" in text
    first.refresh_from_db()
    assert first.state == "paid"
    queue = finance_page.get(QUEUE).content.decode()
    assert "€12.00" in queue and "Jānis Bērziņš" in queue


@pytest.mark.parametrize(("language", "words"), [
    ("en", "The file was not imported"), ("lv", "Datne netika importēta")])
def test_a_refused_file_is_explained_at_the_field_in_the_persons_language(
        finance_page, invoices, language, words):  # noqa: F811
    answer = _upload(finance_page, document([Ntry("7.111", [Tx("7.111", ref="A")])]),
                     language=language)
    assert answer.status_code == 422
    text = answer.content.decode()
    assert words in text and 'href="#id_file"' in text and "(Ntry/Amt)" in text
    assert not BankStatement.objects.exists()


def test_match_by_hand_from_the_queue(finance_page, invoices):  # noqa: F811
    second = invoices[1]
    _upload(finance_page, document([Ntry("12.00", [Tx("12.00", ref="A2", text="samaksa")])]))
    entry = StatementEntry.objects.get()
    url = f"/en/staff/statements/entries/{entry.pk}/"
    found = finance_page.get(url, {"q": second.number})
    assert found.status_code == 200 and second.number in found.content.decode()
    answer = finance_page.post(f"{url}match/{second.pk}/")
    assert answer.status_code == 302
    second.refresh_from_db()
    assert second.state == "paid"
    entry.refresh_from_db()
    assert entry.state == "matched"
    assert AuditEvent.objects.filter(action="payments.statement.match").exists()


def test_confirm_a_proposal_and_set_aside(finance_page, invoices):  # noqa: F811
    second = invoices[1]
    _upload(finance_page, document([
        Ntry("12.00", [Tx("12.00", ref="P1", text=f"Rēķins {second.number}")]),
        Ntry("1.00", [Tx("1.00", ref="P2")])]))
    proposed = StatementEntry.objects.get(state="proposed")
    page = finance_page.get(f"/en/staff/statements/entries/{proposed.pk}/").content.decode()
    assert f"Confirm: the payment is for {second.number}" in page
    finance_page.post(f"/en/staff/statements/entries/{proposed.pk}/confirm/")
    second.refresh_from_db()
    assert second.state == "paid"
    other = StatementEntry.objects.get(state="unmatched")
    empty = finance_page.post(f"/en/staff/statements/entries/{other.pk}/set-aside/", {"note": ""})
    assert empty.status_code == 422 and "There is a problem" in empty.content.decode()
    finance_page.post(f"/en/staff/statements/entries/{other.pk}/set-aside/",
                      {"note": "Returned to the payer"})
    other.refresh_from_db()
    assert other.state == "ignored"


def test_latvian_says_the_set_aside_button_and_state_apart(finance_page, invoices):  # noqa: F811
    _upload(finance_page, document([Ntry("1.00", [Tx("1.00", ref="P3")])]))
    entry = StatementEntry.objects.get()
    url = f"/staff/statements/entries/{entry.pk}/"
    page = finance_page.get(url).content.decode()
    assert '>Atlikt malā</button>' in page and '<h2 id="aside-heading">Atlikt malā</h2>' in page
    finance_page.post(f"{url}set-aside/", {"note": "Atgriezts maksātājam"})
    page = finance_page.get(url).content.decode()
    assert ">Atlikts malā</dd>" in page and "Atlikt malā" not in page


def test_another_institutions_entry_is_404_and_others_cannot_open_the_pages(
        client, staff_login, finance, staff, invoices):  # noqa: F811
    riga = staff_login(client, finance["RIGA"].staff)
    statement = BankStatement.objects.create(institution=invoices[0].holder, message_id="M",
                                             message_type="camt.054.001.08", sha256="0" * 64)
    entry = StatementEntry.objects.create(
        statement=statement, institution=invoices[0].holder, entry_key="k", amount="1.00",
        currency="EUR", state="unmatched")
    assert riga.get(f"/en/staff/statements/entries/{entry.pk}/").status_code == 404
    assert riga.post(f"/en/staff/statements/entries/{entry.pk}/set-aside/",
                     {"note": "x"}).status_code == 404
    client.logout()
    other = staff_login(client, next(iter(staff.values())))
    assert other.get(LIST).status_code == 403


def test_the_navigation_shows_the_statements_to_finance_staff_only(
        client, staff_login, finance, staff):
    page = staff_login(client, finance["VSAA"].staff).get("/en/staff/").content.decode()
    assert LIST in page
    client.logout()
    page = staff_login(client, next(iter(staff.values()))).get("/en/staff/").content.decode()
    assert LIST not in page


def test_a_refused_search_for_an_invoice_finds_nothing(finance_page, invoices):  # noqa: F811
    second = invoices[1]
    _upload(finance_page, document([Ntry("12.00", [Tx("12.00", ref="A2", text="samaksa")])]))
    entry = StatementEntry.objects.get()
    found = finance_page.get(f"/en/staff/statements/entries/{entry.pk}/",
                             {"q": "\x00" + second.number})
    page = found.content.decode()
    assert "control character" in page and f"match/{second.pk}/" not in page
