"""Freezes: access pauses and the end date moves by exactly the frozen days."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.exceptions import ValidationError

from members.models import MemberEvent
from memberships import freezes, sales
from memberships.models import Freeze, Membership, Payment
from tests.factories import (
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    freeze_made_back_then,
)
from tests.race import run_concurrently, run_overlapping

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 1)
END = dt.date(2026, 3, 30)  # thirty days, both included


@pytest.fixture(autouse=True)
def on_the_first_day():
    """Today is the membership's first day, so its freezes start today or later (a freeze may
    not start in the past); a test that asks for `frozen_clock` moves to 23 Nov 2026 within."""
    with time_machine.travel("2026-03-01 08:00:00+00:00", tick=False) as traveller:
        yield traveller


def day(n: int) -> dt.date:
    """The n-th day of the membership, counting from 1."""
    return START + dt.timedelta(days=n - 1)


@pytest.fixture
def month(maya, monthly_plan):
    return MembershipFactory(member=maya, plan=monthly_plan, start=START, end=END)


def reload(membership: Membership) -> Membership:
    return Membership.objects.get(pk=membership.pk)


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        pytest.param(day(5), day(5), 1, id="one-day"),
        pytest.param(day(10), day(16), 7, id="a-week"),
        pytest.param(day(30), day(59), 30, id="from-the-last-day"),
        pytest.param(day(1), day(1), 1, id="on-the-first-day"),
    ],
)
def test_a_freeze_moves_the_end_by_its_length(month, fiona, first, last, days):
    # given a thirty-day membership
    # when it is frozen from `first` to `last`, both included
    frozen = freezes.freeze(month, start=first, end=last, reason="Holiday", created_by=fiona)

    # then the end moves by exactly the frozen days, in the database and on the caller's object
    new_end = END + dt.timedelta(days=days)
    assert frozen.days == days
    assert reload(month).end == new_end
    assert month.end == new_end
    assert (frozen.start, frozen.end, frozen.reason, frozen.created_by) == (
        first,
        last,
        "Holiday",
        fiona,
    )
    # and the timeline has it
    event = MemberEvent.objects.get(member=month.member)
    assert event.kind == MemberEvent.Kind.MEMBERSHIP_FROZEN
    assert event.actor == fiona
    assert event.data == {
        "membership": month.pk,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "reason": "Holiday",
        "new_end": new_end.isoformat(),
        "renewals_moved": [],
    }


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(day(5), day(10), id="ends-on-its-first-day"),
        pytest.param(day(16), day(20), id="starts-on-its-last-day"),
        pytest.param(day(12), day(13), id="inside-it"),
        pytest.param(day(8), day(20), id="around-it"),
        pytest.param(day(10), day(16), id="the-same"),
    ],
)
def test_an_overlapping_freeze_is_refused_and_changes_nothing(month, first, last):
    # given a membership frozen on days 10 to 16
    freezes.freeze(month, start=day(10), end=day(16))
    end_before = reload(month).end
    events_before = MemberEvent.objects.count()

    # when another freeze overlapping it is asked for
    with pytest.raises(ValidationError) as error:
        freezes.freeze(month, start=first, end=last)

    # then it is refused with a reason, and nothing moved
    assert error.value.message_dict == {
        "start": ["This freeze overlaps another freeze of the membership."]
    }
    assert Freeze.objects.filter(membership=month).count() == 1
    assert reload(month).end == end_before == END + dt.timedelta(days=7)
    assert MemberEvent.objects.count() == events_before


def test_adjacent_freezes_are_fine(month):
    # given a membership frozen on days 10 to 16
    freezes.freeze(month, start=day(10), end=day(16))

    # when it is also frozen the days just before and just after
    freezes.freeze(month, start=day(3), end=day(9))
    freezes.freeze(month, start=day(17), end=day(18))

    # then all three stand and the end moved by all their days
    assert sorted(Freeze.objects.filter(membership=month).values_list("start", "end")) == [
        (day(3), day(9)),
        (day(10), day(16)),
        (day(17), day(18)),
    ]
    assert reload(month).end == END + dt.timedelta(days=7 + 7 + 2)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        pytest.param(day(10), day(9), "end", id="reversed"),
        pytest.param(START - dt.timedelta(days=1), day(5), "start", id="before-the-start"),
        pytest.param(day(31), day(35), "start", id="after-the-end"),
    ],
)
def test_a_freeze_with_impossible_dates_is_refused(month, first, last, field):
    # given a thirty-day membership
    # when a freeze is asked for with dates that make no sense for it
    with pytest.raises(ValidationError) as error:
        freezes.freeze(month, start=first, end=last)

    # then the error is on the right field and nothing changed
    assert list(error.value.message_dict) == [field]
    assert Freeze.objects.count() == 0
    assert reload(month).end == END


def allow_freezes_of(club, days: int) -> None:
    club.max_freeze_days = days
    club.save(update_fields=["max_freeze_days"])


@pytest.mark.parametrize("limit", [pytest.param(90, id="default"), pytest.param(14, id="own")])
def test_a_freeze_of_the_clubs_maximum_is_fine(month, downtown, limit):
    # given Downtown's longest freeze (90 days unless the club set its own)
    if limit != 90:
        allow_freezes_of(downtown, limit)

    # when a freeze of exactly that length is added
    freezes.freeze(reload(month), start=day(1), end=day(limit))

    # then it stands and the end moved by all its days
    assert reload(month).end == END + dt.timedelta(days=limit)


@pytest.mark.parametrize("limit", [pytest.param(90, id="default"), pytest.param(14, id="own")])
def test_a_freeze_longer_than_the_clubs_maximum_is_refused(month, downtown, limit):
    # given Downtown's longest freeze
    if limit != 90:
        allow_freezes_of(downtown, limit)

    # when a freeze a day longer is asked for
    with pytest.raises(ValidationError) as error:
        freezes.freeze(reload(month), start=day(1), end=day(limit + 1))

    # then its last day is refused with the club's maximum, and nothing changed
    assert error.value.message_dict == {
        "end": [f"A freeze at Downtown lasts at most {limit} days; this one is {limit + 1}."]
    }
    assert not Freeze.objects.exists()
    assert reload(month).end == END


def test_freezes_back_to_back_stop_at_the_clubs_maximum_in_total(month, downtown):
    # given a 14-day limit and two freezes of the same membership using 10 of those days
    allow_freezes_of(downtown, 14)
    freezes.freeze(reload(month), start=day(1), end=day(6))
    freezes.freeze(reload(month), start=day(7), end=day(10))
    end = reload(month).end

    # when a third freeze of five days is asked for, back to back
    with pytest.raises(ValidationError) as error:
        freezes.freeze(reload(month), start=day(11), end=day(15))

    # then it is refused with the days left, and nothing changed; four days still fit
    assert error.value.message_dict == {
        "end": [
            "Freezes of one membership at Downtown total at most 14 days: 10 used, 4 left; "
            "this one is 5."
        ]
    }
    assert Freeze.objects.count() == 2
    assert reload(month).end == end
    freezes.freeze(reload(month), start=day(11), end=day(14))
    assert reload(month).end == end + dt.timedelta(days=4)


def test_unfreezing_early_gives_back_the_unused_days(month, fiona):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))

    # when the member comes back on day 13
    done = freezes.unfreeze(frozen, on=day(13), by=fiona)

    # then the freeze covers days 10 to 12, and the end moved by those three days only
    shortened = done.freeze
    shortened.refresh_from_db()
    assert (shortened.start, shortened.end, shortened.days) == (day(10), day(12), 3)
    assert reload(month).end == END + dt.timedelta(days=3)
    event = MemberEvent.objects.filter(member=month.member).first()
    assert event.kind == MemberEvent.Kind.MEMBERSHIP_UNFROZEN
    assert event.actor == fiona
    assert event.data == {
        "membership": month.pk,
        "on": day(13).isoformat(),
        "new_end": (END + dt.timedelta(days=3)).isoformat(),
        "renewals_moved": [],
    }
    # and the event it wrote is the one returned
    assert done.event == event


def test_unfreezing_on_the_first_day_removes_the_freeze(month):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))

    # when the member is back on day 10 after all
    freezes.unfreeze(frozen, on=day(10))

    # then there is no freeze and the end is where it was
    assert Freeze.objects.filter(membership=month).count() == 0
    assert reload(month).end == END


def test_unfreezing_a_freeze_already_removed_changes_nothing(month):
    # given a freeze a second desk has just ended on its first day
    frozen = freezes.freeze(month, start=day(10), end=day(16))
    first = freezes.unfreeze(frozen, on=day(10))

    # when this desk ends it too
    again = freezes.unfreeze(frozen, on=day(10))

    # then the days came back once, and this desk is given the first desk's event
    assert reload(month).end == END
    assert again.event == first.event
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN).count() == 1


def test_unfreezing_the_day_after_it_ends_changes_nothing(month):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))
    events_before = MemberEvent.objects.count()

    # when it is "ended" on day 17, when it was over anyway
    done = freezes.unfreeze(frozen, on=day(17))

    # then the freeze and the end stay as they were, and no event says it was ended
    frozen.refresh_from_db()
    assert (frozen.start, frozen.end) == (day(10), day(16))
    assert reload(month).end == END + dt.timedelta(days=7)
    assert MemberEvent.objects.count() == events_before
    assert done.event is None


@pytest.mark.parametrize("on", [day(9), day(18)])
def test_a_freeze_can_only_be_ended_while_it_runs(month, on):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))

    # when it is ended before it started, or well after it ended
    with pytest.raises(ValidationError) as error:
        freezes.unfreeze(frozen, on=on)

    # then it is refused and nothing moved
    assert list(error.value.message_dict) == ["on"]
    assert reload(month).end == END + dt.timedelta(days=7)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_desks_freezing_overlapping_days_at_once_make_one_freeze():
    # given a committed thirty-day membership
    month = MembershipFactory(start=START, end=END)
    ranges = iter([(day(10), day(16)), (day(12), day(18))])

    def freeze_next_range():
        first, last = next(ranges)
        return freezes.freeze(Membership.objects.get(pk=month.pk), start=first, end=last)

    # when two desks freeze overlapping ranges at the same instant
    outcome = run_concurrently(freeze_next_range, threads=2)

    # then one freeze stands, the other is refused, and the end moved once
    assert len(outcome.results) == 1
    assert len(outcome.errors_of(ValidationError)) == 1
    assert len(outcome.errors) == 1
    (frozen,) = Freeze.objects.filter(membership=month)
    assert reload(month).end == END + dt.timedelta(days=frozen.days)
    assert frozen.days == 7


# --- the renewal chain moves with the end ----------------------------------------------

TODAY = dt.date(2026, 11, 23)  # the date at Downtown under the frozen clock


def dates(membership: Membership) -> tuple[dt.date, dt.date]:
    membership.refresh_from_db()
    return (membership.start, membership.end)


@pytest.fixture
def chain(frozen_clock, downtown):
    """An annual membership (13 Dec 2025 – 12 Dec 2026) renewed early twice: another year
    (13 Dec 2026 – 12 Dec 2027), then a 180-day pack (13 Dec 2027 – 9 Jun 2028), queued as it
    was before renewals opened 90 days ahead at most (sales.too_early_to_renew); and beside
    them a pack bought on its own, which is in no chain."""
    member = MemberFactory(home_club=downtown)
    annual = MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, name="Annual", duration_days=365),
        start=dt.date(2025, 12, 13),
    )
    renewal = sales.renew(annual, method=Payment.Method.CASH)
    pack = MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, pack=True),
        start=renewal.end + dt.timedelta(days=1),
        renewed_from=renewal,
    )
    beside = MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True))
    return annual, renewal, pack, beside


def test_renewals_bought_early_are_queued_back_to_back(chain):
    # the starting point of the tests below: renew() queues each renewal after the one before
    assert [dates(m) for m in chain] == [
        (dt.date(2025, 12, 13), dt.date(2026, 12, 12)),
        (dt.date(2026, 12, 13), dt.date(2027, 12, 12)),
        (dt.date(2027, 12, 13), dt.date(2028, 6, 9)),
        (TODAY, dt.date(2027, 5, 21)),
    ]


def test_a_freeze_moves_the_renewals_queued_behind_it(chain, fiona):
    annual, renewal, pack, beside = chain

    # when the annual membership is frozen from 1 to 14 December
    freezes.freeze(annual, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14), created_by=fiona)

    # then it ends 14 days later, and both renewals follow it back to back, 14 days later
    assert dates(annual) == (dt.date(2025, 12, 13), dt.date(2026, 12, 26))
    assert dates(renewal) == (dt.date(2026, 12, 27), dt.date(2027, 12, 26))
    assert dates(pack) == (dt.date(2027, 12, 27), dt.date(2028, 6, 23))
    # and the pack keeps its visits, the pack in no chain stays, and the timeline says so
    assert pack.visits_left == 10
    assert dates(beside) == (TODAY, dt.date(2027, 5, 21))
    event = MemberEvent.objects.filter(kind=MemberEvent.Kind.MEMBERSHIP_FROZEN).get()
    assert event.data["renewals_moved"] == [renewal.pk, pack.pk]


def test_ending_a_freeze_early_moves_the_queued_renewals_back(chain):
    annual, renewal, pack, _ = chain
    frozen = freezes.freeze(annual, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14))

    # when the member is back on 5 December: ten of the fourteen days are unused
    freezes.unfreeze(frozen, on=dt.date(2026, 12, 5))

    # then the membership and its renewals end four days later than before the freeze
    assert dates(annual) == (dt.date(2025, 12, 13), dt.date(2026, 12, 16))
    assert dates(renewal) == (dt.date(2026, 12, 17), dt.date(2027, 12, 16))
    assert dates(pack) == (dt.date(2027, 12, 17), dt.date(2028, 6, 13))


def test_cancelling_a_planned_freeze_gives_all_its_days_back(chain, fiona):
    annual, renewal, pack, _ = chain
    frozen = freezes.freeze(annual, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14))

    # when the freeze, still to come, is cancelled
    freezes.cancel(frozen, by=fiona)

    # then it is gone and the chain is where it was before the freeze
    assert not Freeze.objects.filter(membership=annual).exists()
    assert dates(annual) == (dt.date(2025, 12, 13), dt.date(2026, 12, 12))
    assert dates(renewal) == (dt.date(2026, 12, 13), dt.date(2027, 12, 12))
    assert dates(pack) == (dt.date(2027, 12, 13), dt.date(2028, 6, 9))
    # and the timeline has it, with who did it
    event = MemberEvent.objects.filter(kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN).get()
    assert event.actor == fiona
    assert event.data == {
        "membership": annual.pk,
        "cancelled": True,
        "start": "2026-12-01",
        "end": "2026-12-14",
        "new_end": "2026-12-12",
        "renewals_moved": [renewal.pk, pack.pk],
    }


def test_cancelling_a_freeze_twice_gives_its_days_back_once(chain):
    annual, renewal, _, _ = chain
    frozen = freezes.freeze(annual, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14))
    freezes.cancel(frozen)

    # when the desk clicks again with the same (now stale) freeze
    freezes.cancel(frozen)

    # then nothing more moved and the timeline has one cancellation
    assert dates(annual) == (dt.date(2025, 12, 13), dt.date(2026, 12, 12))
    assert dates(renewal) == (dt.date(2026, 12, 13), dt.date(2027, 12, 12))
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN).count() == 1


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        pytest.param(TODAY, TODAY + dt.timedelta(days=6), "has started", id="starts-today"),
        pytest.param(
            TODAY - dt.timedelta(days=2), TODAY + dt.timedelta(days=3), "has started", id="running"
        ),
        pytest.param(
            TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=4), "is over", id="over"
        ),
    ],
)
def test_a_freeze_that_has_started_cannot_be_cancelled(chain, first, last, message):
    annual, renewal, _, _ = chain
    frozen = freeze_made_back_then(annual, start=first, end=last)
    events_before = MemberEvent.objects.count()

    # when the desk tries to cancel it
    with pytest.raises(ValidationError, match=message):
        freezes.cancel(frozen)

    # then it stands and nothing moved back
    days = (last - first).days + 1
    assert Freeze.objects.filter(pk=frozen.pk).exists()
    assert dates(annual)[1] == dt.date(2026, 12, 12) + dt.timedelta(days=days)
    assert dates(renewal)[0] == dt.date(2026, 12, 13) + dt.timedelta(days=days)
    assert MemberEvent.objects.count() == events_before


@pytest.fixture
def sold_after_a_gap(frozen_clock, downtown, monthly_plan):
    """A month running 13 Nov – 12 Dec, and another sold on its own from 20 Dec: not queued.
    (A freeze may not start in the past, so the gap is ahead: once a membership has run out,
    it can no longer be frozen into the one renewed after it.)"""
    member = MemberFactory(home_club=downtown)
    current = MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 11, 13))
    later = MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 12, 20))
    return current, later


def test_a_freeze_that_fits_the_gap_before_a_later_membership_leaves_it_alone(
    sold_after_a_gap,
):
    current, later = sold_after_a_gap

    # when the month is frozen for three days
    freezes.freeze(current, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 3))

    # then it ends on 15 December and the later month keeps the start it was sold with
    assert dates(current)[1] == dt.date(2026, 12, 15)
    assert dates(later) == (dt.date(2026, 12, 20), dt.date(2027, 1, 18))


def test_a_freeze_that_would_run_into_a_later_membership_is_refused(sold_after_a_gap):
    current, later = sold_after_a_gap

    # when the month is frozen for three weeks, past the later one's start
    with pytest.raises(ValidationError, match="run into the next one, Monthly from 20 Dec 2026"):
        freezes.freeze(current, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 21))

    # then nothing changed
    assert not Freeze.objects.exists()
    assert dates(current) == (dt.date(2026, 11, 13), dt.date(2026, 12, 12))
    assert dates(later) == (dt.date(2026, 12, 20), dt.date(2027, 1, 18))


def test_a_freeze_that_would_move_a_renewal_away_from_its_own_freeze_is_refused(chain):
    annual, renewal, pack, _ = chain
    # given a freeze planned on the renewal's second week
    FreezeFactory(membership=renewal, start=dt.date(2026, 12, 20), end=dt.date(2026, 12, 26))

    # when the annual membership is frozen for two weeks, which would start the renewal on
    # 27 December, after its freeze
    with pytest.raises(ValidationError, match="freeze from 20 Dec 2026"):
        freezes.freeze(annual, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14))

    # then nothing moved
    assert not Freeze.objects.filter(membership=annual).exists()
    assert dates(annual) == (dt.date(2025, 12, 13), dt.date(2026, 12, 12))
    assert dates(renewal) == (dt.date(2026, 12, 13), dt.date(2027, 12, 12))
    assert dates(pack) == (dt.date(2027, 12, 13), dt.date(2028, 6, 9))


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_freezing_a_membership_and_its_renewal_at_once_keeps_the_chain_back_to_back():
    # given a committed month (1 – 30 March) renewed early (31 March – 29 April)
    month = MembershipFactory(start=START, end=END)
    renewal = MembershipFactory(
        member=month.member, plan=month.plan, start=day(31), renewed_from=month
    )
    jobs = iter([(month, day(10), day(16)), (renewal, day(50), day(52))])

    def freeze_next():
        membership, first, last = next(jobs)
        return freezes.freeze(Membership.objects.get(pk=membership.pk), start=first, end=last)

    # when two desks freeze the month and the renewal at the same instant
    outcome = run_concurrently(freeze_next, threads=2)

    # then both stand: the month ends 7 days later, and the renewal starts right after it
    # and ends 7 + 3 days later
    assert outcome.errors == []
    assert dates(month) == (START, END + dt.timedelta(days=7))
    assert dates(renewal) == (day(38), day(60) + dt.timedelta(days=7 + 3))


# --- a renewal sold while the membership is being frozen ----------------------------------


@pytest.fixture
def committed_month(frozen_clock):
    """A committed month from 1 to 30 December, with today 23 November."""
    return MembershipFactory(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 30))


def renew_it(month: Membership):
    # As the desk does: the membership read when the request starts.
    current = Membership.objects.select_related("member__home_club", "plan").get(pk=month.pk)
    return lambda: sales.renew(current, method=Payment.Method.CASH)


def freeze_it(month: Membership):
    def freeze_a_week():
        current = Membership.objects.get(pk=month.pk)
        return freezes.freeze(current, start=dt.date(2026, 12, 10), end=dt.date(2026, 12, 16))

    return freeze_a_week


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("renew_first", [True, False], ids=["renewal-first", "freeze-first"])
def test_a_renewal_sold_during_a_freeze_starts_after_the_frozen_end(committed_month, renew_first):
    month = committed_month
    renew, freeze = renew_it(month), freeze_it(month)

    # when one desk renews the month while another freezes a week of it, the second desk's
    # call landing while the first one's transaction is still open
    outcome = run_overlapping(renew, freeze) if renew_first else run_overlapping(freeze, renew)

    # then both stand: the month ends a week later and the renewal follows it, not overlapping
    assert outcome.errors == []
    assert dates(month) == (dt.date(2026, 12, 1), dt.date(2027, 1, 6))
    renewal = Membership.objects.get(renewed_from=month)
    assert dates(renewal) == (dt.date(2027, 1, 7), dt.date(2027, 2, 5))


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_renewal_and_a_freeze_at_the_same_instant_leave_no_overlap(committed_month):
    month = committed_month
    jobs = iter([renew_it(month), freeze_it(month)])

    # when the two desks press their buttons at the same instant, in whatever order they land
    outcome = run_concurrently(lambda: next(jobs)(), threads=2)

    # then the renewal starts the day after the frozen month ends
    assert outcome.errors == []
    assert dates(month)[1] == dt.date(2027, 1, 6)
    renewal = Membership.objects.get(renewed_from=month)
    assert dates(renewal) == (dt.date(2027, 1, 7), dt.date(2027, 2, 5))


# --- a plan sold on its own to start after the current one is queued too ----------------


def assert_no_overlap(member) -> None:
    counted = member.memberships.not_cancelled()
    for first, second in itertools.combinations(counted, 2):
        assert first.end < second.start or second.end < first.start, (first, second)


@pytest.fixture
def sold_next(frozen_clock, downtown, monthly_plan):
    """Fleur's Monthly (23 Nov – 22 Dec 2026) and a Monthly sold on its own to start the day
    after, as the desk suggests (23 Dec 2026 – 21 Jan 2027); beside them a cancelled one of
    hers that would be queued after it, and another member's Monthly from 23 December."""
    fleur = MemberFactory(home_club=downtown, first_name="Fleur")
    current = MembershipFactory(member=fleur, plan=monthly_plan)
    following = sales.sell(
        fleur, monthly_plan, start=dt.date(2026, 12, 23), method=Payment.Method.CASH
    )
    cancelled = MembershipFactory(
        member=fleur,
        plan=monthly_plan,
        start=dt.date(2027, 1, 22),
        status=Membership.Status.CANCELLED,
    )
    others = MembershipFactory(plan=monthly_plan, start=dt.date(2026, 12, 23))
    return current, following, cancelled, others


