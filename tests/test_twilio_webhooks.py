"""Twilio's webhooks: signed status callbacks move touchpoints only forward, and inbound SMS
STOP / START / HELP / replies act on the sender's number.

Requests are signed with the SDK's own RequestValidator, so the real verification runs.
"""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import resolve, reverse
from twilio.request_validator import RequestValidator

from campaigns import channels, delivery, dispatcher, tasks, webhooks
from campaigns.models import EarlyStatus, Rule, Touchpoint
from club import clock
from members.models import ConsentLog, Member, MemberEvent
from tests.factories import MemberFactory
from tests.fake_twilio import FakeTwilio
from tests.race import run_concurrently

TOKEN = "test-token"
SID = "SM0123456789abcdef0123456789abcdef"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
Status = Touchpoint.Status


@pytest.fixture(autouse=True)
def twilio_token():
    with override_settings(TWILIO_AUTH_TOKEN=TOKEN):
        yield


def post_signed(client, url_name, params, *, token=TOKEN, signature=None):
    """POST as Twilio does: form fields, signed over the full URL and the fields."""
    path = reverse(f"campaigns:{url_name}")
    if signature is None:
        signature = RequestValidator(token).compute_signature(f"http://testserver{path}", params)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def status_callback(client, status, *, sid=SID, error_code=None, **kwargs):
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "AccountSid": "AC00000000000000000000000000000000",
        "To": "+31612345678",
        "From": "+3197010000000",
    }
    if error_code:
        params["ErrorCode"] = error_code
    return post_signed(client, "twilio-status", params, **kwargs)


def inbound_sms(client, body, *, from_number="+31612345678", sid="SM_in_1", **kwargs):
    params = {
        "MessageSid": sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": from_number,
        "To": "+3197010000000",
        "Body": body,
        "NumMedia": "0",
    }
    return post_signed(client, "twilio-inbound", params, **kwargs)


@pytest.fixture
def rule(db):
    return Rule.objects.create(
        number=301,
        name="We miss you",
        trigger="days_since_last_visit",
        params={"days": 14},
        channel="sms",
        template="Hi {{ first_name }}, we miss you at {{ club }}.",
        holdout_percent=0,
    )


def make_touchpoint(member, rule, *, sid=SID, status=Status.SENT) -> Touchpoint:
    now = clock.now()
    return Touchpoint.objects.create(
        rule=rule,
        member=member,
        club=member.home_club,
        occurrence_key=f"test:{sid}",
        channel="sms",
        status=status,
        due_at=now,
        send_at=now,
        explanation="14 days without a visit",
        body="Hi Maya, we miss you at Downtown.",
        provider_id=sid,
        created_at=now,
        sent_at=now if status in (Status.SENT, Status.DELIVERED) else None,
    )


@pytest.fixture
def touchpoint(frozen_clock, maya, rule):
    """Maya's SMS, accepted by Twilio at 17:00 on 23 November 2026."""
    return make_touchpoint(maya, rule)


@pytest.fixture
def neighbour(downtown):
    """Another Downtown member with another phone and both consents."""
    return MemberFactory(
        home_club=downtown, phone="+31687654321", sms_consent=True, email_consent=True
    )


SENT_AT = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


# --- status callbacks --------------------------------------------------------------------


def test_delivered_callback_marks_the_touchpoint_delivered(client, frozen_clock, touchpoint):
    frozen_clock.shift(dt.timedelta(seconds=5))

    response = status_callback(client, "delivered")

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert touchpoint.delivered_at == SENT_AT + dt.timedelta(seconds=5)
    assert touchpoint.sent_at == SENT_AT


@pytest.mark.parametrize(
    "signature",
    [
        "",  # no header value
        "bm90IGEgc2lnbmF0dXJl",  # not ours
        RequestValidator("another-token").compute_signature(
            "http://testserver/hooks/twilio/status/",
            {"MessageSid": SID, "MessageStatus": "delivered"},
        ),
    ],
    ids=["empty", "garbage", "other-token"],
)
def test_status_callback_with_a_bad_signature_is_refused_and_changes_nothing(
    client, touchpoint, signature
):
    response = status_callback(client, "delivered", signature=signature)

    assert response.status_code == 403
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT
    assert touchpoint.delivered_at is None


def test_status_callback_without_the_signature_header_is_refused(client, touchpoint):
    path = reverse("campaigns:twilio-status")

    response = client.post(path, {"MessageSid": SID, "MessageStatus": "delivered"})

    assert response.status_code == 403
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT


