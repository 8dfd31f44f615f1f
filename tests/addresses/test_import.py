"""Importing the State Address Register's open data (A9): both formats, malformed rows, a
change set, repeated imports, and a failure half-way that writes nothing."""

from __future__ import annotations

import datetime
import io
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from durvis.addresses import queries, services
from durvis.addresses.models import AddressObject, AddressPosting, Kind, Status
from tests.addresses.conftest import FILES

BARONA_1 = 101844053


def test_the_current_format_imports_every_table(register):
    assert register.total("malformed") == 0
    assert register.files["aw_eka.csv"].new == 31
    assert register.files["aw_dziv.csv"].new == 12
    assert register.files["aw_pilseta.csv"].new == 2
    barona = AddressObject.objects.get(code=BARONA_1)
    assert barona.std == "Krišjāņa Barona iela 1, Rīga, LV-1050"
    assert (barona.kind, barona.status, barona.postcode) == (Kind.BUILDING, Status.EXISTING,
                                                             "LV-1050")
    assert (barona.lat, barona.lon) == (56.949673, 24.117556)
    assert (barona.lks_x, barona.lks_y) == (311789.914, 507150.882)
    assert barona.valid_from == datetime.date(2001, 1, 25)
    assert barona.parent_code == 100306223


def test_a_retired_address_is_kept_with_its_end_date_and_not_found(register):
    ausekli = AddressObject.objects.get(code=101001003)
    assert ausekli.status == Status.REMOVED
    assert ausekli.valid_to == datetime.date(2011, 8, 17)
    assert ausekli.std == '"Ausekļi", Sēļu pag., Valmieras nov., LV-4213'
    assert register.files["aw_eka.csv"].retired == 1
    assert queries.search("ausekli") == []
    assert queries.address(101001003) == ausekli  # an old application's code still reads


def test_the_older_format_gives_the_same_register(db):
    summary = services.import_register(FILES / "older.zip")
    assert summary.total("malformed") == 0
    assert summary.total("new") == 57
    older = {o.code: (o.std, o.valid_from, o.modified, o.lat) for o in AddressObject.objects.all()}
    AddressObject.objects.all().delete()
    AddressPosting.objects.all().delete()
    services.import_register(FILES / "current")
    current = {o.code: (o.std, o.valid_from, o.modified, o.lat)
               for o in AddressObject.objects.all()}
    assert older == current


def test_a_repeated_import_changes_nothing(register):
    again = services.import_register(FILES / "current")
    assert again.total("unchanged") == 57
    assert again.total("new") == again.total("changed") == 0


def test_a_change_set_adds_changes_and_retires(register):
    summary = services.import_register(FILES / "changes")
    eka = summary.files["aw_eka.csv"]
    assert (eka.rows, eka.new, eka.changed, eka.retired, eka.unchanged) == (4, 1, 2, 1, 1)
    assert summary.files["aw_dziv.csv"].retired == 1
    changed = AddressObject.objects.get(code=101844001)
    assert changed.std == "Krišjāņa Barona iela 3, Rīga, LV-1011"
    assert changed.modified == datetime.date(2026, 11, 20)
    retired = AddressObject.objects.get(code=101844002)
    assert (retired.status, retired.valid_to) == (Status.REMOVED, datetime.date(2026, 11, 20))
    texts = [f.text for f in queries.search("barona 7 riga")]
    assert "Krišjāņa Barona iela 7, Rīga, LV-1050" in texts
    assert [f.text for f in queries.search("barona 5 riga")] == []
    assert [f.text for f in queries.search("barona 1 5")] == []  # the flat retired
    assert queries.search("barona 3")[0].text.endswith("LV-1011")
    assert AddressObject.objects.count() == 58  # one new, nothing deleted


def test_a_malformed_row_is_reported_with_its_file_and_line_and_the_rest_imported(db):
    summary = services.import_register(FILES / "malformed")
    eka = summary.files["aw_eka.csv"]
    assert (eka.rows, eka.new, eka.malformed) == (8, 2, 6)
    reported = {(m.file, m.line): m.reason for m in summary.malformed}
    assert set(reported) == {("aw_eka.csv", n) for n in (3, 4, 5, 7, 8, 9)}
    assert "fields" in reported[("aw_eka.csv", 3)]
    assert "DAT_SAK '2021.13.40' is not a date" in reported[("aw_eka.csv", 4)]
    assert "STATUSS" in reported[("aw_eka.csv", 5)]
    assert "KODS" in reported[("aw_eka.csv", 7)]
    assert "TIPS_CD" in reported[("aw_eka.csv", 8)]
    assert "outside Latvia" in reported[("aw_eka.csv", 9)]
    assert set(AddressObject.objects.values_list("code", flat=True)) == {BARONA_1, 101003948}


def test_a_failure_half_way_writes_nothing(db, tmp_path, monkeypatch):
    shutil.copytree(FILES / "current", tmp_path / "release")
    calls = []
    real = services.bulk.copy_rows

    def failing(model, names, rows, **kwargs):
        calls.append(model)
        if model is AddressPosting:
            raise DatabaseError("disk full")
        return real(model, names, rows, **kwargs)

    monkeypatch.setattr(services.bulk, "copy_rows", failing)
    with pytest.raises(DatabaseError):
        services.import_register(tmp_path / "release")
    assert AddressObject in calls
    assert not AddressObject.objects.exists()


def test_an_archive_with_a_broken_member_writes_nothing(db, tmp_path):
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((FILES / "current").iterdir()):
            out.write(path, path.name)
    data = bytearray(archive.read_bytes())
    start = data.index(b"aw_eka.csv") + 60
    data[start:start + 200] = bytes(200)  # the buildings' compressed data destroyed
    archive.write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 - zlib or the zip's CRC
        services.import_register(archive)
    assert not AddressObject.objects.exists()


def test_the_command_shows_a_summary_and_the_malformed_rows(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_addresses", str(FILES / "malformed"), stdout=out, stderr=err)
    assert "aw_eka.csv" in out.getvalue()
    assert "malformed: aw_eka.csv:4: DAT_SAK" in err.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_addresses", str(FILES / "missing"), stdout=out, stderr=err)
