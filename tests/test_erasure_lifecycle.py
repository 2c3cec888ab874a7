"""The lifecycle after an erasure: an erased member is sent nothing and given no staff call, the
dispatcher cancels what was due for them without failing on a member with no phone or email,
and the evaluator writes them no touchpoint at all."""

import datetime as dt

import pytest
from django.test import override_settings

from campaigns import channels, dispatcher, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from club import clock
from members import erasure
from members.models import MemberEvent, Task
from memberships.models import Membership

Status, Reason = Touchpoint.Status, Touchpoint.Reason


class RecordingSMS(channels.Channel):
    """An SMS channel that only remembers what it was asked to send."""

    sent: list[int] = []

    def send(self, touchpoint):
        self.sent.append(touchpoint.pk)
        return channels.Sent(provider_id=f"rec-{touchpoint.pk}", segments=1, delivered=False)

    def find_sent(self, touchpoint):
        return None

    def segments(self, body):
        return 1


@pytest.fixture
def recording_channels():
    RecordingSMS.sent = []
    backends = {
        "sms": f"{__name__}.RecordingSMS",
        "email": f"{__name__}.RecordingSMS",
        "task": "campaigns.channels.staff_task.StaffTask",
    }
    channels.reset()
    with override_settings(CAMPAIGN_CHANNELS=backends):
        yield RecordingSMS.sent
    channels.reset()


def winback(days: int, channel: str = "sms") -> Rule:
    """A win-back rule that fires now for a membership that ended `days` ago: erased members
    are former members, whom win-back rules are written for."""
    return Rule.objects.create(
        number=300 + days,
        name=f"Win-back {days} {channel}",
        trigger="membership_ended",
        params={"days": days, "at": "18:00"},  # frozen_clock: 18:00 in Amsterdam
        channel=channel,
        template="We miss you, {{ first_name }}",
        holdout_percent=0,
        is_marketing=False,
    )


@pytest.fixture(autouse=True)
def only_our_rules(db):
    Rule.objects.update(is_active=False)


@pytest.fixture
def erased_maya(frozen_clock, maya, max):
    today = clock.today(maya.home_club)
    Membership.objects.filter(member=maya).update(
        start=today - dt.timedelta(days=60), end=today - dt.timedelta(days=31)
    )
    erasure.erase(maya, by=max, reason="Asked by email")
    maya.refresh_from_db()
    return maya


def due_touchpoint(member, *, days: int, channel="sms", status=Status.SCHEDULED):
    """The touchpoint of the win-back rule's occurrence for the member's lapse, due now."""
    now = clock.now()
    lapsed = member.memberships.get()
    return Touchpoint.objects.create(
        rule=winback(days, channel),
        member=member,
        club=member.home_club,
        occurrence_key=f"lapse:{lapsed.pk}",
        channel=channel,
        status=status,
        due_at=now,
        send_at=now,
        claimed_at=now if status == Status.SENDING else None,
        created_at=now,
        body="We miss you",
    )


@pytest.mark.parametrize("channel", ["sms", "email", "task"])
def test_the_dispatcher_cancels_what_was_due_for_an_erased_member(
    recording_channels, erased_maya, channel
):
    touchpoint = due_touchpoint(erased_maya, days=31, channel=channel)

    results = dispatcher.dispatch()

    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.reason) == (Status.CANCELLED, Reason.OBSOLETE)
    assert results == {}  # nothing was claimed to send
    assert recording_channels == []
    assert not Task.objects.filter(member=erased_maya).exists()
    assert not erased_maya.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT).exists()


def test_a_message_claimed_before_the_erasure_never_goes(recording_channels, erased_maya):
    # Claimed (`sending`) while she was still there; the erasure came before the provider call.
    touchpoint = due_touchpoint(erased_maya, days=31, status=Status.SENDING)

    results = dispatcher.send_many([touchpoint.pk])

    touchpoint.refresh_from_db()
    assert results == {Status.CANCELLED: 1}
    assert (touchpoint.status, touchpoint.reason) == (Status.CANCELLED, Reason.OBSOLETE)
    assert recording_channels == []


def test_others_are_still_sent(recording_channels, erased_maya, tom_berg):
    tom_berg.sms_consent = True
    tom_berg.phone = "+31687654321"
    tom_berg.save()
    theirs = due_touchpoint(tom_berg, days=20)  # his month ended on 3 November
    hers = due_touchpoint(erased_maya, days=31)

    dispatcher.dispatch()

    assert recording_channels == [theirs.pk]
    assert Touchpoint.objects.get(pk=hers.pk).status == Status.CANCELLED


def test_the_evaluator_writes_an_erased_member_nothing(erased_maya):
    rule = winback(31)
    club = erased_maya.home_club
    now = clock.now()
    found = triggers.occurrences(
        rule.trigger,
        triggers.Window(club=club, since=now - dt.timedelta(hours=1), until=now),
        rule.params,
    )

    created = evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=1), until=now)

    assert [o.member_id for o in found] == [erased_maya.pk]  # her lapse is still a fact
    assert created == 0 and not Touchpoint.objects.filter(member=erased_maya).exists()