def test_a_signature_over_other_fields_does_not_cover_changed_fields(client, touchpoint):
    path = reverse("campaigns:twilio-status")
    signed = {"MessageSid": SID, "MessageStatus": "sent"}
    signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{path}", signed)

    response = client.post(
        path,
        {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "21610"},
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 403
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT
    assert touchpoint.member.sms_consent is True


def test_without_an_auth_token_configured_every_callback_is_refused(client, touchpoint):
    # An empty key would let anyone compute a valid signature.
    with override_settings(TWILIO_AUTH_TOKEN=""):
        response = status_callback(client, "delivered", token="")

    assert response.status_code == 403
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
def test_status_callback_without_sid_or_status_is_a_bad_request(client, touchpoint, missing):
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    del params[missing]

    response = post_signed(client, "twilio-status", params)

    assert response.status_code == 400
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT


@override_settings(SITE_URL="https://downtown.example.com")
def test_the_sms_channel_asks_twilio_to_call_this_webhook(touchpoint):
    from campaigns.channels import twilio_sms

    url = twilio_sms.status_callback_url(touchpoint)

    assert url == "https://downtown.example.com/hooks/twilio/status/"
    assert resolve("/hooks/twilio/status/").func is webhooks.twilio_status


def test_status_callback_answers_only_post(client):
    response = client.get(reverse("campaigns:twilio-status"))

    assert response.status_code == 405


def test_late_sent_after_delivered_leaves_it_delivered(client, frozen_clock, touchpoint):
    status_callback(client, "delivered")
    frozen_clock.shift(dt.timedelta(seconds=30))

    response = status_callback(client, "sent")

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert touchpoint.delivered_at == SENT_AT


def test_failed_after_delivered_changes_nothing(client, touchpoint):
    status_callback(client, "delivered")

    status_callback(client, "failed", error_code="30008")

    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert touchpoint.error == ""


def test_duplicate_delivered_callback_keeps_the_first_delivery_time(
    client, frozen_clock, touchpoint
):
    status_callback(client, "delivered")
    frozen_clock.shift(dt.timedelta(minutes=2))

    status_callback(client, "delivered")

    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert touchpoint.delivered_at == SENT_AT


@pytest.mark.parametrize("early", ["queued", "accepted", "sending", "sent", "no-such-status"])
def test_statuses_that_are_not_news_change_nothing(client, touchpoint, early):
    response = status_callback(client, early)

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT
    assert touchpoint.delivered_at is None


def test_sent_callback_moves_a_sending_touchpoint_forward(client, frozen_clock, maya, rule):
    touchpoint = make_touchpoint(maya, rule, status=Status.SENDING)

    status_callback(client, "sent")

    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT
    assert touchpoint.sent_at == SENT_AT


def test_undelivered_callback_fails_the_touchpoint_with_the_error_code(client, touchpoint):
    response = status_callback(client, "undelivered", error_code="30003")

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.FAILED
    assert touchpoint.error == "30003: undelivered"
    assert touchpoint.reason == ""
    assert touchpoint.member.sms_consent is True


def test_error_21610_opts_out_only_that_members_number(client, touchpoint, maya, neighbour):
    response = status_callback(client, "failed", error_code="21610")

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.FAILED
    assert touchpoint.reason == Touchpoint.Reason.OPTED_OUT
    assert touchpoint.error == "21610: failed"
    maya.refresh_from_db()
    neighbour.refresh_from_db()
    assert (maya.sms_consent, maya.email_consent) == (False, True)
    assert (neighbour.sms_consent, neighbour.email_consent) == (True, True)
    log = ConsentLog.objects.get(member=maya, granted=False)
    assert (log.channel, log.source) == ("sms", "twilio_21610")
    assert not ConsentLog.objects.filter(member=neighbour).exists()


def test_a_repeated_21610_callback_does_not_undo_a_later_start(client, touchpoint, maya):
    status_callback(client, "failed", error_code="21610")
    inbound_sms(client, "START")

    status_callback(client, "failed", error_code="21610")

    maya.refresh_from_db()
    assert maya.sms_consent is True


def test_callback_for_an_unknown_message_is_accepted_and_changes_nothing(client, touchpoint):
    response = status_callback(client, "failed", sid="SMffffffffffffffffffffffffffffffff")

    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.SENT
    assert delivery.record_provider_status("SMnope", "delivered") is None


def test_an_empty_provider_id_never_matches_unsent_touchpoints(frozen_clock, maya, rule):
    unsent = make_touchpoint(maya, rule, sid="", status=Status.SENDING)

    assert delivery.record_provider_status("", "delivered") is None

    unsent.refresh_from_db()
    assert unsent.status == Status.SENDING


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_delivered_and_failed_callbacks_leave_one_consistent_outcome(
    frozen_clock, maya, rule
):
    touchpoint = make_touchpoint(maya, rule)
    turn = iter(["delivered", "failed"] * 4)  # one status per thread

    outcome = run_concurrently(
        lambda: delivery.record_provider_status(SID, next(turn), error_code="30008"), threads=8
    )

    assert outcome.errors == []
    touchpoint.refresh_from_db()
    if touchpoint.status == Status.DELIVERED:
        assert (touchpoint.delivered_at, touchpoint.error) == (SENT_AT, "")
    else:
        assert touchpoint.status == Status.FAILED
        assert (touchpoint.delivered_at, touchpoint.error) == (None, "30008: failed")


# --- callbacks that come before the message's id is recorded ----------------------------


def fake_sid(n: int) -> str:
    """The sid the fake Twilio gives the n-th message it accepts."""
    return f"SM{n:032x}"


@pytest.fixture
def twilio():
    """The real SMS channel, talking to a local fake Twilio."""
    with FakeTwilio() as fake:
        settings = {
            "TWILIO_ACCOUNT_SID": "ACtest",
            "TWILIO_API_BASE": fake.url,
            "CAMPAIGN_CHANNELS": {"sms": "campaigns.channels.twilio_sms.TwilioSMS"},
        }
        channels.reset()
        with override_settings(**settings):
            yield fake
        channels.reset()


def claimed(member, rule, n: int = 1) -> Touchpoint:
    """A touchpoint the dispatcher has claimed and not yet sent: no provider id yet."""
    touchpoint = make_touchpoint(member, rule, sid=f"unsent-{n}", status=Status.SENDING)
    Touchpoint.objects.filter(pk=touchpoint.pk).update(provider_id="", claimed_at=clock.now())
    return touchpoint


def test_a_callback_before_the_id_is_recorded_is_applied_once_it_is(
    client, twilio, frozen_clock, maya, rule
):
    # given an SMS being sent, and Twilio's "delivered" arriving before we recorded its sid
    touchpoint = claimed(maya, rule)
    frozen_clock.shift(dt.timedelta(seconds=1))
    response = status_callback(client, "delivered", sid=fake_sid(1))
    assert response.status_code == 204
    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.provider_id) == (Status.SENDING, "")

    # when the dispatcher records the send
    assert dispatcher.send_many([touchpoint.pk]) == {"sent": 1}

    # then the kept callback is applied: delivered, and nothing is left waiting
    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.provider_id) == (Status.DELIVERED, fake_sid(1))
    assert touchpoint.delivered_at == touchpoint.sent_at == SENT_AT + dt.timedelta(seconds=1)
    assert not EarlyStatus.objects.exists()


