"""Sending in batches: a send task takes many claimed touchpoints and sends them one by one.
A refusal stays with its own row, a batch killed half-way is finished without a second
message, and a row kept waiting by the throttle renews its stamp before its call. SMS go
through the real Twilio SDK to a local fake Twilio."""

import datetime as dt
import uuid
from collections import Counter

import pytest
import redis
from celery import signals
from django.test import override_settings

from campaigns import channels, dispatcher, evaluator, tasks
from campaigns.channels import twilio_sms
from campaigns.models import Rule, Touchpoint
from club import clock
from club.celery import app
from members.models import MemberEvent
from tests.factories import MemberFactory

Status, Reason = Touchpoint.Status, Touchpoint.Reason


@pytest.fixture(autouse=True)
def only_our_rule(db):
    Rule.objects.update(is_active=False)


def due_birthday_sms(club, count: int) -> None:
    """`count` members whose birthday SMS is due now (the clock says 18:00, it was due at
    10:00), in the outbox."""
    members = [
        MemberFactory(
            home_club=club,
            first_name=f"Member{number}",
            birth_date=dt.date(1990, 11, 23),
            sms_consent=True,
        )
        for number in range(count)
    ]
    rule = Rule.objects.create(
        number=201,
        name="Birthday greeting",
        trigger="birthday",
        params={"at": "10:00"},
        channel="sms",
        template="Happy birthday, {{ first_name }}!",
        holdout_percent=0,
    )
    now = clock.now()
    created = evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=26), until=now)
    assert created == len(members)


def phone_of(pk: int) -> str:
    return str(Touchpoint.objects.get(pk=pk).member.phone)


def test_a_refused_message_does_not_hold_up_the_rest_of_its_batch(twilio, frozen_clock, downtown):
    # given a batch of four, where Twilio is down for one number and refuses another
    due_birthday_sms(downtown, 4)
    first, unavailable, invalid, last = dispatcher.claim()
    twilio.refuse[phone_of(unavailable)] = (503, 20503, "Service unavailable")
    twilio.refuse[phone_of(invalid)] = (400, 21211, "Invalid 'To' Phone Number")

    # when the batch is sent
    results = dispatcher.send_many([first, unavailable, invalid, last])

    # then the two others went out, each once, with their sids and timeline events
    assert results == {"sent": 2, "scheduled": 1, "failed": 1}
    assert Counter(m["to"] for m in twilio.messages) == {phone_of(first): 1, phone_of(last): 1}
    sent = Touchpoint.objects.filter(status=Status.SENT).order_by("pk")
    assert [tp.pk for tp in sent] == [first, last]
    assert {tp.provider_id for tp in sent} == {m["sid"] for m in twilio.messages}
    events = MemberEvent.objects.filter(kind=MemberEvent.Kind.MESSAGE_SENT)
    assert sorted(event.data["touchpoint"] for event in events) == [first, last]
    # and the refused ones took their own way: retry in a minute, and failed for good
    retry = Touchpoint.objects.get(pk=unavailable)
    assert (retry.status, retry.send_at) == (
        Status.SCHEDULED,
        clock.now() + dt.timedelta(minutes=1),
    )
    failed = Touchpoint.objects.get(pk=invalid)
    assert (failed.status, failed.reason) == (Status.FAILED, Reason.INVALID_NUMBER)


@override_settings(CAMPAIGN_SENDING_LEASE_SECONDS=60)
def test_a_batch_killed_after_some_sends_is_finished_without_a_second_message(
    twilio, frozen_clock, downtown
):
    # given a batch of four stamped by a worker that got two of them to Twilio, then died
    # before it recorded anything
    due_birthday_sms(downtown, 4)
    batch = dispatcher.claim()
    Touchpoint.objects.filter(pk__in=batch).update(send_started_at=clock.now(), attempts=1)
    sms = channels.get_channel("sms")
    for pk in batch[:2]:
        sms.send(Touchpoint.objects.get(pk=pk))
    accepted = {m["to"]: m["sid"] for m in twilio.messages}

    # when the same batch is handed out again within the lease, nothing happens
    assert dispatcher.send_many(batch) == {"skipped": 4}
    assert len(twilio.messages) == 2

    # and once the lease ran out, the dispatcher recovers the whole batch
    frozen_clock.move_to(clock.now() + dt.timedelta(minutes=2))
    assert sorted(dispatcher.stranded()) == sorted(batch)
    assert dispatcher.dispatch() == {"sent": 4}

    # then every member has one message; the first two were found at Twilio, not resent
    assert Counter(m["to"] for m in twilio.messages) == {phone_of(pk): 1 for pk in batch}
    for pk in batch[:2]:
        assert Touchpoint.objects.get(pk=pk).provider_id == accepted[phone_of(pk)]
    assert set(Touchpoint.objects.values_list("status", flat=True)) == {Status.SENT}
    events = MemberEvent.objects.filter(kind=MemberEvent.Kind.MESSAGE_SENT)
    assert sorted(event.data["touchpoint"] for event in events) == sorted(batch)


