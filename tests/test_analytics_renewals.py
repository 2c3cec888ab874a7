"""Renewal opportunities and renewal rate on hand-built frames (no database)."""

import datetime as dt
import math

import pandas as pd
import pytest

from analytics import frames, renewals

D = dt.date.fromisoformat


def ms(rows: list[dict]) -> pd.DataFrame:
    """A memberships frame from short rows; unnamed columns get a monthly plan at club 1."""
    defaults = {
        "club_id": 1,
        "club_slug": "downtown",
        "plan_id": 10,
        "plan_name": "Monthly",
        "plan_kind": "time",
        "status": "active",
        "renewed_from_id": None,
        "price_paid": 39.0,
        "grace_days": 14,
        "window_visits": 0,
    }
    full = []
    for row in rows:
        row = defaults | row
        row.setdefault("bought", row["start"])
        full.append(row)
    return frames.typed(pd.DataFrame(full), frames.MEMBERSHIPS)


def opp(frame: pd.DataFrame, membership_id: int) -> pd.Series:
    opps = renewals.opportunities(frame, start=D("2026-03-01"), end=D("2026-03-31"))
    return opps.set_index("membership_id").loc[membership_id]


def test_a_renewal_bought_before_the_end_is_early_and_starts_the_day_after():
    # given
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"},
            {
                "membership_id": 2,
                "member_id": 7,
                "start": "2026-03-12",
                "end": "2026-04-10",
                "bought": "2026-03-05",
                "renewed_from_id": 1,
            },
        ]
    )

    # when
    row = opp(frame, 1)

    # then
    assert row["renewed"]
    assert row["renewal_id"] == 2
    assert row["timing"] == "early"
    assert row["days_after_end"] == 1


def test_a_renewal_bought_on_the_last_day_is_on_time():
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"},
            {"membership_id": 2, "member_id": 7, "start": "2026-03-12", "end": "2026-04-10",
             "bought": "2026-03-11", "renewed_from_id": 1},
        ]
    )  # fmt: skip

    assert opp(frame, 1)["timing"] == "on_time"


@pytest.mark.parametrize(
    ("renewal_start", "renewed", "timing"),
    [
        ("2026-03-25", True, "late"),  # 14 days after the end: the last grace day
        ("2026-03-26", False, ""),  # 15 days after: a new membership, not a renewal
    ],
)
def test_a_late_renewal_counts_only_within_the_grace_days(renewal_start, renewed, timing):
    # given: linked by the desk either way
    start = D(renewal_start)
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"},
            {"membership_id": 2, "member_id": 7, "start": start,
             "end": start + dt.timedelta(days=29), "renewed_from_id": 1},
        ]
    )  # fmt: skip

    # when
    row = opp(frame, 1)

    # then
    assert row["renewed"] is renewed or bool(row["renewed"]) is renewed
    assert row["timing"] == timing


def test_an_unlinked_new_paid_membership_within_grace_is_a_renewal_and_a_trial_is_not():
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"},
            {"membership_id": 2, "member_id": 7, "start": "2026-03-13", "end": "2026-03-19",
             "plan_kind": "trial", "plan_name": "Free trial"},
            {"membership_id": 3, "member_id": 7, "start": "2026-03-20", "end": "2026-04-18"},
        ]
    )  # fmt: skip

    row = opp(frame, 1)

    assert row["renewal_id"] == 3
    assert row["timing"] == "late"
    assert row["days_after_end"] == 9


def test_a_cancelled_membership_neither_is_an_opportunity_nor_renews():
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"},
            {"membership_id": 2, "member_id": 7, "start": "2026-03-12", "end": "2026-04-10",
             "renewed_from_id": 1, "status": "cancelled"},
            {"membership_id": 3, "member_id": 8, "start": "2026-02-10", "end": "2026-03-11",
             "status": "cancelled"},
        ]
    )  # fmt: skip

    opps = renewals.opportunities(frame, start=D("2026-03-01"), end=D("2026-03-31"))

    assert opps["membership_id"].tolist() == [1]
    assert not opps["renewed"].any()


def test_a_frozen_membership_counts_from_its_moved_end():
    # given: a 14-day freeze moved the end from 2026-02-25 to 2026-03-11; the renewal
    # starts 2026-03-20, 23 days after the original end but 9 after the moved one
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-01-27", "end": "2026-03-11"},
            {"membership_id": 2, "member_id": 7, "start": "2026-03-20", "end": "2026-04-18",
             "renewed_from_id": 1},
        ]
    )  # fmt: skip

    # when
    row = opp(frame, 1)

    # then
    assert row["renewed"]
    assert row["end"] == pd.Timestamp("2026-03-11")
    assert row["days_after_end"] == 9


