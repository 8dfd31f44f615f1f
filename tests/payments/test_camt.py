"""Reading camt.053 and camt.054 files (A8): the credit transactions of versions 001.02, .04 and
.08 as banks send them, and every refusal of a whole file."""

from decimal import Decimal
from pathlib import Path

import pytest

from durvis.payments import camt
from tests.payments.camt_builder import Ntry, Tx, document

SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("camt.*.xml")))
def test_every_version_gives_the_same_credit_transactions(name):
    summary = camt.CamtSummary()
    entries = list(camt.read((SAMPLES / name).read_bytes(), summary))
    assert summary.message_type == name.removesuffix(".xml")
    assert summary.accounts == ["LV71TREL9140401016000"]
    assert (summary.entries, summary.credits, summary.debits_skipped) == (3, 3, 1)
    first, second, third = entries
    assert first.amount == Decimal("7.11") and first.currency == "EUR"
    assert first.reference == "RF75499997654401"
    assert first.debtor_name == "Jānis Bērziņš" and first.debtor_iban == "LV80BANK0000435195001"
    assert first.bank_reference == "2026113000001" and first.end_to_end_id == "E2E-0001"
    assert first.booking_date.isoformat() == "2026-11-30" == first.value_date.isoformat()
    assert first.entry_key == "LV71TREL9140401016000:2026113000001"
    # a batch entry gives each of its transactions
    assert (second.amount, second.debtor_name, second.unstructured) == (
        Decimal("10.50"), "Anna Liepa", "Rēķins 1011-12345-01")
    assert (third.amount, third.debtor_name, third.reference) == (Decimal("20.00"), "SIA Koks", "")
    assert second.entry_key != third.entry_key


def _refused(data):
    with pytest.raises(camt.CamtError) as raised:
        list(camt.read(data))
    return raised.value


def test_an_unknown_namespace_is_refused():
    data = document([Ntry("1.00", [Tx("1.00", ref="A")])]).replace(
        b"camt.054.001.08", b"camt.054.001.99")
    assert _refused(data).code == "unknown_namespace"
    assert _refused(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>'
                    ).code == "unknown_namespace"


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"%PDF-1.7", b"<?xml version=\"1.0\"?>"])
def test_what_is_not_xml_is_refused(data):
    assert _refused(data).code == "not_xml"


def test_billion_laughs_and_external_entities_are_refused_before_any_expansion():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode()
                         for i in range(1, 10)).replace(b"&lol0;", b"&lol;")
              + b']><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&lol9;'
              b"</Document>")
    assert _refused(laughs).code == "dtd"
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&x;</Document>')
    assert _refused(xxe).code == "dtd"


def test_three_decimals_refuse_the_file():
    error = _refused(document([Ntry("7.11", [Tx("7.11", ref="A")]),
                               Ntry("7.111", [Tx("7.111", ref="B")])]))
    assert error.code == "precision" and error.where == "Ntry[2]/Amt"


def test_another_currency_refuses_the_file():
    data = document([Ntry("7.11", [Tx("7.11", ref="A")])]).replace(b'Ccy="EUR"', b'Ccy="USD"')
    assert _refused(data).code == "currency"


def test_broken_totals_refuse_the_file():
    entries = [Ntry("7.11", [Tx("7.11", ref="A")]), Ntry("2.00", [Tx("2.00", ref="B")])]
    wrong_count = ("<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries></TxsSummry>")
    assert _refused(document(entries, summary=wrong_count)).code == "control_sum"
    wrong_sum = ("<TxsSummry><TtlCdtNtries><NbOfNtries>2</NbOfNtries><Sum>9.12</Sum>"
                 "</TtlCdtNtries></TxsSummry>")
    assert _refused(document(entries, summary=wrong_sum)).code == "control_sum"
    batch = [Ntry("10.00", [Tx("4.00", ref="C1"), Tx("5.00", ref="C2")], batch=True)]
    assert _refused(document(batch)).code == "control_sum"


def test_a_group_header_control_sum_is_checked_where_a_bank_sends_it():
    data = document([Ntry("7.11", [Tx("7.11", ref="A")])]).replace(
        b"</CreDtTm></GrpHdr>", b"</CreDtTm><NbOfTxs>1</NbOfTxs><CtrlSum>7.12</CtrlSum></GrpHdr>")
    assert _refused(data).code == "control_sum"


def test_a_missing_account_refuses_the_file():
    assert _refused(document([Ntry("7.11", [Tx("7.11", ref="A")])], account="")).code == \
        "missing_account"


