"""A lead who books a free trial class and joins before it keeps the class, still booked as
their trial, but rule 4's trial reminder is no longer theirs: the trial-booked trigger drops
it once a paid membership was bought since the booking, so the dry run no longer predicts it
and the dispatcher cancels one already written.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam; the class is tomorrow at 12:00,
so the reminder (three hours before) is due at 09:00.
"""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns import dispatcher, dryrun, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from checkin.models import Booking
from club import clock
from members.models import Member, MemberEvent
from memberships import sales
from memberships.models import Membership
from tests.factories import BookingFactory, ClassSessionFactory, MemberFactory, PlanFactory

TOMORROW = dt.date(2026, 11, 24)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


@pytest.fixture(autouse=True)
def only_rule_4(db):
    Rule.objects.exclude(number=4).update(is_active=False)


@pytest.fixture
def hiit(frozen_clock, downtown):
    return ClassSessionFactory(club=downtown, start=local(TOMORROW, 12))


def lead_booked_on(session, name: str) -> Booking:
    lead = MemberFactory(
        home_club=session.club, first_name=name, status=Member.Status.LEAD, sms_consent=True
    )
    return BookingFactory(member=lead, session=session, is_trial=True)


def reminders(club) -> list[tuple[int, str]]:
    window = triggers.Window(club=club, since=clock.now(), until=clock.now() + dt.timedelta(days=1))
    return sorted((o.member_id, o.key) for o in triggers.occurrences("trial_booked", window, {}))


def forecast_of(member) -> list[tuple[str, str, str]]:
    return [
        (f.when, f.status, f.outcome) for f in dryrun.member_forecast(member) if f.rule_number == 4
    ]


def test_joining_after_booking_drops_the_trial_reminder_but_keeps_the_class(
    frozen_clock, downtown, monthly_plan, hiit
):
    # given Ines and Joris booked tomorrow's class as their trial
    ines, joris = lead_booked_on(hiit, "Ines"), lead_booked_on(hiit, "Joris")
    assert reminders(downtown) == sorted(
        [(ines.member_id, f"booking:{ines.pk}"), (joris.member_id, f"booking:{joris.pk}")]
    )

    # when Ines joins at the desk ten minutes later
    frozen_clock.shift(dt.timedelta(minutes=10))
    sales.sell(ines.member, monthly_plan, start=clock.today(downtown), method="cash")

    # then only Joris is reminded; Ines is still booked, as the trial she took
    assert reminders(downtown) == [(joris.member_id, f"booking:{joris.pk}")]
    ines.refresh_from_db()
    assert (ines.status, ines.is_trial) == (Booking.Status.BOOKED, True)


@pytest.mark.parametrize(
    "bought",
    [
        pytest.param("trial plan", id="a-free-trial-week-is-still-a-trial"),
        pytest.param("cancelled", id="a-cancelled-sale"),
        pytest.param("before the booking", id="paid-before-booking"),
    ],
)
def test_what_is_not_joining_since_the_booking_keeps_the_reminder(
    frozen_clock, downtown, monthly_plan, hiit, bought
):
    booking = lead_booked_on(hiit, "Ines")
    member = booking.member
    today = clock.today(downtown)
    if bought == "trial plan":
        frozen_clock.shift(dt.timedelta(minutes=10))
        sales.sell(member, PlanFactory(club=downtown, trial=True), start=today, method="cash")
    elif bought == "cancelled":
        frozen_clock.shift(dt.timedelta(minutes=10))
        sold = sales.sell(member, monthly_plan, start=today, method="cash")
        Membership.objects.filter(pk=sold.pk).update(status=Membership.Status.CANCELLED)
    else:  # a booking made after the sale (as the back-office could) is not overtaken by it
        sales.sell(member, monthly_plan, start=today, method="cash")
        Booking.objects.filter(pk=booking.pk).update(
            created_at=clock.now() + dt.timedelta(minutes=1)
        )

    assert reminders(downtown) == [(member.pk, f"booking:{booking.pk}")]


def test_a_reminder_written_before_joining_is_cancelled_as_obsolete_at_nine(
    frozen_clock, downtown, monthly_plan, hiit
):
    # given rule 4's reminder in the outbox for 09:00 tomorrow
    booking = lead_booked_on(hiit, "Ines")
    now = clock.now()
    rule = Rule.objects.prefetch_related("clubs").get(number=4)
    evaluator.evaluate_rule(rule, downtown, since=now, until=now + dt.timedelta(days=1))
    assert Touchpoint.objects.get(member=booking.member).send_at == local(TOMORROW, 9)
    assert forecast_of(booking.member) == [("Tue 24 Nov, 09:00", "will be sent", "send")]

    # when she joins this evening
    frozen_clock.shift(dt.timedelta(minutes=10))
    sales.sell(booking.member, monthly_plan, start=clock.today(downtown), method="cash")

    # then the dry run says it will not go, and at 09:00 the dispatcher cancels it
    assert forecast_of(booking.member) == [
        ("Tue 24 Nov, 09:00", "will be cancelled: no longer true", "cancelled")
    ]
    frozen_clock.move_to(local(TOMORROW, 9))
    dispatcher.dispatch()
    touchpoint = Touchpoint.objects.get(member=booking.member)
    assert (touchpoint.status, touchpoint.reason) == (Status.CANCELLED, Reason.OBSOLETE)
    assert not booking.member.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT).exists()


def test_the_card_s_coming_up_leaves_out_what_will_be_cancelled_and_counts_it(
    desk, frozen_clock, downtown, monthly_plan, hiit
):
    # given rule 4's reminder in the outbox, and the lead joined since: it will be cancelled
    booking = lead_booked_on(hiit, "Ines")
    now = clock.now()
    rule = Rule.objects.prefetch_related("clubs").get(number=4)
    evaluator.evaluate_rule(rule, downtown, since=now, until=now + dt.timedelta(days=1))
    sales.sell(booking.member, monthly_plan, start=clock.today(downtown), method="cash")

    html = " ".join(
        desk.get(reverse("playbook:coming_up", args=[booking.member.pk])).content.decode().split()
    )

    assert "will be cancelled: no longer true" not in html
    assert "Tue 24 Nov, 09:00" not in html
    assert "Nothing is coming up for Ines in the next" in html
    assert (
        "Not listed: 1 planned message that will be cancelled when due (no longer true, or "
        "the rule is off)." in html
    )
