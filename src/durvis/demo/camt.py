"""Writes camt.053/camt.054 files shaped by the ISO 20022 schemas of versions 001.02, .04 and
.08 (the differences the reader cares about: `TxDtls/Amt` from .04 on, `Dbtr/Pty/Nm` from .08
on): the demo's bank notifications that pay open demo invoices (`manage.py demo_camt`), the
statement tests and the sample files in `tests/payments/samples/`. Texts are escaped for XML."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

NS = "urn:iso:std:iso:20022:tech:xsd:{kind}.001.{version}"
ACCOUNT = "LV71TREL9140401016000"


@dataclass
class Tx:
    amount: str
    ref: str = ""           # the bank's AcctSvcrRef of the transaction
    reference: str = ""     # RmtInf/Strd/CdtrRefInf/Ref (SCOR)
    text: str = ""          # RmtInf/Ustrd
    name: str = "Jānis Bērziņš"
    iban: str = "LV80BANK0000435195001"
    e2e: str = "NOTPROVIDED"


@dataclass
class Ntry:
    amount: str
    txs: list[Tx]
    ref: str = ""
    credit: bool = True
    date: str = "2026-11-30"
    batch: bool = False


def tx_xml(tx: Tx, version: str) -> str:
    amount = (f'<Amt Ccy="EUR">{tx.amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
              if version != "02" else "")
    amount_details = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{tx.amount}</Amt></TxAmt></AmtDtls>'
    name = escape(tx.name)
    debtor = (f"<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>" if version >= "08"
              else f"<Dbtr><Nm>{name}</Nm></Dbtr>")
    remittance = ""
    if tx.text:
        remittance += f"<Ustrd>{escape(tx.text)}</Ustrd>"
    if tx.reference:
        remittance += ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                       f"<Ref>{escape(tx.reference)}</Ref></CdtrRefInf></Strd>")
    refs = f"<AcctSvcrRef>{escape(tx.ref)}</AcctSvcrRef>" if tx.ref else ""
    return (f"<TxDtls><Refs>{refs}<EndToEndId>{escape(tx.e2e)}</EndToEndId></Refs>{amount}"
            f"{amount_details}<RltdPties>{debtor}<DbtrAcct><Id><IBAN>{tx.iban}</IBAN></Id>"
            f"</DbtrAcct></RltdPties>"
            + (f"<RmtInf>{remittance}</RmtInf>" if remittance else "") + "</TxDtls>")


def ntry_xml(entry: Ntry, version: str) -> str:
    batch = (f"<Btch><NbOfTxs>{len(entry.txs)}</NbOfTxs>"
             f'<TtlAmt Ccy="EUR">{entry.amount}</TtlAmt></Btch>' if entry.batch else "")
    if version == "02" and entry.batch:  # TtlAmt is plain in .02
        batch = f"<Btch><NbOfTxs>{len(entry.txs)}</NbOfTxs><TtlAmt>{entry.amount}</TtlAmt></Btch>"
    details = ("<NtryDtls>" + batch + "".join(tx_xml(t, version) for t in entry.txs)
               + "</NtryDtls>") if entry.txs else ""
    ref = f"<AcctSvcrRef>{entry.ref}</AcctSvcrRef>" if entry.ref else ""
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version >= "08" else "<Sts>BOOK</Sts>"
    return (f'<Ntry><Amt Ccy="EUR">{entry.amount}</Amt>'
            f"<CdtDbtInd>{'CRDT' if entry.credit else 'DBIT'}</CdtDbtInd>{status}"
            f"<BookgDt><Dt>{entry.date}</Dt></BookgDt><ValDt><Dt>{entry.date}</Dt></ValDt>"
            f"{ref}<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
            f"</Fmly></Domn></BkTxCd>{details}</Ntry>")


def summary_xml(entries: list[Ntry]) -> str:
    credits = [Decimal(e.amount) for e in entries if e.credit]
    debits = [Decimal(e.amount) for e in entries if not e.credit]
    net = sum(credits, Decimal(0)) - sum(debits, Decimal(0))
    return ("<TxsSummry><TtlNtries>"
            f"<NbOfNtries>{len(entries)}</NbOfNtries><Sum>{sum(credits + debits, Decimal(0))}</Sum>"
            f"<TtlNetNtry><Amt>{abs(net)}</Amt><CdtDbtInd>{'CRDT' if net >= 0 else 'DBIT'}"
            "</CdtDbtInd></TtlNetNtry></TtlNtries>"
            f"<TtlCdtNtries><NbOfNtries>{len(credits)}</NbOfNtries><Sum>{sum(credits, Decimal(0))}"
            f"</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>{len(debits)}</NbOfNtries>"
            f"<Sum>{sum(debits, Decimal(0))}</Sum></TtlDbtNtries></TxsSummry>")


def document(entries: list[Ntry], *, kind: str = "camt.054", version: str = "08",
             message_id: str = "MSG-20261130-0001", account: str = ACCOUNT,
             summary: str | None = None, created: str = "2026-11-30T18:00:00") -> bytes:
    """A whole file: group header, one statement (camt.053) or notification (camt.054) of
    `account` with its transaction summary (`summary` replaces it when given) and `entries`,
    made at `created` (ISO date and time)."""
    message, report = (("BkToCstmrStmt", "Stmt") if kind == "camt.053"
                       else ("BkToCstmrDbtCdtNtfctn", "Ntfctn"))
    acct = f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>" if account else ""
    balance = ('<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>'
               f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{created[:10]}</Dt></Dt></Bal>"
               if kind == "camt.053" else "")
    body = "".join(ntry_xml(e, version) for e in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="{NS.format(kind=kind, version=version)}"><{message}>'
            f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
            f"<{report}><Id>{message_id}-1</Id><CreDtTm>{created}</CreDtTm>{acct}"
            f"{balance}{summary if summary is not None else summary_xml(entries)}{body}"
            f"</{report}></{message}></Document>\n").encode()


def mistyped(reference: str) -> str:
    """`reference` (RF…) with two neighbouring digits of its body swapped, so that its check
    digits fail (the last two, when the first two are the same)."""
    body = reference[4:]
    swapped = body[1] + body[0] + body[2:] if body[0] != body[1] else body[:-2] + body[-1:] \
        + body[-2]
    return reference[:4] + swapped
