"""A world with no real effect, where many members act before their message is due: the
sent ones who did are cancelled as obsolete, and so must the held-out ones be, or the
control group keeps exactly the members most likely to have the outcome anyway (QA: rule 3
at −31.8 pts on a seed that plants no effect)."""

import datetime as dt

import pytest

from analytics import frames, uplift
from campaigns import dispatcher, evaluator
from campaigns.models import Rule, Touchpoint
from club import clock
from memberships import sales
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory

TODAY = dt.date(2026, 11, 23)  # frozen_clock
DUE = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # 10:00 in Amsterdam, in two days


@pytest.fixture(autouse=True)
def only_our_rules(db):
    Rule.objects.update(is_active=False)


def test_acting_before_the_due_time_biases_neither_arm(twilio, frozen_clock, downtown):
    # given 80 members whose annual membership ends in 9 days, half of them held out of the
    # week-before reminder (written now, due in two days)
    rule = Rule.objects.create(
        number=215,
        name="Renewal reminder",
        trigger="membership_ends_in",
        params={"days": 7, "at": "10:00"},
        channel="email",
        subject="Your membership",
        template="Your {{ plan }} ends {{ end|date:'j M' }}",
        holdout_percent=50,
    )
    year = PlanFactory(club=downtown, duration_days=365, name="Annual")
    members = []
    for i in range(80):
        member = MemberFactory(home_club=downtown, email_consent=True, email=f"m{i}@example.com")
        start = TODAY + dt.timedelta(days=9 - 364)
        members.append((member, MembershipFactory(member=member, plan=year, start=start)))
    now = clock.now()
    evaluator.evaluate_rule(
        rule, downtown, since=now - dt.timedelta(hours=26), until=now + dt.timedelta(days=8)
    )
    # … every other one renews before the reminder is due, whichever arm they are in, and
    # those keep coming to the club; the message itself changes nothing
    acted = [member for i, (member, membership) in enumerate(members) if i % 2 == 0]
    for i, (_member, membership) in enumerate(members):
        if i % 2 == 0:
            sales.renew(membership, method="cash")

    # when the reminders fall due, and the members who renewed visit the day after
    frozen_clock.move_to(DUE)
    dispatcher.dispatch()
    for member in acted:
        VisitFactory(member=member, at=DUE + dt.timedelta(days=1))
    frame = frames.touchpoints(
        clubs=[downtown],
        since=DUE - dt.timedelta(days=1),
        until=DUE + dt.timedelta(days=1),
        outcomes=["visited"],
    )
    [row] = uplift.uplift(frame, outcome="visited").to_dict("records")

    # then the held-out arm, like the sent one, holds only members who had not renewed (no
    # visits either way), and the interval holds 0: no effect was planted
    held = [m.pk for m, _ in members if evaluator.is_held_out(m.pk, rule)]
    assert 10 < len(held) < 70
    statuses = dict(Touchpoint.objects.values_list("member_id", "status"))
    assert {statuses[m.pk] for m in acted} == {Touchpoint.Status.CANCELLED}
    assert row["held_out"] == len(set(held) - {m.pk for m in acted})
    assert row["sent"] + row["held_out"] == 40
    assert (row["sent_outcomes"], row["held_out_outcomes"]) == (0, 0)
    assert row["ci_low"] < 0 < row["ci_high"]
