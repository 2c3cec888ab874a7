"""The check-in service: who gets in, who is turned away and why, and what it writes."""

import datetime as dt

import pytest

from checkin import checkins
from checkin.models import CheckInAttempt, Source, Visit
from club import clock
from members.models import MemberEvent
from memberships import freezes
from memberships.models import LedgerEntry, Membership
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, UserFactory
from tests.race import run_concurrently

Reason = CheckInAttempt.Reason


def test_member_in_force_is_admitted_and_it_is_on_the_timeline(frozen_clock, maya):
    outcome = checkins.check_in(maya, source=Source.DESK)

    assert isinstance(outcome, Visit)
    assert outcome.is_repeat_scan is False
    assert outcome.membership == maya.memberships.get()
    assert outcome.ledger_entry is None
    event = maya.events.get(kind=MemberEvent.Kind.VISIT)
    assert event.data["visit"] == outcome.pk
    assert event.data["source"] == "desk"


def test_pack_check_in_debits_one_visit_through_the_ledger(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True))

    visit = checkins.check_in(member, source=Source.TURNSTILE)

    pack.refresh_from_db()
    assert pack.visits_left == 9
    assert visit.ledger_entry.kind == LedgerEntry.Kind.VISIT
    assert visit.ledger_entry.visits == -1
    assert visit.ledger_entry.balance_after == 9


def test_second_scan_within_two_minutes_returns_the_first_visit(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True))
    first = checkins.check_in(member, source=Source.TURNSTILE)

    frozen_clock.shift(dt.timedelta(seconds=110))
    second = checkins.check_in(member, source=Source.TURNSTILE)

    assert second.pk == first.pk
    assert second.is_repeat_scan is True
    pack.refresh_from_db()
    assert pack.visits_left == 9
    assert Visit.objects.filter(member=member).count() == 1


def test_a_scan_at_another_club_within_two_minutes_is_decided_there(
    frozen_clock, downtown, riverside
):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True, valid_at_all_clubs=True)
    )
    single = MemberFactory(home_club=downtown)
    MembershipFactory(member=single, plan=PlanFactory(club=downtown))
    here = checkins.check_in(member, source=Source.TURNSTILE)
    checkins.check_in(single, source=Source.TURNSTILE)

    frozen_clock.shift(dt.timedelta(seconds=30))
    there = checkins.check_in(member, source=Source.TURNSTILE, club=riverside)
    refused = checkins.check_in(single, source=Source.TURNSTILE, club=riverside)

    # two clubs' doors in half a minute is two admissions (a card lent, say), each on record
    assert (there.is_repeat_scan, there.club, here.club) == (False, riverside, downtown)
    pack.refresh_from_db()
    assert pack.visits_left == 8
    assert _denied(refused) == Reason.WRONG_CLUB
    assert refused.club == riverside


def test_scan_after_two_minutes_is_a_new_visit(frozen_clock, maya):
    first = checkins.check_in(maya, source=Source.DESK)
    frozen_clock.shift(dt.timedelta(minutes=2, seconds=1))

    second = checkins.check_in(maya, source=Source.DESK)

    assert second.pk != first.pk
    assert Visit.objects.filter(member=maya).count() == 2


def _denied(outcome) -> str:
    assert isinstance(outcome, CheckInAttempt), f"expected a denial, got {outcome!r}"
    return outcome.reason


def test_no_membership_is_denied(frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown)

    assert _denied(checkins.check_in(lead, source=Source.DESK)) == Reason.NO_MEMBERSHIP


def test_expired_membership_is_denied_and_recorded(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    today = clock.today(downtown)
    MembershipFactory(member=member, start=today - dt.timedelta(days=40))  # ended 11 days ago

    attempt = checkins.check_in(member, source=Source.DESK)

    assert _denied(attempt) == Reason.EXPIRED
    assert not Visit.objects.filter(member=member).exists()
    event = member.events.get(kind=MemberEvent.Kind.CHECK_IN_DENIED)
    assert event.data["reason"] == "expired"


def test_membership_starting_later_is_not_started(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, start=clock.today(downtown) + dt.timedelta(days=3))

    assert _denied(checkins.check_in(member, source=Source.DESK)) == Reason.NOT_STARTED


def test_frozen_membership_is_denied(frozen_clock, maya, maya_membership):
    today = clock.today(maya.home_club)
    freezes.freeze(maya_membership, start=today, end=today + dt.timedelta(days=6))

    assert _denied(checkins.check_in(maya, source=Source.DESK)) == Reason.FROZEN


def test_unpaid_membership_is_denied(frozen_clock, maya, maya_membership):
    Membership.objects.filter(pk=maya_membership.pk).update(status=Membership.Status.PAST_DUE)

    assert _denied(checkins.check_in(maya, source=Source.DESK)) == Reason.UNPAID


def test_empty_pack_is_denied(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=0)

    assert _denied(checkins.check_in(member, source=Source.DESK)) == Reason.NO_VISITS_LEFT


def test_single_club_plan_is_refused_at_another_club(frozen_clock, maya, riverside):
    assert _denied(checkins.check_in(maya, source=Source.DESK, club=riverside)) == Reason.WRONG_CLUB


def test_all_clubs_plan_is_admitted_at_another_club(frozen_clock, downtown, riverside):
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, valid_at_all_clubs=True))

    visit = checkins.check_in(member, source=Source.DESK, club=riverside)

    assert isinstance(visit, Visit)
    assert visit.club == riverside


