"""analytics.frames: typed frames loaded from the database, filtered by club and period."""

import datetime as dt

import pytest

from analytics import frames
from campaigns.models import Campaign, Rule, Segment, Touchpoint
from checkin.models import Booking
from club import clock
from members.models import Member
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    VisitFactory,
)

T = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def touchpoint(rule, member, status, n=[0]):  # noqa: B006
    n[0] += 1
    return Touchpoint.objects.create(
        rule=rule,
        member=member,
        club=member.home_club,
        occurrence_key=f"test:{n[0]}",
        channel=rule.channel,
        status=status,
        due_at=T,
        send_at=T,
        sent_at=T if status != Touchpoint.Status.HELD_OUT else None,
        explanation="test",
        created_at=T,
    )


@pytest.mark.django_db
def test_touchpoints_with_outcomes_judged_from_the_due_time(downtown, riverside):
    # given: rule 15; Anna was sent it, came in 3 days later and renewed 10 days later;
    # Ben was held out and came back only after 20 days; Cleo's was suppressed; Olga is
    # at Riverside
    rule = Rule.objects.get(number=15)
    anna, ben, cleo = MemberFactory.create_batch(3, home_club=downtown)
    olga = MemberFactory(home_club=riverside)
    touchpoint(rule, anna, Touchpoint.Status.DELIVERED)
    touchpoint(rule, ben, Touchpoint.Status.HELD_OUT)
    touchpoint(rule, cleo, Touchpoint.Status.SUPPRESSED)
    touchpoint(rule, olga, Touchpoint.Status.SENT)
    VisitFactory(member=anna, at=T + dt.timedelta(days=3))
    MembershipFactory(member=anna, start=dt.date(2026, 3, 20), created_at=T + dt.timedelta(days=10))
    VisitFactory(member=ben, at=T + dt.timedelta(days=20))
    BookingFactory(member=ben, created_at=T - dt.timedelta(days=1))

    # when
    frame = frames.touchpoints(
        clubs=[downtown], since=T - dt.timedelta(days=1), until=T + dt.timedelta(days=1)
    )

    # then
    rows = frame.set_index("member_id")[["rule_number", "status", "renewed", "visited", "booked"]]
    assert rows.to_dict("index") == {
        anna.pk: {"rule_number": 15, "status": "delivered", "renewed": True, "visited": True,
                  "booked": False},
        ben.pk: {"rule_number": 15, "status": "held_out", "renewed": False, "visited": False,
                 "booked": False},
    }  # fmt: skip
    assert dict(frame.dtypes.astype(str)) == {
        k: ("datetime64[s, UTC]" if v == frames.INSTANT else v)
        for k, v in frames.TOUCHPOINTS.items()
    }


@pytest.mark.django_db
def test_touchpoints_compute_only_the_outcomes_asked_for(downtown):
    anna = MemberFactory(home_club=downtown)
    touchpoint(Rule.objects.get(number=15), anna, Touchpoint.Status.SENT)
    MembershipFactory(member=anna, start=dt.date(2026, 3, 20), created_at=T + dt.timedelta(days=2))
    window = {"since": T - dt.timedelta(days=1), "until": T + dt.timedelta(days=1)}

    frame = frames.touchpoints(clubs=[downtown], outcomes=["renewed"], **window)

    assert frame["renewed"].tolist() == [True]
    assert "visited" not in frame.columns and "booked" not in frame.columns
    with pytest.raises(ValueError, match="bought"):
        frames.touchpoints(clubs=[downtown], outcomes=["bought"], **window)


@pytest.mark.django_db
def test_weekly_visits_follow_the_club_s_weeks(downtown):
    # given: Sunday 23:30 and Monday 00:30 in Amsterdam are both Sunday in UTC; the last
    # visit is on 1 April in Amsterdam, after the period, though still 31 March in UTC
    anna = MemberFactory(home_club=downtown)
    for day, time in [
        ("2026-03-08", "23:30"),
        ("2026-03-09", "00:30"),
        ("2026-03-10", "18:00"),
        ("2026-03-31", "23:30"),
        ("2026-04-01", "00:30"),
    ]:
        VisitFactory(
            member=anna,
            at=clock.local_datetime(
                dt.date.fromisoformat(day), dt.time.fromisoformat(time), downtown
            ),
        )

    # when
    frame = frames.weekly_visits(
        clubs=[downtown], since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 31)
    )

    # then
    assert frame.astype({"week": "str"}).values.tolist() == [
        [anna.pk, "2026-03-02", 1],
        [anna.pk, "2026-03-09", 2],
        [anna.pk, "2026-03-30", 1],
    ]
    assert dict(frame.dtypes.astype(str)) == frames.WEEKLY_VISITS


