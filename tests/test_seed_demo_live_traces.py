"""The demo leaves the traces the live flows leave: today's ended classes marked as check-ins
and the trainer mark them, and the Stripe webhook events of its latest online renewals."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from checkin.models import Booking, ClassSession
from checkin.trainer.views import checked_in_at
from club import clock
from club.models import Club
from cms.demo import catalogue
from members.models import MemberEvent
from memberships.models import Payment, StripeEvent
from memberships.stripe import events
from memberships.stripe.checkout import to_minor_units

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


def test_the_latest_online_renewals_have_the_stripe_events_the_webhook_stored(
    db, frozen_clock, tmp_path
):
    # given
    seed(tmp_path)
    stored = list(StripeEvent.objects.select_related("payment__membership", "member"))
    paid = [e for e in stored if e.type == "checkout.session.completed"]
    failed = [e for e in stored if e.type == "payment_intent.payment_failed"]

    # then: the last online renewals, each completed Checkout Session naming the member,
    # the membership renewed and the plan as checkout.start_renewal does, processed
    assert len(paid) == catalogue.STRIPE_EVENTS and len(failed) == 1
    latest = Payment.objects.filter(
        method="stripe", status="succeeded", membership__renewed_from__isnull=False
    ).order_by("-at")[: catalogue.STRIPE_EVENTS]
    assert {e.payment_id for e in paid} == {payment.pk for payment in latest}
    for event in stored:
        assert event.state == StripeEvent.State.PROCESSED and event.attempts == 1
        assert event.stripe_id == event.payload["id"] and event.payload["livemode"] is False
        assert event.received_at < event.processed_at < clock.now()
    for event in paid:
        session, payment = event.data(), event.payment
        assert session["payment_intent"] == payment.stripe_payment_intent_id
        assert session["amount_total"] == to_minor_units(payment.amount, payment.currency)
        assert session["metadata"] == {
            "member": str(payment.member_id),
            "membership": str(payment.membership.renewed_from_id),
            "plan": str(payment.membership.plan_id),
        }
        assert event.member_id == payment.member_id and payment.at < event.received_at
    # and the failed attempt is the demo's latest failed payment, on the member's timeline
    intent = failed[0].data()
    failure = Payment.objects.filter(status="failed").latest("at")
    assert (intent["id"], failed[0].member_id) == (
        failure.stripe_payment_intent_id,
        failure.member_id,
    )
    assert MemberEvent.objects.filter(
        member=failure.member, kind="payment_failed", data__payment_intent=intent["id"]
    ).exists()

    # when: the live handlers get the same events again
    before = (Payment.objects.count(), MemberEvent.objects.count())
    done = {event.pk: events.HANDLERS[event.type](event.data()) for event in stored}

    # then: they find each one done already, as the stored rows say
    assert (Payment.objects.count(), MemberEvent.objects.count()) == before
    for event in paid:
        assert (done[event.pk].note, done[event.pk].payment) == (event.note, event.payment)
    assert done[failed[0].pk].ignored
    assert done[failed[0].pk].note.endswith("already on the timeline.")


def test_the_manager_sees_the_planted_events_and_a_reset_takes_them_away(
    client, db, frozen_clock, tmp_path
):
    # given: a seeded demo and its manager
    seed(tmp_path)
    client.force_login(get_user_model().objects.get(username="max"))

    # when
    response = client.get(reverse("stripe_events:index"))

    # then: the screen lists them
    assert response.status_code == 200
    listed = list(response.context["object_list"])
    assert Counter(event.type_in_words() for event in listed) == {
        "Online payment completed": catalogue.STRIPE_EVENTS,
        "Payment attempt failed": 1,
    }

    # when: the demo is replaced by another seed's
    seed(tmp_path, "--reset", seed=8)

    # then: no event of the old members is left behind, unowned
    assert StripeEvent.objects.count() == catalogue.STRIPE_EVENTS + 1
    assert not StripeEvent.objects.filter(member__isnull=True).exists()
