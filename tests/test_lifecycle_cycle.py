"""Acceptance: one member walked through a whole cycle with the clock frozen receives exactly
the touchpoints of the default playbook, at the right local times.

Lead (5 Jan) → trial booked and attended (7 Jan) → first membership, a quarter (8 Jan) →
five visits, then a quiet month → renewal window (March, across the switch to summer time)
→ no renewal → lapse (April, May), with a birthday on the way (20 March). The engine runs
as beat would: stages, evaluator, dispatcher, at every moment something is due and at
least once a day.
"""

import datetime as dt

import pytest
import time_machine

from campaigns import dispatcher, evaluator, lifecycle
from campaigns.models import Rule, Touchpoint
from checkin import bookings, checkins
from club import clock
from members.leads import capture
from memberships import sales
from tests.factories import ClassSessionFactory, PlanFactory

Status = Touchpoint.Status
DELIVERED = [Status.SENT, Status.DELIVERED]


def at(day: str, time: str) -> dt.datetime:
    """A club-local moment in Amsterdam."""
    return clock.local_datetime(dt.date.fromisoformat(day), dt.time.fromisoformat(time))


class Cycle:
    """Runs the engine, and the member's life, moment by moment."""

    def __init__(self, club, traveller):
        self.club, self.traveller = club, traveller

    def tick(self):
        lifecycle.refresh_stages(self.club)
        evaluator.evaluate()
        dispatcher.dispatch()

    def run_until(self, end: dt.datetime):
        """Tick at every send time due before `end`, and at least every 24 hours."""
        while True:
            upcoming = (
                Touchpoint.objects.filter(status=Status.SCHEDULED, send_at__gt=clock.now())
                .order_by("send_at")
                .values_list("send_at", flat=True)
                .first()
            )
            step = min(filter(None, [upcoming, clock.now() + dt.timedelta(hours=24), end]))
            self.traveller.move_to(step)
            self.tick()
            if step >= end:
                return

    def then(self, moment: dt.datetime, action=None):
        self.run_until(moment)
        result = action() if action else None
        self.tick()
        return result


@pytest.fixture
def cycle(downtown):
    # The control groups are tested on their own; here every rule sends.
    Rule.objects.update(holdout_percent=0)
    with time_machine.travel(at("2026-01-05", "08:00"), tick=False) as traveller:
        yield Cycle(downtown, traveller)


def walk_to_the_renewal_window(cycle, club):
    lead, _ = cycle.then(
        at("2026-01-05", "11:00"),
        lambda: capture(
            club,
            first_name="Noor",
            last_name="de Vries",
            phone="+31612345678",
            email="noor@example.com",
            source="website",
            sms_consent=True,
            email_consent=True,
            consent_source="website",
        ),
    )
    lead.birth_date = dt.date(1994, 3, 20)
    lead.save()
    trial = ClassSessionFactory(
        club=club, start=at("2026-01-07", "18:00"), end=at("2026-01-07", "19:00")
    )
    booking = cycle.then(at("2026-01-06", "12:00"), lambda: bookings.book(lead, trial, trial=True))
    cycle.then(at("2026-01-07", "19:05"), lambda: bookings.mark_attended(booking))
    quarter = PlanFactory(club=club, name="Quarter", duration_days=90)
    membership = cycle.then(
        at("2026-01-08", "12:00"),
        lambda: sales.sell(lead, quarter, start=dt.date(2026, 1, 8), method="card"),
    )
    for day in ("2026-01-12", "2026-01-14", "2026-01-16", "2026-01-19", "2026-01-21"):
        cycle.then(at(day, "18:00"), lambda: checkins.check_in(lead, source="desk"))
    return lead, membership


def received(member) -> list[tuple[int, str, dt.datetime]]:
    return [
        (tp.rule.number, tp.channel, tp.send_at.astimezone(clock.zone()).replace(tzinfo=None))
        for tp in member.touchpoints.filter(status__in=DELIVERED)
        .select_related("rule")
        .order_by("send_at", "rule__number")
    ]


def local(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}")


UNTIL_THE_RENEWAL_WINDOW = [
    (1, "task", local("2026-01-05", "11:00")),  # call the new lead
    (2, "sms", local("2026-01-05", "11:05")),  # trial invitation
    (4, "sms", local("2026-01-07", "15:00")),  # trial reminder, 3 h before
    (5, "sms", local("2026-01-08", "09:00")),  # join offer: 21:00 is quiet, so next morning
    (7, "email", local("2026-01-08", "12:00")),  # welcome, at once
    (8, "sms", local("2026-01-11", "10:00")),  # no visit 3 days after the start
    (9, "email", local("2026-01-22", "10:00")),  # onboarding day 14
    (11, "sms", local("2026-02-04", "10:00")),  # 14 days without a visit
    (12, "task", local("2026-02-18", "10:00")),  # 28 days: a personal call
    (14, "email", local("2026-03-08", "10:00")),  # ends 7 April: early renewal offer
    (20, "sms", local("2026-03-20", "10:00")),  # birthday
]


def test_a_whole_cycle_gets_the_playbooks_touchpoints_at_local_times(cycle, downtown):
    member, membership = walk_to_the_renewal_window(cycle, downtown)
    assert membership.end == dt.date(2026, 4, 7)

    cycle.run_until(at("2026-05-10", "12:00"))

    expected = [
        *UNTIL_THE_RENEWAL_WINDOW,
        (15, "sms", local("2026-03-31", "10:00")),  # 7 days before the end, summer time now
        (18, "sms", local("2026-04-10", "10:00")),  # win-back, 3 days after the end
        (19, "email", local("2026-05-07", "10:00")),  # second win-back, 30 days after
    ]
    assert received(member) == expected
    assert 10 <= len(expected) <= 15
    member.refresh_from_db()
    assert member.stage == "lapsed"
    # Nothing else was sent: every other row is a rule that did not apply.
    assert (
        not member.touchpoints.exclude(status__in=DELIVERED)
        .exclude(status=Status.CANCELLED)
        .exists()
    )


def test_renewing_at_day_minus_10_cancels_the_day_minus_7_reminder(cycle, downtown):
    member, membership = walk_to_the_renewal_window(cycle, downtown)
    cycle.run_until(at("2026-03-28", "12:00"))
    reminder = member.touchpoints.get(rule__number=15)
    assert reminder.status == Status.SCHEDULED  # in the outbox since the week before

    cycle.then(at("2026-03-28", "12:30"), lambda: sales.renew(membership, method="card"))
    cycle.run_until(at("2026-04-20", "12:00"))

    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (Status.CANCELLED, "obsolete")
    numbers = [number for number, _, _ in received(member)]
    assert numbers == [number for number, _, _ in UNTIL_THE_RENEWAL_WINDOW]
