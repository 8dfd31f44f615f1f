"""Migration payments.0003 (A8): the platform's fee lines issued before 2026-12 stored "Fee: …"
("Maksa: …" in Latvian) as their description; the prefix is stripped where it matches the old
pattern exactly (a fee line of a platform invoice, in the invoice's own language), nothing else
is touched, and going back changes nothing."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from durvis.payments import services as payments
from durvis.payments.models import Invoice, InvoiceLine

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("payments", "0003_statement_entry_unchecked_statement")]
AFTER = [("payments", "0004_fee_lines_without_kind_prefix")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


def _line(finance, case, description, *, origin="platform", language="lv", kind="fee"):
    invoice = payments.issue_invoice(finance["VSAA"], case.number, payments.NewInvoice(
        kind="postpayment", lines=[payments.NewLine(kind=kind, description="x",
                                                    unit_price="7.11")]))
    Invoice.objects.filter(pk=invoice.pk).update(origin=origin, language=language)
    line = invoice.lines.get()
    InvoiceLine.objects.filter(pk=line.pk).update(description=description)
    return line.pk


def test_the_old_kind_prefix_is_stripped_only_where_it_matches(family, payee_accounts, finance):
    case = family["own"]
    migrate(BEFORE)
    lines = {
        "lv": _line(finance, case, "Maksa: Bērna piedzimšanas pabalsts"),
        "en": _line(finance, case, "Fee: Childbirth benefit", language="en"),
        # not the old pattern: another language's prefix, a holder's own line, a state duty,
        # nothing after the prefix, the prefix inside the text
        "lv_with_en_prefix": _line(finance, case, "Fee: Bērna piedzimšanas pabalsts"),
        "holder": _line(finance, case, "Maksa: ekspertīze", origin="holder"),
        "duty": _line(finance, case, "Maksa: nodeva", kind="state_duty"),
        "empty": _line(finance, case, "Maksa: "),
        "inside": _line(finance, case, "Pabalsts. Maksa: 7,11"),
        "new": _line(finance, case, "Bērna piedzimšanas pabalsts"),
    }
    migrate(AFTER)
    after = dict(InvoiceLine.objects.filter(pk__in=lines.values())
                 .values_list("pk", "description"))
    assert after[lines["lv"]] == "Bērna piedzimšanas pabalsts"
    assert after[lines["en"]] == "Childbirth benefit"
    assert after[lines["lv_with_en_prefix"]] == "Fee: Bērna piedzimšanas pabalsts"
    assert after[lines["holder"]] == "Maksa: ekspertīze"
    assert after[lines["duty"]] == "Maksa: nodeva"
    assert after[lines["empty"]] == "Maksa: "
    assert after[lines["inside"]] == "Pabalsts. Maksa: 7,11"
    assert after[lines["new"]] == "Bērna piedzimšanas pabalsts"
    migrate(BEFORE)  # going back is a no-op
    assert dict(InvoiceLine.objects.filter(pk__in=lines.values())
                .values_list("pk", "description")) == after
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app's newest