def test_early_callbacks_out_of_order_and_a_late_sent_never_move_it_back(
    client, twilio, frozen_clock, maya, rule
):
    # given "delivered" and then "sent" (and "delivered" again) before the sid is recorded
    touchpoint = claimed(maya, rule)
    for status in ["delivered", "sent", "delivered"]:
        assert status_callback(client, status, sid=fake_sid(1)).status_code == 204
    assert EarlyStatus.objects.count() == 2

    # when the send is recorded, and a last "sent" callback comes late
    dispatcher.send_many([touchpoint.pk])
    status_callback(client, "sent", sid=fake_sid(1))

    # then it stays delivered
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert not EarlyStatus.objects.exists()


def test_an_early_21610_failure_fails_the_message_and_opts_the_number_out(
    client, twilio, maya, rule
):
    touchpoint = claimed(maya, rule)
    status_callback(client, "failed", sid=fake_sid(1), error_code="21610")

    dispatcher.send_many([touchpoint.pk])

    touchpoint.refresh_from_db()
    assert (touchpoint.status, touchpoint.reason) == (Status.FAILED, Touchpoint.Reason.OPTED_OUT)
    assert touchpoint.error == "21610: failed"
    maya.refresh_from_db()
    assert maya.sms_consent is False


def test_a_callback_kept_while_a_worker_died_is_applied_by_the_next_dispatch(
    client, frozen_clock, maya, rule
):
    # given a callback kept early, and a worker killed after it recorded the sid but before
    # it applied the callback
    status_callback(client, "delivered", sid=SID)
    touchpoint = make_touchpoint(maya, rule)

    # when the dispatcher runs its minute
    tasks.dispatch_task()

    # then the message is delivered and nothing is left waiting
    touchpoint.refresh_from_db()
    assert touchpoint.status == Status.DELIVERED
    assert not EarlyStatus.objects.exists()


