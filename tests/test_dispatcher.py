"""The dispatcher: due touchpoints leave the outbox once, to a member who agreed, at a decent
hour, within the frequency cap, and only while their reason still holds. SMS go through the
real Twilio SDK to a local fake Twilio."""

import datetime as dt
import time

import pytest
from django.test import override_settings

from campaigns import channels, dispatcher, evaluator
from campaigns.models import Rule, Touchpoint
from campaigns.optout import opt_out_number
from club import clock
from members.consent import set_consent
from members.models import Member, MemberEvent
from memberships import sales
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

TODAY = dt.date(2026, 11, 23)  # frozen_clock: 18:00 in Amsterdam
Status, Reason = Touchpoint.Status, Touchpoint.Reason


@pytest.fixture(autouse=True)
def only_our_rules(db):
    Rule.objects.update(is_active=False)


def birthday_rule(number=201, **fields) -> Rule:
    defaults = {
        "name": f"Birthday greeting {number}",
        "trigger": "birthday",
        "params": {"at": "10:00"},
        "channel": "sms",
        "template": "Happy birthday, {{ first_name }}! ({{ club }}, rule " + str(number) + ")",
        "holdout_percent": 0,
    }
    return Rule.objects.create(number=number, **{**defaults, **fields})


def renewal_reminder_rule() -> Rule:
    return Rule.objects.create(
        number=215,
        name="Renewal reminder",
        trigger="membership_ends_in",
        params={"days": 7, "at": "10:00"},
        channel="sms",
        template="Your {{ plan }} ends {{ end|date:'j M' }}",
        holdout_percent=0,
    )


def annual_member_ending_in(club, *, days: int):
    member = MemberFactory(home_club=club, sms_consent=True)
    year = PlanFactory(club=club, duration_days=365, name="Annual")
    start = TODAY + dt.timedelta(days=days - 364)
    return member, MembershipFactory(member=member, plan=year, start=start)


def evaluate(rule, club):
    now = clock.now()
    return evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=26), until=now)


@pytest.fixture
def birthday_member(frozen_clock, downtown):
    return MemberFactory(
        home_club=downtown, first_name="Bo", birth_date=dt.date(1990, 11, 23), sms_consent=True
    )


def test_a_due_sms_goes_out_once_through_twilio(twilio, birthday_member, downtown):
    evaluate(birthday_rule(), downtown)

    first = dispatcher.dispatch()
    again = dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert twilio.bodies_to(str(birthday_member.phone)) == [
        "Happy birthday, Bo! (Downtown, rule 201)"
    ]
    assert (first, again) == ({"sent": 1}, {})
    assert touchpoint.status == Status.SENT
    assert touchpoint.provider_id == twilio.messages[0]["sid"]
    assert touchpoint.segments == 1 and touchpoint.sent_at == clock.now()
    event = birthday_member.events.get(kind=MemberEvent.Kind.MESSAGE_SENT)
    assert event.data["why"].startswith("rule 201: on the member's birthday")


def test_consent_withdrawn_after_scheduling_is_checked_at_send_time(
    twilio, birthday_member, downtown
):
    evaluate(birthday_rule(), downtown)
    set_consent(birthday_member, "sms", granted=False, source="desk")

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.NO_CONSENT)
    assert twilio.messages == []


def test_no_sms_after_stop(twilio, birthday_member, downtown):
    evaluate(birthday_rule(), downtown)
    opt_out_number(str(birthday_member.phone), source="sms_stop")

    dispatcher.dispatch()

    assert Touchpoint.objects.get().reason == Reason.NO_CONSENT
    assert twilio.messages == []


def test_no_sms_without_consent(twilio, frozen_clock, downtown):
    MemberFactory(home_club=downtown, birth_date=dt.date(1990, 11, 23), sms_consent=False)
    evaluate(birthday_rule(), downtown)

    dispatcher.dispatch()

    assert Touchpoint.objects.get().status == Status.SUPPRESSED
    assert twilio.messages == []