def test_a_freeze_moves_a_plan_sold_on_its_own_to_follow(sold_next):
    current, following, cancelled, others = sold_next
    assert following.renewed_from is None

    # when Fleur's Monthly is frozen from 1 to 10 December
    freezes.freeze(current, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 10))

    # then it ends 10 days later and the next Monthly follows it, 10 days later
    assert dates(current) == (TODAY, dt.date(2027, 1, 1))
    assert dates(following) == (dt.date(2027, 1, 2), dt.date(2027, 1, 31))
    # and the cancelled one and the other member's stay where they were
    assert dates(cancelled) == (dt.date(2027, 1, 22), dt.date(2027, 2, 20))
    assert dates(others) == (dt.date(2026, 12, 23), dt.date(2027, 1, 21))
    assert_no_overlap(current.member)
    event = MemberEvent.objects.filter(kind=MemberEvent.Kind.MEMBERSHIP_FROZEN).get()
    assert event.data["renewals_moved"] == [following.pk]


@pytest.mark.parametrize(
    ("give_back", "current_end", "following_dates"),
    [
        pytest.param(
            lambda frozen: freezes.unfreeze(frozen, on=dt.date(2026, 12, 5)),
            dt.date(2026, 12, 26),
            (dt.date(2026, 12, 27), dt.date(2027, 1, 25)),
            id="ended-early",
        ),
        pytest.param(
            lambda frozen: freezes.cancel(frozen),
            dt.date(2026, 12, 22),
            (dt.date(2026, 12, 23), dt.date(2027, 1, 21)),
            id="cancelled",
        ),
    ],
)
def test_giving_freeze_days_back_moves_a_plan_sold_on_its_own_back(
    sold_next, give_back, current_end, following_dates
):
    current, following, cancelled, others = sold_next
    frozen = freezes.freeze(current, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 10))

    # when the freeze is ended on 5 December (six days unused), or cancelled before it starts
    give_back(frozen)

    # then the next Monthly still starts the day after the current one ends
    assert dates(current) == (TODAY, current_end)
    assert dates(following) == following_dates
    assert dates(cancelled) == (dt.date(2027, 1, 22), dt.date(2027, 2, 20))
    assert dates(others) == (dt.date(2026, 12, 23), dt.date(2027, 1, 21))
    assert_no_overlap(current.member)


