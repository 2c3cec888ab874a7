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


@pytest.fixture(params=["the database", "pandas"])
def counted_in(request, monkeypatch):
    """Window visits counted as this database does it, and in pandas (as on SQLite, the demo)."""
    if request.param == "pandas":
        monkeypatch.setattr(frames, "_SQL_WINDOW_COUNTS", set())
    return request.param


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
def test_the_frame_counts_visits_by_club_local_day_and_takes_the_purchase_day(march, counted_in):
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
def test_json_by_visit_band_for_one_club(march, counted_in):
    # when
    rows = json.loads(report("--club=downtown", "--by=visit_band", "--format=json"))

    # then
    assert [(r["visit_band"], r["opportunities"], r["renewed"], r["early"]) for r in rows] == [
        ("0", 1, 0, 0),
        ("4-7", 1, 1, 1),
    ]


@pytest.mark.django_db
def test_by_club_and_an_empty_period(march, counted_in):
    assert report("--by=club").splitlines()[1:] == [
        "downtown,2,1,1,0,0,0.5000,0.0945,0.9055",
        "riverside,1,1,0,0,1,1.0000,0.2065,1.0000",
    ]
    out = StringIO()
    call_command("renewal_report", "--from=2020-01-01", "--to=2020-12-31", stdout=out)
    assert out.getvalue() == "opportunities,renewed,early,on_time,late,rate,ci_low,ci_high\n"


@pytest.mark.django_db
def test_the_window_is_club_local_days_across_a_clock_change(downtown, riverside, counted_in):
    # given: Dora's membership ends on 31 March; Amsterdam goes to summer time on the 29th
    dora = MemberFactory(home_club=downtown)
    plan = PlanFactory(club=downtown)
    MembershipFactory(member=dora, plan=plan, start=D("2026-03-02"), end=D("2026-03-31"))
    for day, time in [("2026-03-02", "00:30"), ("2026-03-29", "03:30"), ("2026-03-31", "23:59")]:
        VisitFactory(member=dora, at=at(day, time, downtown))
    VisitFactory(member=dora, club=riverside, at=at("2026-03-15", "10:00", riverside))
    for day, time in [("2026-03-01", "23:30"), ("2026-04-01", "00:30")]:  # a minute outside
        VisitFactory(member=dora, at=at(day, time, downtown))

    # when
    frame = frames.renewal_memberships(clubs=[downtown], start=D("2026-03-01"), end=D("2026-03-31"))

    # then: three days inside at her club, one at the other club
    assert frame["window_visits"].tolist() == [4]


@pytest.mark.django_db
def test_without_a_count_in_sql_the_visits_are_read_once_not_per_membership(
    downtown, monkeypatch, django_assert_max_num_queries
):
    # given: ten memberships ending in March, each with one visit in its window, read as on
    # SQLite (PostgreSQL's COPY reads bypass the query log)
    monkeypatch.setattr(frames, "_SQL_WINDOW_COUNTS", set())
    monkeypatch.delitem(frames._READERS, "postgresql", raising=False)
    plan = PlanFactory(club=downtown)
    for member in MemberFactory.create_batch(10, home_club=downtown):
        MembershipFactory(member=member, plan=plan, start=D("2026-02-19"), end=D("2026-03-20"))
        VisitFactory(member=member, at=at("2026-03-10", "18:00", downtown))

    # when: grace days, zones, memberships, visits, plans
    with django_assert_max_num_queries(5) as queries:
        frame = frames.renewal_memberships(
            clubs=[downtown], start=D("2026-03-01"), end=D("2026-03-31")
        )

    # then: one plain read of the visits, no visit subquery in the memberships' query
    visit_reads = [q["sql"] for q in queries.captured_queries if "checkin_visit" in q["sql"]]
    assert len(visit_reads) == 1
    assert 'SELECT "checkin_visit"."member_id"' in visit_reads[0]
    assert frame["window_visits"].tolist() == [1] * 10


@pytest.mark.django_db
def test_an_empty_period_gives_the_schema_s_empty_frame(downtown, counted_in):
    frame = frames.renewal_memberships(clubs=[downtown], start=D("2020-01-01"), end=D("2020-12-31"))

    assert frame.empty
    assert dict(frame.dtypes.astype(str)) == {
        column: str(dtype) for column, dtype in frames.empty(frames.MEMBERSHIPS).dtypes.items()
    }


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