@override_settings(CAMPAIGN_SENDING_LEASE_SECONDS=60, TWILIO_SEGMENTS_PER_SECOND=1)
def test_a_row_kept_waiting_by_the_throttle_renews_its_stamp_before_its_call(
    twilio, frozen_clock, downtown, monkeypatch
):
    # given a batch of three and a sender allowed one segment a second, where every wait
    # for the next second takes 40 seconds
    due_birthday_sms(downtown, 3)
    batch = dispatcher.claim()
    monkeypatch.setattr(
        twilio_sms.time, "sleep", lambda seconds: frozen_clock.shift(dt.timedelta(seconds=40))
    )
    stamped_at = clock.now()

    # when the batch is sent (the last message goes 80 s after the stamp, past the lease)
    assert dispatcher.send_many(batch) == {"sent": 3}

    # then the last row was stamped again before its call, so no recovery could take it
    touchpoints = Touchpoint.objects.filter(pk__in=batch).order_by("pk")
    assert [tp.send_started_at - stamped_at for tp in touchpoints] == [
        dt.timedelta(0),
        dt.timedelta(0),
        dt.timedelta(seconds=40),
    ]
    assert Counter(m["to"] for m in twilio.messages) == {phone_of(pk): 1 for pk in batch}


@override_settings(TWILIO_SEGMENTS_PER_SECOND=1000)  # the clock is frozen: one second only
def test_dispatch_task_hands_out_claims_in_send_batches(twilio, frozen_clock, downtown):
    # given more due SMS than one send task takes, and tasks run in this process
    due_birthday_sms(downtown, tasks.SEND_BATCH + 5)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    batches = []

    def count_batch(sender, args, **kwargs):
        if sender.name == tasks.send_touchpoints_task.name:
            batches.append(len(args[0]))

    signals.task_prerun.connect(count_batch)
    try:
        # when the dispatcher runs
        queued = tasks.dispatch_task()
    finally:
        signals.task_prerun.disconnect(count_batch)
        app.conf.task_always_eager = eager

    # then two send tasks sent everything
    assert queued == tasks.SEND_BATCH + 5
    assert batches == [tasks.SEND_BATCH, 5]
    assert Touchpoint.objects.filter(status=Status.SENT).count() == tasks.SEND_BATCH + 5
    assert len(twilio.messages) == tasks.SEND_BATCH + 5


@pytest.mark.redis
def test_the_sms_budget_is_one_counter_per_sender_and_second_in_redis(
    redis_url, frozen_clock, monkeypatch
):
    # given the shared cache on Redis and a sender allowed 4 segments a second
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        frozen_clock.shift(dt.timedelta(seconds=seconds))

    monkeypatch.setattr(twilio_sms.time, "sleep", sleep)
    sender = f"+3197{uuid.uuid4().int % 10**9:09d}"
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    with override_settings(CACHES={"default": cache}, TWILIO_SEGMENTS_PER_SECOND=4):
        # when three 2-segment messages go
        for _ in range(3):
            twilio_sms.throttle(sender, 2)

    # then the third waited for the next second, and each second's counter expires
    assert waits == [1.0]
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(f"*sms-rate:{sender}:*")
    assert sorted(int(client.get(key)) for key in keys) == [2, 6]  # the refused take counts
    assert all(0 < client.ttl(key) <= 5 for key in keys)
    client.delete(*keys)