def test_nothing_goes_at_23_local_it_waits_for_9(twilio, birthday_member, downtown, frozen_clock):
    evaluate(birthday_rule(), downtown)
    frozen_clock.move_to("2026-11-23 22:00:00+00:00")  # 23:00 in Amsterdam

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert twilio.messages == []
    assert touchpoint.status == Status.SCHEDULED
    assert touchpoint.send_at == clock.local_datetime(TODAY + dt.timedelta(days=1), dt.time(9))

    frozen_clock.move_to("2026-11-24 08:00:00+00:00")  # 09:00 the next morning
    dispatcher.dispatch()
    assert Touchpoint.objects.get().status == Status.SENT
    assert len(twilio.messages) == 1


def test_quiet_hours_that_push_a_message_a_day_late_drop_it(
    twilio, birthday_member, downtown, frozen_clock
):
    evaluate(birthday_rule(params={"at": "10:00", "max_delay_hours": 6}), downtown)
    frozen_clock.move_to("2026-11-23 22:00:00+00:00")

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (
        Status.SUPPRESSED,
        Reason.QUIET_HOURS_OVERFLOW,
    )


def test_the_frequency_cap_holds_when_five_rules_fire_the_same_day(
    twilio, birthday_member, downtown
):
    for number, priority in [(201, 10), (202, 50), (203, 90), (204, 30), (205, 70)]:
        evaluate(birthday_rule(number, priority=priority), downtown)
    receipt = birthday_rule(206, is_marketing=False, template="Your receipt, {{ first_name }}")
    evaluate(receipt, downtown)

    dispatcher.dispatch()

    sent = Touchpoint.objects.filter(status=Status.SENT)
    assert sorted(sent.values_list("rule__number", flat=True)) == [203, 206]
    capped = Touchpoint.objects.filter(reason=Reason.FREQUENCY_CAP)
    assert sorted(capped.values_list("rule__number", flat=True)) == [201, 202, 204, 205]
    assert len(twilio.messages) == 2  # the highest priority, and the transactional one


def test_the_weekly_cap_allows_three_marketing_messages(twilio, frozen_clock, downtown):
    member = MemberFactory(home_club=downtown, sms_consent=True)
    for day in range(4):
        frozen_clock.move_to(clock.local_datetime(TODAY + dt.timedelta(days=day), dt.time(18)))
        member.birth_date = dt.date(1990, 11, 23 + day)
        member.save()
        evaluate(birthday_rule(201 + day), downtown)
        dispatcher.dispatch()

    statuses = list(Touchpoint.objects.order_by("rule__number").values_list("status", "reason"))
    assert statuses == [("sent", "")] * 3 + [("suppressed", "frequency_cap")]


def test_a_renewal_reminder_is_cancelled_when_the_member_renewed(twilio, frozen_clock, downtown):
    _, ending = annual_member_ending_in(downtown, days=7)
    rule = renewal_reminder_rule()
    evaluate(rule, downtown)
    sales.renew(ending, method="cash")

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.CANCELLED, Reason.OBSOLETE)
    assert twilio.messages == []


def test_a_twilio_5xx_is_retried_with_backoff_then_fails(
    twilio, birthday_member, downtown, frozen_clock
):
    twilio.refuse[str(birthday_member.phone)] = (503, 20503, "Service unavailable")
    evaluate(birthday_rule(), downtown)

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert touchpoint.status == Status.SCHEDULED
    assert touchpoint.send_at == clock.now() + dt.timedelta(minutes=1)
    assert touchpoint.attempts == 1 and "Service unavailable" in touchpoint.error

    for minutes in (5, 15, 60, None):
        frozen_clock.move_to(touchpoint.send_at)
        dispatcher.dispatch()
        touchpoint.refresh_from_db()
        if minutes:
            assert touchpoint.send_at == clock.now() + dt.timedelta(minutes=minutes)
    assert (touchpoint.status, touchpoint.attempts) == (Status.FAILED, 5)