@pytest.mark.parametrize("status", ["queued", "accepted", "sending", "no-such-status"])
def test_an_early_callback_that_is_not_news_is_not_kept(client, db, status):
    response = status_callback(client, status, sid=fake_sid(1))

    assert response.status_code == 204
    assert not EarlyStatus.objects.exists()


def test_an_early_callback_whose_id_never_comes_is_forgotten_after_a_day(client, db, frozen_clock):
    # given a callback for a message that is not ours (sent from the Twilio console)
    status_callback(client, "delivered", sid="SMnotours")

    # when another early callback comes a day later
    frozen_clock.shift(dt.timedelta(days=1, seconds=1))
    status_callback(client, "delivered", sid=fake_sid(1))

    # then only that one is kept
    assert list(EarlyStatus.objects.values_list("provider_id", flat=True)) == [fake_sid(1)]


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_callbacks_racing_the_recording_of_their_ids_are_all_applied(twilio, frozen_clock, rule):
    # given ten SMS being sent
    members = [MemberFactory(phone=f"+3161234560{n}", sms_consent=True) for n in range(10)]
    touchpoints = [claimed(member, rule, n) for n, member in enumerate(members, 1)]
    pks = [touchpoint.pk for touchpoint in touchpoints]
    jobs = iter(
        [
            lambda: dispatcher.send_many(pks),
            lambda: [
                delivery.record_provider_status(fake_sid(n), "delivered") for n in range(1, 11)
            ],
        ]
    )

    # when Twilio's callbacks come while the sends are being recorded, before, during, after
    outcome = run_concurrently(lambda: next(jobs)(), threads=2)

    # then every message ends delivered and no callback is left waiting
    assert outcome.errors == []
    assert sorted(Touchpoint.objects.values_list("status", flat=True)) == [Status.DELIVERED] * 10
    assert not EarlyStatus.objects.exists()


# --- inbound messages --------------------------------------------------------------------

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT", "REVOKE"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
@pytest.mark.parametrize(
    "spelling",
    [str.upper, str.lower, lambda w: f"  {w[0]}{w[1:].lower()}\n", lambda w: f"{w.lower()}."],
    ids=["upper", "lower", "capitalised-with-spaces", "with-full-stop"],
)
def test_opt_out_keywords_revoke_sms_consent_of_that_number(
    client, frozen_clock, maya, neighbour, word, spelling
):
    response = inbound_sms(client, spelling(word))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == EMPTY_TWIML
    maya.refresh_from_db()
    neighbour.refresh_from_db()
    assert (maya.sms_consent, maya.email_consent) == (False, True)
    assert neighbour.sms_consent is True
    log = ConsentLog.objects.get(member=maya, granted=False)
    assert (log.channel, log.source) == ("sms", "sms_stop")
    assert not maya.events.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).exists()


def test_stop_reaches_every_member_sharing_the_number_and_no_one_else(
    client, downtown, riverside, maya, neighbour
):
    # A parent and a child at another club, on one phone.
    child = MemberFactory(home_club=riverside, phone=maya.phone, sms_consent=True)

    inbound_sms(client, "STOP")

    assert list(
        Member.objects.filter(sms_consent=False).order_by("pk").values_list("pk", flat=True)
    ) == [maya.pk, child.pk]


@pytest.mark.parametrize("body", ["STOP PLEASE", "please stop", "Stop texting me", "STOP?"])
def test_a_sentence_with_stop_is_a_reply_on_the_timeline_not_an_opt_out(
    client, frozen_clock, maya, body
):
    response = inbound_sms(client, body)

    assert response.content.decode() == EMPTY_TWIML
    maya.refresh_from_db()
    assert maya.sms_consent is True
    reply = maya.events.get(kind=MemberEvent.Kind.MESSAGE_REPLY)
    assert reply.data == {"text": body, "from_": "+31612345678", "message_sid": "SM_in_1"}
    assert reply.at == SENT_AT


