"""The demo leaves the traces the live flows leave: today's ended classes marked as check-ins
and the trainer mark them."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from checkin.models import Booking, ClassSession
from checkin.trainer.views import checked_in_at
from club import clock
from club.models import Club

TODAY = dt.date(2026, 11, 23)  # the frozen clock's day


def seed(tmp_path, *args: str, members: int = 400, seed: int = 7) -> None:
    call_command(
        "seed_demo",
        *args,
        members=members,
        years=1,
        seed=seed,
        today=TODAY,
        params_out=tmp_path / "seed_params.json",
        stdout=StringIO(),
    )


@pytest.fixture
def late_evening(db, frozen_clock, tmp_path):
    # 21:30 in the clubs' Amsterdam: most of today's classes are over
    frozen_clock.move_to(dt.datetime(2026, 11, 23, 20, 30, tzinfo=dt.UTC))
    seed(tmp_path, members=1000)


def _todays_sessions(*, ended: bool) -> list[ClassSession]:
    now = clock.now()
    sessions = []
    for club in Club.objects.all():
        today = ClassSession.objects.filter(
            club=club,
            is_cancelled=False,
            start__gte=clock.start_of_day(TODAY, club),
            start__lt=clock.start_of_day(TODAY + dt.timedelta(days=1), club),
        )
        sessions += today.filter(end__lte=now) if ended else today.filter(end__gt=now)
    return sessions


def test_today_s_ended_classes_are_marked_as_check_ins_and_the_trainer_leave_them(late_evening):
    # given: the bookings of today's classes that have ended (trials keep their own story)
    sessions = _todays_sessions(ended=True)
    bookings = list(
        Booking.objects.filter(session__in=sessions, is_trial=False)
        .exclude(status__in=["cancelled", "waitlisted"])
        .select_related("session")
    )

    # then: nobody is left "booked": who checked in for the class (what the roster shows
    # beside the seat) attended it, marked at the check-in; the others are no-shows
    statuses = Counter(booking.status for booking in bookings)
    assert set(statuses) == {"attended", "no_show"}
    assert statuses["attended"] > statuses["no_show"] > 0
    for booking in bookings:
        checked_in = checked_in_at(booking.session, [booking.member_id]).get(booking.member_id)
        if booking.status == "attended":
            assert booking.attended_at == checked_in == booking.updated_at
        else:
            assert checked_in is None and booking.attended_at is None
            # marked by the trainer after the class, before now
            assert booking.session.end < booking.updated_at <= clock.now()


def test_today_s_classes_not_over_yet_keep_their_bookings_unmarked(db, frozen_clock, tmp_path):
    # given: a demo seeded at 18:00, today's classes still running or to come, and the days
    # ahead
    seed(tmp_path)
    later = _todays_sessions(ended=False)
    ahead = Booking.objects.filter(session__start__gte=clock.now())

    # then: nothing is marked before the class is over
    assert later
    marked = ["attended", "no_show"]
    assert not Booking.objects.filter(session__in=later, status__in=marked).exists()
    assert not ahead.filter(status__in=marked).exists()
    assert ahead.filter(status="booked").exists()
