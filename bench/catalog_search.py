"""Catalogue search on PostgreSQL: is `GET /api/v1/services?q=...` fast enough at 5,000 services?

Target: p95 of the search at most 3x the p95 of a trivial endpoint (`/healthz`) of the same
server in the same run, so the figure says what search itself costs, whatever the machine.
The catalogue is generated (1,000 services, measured, then 4,000 more, measured again) from real
Latvian public-service vocabulary, so that queries match from a handful to over a thousand
services and the cost of both rare and common words shows. Run by `bench/run.py`; needs
DATABASE_URL (a PostgreSQL server).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import harness

SIZES = (1_000, 5_000)
REPETITIONS = 25  # rounds of all 20 queries: 500 samples per series and data size
MIN_REPETITIONS = 5  # a slow search stops after the budget, but never below 100 samples
BUDGET_SECONDS = {1_000: 60.0, 5_000: 120.0}  # keeps `make bench` within ~5 minutes
WARM_UP_ROUNDS = 1
TRIVIAL_PATH = "/healthz"
# The same endpoint without `q`: the page, the count and the JSON of 20 services but no search,
# i.e. the part of a search request's cost that search cannot remove.
LIST_PATH = "/api/v1/services"
SEED = 2024
FIRST_CODE = 10_000

# Twenty queries as people type them: one and two words, with and without diacritics, a typo,
# English; some match a handful of services, some hundreds.
QUERIES = (
    "pabalsts",
    "bērna pabalsts",
    "berna pabalsts",
    "pensija",
    "vecuma pensija",
    "atļauja",
    "koku ciršana",
    "izziņa",
    "nodokļu parāds",
    "deklarācija",
    "dzivesvietas deklaracija",
    "nekustamais īpašums",
    "reģistrācija",
    "registracja",
    "suņa reģistrācija",
    "zvejas licence",
    "bērnudārzs",
    "childcare benefit",
    "building permit",
    "certificate",
)

# (code, Latvian name, English name, kind); the municipalities hold the municipal services.
INSTITUTIONS = (
    ("VSAA", "Valsts sociālās apdrošināšanas aģentūra", "State Social Insurance Agency", "state"),
    ("VID", "Valsts ieņēmumu dienests", "State Revenue Service", "state"),
    ("PMLP", "Pilsonības un migrācijas lietu pārvalde",
     "Office of Citizenship and Migration Affairs", "state"),
    ("CSDD", "Ceļu satiksmes drošības direkcija", "Road Traffic Safety Directorate", "state"),
    ("UR", "Latvijas Republikas Uzņēmumu reģistrs", "Register of Enterprises", "state"),
    ("VZD", "Valsts zemes dienests", "State Land Service", "state"),
    ("NVA", "Nodarbinātības valsts aģentūra", "State Employment Agency", "state"),
    ("LAD", "Lauku atbalsta dienests", "Rural Support Service", "state"),
    ("PVD", "Pārtikas un veterinārais dienests", "Food and Veterinary Service", "state"),
    ("VVD", "Valsts vides dienests", "State Environmental Service", "state"),
    ("RIGA", "Rīgas valstspilsētas pašvaldība", "Riga City Municipality", "municipality"),
    ("DAUGAVPILS", "Daugavpils valstspilsētas pašvaldība", "Daugavpils City Municipality",
     "municipality"),
    ("LIEPAJA", "Liepājas valstspilsētas pašvaldība", "Liepāja City Municipality",
     "municipality"),
    ("JELGAVA", "Jelgavas valstspilsētas pašvaldība", "Jelgava City Municipality",
     "municipality"),
    ("JURMALA", "Jūrmalas valstspilsētas pašvaldība", "Jūrmala City Municipality",
     "municipality"),
    ("VENTSPILS", "Ventspils valstspilsētas pašvaldība", "Ventspils City Municipality",
     "municipality"),
    ("VALMIERA", "Valmieras novada pašvaldība", "Valmiera Municipality", "municipality"),
    ("CESIS", "Cēsu novada pašvaldība", "Cēsis Municipality", "municipality"),
    ("SIGULDA", "Siguldas novada pašvaldība", "Sigulda Municipality", "municipality"),
    ("TALSI", "Talsu novada pašvaldība", "Talsi Municipality", "municipality"),
    ("OGRE", "Ogres novada pašvaldība", "Ogre Municipality", "municipality"),
)
MUNICIPAL = "*"  # a base service that every municipality offers in its own version


@dataclass(frozen=True)
class Base:
    """A kind of service as the real catalogue has it; generated services are its variants."""

    name_lv: str
    name_en: str
    summary_lv: str
    summary_en: str
    holder: str  # institution code, or MUNICIPAL
    weight: int  # how often it recurs (variants, municipalities): common ones match hundreds
    audience: str = "residents"


BASES = (
    Base("Bērna piedzimšanas pabalsts", "Childbirth benefit",
         "Vienreizējs pabalsts sakarā ar bērna piedzimšanu.",
         "A one-off benefit on the birth of a child.", MUNICIPAL, 5),
    Base("Bērna kopšanas pabalsts", "Childcare benefit",
         "Pabalsts vecākam, kurš kopj bērnu līdz pusotra gada vecumam.",
         "A benefit for a parent caring for a child up to eighteen months.", "VSAA", 3),
    Base("Apbedīšanas pabalsts", "Funeral benefit",
         "Pabalsts apbedīšanas izdevumu segšanai.", "A benefit towards funeral costs.",
         MUNICIPAL, 3),
    Base("Dzīvokļa pabalsts", "Housing benefit",
         "Pabalsts īres un komunālo maksājumu segšanai.",
         "A benefit towards rent and utility bills.", MUNICIPAL, 4),
    Base("Garantētā minimālā ienākuma pabalsts", "Guaranteed minimum income benefit",
         "Pabalsts trūcīgām mājsaimniecībām līdz garantētajam ienākumu līmenim.",
         "A benefit topping low-income households up to the guaranteed level.", MUNICIPAL, 3),
    Base("Pabalsts ārkārtas situācijā", "Emergency benefit",
         "Vienreizējs atbalsts stihiskas nelaimes vai ārkārtas situācijas gadījumā.",
         "One-off support after a disaster or in an emergency.", MUNICIPAL, 2),
    Base("Pabalsts skolas piederumu iegādei", "Benefit for school supplies",
         "Atbalsts ģimenēm ar skolēniem mācību gada sākumā.",
         "Support for families with pupils at the start of the school year.", MUNICIPAL, 2),
    Base("Trūcīgas mājsaimniecības statusa piešķiršana", "Low-income household status",
         "Statusa noteikšana sociālās palīdzības saņemšanai.",
         "Assessment of the status that gives access to social assistance.", MUNICIPAL, 7),
    Base("Daudzbērnu ģimenes apliecības izsniegšana", "Large family card",
         "Apliecība ģimenēm ar trim un vairāk bērniem atlaižu saņemšanai.",
         "A card giving discounts to families with three or more children.", MUNICIPAL, 5),
    Base("Pieteikums bērnudārza rindā", "Kindergarten queue registration",
         "Bērna reģistrācija rindā uz vietu pirmsskolas izglītības iestādē.",
         "Registering a child in the queue for a preschool place.", MUNICIPAL, 7),
    Base("Dzīvesvietas deklarācija", "Declaration of place of residence",
         "Deklarētās dzīvesvietas adreses reģistrēšana vai maiņa.",
         "Registering or changing the declared address.", MUNICIPAL, 6),
    Base("Izziņa par deklarēto dzīvesvietu", "Certificate of declared residence",
         "Izziņa par personas deklarēto dzīvesvietu un tās vēsturi.",
         "A certificate of a person's declared residence and its history.", MUNICIPAL, 4),
    Base("Nekustamā īpašuma nodokļa maksāšana", "Paying immovable property tax",
         "Nekustamā īpašuma nodokļa maksāšanas paziņojums un samaksa.",
         "The immovable property tax notice and payment.", MUNICIPAL, 6),
    Base("Izziņa par nekustamā īpašuma nodokļa parādu", "Certificate of property tax debt",
         "Izziņa par nekustamā īpašuma nodokļa parāda esamību vai neesamību.",
         "A certificate stating whether immovable property tax is owed.", MUNICIPAL, 3),
    Base("Nekustamā īpašuma nodokļa atvieglojums", "Immovable property tax relief",
         "Nodokļa atlaide noteiktām iedzīvotāju grupām.",
         "A tax discount for certain groups of residents.", MUNICIPAL, 4),
    Base("Būvatļaujas izsniegšana", "Building permit",
         "Atļauja jaunas ēkas būvniecībai, pārbūvei vai nojaukšanai.",
         "A permit to build, rebuild or demolish a building.", MUNICIPAL, 5, "all"),
    Base("Atļauja koku ciršanai ārpus meža zemes", "Permit to fell trees outside forest land",
         "Atļauja koku ciršanai pilsētā vai ciemā.", "A permit to fell trees in a town or village.",
         MUNICIPAL, 3, "all"),
    Base("Atļauja ielu tirdzniecībai", "Street trading permit",
         "Atļauja tirdzniecībai publiskā vietā.", "A permit to trade in a public place.",
         MUNICIPAL, 3, "companies"),
    Base("Atļauja publiska pasākuma rīkošanai", "Public event permit",
         "Atļauja sapulces, gājiena vai izklaides pasākuma rīkošanai.",
         "A permit to hold a meeting, march or entertainment event.", MUNICIPAL, 2, "all"),
    Base("Atļauja reklāmas izvietošanai", "Advertising permit",
         "Atļauja reklāmas vai izkārtnes izvietošanai publiskā vietā.",
         "A permit to put up an advertisement or sign in a public place.", MUNICIPAL, 2,
         "companies"),
    Base("Rakšanas darbu atļauja", "Excavation permit",
         "Atļauja rakšanas darbiem inženierkomunikāciju izbūvei.",
         "A permit to dig for laying utility networks.", MUNICIPAL, 2, "all"),
    Base("Suņa reģistrācija", "Dog registration",
         "Mājas suņa reģistrācija pašvaldībā.", "Registering a pet dog with the municipality.",
         MUNICIPAL, 1),
    Base("Sociālā dzīvokļa īre", "Renting a social apartment",
         "Pašvaldības dzīvokļa izīrēšana sociāli mazaizsargātām personām.",
         "Renting a municipal flat to socially vulnerable persons.", MUNICIPAL, 4),
    Base("Aprūpe mājās", "Home care",
         "Sociālās aprūpes pakalpojums personas dzīvesvietā.",
         "Social care at the person's home.", MUNICIPAL, 4),
    Base("Asistenta pakalpojums", "Personal assistant service",
         "Asistents personām ar invaliditāti ikdienas darbībās.",
         "An assistant for persons with disabilities in daily activities.", MUNICIPAL, 3),
    Base("Skolēnu pārvadājumi", "School transport",
         "Skolēnu nokļūšana līdz izglītības iestādei un atpakaļ.",
         "Transport for pupils to school and back.", MUNICIPAL, 2),
    Base("Laulības reģistrācija", "Marriage registration",
         "Laulības noslēgšana dzimtsarakstu nodaļā.", "Marriage at the registry office.",
         MUNICIPAL, 2),
    Base("Bērna dzimšanas reģistrācija", "Birth registration",
         "Jaundzimušā reģistrācija dzimtsarakstu nodaļā.",
         "Registering a newborn at the registry office.", MUNICIPAL, 3),
    Base("Miršanas fakta reģistrācija", "Death registration",
         "Miršanas reģistrācija un apliecības izsniegšana.",
         "Registering a death and issuing the certificate.", MUNICIPAL, 2),
    Base("Atkritumu apsaimniekošanas līgums", "Waste management contract",
         "Līgums par sadzīves atkritumu izvešanu.", "A contract for household waste collection.",
         MUNICIPAL, 2, "all"),
    Base("Vecuma pensija", "Old-age pension", "Pensija, sasniedzot pensionēšanās vecumu.",
         "A pension on reaching retirement age.", "VSAA", 6),
    Base("Izdienas pensija", "Service pension", "Pensija par izdienu noteiktās profesijās.",
         "A pension for long service in certain professions.", "VSAA", 3),
    Base("Invaliditātes pensija", "Disability pension",
         "Pensija personām ar noteiktu invaliditāti.",
         "A pension for persons with a recognised disability.", "VSAA", 3),
    Base("Apgādnieka zaudējuma pensija", "Survivor's pension",
         "Pensija bērniem pēc apgādnieka nāves.",
         "A pension for children who have lost a breadwinner.", "VSAA", 2),
    Base("Bezdarbnieka pabalsts", "Unemployment benefit",
         "Pabalsts bezdarba gadījumā sociāli apdrošinātām personām.",
         "A benefit for insured persons who lose their job.", "VSAA", 3),
    Base("Slimības pabalsts", "Sickness benefit", "Pabalsts darbnespējas laikā.",
         "A benefit during incapacity for work.", "VSAA", 2),
    Base("Maternitātes pabalsts", "Maternity benefit",
         "Pabalsts grūtniecības un dzemdību atvaļinājuma laikā.",
         "A benefit during maternity leave.", "VSAA", 2),
    Base("Paternitātes pabalsts", "Paternity benefit",
         "Pabalsts bērna tēvam pēc bērna piedzimšanas.",
         "A benefit for the father after a child is born.", "VSAA", 1),
    Base("Ģimenes valsts pabalsts", "State family benefit",
         "Ikmēneša pabalsts par bērniem līdz pilngadībai.",
         "A monthly benefit for children until they come of age.", "VSAA", 3),
    Base("Izziņa par sociālās apdrošināšanas iemaksām", "Certificate of social insurance "
         "contributions", "Izziņa par veiktajām iemaksām un apdrošināšanas stāžu.",
         "A certificate of contributions paid and the insurance record.", "VSAA", 3),
    Base("Gada ienākumu deklarācija", "Annual income declaration",
         "Iedzīvotāju ienākuma nodokļa deklarācijas iesniegšana.",
         "Filing the personal income tax return.", "VID", 5, "all"),
    Base("PVN reģistrācija", "VAT registration",
         "Reģistrācija pievienotās vērtības nodokļa maksātāju reģistrā.",
         "Registering as a value added tax payer.", "VID", 3, "companies"),
    Base("Saimnieciskās darbības reģistrācija", "Registering a self-employed activity",
         "Pašnodarbinātās personas reģistrācija nodokļu maksātāju reģistrā.",
         "Registering as a self-employed taxpayer.", "VID", 3),
    Base("Izziņa par nodokļu parādu neesamību", "Certificate of no tax debts",
         "Izziņa, ka personai nav nodokļu parādu.", "A certificate that no taxes are owed.",
         "VID", 3, "all"),
    Base("Nodokļu atmaksa par attaisnotajiem izdevumiem", "Tax refund for eligible expenses",
         "Nodokļa pārmaksas atgūšana par ārstniecības un izglītības izdevumiem.",
         "Recovering tax overpaid on medical and education expenses.", "VID", 3),
    Base("Mikrouzņēmumu nodokļa deklarācija", "Micro-enterprise tax declaration",
         "Ceturkšņa deklarācija mikrouzņēmumu nodokļa maksātājiem.",
         "The quarterly return of micro-enterprise taxpayers.", "VID", 2, "companies"),
    Base("Pases izsniegšana", "Passport", "Latvijas pilsoņa pases izsniegšana.",
         "Issuing a Latvian citizen's passport.", "PMLP", 3),
    Base("Personas apliecības izsniegšana", "Identity card", "Personas apliecības (eID) "
         "izsniegšana.", "Issuing an identity card (eID).", "PMLP", 3),
    Base("Uzturēšanās atļauja", "Residence permit",
         "Atļauja ārzemniekam uzturēties Latvijā.", "Permission for a foreigner to stay in "
         "Latvia.", "PMLP", 3),
    Base("Izziņa no Iedzīvotāju reģistra", "Certificate from the Population Register",
         "Izziņa par personas datiem Iedzīvotāju reģistrā.",
         "A certificate of a person's data in the Population Register.", "PMLP", 2),
    Base("Transportlīdzekļa reģistrācija", "Vehicle registration",
         "Transportlīdzekļa reģistrācija un numura zīmju izsniegšana.",
         "Registering a vehicle and issuing number plates.", "CSDD", 4, "all"),
    Base("Vadītāja apliecības maiņa", "Replacing a driving licence",
         "Transportlīdzekļa vadītāja apliecības maiņa.", "Replacing a driving licence.",
         "CSDD", 3),
    Base("Transportlīdzekļa tehniskā apskate", "Vehicle roadworthiness test",
         "Ikgadējā tehniskā apskate.", "The yearly roadworthiness test.", "CSDD", 2, "all"),
    Base("Uzņēmuma reģistrācija", "Company registration",
         "Komersanta reģistrācija komercreģistrā.",
         "Registering a company in the commercial register.", "UR", 4, "companies"),
    Base("Biedrības reģistrācija", "Association registration",
         "Biedrības vai nodibinājuma reģistrācija.", "Registering an association or foundation.",
         "UR", 2, "all"),
    Base("Patiesā labuma guvēja deklarācija", "Beneficial owner declaration",
         "Ziņas par patieso labuma guvēju.", "Information on the beneficial owner.", "UR", 2,
         "companies"),
    Base("Izziņa par nekustamā īpašuma kadastrālo vērtību", "Certificate of cadastral value",
         "Izziņa par nekustamā īpašuma kadastrālo vērtību.",
         "A certificate of the cadastral value of a property.", "VZD", 3, "all"),
    Base("Zemes vienības kadastrālā uzmērīšana", "Cadastral survey of a land unit",
         "Zemes robežu uzmērīšana un reģistrācija kadastrā.",
         "Surveying land boundaries and entering them in the cadastre.", "VZD", 2, "all"),
    Base("Bezdarbnieka statusa piešķiršana", "Unemployed status",
         "Bezdarbnieka statusa iegūšana un reģistrācija.",
         "Obtaining the status of an unemployed person.", "NVA", 3),
    Base("Apmācību kupons", "Training voucher",
         "Kupons profesionālās pilnveides kursiem.", "A voucher for vocational courses.",
         "NVA", 2),
    Base("Platību maksājumu pieteikums", "Area payments application",
         "Platību maksājumu saņemšana lauksaimniekiem.", "Area payments for farmers.",
         "LAD", 3, "all"),
    Base("Atbalsts jaunajiem lauksaimniekiem", "Support for young farmers",
         "Investīciju atbalsts jaunajiem lauksaimniekiem.",
         "Investment support for young farmers.", "LAD", 2, "all"),
    Base("Pārtikas uzņēmuma reģistrācija", "Food business registration",
         "Pārtikas uzņēmuma atzīšana un reģistrācija.", "Approving and registering a food "
         "business.", "PVD", 2, "companies"),
    Base("Mājdzīvnieka pases izsniegšana", "Pet passport",
         "Pase suņa, kaķa vai mājas seska ceļošanai.", "A passport for a travelling dog, cat "
         "or ferret.", "PVD", 1),
    Base("Zvejas licence", "Fishing licence", "Licence rūpnieciskajai zvejai iekšējos ūdeņos.",
         "A licence for commercial fishing in inland waters.", "VVD", 1, "all"),
    Base("Atļauja piesārņojošai darbībai", "Permit for a polluting activity",
         "Atļauja A vai B kategorijas piesārņojošai darbībai.",
         "A permit for a category A or B polluting activity.", "VVD", 2, "companies"),
)

# Who a variant is for: real catalogues split one kind of service by target group.
GROUPS = (
    ("", ""),
    ("daudzbērnu ģimenēm", "for large families"),
    ("senioriem", "for seniors"),
    ("personām ar invaliditāti", "for persons with disabilities"),
    ("trūcīgām personām", "for persons in need"),
    ("politiski represētajām personām", "for politically repressed persons"),
    ("bāreņiem", "for orphans"),
    ("studentiem", "for students"),
    ("jaunajiem vecākiem", "for new parents"),
    ("nerezidentiem", "for non-residents"),
    ("(atkārtoti)", "(repeat application)"),
    ("(e-pakalpojums)", "(e-service)"),
)

# Sentences that service descriptions are made of: realistic length and vocabulary.
SENTENCES = (
    ("Iesniegumu var iesniegt klātienē klientu apkalpošanas centrā vai elektroniski portālā "
     "Latvija.gov.lv.", "The application can be submitted in person at a client service centre "
     "or online at Latvija.gov.lv."),
    ("Iesniegumam pievieno personu apliecinošu dokumentu.",
     "Attach an identity document to the application."),
    ("Lēmumu pieņem viena mēneša laikā no iesnieguma saņemšanas dienas.",
     "A decision is taken within one month of receiving the application."),
    ("Ja nepieciešams, iestāde pieprasa papildu informāciju no valsts reģistriem.",
     "If needed, the institution requests further information from state registers."),
    ("Lēmumu var apstrīdēt iestādes vadītājam viena mēneša laikā.",
     "The decision can be contested with the head of the institution within one month."),
    ("Pakalpojums ir bez maksas, ja normatīvajos aktos nav noteikts citādi.",
     "The service is free of charge unless legislation provides otherwise."),
    ("Atbildi nosūta uz oficiālo elektronisko adresi vai pa pastu.",
     "The answer is sent to the official electronic address or by post."),
    ("Pieteikumu var iesniegt arī pilnvarota persona.",
     "An authorised person may also submit the application."),
    ("Iesniedzot dokumentus elektroniski, tie jāparaksta ar drošu elektronisko parakstu.",
     "Documents submitted online must be signed with a secure electronic signature."),
    ("Personām ar invaliditāti pakalpojumu var saņemt dzīvesvietā.",
     "Persons with disabilities can receive the service at home."),
    ("Nepieciešamības gadījumā iesniedz dokumentus par ienākumiem pēdējos trīs mēnešos.",
     "If required, submit proof of income for the last three months."),
    ("Termiņu var pagarināt līdz četriem mēnešiem.",
     "The time limit may be extended to four months."),
    ("Par pieņemto lēmumu informē rakstiski.", "You are informed of the decision in writing."),
    ("Maksu var samaksāt ar maksājumu karti vai bankas pārskaitījumu.",
     "The fee can be paid by card or bank transfer."),
)
CHANNELS = ("eaccount", "centre", "phone", "email", "post")


def _setup_django(database_url: str) -> None:
    """Django in this process, on the bench database, production-like (DEBUG off: no query
    log growing over 5,000 imports)."""
    os.environ.update({k: v for k, v in harness.child_env(database_url).items()
                       if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "LOG_LEVEL")})
    sys.path.insert(0, str(harness.SRC))
    import django

    django.setup()


def _make_institutions() -> dict[str, Any]:
    from durvis.identity.services import record_institution

    return {
        code: record_institution(code=code, names={"lv": lv, "en": en}, kind=kind)
        for code, lv, en, kind in INSTITUTIONS
    }


def _generate(rng: random.Random, institutions: dict[str, Any], first_code: int,
              count: int) -> float:
    """Import `count` services through the catalogue's own `import_service` (which indexes them
    for search, as in production); returns the seconds it took."""
    from durvis.catalog.services import import_service

    municipalities = [i for i in institutions.values() if i.kind == "municipality"]
    weights = [b.weight for b in BASES]
    started = time.perf_counter()
    for code in range(first_code, first_code + count):
        base = rng.choices(BASES, weights)[0]
        group_lv, group_en = rng.choice(GROUPS) if rng.random() < 0.6 else GROUPS[0]
        municipality = rng.choice(municipalities) if base.holder == MUNICIPAL else None
        holder = municipality or institutions[base.holder]
        sentences = rng.sample(SENTENCES, rng.randint(2, 5))
        paid = rng.random() < 0.2
        fields = {
            "name_lv": f"{base.name_lv} {group_lv}".strip(),
            "name_en": f"{base.name_en} {group_en}".strip(),
            "summary_lv": base.summary_lv,
            "summary_en": base.summary_en,
            "description_lv": " ".join(lv for lv, _ in sentences),
            "description_en": " ".join(en for _, en in sentences),
            "audience": base.audience,
            "municipality": municipality,
            "application_channels": rng.sample(CHANNELS, rng.randint(1, 3)),
            "result_channels": rng.sample(CHANNELS, rng.randint(1, 2)),
            "fee_kind": "prepayment" if paid else "none",
            "fee_amount": Decimal(rng.randint(3, 150)) if paid else None,
            "processing_days": rng.choice((None, 5, 10, 20, 30)),
            "status": "published",
        }
        import_service(code, holder, fields, {})
    return time.perf_counter() - started


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@dataclass
class Measurement:
    search: list[float]
    trivial: list[float]
    listing: list[float]
    per_query: dict[str, list[float]]
    matches: dict[str, int]


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[float, bytes]:
    """One request; returns (milliseconds to the last byte of the body, body)."""
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
    return elapsed, body


def _measure(port: int, budget: float) -> Measurement:
    """Sequential requests on one client connection, search, `/healthz` and the plain list
    alternating, so that any noise (another process, CPU frequency) hits every series alike.
    Whole rounds only, so every query weighs the same; fewer if a round is slow (budget)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    paths = {q: f"/api/v1/services?{urlencode({'q': q})}" for q in QUERIES}
    matches: dict[str, int] = {}
    try:
        for _ in range(WARM_UP_ROUNDS):
            for query, path in paths.items():
                matches[query] = int(json.loads(_get(connection, path)[1])["count"])
                _get(connection, TRIVIAL_PATH)
                _get(connection, LIST_PATH)
        result = Measurement([], [], [], {q: [] for q in QUERIES}, matches)
        deadline = time.monotonic() + budget
        for round_ in range(REPETITIONS):
            if round_ >= MIN_REPETITIONS and time.monotonic() > deadline:
                break
            for query, path in paths.items():
                elapsed, _body = _get(connection, path)
                result.search.append(elapsed)
                result.per_query[query].append(elapsed)
                result.trivial.append(_get(connection, TRIVIAL_PATH)[0])
                result.listing.append(_get(connection, LIST_PATH)[0])
        return result
    finally:
        connection.close()


