"""analytics.frames on PostgreSQL: the COPY loader gives the frames the ORM loader gives."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from analytics import frames
from campaigns.models import Rule, Touchpoint
from checkin.models import Booking
from members.models import Member
from memberships.models import Membership
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    VisitFactory,
)

T = dt.datetime(2026, 3, 2, 9, 0, 0, 500_000, tzinfo=dt.UTC)  # half a second: truncated
D = dt.date.fromisoformat
MEMBERS = Member.objects.values("pk")

LOADERS = {
    "memberships": lambda clubs: frames.memberships(clubs=clubs),
    "renewal_memberships": lambda clubs: frames.renewal_memberships(
        clubs=clubs, start=D("2026-01-01"), end=D("2026-12-31")
    ),
    "weekly_visits": lambda clubs: frames.weekly_visits(
        clubs=clubs, since=D("2026-01-01"), until=D("2026-12-31")
    ),
    "members": lambda clubs: frames.members(clubs=clubs),
    "trial_bookings": lambda clubs: frames.trial_bookings(
        members=MEMBERS.filter(home_club__in=clubs)
    ),
    "touchpoints": lambda clubs: frames.touchpoints(
        clubs=clubs, since=T - dt.timedelta(days=1), until=T + dt.timedelta(days=1)
    ),
}


# The COPY loader is PostgreSQL's.
pytestmark = pytest.mark.postgres


@pytest.fixture
def history(db, downtown):
    """A little of everything the loaders read, with NULLs and an empty last name."""
    # Amsterdam is UTC+1 in March: bought at 23:30 UTC on 31 March is 1 April there.
    bought = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    anna = MemberFactory(home_club=downtown, first_name="Anna", last_name="")
    ben = MemberFactory(home_club=downtown, first_name="Ben", last_name="Bakker")
    monthly = PlanFactory(club=downtown, name="Monthly", price=Decimal("49.95"))
    first = MembershipFactory(
        member=anna, plan=monthly, start=D("2026-03-03"), end=D("2026-04-01"), created_at=bought
    )
    MembershipFactory(
        member=anna, plan=monthly, start=D("2026-04-02"), end=D("2026-05-01"), renewed_from=first,
        price_paid=Decimal("0.10"), created_at=bought,
    )  # fmt: skip
    MembershipFactory(
        member=ben, plan=PlanFactory(club=downtown, trial=True), start=D("2026-03-01"),
        end=D("2026-03-07"), status=Membership.Status.CANCELLED, created_at=T,
    )  # fmt: skip
    VisitFactory(member=anna, at=T)
    VisitFactory(member=anna, at=dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC))  # Monday there
    for status in [Booking.Status.ATTENDED, Booking.Status.NO_SHOW]:
        session = ClassSessionFactory(club=downtown, start=T)
        BookingFactory(member=ben, session=session, is_trial=True, status=status)
    rule = Rule.objects.get(number=14)
    for member, status, sent in [(anna, "sent", T), (ben, "held_out", None)]:
        Touchpoint.objects.create(
            rule=rule, member=member, club=downtown, occurrence_key=f"test:{member.pk}",
            channel=rule.channel, status=status, due_at=T, send_at=T, sent_at=sent,
            explanation="test", created_at=T,
        )  # fmt: skip


def _through_the_orm(monkeypatch, load):
    with monkeypatch.context() as patched:
        patched.delitem(frames._READERS, "postgresql")
        return load()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns[:2]), ignore_index=True)


@pytest.mark.parametrize("loader", LOADERS)
def test_the_copy_loader_gives_the_orm_loader_s_frame(history, downtown, monkeypatch, loader):
    # when
    copied = LOADERS[loader]([downtown])
    read = _through_the_orm(monkeypatch, lambda: LOADERS[loader]([downtown]))

    # then: same columns, dtypes, values and NULLs (row order is the database's)
    assert len(copied) > 0
    pd.testing.assert_frame_equal(_sorted(copied), _sorted(read), check_exact=True)


@pytest.mark.parametrize("loader", LOADERS)
def test_the_copy_loader_gives_the_orm_loader_s_empty_frame(
    history, riverside, monkeypatch, loader
):
    # when: Riverside has nothing
    copied = LOADERS[loader]([riverside])
    read = _through_the_orm(monkeypatch, lambda: LOADERS[loader]([riverside]))

    # then
    assert copied.empty
    pd.testing.assert_frame_equal(copied, read, check_exact=True)


def test_the_copy_loader_reads_nulls_dates_and_instants(history, downtown):
    # when
    held = frames.memberships(clubs=[downtown]).sort_values("start", ignore_index=True)
    trials = frames.trial_bookings(members=MEMBERS).sort_values("status", ignore_index=True)
    people = frames.members(clubs=[downtown]).sort_values("name", ignore_index=True)

    # then
    assert held[["plan_kind", "start", "bought", "price_paid"]].astype(str).values.tolist() == [
        ["trial", "2026-03-01", "2026-03-02", "0.0"],
        ["time", "2026-03-03", "2026-04-01", "49.95"],
        ["time", "2026-04-02", "2026-04-01", "0.1"],
    ]
    assert held["renewed_from_id"].isna().tolist() == [True, True, False]
    assert held["window_visits"].tolist() == [0, 0, 0]
    assert trials["attended"].tolist()[0] == pd.Timestamp("2026-03-02 09:00:00+00:00")
    assert trials["attended"].isna().tolist() == [False, True]
    assert people["name"].tolist() == ["Anna", "Ben Bakker"]
