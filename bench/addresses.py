"""Address search over the State Address Register (A9, issue 18) on PostgreSQL.

Generates a register release in the real open-data format (`aw_*.csv`: UTF-8 with a BOM, every
field quoted, CRLF; `durvis.addresses.formats`) of `BENCH_ADDRESSES` addresses (1,400,000 by
default, as the real register's 550,000 existing buildings and 870,000 premises; a smaller
number for a quick run): 43 municipalities and 10 state cities, their parishes, villages and
streets (names from Latvian street-name vocabulary), numbered and named buildings, flats in a
quarter of the towns' buildings). Imports it with `manage.py import_addresses` in a child
process: `addresses.import_rows_per_s` (rows of every file) and `addresses.import_peak_mb`
(that process's peak resident memory). The same for a hundredth of the size
(`BENCH_ADDRESSES_BASELINE`, 14,000 by default) first, into its own database (`..._at_<n>`),
shows how both grow with the file. Then, at each size in turn, 50 queries as people type them
(no diacritics, one typo, words in any order, "iela" left out, a flat's number) against
`GET /api/v1/addresses?q=` on gunicorn, alternating with the trivial authenticated
`/api/v1/whoami`: `addresses.search_p95_ms` (server side, the request log's duration; target
under 30 ms; `..._rtt_p95_ms` the round trip),
`addresses.search_ratio_vs_trivial` and `addresses.search_p95_ratio_1400k_to_14k` (the p95 at
the full size over the p95 at the baseline size, same run); `addresses.search_found_share` is
the share of queries whose intended address is among the answers. The 1.4 million import takes
about 20 minutes on a quiet 2-CPU machine: `BENCH_ADDRESSES=200000` for a quicker run.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

ADDRESSES = int(os.environ.get("BENCH_ADDRESSES", "1400000"))
# The size the search's p95 is compared with in the same run (a hundredth by default: 14,000).
BASELINE = int(os.environ.get("BENCH_ADDRESSES_BASELINE", str(max(1000, ADDRESSES // 100))))
QUERIES = 50
ROUNDS = int(os.environ.get("BENCH_ADDRESSES_ROUNDS", "6"))
SEED = 18

AREA = ["KODS", "TIPS_CD", "NOSAUKUMS", "VKUR_CD", "VKUR_TIPS", "APSTIPR", "APST_PAK", "STATUSS",
        "SORT_NOS", "DAT_SAK", "DAT_MOD", "DAT_BEIG", "ATRIB", "STD"]
EKA = ["KODS", "TIPS_CD", "STATUSS", "APSTIPR", "APST_PAK", "VKUR_CD", "VKUR_TIPS", "NOSAUKUMS",
       "SORT_NOS", "ATRIB", "PNOD_CD", "DAT_SAK", "DAT_MOD", "DAT_BEIG", "FOR_BUILD", "PLAN_ADR",
       "STD", "KOORD_X", "KOORD_Y", "DD_N", "DD_E"]
DZIV = ["KODS", "TIPS_CD", "STATUSS", "APSTIPR", "APST_PAK", "VKUR_CD", "VKUR_TIPS", "NOSAUKUMS",
        "SORT_NOS", "ATRIB", "DAT_SAK", "DAT_MOD", "DAT_BEIG", "STD"]

STATE_CITIES = ("Rīga", "Daugavpils", "Liepāja", "Jelgava", "Jūrmala", "Ventspils", "Rēzekne",
                "Valmiera", "Jēkabpils", "Ogre")
MUNICIPALITIES = ("Ādažu", "Aizkraukles", "Alūksnes", "Augšdaugavas", "Balvu", "Bauskas",
                  "Cēsu", "Dienvidkurzemes", "Dobeles", "Gulbenes", "Jelgavas", "Jēkabpils",
                  "Krāslavas", "Kuldīgas", "Ķekavas", "Limbažu", "Līvānu", "Ludzas", "Madonas",
                  "Mārupes", "Ogres", "Olaines", "Preiļu", "Rēzeknes", "Ropažu", "Salaspils",
                  "Saldus", "Saulkrastu", "Siguldas", "Smiltenes", "Talsu", "Tukuma", "Valkas",
                  "Valmieras", "Varakļānu", "Ventspils", "Bauskas", "Kurzemes", "Zemgales",
                  "Vidzemes", "Latgales", "Sēlijas", "Rīgas")
STREET_WORDS = ("Brīvības", "Krišjāņa Barona", "Rīgas", "Skolas", "Dārza", "Ozolu", "Liepu",
                "Bērzu", "Pils", "Baznīcas", "Jelgavas", "Lāčplēša", "Tērbatas", "Elizabetes",
                "Ģertrūdes", "Kalnciema", "Maskavas", "Valdemāra", "Avotu", "Stabu", "Miera",
                "Aspazijas", "Raiņa", "Kārļa Ulmaņa", "Zemitāna", "Dzirnavu", "Ausekļa",
                "Meža", "Lauku", "Parka", "Stacijas", "Upes", "Ezera", "Saules", "Pļavu",
                "Priežu", "Kļavu", "Egļu", "Ābeļu", "Vītolu", "Jāņa Čakstes", "Kronvalda",
                "Blaumaņa", "Purvīša", "Valdemāra", "Jaunā", "Vecā", "Tirgus", "Ostas",
                "Smilšu", "Kalēju", "Mūrnieku", "Zvejnieku", "Dzelzceļa", "Strēlnieku",
                "Cēsu", "Limbažu", "Siguldas", "Tukuma", "Talsu", "Kuldīgas", "Ventspils",
                "Daugavas", "Gaujas", "Ventas", "Lielupes", "Amatas", "Dundagas", "Zaļā",
                "Sporta", "Dzintaru", "Jūras", "Kāpu", "Vējo", "Zvaigžņu", "Rožu", "Ziedu",
                "Ganību", "Dambja", "Kurzemes", "Vidzemes", "Latgales", "Zemgales",
                "Sēlijas", "Pērses", "Ērgļu", "Ceriņu", "Vanagu", "Dzērves", "Stārķu")
PREFIXES = ("Mazā", "Lielā", "Jaunā", "Vecā", "Augšējā", "Lejas", "Klusā", "Garā", "Īsā",
            "Dienvidu", "Ziemeļu", "Rietumu")
STREET_KINDS = ("iela", "iela", "iela", "iela", "gatve", "bulvāris", "prospekts", "šķērsiela")
# Flats per town building: most are houses; about 1.6 premises per building overall.
FLATS = (0,) * 90 + (2, 4, 6, 8, 12, 16, 24, 36, 48, 60)
HOMESTEADS = ("Ausekļi", "Lejaskalni", "Kalnieši", "Priedes", "Bērzi", "Ozoli", "Liepas",
              "Vītoli", "Dārziņi", "Mežmaļi", "Jaunzemji", "Vecsaimnieki", "Ķirši", "Avoti",
              "Lejnieki", "Rudzīši", "Sprīdīši", "Grantiņi", "Pakalni", "Zīles", "Dzērves",
              "Sili", "Ābeles", "Rūķīši", "Saulgrieži", "Cīruļi", "Mazbērzi", "Jaunkalni",
              "Lielozoli", "Meldri", "Niedras", "Vēveri", "Kalēji", "Pūpoli", "Eglāji")


def _writer(path: Path, header: list[str]) -> tuple[io.TextIOWrapper, csv.Writer]:
    stream = path.open("w", encoding="utf-8-sig", newline="")
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    return stream, writer


class Release:
    """Writes the register files as it goes (memory flat); keeps 50 sample addresses."""

    def __init__(self, folder: Path, rng: random.Random, target: int) -> None:
        self.folder, self.rng, self.target = folder, rng, target
        self.next_code = 100_000_001
        self.addresses = 0
        self.rows = 0
        self.seen = 0
        self.samples: list[tuple[str, str, str, str | None]] = []  # street, number, town, flat
        self.files = {name: _writer(folder / f"aw_{name}.csv", header) for name, header in (
            ("pilseta", AREA), ("novads", AREA), ("pagasts", AREA), ("ciems", AREA),
            ("iela", AREA), ("eka", EKA), ("dziv", DZIV))}

    def code(self) -> str:
        self.next_code += 1
        return str(self.next_code)

    def area(self, table: str, kind: int, name: str, parent: str, parent_kind: int,
             atrib: str, std: str) -> str:
        code = self.code()
        self.files[table][1].writerow([code, kind, name, parent, parent_kind, "Y", "252", "EKS",
                                       name, "1999.03.16", "2021.06.30", "", atrib, std])
        self.rows += 1
        return code

    def building(self, parent: str, parent_kind: int, name: str, std: str, postcode: str
                 ) -> str:
        code = self.code()
        lat, lon = 55.7 + self.rng.random() * 2.3, 21.0 + self.rng.random() * 7.0
        self.files["eka"][1].writerow([
            code, 108, "EKS", "Y", "252", parent, parent_kind, name, name.zfill(4)[:20],
            postcode, "", "1999.03.19", "2021.06.30", "", "N", "N", f"{std}, {postcode}",
            f"{300000 + lat:.3f}", f"{500000 + lon:.3f}", f"{lat:.6f}", f"{lon:.6f}"])
        self.rows += 1
        self.addresses += 1
        return code

    def flat(self, building: str, number: int, std: str) -> None:
        self.files["dziv"][1].writerow([
            self.code(), 109, "EKS", "Y", "252", building, 108, number, str(number).zfill(4),
            "", "2001.01.25", "2003.01.10", "", std])
        self.rows += 1
        self.addresses += 1

    def sample(self, address: tuple[str, str, str, str | None]) -> None:
        """Reservoir sampling: every building equally likely among the 400 kept."""
        self.seen += 1
        if len(self.samples) < 400:
            self.samples.append(address)
        elif (slot := self.rng.randrange(self.seen)) < 400:
            self.samples[slot] = address

    def close(self) -> None:
        for stream, _unused in self.files.values():
            stream.close()


class Town:
    """A city, village or parish, its streets made on its first visit; every visit adds
    buildings (with the next numbers) along them, or named homesteads in a parish."""

    def __init__(self, code: str, kind: int, std: str, weight: float) -> None:
        self.code, self.kind, self.std, self.weight = code, kind, std, weight
        self.streets: list[tuple[str, str, list[int]]] = []  # code, name, [next number]
        self.postcode = ""

    def visit(self, release: Release, buildings: int) -> None:
        rng = release.rng
        if self.weight < 0:
            for _ in range(buildings):
                name = f"{rng.choice(HOMESTEADS)}{rng.choice(('', '', '', ' 2', ' 3'))}"
                release.building(self.code, self.kind, name, f'"{name}", {self.std}',
                                 f"LV-{rng.randint(3001, 5799)}")
            return
        if not self.streets:
            self.postcode = f"LV-{rng.randint(1001, 5799)}"
            count = max(3, int(self.weight * 60))
            names = rng.sample(STREET_WORDS, min(count, len(STREET_WORDS)))
            names += [f"{rng.choice(PREFIXES)} {rng.choice(STREET_WORDS)}"
                      for _n in range(count - len(names))]
            for name in names:
                street = f"{name} {rng.choice(STREET_KINDS)}"
                code = release.area("iela", 107, street, self.code, self.kind, "",
                                    f"{street}, {self.std}")
                self.streets.append((code, street, [1]))
        for _ in range(buildings):
            street_code, street, counter = rng.choice(self.streets)
            number = counter[0]
            counter[0] += 1
            label = f"{number}{rng.choice('abc')}" if rng.random() < 0.05 else str(number)
            building = release.building(street_code, 107, label, f"{street} {label}, {self.std}",
                                        self.postcode)
            flats = rng.choice(FLATS)
            for flat in range(1, flats + 1):
                release.flat(building, flat,
                             f"{street} {label} - {flat}, {self.std}, {self.postcode}")
            release.sample((street, label, self.std.split(",")[0],
                            str(rng.randint(1, flats)) if flats else None))
            if release.addresses >= release.target:
                return


def generate(folder: Path, target: int, rng: random.Random) -> Release:
    """The register release of about `target` addresses, written into `folder`."""
    release = Release(folder, rng, target)
    towns: list[Town] = []
    for city in STATE_CITIES:
        code = release.area("pilseta", 104, city, "100000000", 101, f"00{rng.randint(10000, 99999)}",
                            city)
        towns.append(Town(code, 104, city, 1.0 if city != "Rīga" else 8.0))
    for name in MUNICIPALITIES:
        novads = f"{name} nov."
        novads_code = release.area("novads", 113, novads, "100000000", 101,
                                   f"00{rng.randint(10000, 99999)}", novads)
        town = name.removesuffix("s").removesuffix("u") + "a"
        town_code = release.area("pilseta", 104, town, novads_code, 113, "", f"{town}, {novads}")
        towns.append(Town(town_code, 104, f"{town}, {novads}", 0.6))
        for _parish in range(10):
            parish = f"{rng.choice(HOMESTEADS)[:-1]}u pag."
            parish_std = f"{parish}, {novads}"
            parish_code = release.area("pagasts", 105, parish, novads_code, 113, "", parish_std)
            towns.append(Town(parish_code, 105, parish_std, -0.1))  # named homesteads
            for v in range(3):
                village = f"{rng.choice(STREET_WORDS)}{'ciems' if v else 'muiža'}"
                village_std = f"{village}, {parish_std}"
                village_code = release.area("ciems", 106, village, parish_code, 105, "1",
                                            village_std)
                towns.append(Town(village_code, 106, village_std, 0.03))
    weights = sum(abs(t.weight) for t in towns)
    while release.addresses < release.target:
        for town in towns:
            town.visit(release, int(release.target * abs(town.weight) / weights / 30) + 1)
            if release.addresses >= release.target:
                break
    release.close()
    return release


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randint(1, len(word) - 2)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).lower()


def queries(samples: list[tuple[str, str, str, str | None]], rng: random.Random
            ) -> list[tuple[str, str]]:
    """50 (query, expected number) pairs as people type them."""
    made = []
    for street, number, town, flat in rng.sample(samples, min(QUERIES, len(samples))):
        words = [w for w in _plain(street).split() if w not in ("iela", "gatve", "bulvaris",
                                                               "prospekts", "skersiela")]
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        words[longest] = _typo(words[longest], rng)
        parts = [" ".join(words), number]
        if rng.random() < 0.6:
            parts.append(_plain(town))
        if flat and rng.random() < 0.3:
            parts.append(flat)
        if rng.random() < 0.4:
            rng.shuffle(parts)
        made.append((" ".join(parts), number))
    return made


def _import(url: str, folder: Path) -> tuple[float, float, int]:
    """`manage.py import_addresses` in a child process: (seconds, its peak resident MB, rows
    read). The peak is the child's own (`wait4`), Django's start-up included."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_addresses", "--quiet", str(folder)],
        cwd=harness.ROOT, env=harness.child_env(url), stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"import_addresses failed ({process.returncode})")
    rows = sum(int(line.split("│")[2]) for line in output.splitlines()
               if line.startswith("│ all"))
    return seconds, usage.ru_maxrss / 1024, rows