def test_debit_entries_are_skipped_and_counted():
    summary = camt.CamtSummary()
    entries = list(camt.read(document([Ntry("5.00", [Tx("5.00", ref="D")], credit=False),
                                       Ntry("7.11", [Tx("7.11", ref="A")])]), summary))
    assert [e.amount for e in entries] == [Decimal("7.11")]
    assert summary.debits_skipped == 1


def test_memory_stays_flat_on_a_large_file():
    import tracemalloc

    def size(n):
        data = document([Ntry("1.00", [Tx("1.00", ref=f"R{i}", reference="RF18000000000539")])
                         for i in range(n)])
        tracemalloc.start()
        for _entry in camt.read(data):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small, large = size(2000), size(20000)
    assert large < small * 3  # ten times the entries, not ten times the memory


def _three_ways(data, monkeypatch):
    """The file's entries as read (the extractor over each batch of entries), as read by the
    one-walk reader alone (the extractor calls every entry another shape), and as read field
    by field for every entry."""
    batched = list(camt.read(data))
    with monkeypatch.context() as patched:
        patched.setattr(camt, "_extractor", lambda ns: lambda parent, n: "U\n" * int(n))
        walked = list(camt.read(data))
        patched.setattr(camt, "_common", lambda *args: None)
        slow = list(camt.read(data))
    return batched, walked, slow


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.xml")))
def test_the_common_shape_is_read_as_field_by_field(name, monkeypatch):
    batched, walked, slow = _three_ways((SAMPLES / name).read_bytes(), monkeypatch)
    assert batched == walked == slow and batched


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_unusual_shapes_are_read_the_same_every_way(version, monkeypatch):
    data = document([
        Ntry("7.11", [Tx("7.11", ref="B1", reference="RF75 4999 9765 4401")]),
        Ntry("5.00", [Tx("2.00", ref="B2"), Tx("3.00", ref="B3", text="Rēķins 9")]),
        Ntry("5.00", [Tx("2.00", ref="B7"), Tx("3.00", ref="B8")], batch=True),
        Ntry("1.00", [], ref="B6"),
        Ntry("4.00", [Tx("4.00", ref="B4", text="  Rēķins 1 ", e2e="E-4")]),
        Ntry("2.50", [Tx("2.50", ref="B5")], credit=False),
        Ntry("3.00", [Tx("3.00", ref="B9", text="Rēķins\t2 &amp; <b>3</b> &lt;4&gt;")]),
        Ntry("3.00", [Tx("3.00", ref="B10", text="Rēķins\n2\r\n", name="A<x/>B")]),
    ], version=version)
    batched, walked, slow = _three_ways(data, monkeypatch)
    assert batched == walked == slow and len(batched) == 9


def test_odd_elements_are_read_the_same_every_way(monkeypatch):
    """Elements the schema allows once given twice, a sign with spaces, dates as date-times,
    an element inside a text, CDATA and a comment in a name: each read as the one-walk
    reader reads it."""
    entries = [Ntry(f"{n}.00", [Tx(f"{n}.00", ref=f"O{n}", reference="RF18000000000539",
                                   text=f"Rēķins {n}")]) for n in range(1, 9)]
    data = document(entries).decode()
    parts = data.split("<Ntry>")
    odd = [
        ("<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>CRDT</CdtDbtInd><CdtDbtInd>DBIT</CdtDbtInd>"),
        ("<BookgDt><Dt>2026-11-30</Dt>", "<BookgDt><DtTm>2026-11-29T10:00:00</DtTm>"),
        ("<Refs>", "<Refs><AcctSvcrRef>X1</AcctSvcrRef></Refs><Refs>"),
        ("</Amt><CdtDbtInd>CRDT</CdtDbtInd><AmtDtls>",
         "</Amt><CdtDbtInd> CRDT </CdtDbtInd><AmtDtls>"),
        ("<Ustrd>", "<Ustrd>A<Nm>inner</Nm>"),
        ("<ValDt><Dt>2026-11-30</Dt>", "<ValDt><Dt></Dt><DtTm>2026-11-28T10:00:00</DtTm>"),
        ("<RmtInf>", "<RmtInf><Ustrd>one</Ustrd><Ustrd>two</Ustrd>"),
        ("<Nm>", "<Nm><![CDATA[Jānis]]> <!-- a comment -->Bērziņš"),
    ]
    for n, (old, new) in enumerate(odd, start=1):
        assert old in parts[n]
        parts[n] = parts[n].replace(old, new, 1)
    batched, walked, slow = _three_ways("<Ntry>".join(parts).encode(), monkeypatch)
    assert batched == walked == slow and len(batched) == 8


