"""The access decision and the role switch under mandates (issue 15, C1): a person holding 50
mandates (40 granted by persons, 10 by companies through their board members) and representing
20 companies, among up to 1,000,000 mandates of others (a fifth of them granted by companies).

In-process (the decision is a function call every page makes, not a page of its own), on a
throwaway PostgreSQL database. The other persons and their mandates are filled by COPY. At each
size it measures:

- `access.decision_p95_us`: `decide(actor, client.read, None, grantor)` for one of the 50
  grantors, in microseconds (the base registers and the mandates in one statement; no request
  is open, so nothing is kept between calls: `core.memo`; target < 1,000 µs);
- `access.decision_p95_ratio`: against one indexed query of the same process and database
  (`access.query_p95_us`, a person by primary key, measured in the same run): how many
  queries' worth the decision costs, whatever the machine's load (the trivial decision for the
  person's own e-account, which asks nothing, is `access.own_decision_p95_us`);
- `access.company_decision_p95_us`: the same decision for one of the 10 companies that granted
  the person a mandate (the company's row, its representations and the mandates in one
  statement);
- `access.scoped_decision_p95_us`: `client.use_service` for a service under a mandate of chosen
  services (the scope resolved);
- `access.role_list_p95_ms`: `web.roles.available_roles` (the role switch's list: children,
  companies, grantors; target < 20 ms at 1,000,000 mandates);
- `access.role_list_p95_ratio`: against the same list for a person with no relation at all.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
import register

SEED = 20261215
SIZES = tuple(int(s) for s in os.environ.get("BENCH_ACCESS_SIZES", "100000,1000000").split(","))
SAMPLES = int(os.environ.get("BENCH_ACCESS_SAMPLES", "400"))
PERSONS = 20_000  # the others: grantors and grantees of the filled mandates
HELD = 50
FROM_COMPANIES = 10  # of the HELD: granted by a company
COMPANIES = 20
GRANTING_COMPANIES = PERSONS // 4  # the others' companies that grant mandates


def _world() -> dict[str, Any]:
    """The measured person with 50 mandates (a third for chosen services) and 20 companies,
    and a person with no relation at all, through the platform's services."""
    from durvis.catalog.services import import_service
    from durvis.core.actor import Actor
    from durvis.identity.services import (
        record_company,
        record_institution,
        record_person,
        record_representation,
    )
    from durvis.mandates import services as mandates

    holder = record_institution(code="VSAA", names={"lv": "VSAA", "en": "VSAA"}, kind="state")
    services = [import_service(100 + n, holder, {
        "name_lv": f"Pakalpojums {n}", "name_en": f"Service {n}", "audience": "all",
        "status": "published", "application_channels": ["eaccount"],
        "result_channels": ["eaccount"]}, {})[0] for n in range(10)]
    me = record_person(personal_code=register._personal_code(register.CLIENTS + 10),
                       given_name="Anna", family_name="Pilnvarniece")
    nobody = record_person(personal_code=register._personal_code(register.CLIENTS + 11),
                           given_name="Pēteris", family_name="Ozols")
    for n, number in enumerate(_company_numbers(COMPANIES)):
        company = record_company(registration_number=number, name=f"SIA Nr. {n}",
                                 legal_form="SIA")
        record_representation(company, me, "board_member", valid_from=datetime.date(2020, 1, 1))
    grantors = []
    numbers = _company_numbers(COMPANIES + FROM_COMPANIES)
    companies = []
    for n, number in enumerate(numbers[COMPANIES:]):
        company = record_company(registration_number=number, name=f"SIA Devēja Nr. {n}",
                                 legal_form="SIA")
        board = record_person(
            personal_code=register._personal_code(register.CLIENTS + 200 + n),
            given_name="Valdes", family_name=f"Loceklis Nr. {n}")
        record_representation(company, board, "board_member", valid_from=datetime.date(2020, 1, 1))
        mandates.grant(Actor(kind="person", person=board), company, me.personal_code,
                       mandates.Terms(scope="all", service_ids=[], rights=["apply", "read"]))
        companies.append(company)
    for n in range(HELD - FROM_COMPANIES):
        grantor = record_person(personal_code=register._personal_code(register.CLIENTS + 100 + n),
                                given_name="Devējs", family_name=f"Nr. {n}")
        scoped = n % 3 == 0
        mandates.grant(Actor(kind="person", person=grantor), grantor, me.personal_code,
                       mandates.Terms(scope="services" if scoped else "all",
                                      service_ids=[s.pk for s in services[:3]] if scoped else [],
                                      rights=["apply", "read", "pay"]))
        grantors.append(grantor)
    return {"me": me, "nobody": nobody, "grantors": grantors, "services": services,
            "companies": companies}


def _company_numbers(count: int) -> list[str]:
    """`count` valid registration numbers (some bases have no check digit: skipped)."""
    from stdnum.lv import pvn

    found: list[str] = []
    n = 0
    while len(found) < count:
        base = f"4000{n:06d}"
        for digit in "0123456789":
            if pvn.is_valid(base + digit):
                found.append(base + digit)
                break
        n += 1
    return found


