"""A visitor booked for a trial class comes in for it, without a membership."""

import datetime as dt

import pytest
from django.urls import reverse

from checkin import checkins
from checkin.models import Booking, CheckInAttempt, Source, Visit
from club import clock
from club.models import Integration
from members.models import Member, MemberEvent
from memberships.models import LedgerEntry
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClubFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)

Reason = CheckInAttempt.Reason


def class_at(club, minutes_from_now: int, name: str = "HIIT"):
    start = clock.now() + dt.timedelta(minutes=minutes_from_now)
    return ClassSessionFactory(
        club=club, class_type__name=name, start=start, end=start + dt.timedelta(hours=1)
    )


@pytest.fixture
def lead(downtown):
    return MemberFactory(
        home_club=downtown, first_name="Lotte", last_name="Visser", card_token="LOTTE-0001"
    )


@pytest.fixture
def hiit(frozen_clock, downtown):
    return class_at(downtown, 30)


def test_a_lead_booked_for_a_trial_class_is_admitted_for_it(hiit, lead):
    booking = BookingFactory(session=hiit, member=lead, is_trial=True)

    visit = checkins.check_in(lead, source=Source.DESK)

    assert isinstance(visit, Visit)
    assert visit.membership is None
    assert visit.override_by is None
    assert visit.source == Source.DESK
    assert visit.trial_class == checkins.TrialClass(booking.pk, "HIIT", hiit.start)
    assert not CheckInAttempt.objects.exists()
    assert not LedgerEntry.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED
    assert booking.attended_at == visit.at
    event = lead.events.get(kind=MemberEvent.Kind.VISIT)
    assert event.data["trial_booking"] == booking.pk
    assert event.data["class_name"] == "HIIT"
    assert event.data["denied_reason"] is None
    assert lead.events.filter(kind=MemberEvent.Kind.TRIAL_ATTENDED).count() == 1


def test_a_repeat_scan_of_a_member_has_no_trial_and_reads_no_more(
    frozen_clock, hiit, maya, django_assert_num_queries
):
    # A member who also booked the trial class comes in on their membership: not a trial
    # visit, on the first scan or the second.
    BookingFactory(session=hiit, member=maya, is_trial=True)
    checkins.check_in(maya, source=Source.DESK)
    frozen_clock.shift(dt.timedelta(seconds=30))

    # The savepoint, the lock, the memberships, the visit (with its trial facts), the release.
    with django_assert_num_queries(5):
        second = checkins.check_in(maya, source=Source.DESK)

    assert second.is_repeat_scan is True
    assert second.membership is not None
    assert second.trial_class is None


def test_a_lead_without_a_trial_booking_is_still_turned_away(hiit, lead):
    outcome = checkins.check_in(lead, source=Source.DESK)

    assert isinstance(outcome, CheckInAttempt)
    assert outcome.reason == Reason.NO_MEMBERSHIP
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "minutes, status",
    [
        (90, Booking.Status.BOOKED),  # not yet: the window opens an hour before the class
        (-45, Booking.Status.BOOKED),  # started more than 30 minutes ago
        (30, Booking.Status.CANCELLED),
        (30, Booking.Status.WAITLISTED),
    ],
)
def test_a_trial_outside_the_window_or_not_booked_admits_nobody(
    frozen_clock, downtown, lead, minutes, status
):
    booking = BookingFactory(session=class_at(downtown, minutes), member=lead, is_trial=True)
    waitlisted = status == Booking.Status.WAITLISTED
    Booking.objects.filter(pk=booking.pk).update(
        status=status, waitlist_position=1 if waitlisted else None
    )

    outcome = checkins.check_in(lead, source=Source.DESK)

    assert isinstance(outcome, CheckInAttempt)
    assert outcome.reason == Reason.NO_MEMBERSHIP
    booking.refresh_from_db()
    assert booking.status == status


