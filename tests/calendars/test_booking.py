"""Appointments (A4): who books for whom (the e-account's roles, the providers per stage), the
slots by the point's business calendar, booking, moving and cancelling with the client told
(with the .ics), and no double booking under concurrency."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone
from icalendar import Calendar as ICalendar

from durvis.audit.models import AuditEvent
from durvis.calendars import queries, services
from durvis.calendars.models import Booking, BookingState
from durvis.core.actor import Actor
from tests.calendars.conftest import first_slot

pytestmark = pytest.mark.django_db


def person(p):
    return Actor(kind="person", person=p)


def test_a_parent_books_for_their_child_a_stranger_cannot(calendar, family):
    slot = first_slot(calendar)
    booking = services.book(person(family["parent"]), calendar, slot, family["child"])
    assert booking.client_person == family["child"] and booking.booked_by == family["parent"]
    assert AuditEvent.objects.filter(action="calendars.booking.book").exists()
    with pytest.raises(PermissionDenied):
        services.book(person(family["stranger"]), calendar, first_slot(calendar), family["child"])
    with pytest.raises(PermissionDenied):
        services.cancel(person(family["stranger"]), booking, family["child"])


def test_a_representative_books_for_their_company(calendar, family):
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["company"])
    assert booking.client_company == family["company"] and booking.client_person is None


def test_an_agent_of_the_provider_books_an_agent_of_another_institution_cannot(
        calendar, family, agents):
    booking = services.book(agents["centre"], calendar, first_slot(calendar), family["parent"])
    assert booking.booked_by_staff == agents["centre"].staff
    with pytest.raises(PermissionDenied):
        services.book(agents["riga"], calendar, first_slot(calendar), family["parent"])


def test_slots_follow_the_hours_lead_time_and_horizon(calendar, family):
    day = queries.bookable_days(calendar)[0]
    slots = queries.free_slots(calendar, day)
    assert all(s.ends_at - s.starts_at == datetime.timedelta(minutes=30) for s in slots)
    assert all(s.starts_at.astimezone(calendar.point.calendar().zone).time()
               >= datetime.time(9) for s in slots)
    refuse = {"no_slot": slots[0].starts_at + datetime.timedelta(minutes=7),
              "too_far": slots[0].starts_at + datetime.timedelta(days=70)}
    for code, at in refuse.items():
        with pytest.raises(ValidationError) as refused:
            services.book(person(family["parent"]), calendar, at, family["parent"])
        assert refused.value.error_dict["starts_at"][0].code in (code, "no_slot")


def test_the_last_desk_goes_once(calendar, family):
    slot = first_slot(calendar)
    services.book(person(family["parent"]), calendar, slot, family["parent"])
    with pytest.raises(ValidationError) as refused:
        services.book(person(family["stranger"]), calendar, slot, family["stranger"])
    assert refused.value.error_dict["starts_at"][0].code == "full"
    calendar.desks = 2
    calendar.save()
    second = services.book(person(family["stranger"]), calendar, slot, family["stranger"])
    assert second.desk == 2


def test_move_and_cancel_keep_the_uid_and_move_the_sequence(calendar, family):
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["parent"])
    moved = services.move(person(family["parent"]), booking, first_slot(calendar, 1),
                          family["parent"])
    assert moved.uid == booking.uid and moved.sequence == 1
    # the first slot is free again
    assert queries.slot_state(calendar, booking.starts_at).problem == ""
    cancelled = services.cancel(person(family["parent"]), moved, family["parent"])
    assert cancelled.state == BookingState.CANCELLED and cancelled.sequence == 2
    with pytest.raises(ValidationError) as refused:
        services.cancel(person(family["parent"]), cancelled, family["parent"])
    assert refused.value.error_dict["booking"][0].code == "cancelled"


def test_the_client_is_told_with_an_ics_and_the_ics_is_rfc_5545(calendar, family, worker):
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["parent"])
    worker.deliver()
    sent = [m for m in mail.outbox if "janis@example.lv" in m.to]
    assert len(sent) == 1
    name, content, content_type = sent[0].attachments[0]
    assert name.endswith(".ics") and content_type.startswith("text/calendar")
    parsed = ICalendar.from_ical(content)
    assert parsed["METHOD"] == "PUBLISH" and parsed["PRODID"] and parsed["VERSION"] == "2.0"
    event = parsed.walk("VEVENT")[0]
    assert str(event["UID"]) == f"{booking.uid}@durvis"
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTEND") == booking.ends_at
    assert "Rīgas iela 10" in str(event["LOCATION"]) and event["STATUS"] == "CONFIRMED"
    assert "14038612043" not in content  # no personal code in the client's copy
    assert "method=PUBLISH" in content_type  # RFC 6047: the part says its method
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert event["ORGANIZER"].params["CN"] == calendar.point.institution.name
    assert "ATTENDEE" not in event
    mail.outbox.clear()
    services.cancel(person(family["parent"]), booking, family["parent"])
    worker.deliver()
    cancel = ICalendar.from_ical(mail.outbox[0].attachments[0][1])
    assert cancel["METHOD"] == "CANCEL" and cancel.walk("VEVENT")[0]["SEQUENCE"] == 1


def test_a_rolled_back_booking_tells_nobody(calendar, family, worker):
    from django.db import transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        services.book(person(family["parent"]), calendar, first_slot(calendar), family["parent"])
        raise RuntimeError
    worker.deliver()
    assert not mail.outbox and not Booking.objects.exists()


def test_the_upcoming_appointments_of_the_client(calendar, family):
    services.book(person(family["parent"]), calendar, first_slot(calendar), family["child"])
    assert len(queries.upcoming_of(person(family["parent"]), family["child"])) == 1
    assert queries.upcoming_of(person(family["stranger"]), family["child"]) == []


def test_a_reminder_the_day_before(calendar, family, worker):
    booking = services.book(person(family["parent"]), calendar, first_slot(calendar),
                            family["parent"])
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at, reminded_at=None)
    worker.deliver()
    mail.outbox.clear()
    from django.utils import timezone
    if booking.starts_at - timezone.now() > services.REMINDER_BEFORE:
        assert services.remind_due() == 0
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=timezone.now() + datetime.timedelta(hours=3),
            ends_at=timezone.now() + datetime.timedelta(hours=4))
    assert services.remind_due() == 1
    assert services.remind_due() == 0
    worker.deliver()
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_one_last_slot_exactly_one_wins(calendar, family):
    """Real concurrent transactions, each thread on its own connection: on PostgreSQL the
    calendar's row lock queues them and the unique index is the last guard; SQLite takes the
    write lock at BEGIN (IMMEDIATE)."""
    from stdnum.lv import pvn

    from durvis.identity.services import record_person

    slot = first_slot(calendar)
    start = threading.Barrier(20)
    outcomes: list[str] = []
    bodies = [f"0101{80 + n:02d}1{n:03d}" for n in range(20)]  # 20 clients, one each
    clients = [record_person(personal_code=body + pvn.calc_check_digit_pers(body),
                             given_name="Klients", family_name=f"Nr. {n}")
               for n, body in enumerate(bodies)]

    def book(client) -> None:
        try:
            start.wait()
            services.book(person(client), calendar, slot, client)
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(error.error_dict["starts_at"][0].code)
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["booked"] + ["full"] * 19, outcomes
    assert Booking.objects.filter(calendar=calendar, starts_at=slot,
                                  state=BookingState.BOOKED).count() == 1


def test_a_client_holds_one_appointment_at_a_time(calendar, family):
    """A fresh tester booked one slot twice (a double click took a second desk): the second
    booking of the same client at an overlapping time is refused, and a move onto it too."""
    calendar.desks = 3
    calendar.save()
    slot = first_slot(calendar)
    first = services.book(person(family["parent"]), calendar, slot, family["parent"])
    with pytest.raises(ValidationError) as refused:
        services.book(person(family["parent"]), calendar, slot, family["parent"])
    assert refused.value.error_dict["starts_at"][0].code == "client_busy"
    later = first_slot(calendar, 1)  # not slot + length: the slot may be the day's last
    second = services.book(person(family["parent"]), calendar, later, family["parent"])
    with pytest.raises(ValidationError) as moved:
        services.move(person(family["parent"]), second, slot, family["parent"])
    assert moved.value.error_dict["starts_at"][0].code == "client_busy"
    assert services.move(person(family["parent"]), first, first.starts_at,
                         family["parent"]).desk == first.desk  # its own time is not "busy"
    other = services.book(person(family["stranger"]), calendar, slot, family["stranger"])
    assert other.desk != first.desk


def test_every_day_up_to_the_horizon_is_offered(calendar):
    """Not only the first 14 (the tester's finding): the last day offered is within the
    horizon and more than two weeks ahead for a 30-day horizon."""
    days = queries.bookable_days(calendar)
    assert days and (days[-1] - days[0]).days > 14
    assert days[-1] <= (timezone.now() + datetime.timedelta(days=calendar.horizon_days)).date()