@pytest.mark.parametrize("body", ["START", "unstop", " Start "])
def test_start_and_unstop_grant_sms_consent_back(client, maya, body):
    inbound_sms(client, "STOP", sid="SM_in_1")

    response = inbound_sms(client, body, sid="SM_in_2")

    assert response.content.decode() == EMPTY_TWIML
    maya.refresh_from_db()
    assert maya.sms_consent is True
    latest = ConsentLog.objects.filter(member=maya, channel="sms").first()
    assert (latest.granted, latest.source) == (True, "sms_start")


def test_yes_is_a_reply_and_does_not_opt_back_in(client, maya):
    inbound_sms(client, "STOP", sid="SM_in_1")

    inbound_sms(client, "Yes", sid="SM_in_2")

    maya.refresh_from_db()
    assert maya.sms_consent is False
    assert maya.events.get(kind=MemberEvent.Kind.MESSAGE_REPLY).data["text"] == "Yes"


@pytest.mark.parametrize("body", ["HELP", "help", " Info "])
def test_help_replies_with_the_clubs_name_and_phone(client, maya, body):
    response = inbound_sms(client, body)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "Downtown: membership messages. Questions? Call +31 20 123 4567. "
        "Reply STOP to unsubscribe, START to subscribe again."
        "</Message></Response>"
    )
    maya.refresh_from_db()
    assert maya.sms_consent is True
    assert not maya.events.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).exists()


def test_help_from_an_unknown_number_names_the_club_texted(client, riverside):
    riverside.sms_sender = "+3197010000000"
    riverside.save()

    response = inbound_sms(client, "HELP", from_number="+4915112345678")

    assert "Riverside: membership messages. Questions? Call +31 10 765 4321." in (
        response.content.decode()
    )


@override_settings(WAGTAIL_SITE_NAME="ClubCycle")
def test_help_from_an_unknown_number_to_an_unknown_sender_is_generic(client, db):
    response = inbound_sms(client, "HELP", from_number="+4915112345678")

    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "ClubCycle: messages from your fitness club. "
        "Reply STOP to unsubscribe, START to subscribe again."
        "</Message></Response>"
    )


def test_a_reply_lands_on_the_timeline_of_every_member_with_that_phone(
    client, riverside, maya, neighbour
):
    child = MemberFactory(home_club=riverside, phone=maya.phone)

    inbound_sms(client, "  See you on Tuesday!  ")

    for member in (maya, child):
        reply = member.events.get(kind=MemberEvent.Kind.MESSAGE_REPLY)
        assert reply.data["text"] == "See you on Tuesday!"
    assert not neighbour.events.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).exists()


def test_a_retried_inbound_message_is_recorded_once(client, maya):
    inbound_sms(client, "Running late", sid="SM_retry")

    inbound_sms(client, "Running late", sid="SM_retry")

    assert maya.events.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).count() == 1


def test_a_reply_from_an_unknown_number_is_answered_and_recorded_nowhere(client, maya):
    response = inbound_sms(client, "Who is this?", from_number="+4915112345678")

    assert response.status_code == 200
    assert response.content.decode() == EMPTY_TWIML
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).exists()


def test_inbound_with_a_bad_signature_is_refused_and_changes_nothing(client, maya):
    response = inbound_sms(client, "STOP", signature="bm90IGEgc2lnbmF0dXJl")

    assert response.status_code == 403
    maya.refresh_from_db()
    assert maya.sms_consent is True
    assert not ConsentLog.objects.filter(member=maya, granted=False).exists()


def test_inbound_without_a_sender_is_a_bad_request(client, maya):
    response = post_signed(client, "twilio-inbound", {"MessageSid": "SM_in_1", "Body": "STOP"})

    assert response.status_code == 400
    maya.refresh_from_db()
    assert maya.sms_consent is True


def test_inbound_answers_only_post(client):
    response = client.get(reverse("campaigns:twilio-inbound"))

    assert response.status_code == 405


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_inbound_message_record_one_reply(maya):
    outcome = run_concurrently(
        lambda: webhooks.handle_inbound("+31612345678", "Running late", message_sid="SM_race"),
        threads=6,
    )

    assert outcome.errors == []
    assert maya.events.filter(kind=MemberEvent.Kind.MESSAGE_REPLY).count() == 1
