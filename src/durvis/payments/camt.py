"""ISO 20022 bank-to-customer cash management files (A8; seed 4.2 lines 1696-1729, G29): the
account statement camt.053 (`BkToCstmrStmt/Stmt/Ntry`) and the debit/credit notification
camt.054 (`BkToCstmrDbtCdtNtfctn/Ntfctn/Ntry`), message versions 001.02 to 001.08 (Latvian banks
and the Treasury send 02, 04 and 08; `/work/shared/reference/latvian-formats.md`).

`read(data)` streams a file with lxml's pull parser and yields one `CamtEntry` per credit
transaction. The parsed `Ntry` elements are read 1,000 at a time by ONE compiled XSLT
(`_extractor`: flat records made in C, since reading ~35 elements an entry through lxml's Python
proxies cost three times the parse), in a thread of its own while the parser reads on, and then
freed, so memory stays flat whatever the file's size; an entry of an unusual shape is read in
Python as before (`_Entries`, `_common`; the entries are the same either way, tested).
`ReadAhead` runs `read` in a thread of its own, in chunks, while the caller stores the previous
chunk. One entry per credit transaction: each credit entry (`CdtDbtInd` CRDT) and each
`NtryDtls/TxDtls` of a batch entry. Debit entries are skipped and counted. After the last entry
the reader has checked the whole file; any problem raises `CamtError` with a stable `code`, so
the caller (`durvis.payments.statements`), which consumes every entry inside one transaction,
refuses the **whole** file:

| code | what |
|---|---|
| `not_xml` | not well-formed XML, or empty |
| `dtd` | a document type declaration (entities: billion laughs, XXE): never allowed |
| `unknown_namespace` | not a camt.053/camt.054 namespace of a known version |
| `structure` | a required element is missing or out of place (the schema's structure) |
| `missing_account` | a statement or notification names no account (`Acct/Id/IBAN` or `Othr/Id`) |
| `currency` | an amount not in EUR |
| `precision` | an amount with more than two decimals |
| `amount` | an amount that is not a plain positive number |
| `date` | a booking or value date that is not a date |
| `control_sum` | a total disagrees with the entries (below) |

Totals checked: `TxsSummry` (all entries, credits, debits: count and sum; the net), a batch's
`NbOfTxs` and `TtlAmt`, an entry's amount against its transactions, and `GrpHdr/NbOfTxs` and
`CtrlSum` where a bank sends them (they are not in the camt schemas' group header).

The parser is hardened: no network, no DTD loaded, no entity resolved, no huge-tree mode; a
document with any DOCTYPE is refused before its root element is read. The official ISO 20022
XSDs are not shipped by a PyPI package whose licence allows redistribution that was checked, so
the structure is checked here by the schema's rules for the elements read (required elements,
their places, the amount's `Ccy` and digits).
"""

from __future__ import annotations

import datetime
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from lxml import etree

from durvis.payments.money import parse_amount, parse_number

NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
VERSIONS = ("02", "03", "04", "05", "06", "07", "08")
# namespace → (message type, the message element, the statement/notification element)
NAMESPACES: dict[str, tuple[str, str, str]] = {
    **{f"{NS_PREFIX}camt.053.001.{v}": (f"camt.053.001.{v}", "BkToCstmrStmt", "Stmt")
       for v in VERSIONS},
    **{f"{NS_PREFIX}camt.054.001.{v}": (f"camt.054.001.{v}", "BkToCstmrDbtCdtNtfctn", "Ntfctn")
       for v in VERSIONS},
}
_RF = re.compile(r"\s+")


class CamtError(Exception):
    """The file is refused whole: `code` (stable, for API clients; see the module's table),
    `message` (translatable, for people), `where` (the element's path, `Ntry[3]/Amt`: the
    3rd entry's amount), `line` (the line of the file it was found on, where known: the line
    where the entry or element read begins) and the message's `params`."""

    def __init__(self, code: str, message: Any, where: str = "", *, line: int | None = None,
                 **params: Any) -> None:
        super().__init__(code, where)
        self.code, self.message, self.where, self.params = code, message, where, params
        self.line = line

    def text(self) -> str:
        """The reason in the active language, then the place in the file in words (the
        element's name only in brackets: `place`) and its line where known: "An amount has
        more than two decimals. Where: the amount of entry 2 (Ntry/Amt), line 84."."""
        said = str(self.message) % self.params if self.params else str(self.message)
        where = place(self.where)
        if where and self.line:
            return _("%(reason)s Where: %(place)s, line %(line)d.") % {
                "reason": said, "place": where, "line": self.line}
        if where:
            return _("%(reason)s Where: %(place)s.") % {"reason": said, "place": where}
        if self.line:
            return _("%(reason)s Where: line %(line)d.") % {"reason": said, "line": self.line}
        return said