def _report(size: int, result: Measurement, headline: bool) -> dict[str, float]:
    p = harness.percentile
    figures = {
        "search_p95_ms": p(result.search, 0.95),
        "search_p50_ms": p(result.search, 0.5),
        "trivial_p95_ms": p(result.trivial, 0.95),
        "trivial_p50_ms": p(result.trivial, 0.5),
        "list_p95_ms": p(result.listing, 0.95),
        "list_p50_ms": p(result.listing, 0.5),
    }
    figures["search_p95_ratio"] = figures["search_p95_ms"] / figures["trivial_p95_ms"]
    # What search adds on top of listing 20 services: the part a search fix can change.
    figures["search_p95_list_ratio"] = figures["search_p95_ms"] / figures["list_p95_ms"]
    for name, value in figures.items():
        harness.emit(f"catalog.{name}_at_{size}", value)
    if headline:
        for name, value in figures.items():
            harness.emit(f"catalog.{name}", value)
    slowest = sorted(QUERIES, key=lambda q: -p(result.per_query[q], 0.5))
    for query in slowest:
        harness.note(f"  at {size}: {query!r:28} matches {result.matches[query]:5}  "
                     f"p50 {p(result.per_query[query], 0.5):7.1f} ms  "
                     f"p95 {p(result.per_query[query], 0.95):7.1f} ms")
    return figures


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    figures: dict[int, dict[str, float]] = {}
    import_seconds = 0.0
    with harness.bench_database() as url:
        _setup_django(url)
        from django.db import connections

        try:
            institutions = _make_institutions()
            made = 0
            for size in SIZES:
                seconds = _generate(rng, institutions, FIRST_CODE + made, size - made)
                import_seconds += seconds
                harness.note(f"imported {size - made} services in {seconds:.1f} s "
                             f"({seconds / (size - made) * 1000:.1f} ms each)")
                made = size
                _analyze()
                with harness.gunicorn(url) as port:
                    started = time.perf_counter()
                    result = _measure(port, BUDGET_SECONDS[size])
                rounds = len(result.search) // len(QUERIES)
                harness.note(f"measured {len(result.search)} searches, {len(result.trivial)} "
                             f"trivial and {len(result.listing)} list requests at {size} services "
                             f"in {time.perf_counter() - started:.1f} s"
                             + ("" if rounds == REPETITIONS else
                                f" (time budget: {rounds} of {REPETITIONS} rounds)"))
                figures[size] = _report(size, result, headline=size == SIZES[-1])
        finally:
            connections.close_all()
    small, large = figures[SIZES[0]], figures[SIZES[-1]]
    harness.emit(f"catalog.search_p95_growth_{SIZES[0]}_to_{SIZES[-1]}",
                 large["search_p95_ms"] / small["search_p95_ms"])
    harness.emit("catalog.import_ms_per_service", import_seconds / SIZES[-1] * 1000)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        harness.note("catalog_search interrupted (its database was dropped)")
        sys.exit(130)
