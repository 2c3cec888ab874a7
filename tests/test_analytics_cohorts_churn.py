"""Cohort retention, monthly churn and IHRSA attrition on hand-built frames (no database)."""

import datetime as dt
import itertools
import math

import pandas as pd
import pytest

from analytics import churn, cohorts, frames

D = dt.date.fromisoformat


def ms(rows: list[tuple]) -> pd.DataFrame:
    """(membership id, member id, start, end[, plan kind]) → a memberships frame."""
    full = []
    for pk, member, start, end, *kind in rows:
        full.append(
            {
                "membership_id": pk,
                "member_id": member,
                "club_id": 1,
                "club_slug": "downtown",
                "plan_id": 1,
                "plan_name": "Plan",
                "plan_kind": kind[0] if kind else "time",
                "start": start,
                "end": end,
                "status": "active",
                "price_paid": 39.0,
                "bought": start,
                "grace_days": 14,
                "window_visits": 0,
            }
        )
    return frames.typed(pd.DataFrame(full), frames.MEMBERSHIPS)


FOUR_MONTHS = ms(
    [
        (1, 1, "2026-01-01", "2026-01-30"),  # monthly, renewed on time, then gone
        (2, 1, "2026-01-31", "2026-03-01"),
        (3, 2, "2026-01-15", "2027-01-14"),  # annual
        (4, 3, "2026-02-10", "2026-03-11"),  # monthly, renewed 8 days late
        (5, 3, "2026-03-20", "2026-04-18"),
        (6, 4, "2026-01-05", "2026-01-11", "trial"),  # a trial is no membership
    ]
)


def test_retention_by_join_month():
    # when
    table = cohorts.retention(FOUR_MONTHS, as_of=D("2026-04-30"))

    # then
    assert table[["cohort", "months_since", "members", "retained"]].values.tolist() == [
        ["2026-01", 0, 2, 2],
        ["2026-01", 1, 2, 2],
        ["2026-01", 2, 2, 1],
        ["2026-01", 3, 2, 1],
        ["2026-02", 0, 1, 1],
        ["2026-02", 1, 1, 1],
        ["2026-02", 2, 1, 0],
    ]
    assert table["share"].tolist() == [1, 1, 0.5, 0.5, 1, 1, 0]


def test_retention_shows_only_months_that_have_ended():
    table = cohorts.retention(FOUR_MONTHS, as_of=D("2026-04-29"))

    assert table["months_since"].max() == 2


def test_monthly_churn_bridges_a_late_renewal_and_waits_for_the_grace_days():
    # when
    table = churn.monthly(FOUR_MONTHS, first_month=D("2026-01-01"), as_of=D("2026-04-30"))

    # then: member 1 drops in March; member 3's gap of 8 days is no drop, and her end on
    # 18 April is no drop yet either (a renewal may come until 2 May). Member 1, who started
    # on 1 January, is January's join, not yet a member on its 1st.
    assert table[["month", "members_at_start", "joined", "dropped"]].values.tolist() == [
        ["2026-01", 0, 2, 0],
        ["2026-02", 2, 1, 0],
        ["2026-03", 3, 0, 1],
        ["2026-04", 2, 0, 0],
    ]
    assert table["churn"].iloc[1:].tolist() == [0, pytest.approx(1 / 3), 0]
    assert math.isnan(table["churn"].iloc[0])  # no one to lose on 1 January


def test_each_month_adds_up_to_the_next_months_first():
    # given: spells starting on the 1st, mid-month, on the last day, and one inside a month
    frame = ms(
        [
            (1, 1, "2026-03-01", "2026-03-31"),
            (2, 2, "2026-02-15", "2026-05-14"),
            (3, 3, "2026-03-31", "2026-04-29"),
            (4, 4, "2026-04-01", "2026-04-20", "pack"),
            (5, 5, "2026-01-01", "2026-12-31"),
            (6, 1, "2026-06-01", "2026-06-30"),  # member 1 rejoins
        ]
    )

    table = churn.monthly(frame, first_month=D("2026-01-01"), as_of=D("2026-09-30"))

    # then: members on the 1st + joins − drops = the next month's members on the 1st
    rows = table.to_dict("records")
    for month, following in itertools.pairwise(rows):
        expected = month["members_at_start"] + month["new"] + month["rejoined"] - month["dropped"]
        assert following["members_at_start"] == expected, month["month"]
    assert table["rejoined"].sum() == 1
    assert table["attrition_12m"].isna().all()


def test_ihrsa_attrition_is_drops_over_twelve_months_by_the_average_at_month_start():
    # given: an annual member all of 2025 and a monthly one in January only
    frame = ms([(1, 1, "2025-01-01", "2025-12-31"), (2, 2, "2025-01-01", "2025-01-31")])

    # when
    table = churn.monthly(frame, first_month=D("2025-01-01"), as_of=D("2026-01-31"))

    # then: 2 drops ÷ (0 + 11 × 1) / 12 in 2025 (both joined on 1 January, so neither was a
    # member on its 1st); 1 ÷ (11 × 1 + 0) / 12 a month later
    assert table["dropped"].tolist() == [1] + [0] * 10 + [1, 0]
    assert table["attrition_12m"].iloc[:11].isna().all()
    assert math.isclose(table["attrition_12m"].iloc[11], 24 / 11)
    assert math.isclose(table["attrition_12m"].iloc[12], 12 / 11)


def test_overlapping_memberships_are_one_spell():
    # given: a pack bought beside an annual plan, ending long before it
    frame = ms([(1, 1, "2026-01-01", "2026-12-31"), (2, 1, "2026-02-01", "2026-03-01", "pack")])

    runs = churn.spells(frame, as_of=D("2026-06-30"))

    assert runs[["member_id", "dropped"]].values.tolist() == [[1, False]]
    assert runs["end"].tolist() == [pd.Timestamp("2026-12-31")]


def test_empty_frames_give_empty_typed_frames():
    nothing = frames.empty(frames.MEMBERSHIPS)

    retention = cohorts.retention(nothing, as_of=D("2026-04-30"))
    monthly = churn.monthly(nothing, first_month=D("2026-01-01"), as_of=D("2026-04-30"))
    runs = churn.spells(nothing, as_of=D("2026-04-30"))

    assert retention.empty and dict(retention.dtypes.astype(str)) == cohorts.RETENTION
    assert monthly.empty and dict(monthly.dtypes.astype(str)) == churn.MONTHLY
    assert runs.empty and list(runs.columns) == list(churn.SPELLS)
    # A period that has not ended yet is empty too.
    assert churn.monthly(FOUR_MONTHS, first_month=D("2026-05-01"), as_of=D("2026-05-20")).empty


def test_first_paid_start_is_each_members_earliest_paid_start():
    # given four months of memberships, member 4 with only a trial, and a cancelled early one
    cancelled = ms([(7, 3, "2026-01-02", "2026-01-31")]).assign(status="cancelled")
    memberships = pd.concat([FOUR_MONTHS, cancelled], ignore_index=True)

    # when
    joined = frames.first_paid_start(memberships)

    # then the trial and the cancelled month do not count
    assert joined.to_dict() == {
        1: pd.Timestamp("2026-01-01"),
        2: pd.Timestamp("2026-01-15"),
        3: pd.Timestamp("2026-02-10"),
    }


def test_first_paid_start_of_no_memberships_is_empty():
    assert frames.first_paid_start(frames.empty(frames.MEMBERSHIPS)).empty