# Where a refusal was found, in words: the `where` paths the reader gives (`n`: the entry's
# number, `i`: the transaction's within it), each with its element path in brackets.
_PLACES: dict[str, Any] = {
    "Acct": _("the account (Acct)"),
    "Acct/Ccy": _("the account's currency (Acct/Ccy)"),
    "GrpHdr": _("the group header (GrpHdr)"),
    "GrpHdr/MsgId": _("the message id in the group header (GrpHdr/MsgId)"),
    "GrpHdr/NbOfTxs": _("the number of transactions in the group header (GrpHdr/NbOfTxs)"),
    "GrpHdr/CtrlSum": _("the control sum in the group header (GrpHdr/CtrlSum)"),
    "TxsSummry/entries": _("the number and sum of all entries in the transaction summary "
                           "(TxsSummry/TtlNtries)"),
    "TxsSummry/credits": _("the number and sum of credit entries in the transaction summary "
                           "(TxsSummry/TtlCdtNtries)"),
    "TxsSummry/debits": _("the number and sum of debit entries in the transaction summary "
                          "(TxsSummry/TtlDbtNtries)"),
    "TxsSummry/net": _("the net amount in the transaction summary "
                       "(TxsSummry/TtlNtries/TtlNetNtry)"),
    "TxsSummry/TtlNtries/NbOfNtries": _("the number of all entries in the transaction summary "
                                        "(TxsSummry/TtlNtries/NbOfNtries)"),
    "TxsSummry/TtlNtries/Sum": _("the sum of all entries in the transaction summary "
                                 "(TxsSummry/TtlNtries/Sum)"),
    "TxsSummry/TtlCdtNtries/NbOfNtries": _("the number of credit entries in the transaction "
                                           "summary (TxsSummry/TtlCdtNtries/NbOfNtries)"),
    "TxsSummry/TtlCdtNtries/Sum": _("the sum of credit entries in the transaction summary "
                                    "(TxsSummry/TtlCdtNtries/Sum)"),
    "TxsSummry/TtlDbtNtries/NbOfNtries": _("the number of debit entries in the transaction "
                                           "summary (TxsSummry/TtlDbtNtries/NbOfNtries)"),
    "TxsSummry/TtlDbtNtries/Sum": _("the sum of debit entries in the transaction summary "
                                    "(TxsSummry/TtlDbtNtries/Sum)"),
    "TxsSummry/TtlNtries/TtlNetNtry/Amt": _("the net amount in the transaction summary "
                                            "(TxsSummry/TtlNtries/TtlNetNtry/Amt)"),
    "Ntry": _("entry %(n)d (Ntry)"),
    "Ntry/Amt": _("the amount of entry %(n)d (Ntry/Amt)"),
    "Ntry/CdtDbtInd": _("the credit or debit mark of entry %(n)d (Ntry/CdtDbtInd)"),
    "Ntry/BookgDt": _("the booking date of entry %(n)d (Ntry/BookgDt)"),
    "Ntry/ValDt": _("the value date of entry %(n)d (Ntry/ValDt)"),
    "Ntry/Btch": _("the batch of entry %(n)d (Ntry/NtryDtls/Btch)"),
    "Ntry/Btch/NbOfTxs": _("the number of transactions in the batch of entry %(n)d "
                           "(Ntry/NtryDtls/Btch/NbOfTxs)"),
    "Ntry/Btch/TtlAmt": _("the total of the batch of entry %(n)d (Ntry/NtryDtls/Btch/TtlAmt)"),
    "Ntry/TxDtls": _("transaction %(i)d of entry %(n)d (Ntry/NtryDtls/TxDtls)"),
}
_INDEX = re.compile(r"\[(\d+)\]")


def place(where: str) -> str:
    """The place a refusal's `where` path names, in words in the active language ("" for
    none); a path the table does not know is given as it is, introduced in words."""
    if not where:
        return ""
    numbers = [int(n) for n in _INDEX.findall(where)]
    words = _PLACES.get(_INDEX.sub("", where))
    if words is None:
        return _("the element %(path)s") % {"path": where}
    params = dict(zip(("n", "i"), numbers, strict=False))
    return str(words) % params if params else str(words)