def _analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


def _token(url: str) -> str:
    os.environ.update({k: v for k, v in harness.child_env(url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "LOG_LEVEL")})
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()
    from django.db import connections

    connections.close_all()  # the database of this size (a second call: another database)
    connections["default"].settings_dict["NAME"] = url.rsplit("/", 1)[1].split("?")[0]

    from durvis.core.actor import Actor
    from durvis.identity.services import record_institution, record_staff
    from durvis.integrations.services import create_api_client

    institution = record_institution(code="VZD", names={"lv": "VZD", "en": "VZD"}, kind="state")
    admin = Actor(kind="staff", staff=record_staff(
        username="bench.admin", password="bench-password-not-secret", institution=institution,
        roles=["institution_admin"]))
    _, token = create_api_client(admin, institution, "bench", ["events:read"])
    connections.close_all()
    return token


def _get(connection: http.client.HTTPConnection, path: str, token: str | None = None
         ) -> tuple[float, bytes]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
    return elapsed, body


def _measure(port: int, token: str, pairs: list[tuple[str, str]]
             ) -> tuple[list[float], list[float], float, dict[str, float]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    search, trivial, found, per_query = [], [], 0, {}
    try:
        for round_ in range(ROUNDS + 1):
            for query, number in pairs:
                elapsed, body = _get(connection, "/api/v1/addresses?" + urlencode({"q": query}))
                whoami, _body = _get(connection, "/api/v1/whoami", token)
                if round_ == 0:  # warm-up: and did it find the address meant?
                    items = json.loads(body)["items"]
                    found += any(f" {number}," in i["text"] or f" {number} -" in i["text"]
                                 for i in items)
                    continue
                search.append(elapsed)
                trivial.append(whoami)
                per_query[query] = max(per_query.get(query, 0.0), elapsed)
    finally:
        connection.close()
    return search, trivial, found / len(pairs), per_query


def _sized(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _load(url: str, tmp: str, size: int) -> tuple[Release, float]:
    """Generate a release of `size` addresses and import it into `url`; reports the import's
    figures at that size."""
    folder = Path(tmp) / str(size)
    folder.mkdir()
    started = time.perf_counter()
    release = generate(folder, size, random.Random(SEED))
    megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    harness.note(f"generated {release.addresses} addresses ({release.rows} rows, "
                 f"{megabytes:.0f} MB) in {time.perf_counter() - started:.0f} s")
    seconds, peak, rows = _import(url, folder)
    shutil.rmtree(folder)
    harness.note(f"imported {rows} rows in {seconds:.0f} s, peak {peak:.0f} MB")
    harness.report("addresses", size, {"import_rows_per_s": rows / seconds,
                                       "import_peak_mb": peak, "import_s": seconds},
                   headline=size == ADDRESSES)
    _analyze(url)
    return release, peak


def _server_times(log: Path, path: str, skip: int) -> list[float]:
    """The server's own `duration_ms` (the request log) of the requests to `path`, without the
    first `skip` (the warm-up round)."""
    lines = [json.loads(line) for line in log.read_text().splitlines()
             if line.startswith("{") and '"durvis.request"' in line]
    return [float(line["duration_ms"]) for line in lines if line.get("path") == path][skip:]


def _searched(url: str, size: int, pairs: list[tuple[str, str]]) -> float:
    """The search's figures at one size (gunicorn on that size's database); returns its p95.
    `search_p95_ms` is the server's own time (the request log's `duration_ms`: the target is
    server side), `search_rtt_p95_ms` the round trip the client saw."""
    token = _token(url)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "requests.jsonl"
        with harness.gunicorn(url, request_log=log) as port:
            search, trivial, found, per_query = _measure(port, token, pairs)
        server = _server_times(log, "/api/v1/addresses", len(pairs))
        trivial_server = _server_times(log, "/api/v1/whoami", len(pairs))
    p = harness.percentile
    p95, trivial_p95 = p(server, 0.95), p(trivial_server, 0.95)
    harness.report("addresses", size, {
        "search_p95_ms": p95, "search_p50_ms": p(server, 0.5),
        "search_rtt_p95_ms": p(search, 0.95), "trivial_p95_ms": trivial_p95,
        "trivial_rtt_p95_ms": p(trivial, 0.95), "search_ratio_vs_trivial": p95 / trivial_p95,
        "search_found_share": found, "load_average_1min": os.getloadavg()[0]},
        headline=size == ADDRESSES)
    for query, slowest in sorted(per_query.items(), key=lambda x: -x[1])[:8]:
        harness.note(f"  at {size}: slowest {query!r:40} {slowest:6.1f} ms")
    return p95


def main() -> int:
    """Both sizes imported first (each into its own database), then searched one after the
    other in the same run: `addresses.search_p95_ratio_<big>_to_<small>` is how the search's
    p95 grows with the register (1.00: not at all)."""
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="durvis-bench-addresses-") as tmp, \
            harness.bench_database("durvis_bench_addresses_small") as small_url, \
            harness.bench_database("durvis_bench_addresses") as url:
        small_release, small_peak = _load(small_url, tmp, BASELINE)
        started = time.perf_counter()
        release, peak = _load(url, tmp, ADDRESSES)
        harness.note(f"the {ADDRESSES} addresses ready in {time.perf_counter() - started:.0f} s")
        pairs = queries(release.samples, rng)  # the big release's addresses, also at the small
        small_pairs = queries(small_release.samples, random.Random(SEED))
        small_p95 = _searched(small_url, BASELINE, small_pairs)
        p95 = _searched(url, ADDRESSES, pairs)
        harness.emit(f"addresses.search_p95_ratio_{_sized(ADDRESSES)}_to_{_sized(BASELINE)}",
                     p95 / small_p95)
        harness.emit("addresses.import_peak_mb_growth", peak / small_peak)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        harness.note("addresses interrupted (its database was dropped)")
        sys.exit(130)
