"""Lock order of the money-and-admission paths: a desk selling, renewing or freezing, a
turnstile scanning and a trainer marking the class, all on one member at once, wait for each
other instead of deadlocking (PostgreSQL would abort one of them with DeadlockDetected).

run_overlapping keeps the first call's transaction open until the second call waits for a
lock, so the second always lands in the middle of the first. The clock is frozen at Monday
23 Nov 2026 18:00 in Amsterdam (conftest).
"""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from checkin import bookings, checkins
from checkin.models import Booking, CheckInAttempt, Source, Visit
from club import clock
from members.models import Member
from memberships import freezes, sales
from memberships.models import Freeze, Membership, Payment
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    freeze_made_back_then,
)
from tests.race import run_overlapping

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)


@pytest.fixture
def pack(frozen_clock, downtown):
    """A committed 10-visit card of a member whose status is up to date, started 10 days ago."""
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    return MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True), start=TODAY - 10 * DAY
    )


def fresh(membership: Membership) -> Membership:
    # As a desk loads it when its request starts.
    return Membership.objects.select_related("member__home_club", "plan").get(pk=membership.pk)


def renew(membership):
    current = fresh(membership)
    return lambda: sales.renew(current, method=Payment.Method.CASH)


def freeze_next_week(membership):
    current = fresh(membership)
    return lambda: freezes.freeze(current, start=TODAY + 7 * DAY, end=TODAY + 13 * DAY)


def end_freeze_today(membership):
    running = freeze_made_back_then(fresh(membership), start=TODAY - 2 * DAY, end=TODAY + 4 * DAY)
    return lambda: freezes.unfreeze(running, on=TODAY)


def cancel_planned_freeze(membership):
    planned = freezes.freeze(fresh(membership), start=TODAY + 7 * DAY, end=TODAY + 13 * DAY)
    return lambda: freezes.cancel(planned)


def check_in(membership):
    member = Member.objects.get(pk=membership.member_id)
    return lambda: checkins.check_in(member, source=Source.TURNSTILE)


def undo_a_visit(membership):
    visit = checkins.check_in(
        Member.objects.get(pk=membership.member_id),
        source=Source.DESK,
        at=clock.now() - dt.timedelta(hours=1),
    )
    return lambda: checkins.undo_visit(visit.pk, member_id=membership.member_id, by=None)


@pytest.mark.parametrize("desk", [renew, freeze_next_week, end_freeze_today, cancel_planned_freeze])
@pytest.mark.parametrize("member_side", [check_in, undo_a_visit])
def test_a_desk_changing_a_pack_while_its_member_scans_or_is_undone_does_not_deadlock(
    pack, desk, member_side
):
    # given the member's scan (or an undo of their visit) and the desk's change ready to go
    member_call = member_side(pack)
    desk_call = desk(pack)
    visits_left = fresh(pack).visits_left

    # when the scan lands while the desk's transaction is open
    outcome = run_overlapping(desk_call, member_call)

    # then both went through, one after the other: the visit was spent, or given back
    assert outcome.errors == []
    spent = 1 if member_side is check_in else -1
    assert fresh(pack).visits_left == visits_left - spent


def test_a_scan_while_the_desk_freezes_today_is_turned_away_as_frozen(frozen_clock, maya):
    # given Maya's monthly membership, which the desk is about to freeze from today
    month = fresh(maya.memberships.get())
    freeze_today = lambda: freezes.freeze(month, start=TODAY, end=TODAY + 6 * DAY)  # noqa: E731

    # when her card is scanned while the freeze's transaction is open
    outcome = run_overlapping(freeze_today, check_in(month))

    # then the scan waited for the freeze and was refused, rather than let in on a frozen day
    assert outcome.errors == []
    assert isinstance(outcome.results[1], CheckInAttempt)
    assert outcome.results[1].reason == CheckInAttempt.Reason.FROZEN
    assert not Visit.objects.filter(member=maya).exists()


def test_a_no_show_marked_while_the_desk_undoes_the_check_in_does_not_deadlock(
    frozen_clock, maya, downtown, tom
):
    # given Maya checked in and was marked attended for the class that began 10 minutes ago
    started = ClassSessionFactory(club=downtown, start=clock.now() - dt.timedelta(minutes=10))
    booking = BookingFactory(session=started, member=maya)
    visit = checkins.check_in(maya, source=Source.DESK)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED

    # when the trainer marks her a no-show while the desk undoes her check-in
    outcome = run_overlapping(
        lambda: bookings.mark_no_show(booking, by=tom),
        lambda: checkins.undo_visit(visit.pk, member_id=maya.pk, by=None),
    )

    # then both went through: the visit is gone and the trainer's no-show stands
    assert outcome.errors == []
    assert not Visit.objects.filter(pk=visit.pk).exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


# --- renewing a pack while a scan spends it, as the member's status changes ---------------