def test_a_trial_at_another_club_does_not_admit_here(frozen_clock, downtown, lead):
    elsewhere = ClubFactory(name="Harbour", slug="harbour")
    BookingFactory(session=class_at(elsewhere, 30), member=lead, is_trial=True)

    outcome = checkins.check_in(lead, source=Source.DESK, club=downtown)

    assert isinstance(outcome, CheckInAttempt)
    assert outcome.reason == Reason.NO_MEMBERSHIP


def test_a_class_booked_as_a_member_does_not_admit_without_a_membership(
    frozen_clock, downtown, monthly_plan
):
    member = MemberFactory(home_club=downtown, status=Member.Status.FORMER)
    ended = clock.today(downtown) - dt.timedelta(days=3)
    MembershipFactory(member=member, plan=monthly_plan, start=ended - dt.timedelta(days=29))
    booking = BookingFactory(session=class_at(downtown, 30), member=member, is_trial=False)

    outcome = checkins.check_in(member, source=Source.DESK)

    assert isinstance(outcome, CheckInAttempt)
    assert outcome.reason == Reason.EXPIRED
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_a_trial_member_whose_trial_week_ended_is_admitted_for_a_trial_class(
    frozen_clock, downtown
):
    member = MemberFactory(home_club=downtown, status=Member.Status.TRIAL)
    ended = clock.today(downtown) - dt.timedelta(days=1)
    trial_week = PlanFactory(club=downtown, trial=True)
    MembershipFactory(member=member, plan=trial_week, start=ended - dt.timedelta(days=6))
    booking = BookingFactory(session=class_at(downtown, 10), member=member, is_trial=True)

    visit = checkins.check_in(member, source=Source.TURNSTILE)

    assert isinstance(visit, Visit)
    assert visit.membership is None  # admitted for the class, not on the ended trial week
    assert visit.source == Source.TURNSTILE
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED


def test_a_second_scan_for_the_trial_class_is_the_same_visit(frozen_clock, hiit, lead):
    BookingFactory(session=hiit, member=lead, is_trial=True)
    first = checkins.check_in(lead, source=Source.DESK)

    frozen_clock.shift(dt.timedelta(seconds=30))
    second = checkins.check_in(lead, source=Source.DESK)

    assert second.pk == first.pk
    assert second.is_repeat_scan is True
    assert lead.events.filter(kind=MemberEvent.Kind.TRIAL_ATTENDED).count() == 1
    # The repeat scan says what the class is, as the first one did.
    assert second.trial_class == first.trial_class
    assert second.trial_class.name == "HIIT"


def test_a_lead_costs_the_statements_it_did(hiit, lead, django_assert_num_queries):
    # The savepoint, the lock, the memberships (none), one read of the last visit and the
    # trial class, the attempt with its timeline event (one statement), the release.
    with django_assert_num_queries(6):
        outcome = checkins.check_in(lead, source=Source.DESK)
    assert isinstance(outcome, CheckInAttempt)


def test_a_denied_member_with_no_class_due_reads_nothing_more(
    frozen_clock, downtown, monthly_plan, django_assert_num_queries
):
    member = MemberFactory(home_club=downtown)
    ended = clock.today(downtown) - dt.timedelta(days=3)
    MembershipFactory(member=member, plan=monthly_plan, start=ended - dt.timedelta(days=29))

    # The savepoint, the lock, the memberships, the attempt with its event, the release.
    with django_assert_num_queries(5):
        outcome = checkins.check_in(member, source=Source.DESK)
    assert outcome.reason == Reason.EXPIRED


def test_the_turnstile_admits_a_trial_visitor_with_a_card(client, hiit, lead, downtown):
    BookingFactory(session=hiit, member=lead, is_trial=True)
    _, token = Integration.issue(club=downtown, name="Main entrance", scopes=["checkin"])

    response = client.post(
        reverse("api:checkins"),
        {"card": "LOTTE-0001"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert response.json()["allowed"] is True
    assert response.json()["visit_id"] == Visit.objects.get(member=lead).pk