class _Figures:
    """A (count, sum) pair or a sum as a refusal says it, in the active language's number
    format when the text is made: "2 / 0.37", "2 / 0,37"; "—" for a figure not given."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        return " / ".join("—" if v is None else number_format(v, use_l10n=True)
                          for v in values)


def _syntax(error: etree.XMLSyntaxError) -> CamtError:
    """lxml's complaint as a refusal in the reader's language (its own message is English):
    what kind of mistake, and its line."""
    name = etree.ErrorTypes._getName(error.code) or ""
    if name in ("ERR_DOCUMENT_EMPTY", "ERR_DOCUMENT_START"):
        message = _("The file is not XML: it does not begin with an element (is it a PDF, a "
                    "spreadsheet or another kind of file?).")
    elif name in ("ERR_TAG_NOT_FINISHED", "ERR_DOCUMENT_END", "ERR_LTSLASH_REQUIRED",
                  "ERR_GT_REQUIRED") or "Premature end" in str(error.msg):
        message = _("The file is not well-formed XML: it ends before all its elements are "
                    "closed (was it cut short?).")
    elif name == "ERR_TAG_NAME_MISMATCH":
        message = _("The file is not well-formed XML: an element is closed by another "
                    "element's end tag.")
    else:
        message = _("The file is not well-formed XML: there is a mistake in its markup.")
    line = error.lineno if error.lineno and error.lineno > 0 else None
    return CamtError("not_xml", message, line=line)


class CamtEntry(NamedTuple):
    """One credit transaction: `amount` (EUR, two places), dates, the bank's reference
    (`AcctSvcrRef`), the end-to-end id, the debtor's name and IBAN, the structured creditor
    reference as given (`reference`, SCOR; not checked here), the unstructured text, and
    `entry_key`, unique for the bank account: `<account>:<AcctSvcrRef>[/<n>]`, else
    `<account>:e2e:<EndToEndId>:<booking date>:<amount>`. A named tuple (immutable): made
    ~100,000 times per large file, it costs a third of a frozen dataclass and the garbage
    collector stops tracking it at once (it holds no container)."""

    entry_key: str
    amount: Decimal
    currency: str
    booking_date: datetime.date | None
    value_date: datetime.date | None
    bank_reference: str
    end_to_end_id: str
    debtor_name: str
    debtor_iban: str
    reference: str
    unstructured: str
    account: str


@dataclass
class CamtSummary:
    """What the reader saw once it has read the whole file: the message type and id, the
    accounts, and counts of entries (all, credit transactions yielded, debit entries skipped)."""

    message_type: str = ""
    message_id: str = ""
    accounts: list[str] = field(default_factory=list)
    entries: int = 0
    credits: int = 0
    debits_skipped: int = 0


FEED = 64 * 1024


def _events(data: bytes, events: tuple[str, ...], tag: Any = None) -> Iterator[tuple[str, Any]]:
    """lxml's pull parser over `data`, fed 64 KiB at a time (so the parser never holds a copy
    of the whole file), hardened: no network, no DTD loaded, no entity resolved, no huge tree.
    Raises etree.XMLSyntaxError."""
    parser = etree.XMLPullParser(events=events, tag=tag, resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False,
                                 remove_comments=True, remove_pis=True)
    view = memoryview(data)
    for start in range(0, len(data), FEED):
        parser.feed(bytes(view[start:start + FEED]))
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def sniff(data: bytes) -> str:
    """The namespace of the document in `data`, read from its root element only. Raises
    CamtError `not_xml`, `dtd`, `unknown_namespace`."""
    if not data or data.isspace():
        raise CamtError("not_xml", _("The file is empty."))
    if data.find(b"<!DOCTYPE") >= 0 or data.find(b"<!ENTITY") >= 0:
        raise CamtError("dtd", _("The file declares a document type (DTD): statement files "
                                 "never do, so it is refused."))
    try:
        for _event, root in _events(data, ("start",)):
            docinfo = root.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise CamtError("dtd", _("The file declares a document type (DTD): statement "
                                         "files never do, so it is refused."))
            namespace = etree.QName(root).namespace or ""
            if etree.QName(root).localname != "Document" or namespace not in NAMESPACES:
                raise CamtError("unknown_namespace", _(
                    "The file is not a camt.053 statement or camt.054 notification of a known "
                    "version (namespace %(ns)s)."), ns=namespace or "—")
            return namespace
    except etree.XMLSyntaxError as error:
        raise _syntax(error) from None
    raise CamtError("not_xml", _("The file is not well-formed XML: it has no element."))


# The elements an entry of the common shape is read from (`_common`), by local name.
_TAGS = ("Amt", "CdtDbtInd", "BookgDt", "ValDt", "Dt", "DtTm", "AcctSvcrRef", "NtryDtls",
         "TxDtls", "Btch", "Refs", "EndToEndId", "RltdPties", "Dbtr", "Nm", "Pty", "DbtrAcct",
         "Id", "IBAN", "RmtInf", "Ustrd", "Strd", "CdtrRefInf", "Tp", "CdOrPrtry", "Cd", "Ref")


class _Paths:
    """The element paths of one namespace, built once."""

    def __init__(self, ns: str) -> None:
        def q(path: str) -> str:
            return "/".join(f"{{{ns}}}{part}" for part in path.split("/"))

        self.q = q
        self.ns = ns
        message_type, message, report = NAMESPACES[ns]
        self.message_type = message_type
        self.message = q(message)
        self.report = q(report)
        self.grp_hdr = q("GrpHdr")
        self.acct = q("Acct")
        self.ntry = q("Ntry")
        self.summary = q("TxsSummry")
        self.tag = {name: f"{{{ns}}}{name}" for name in _TAGS}


def read(data: bytes, summary: CamtSummary | None = None) -> Generator[CamtEntry]:
    """Stream the credit transactions of a camt.053/camt.054 file (`data`, bytes). The reader
    has checked the whole file when the iterator is exhausted; until then an entry yielded is
    not yet known to belong to an acceptable file, so consume all of it in one transaction.
    `summary` (optional) is filled in as the file is read. Raises CamtError (the module's
    table).

    Entries are read `BATCH` at a time: the `Ntry` elements parsed are left under their
    statement until `BATCH` of them are there (or another element ends), then moved into an
    element of their own, which one compiled XSLT (`_extractor`) turns into flat records in C
    in the extracting thread (`_extract`) while the parser reads on; the records are checked
    and made into entries in order (`_Entries`), and the batch is freed. A refusal is raised
    at the same entry, with the same code, as when each entry was read on its own, at the
    line where that entry begins: every batch is finished before any later element (or a
    syntax error) is looked at."""
    summary = summary if summary is not None else CamtSummary()
    ns = sniff(data)
    paths = _Paths(ns)
    summary.message_type = paths.message_type
    parser = _events(data, ("end",), [paths.grp_hdr, paths.report, paths.acct, paths.ntry,
                                       paths.summary])
    entries = _Entries(paths, summary)
    grp_totals: tuple[str | None, str | None] = (None, None)
    elem: Any = None
    grp_line: int | None = None
    try:
        for _event, elem in parser:
            tag = elem.tag
            parent = elem.getparent()
            if tag == paths.ntry and parent is not None and parent.tag == paths.report:
                if not entries.report.account:
                    raise CamtError("missing_account", _(
                        "A statement or notification names no account (Acct/Id/IBAN)."), "Acct")
                entries.pending.append(elem)
                if len(entries.pending) >= BATCH:
                    yield from entries.submit()
                continue
            if entries.pending or entries.running:
                yield from entries.flush()
            if tag == paths.grp_hdr and parent is not None and parent.tag == paths.message:
                summary.message_id = (elem.findtext(paths.q("MsgId")) or "").strip()[:35]
                if not summary.message_id:
                    raise CamtError("structure", _("The group header has no message id."),
                                    "GrpHdr/MsgId")
                grp_totals = (elem.findtext(paths.q("NbOfTxs")), elem.findtext(paths.q("CtrlSum")))
                grp_line = elem.sourceline
            elif tag == paths.acct and parent is not None and parent.tag == paths.report:
                iban = (elem.findtext(paths.q("Id/IBAN")) or
                        elem.findtext(paths.q("Id/Othr/Id")) or "").strip()
                ccy = elem.findtext(paths.q("Ccy"))
                if ccy is not None and ccy.strip() != "EUR":
                    raise CamtError("currency", _("The account is not in EUR."), "Acct/Ccy")
                entries.report.account = iban.replace(" ", "").upper()
                if entries.report.account:
                    summary.accounts.append(entries.report.account)
            elif tag == paths.summary and parent is not None and parent.tag == paths.report:
                entries.report.expected = _expected_totals(elem, paths)
                entries.report.summary_line = elem.sourceline
            elif tag == paths.report:
                if not entries.report.account:
                    raise CamtError("missing_account", _(
                        "A statement or notification names no account (Acct/Id/IBAN)."), "Acct")
                entries.report.check()
                entries.report = _Report()
                _forget(elem)
    except etree.XMLSyntaxError as error:
        yield from entries.flush()  # the entries before the broken place are checked first
        raise _syntax(error) from None
    except CamtError as error:  # where the element being read begins
        if error.line is None and elem is not None:
            error.line = elem.sourceline
        raise
    finally:
        entries.close()
    if not summary.message_id:  # set only from the group header of the message element
        raise CamtError("structure", _("The file has no group header with a message id."),
                        "GrpHdr")
    count, ctrl = grp_totals
    try:
        if count is not None and _int(count, "GrpHdr/NbOfTxs") != entries.all_count:
            raise CamtError("control_sum", _("The group header's number of transactions does "
                                             "not match the entries."), "GrpHdr/NbOfTxs")
        if ctrl is not None and _number(ctrl, "GrpHdr/CtrlSum") != entries.all_credits:
            raise CamtError("control_sum", _("The group header's control sum does not match "
                                             "the entries."), "GrpHdr/CtrlSum")
    except CamtError as error:
        error.line = grp_line
        raise


class ReadAhead:
    """`read(data, summary)` in a thread of its own, handed over in chunks of `size` entries
    (iterate; a chunk is a list): while the caller stores one chunk (waiting on the database,
    which works on another CPU), the thread reads the next ones. At most `AHEAD` chunks wait,
    so memory stays flat. A refusal (`CamtError`) is raised by the iteration where `read`
    would have raised it, after the chunks before it; `summary` is complete once the
    iteration ends. Use it as a context manager: leaving stops the thread (the rest of the
    file is not read) and waits for it. The thread touches no database and no request state:
    it only parses and checks the file."""

    AHEAD = 2

    def __init__(self, data: bytes, summary: CamtSummary, size: int) -> None:
        self._chunks: queue.Queue[list[CamtEntry] | BaseException] = queue.Queue(self.AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(data, summary, size),
                                        name="camt-read-ahead", daemon=True)

    def __enter__(self) -> ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[list[CamtEntry]]:
        while True:
            chunk = self._chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if not chunk:
                return
            yield chunk

    def _read(self, data: bytes, summary: CamtSummary, size: int) -> None:
        entries = read(data, summary)
        try:
            while not self._stop.is_set():
                chunk = list(islice(entries, size))
                self._hand(chunk)
                if not chunk:
                    return
        except BaseException as error:  # handed to the caller's thread
            self._hand(error)
        finally:
            entries.close()

    def _hand(self, item: list[CamtEntry] | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.05)
                return
            except queue.Full:
                continue


# How many `Ntry` elements one run of the extractor reads (a few hundred KiB of tree at most).
BATCH = 1000

# The extractor: one line per `Ntry` (the first `$n` of the statement element it is run on),
# fields separated by tabs. "U" alone: an entry of another shape than `_common` reads (read on
# its own in Python); else "C" (no transaction) or "T" (one), then the texts `_shaped` takes,
# then for "T" the transaction's (`_TxFields`, and its `CdtDbtInd` third). Each text is an
# element's whole text: an element read with an element inside it is another shape ("U"), as
# are a second of anything read, a batch, and two transactions. `[1]` picks what the one-walk
# reader picks (the first) where the schema allows one. Texts are not escaped: a record whose
# fields do not count up (a tab or line break in a text) is read on its own too.
_ENTRY_LEAVES = ("c:Amt", "c:CdtDbtInd[1]", "c:BookgDt[1]/*", "c:ValDt[1]/*", "c:AcctSvcrRef[1]")
_TX_LEAVES = ("c:Amt", "c:CdtDbtInd[1]", "c:Refs[1]/c:AcctSvcrRef[1]",
              "c:Refs[1]/c:EndToEndId[1]", "c:RltdPties[1]/c:Dbtr[1]/c:Nm[1]",
              "c:RltdPties[1]/c:Dbtr[1]/c:Pty[1]/c:Nm[1]",
              "c:RltdPties[1]/c:DbtrAcct[1]/c:Id[1]/c:IBAN[1]", "c:RmtInf/c:Ustrd",
              "c:RmtInf/c:Strd/c:CdtrRefInf/c:Tp[1]/c:CdOrPrtry[1]/c:Cd[1]",
              "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref[1]")
_OTHER_SHAPE = " or ".join((
    "not(c:Amt)", "c:Amt[2]", "c:NtryDtls[2]", "c:NtryDtls/c:TxDtls[2]", "c:NtryDtls/c:Btch",
    "c:BookgDt[1]/*[2]", "c:ValDt[1]/*[2]", f"({' | '.join(_ENTRY_LEAVES)})/*",
    "c:NtryDtls/c:TxDtls[" + " or ".join((
        "not(c:Amt)", "c:Amt[2]", "c:RmtInf[2]", "c:RmtInf/c:Ustrd[2]", "c:RmtInf/c:Strd[2]",
        "c:RmtInf/c:Strd/c:CdtrRefInf[2]", f"({' | '.join(_TX_LEAVES)})/*")) + "]"))
_TAB = "<xsl:text>&#9;</xsl:text>"


def _values(*paths: str) -> str:
    return "".join(f'{_TAB}<xsl:value-of select="{path}"/>' for path in paths)


_EXTRACTOR = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
 xmlns:c="{{ns}}"><xsl:output method="text" encoding="UTF-8"/><xsl:param name="n" select="0"/>
<xsl:template match="/"><xsl:for-each select="*/c:Ntry[position() &lt;= $n]"><xsl:choose>
<xsl:when test="{_OTHER_SHAPE.replace('<', '&lt;')}">U</xsl:when><xsl:otherwise>
<xsl:choose><xsl:when test="c:NtryDtls/c:TxDtls">T</xsl:when><xsl:otherwise>C</xsl:otherwise>
</xsl:choose>{_values("c:Amt", "c:Amt/@Ccy", "c:CdtDbtInd[1]", "c:BookgDt[1]/c:Dt",
                      "c:BookgDt[1]/c:DtTm", "c:ValDt[1]/c:Dt", "c:ValDt[1]/c:DtTm",
                      "c:AcctSvcrRef[1]")}<xsl:for-each select="c:NtryDtls/c:TxDtls">{
    _values("c:Amt", "c:Amt/@Ccy", *_TX_LEAVES[1:])}</xsl:for-each></xsl:otherwise>
</xsl:choose><xsl:text>&#10;</xsl:text></xsl:for-each></xsl:template></xsl:stylesheet>"""


