"""`manage.py demo_camt [NUMBER ...] [--mistype] [--statement] [--output FILE]`: a bank's
camt.054 notification (or camt.053 statement) that pays open demo invoices, for trying the
finance staff's statement import (`/staff/statements/`) — demo mode only.

Without numbers it lists the open invoices (number, holder, outstanding amount, payer, the
account they are paid into). With numbers, it writes one file for the account those invoices
are paid into (`Invoice.payee_iban`; invoices paid into different accounts need one file each):
one credit entry per invoice for what it still asks, carrying its structured creditor reference
(SCOR) and the payer's name, booked today, with bank references unique to this run (so every
file made is a new one, and importing the same file twice still books once). `--mistype` swaps
two digits of each reference (the check digits then fail): the entries wait in the manual queue.
The file goes to standard output, or to `--output`; what it holds is said on standard error.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from durvis.demo.camt import Ntry, Tx, document, mistyped
from durvis.payments.models import OPEN_STATES, Invoice

# The account the demo's payers pay from (any valid IBAN: the import does not check it).
PAYER_IBAN = "LV80BANK0000435195001"


def notification(invoices: list[Invoice], *, mistype: bool = False, statement: bool = False,
                 now: Any = None) -> bytes:
    """The camt.054.001.08 notification (camt.053 with `statement`) paying each invoice's
    outstanding amount into their one payee account. Raises CommandError for invoices paid
    into different accounts, or with nothing left to pay."""
    accounts = {invoice.payee_iban for invoice in invoices}
    if len(accounts) != 1:
        raise CommandError("These invoices are paid into different accounts "
                           f"({', '.join(sorted(accounts))}): make one file for each.")
    now = timezone.localtime(now or timezone.now())
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    entries = []
    for index, invoice in enumerate(invoices, start=1):
        amount = invoice.outstanding
        if amount <= 0:
            raise CommandError(f"Invoice {invoice.number} has nothing left to pay.")
        reference = mistyped(invoice.reference) if mistype else invoice.reference
        entries.append(Ntry(f"{amount:.2f}", [Tx(
            f"{amount:.2f}", ref=f"DEMO-{stamp}-{index}", reference=reference,
            name=invoice.payer_name, iban=PAYER_IBAN, e2e=f"DEMO-{invoice.number}")],
            date=now.date().isoformat()))
    return document(entries, kind="camt.053" if statement else "camt.054",
                    message_id=f"DEMO-{stamp}", account=accounts.pop(),
                    created=now.replace(microsecond=0, tzinfo=None).isoformat())


class Command(BaseCommand):
    help = ("Write a camt.054 notification (or camt.053 statement) paying open demo invoices; "
            "without invoice numbers, list the open invoices (demo mode only).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("numbers", nargs="*", help="invoice numbers, e.g. 2003-13-01")
        parser.add_argument("--mistype", action="store_true",
                            help="swap two digits of each reference: the entries go to the "
                                 "manual queue")
        parser.add_argument("--statement", action="store_true",
                            help="a camt.053 statement instead of a camt.054 notification")
        parser.add_argument("--output", "-o", help="the file to write (default: standard "
                                                   "output)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_camt works in demo mode only (DURVIS_DEMO).")
        numbers = [n.strip() for n in options["numbers"] if n.strip()]
        if not numbers:
            self._list_open()
            return
        found = {i.number: i for i in Invoice.objects.filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise CommandError(f"No invoice numbered {', '.join(missing)}.")
        closed = [n for n in numbers if found[n].state not in OPEN_STATES]
        if closed:
            raise CommandError(f"Not open (paid, cancelled or credited): {', '.join(closed)}.")
        invoices = [found[n] for n in dict.fromkeys(numbers)]
        data = notification(invoices, mistype=options["mistype"],
                            statement=options["statement"])
        if options["output"]:
            Path(options["output"]).write_bytes(data)
        else:
            self.stdout.write(data.decode(), ending="")
        total = sum((i.outstanding for i in invoices), Decimal(0))
        kind = "camt.053" if options["statement"] else "camt.054"
        queue = " (references mistyped: they wait in the manual queue)" \
            if options["mistype"] else ""
        self.stderr.write(f"{kind} for {invoices[0].payee_iban}: {len(invoices)} payment(s), "
                          f"{total:.2f} EUR{queue}. Upload it at /staff/statements/ as the "
                          "holder's finance user.")

    def _list_open(self) -> None:
        invoices = (Invoice.objects.filter(state__in=OPEN_STATES).select_related("holder")
                    .order_by("holder__code", "number"))
        if not invoices:
            self.stdout.write("No open invoices. Apply for a paid service first (e.g. 2003, the "
                              "residents' parking permit in Rīga) or issue one at "
                              "/administration/finance/new/.")
            return
        for invoice in invoices:
            self.stdout.write(f"{invoice.number}\t{invoice.holder.code}\t"
                              f"{invoice.outstanding:.2f} EUR\t{invoice.payer_name}\t"
                              f"{invoice.payee_iban}")
