"""Appointments under contention on PostgreSQL (issue 18, A4): 20 clients book the last free
desk of a slot at the same instant, each in its own thread and connection, for `ROUNDS` slots.

- `calendars.double_bookings`: bookings beyond a slot's desks over all rounds (must be 0: the
  calendar's row lock and the partial unique index per desk);
- `calendars.race_winners_per_slot`: slots booked by exactly one of the 20, as a share (1.00);
- `calendars.book_p95_ms`, `calendars.book_p50_ms`: one uncontended booking through
  `calendars.services.book` (policy, lock, insert, audit, event, forwarding's outbox row);
- `calendars.book_ratio_vs_healthz`: its p50 over the p50 of `/healthz` (the trivial endpoint,
  through Django's test client in the same process, the same run).
Run by `bench/run.py`; needs DATABASE_URL (a PostgreSQL server)."""

from __future__ import annotations

import datetime
import sys
import threading
import time
from decimal import Decimal

import catalog_search
import harness
import register

CLIENTS = 20
ROUNDS = 10
SAMPLES = 200


def _race(calendar, slot, people) -> list[str]:
    from django.core.exceptions import ValidationError
    from django.db import connections

    from durvis.calendars import services
    from durvis.core.actor import Actor

    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def book(person) -> None:
        try:
            start.wait()
            services.book(Actor(kind="person", person=person), calendar, slot, person)
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(error.error_dict["starts_at"][0].code)
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def main() -> int:
    harness.stop_cleanly_on_signals()
    p = harness.percentile
    with harness.bench_database("durvis_bench_calendars") as url:
        catalog_search._setup_django(url)
        from django.db import connections
        from django.db.models import Count
        from django.test import Client

        from durvis.calendars import queries, services
        from durvis.calendars.models import Booking, BookingState, Calendar
        from durvis.catalog import services as catalog
        from durvis.core.actor import Actor
        from durvis.identity.services import record_institution, record_person
        from durvis.servicepoints.models import ServicePoint

        try:
            vsaa = record_institution(code="VSAA", names={"lv": "VSAA", "en": "SSIA"},
                                      kind="state")
            service, _ = catalog.import_service(1011, vsaa, {
                "name_lv": "Bērna piedzimšanas pabalsts", "name_en": "Childbirth benefit",
                "audience": "residents", "status": "published",
                "application_channels": ["centre"], "result_channels": ["eaccount"]}, {})
            point = ServicePoint.objects.create(
                institution=vsaa, name="VSAA Rīgas nodaļa", kind="institution_office",
                address="Lāčplēša iela 70a, Rīga", town="Rīga", latitude=Decimal("56.954"),
                longitude=Decimal("24.128"), hours="mon-sun 00:00-24:00")
            calendar = Calendar.objects.create(point=point, service=service, slot_minutes=5,
                                               desks=1, lead_minutes=0, horizon_days=60)
            people = [record_person(personal_code=register._personal_code(n + 1),
                                    given_name="Klients", family_name=f"Nr. {n}")
                      for n in range(CLIENTS)]
            days = queries.bookable_days(calendar)
            slots = [s.starts_at for d in days for s in queries.free_slots(calendar, d)]
            harness.note(f"{len(slots)} slots of 5 minutes over {len(days)} days")
            winners = 0
            errors: list[str] = []
            for slot in slots[:ROUNDS]:
                outcomes = _race(calendar, slot, people)
                winners += outcomes.count("booked") == 1
                errors += [o for o in outcomes if o not in ("booked", "full")]
            over = sum(max(0, row["n"] - calendar.desks) for row in (
                Booking.objects.filter(calendar=calendar, state=BookingState.BOOKED)
                .values("starts_at").annotate(n=Count("id"))))
            if errors:
                harness.note(f"unexpected outcomes: {errors[:3]}")
            booking_ms = []
            person = people[0]
            actor = Actor(kind="person", person=person)
            for slot in slots[ROUNDS:ROUNDS + SAMPLES]:
                started = time.perf_counter()
                services.book(actor, calendar, slot, person)
                booking_ms.append((time.perf_counter() - started) * 1000)
            client = Client()
            health_ms = []
            for _ in range(SAMPLES):
                started = time.perf_counter()
                client.get("/healthz")
                health_ms.append((time.perf_counter() - started) * 1000)
            harness.emit("calendars.double_bookings", over)
            harness.emit("calendars.race_winners_per_slot", winners / ROUNDS)
            harness.emit("calendars.book_p95_ms", p(booking_ms, 0.95))
            harness.emit("calendars.book_p50_ms", p(booking_ms, 0.5))
            harness.emit("calendars.healthz_p50_ms", p(health_ms, 0.5))
            harness.emit("calendars.book_ratio_vs_healthz",
                         p(booking_ms, 0.5) / p(health_ms, 0.5))
            harness.note(f"{datetime.datetime.now():%H:%M:%S} done")
        finally:
            connections.close_all()
    return 0 if not over else 1


if __name__ == "__main__":
    sys.exit(main())