def _extractor(ns: str) -> etree.XSLT:
    """The extractor for namespace `ns` (compiled per file, about half a millisecond: a
    compiled stylesheet is not shared between threads), allowed no file or network access."""
    return etree.XSLT(etree.XML(_EXTRACTOR.replace("{ns}", ns).encode()),
                      access_control=etree.XSLTAccessControl.DENY_ALL)


# How many batches the extracting thread may have in hand while the parser reads on.
AHEAD = 2
_THREAD = threading.local()


def _extract(ns: str, holder: Any, count: int) -> str:
    """The extractor's records (one line each) for the first `count` entries of `holder`, in
    the extracting thread, with the stylesheet compiled in that thread. lxml runs a transform
    without Python's global lock, so the extraction of one batch goes on while the parser,
    in the reader's thread, reads the next."""
    compiled: dict[str, etree.XSLT] = _THREAD.__dict__.setdefault("extractors", {})
    if ns not in compiled:
        compiled[ns] = _extractor(ns)
    return str(compiled[ns](holder, n=str(count)))


class _Entries:
    """The entries as the reader reads them: the statement being read (`report`), the `Ntry`
    elements parsed and not read yet (`pending`, all under one statement element, in order),
    and the count and credit sum over the whole file."""

    def __init__(self, paths: _Paths, summary: CamtSummary) -> None:
        self.paths, self.summary = paths, summary
        self.report = _Report()
        self.pending: list[Any] = []
        self.all_count = 0
        self.all_credits = Decimal("0")
        self.running: deque[tuple[list[Any], Future[str]]] = deque()
        self.pool: ThreadPoolExecutor | None = None

    def submit(self) -> Iterator[CamtEntry]:
        """Hand the pending entries to the extracting thread (moved out of the statement
        element into a batch element of their own, so the parser goes on filling the statement
        meanwhile); when more than `AHEAD` batches are being extracted, read the oldest."""
        batch, self.pending = self.pending, []
        holder = etree.Element("batch")
        holder.extend(batch)
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="camt-extract")
        self.running.append((batch, self.pool.submit(_extract, self.paths.ns, holder,
                                                     len(batch))))
        while len(self.running) > AHEAD:
            yield from self._finish()

    def flush(self) -> Iterator[CamtEntry]:
        """Read every entry parsed so far, in order (before any later element is looked at)."""
        if self.pending:
            yield from self.submit()
        while self.running:
            yield from self._finish()

    def close(self) -> None:
        """Stop the extracting thread (waits for the batch it is on)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _finish(self) -> Iterator[CamtEntry]:
        batch, future = self.running.popleft()
        records = future.result().split("\n")
        if len(records) != len(batch) + 1:  # a line break in a text: each on its own
            records = ["U"] * len(batch)
        for elem, record in zip(batch, records, strict=False):
            try:
                yield from self._entry(elem, record.split("\t"))
            except CamtError as error:  # named at the line where its entry begins
                if error.line is None:
                    error.line = elem.sourceline
                raise

    def _entry(self, elem: Any, f: list[str]) -> Iterator[CamtEntry]:
        report, summary = self.report, self.summary
        report.count += 1
        self.all_count += 1
        mark = f[0]
        if mark == "C" and len(f) == 9:
            common = _shaped(report, f[1], f[2], f[3], f[4] or f[5], f[6] or f[7], f[8], None)
        elif mark == "T" and len(f) == 20 and f[11].strip() in ("", "CRDT"):
            fields = (f[9], f[10], f[12], f[13], f[14] or f[15], f[16], f[17], f[18], f[19])
            common = _shaped(report, f[1], f[2], f[3], f[4] or f[5], f[6] or f[7], f[8],
                             lambda: fields)
        else:
            common = _common(elem, self.paths, report)
        if common is not None:
            amount, credit, entries = common
        else:
            amount, credit = _entry_amount(elem, self.paths, report.count)
            entries = None
        report.total += amount
        if credit:
            report.credits += 1
            report.credit_sum += amount
            self.all_credits += amount
            for entry in (entries if entries is not None else
                          _credit_transactions(elem, self.paths, report, amount)):
                summary.credits += 1
                yield entry
        else:
            report.debits += 1
            report.debit_sum += amount
            summary.debits_skipped += 1
        summary.entries += 1


@dataclass
class _Report:
    account: str = ""
    count: int = 0
    total: Decimal = Decimal("0")
    credits: int = 0
    credit_sum: Decimal = Decimal("0")
    debits: int = 0
    debit_sum: Decimal = Decimal("0")
    expected: dict[str, Any] = field(default_factory=dict)
    summary_line: int | None = None

    def check(self) -> None:
        found: dict[str, Any] = {
            "entries": (self.count, self.total), "credits": (self.credits, self.credit_sum),
            "debits": (self.debits, self.debit_sum), "net": self.credit_sum - self.debit_sum}
        for name, value in self.expected.items():
            actual = found[name]
            if name == "net":
                ok = value == actual
            else:
                number, total = value
                ok = (number is None or number == actual[0]) and (total is None
                                                                 or total == actual[1])
            if not ok:
                raise CamtError("control_sum", _(
                    "The transaction summary (TxsSummry) does not match the entries: for "
                    "%(what)s the file says %(said)s, the entries give %(found)s."),
                    f"TxsSummry/{name}", line=self.summary_line, what=_TOTALS[name],
                    said=_Figures(value), found=_Figures(actual))


# The totals of a transaction summary as the control-sum refusal names them.
_TOTALS: dict[str, Any] = {
    "entries": _("all entries (number / sum)"), "credits": _("credit entries (number / sum)"),
    "debits": _("debit entries (number / sum)"), "net": _("the net amount")}


def _forget(elem: Any) -> None:
    """Free an element read and the siblings before it (memory stays flat)."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _int(text: str, where: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise CamtError("structure", _("A number of entries is not a whole number."), where)
    return int(text)