def _fill_companies(cursor: Any) -> int:
    """COPY `GRANTING_COMPANIES` companies (registration numbers 5xxxxxxxxxx, outside the
    measured person's); returns the first one's id."""
    with cursor.copy("COPY identity_company (registration_number, name, legal_form, address) "
                     "FROM STDIN") as copy:
        for n in range(GRANTING_COMPANIES):
            copy.write_row((f"5{n:010d}", f"SIA Nr. {n}", "SIA", ""))
    cursor.execute("SELECT min(id) FROM identity_company WHERE registration_number LIKE '5%'")
    return int(cursor.fetchone()[0])


def _fill(cursor: Any, first_person: int, first_company: int, count: int,
          rng: random.Random) -> None:
    """COPY `count` mandates to the other persons, a fifth granted by a company, the rest by
    another person: most active, some ended or asked."""
    today = datetime.date.today()
    now = datetime.datetime.now(datetime.UTC)
    states = ["active"] * 8 + ["revoked", "requested"]
    with cursor.copy(
        "COPY mandates_mandate (grantor_person_id, grantor_company_id, grantee_person_id, scope, "
        "may_apply, may_read, "
        "may_receive_result, may_pay, may_sign, may_answer_messages, valid_from, valid_until, "
        "transferable, state, basis, created_at) FROM STDIN"
    ) as copy:
        for _ in range(count):
            grantor = first_person + rng.randrange(PERSONS)
            grantee = first_person + rng.randrange(PERSONS)
            if grantee == grantor:
                grantee = first_person + (grantor - first_person + 1) % PERSONS
            start = today - datetime.timedelta(days=rng.randrange(700))
            end = None if rng.random() < 0.5 else start + datetime.timedelta(
                days=rng.randrange(30, 1000))
            company = (first_company + rng.randrange(GRANTING_COMPANIES)
                       if rng.random() < 0.2 else None)
            copy.write_row((None if company else grantor, company, grantee, "all", True, True,
                            rng.random() < 0.5,
                            rng.random() < 0.5, False, rng.random() < 0.5, start, end, False,
                            rng.choice(states), "eaccount", now))


def _timed(call: Any, samples: int, scale: float) -> list[float]:
    for _ in range(20):
        call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * scale)
    return times


def _measure(world: dict[str, Any], rng: random.Random) -> dict[str, float]:
    from durvis.access.policy import decide
    from durvis.core.actor import Actor
    from durvis.identity.rules import IdentityAction
    from durvis.web.roles import available_roles

    me, nobody = world["me"], world["nobody"]
    actor = Actor(kind="person", person=me)
    grantors = world["grantors"]
    unscoped = [g for n, g in enumerate(grantors) if n % 3]
    scoped = [g for n, g in enumerate(grantors) if n % 3 == 0]
    service = world["services"][1]

    def decision() -> None:
        assert decide(actor, IdentityAction.CLIENT_READ, None, rng.choice(unscoped))

    def own() -> None:
        assert decide(actor, IdentityAction.CLIENT_READ, None, me)

    def company_decision() -> None:
        assert decide(actor, IdentityAction.CLIENT_READ, None, rng.choice(world["companies"]))

    def scoped_decision() -> None:
        assert decide(actor, IdentityAction.USE_SERVICE, service, rng.choice(scoped))

    from durvis.identity.models import Person

    def one_query() -> None:
        assert Person.objects.filter(pk=me.pk).exists()

    roles = len(available_roles(me))
    assert roles == 1 + COMPANIES + HELD, roles  # the companies granting are among the HELD
    figures = {
        "decision_p95_us": harness.percentile(_timed(decision, SAMPLES, 1e6), 0.95),
        "own_decision_p95_us": harness.percentile(_timed(own, SAMPLES, 1e6), 0.95),
        "query_p95_us": harness.percentile(_timed(one_query, SAMPLES, 1e6), 0.95),
        "company_decision_p95_us": harness.percentile(
            _timed(company_decision, SAMPLES, 1e6), 0.95),
        "scoped_decision_p95_us": harness.percentile(_timed(scoped_decision, SAMPLES, 1e6), 0.95),
        "role_list_p95_ms": harness.percentile(
            _timed(lambda: available_roles(me), SAMPLES // 4, 1e3), 0.95),
        "empty_role_list_p95_ms": harness.percentile(
            _timed(lambda: available_roles(nobody), SAMPLES // 4, 1e3), 0.95),
    }
    figures["decision_p95_ratio"] = figures["decision_p95_us"] / figures["query_p95_us"]
    figures["role_list_p95_ratio"] = (figures["role_list_p95_ms"]
                                      / figures["empty_role_list_p95_ms"])
    return figures


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    with harness.bench_database("durvis_bench_access") as url:
        register._setup_django(url)
        import psycopg

        world = _world()
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
            cursor = raw.cursor()
            saved, register.CLIENTS = register.CLIENTS, PERSONS
            try:
                first_person = register._fill_persons(cursor)
            finally:
                register.CLIENTS = saved
            first_company = _fill_companies(cursor)
            raw.commit()
        filled = 0
        for size in SIZES:
            started = time.perf_counter()
            with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as raw:
                _fill(raw.cursor(), first_person, first_company, size - filled, rng)
                raw.commit()
                raw.autocommit = True
                raw.execute("VACUUM ANALYZE")
            filled = size
            harness.note(f"filled to {size} mandates in {time.perf_counter() - started:.0f} s")
            harness.report("access", size, _measure(world, rng), headline=size == SIZES[-1])
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
