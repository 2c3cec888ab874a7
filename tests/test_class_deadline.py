"""A message about a class is never sent after the class, nor within the hour before it:
when the quiet hours would hold it that late it goes before they start, or, already too
late, is dropped as *too late* (rule 4's trial reminder, rule 22's waitlist seat).

The clock starts at Monday 23 Nov 2026 18:00 in Amsterdam; quiet hours are 21:00–09:00.
"""

import datetime as dt

import pytest

from campaigns import dispatcher, dryrun, evaluator
from campaigns.models import Rule, Touchpoint
from checkin.models import Booking
from club import clock
from members.models import Member, MemberEvent
from tests.factories import BookingFactory, ClassSessionFactory, MemberFactory

TODAY, TOMORROW = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


@pytest.fixture(autouse=True)
def only_rule_4(db):
    Rule.objects.exclude(number=4).update(is_active=False)


def evaluate(club) -> None:
    now = clock.now()
    rule = Rule.objects.prefetch_related("clubs").get(number=4)
    evaluator.evaluate_rule(
        rule, club, since=now - dt.timedelta(days=1), until=now + dt.timedelta(days=2)
    )


def trial(club, start: dt.datetime) -> Booking:
    lead = MemberFactory(
        home_club=club, first_name="Priya", status=Member.Status.LEAD, sms_consent=True
    )
    session = ClassSessionFactory(club=club, class_type__name="Spin", start=start)
    return BookingFactory(member=lead, session=session, is_trial=True)


def texts(member) -> list[str]:
    return list(
        member.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT).values_list(
            "data__text", flat=True
        )
    )


def test_a_trial_booked_late_for_an_early_class_is_dropped_as_too_late(frozen_clock, downtown):
    # given at 23:31 a lead books tomorrow's 07:00 class: the reminder (due 04:00) was to go
    # at 20:00, already past, and 09:00 is after the class
    frozen_clock.move_to(local(TODAY, 23, 31))
    booking = trial(downtown, local(TOMORROW, 7))

    evaluate(downtown)
    touchpoint = Touchpoint.objects.get(member=booking.member)
    assert (touchpoint.send_at, touchpoint.deadline) == (local(TODAY, 20), local(TOMORROW, 7))
    assert [(f.status, f.outcome) for f in dryrun.member_forecast(booking.member)] == [
        ("not sent: too late, the class starts before the quiet hours end", "not_sent")
    ]

    # when the dispatcher runs now, and again after the quiet hours
    dispatcher.dispatch()
    frozen_clock.move_to(local(TOMORROW, 9))
    dispatcher.dispatch()

    # then nothing was sent, and the outbox says why
    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.TOO_LATE)
    assert touchpoint.get_reason_display() == (
        "Too late: the class starts before the quiet hours end"
    )
    assert texts(booking.member) == []


def test_a_trial_booked_in_the_evening_for_an_early_class_is_reminded_before_quiet_hours(
    frozen_clock, downtown
):
    booking = trial(downtown, local(TOMORROW, 7))

    evaluate(downtown)
    frozen_clock.move_to(local(TODAY, 20))
    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get(member=booking.member)
    assert (touchpoint.status, touchpoint.send_at) == (Status.DELIVERED, local(TODAY, 20))
    assert len(texts(booking.member)) == 1


@pytest.mark.parametrize(
    ("class_at", "send_at"),
    [
        # due 06:30; 09:00 is within the hour before a 09:30 class: the evening before
        ((9, 30), local(TODAY, 20)),
        # due 07:30; 09:00 is an hour and a half before a 10:30 class: it waits for 09:00
        ((10, 30), local(TOMORROW, 9)),
    ],
)
def test_a_message_held_to_the_end_of_quiet_hours_goes_before_them_if_that_is_too_close(
    downtown, class_at, send_at
):
    rule = Rule(channel="sms", params={})
    start = local(TOMORROW, *class_at)

    assert evaluator.send_time(start - dt.timedelta(hours=3), downtown, rule, deadline=start) == (
        send_at
    )


def test_without_a_deadline_the_quiet_hours_work_as_before(downtown):
    rule = Rule(channel="sms", params={})

    assert evaluator.send_time(local(TOMORROW, 4), downtown, rule) == local(TOMORROW, 9)


def test_a_touchpoint_whose_class_has_started_is_not_sent_after_a_retry(frozen_clock, downtown):
    # given the reminder for a 12:00 class failed and was put back for later, past the class
    booking = trial(downtown, local(TOMORROW, 12))
    evaluate(downtown)
    Touchpoint.objects.filter(member=booking.member).update(send_at=local(TOMORROW, 12, 5))

    frozen_clock.move_to(local(TOMORROW, 12, 5))
    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get(member=booking.member)
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.TOO_LATE)