def _number(text: str, where: str) -> Decimal:
    try:
        value = parse_number(text.strip())
    except ValidationError:
        raise CamtError("amount", _("A sum is not a plain number."), where) from None
    return value


def _expected_totals(elem: Any, paths: _Paths) -> dict[str, Any]:
    q = paths.q
    expected: dict[str, Any] = {}
    for name, path in (("entries", "TtlNtries"), ("credits", "TtlCdtNtries"),
                       ("debits", "TtlDbtNtries")):
        part = elem.find(q(path))
        if part is None:
            continue
        count, total = part.findtext(q("NbOfNtries")), part.findtext(q("Sum"))
        expected[name] = (_int(count, f"TxsSummry/{path}/NbOfNtries") if count else None,
                          _number(total, f"TxsSummry/{path}/Sum") if total else None)
    net = elem.find(q("TtlNtries/TtlNetNtry"))
    if net is not None:
        amount = _number(net.findtext(q("Amt")) or "", "TxsSummry/TtlNtries/TtlNetNtry/Amt")
        sign = (net.findtext(q("CdtDbtInd")) or "").strip()
        expected["net"] = -amount if sign == "DBIT" else amount
    return expected


def _amount(elem: Any, where: str) -> Decimal:
    if elem is None:
        raise CamtError("structure", _("An entry has no amount."), where)
    return _amount_of(elem.text or "", elem.get("Ccy") or "", where)