def test_error_21610_fails_for_good_and_opts_out_only_that_number(
    twilio, birthday_member, downtown
):
    neighbour = MemberFactory(
        home_club=downtown, birth_date=dt.date(1991, 11, 23), sms_consent=True
    )
    twilio.refuse[str(birthday_member.phone)] = (400, 21610, "Attempt to send to unsubscribed")
    evaluate(birthday_rule(), downtown)

    dispatcher.dispatch()

    failed = Touchpoint.objects.get(member=birthday_member)
    assert (failed.status, failed.reason, failed.attempts) == (Status.FAILED, Reason.OPTED_OUT, 1)
    birthday_member.refresh_from_db()
    neighbour.refresh_from_db()
    assert (birthday_member.sms_consent, neighbour.sms_consent) == (False, True)
    assert Touchpoint.objects.get(member=neighbour).status == Status.SENT


def test_an_invalid_number_is_not_retried(twilio, birthday_member, downtown):
    twilio.refuse[str(birthday_member.phone)] = (400, 21211, "Invalid 'To' Phone Number")
    evaluate(birthday_rule(), downtown)

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.FAILED, Reason.INVALID_NUMBER)


def test_a_text_to_a_landline_is_suppressed_not_sent(twilio, birthday_member, downtown):
    # a record from before SMS consent asked for a mobile: Twilio would only fail it
    Member.objects.filter(pk=birthday_member.pk).update(phone="+31201234567")
    evaluate(birthday_rule(), downtown)

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.status, touchpoint.reason) == (Status.SUPPRESSED, Reason.INVALID_NUMBER)
    assert twilio.bodies_to("+31201234567") == []


@override_settings(CAMPAIGN_SENDING_LEASE_SECONDS=60)
def test_a_worker_killed_after_twilio_accepted_is_not_sent_twice(
    twilio, birthday_member, downtown, frozen_clock
):
    evaluate(birthday_rule(), downtown)
    [pk] = dispatcher.claim()
    # The worker stamps the attempt and Twilio takes the message — then the worker dies.
    Touchpoint.objects.filter(pk=pk).update(send_started_at=clock.now())
    channels.get_channel("sms").send(Touchpoint.objects.get(pk=pk))

    assert dispatcher.dispatch() == {}  # within the lease nobody touches it
    frozen_clock.move_to(clock.now() + dt.timedelta(minutes=2))
    assert dispatcher.stranded() == [pk]
    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get()
    assert len(twilio.messages) == 1
    assert (touchpoint.status, touchpoint.provider_id) == (Status.SENT, twilio.messages[0]["sid"])


@override_settings(CAMPAIGN_SENDING_LEASE_SECONDS=60)
def test_a_worker_killed_before_twilio_answered_sends_on_recovery(
    twilio, birthday_member, downtown, frozen_clock
):
    evaluate(birthday_rule(), downtown)
    [pk] = dispatcher.claim()
    Touchpoint.objects.filter(pk=pk).update(send_started_at=clock.now())

    frozen_clock.move_to(clock.now() + dt.timedelta(minutes=2))
    dispatcher.dispatch()

    assert len(twilio.messages) == 1
    assert Touchpoint.objects.get().status == Status.SENT


def test_a_lead_gets_a_call_task_for_the_front_desk(frozen_clock, downtown):
    from members.leads import capture

    Rule.objects.filter(number=1).update(is_active=True)
    lead, _ = capture(
        downtown,
        first_name="Lea",
        last_name="Lead",
        phone="+31612000001",
        source="website",
        consent_source="website",
    )
    evaluator.evaluate()

    dispatcher.dispatch()

    touchpoint = Touchpoint.objects.get(rule__number=1)
    task = lead.tasks.get(title__startswith="Call Lea Lead")
    assert touchpoint.status == Status.DELIVERED
    assert touchpoint.provider_id == f"task-{task.pk}"
    assert task.assigned_role == "Front desk"
    assert task.due_at == clock.now() + dt.timedelta(minutes=15)
    assert task.escalate_when_late is True  # the playbook: escalate to the manager when late


