"""Member records: card tokens, phones, the timeline and consent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from club import clock
from members import consent, timeline
from members.models import Channel, ConsentLog, Member, MemberEvent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_two_members_cannot_share_a_card(downtown, riverside):
    # given a member with card A-100
    MemberFactory(home_club=downtown, card_token="A-100")

    # when another member, even at another club, gets the same card
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(home_club=riverside, card_token="A-100")

    # then only the first one exists
    assert Member.objects.filter(card_token="A100").count() == 1


@pytest.mark.parametrize("no_card", ["", None])
def test_members_without_a_card_do_not_collide(downtown, no_card):
    # given / when two members are saved without a card
    first = MemberFactory(home_club=downtown, card_token=no_card)
    second = MemberFactory(home_club=downtown, card_token=no_card)

    # then both are stored, with no card rather than an empty one
    assert list(
        Member.objects.filter(pk__in=[first.pk, second.pk]).values_list("card_token", flat=True)
    ) == [None, None]


def test_the_database_refuses_an_empty_card_token(maya):
    # given Maya with a card
    # when her card is blanked bypassing save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=maya.pk).update(card_token="")

    # then her card is unchanged
    maya.refresh_from_db()
    assert maya.card_token == "MAYA0001"


def test_timeline_record_appends_an_event(frozen_clock, maya, fiona):
    # given Maya and Fiona at the desk
    # when Fiona notes a call, with a date and an amount in the data
    event = timeline.record(
        maya,
        MemberEvent.Kind.NOTE,
        actor=fiona,
        text="Called about renewal",
        call_back_on=dt.date(2026, 11, 30),
        offered=Decimal("39.50"),
    )

    # then one event is stored, at the clock's now, with JSON-safe data
    stored = MemberEvent.objects.get(member=maya)
    assert stored == event
    assert stored.kind == MemberEvent.Kind.NOTE
    assert stored.actor == fiona
    assert stored.at == clock.now() == dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    assert stored.data == {
        "text": "Called about renewal",
        "call_back_on": "2026-11-30",
        "offered": "39.50",
    }


def test_timeline_record_keeps_an_explicit_time(maya):
    # given an event that happened earlier (an import, a late webhook)
    at = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC)

    # when it is recorded with its own time
    timeline.record(maya, MemberEvent.Kind.VISIT, at=at)

    # then it keeps that time
    assert MemberEvent.objects.get(member=maya).at == at


@pytest.mark.parametrize("kind", ["holiday", "", "NOTE"])
def test_timeline_record_rejects_unknown_kinds(maya, kind):
    # given Maya
    # when an event of a kind the timeline does not know is recorded
    with pytest.raises(ValueError, match="Unknown timeline event kind"):
        timeline.record(maya, kind)

    # then nothing is written
    assert MemberEvent.objects.filter(member=maya).count() == 0


@pytest.mark.parametrize(
    ("channel", "field"), [(Channel.SMS, "sms_consent"), (Channel.EMAIL, "email_consent")]
)
def test_revoking_consent_flips_the_flag_logs_it_and_tells_the_timeline(
    frozen_clock, maya, fiona, channel, field
):
    # given Maya, who agreed to both channels
    # when she withdraws consent for one channel at the desk
    entry = consent.set_consent(
        maya, channel, granted=False, source="desk", wording="No more offers", recorded_by=fiona
    )

    # then the flag is off, in memory and in the database, and only for that channel
    maya_in_db = Member.objects.get(pk=maya.pk)
    assert getattr(maya, field) is False
    assert getattr(maya_in_db, field) is False
    assert maya_in_db.has_consent(channel) is False
    other = Channel.EMAIL if channel == Channel.SMS else Channel.SMS
    assert maya_in_db.has_consent(other) is True
    # and the consent log has the withdrawal, newest first
    latest = ConsentLog.objects.filter(member=maya).first()
    assert latest == entry
    assert (latest.channel, latest.granted, latest.source, latest.wording) == (
        channel,
        False,
        "desk",
        "No more offers",
    )
    assert latest.recorded_by == fiona
    assert latest.at == clock.now()
    # and the timeline says so
    event = MemberEvent.objects.get(member=maya)
    assert event.kind == MemberEvent.Kind.CONSENT_CHANGED
    assert event.actor == fiona
    assert event.data == {"channel": channel.value, "granted": False, "source": "desk"}


def test_granting_consent_turns_the_flag_on(downtown):
    # given a lead who has not agreed to SMS
    lead = MemberFactory(home_club=downtown, sms_consent=False)

    # when they agree on the trial form
    consent.set_consent(lead, Channel.SMS, granted=True, source="trial form", wording="Text me")

    # then SMS consent is on and logged
    lead.refresh_from_db()
    assert lead.sms_consent is True
    assert list(ConsentLog.objects.filter(member=lead).values_list("channel", "granted")) == [
        (Channel.SMS, True)
    ]


def test_consent_for_an_unknown_channel_changes_nothing(maya):
    # given Maya with two consent log rows from her sign-up
    # when consent is set for a channel that does not exist
    with pytest.raises(ValueError):
        consent.set_consent(maya, "fax", granted=False, source="desk")

    # then nothing is written
    assert ConsentLog.objects.filter(member=maya).count() == 2
    assert MemberEvent.objects.filter(member=maya).count() == 0


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12345678", "+31612345678"),
        ("06-1234 5678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("020 123 4567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phones_are_stored_in_e164(downtown, typed, e164):
    # given a phone as the desk typed it (region NL by default)
    # when the member is saved
    member = MemberFactory(home_club=downtown, phone=typed)

    # then the database holds the E.164 form
    assert Member.objects.filter(pk=member.pk).values_list("phone", flat=True).get() == e164
    member.refresh_from_db()
    assert member.phone.as_e164 == e164


@pytest.mark.parametrize("typed", ["12345", "not a phone", "06 1234"])
def test_an_invalid_phone_fails_validation_on_the_phone_field(downtown, typed):
    # given a member with a phone that cannot be a number
    member = MemberFactory.build(home_club=downtown, phone=typed)

    # when the record is validated
    with pytest.raises(ValidationError) as error:
        member.full_clean()

    # then the error is on the phone field, and only there
    assert set(error.value.message_dict) == {"phone"}


@pytest.mark.parametrize(
    ("first", "last", "initials"),
    [
        ("Sophie", "de Haan", "SH"),
        ("Daan", "van der Meer", "DM"),
        ("Liam", "O'Brien", "LO"),
        ("émile", "lefèvre", "ÉL"),
        ("Cher", "", "C"),
    ],
)
def test_initials_skip_the_surnames_lower_case_prefixes(first, last, initials):
    assert Member(first_name=first, last_name=last).initials == initials