def _amount_of(text: str, currency: str, where: str) -> Decimal:
    currency = currency.strip()
    if currency != "EUR":
        raise CamtError("currency", _("An amount is in %(ccy)s: only EUR is accepted."), where,
                        ccy=currency or "—")
    try:
        return parse_amount(text.strip())
    except ValidationError as error:
        if error.code == "precision":
            raise CamtError("precision", _("An amount has more than two decimals."),
                            where) from None
        raise CamtError("amount", _("An amount is not a plain number above zero."),
                        where) from None


def _entry_amount(elem: Any, paths: _Paths, number: int) -> tuple[Decimal, bool]:
    where = f"Ntry[{number}]"
    amount = _amount(elem.find(paths.q("Amt")), f"{where}/Amt")
    sign = (elem.findtext(paths.q("CdtDbtInd")) or "").strip()
    if sign not in ("CRDT", "DBIT"):
        raise CamtError("structure", _("An entry is neither a credit nor a debit (CdtDbtInd)."),
                        f"{where}/CdtDbtInd")
    return amount, sign == "CRDT"


def _date(elem: Any, paths: _Paths, name: str, where: str) -> datetime.date | None:
    text = elem.findtext(paths.q(f"{name}/Dt")) or elem.findtext(paths.q(f"{name}/DtTm"))
    return _date_of(text, f"{where}/{name}")


def _date_of(text: str | None, where: str) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise CamtError("date", _("A date is not a date (YYYY-MM-DD)."), where) from None


def _credit_transactions(elem: Any, paths: _Paths, report: _Report,
                         entry_amount: Decimal) -> Iterator[CamtEntry]:
    q = paths.q
    number = report.count
    where = f"Ntry[{number}]"
    booking = _date(elem, paths, "BookgDt", where)
    value = _date(elem, paths, "ValDt", where)
    entry_ref = (elem.findtext(q("AcctSvcrRef")) or "").strip()
    details = elem.findall(q("NtryDtls"))
    transactions = [tx for d in details for tx in d.findall(q("TxDtls"))]
    for d in details:
        batch = d.find(q("Btch"))
        if batch is not None:
            count, total = batch.findtext(q("NbOfTxs")), batch.findtext(q("TtlAmt"))
            in_batch = d.findall(q("TxDtls"))
            if count and _int(count, f"{where}/Btch/NbOfTxs") != len(in_batch):
                raise CamtError("control_sum", _("A batch's number of transactions does not "
                                                 "match its transactions."), f"{where}/Btch")
            if total and in_batch:
                sums = sum((_tx_amount(tx, paths, None, where) for tx in in_batch), Decimal(0))
                if _number(total, f"{where}/Btch/TtlAmt") != sums:
                    raise CamtError("control_sum", _("A batch's total does not match its "
                                                     "transactions."), f"{where}/Btch")
    if not transactions:
        yield _transaction(None, paths, report, entry_amount, booking, value, entry_ref, "")
        return
    single = len(transactions) == 1
    credits = Decimal(0)
    for index, tx in enumerate(transactions, start=1):
        tx_where = f"{where}/TxDtls[{index}]"
        sign = (tx.findtext(q("CdtDbtInd")) or "CRDT").strip()
        amount = _tx_amount(tx, paths, entry_amount if single else None, tx_where)
        if sign == "DBIT":
            credits -= amount
            continue
        credits += amount
        suffix = "" if single else f"/{index}"
        yield _transaction(tx, paths, report, amount, booking, value, entry_ref, suffix)
    if credits != entry_amount:
        raise CamtError("control_sum", _("An entry's amount does not match its transactions."),
                        where)