def test_renewing_a_pack_while_it_is_scanned_and_the_status_changes_does_not_deadlock(
    frozen_clock, downtown
):
    """The interleaving the renewal's status update used to deadlock in: the renewal locks
    the pack, the scan locks the member and waits for the pack, then the renewal updates the
    member's status. A third transaction holding the renewal's insert forces that order."""
    # given a pack in force whose member still reads "lead" (the quarter-hourly refresh
    # has not run since it started), so selling the renewal changes the status
    member = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    pack = MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True))
    current = fresh(pack)
    errors: list[BaseException] = []

    def run(fn):
        def call():
            try:
                fn()
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=call)
        thread.start()
        return thread

    # and another transaction holding, uncommitted, a row the renewal's insert must wait for
    # (a renewal of the same pack: the one-to-one renewed_from index makes the insert wait)
    inserted, release = threading.Event(), threading.Event()

    def hold_the_renewal_insert():
        with transaction.atomic():
            MembershipFactory(member=member, plan=pack.plan, start=TODAY, renewed_from=pack)
            inserted.set()
            release.wait(30)
            transaction.set_rollback(True)

    holder = run(hold_the_renewal_insert)
    assert inserted.wait(30)

    # when the desk renews the pack (it stops at its insert) and the card is scanned
    renewing = run(lambda: sales.renew(current, method=Payment.Method.CASH))
    wait_for_lock_waits(1)
    scanning = run(lambda: checkins.check_in(member, source=Source.TURNSTILE))
    wait_for_lock_waits(2)
    release.set()  # the holder gives up; the renewal carries on
    for thread in (holder, renewing, scanning):
        thread.join(30)

    # then both went through: one renewal sold, one visit spent, and the member is a member
    assert errors == []
    assert Membership.objects.filter(renewed_from=pack).count() == 1
    assert Visit.objects.filter(member=member).count() == 1
    assert fresh(pack).visits_left == 9
    member.refresh_from_db()
    assert member.status == Member.Status.MEMBER


def wait_for_lock_waits(count: int, timeout: float = 30.0) -> None:
    """Until `count` other connections to the test database wait for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.01)
    raise TimeoutError(f"Fewer than {count} connections waited for a lock.")


def test_a_freeze_that_does_not_fit_is_still_refused_under_the_member_lock(pack):
    # given a pack that ends in 170 days; when a freeze reversed in time is asked for
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        freezes.freeze(fresh(pack), start=TODAY + 7 * DAY, end=TODAY + 6 * DAY)

    # then nothing was frozen and the lock went with the transaction
    assert not Freeze.objects.filter(membership=pack).exists()
    assert isinstance(checkins.check_in(pack.member, source=Source.DESK), Visit)


# --- a plan sold to follow a membership while a freeze of it moves its end ----------------


def sell_the_day_after(month: Membership):
    # As the desk does once told "start on <the day after the current end>".
    member, plan = Member.objects.get(pk=month.member_id), month.plan
    start = fresh(month).end + DAY
    return lambda: sales.sell(member, plan, start=start, method=Payment.Method.CASH)


@pytest.mark.parametrize("desk", [freeze_next_week, cancel_planned_freeze])
def test_a_freeze_or_its_cancellation_waits_for_a_sale_and_moves_what_it_sold(
    frozen_clock, maya, desk
):
    # given Maya's month, the desk's freeze (or the cancellation of a planned one) ready, and
    # another desk selling her next month to start the day after the month now ends
    month = maya.memberships.get()
    desk_call = desk(month)
    sale = sell_the_day_after(month)

    # when the freeze or cancellation lands while the sale's transaction is open
    outcome = run_overlapping(sale, desk_call)

    # then it waited for the sale and moved the month sold, which still starts the day after
    assert outcome.errors == []
    sold = outcome.results[0]
    assert fresh(sold).start == fresh(month).end + DAY
    assert fresh(sold).renewed_from is None


# --- a freeze cancelling classes while others book, cancel or scan ------------------------


@pytest.mark.parametrize(
    "other",
    ["another member cancels", "another member books", "her card is scanned"],
)
def test_a_freeze_cancelling_her_class_while_others_use_it_does_not_deadlock(
    frozen_clock, maya, downtown, other
):
    # given Maya booked on a full class inside next week's freeze, with Noor waiting
    full = ClassSessionFactory(club=downtown, start=clock.now() + 8 * DAY, capacity=2)
    mine = BookingFactory(session=full, member=maya)
    theirs = BookingFactory(session=full)
    noor = BookingFactory(session=full, status=Booking.Status.WAITLISTED, waitlist_position=1)
    month = fresh(maya.memberships.get())
    newcomer = MemberFactory(home_club=downtown)
    MembershipFactory(member=newcomer, plan=month.plan)
    calls = {
        "another member cancels": lambda: bookings.cancel(theirs),
        "another member books": lambda: bookings.book(newcomer, full),
        "her card is scanned": check_in(month),
    }

    # when the freeze (member, membership, then the class) and the other call overlap
    outcome = run_overlapping(
        lambda: bookings.freeze_membership(month, start=TODAY + 7 * DAY, end=TODAY + 13 * DAY),
        calls[other],
    )

    # then both went through: Maya's seat is cancelled and Noor holds a seat
    assert outcome.errors == []
    mine.refresh_from_db()
    noor.refresh_from_db()
    assert (mine.status, noor.status) == (Booking.Status.CANCELLED, Booking.Status.BOOKED)