def test_time_plan_is_used_before_a_pack(frozen_clock, maya, downtown):
    pack = MembershipFactory(member=maya, plan=PlanFactory(club=downtown, pack=True))

    visit = checkins.check_in(maya, source=Source.DESK)

    assert visit.membership.plan.kind == "time"
    pack.refresh_from_db()
    assert pack.visits_left == 10


def test_staff_override_admits_a_denied_member_and_records_who_and_why(frozen_clock, downtown):
    fiona = UserFactory(username="fiona-override")
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, start=clock.today(downtown) - dt.timedelta(days=31))

    visit = checkins.check_in(
        member, source=Source.DESK, override_by=fiona, override_reason="Paying tomorrow"
    )

    assert isinstance(visit, Visit)
    assert visit.override_by == fiona
    assert visit.override_reason == "Paying tomorrow"
    event = member.events.get(kind=MemberEvent.Kind.VISIT)
    assert event.actor == fiona
    assert event.data["denied_reason"] == "expired"


def test_override_without_a_reason_is_refused(frozen_clock, maya):
    with pytest.raises(ValueError, match="reason"):
        checkins.check_in(maya, source=Source.DESK, override_by=UserFactory(), override_reason=" ")
    assert not Visit.objects.exists()


def test_unknown_source_is_refused(maya):
    with pytest.raises(ValueError, match="source"):
        checkins.check_in(maya, source="teleport")


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_scans_with_one_visit_left_make_one_visit(downtown):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=1
    )

    outcome = run_concurrently(
        lambda: checkins.check_in(member, source=Source.TURNSTILE).pk, threads=20
    )

    assert outcome.errors == []
    assert len(set(outcome.results)) == 1
    assert Visit.objects.filter(member=member).count() == 1
    pack.refresh_from_db()
    assert pack.visits_left == 0
    assert pack.ledger_entries.filter(kind=LedgerEntry.Kind.VISIT).count() == 1
    assert not CheckInAttempt.objects.filter(member=member).exists()


def test_checking_in_marks_the_class_about_to_start_as_attended(frozen_clock, maya, downtown):
    from tests.factories import BookingFactory, ClassSessionFactory

    soon = ClassSessionFactory(club=downtown, start=clock.now() + dt.timedelta(minutes=20))
    tomorrow = ClassSessionFactory(club=downtown)
    booked_soon = BookingFactory(session=soon, member=maya)
    booked_tomorrow = BookingFactory(session=tomorrow, member=maya)

    checkins.check_in(maya, source=Source.TURNSTILE)

    booked_soon.refresh_from_db()
    booked_tomorrow.refresh_from_db()
    assert (booked_soon.status, booked_tomorrow.status) == ("attended", "booked")


def test_scanning_an_unknown_card_finds_nobody(db, downtown):
    assert checkins.check_in_scanned(card="NOPE", source=Source.TURNSTILE, club=downtown) is None


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_card_scans_with_one_visit_left_make_one_visit(downtown):
    member = MemberFactory(home_club=downtown, card_token="RACE-CARD")
    pack = MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=1
    )

    outcome = run_concurrently(
        lambda: (
            checkins.check_in_scanned(card="RACE-CARD", source=Source.TURNSTILE, club=downtown).pk
        ),
        threads=20,
    )

    assert outcome.errors == []
    assert len(set(outcome.results)) == 1
    assert Visit.objects.filter(member=member).count() == 1
    pack.refresh_from_db()
    assert pack.visits_left == 0


def _synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_check_in_commits_without_waiting_for_the_disk(frozen_clock, maya, postgres):
    # The setting is the transaction's own (SET LOCAL): it still holds here because the test
    # runs inside one transaction; the server's default is untouched.
    assert _synchronous_commit() == "on"

    checkins.check_in(maya, source=Source.TURNSTILE)

    assert _synchronous_commit() == "off"


@pytest.mark.postgres
def test_a_scanned_card_commits_without_waiting_for_the_disk(frozen_clock, maya, postgres):
    checkins.check_in_scanned(card=maya.card_token, source=Source.TURNSTILE, club=maya.home_club)

    assert _synchronous_commit() == "off"


@pytest.mark.postgres
def test_undoing_a_check_in_waits_for_the_disk(frozen_clock, maya, postgres):
    from tests.factories import VisitFactory

    visit = VisitFactory(member=maya, club=maya.home_club, at=clock.now())

    checkins.undo_visit(visit.pk, member_id=maya.pk, by=UserFactory())

    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert _synchronous_commit() == "on"


def test_a_check_in_is_a_transaction_of_its_own(frozen_clock, maya):
    # Inside another transaction its asynchronous commit would cover that one's writes too.
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        checkins.check_in(maya, source=Source.TURNSTILE)

    assert not Visit.objects.filter(member=maya).exists()
