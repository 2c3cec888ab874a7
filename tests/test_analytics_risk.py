"""Ranking at-risk and expiring members, with reasons, on hand-built frames (no database)."""

import datetime as dt

import pandas as pd

from analytics import frames, risk

AS_OF = dt.date(2026, 3, 31)


def members(rows):
    return frames.typed(
        pd.DataFrame(
            [
                {"member_id": pk, "club_id": 1, "name": name, "status": "member",
                 "stage": stage, "source": "walk_in", "created": "2025-01-01 10:00+00:00"}
                for pk, name, stage in rows
            ]
        ),
        frames.MEMBERS,
    )  # fmt: skip


def memberships(rows):
    return frames.typed(
        pd.DataFrame(
            [
                {"membership_id": i, "member_id": member, "club_id": 1, "club_slug": "d",
                 "plan_id": 1, "plan_name": "Plan", "plan_kind": "time", "start": start,
                 "end": end, "status": "active", "price_paid": 0.0, "bought": start,
                 "grace_days": 14, "window_visits": 0}
                for i, (member, start, end) in enumerate(rows)
            ]
        ),
        frames.MEMBERSHIPS,
    )  # fmt: skip


def weekly(member: int, mondays: list[str], visits: list[int]) -> list[dict]:
    return [
        {"member_id": member, "week": monday, "visits": n}
        for monday, n in zip(mondays, visits, strict=True)
    ]


def test_members_are_ranked_by_score_with_their_reasons():
    # given
    people = members(
        [
            (1, "Anna", "at_risk"),  # steady for months, then much less
            (2, "Ben", "expiring"),  # new, monthly, fading, ends in 8 days
            (3, "Cleo", "active"),  # not at risk: not ranked
            (4, "Dirk", "at_risk"),  # never came, annual plan ended yesterday
        ]
    )
    held = memberships(
        [
            (1, "2025-06-01", "2026-05-31"),
            (2, "2026-02-08", "2026-03-09"),
            (2, "2026-03-10", "2026-04-08"),
            (3, "2026-01-01", "2026-12-31"),
            (4, "2025-03-31", "2026-03-30"),
        ]
    )
    anna_weeks = pd.date_range("2025-10-06", "2026-03-30", freq="W-MON").strftime("%Y-%m-%d")
    visits = frames.typed(
        pd.DataFrame(
            weekly(1, list(anna_weeks), [3] * 22 + [1, 1, 1, 0])
            + weekly(
                2,
                ["2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"],
                [2, 2, 2, 2, 1],
            )
        ),
        frames.WEEKLY_VISITS,
    )

    # when
    table = risk.ranked(people, held, visits, as_of=AS_OF)

    # then
    assert table[["name", "score", "reasons"]].values.tolist() == [
        ["Ben", 87.9, "visits down 90 % vs own average; ends in 8 days; member for 51 days; "
         "monthly contract"],
        ["Anna", 40.5, "visits down 75 % vs own average"],
        ["Dirk", 33.0, "ended 1 day ago"],
    ]  # fmt: skip
    anna = table.set_index("name").loc["Anna"]
    assert (anna["recent_per_week"], anna["average_per_week"]) == (0.75, 3.0)
    assert (anna["tenure_days"], anna["contract_days"], anna["days_to_end"]) == (303, 365, 61)


def test_nobody_at_risk_gives_an_empty_typed_frame():
    table = risk.ranked(
        frames.empty(frames.MEMBERS),
        frames.empty(frames.MEMBERSHIPS),
        frames.empty(frames.WEEKLY_VISITS),
        as_of=AS_OF,
    )

    assert table.empty
    assert dict(table.dtypes.astype(str)) == risk.RISK