def test_entries_in_many_batches_are_all_read(monkeypatch):
    monkeypatch.setattr(camt, "BATCH", 3)
    data = document([Ntry(f"{n}.00", [Tx(f"{n}.00", ref=f"M{n}")], credit=n % 4 != 0)
                     for n in range(1, 12)], kind="camt.053")
    batched, walked, slow = _three_ways(data, monkeypatch)
    assert batched == walked == slow
    assert [e.bank_reference for e in batched] == [f"M{n}" for n in range(1, 12) if n % 4]


def test_a_refusal_in_a_later_batch_names_its_entry_and_its_line(monkeypatch):
    """Batches are extracted in a thread while the parser reads on (A8): a refusal is still the
    first bad entry's, at the line where that entry begins, with nothing after it read."""
    monkeypatch.setattr(camt, "BATCH", 2)
    entries = [Ntry(f"{n}.00", [Tx(f"{n}.00", ref=f"M{n}")]) for n in range(1, 12)]
    entries[6] = Ntry("7.111", [Tx("7.111", ref="M7")])
    entries[9] = Ntry("10.001", [Tx("10.001", ref="M10")])
    data = document(entries).replace(b"<Ntry>", b"\n<Ntry>")
    read = []
    with pytest.raises(camt.CamtError) as raised:
        read.extend(camt.read(data))
    assert (raised.value.code, raised.value.where) == ("precision", "Ntry[7]/Amt")
    assert raised.value.line == data[:data.index(b"<Ntry><Amt Ccy=\"EUR\">7.111")].count(b"\n") + 1
    assert [e.bank_reference for e in read] == [f"M{n}" for n in range(1, 7)]


def test_a_debit_transaction_in_a_credit_entry_is_refused_every_way(monkeypatch):
    data = document([Ntry("4.00", [Tx("4.00", ref="D1")])]).replace(
        b"</Amt><CdtDbtInd>CRDT</CdtDbtInd><AmtDtls>", b"</Amt><CdtDbtInd>DBIT</CdtDbtInd><AmtDtls>")
    assert _refused(data).code == "control_sum"
    monkeypatch.setattr(camt, "_extractor", lambda ns: lambda parent, n: "U\n" * int(n))
    assert _refused(data).code == "control_sum"


def test_an_entry_before_a_broken_end_is_checked_first():
    data = document([Ntry("7.11", [Tx("7.11", ref="A")]), Ntry("7.111", [Tx("7.111", ref="B")]),
                     Ntry("1.00", [Tx("1.00", ref="C")])])
    cut = data[:data.rindex(b"<Ntry>") + 40]
    assert _refused(cut).code == "precision"
    fine = document([Ntry("7.11", [Tx("7.11", ref="A")]), Ntry("1.00", [Tx("1.00", ref="C")])])
    assert _refused(fine[:fine.rindex(b"<Ntry>") + 40]).code == "not_xml"


def test_read_ahead_hands_over_the_chunks_then_the_refusal():
    data = document([Ntry("1.00", [Tx("1.00", ref=f"R{n}")]) for n in range(5)]
                    + [Ntry("7.111", [Tx("7.111", ref="X")])])
    got = []
    with pytest.raises(camt.CamtError) as raised, \
            camt.ReadAhead(data, camt.CamtSummary(), 2) as chunks:
        for chunk in chunks:
            got.append([e.bank_reference for e in chunk])
    assert raised.value.code == "precision" and raised.value.where == "Ntry[6]/Amt"
    assert got == [["R0", "R1"], ["R2", "R3"]]  # as list(islice(read(data), 2)) gives them


def test_read_ahead_reads_the_whole_file_and_stops_when_left():
    data = document([Ntry("1.00", [Tx("1.00", ref=f"R{n}")]) for n in range(7)])
    summary = camt.CamtSummary()
    with camt.ReadAhead(data, summary, 3) as chunks:
        assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    assert (summary.entries, summary.credits, summary.message_id) == (7, 7, "MSG-20261130-0001")
    ahead = camt.ReadAhead(data, camt.CamtSummary(), 1)
    with ahead as chunks:
        next(iter(chunks))
    assert not ahead._thread.is_alive()