def test_a_lead_with_an_open_call_task_gets_no_second_one(frozen_clock, downtown):
    from members.leads import capture
    from members.staff_tasks import open_task

    Rule.objects.filter(number=1).update(is_active=True)
    lead, _ = capture(downtown, first_name="Lea", source="website", consent_source="website")
    trial_task = open_task(
        lead, title="Call Lea within 15 minutes", due_in=dt.timedelta(minutes=15)
    )
    evaluator.evaluate()

    dispatcher.dispatch()

    assert list(lead.tasks.all()) == [trial_task]
    assert Touchpoint.objects.get(rule__number=1).provider_id == f"task-{trial_task.pk}"


def test_the_member_card_shows_the_message_and_why_it_fired(
    client, twilio, birthday_member, downtown, fiona
):
    evaluate(birthday_rule(), downtown)
    dispatcher.dispatch()
    client.force_login(fiona)

    response = client.get(f"/admin/desk/members/{birthday_member.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Happy birthday, Bo! (Downtown, rule 201)" in page
    assert "rule 201: on the member&#x27;s birthday at 10:00" in page


def test_a_freeze_moves_the_renewal_reminder_with_the_end_date(twilio, frozen_clock, downtown):
    from memberships import freezes

    member, ending = annual_member_ending_in(downtown, days=9)
    rule = renewal_reminder_rule()
    evaluator.evaluate()  # the reminder for 25 Nov is in the outbox a week ahead
    first = Touchpoint.objects.get()

    freezes.freeze(ending, start=TODAY, end=TODAY + dt.timedelta(days=13), reason="injury")
    frozen_clock.move_to(clock.local_datetime(TODAY + dt.timedelta(days=2), dt.time(10)))
    dispatcher.dispatch()
    first.refresh_from_db()
    assert (first.status, first.reason) == (Status.CANCELLED, Reason.OBSOLETE)

    frozen_clock.move_to(clock.local_datetime(TODAY + dt.timedelta(days=16), dt.time(10)))
    evaluator.evaluate()
    dispatcher.dispatch()
    moved = Touchpoint.objects.get(rule=rule, status=Status.SENT)
    assert moved.body == "Your Annual ends 16 Dec"
    assert twilio.bodies_to(str(member.phone)) == ["Your Annual ends 16 Dec"]


def test_one_sender_stays_under_its_segments_per_second(frozen_clock, monkeypatch):
    from campaigns.channels import twilio_sms

    waits = []

    def sleep(seconds):
        waits.append(seconds)
        frozen_clock.shift(dt.timedelta(seconds=seconds))

    monkeypatch.setattr(twilio_sms.time, "sleep", sleep)
    with override_settings(TWILIO_SEGMENTS_PER_SECOND=4):
        for _ in range(3):
            twilio_sms.throttle("+3197010000000", 2)  # 2 + 2 fit this second; the third waits
        twilio_sms.throttle("+3197010000001", 2)  # another sender has its own budget

    assert waits == [1.0]


@override_settings(CAMPAIGN_SENDING_LEASE_SECONDS=60)
def test_a_timeout_after_twilio_took_the_message_does_not_send_it_twice(
    twilio, birthday_member, downtown, frozen_clock, monkeypatch
):
    from campaigns.channels import twilio_sms

    monkeypatch.setattr(twilio_sms, "TIMEOUT_SECONDS", 0.2)
    channels.reset()
    twilio.delay_seconds = 0.5  # Twilio answers after we gave up, but it keeps the message
    evaluate(birthday_rule(), downtown)

    assert dispatcher.dispatch() == {"sending": 1}
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.status == Status.SENDING and "timed out" in touchpoint.error.lower()
    for _ in range(40):  # the fake records the message once its delay is over
        if twilio.messages:
            break
        time.sleep(0.05)

    twilio.delay_seconds = 0
    frozen_clock.move_to(clock.now() + dt.timedelta(minutes=2))
    dispatcher.dispatch()

    touchpoint.refresh_from_db()
    assert len(twilio.messages) == 1
    assert (touchpoint.status, touchpoint.provider_id) == (Status.SENT, twilio.messages[0]["sid"])
