"""Launching a campaign: at its send time its segment's members go into the outbox, one row
each, with a variant and the control group chosen by stable hashes; the dispatcher then
sends them with every check it makes for a rule's message.

The clock starts at Monday 23 Nov 2026 18:00 in Amsterdam; campaigns go on Tuesday at 10:00.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from campaigns import dispatcher, dryrun, launches
from campaigns.models import Campaign, CampaignVariant, Rule, Segment, Touchpoint
from campaigns.optout import opt_out_number
from campaigns.tasks import launch_campaigns_task
from club import clock
from members.consent import set_consent
from members.erasure import erase
from members.models import MemberEvent
from tests.factories import MemberFactory

TODAY = dt.date(2026, 11, 23)
TUESDAY = TODAY + dt.timedelta(days=1)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


@pytest.fixture(autouse=True)
def only_campaigns(db):
    Rule.objects.update(is_active=False)


@pytest.fixture
def segment(downtown) -> Segment:
    everyone = Segment.objects.create(name="Everyone at Downtown")
    everyone.clubs.set([downtown])
    return everyone


def members(club, n: int, **fields):
    return [
        MemberFactory(home_club=club, sms_consent=True, phone=f"+3161{i:07d}", **fields)
        for i in range(n)
    ]


def campaign(segment, *, texts=("Hi {{ first_name }}, A",), **fields) -> Campaign:
    defaults = {
        "name": "Winter offer",
        "channel": "sms",
        "send_on": TUESDAY,
        "send_time": dt.time(10, 0),
        "holdout_percent": 10,
        "status": Campaign.Status.SCHEDULED,
    }
    created = Campaign.objects.create(segment=segment, **{**defaults, **fields})
    for label, text in zip(CampaignVariant.LABELS, texts, strict=False):
        CampaignVariant.objects.create(campaign=created, label=label, template=text)
    return created


def rows(of: Campaign):
    return Touchpoint.objects.filter(campaign=of)


def test_it_launches_at_its_send_time_once_with_one_row_per_member(
    frozen_clock, downtown, segment, eager_tasks
):
    group = members(downtown, 30)
    winter = campaign(segment)

    frozen_clock.move_to(local(TUESDAY, 9, 59))
    assert launch_campaigns_task() == 0
    frozen_clock.move_to(local(TUESDAY, 10))
    first = launch_campaigns_task()
    again = launch_campaigns_task()
    winter.status = Campaign.Status.SCHEDULED  # a stale copy launched once more
    once_more = launches.launch(winter)

    winter.refresh_from_db()
    assert (first, again, once_more) == (30, 0, 0)
    assert winter.status == Campaign.Status.SENT
    assert winter.launched_at == local(TUESDAY, 10)
    assert sorted(rows(winter).values_list("member_id", flat=True)) == sorted(m.pk for m in group)
    assert set(rows(winter).values_list("occurrence_key", flat=True)) == {f"campaign:{winter.pk}"}


def test_a_launch_sends_at_once_not_at_the_next_dispatch(
    frozen_clock, downtown, segment, twilio, eager_tasks
):
    # given beat's dispatch ran a moment before the launch, in the same minute
    members(downtown, 3)
    winter = campaign(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))

    # when the campaign launches
    assert launch_campaigns_task() == 3

    # then its messages went in the same task, not a minute later
    assert set(rows(winter).values_list("status", flat=True)) == {Status.SENT}
    assert len(twilio.messages) == 3


def test_the_outbox_refuses_a_second_row_for_a_member(frozen_clock, downtown, segment):
    members(downtown, 1)
    winter = campaign(segment)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)
    row = rows(winter).get()

    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


@pytest.mark.parametrize("which", ["both", "neither"])
def test_a_touchpoint_belongs_to_a_rule_or_a_campaign(frozen_clock, downtown, segment, which):
    members(downtown, 1)
    winter = campaign(segment)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)
    row = rows(winter).get()

    row.pk, row.occurrence_key = None, "other"
    row.rule = Rule.objects.first() if which == "both" else None
    row.campaign = winter if which == "both" else None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_variants_and_holdout_are_stable_hashes_drawn_apart(frozen_clock, downtown, segment):
    members(downtown, 200)
    winter = campaign(segment, texts=("A {{ first_name }}", "B {{ first_name }}"))
    variants = list(winter.variants.order_by("label"))
    frozen_clock.move_to(local(TUESDAY, 10))

    launches.launch(winter)

    written = list(rows(winter))
    for row in written:
        assert row.variant == launches.variant_for(winter, row.member_id, variants).label
        # held out, decided at the send time (tests/test_dispatch_holdout.py)
        assert (row.status == Status.HOLDING) == launches.is_held_out(winter, row.member_id)
        assert row.body == f"{row.variant} {row.member.first_name}"
    by_variant = {label: [r for r in written if r.variant == label] for label in ("A", "B")}
    held_out = [r for r in written if r.status == Status.HOLDING]
    assert 70 <= len(by_variant["A"]) <= 130
    assert 8 <= len(held_out) <= 35
    # Each variant has members held out to compare with.
    assert {r.variant for r in held_out} == {"A", "B"}


def test_a_draft_or_cancelled_campaign_never_launches(frozen_clock, downtown, segment):
    members(downtown, 3)
    draft = campaign(segment, status=Campaign.Status.DRAFT)
    cancelled = campaign(segment, status=Campaign.Status.CANCELLED)
    frozen_clock.move_to(local(TUESDAY, 11))

    launch_campaigns_task()

    assert not Touchpoint.objects.filter(campaign__in=[draft, cancelled]).exists()


def test_the_dispatcher_sends_the_rows_with_their_variant_on_the_timeline(
    frozen_clock, downtown, segment
):
    (maya,) = members(downtown, 1, first_name="Maya")
    winter = campaign(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    results = dispatcher.dispatch()

    row = rows(winter).get()
    assert results == {Status.DELIVERED: 1}
    assert (row.status, row.body) == (Status.DELIVERED, "Hi Maya, A")
    event = maya.events.get(kind=MemberEvent.Kind.MESSAGE_SENT)
    assert event.data["campaign"] == winter.pk and event.data["variant"] == "A"
    assert event.data["why"] == "campaign “Winter offer” (A): to the segment “Everyone at Downtown”"


def test_held_out_members_are_never_sent(frozen_clock, downtown, segment):
    members(downtown, 1)
    winter = campaign(segment, holdout_percent=100)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    assert dispatcher.dispatch() == {}
    assert rows(winter).get().status == Status.HELD_OUT


def test_consent_withdrawn_or_a_stop_after_the_launch_stops_the_message(
    frozen_clock, downtown, segment
):
    withdrawn, stopped, erased, kept = members(downtown, 4)
    winter = campaign(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    set_consent(withdrawn, "sms", granted=False, source="portal")
    opt_out_number(str(stopped.phone), source="sms_stop")
    erase(erased, by=None, reason="asked at the desk")
    dispatcher.dispatch()

    outcome = {row.member_id: (row.status, row.reason) for row in rows(winter)}
    assert outcome == {
        withdrawn.pk: (Status.SUPPRESSED, Reason.NO_CONSENT),
        stopped.pk: (Status.SUPPRESSED, Reason.NO_CONSENT),
        erased.pk: (Status.CANCELLED, Reason.OBSOLETE),
        kept.pk: (Status.DELIVERED, ""),
    }


def test_a_member_erased_before_the_launch_gets_no_row(frozen_clock, downtown, segment):
    gone, kept = members(downtown, 2)
    erase(gone, by=None, reason="asked at the desk")
    winter = campaign(segment)
    frozen_clock.move_to(local(TUESDAY, 10))

    launches.launch(winter)

    assert list(rows(winter).values_list("member_id", flat=True)) == [kept.pk]


def test_the_marketing_frequency_cap_counts_campaigns(frozen_clock, downtown, segment):
    capped, free = members(downtown, 2)
    rule = Rule.objects.filter(is_marketing=True).first()
    Touchpoint.objects.create(
        rule=rule,
        member=capped,
        club=downtown,
        occurrence_key="earlier",
        channel="sms",
        status=Status.DELIVERED,
        due_at=local(TUESDAY, 9),
        send_at=local(TUESDAY, 9),
        claimed_at=local(TUESDAY, 9),
        explanation="earlier today",
        created_at=local(TUESDAY, 9),
    )
    winter = campaign(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    dispatcher.dispatch()
    # A second campaign the same day is held back by the first one's message.
    spring = campaign(segment, name="Spring", holdout_percent=0, send_time=dt.time(10, 30))
    frozen_clock.move_to(local(TUESDAY, 10, 30))
    launches.launch(spring)
    dispatcher.dispatch()

    assert rows(winter).get(member=capped).reason == Reason.FREQUENCY_CAP
    assert rows(winter).get(member=free).status == Status.DELIVERED
    assert rows(spring).get(member=free).reason == Reason.FREQUENCY_CAP


def test_the_quiet_hours_hold_the_message_till_they_end(frozen_clock, downtown, segment):
    members(downtown, 1)
    winter = campaign(segment, holdout_percent=0)
    # The club's quiet hours were lengthened after the campaign was scheduled.
    downtown.quiet_hours_end = dt.time(11, 0)
    downtown.save()
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    at_ten = dispatcher.dispatch()
    frozen_clock.move_to(local(TUESDAY, 11))
    at_eleven = dispatcher.dispatch()

    row = rows(winter).get()
    assert (at_ten, at_eleven) == ({}, {Status.DELIVERED: 1})
    assert (row.due_at, row.send_at) == (local(TUESDAY, 10), local(TUESDAY, 11))


def test_a_template_failing_on_one_member_fails_that_row_only(frozen_clock, downtown, segment):
    members(downtown, 2)
    winter = campaign(segment, texts=("{{ first_name|divisibleby:2 }}",), holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))

    written = launches.launch(winter)

    assert written == 2
    assert set(rows(winter).values_list("status", "reason")) == {
        (Status.FAILED, Reason.TEMPLATE_ERROR)
    }


def test_the_members_dry_run_lists_a_campaign_message_waiting(
    frozen_clock, client, mia, downtown, segment
):
    (maya,) = members(downtown, 1, first_name="Maya")
    downtown.quiet_hours_end = dt.time(11, 0)
    downtown.save()
    winter = campaign(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)
    client.force_login(mia)

    (forecast,) = dryrun.member_forecast(maya)
    page = client.get(reverse("playbook:member_dry_run", args=[maya.pk])).content.decode()

    assert (forecast.source, forecast.rule_name, forecast.campaign_id) == (
        "campaign",
        "Winter offer",
        winter.pk,
    )
    assert (forecast.when, forecast.status) == ("Tue 24 Nov, 11:00", "will be sent")
    assert reverse("playbook:campaign", args=[winter.pk]) in page


def test_an_email_campaign_has_its_variants_subject_and_an_unsubscribe_link(
    frozen_clock, mailoutbox, downtown, segment
):
    (maya,) = members(downtown, 1, first_name="Maya", email_consent=True)
    winter = campaign(segment, channel="email", holdout_percent=0)
    winter.variants.update(subject="Winter at {{ club }}")
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(winter)

    dispatcher.dispatch()

    (sent,) = mailoutbox
    assert (sent.subject, sent.to) == ("Winter at Downtown", [maya.email])
    assert sent.body.startswith("Hi Maya, A")
    assert "List-Unsubscribe" in sent.extra_headers
