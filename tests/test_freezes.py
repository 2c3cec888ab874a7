"""Freezes: access pauses and the end date moves by exactly the frozen days."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from members.models import MemberEvent
from memberships import freezes
from memberships.models import Freeze, Membership
from tests.factories import MembershipFactory
from tests.race import run_concurrently

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 1)
END = dt.date(2026, 3, 30)  # thirty days, both included


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


def test_unfreezing_early_gives_back_the_unused_days(month, fiona):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))

    # when the member comes back on day 13
    shortened = freezes.unfreeze(frozen, on=day(13), by=fiona)

    # then the freeze covers days 10 to 12, and the end moved by those three days only
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
    }


def test_unfreezing_on_the_first_day_removes_the_freeze(month):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))

    # when the member is back on day 10 after all
    freezes.unfreeze(frozen, on=day(10))

    # then there is no freeze and the end is where it was
    assert Freeze.objects.filter(membership=month).count() == 0
    assert reload(month).end == END


def test_unfreezing_the_day_after_it_ends_changes_nothing(month):
    # given a week's freeze on days 10 to 16
    frozen = freezes.freeze(month, start=day(10), end=day(16))
    events_before = MemberEvent.objects.count()

    # when it is "ended" on day 17, when it was over anyway
    freezes.unfreeze(frozen, on=day(17))

    # then the freeze and the end stay as they were
    frozen.refresh_from_db()
    assert (frozen.start, frozen.end) == (day(10), day(16))
    assert reload(month).end == END + dt.timedelta(days=7)
    assert MemberEvent.objects.count() == events_before


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
