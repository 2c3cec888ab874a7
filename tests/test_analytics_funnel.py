"""The lead → trial → member funnel on hand-built frames (no database)."""

import math

import pandas as pd

from analytics import frames, funnel


def members(rows):
    return frames.typed(
        pd.DataFrame(
            [
                {"member_id": pk, "club_id": 1, "name": f"M{pk}", "status": "lead",
                 "stage": "lead", "source": source, "created": f"{day} 10:00+00:00"}
                for pk, source, day in rows
            ]
        ),
        frames.MEMBERS,
    )  # fmt: skip


def trials(rows):
    return frames.typed(
        pd.DataFrame(
            [
                {"booking_id": i, "member_id": member, "booked": f"{booked} 11:00+00:00",
                 "status": "attended" if attended else "no_show",
                 "attended": f"{attended} 18:00+00:00" if attended else None}
                for i, (member, booked, attended) in enumerate(rows)
            ]
        ),
        frames.TRIALS,
    )  # fmt: skip


def memberships(rows):
    return frames.typed(
        pd.DataFrame(
            [
                {"membership_id": i, "member_id": member, "club_id": 1, "club_slug": "d",
                 "plan_id": 1, "plan_name": kind, "plan_kind": kind, "start": bought,
                 "end": "2026-12-31", "status": "active", "price_paid": 0.0,
                 "bought": bought, "grace_days": 14, "window_visits": 0}
                for i, (member, kind, bought) in enumerate(rows)
            ]
        ),
        frames.MEMBERSHIPS,
    )  # fmt: skip


def test_funnel_by_source_with_median_days_between_steps():
    # given
    leads = members(
        [
            (1, "website", "2026-03-01"),  # trial, attended, member
            (2, "website", "2026-03-02"),  # trial, no-show
            (3, "website", "2026-03-02"),  # nothing yet
            (4, "walk_in", "2026-03-10"),  # member without a trial
        ]
    )
    booked = trials([(1, "2026-03-01", "2026-03-03"), (2, "2026-03-04", None)])
    bought = memberships(
        [
            (1, "trial", "2026-03-03"),  # the trial itself is no conversion
            (1, "time", "2026-03-05"),
            (4, "time", "2026-03-12"),
        ]
    )

    # when
    table = funnel.funnel(leads, booked, bought).set_index("source")

    # then
    assert table.index.tolist() == ["walk_in", "website", "all"]
    assert table[["leads", "trial_booked", "trial_attended", "members"]].values.tolist() == [
        [1, 0, 0, 1],
        [3, 2, 1, 1],
        [4, 2, 1, 2],
    ]
    web = table.loc["website"]
    assert math.isclose(web["lead_to_trial"], 2 / 3)
    assert (web["trial_show"], web["attended_to_member"]) == (0.5, 1.0)
    assert math.isclose(web["lead_to_member"], 1 / 3)
    assert web[
        ["days_lead_to_trial", "days_trial_to_attended", "days_attended_to_member",
         "days_lead_to_member"]
    ].tolist() == [1.0, 2.0, 2.0, 4.0]  # fmt: skip
    walk_in = table.loc["walk_in"]
    assert walk_in["lead_to_trial"] == 0.0
    assert math.isnan(walk_in["trial_show"])
    assert table.loc["all", "days_lead_to_member"] == 3.0


def test_a_membership_bought_before_becoming_a_lead_is_no_conversion():
    table = funnel.funnel(
        members([(1, "phone", "2026-03-01")]),
        frames.empty(frames.TRIALS),
        memberships([(1, "time", "2025-06-01")]),
    )

    assert table["members"].tolist() == [0, 0]


def test_imported_members_are_no_leads():
    table = funnel.funnel(
        members([(1, "import", "2026-03-01"), (2, "phone", "2026-03-01")]),
        frames.empty(frames.TRIALS),
        memberships([(1, "time", "2026-03-01")]),
    )

    assert table[["source", "leads", "members"]].values.tolist() == [
        ["phone", 1, 0],
        ["all", 1, 0],
    ]


def test_no_leads_give_an_empty_typed_frame():
    table = funnel.funnel(
        frames.empty(frames.MEMBERS), frames.empty(frames.TRIALS), frames.empty(frames.MEMBERSHIPS)
    )

    assert table.empty
    assert dict(table.dtypes.astype(str)) == funnel.FUNNEL


def test_each_rate_is_the_ratio_of_the_two_counts_it_names():
    # given: of five website leads, three attended a trial (two of them then bought) and two
    # bought without a trial: four members, more than attended a trial
    leads = members([(pk, "website", "2026-03-01") for pk in range(1, 6)])
    booked = trials([(pk, "2026-03-02", "2026-03-03") for pk in (1, 2, 3)])
    bought = memberships([(pk, "time", "2026-03-05") for pk in (1, 2, 4, 5)])

    # when
    web = funnel.funnel(leads, booked, bought).set_index("source").loc["website"]

    # then: "attended → member" is of those who attended, not every member over them
    assert (web["trial_attended"], web["members"], web["attended_members"]) == (3, 4, 2)
    assert web["attended_to_member"] == web["attended_members"] / web["trial_attended"]
    assert web["lead_to_member"] == web["members"] / web["leads"]
    assert web["trial_show"] == web["trial_attended"] / web["trial_booked"]
    assert web["lead_to_trial"] == web["trial_booked"] / web["leads"]
