"""The workplace at scale (issue 16, B3, B4, B7): an agent's queue page, the client search and
the scheduler's escalation scan.

On a throwaway PostgreSQL database: the register bench's world (a holder with 250 services and a
provider, the agent's institution), nine more institutions, one published workflow; persons (each
with a personal code and a mobile number), cases and one open task per case are filled by COPY
and SQL. At two sizes, a tenth and the whole (`BENCH_WORKPLACE_SIZES`, open tasks; persons are
ten times as many: 100,000 tasks among 1,000,000 persons at the full size), a tenth of the open
tasks at the agent's institution (10,000 at the full size: a fifth for another team or role than
the agent's, one in 290 held by the agent, ~34 at the full size), it measures:

- `workplace.queue_p95_ms`: GET /staff/tasks/ (the agent's tasks and the first page of the queue
  they may take from, the most urgent first) through Django's request handler in this process
  (middleware, staff session with the second factor, the view, the template), signed in as the
  agent (target < 100 ms); `workplace.queue_page2_p95_ms` a later page; the htmx refresh
  (`queue_refresh_p95_ms`, the lists alone);
- `workplace.queue_p95_ratio`: against GET /healthz through the same handler (no session, no
  query: a floor), and `queue_p95_ratio_vs_empty`: against the same page for an agent of an
  institution with no task (session, second factor, layout, nothing to list: what every staff
  page costs; the figure to watch on a busy machine);
- `workplace.client_search_p95_ms`: GET /staff/clients/?q= with the personal code or the mobile
  number (as callers say it: `2xxxxxxx`, `+371 2xxx xxxx`) of a random person, the audit row
  included (target < 50 ms); `client_search_p95_ratio` against /healthz and
  `client_search_p95_ratio_vs_empty` against the search page without a query;
  `client_search_name_p95_ms` (and its ratios) by a random person's family name, typed with or
  without its diacritics (`uzvards123`, `Vārds Uzvārds123`: the folded names' index);
- `workflow.escalation_scan_s`: `workflows.services.escalate_due` called until it finds nothing,
  as the worker does, over all the open tasks, of which a twentieth are past their resolution time
  (escalated) and a twentieth within their warning time (warned): their task events, audit rows
  and domain events; `workflow.escalation_per_task_ms`; `workflow.escalation_idle_scan_ms` (a
  scan that finds nothing: what the periodic job costs when all is on time); and
  `workflow.escalation_scan_ratio_vs_raw`: against the same rows marked straight with SQL (one
  UPDATE and one INSERT of the task events), in the same run;
- `*_growth`: each headline figure at the full size over the same at a tenth.
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

SEED = 20261201
SIZES = tuple(int(s) for s in os.environ.get("BENCH_WORKPLACE_SIZES", "10000,100000").split(","))
PERSONS_PER_TASK = 10
SAMPLES = int(os.environ.get("BENCH_WORKPLACE_SAMPLES", "200"))
WARM_UP = 20
OTHER_INSTITUTIONS = 9
STAFF = 20  # the agent's colleagues who hold some of the institution's tasks
PERSON_OFFSET = 1_000_000  # personal codes of the search's persons: after the register's
LATE, WARNING = 0, 1  # task id % 20: past its resolution time; within its warning time


def names(lv: str, en: str) -> dict[str, str]:
    return {"lv": lv, "en": en}


DEFINITION = {
    "format": "durvis-workflow/1",
    "first": "registration",
    "steps": {
        "registration": {
            "name": names("Reģistrācija", "Registration"),
            "queue": {"institution": "provider"}, "role": "agent",
            "first_response": "2h", "resolution": "1d",
            "next": [{"step": "second", "status": "registered",
                      "name": names("Otrajam līmenim", "To the second level")},
                     {"step": None, "status": "rejected", "name": names("Noraidīt", "Reject")}]},
        "second": {
            "name": names("Otrais līmenis", "Second level"),
            "queue": {"institution": "provider", "team": "second"}, "role": "agent",
            "resolution": "2d", "warn_before": "4h",
            "next": [{"step": "review", "status": "in_progress",
                      "name": names("Nodot izskatīšanai", "Send for review")}]},
        "review": {
            "name": names("Izskatīšana", "Review"),
            "queue": {"institution": "holder", "team": "benefits"}, "role": "back_office",
            "resolution": "4h", "warn_before": "1h",
            "next": [{"step": None, "status": "decided", "name": names("Lemt", "Decide")}]},
    },
}


def _world(world: register.World) -> dict[str, Any]:
    """Teams, staff, the published workflow and the other institutions, through the platform's
    services."""
    from durvis.core.actor import Actor
    from durvis.identity.models import Institution
    from durvis.identity.services import record_institution, record_staff
    from durvis.workflows import services as workflows
    from durvis.workflows.models import Team

    provider = Institution.objects.get(pk=world.provider_id)
    holder = Institution.objects.get(pk=world.holder_id)

    def staff(username: str, institution: Institution, roles: list[str]) -> Any:
        return record_staff(username=username, password=f"pw-{username}-long-enough",
                            institution=institution, roles=roles)

    admin = staff("bench.centre.admin", provider, ["institution_admin"])
    agent = staff("bench.agent", provider, ["agent"])
    colleagues = [staff(f"bench.agent.{n}", provider, ["agent"]) for n in range(STAFF)]
    front = Team.objects.create(institution=provider, key="front", name_lv="Klientu centrs",
                                name_en="Client centre")
    second = Team.objects.create(institution=provider, key="second", name_lv="Otrais līmenis",
                                 name_en="Second level")
    front.members.add(agent, *colleagues[: STAFF // 2])
    second.members.add(*colleagues[STAFF // 2:])
    benefits = Team.objects.create(institution=holder, key="benefits", name_lv="Pabalsti",
                                   name_en="Benefits")
    from durvis.catalog.models import Service

    service = Service.objects.get(pk=world.service_ids[0])
    version = workflows.publish_version(Actor(kind="staff", staff=admin), provider, service,
                                        "Pabalsts centrā", DEFINITION)
    others = [record_institution(code=f"BENCH{n}", names=names(f"Iestāde {n}", f"Body {n}"),
                                 kind="state") for n in range(OTHER_INSTITUTIONS)]
    idle = record_institution(code="IDLE", names=names("Tukša", "Empty"), kind="state")
    return {"agent": agent, "idle_agent": staff("bench.idle", idle, ["agent"]),
            "colleagues": colleagues, "front": front, "second": second, "benefits": benefits,
            "version": version, "provider": provider, "others": others}


def _fill_persons(cursor: Any, first_n: int, count: int) -> None:
    """COPY `count` persons from the `first_n`-th of the search's persons: a valid personal code
    and a Latvian mobile number `+3712nnnnnnn` each."""
    first = harness.reserve_ids(cursor, "identity_person", count)
    codes = [register._personal_code(PERSON_OFFSET + first_n + n) for n in range(count)]
    with cursor.copy("COPY identity_person (id, personal_code, given_name, family_name, "
                     "citizenship, email, phone, contacts_version, given_name_folded, "
                     "family_name_folded) FROM STDIN") as copy:
        for n, code in enumerate(codes):
            copy.write_row((first + n, code, "Vārds", f"Uzvārds{first_n + n}", "LV", "",
                            _phone(first_n + n), 0, "vards", f"uzvards{first_n + n}"))
    with cursor.copy("COPY identity_personcode (code, person_id, is_current) FROM STDIN") as copy:
        for n, code in enumerate(codes):
            copy.write_row((code, first + n, True))


def _phone(n: int) -> str:
    return f"+3712{n:07d}"


def _fill_tasks(cursor: Any, ids: dict[str, Any], after_case: int) -> None:
    """One open task for every case after `after_case`: a tenth at the agent's institution
    (registration steps of no team, of the agent's team and of the second level; some taken by
    a colleague or the agent), the rest at the other institutions; due times spread over the
    coming days, a twentieth late (warned already) and a twentieth within their warning time."""
    cursor.execute(
        """
        INSERT INTO workflows_task (case_id, version_id, step, institution_id, team_id, role,
            state, assignee_id, created_at, first_response_due, resolution_due, warn_at,
            first_response_at, warned_at, escalated_at, completed_at, version_no, stage,
            taken_at)
        SELECT c.id, %(version)s,
            CASE WHEN c.id %% 10 = 0 THEN
                (ARRAY['registration', 'registration', 'second', 'review'])[1 + c.id / 10 %% 4]
                ELSE 'registration' END,
            CASE WHEN c.id %% 10 = 0 THEN %(provider)s
                ELSE (%(others)s::bigint[])[1 + c.id %% %(n_others)s] END,
            CASE WHEN c.id %% 10 <> 0 THEN NULL
                ELSE (ARRAY[NULL, %(front)s, %(second)s, %(benefits)s]::bigint[])[1 + c.id / 10 %% 4]
                END,
            CASE WHEN c.id %% 10 = 0 AND c.id / 10 %% 4 = 3 THEN 'back_office' ELSE 'agent' END,
            CASE WHEN c.id %% 10 = 0 AND c.id %% 97 = 5 THEN 'taken' ELSE 'queued' END,
            CASE WHEN c.id %% 10 <> 0 OR c.id %% 97 <> 5 THEN NULL
                WHEN c.id %% 3 = 0 THEN %(agent)s
                ELSE (%(colleagues)s::bigint[])[1 + c.id %% %(n_colleagues)s] END,
            now() - interval '3 days',
            NULL,
            t.due, t.due - interval '5 hours', NULL,
            CASE WHEN c.id %% 20 = %(late)s THEN t.due - interval '5 hours' END,
            NULL, NULL, 0, 'execution',
            CASE WHEN c.id %% 10 = 0 AND c.id %% 97 = 5 THEN now() - interval '1 day' END
        FROM register_servicecase c
        CROSS JOIN LATERAL (SELECT CASE
            WHEN c.id %% 20 = %(late)s THEN now() - (c.id %% 1000) * interval '1 minute'
            WHEN c.id %% 20 = %(warning)s THEN now() + (60 + c.id %% 200) * interval '1 minute'
            ELSE now() + interval '1 day' + (c.id %% 10000) * interval '1 minute' END AS due
        ) t
        WHERE c.id > %(after)s
        """,
        {**ids, "after": after_case, "late": LATE, "warning": WARNING,
         "n_others": len(ids["others"]), "n_colleagues": len(ids["colleagues"])})


def _reset_scan(cursor: Any) -> None:
    """Undo the previous scan's marks (the tasks as they were filled)."""
    cursor.execute(
        "UPDATE workflows_task SET escalated_at = NULL, warned_at = CASE WHEN case_id %% 20 = %s "
        "THEN warn_at END WHERE escalated_at IS NOT NULL OR warned_at IS NOT NULL", [LATE])