def test_a_renewal_and_a_plan_sold_after_it_move_as_one_queue(sold_next):
    current, following, _, _ = sold_next
    # given the next Monthly renewed early, so behind Fleur's Monthly are one plan sold on its
    # own and then a renewal linked to it
    renewal = sales.renew(following, method=Payment.Method.CASH)

    # when the current Monthly is frozen for a week
    freezes.freeze(current, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 7))

    # then both move a week, back to back
    assert dates(current)[1] == dt.date(2026, 12, 29)
    assert dates(following) == (dt.date(2026, 12, 30), dt.date(2027, 1, 28))
    assert dates(renewal) == (dt.date(2027, 1, 29), dt.date(2027, 2, 27))
    assert_no_overlap(current.member)


@pytest.mark.parametrize(
    ("last", "refused"),
    [
        pytest.param(dt.date(2026, 12, 9), False, id="fits-the-gap"),
        pytest.param(dt.date(2026, 12, 10), True, id="one-day-too-many"),
    ],
)
def test_a_freeze_into_a_plan_sold_after_a_gap_is_refused(
    frozen_clock, downtown, monthly_plan, last, refused
):
    # given Fleur's Monthly until 22 December and one sold to start on 1 January, after a gap
    fleur = MemberFactory(home_club=downtown, first_name="Fleur")
    current = MembershipFactory(member=fleur, plan=monthly_plan)
    later = sales.sell(fleur, monthly_plan, start=dt.date(2027, 1, 1), method=Payment.Method.CASH)

    # when the current one is frozen from 1 December: nine days end it on 31 December
    freeze = lambda: freezes.freeze(current, start=dt.date(2026, 12, 1), end=last)  # noqa: E731
    if refused:
        with pytest.raises(ValidationError, match="run into the next one, Monthly from 1 Jan 2027"):
            freeze()
    else:
        freeze()

    # then the later one keeps its dates, and the current one moved only if it fits
    assert dates(later) == (dt.date(2027, 1, 1), dt.date(2027, 1, 30))
    assert dates(current)[1] == (dt.date(2026, 12, 22) if refused else dt.date(2026, 12, 31))
    assert Freeze.objects.filter(membership=current).exists() is not refused
    assert_no_overlap(fleur)