def test_a_member_with_two_overlapping_memberships_renews_only_what_follows_it():
    # given: an annual plan all year, and a visit pack bought beside it that ends in March;
    # a second pack, linked to the first, starts in April
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2025-04-01", "end": "2026-03-31",
             "plan_id": 11, "plan_name": "Annual"},
            {"membership_id": 2, "member_id": 7, "start": "2026-01-01", "end": "2026-03-15",
             "plan_id": 12, "plan_name": "10-visit pack", "plan_kind": "pack"},
            {"membership_id": 3, "member_id": 7, "start": "2026-03-20", "end": "2026-06-17",
             "plan_id": 12, "plan_name": "10-visit pack", "plan_kind": "pack",
             "renewed_from_id": 2},
        ]
    )  # fmt: skip

    # when
    opps = renewals.opportunities(frame, start=D("2026-03-01"), end=D("2026-03-31"))

    # then: the pack renewed (by its linked successor); the annual plan did not — the
    # pack bought beside it started earlier, and the new pack belongs to the old pack
    by_id = opps.set_index("membership_id")
    assert by_id.loc[2, "renewal_id"] == 3
    assert not by_id.loc[1, "renewed"]


def test_tenure_and_visit_bands():
    frame = ms(
        [
            {"membership_id": 1, "member_id": 7, "start": "2026-02-01", "end": "2026-03-02",
             "window_visits": 0},
            {"membership_id": 2, "member_id": 8, "start": "2026-02-01", "end": "2026-03-02",
             "window_visits": 3, "renewed_from_id": 99},
            {"membership_id": 3, "member_id": 9, "start": "2026-02-01", "end": "2026-03-02",
             "window_visits": 4},
            {"membership_id": 4, "member_id": 10, "start": "2026-02-01", "end": "2026-03-02",
             "window_visits": 8},
            {"membership_id": 5, "member_id": 11, "start": "2026-02-01", "end": "2026-03-02",
             "window_visits": 25},
        ]
    )  # fmt: skip

    opps = renewals.opportunities(frame, start=D("2026-03-01"), end=D("2026-03-31"))

    assert opps["visit_band"].astype(str).tolist() == ["0", "1-3", "4-7", "8+", "8+"]
    assert opps["tenure"].tolist() == ["first", "later", "first", "first", "first"]


def test_renewal_rate_counts_timings_and_gives_a_wilson_interval():
    # given: 4 opportunities in March, 3 renewed (early, on time, late), 1 not
    rows = []
    for i, (bought, start) in enumerate(
        [("2026-03-01", "2026-03-12"), ("2026-03-11", "2026-03-12"), ("2026-03-20", "2026-03-20")]
    ):
        rows += [
            {"membership_id": 10 * i + 1, "member_id": i, "start": "2026-02-10",
             "end": "2026-03-11"},
            {"membership_id": 10 * i + 2, "member_id": i, "start": start, "end": "2026-05-01",
             "bought": bought, "renewed_from_id": 10 * i + 1},
        ]  # fmt: skip
    rows.append({"membership_id": 99, "member_id": 99, "start": "2026-02-10", "end": "2026-03-11"})
    opps = renewals.opportunities(ms(rows), start=D("2026-03-01"), end=D("2026-03-31"))

    # when
    table = renewals.renewal_rate(opps, by="month")

    # then
    assert table.to_dict("records")[0] | {"ci_low": 0, "ci_high": 0} == {
        "month": "2026-03",
        "opportunities": 4,
        "renewed": 3,
        "early": 1,
        "on_time": 1,
        "late": 1,
        "rate": 0.75,
        "ci_low": 0,
        "ci_high": 0,
    }
    # Wilson, 3 of 4: (0.3006, 0.9544)
    assert math.isclose(table.loc[0, "ci_low"], 0.30064, abs_tol=1e-4)
    assert math.isclose(table.loc[0, "ci_high"], 0.95441, abs_tol=1e-4)


@pytest.mark.parametrize("by", [None, "month", "plan", "club", "tenure", "visit_band"])
def test_an_empty_period_gives_empty_typed_frames(by):
    # given: memberships, none ending in the period; and no memberships at all
    frame = ms([{"membership_id": 1, "member_id": 7, "start": "2026-05-01", "end": "2026-05-30"}])
    for source in (frame, frames.empty(frames.MEMBERSHIPS)):
        # when
        opps = renewals.opportunities(source, start=D("2026-03-01"), end=D("2026-03-31"))
        table = renewals.renewal_rate(opps, by=by)

        # then
        assert opps.empty and list(opps.columns) == list(renewals.OPPORTUNITIES)
        assert opps.dtypes["end"] == "datetime64[s]"
        assert table.empty
        assert table.dtypes["rate"] == "float64"
        assert table.dtypes["opportunities"] == "int64"


def test_rate_by_several_groups_and_an_unknown_grouping():
    frame = ms([{"membership_id": 1, "member_id": 7, "start": "2026-02-10", "end": "2026-03-11"}])
    opps = renewals.opportunities(frame, start=D("2026-03-01"), end=D("2026-03-31"))

    table = renewals.renewal_rate(opps, by=["club", "visit_band"])

    assert table[["club", "visit_band", "opportunities", "renewed"]].astype(
        str
    ).values.tolist() == [["downtown", "0", "1", "0"]]
    with pytest.raises(ValueError, match="Unknown grouping"):
        renewals.renewal_rate(opps, by="colour")