def _sign_in(client: Any, member: Any) -> Any:
    """Both sign-in steps, without typing (as the tests' `staff_login`)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.util import random_hex

    from durvis.identity import services as identity

    device = identity.totp_device(member.user) or identity.record_totp_device(
        member, random_hex(identity.TOTP_KEY_BYTES))
    client.force_login(member.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _timed(get: Any, paths: list[str], expect: str, **headers: Any) -> list[float]:
    """GET each path in turn (WARM_UP first, untimed); the times in ms."""
    times = []
    for n, path in enumerate(paths):
        started = time.perf_counter()
        response = get(path, **headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or expect not in response.content.decode():
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}: "
                               f"{response.content[:400]!r}")
        if n >= WARM_UP:
            times.append(elapsed)
    return times


def _measure_pages(ids: dict[str, Any], persons: int, rng: random.Random) -> dict[str, float]:
    from django.test import Client

    agent, idle = _sign_in(Client(), ids["agent_obj"]), _sign_in(Client(), ids["idle_obj"])
    health = Client()
    rounds = SAMPLES + WARM_UP
    p = harness.percentile
    figures: dict[str, float] = {}

    def figure(name: str, times: list[float]) -> None:
        figures[f"{name}_p95_ms"] = p(times, 0.95)

    figure("healthz", _timed(health.get, ["/healthz"] * rounds, "ok"))
    # A full first page has a next one; a later page a previous one.
    figure("queue", _timed(agent.get, ["/staff/tasks/"] * rounds, 'rel="next"'))
    figure("queue_page2", _timed(agent.get, ["/staff/tasks/?page=2"] * rounds, 'rel="prev"'))
    figure("queue_refresh", _timed(agent.get, ["/staff/tasks/"] * rounds, 'rel="next"',
                                   HTTP_HX_REQUEST="true"))
    figure("empty_queue", _timed(idle.get, ["/staff/tasks/"] * rounds, "hx-trigger"))
    searches = []
    for _ in range(rounds):
        n = rng.randrange(persons)
        way = rng.randrange(3)
        if way == 0:
            searches.append(f"/staff/clients/?q={register._personal_code(PERSON_OFFSET + n)}")
        elif way == 1:
            searches.append(f"/staff/clients/?q={_phone(n)[4:]}")
        else:
            phone = _phone(n)
            searches.append(f"/staff/clients/?q=%2B371+{phone[4:8]}+{phone[8:]}")
    searcher = _sign_in(Client(), ids["agent_obj"])
    figure("client_search", _timed(searcher.get, searches, 'class="govuk-link" href="/staff/clients/'))
    # By name, as typed without diacritics or with them: a prefix of the folded names' index.
    by_name = []
    for _ in range(rounds):
        n = rng.randrange(persons)
        by_name.append(f"/staff/clients/?q=uzvards{n}" if n % 2 else
                       f"/staff/clients/?q=V%C4%81rds+Uzv%C4%81rds{n}")
    figure("client_search_name", _timed(searcher.get, by_name,
                                        'class="govuk-link" href="/staff/clients/'))
    figure("empty_search", _timed(searcher.get, ["/staff/clients/"] * rounds, 'role="search"'))
    for name in ("queue", "queue_page2", "queue_refresh", "client_search", "client_search_name"):
        figures[f"{name}_p95_ratio"] = figures[f"{name}_p95_ms"] / figures["healthz_p95_ms"]
    figures["queue_p95_ratio_vs_empty"] = (figures["queue_p95_ms"]
                                           / figures["empty_queue_p95_ms"])
    for name in ("client_search", "client_search_name"):
        figures[f"{name}_p95_ratio_vs_empty"] = (figures[f"{name}_p95_ms"]
                                                 / figures["empty_search_p95_ms"])
    return figures


def _measure_scan(connect_url: str) -> dict[str, float]:
    """The raw marking, then the real scan, over the same due tasks."""
    import psycopg
    from django.db import connection

    from durvis.workflows.services import escalate_due

    with psycopg.connect(connect_url, autocommit=True) as raw:
        _reset_scan(raw.cursor())
        raw.execute("VACUUM ANALYZE workflows_task")
        started = time.perf_counter()
        with raw.transaction():
            raw.execute("CREATE TEMP TABLE marked ON COMMIT DROP AS WITH w AS ("
                        " UPDATE workflows_task SET warned_at = now(), version_no = version_no + 1"
                        " WHERE state IN ('queued', 'taken') AND warned_at IS NULL"
                        " AND warn_at <= now() RETURNING id, 'warned' AS kind), e AS ("
                        " UPDATE workflows_task SET escalated_at = now(),"
                        " version_no = version_no + 1 WHERE state IN ('queued', 'taken')"
                        " AND escalated_at IS NULL AND resolution_due <= now()"
                        " RETURNING id, 'escalated' AS kind) SELECT * FROM w UNION ALL"
                        " SELECT * FROM e")
            raw.execute("INSERT INTO workflows_taskevent (task_id, kind, at, actor_id, "
                        "to_step, comment) SELECT id, kind, now(), '', '', '' FROM marked")
        raw_s = time.perf_counter() - started
        raw.execute("DELETE FROM workflows_taskevent WHERE actor_id = '' AND staff_id IS NULL "
                    "AND kind IN ('warned', 'escalated')")
        _reset_scan(raw.cursor())
        raw.execute("VACUUM ANALYZE workflows_task")
    connection.close()
    now = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    marked = 0
    while count := escalate_due(now):
        marked += count
    scan_s = time.perf_counter() - started
    idle = []
    for _ in range(50):
        started = time.perf_counter()
        assert escalate_due(now) == 0
        idle.append((time.perf_counter() - started) * 1000)
    return {"escalation_scan_s": scan_s, "escalation_marked": marked,
            "escalation_per_task_ms": scan_s * 1000 / max(1, marked),
            "escalation_idle_scan_ms": harness.percentile(idle, 0.95),
            "escalation_raw_s": raw_s, "escalation_scan_ratio_vs_raw": scan_s / raw_s}


def main() -> int:
    harness.stop_cleanly_on_signals()
    rng = random.Random(SEED)
    with harness.bench_database("durvis_bench_workplace") as url:
        register._setup_django(url)
        import psycopg

        world = register._make_world()
        made = _world(world)
        ids = {"version": made["version"].pk, "provider": made["provider"].pk,
               "others": [i.pk for i in made["others"]], "front": made["front"].pk,
               "second": made["second"].pk, "benefits": made["benefits"].pk,
               "agent": made["agent"].pk, "colleagues": [m.pk for m in made["colleagues"]]}
        connect_url = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(connect_url) as raw:
            first_person = register._fill_persons(raw.cursor())
            raw.commit()
        by_size: dict[int, dict[str, float]] = {}
        persons = tasks = 0
        for size in SIZES:
            started = time.perf_counter()
            with psycopg.connect(connect_url) as raw:
                cursor = raw.cursor()
                _fill_persons(cursor, persons, size * PERSONS_PER_TASK - persons)
                cursor.execute("SELECT coalesce(max(id), 0) FROM register_servicecase")
                last_case = cursor.fetchone()[0]
                register._fill_cases(cursor, world, rng, first_person, size - tasks)
                _fill_tasks(cursor, ids, last_case)
                raw.commit()
                raw.autocommit = True
                raw.execute("VACUUM ANALYZE")
                cursor.execute("SELECT count(*) FROM workflows_task WHERE institution_id = %s "
                               "AND state IN ('queued', 'taken')", [ids["provider"]])
                at_agents = cursor.fetchone()[0]
            persons, tasks = size * PERSONS_PER_TASK, size
            harness.note(f"filled to {size} open tasks ({at_agents} at the agent's institution), "
                         f"{persons} persons in {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            figures = _measure_pages({"agent_obj": made["agent"], "idle_obj": made["idle_agent"]},
                                     persons, rng)
            workplace = {k: v for k, v in figures.items() if not k.startswith("escalation")}
            scan = _measure_scan(connect_url)
            harness.note(f"measured at {size} open tasks in {time.perf_counter() - started:.0f} s")
            harness.report("workplace", size, workplace, headline=size == SIZES[-1])
            harness.report("workflow", size, scan, headline=size == SIZES[-1])
            by_size[size] = {**workplace, **scan}
        if len(SIZES) > 1:
            first, last = by_size[SIZES[0]], by_size[SIZES[-1]]
            harness.emit("workplace.queue_p95_growth", last["queue_p95_ms"] / first["queue_p95_ms"])
            harness.emit("workplace.client_search_p95_growth",
                         last["client_search_p95_ms"] / first["client_search_p95_ms"])
            harness.emit("workflow.escalation_scan_growth",
                         last["escalation_scan_s"] / first["escalation_scan_s"])
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
