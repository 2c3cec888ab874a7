"""renewal_report: the renewal numbers for scripts, loaded from the database."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics import frames
from club import clock
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory

D = dt.date.fromisoformat


def at(day: str, time: str, club) -> dt.datetime:
    return clock.local_datetime(D(day), dt.time.fromisoformat(time), club)


@pytest.fixture
def march(downtown, riverside):
    """Downtown: Anna renews early after 5 visits in her last 30 days, Ben lapses unseen.
    Riverside: Cleo comes back 10 days after her end, unlinked: a late renewal."""
    monthly = PlanFactory(club=downtown, name="Monthly")
    anna, ben = MemberFactory.create_batch(2, home_club=downtown)
    first = MembershipFactory(member=anna, plan=monthly, start=D("2026-02-10"), end=D("2026-03-11"))
    MembershipFactory(
        member=anna,
        plan=monthly,
        start=D("2026-03-12"),
        end=D("2026-04-10"),
        renewed_from=first,
        created_at=at("2026-03-05", "10:00", downtown),
    )
    for day in ("2026-02-10", "2026-02-20", "2026-03-01", "2026-03-05"):
        VisitFactory(member=anna, at=at(day, "18:00", downtown))
    VisitFactory(member=anna, at=at("2026-03-11", "23:30", downtown))  # 22:30 UTC: in
    VisitFactory(member=anna, at=at("2026-02-09", "23:30", downtown))  # the day before: out
    MembershipFactory(member=ben, plan=monthly, start=D("2026-02-19"), end=D("2026-03-20"))
    cleo = MemberFactory(home_club=riverside)
    river_monthly = PlanFactory(club=riverside, name="River monthly")
    MembershipFactory(member=cleo, plan=river_monthly, start=D("2026-02-14"), end=D("2026-03-15"))
    MembershipFactory(member=cleo, plan=river_monthly, start=D("2026-03-25"), end=D("2026-04-23"))


def report(*args: str) -> str:
    out = StringIO()
    call_command("renewal_report", "--from=2026-03-01", "--to=2026-03-31", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_frame_counts_visits_by_club_local_day_and_takes_the_purchase_day(march):
    # when
    frame = frames.renewal_memberships(clubs=None, start=D("2026-03-01"), end=D("2026-03-31"))

    # then
    by_end = frame.set_index(["club_slug", "end"])
    assert by_end.loc[("downtown", "2026-03-11"), "window_visits"] == 5
    assert by_end.loc[("downtown", "2026-04-10"), "bought"] == dt.datetime(2026, 3, 5)
    assert by_end.loc[("downtown", "2026-03-20"), "window_visits"] == 0
    assert dict(frame.dtypes.astype(str)) == {
        column: str(frame[column].dtype) for column in frames.MEMBERSHIPS
    }
    assert list(frame.columns) == list(frames.MEMBERSHIPS)


@pytest.mark.django_db
def test_csv_for_every_club(march):
    assert report("--format=csv") == (
        "opportunities,renewed,early,on_time,late,rate,ci_low,ci_high\n"
        "3,2,1,0,1,0.6667,0.2077,0.9385\n"
    )


@pytest.mark.django_db
def test_json_by_visit_band_for_one_club(march):
    # when
    rows = json.loads(report("--club=downtown", "--by=visit_band", "--format=json"))

    # then
    assert [(r["visit_band"], r["opportunities"], r["renewed"], r["early"]) for r in rows] == [
        ("0", 1, 0, 0),
        ("4-7", 1, 1, 1),
    ]


@pytest.mark.django_db
def test_by_club_and_an_empty_period(march):
    assert report("--by=club").splitlines()[1:] == [
        "downtown,2,1,1,0,0,0.5000,0.0945,0.9055",
        "riverside,1,1,0,0,1,1.0000,0.2065,1.0000",
    ]
    out = StringIO()
    call_command("renewal_report", "--from=2020-01-01", "--to=2020-12-31", stdout=out)
    assert out.getvalue() == "opportunities,renewed,early,on_time,late,rate,ci_low,ci_high\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from=2026-02-30", "--to=2026-03-31"], "'2026-02-30' is not a date; write it as"),
        (["--from=2026-03-31", "--to=2026-03-01"], "--to 2026-03-01 is before --from"),
        (["--from=2026-03-01", "--to=2026-03-31", "--club=nowhere"], "No club with the slug"),
    ],
)
def test_bad_input_is_a_clear_error(downtown, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("renewal_report", *args, stdout=StringIO())