def _tx_amount(tx: Any, paths: _Paths, default: Decimal | None, where: str) -> Decimal:
    q = paths.q
    elem = tx.find(q("Amt"))
    if elem is None:
        elem = tx.find(q("AmtDtls/TxAmt/Amt"))
    if elem is None:
        if default is not None:
            return default
        raise CamtError("structure", _("A transaction of a batch has no amount."), where)
    return _amount(elem, where)


def _common(elem: Any, paths: _Paths, report: _Report
            ) -> tuple[Decimal, bool, list[CamtEntry]] | None:
    """An entry of the common shape read in one walk over its children (a `find` per field
    costs several times as much): one amount; at most one transaction, with one amount and at
    most one unstructured and one structured remittance; no batch. Returns its amount, whether
    it is a credit, and its credit transaction (none for a debit), by the same checks and with
    the same result as `_entry_amount` and `_credit_transactions`; None for an entry of any
    other shape, which the caller reads field by field. The batch reader (`_Entries`) reads
    the same fields in C and finishes them with the same `_shaped`."""
    tag = paths.tag
    amounts, amount, sign, booked, valued, entry_ref = 0, None, None, None, None, None
    details = []
    for child in elem:
        name = child.tag
        if name == tag["Amt"]:
            amounts += 1
            amount = child
        elif name == tag["CdtDbtInd"] and sign is None:
            sign = child.text or ""
        elif name == tag["BookgDt"] and booked is None:
            booked = _day(child, tag)
        elif name == tag["ValDt"] and valued is None:
            valued = _day(child, tag)
        elif name == tag["AcctSvcrRef"] and entry_ref is None:
            entry_ref = child.text or ""
        elif name == tag["NtryDtls"]:
            details.append(child)
    transactions = [tx for d in details for tx in d if tx.tag == tag["TxDtls"]]
    if amounts != 1 or amount is None or len(details) > 1 or len(transactions) > 1 or any(
            child.tag == tag["Btch"] for d in details for child in d):
        return None
    return _shaped(report, amount.text or "", amount.get("Ccy") or "", sign or "", booked or "",
                   valued or "", entry_ref or "",
                   (lambda: _tx_fields(transactions[0], tag)) if transactions else None)


# What an entry's transaction of the common shape gives: its amount's text and currency, the
# bank's reference, the end-to-end id, the debtor's name, IBAN, the unstructured text, the
# structured reference's type code and reference (texts as in the file).
_TxFields = tuple[str, str, str, str, str, str, str, str, str]


def _shaped(report: _Report, amount: str, ccy: str, sign: str, booked: str, valued: str,
            entry_ref: str, tx: Callable[[], _TxFields | None] | None
            ) -> tuple[Decimal, bool, list[CamtEntry]] | None:
    """An entry of the common shape from the texts of its fields (as `_common` returns it):
    its amount's text and currency, `CdtDbtInd`, the booking and value dates (`Dt`, else
    `DtTm`), its `AcctSvcrRef`, and `tx`: None for an entry without a transaction, else what
    gives the transaction's fields (None for a transaction of another shape: then so is the
    entry's result, and the caller reads it field by field). Raises CamtError as the
    field-by-field reader would. (Read once per entry of a large file: the places of a
    refusal are named only when one is raised, and a date's text is read once per file.)"""
    try:
        value = _amount_of(amount, ccy, "")
    except CamtError as error:
        error.where = f"Ntry[{report.count}]/Amt"
        error.args = (error.code, error.where)
        raise
    sign = sign.strip()
    if sign != "CRDT":
        if sign == "DBIT":
            return value, False, []
        raise CamtError("structure", _("An entry is neither a credit nor a debit (CdtDbtInd)."),
                        f"Ntry[{report.count}]/CdtDbtInd")
    entry_ref = entry_ref.strip()
    if tx is None:
        booking = _day_of(booked, report, "BookgDt")
        return value, True, [_entry(report, value, booking, _day_of(valued, report, "ValDt"),
                                    entry_ref, "", "", "", "", "")]
    fields = tx()
    if fields is None:
        return None
    tx_amount, tx_ccy, bank_ref, e2e, name, iban, text, kind, ref = fields
    booking = _day_of(booked, report, "BookgDt")
    valuation = _day_of(valued, report, "ValDt")
    if (tx_amount != amount or tx_ccy != ccy) and _amount_of(
            tx_amount, tx_ccy, f"Ntry[{report.count}]/TxDtls[1]") != value:
        raise CamtError("control_sum", _("An entry's amount does not match its transactions."),
                        f"Ntry[{report.count}]")
    e2e = e2e.strip()
    if ref and not ref.isalnum():
        ref = _RF.sub("", ref)
    ref = ref.upper()
    kind = kind.strip()
    reference = ref[:35] if ref and (kind == "SCOR" or (not kind and ref.startswith("RF"))) \
        else ""
    return value, True, [_entry(
        report, value, booking, valuation, (bank_ref or entry_ref).strip(),
        "" if e2e == "NOTPROVIDED" else e2e, name.strip(), iban.strip(), reference,
        text.strip()[:500])]


# Dates as read (`_day_of`): a file's entries carry a handful of booking and value dates.
_DAYS: dict[str, datetime.date] = {}