@pytest.mark.django_db
def test_members_trials_and_memberships_are_filtered_by_club_and_period(downtown, riverside):
    # given
    lead = MemberFactory(
        home_club=downtown, first_name="Lena", last_name="Lead", source=Member.Source.WEBSITE
    )
    MemberFactory(home_club=riverside)
    session = ClassSessionFactory(club=downtown)
    # Marked attended without a time (as seed_demo does): the class's start stands in.
    BookingFactory(member=lead, session=session, is_trial=True, status=Booking.Status.ATTENDED)
    BookingFactory(
        member=lead, session=ClassSessionFactory(club=downtown), is_trial=True,
        status=Booking.Status.NO_SHOW,
    )  # fmt: skip
    trial = PlanFactory(club=downtown, trial=True)
    MembershipFactory(member=lead, plan=trial, start=dt.date(2026, 3, 1))
    MembershipFactory(member=lead, start=dt.date(2025, 1, 1))  # long over

    # when
    people = frames.members(clubs=[downtown])
    trials = frames.trial_bookings(members=Member.objects.filter(home_club=downtown).values("pk"))
    held = frames.memberships(clubs=[downtown], since=dt.date(2026, 1, 1))

    # then
    assert people[["name", "source"]].values.tolist() == [["Lena Lead", "website"]]
    assert sorted(trials[["member_id", "status"]].values.tolist()) == [
        [lead.pk, "attended"],
        [lead.pk, "no_show"],
    ]
    attended = trials.set_index("status")["attended"]
    assert attended["attended"] == session.start
    assert attended.isna()["no_show"]
    assert held[["plan_kind", "window_visits"]].values.tolist() == [["trial", 0]]
    assert frames.memberships(clubs=[riverside]).empty


@pytest.mark.django_db
def test_the_purchase_a_welcome_is_about_is_not_its_renewal(downtown):
    # given: rule 7's welcome, due the instant each member bought their first membership, as
    # the trigger writes it (Ben held out); Dora bought ahead, so hers is due when it starts;
    # only Cleo buys another membership after her welcome
    welcome = Rule.objects.get(number=7)
    anna, ben, cleo, dora = MemberFactory.create_batch(4, home_club=downtown)
    for member in (anna, ben, cleo):
        MembershipFactory(member=member, start=T.date(), created_at=T)
    MembershipFactory(member=dora, start=T.date(), created_at=T - dt.timedelta(days=5))
    for member in (anna, cleo, dora):
        touchpoint(welcome, member, Touchpoint.Status.SENT)
    touchpoint(welcome, ben, Touchpoint.Status.HELD_OUT)
    MembershipFactory(
        member=cleo, start=T.date() + dt.timedelta(days=30), created_at=T + dt.timedelta(days=28)
    )

    # when
    frame = frames.touchpoints(
        clubs=[downtown], since=T - dt.timedelta(days=1), until=T + dt.timedelta(days=1)
    )

    # then: the membership bought at (or before) the due time is the one the welcome is about
    assert frame.set_index("member_id")["renewed"].to_dict() == {
        anna.pk: False,
        ben.pk: False,
        cleo.pk: True,
        dora.pk: False,
    }


@pytest.mark.django_db
def test_a_campaign_s_renewal_is_bought_after_its_send(downtown):
    # given: a campaign's message due the instant Anna bought, and a day before Ben bought
    campaign = Campaign.objects.create(
        name="Offer", segment=Segment.objects.create(name="All"), channel="sms", send_on=T.date()
    )
    anna, ben = MemberFactory.create_batch(2, home_club=downtown)
    for member in (anna, ben):
        Touchpoint.objects.create(
            campaign=campaign, variant="A", member=member, club=downtown,
            occurrence_key=campaign.key, channel="sms", status=Touchpoint.Status.SENT,
            due_at=T, send_at=T, sent_at=T, explanation="campaign", created_at=T,
        )  # fmt: skip
    MembershipFactory(member=anna, created_at=T)
    MembershipFactory(member=ben, created_at=T + dt.timedelta(days=1))

    # when
    frame = frames.campaign_touchpoints(campaign.pk)

    # then
    assert frame.set_index("member_id")["renewed"].to_dict() == {anna.pk: False, ben.pk: True}