def _day_of(text: str, report: _Report, name: str) -> datetime.date | None:
    """`_date_of` of an entry's date element `name` (BookgDt, ValDt), remembered by its text."""
    day = _DAYS.get(text)
    if day is None:
        day = _date_of(text, f"Ntry[{report.count}]/{name}")
        if day is not None and len(_DAYS) < 4096:
            _DAYS[text] = day
    return day


def _day(elem: Any, tag: dict[str, str]) -> str:
    """A date element's `Dt`, else its `DtTm` (text; "" for neither)."""
    day = moment = ""
    for child in elem:
        if child.tag == tag["Dt"] and not day:
            day = child.text or ""
        elif child.tag == tag["DtTm"] and not moment:
            moment = child.text or ""
    return day or moment


def _text(elem: Any, *path: str) -> str:
    """The text of the first element at `path` (tags) under `elem`; "" if there is none."""
    for name in path:
        for child in elem:
            if child.tag == name:
                elem = child
                break
        else:
            return ""
    return elem.text or ""


def _tx_fields(tx: Any, tag: dict[str, str]) -> _TxFields | None:
    """A transaction of the common shape read in one walk (`_TxFields`); None for another
    shape (no or two amounts, a debit, two remittances of a kind)."""
    amounts, amount, sign, refs, parties = 0, None, None, None, None
    texts, structured, remittances = [], [], 0
    for child in tx:
        name = child.tag
        if name == tag["Amt"]:
            amounts += 1
            amount = child
        elif name == tag["CdtDbtInd"] and sign is None:
            sign = (child.text or "").strip()
        elif name == tag["Refs"] and refs is None:
            refs = child
        elif name == tag["RltdPties"] and parties is None:
            parties = child
        elif name == tag["RmtInf"]:
            remittances += 1
            texts += [part for part in child if part.tag == tag["Ustrd"]]
            structured += [part for part in child if part.tag == tag["Strd"]]
    if amounts != 1 or amount is None or sign not in (None, "", "CRDT") or remittances > 1 \
            or len(texts) > 1 or len(structured) > 1:
        return None
    infos = [info for part in structured for info in part if info.tag == tag["CdtrRefInf"]]
    if len(infos) > 1:
        return None
    bank_ref = e2e = name = iban = ""
    if refs is not None:
        bank_ref, e2e = _text(refs, tag["AcctSvcrRef"]), _text(refs, tag["EndToEndId"])
    if parties is not None:
        name = _text(parties, tag["Dbtr"], tag["Nm"]) or _text(parties, tag["Dbtr"], tag["Pty"],
                                                               tag["Nm"])
        iban = _text(parties, tag["DbtrAcct"], tag["Id"], tag["IBAN"])
    kind = ref = ""
    if infos:
        kind = _text(infos[0], tag["Tp"], tag["CdOrPrtry"], tag["Cd"])
        ref = _text(infos[0], tag["Ref"])
    return (amount.text or "", amount.get("Ccy") or "", bank_ref, e2e, name, iban,
            texts[0].text or "" if texts else "", kind, ref)


def _transaction(tx: Any, paths: _Paths, report: _Report, amount: Decimal,
                 booking: datetime.date | None, value: datetime.date | None, entry_ref: str,
                 suffix: str) -> CamtEntry:
    q = paths.q
    if tx is None:
        bank_ref, e2e, name, iban, reference, text = entry_ref, "", "", "", "", ""
    else:
        bank_ref = (tx.findtext(q("Refs/AcctSvcrRef")) or entry_ref).strip()
        e2e = (tx.findtext(q("Refs/EndToEndId")) or "").strip()
        if e2e == "NOTPROVIDED":
            e2e = ""
        parties = tx.find(q("RltdPties"))
        name = iban = ""
        if parties is not None:
            name = (parties.findtext(q("Dbtr/Nm")) or parties.findtext(q("Dbtr/Pty/Nm"))
                    or "").strip()
            iban = (parties.findtext(q("DbtrAcct/Id/IBAN")) or "").strip()
        reference, texts = "", []
        remittance = tx.find(q("RmtInf"))
        if remittance is not None:
            texts = [(t.text or "").strip() for t in remittance.findall(q("Ustrd"))]
            for structured in remittance.findall(q("Strd")):
                info = structured.find(q("CdtrRefInf"))
                if info is None:
                    continue
                kind = (info.findtext(q("Tp/CdOrPrtry/Cd")) or "").strip()
                ref = _RF.sub("", info.findtext(q("Ref")) or "").upper()
                if ref and (kind == "SCOR" or (not kind and ref.startswith("RF"))):
                    reference = ref[:35]
                    break
        text = " ".join(t for t in texts if t)[:500]
    return _entry(report, amount, booking, value, bank_ref, e2e, name, iban, reference, text,
                  suffix)


def _entry(report: _Report, amount: Decimal, booking: datetime.date | None,
           value: datetime.date | None, bank_ref: str, e2e: str, name: str, iban: str,
           reference: str, text: str, suffix: str = "") -> CamtEntry:
    if bank_ref:
        key = f"{report.account}:{bank_ref}{suffix}"
    elif e2e:
        key = f"{report.account}:e2e:{e2e}:{booking or ''}:{amount}"
    else:
        raise CamtError("structure", _("An entry has neither the bank's reference "
                                       "(AcctSvcrRef) nor an end-to-end id."),
                        f"Ntry[{report.count}]")
    return CamtEntry(key[:200], amount, "EUR", booking, value, (bank_ref or e2e)[:140], e2e,
                     name[:140], iban.replace(" ", "")[:34], reference, text, report.account)


def parse_only(data: bytes) -> int:
    """Read the whole file with lxml (the same fed pull parser, `Ntry` elements freed as read)
    and count its `Ntry` elements, nothing else: the benchmark's baseline for the cost of
    reading the XML."""
    ns = sniff(data)
    count = 0
    for _event, elem in _events(data, ("end",), f"{{{ns}}}Ntry"):
        count += 1
        _forget(elem)
    return count
