"""Rule 22: a member who moves up from a class's waitlist to a seat is told at once by SMS,
unless the seat is gone (cancelled) or the class has started by the time the message goes.

checkin records the promotion on the timeline and tells nobody; the `waitlist_promoted`
trigger reads it. The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from campaigns import dispatcher, dryrun, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from checkin import bookings
from club import clock
from cms.portal import auth
from members.consent import set_consent
from members.models import Member, MemberEvent
from tests.factories import (
    ClassSessionFactory,
    ClubFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)

TODAY = dt.date(2026, 11, 23)
Status, Reason = Touchpoint.Status, Touchpoint.Reason
OBSOLETE = "will be cancelled: no longer true"
TEXT = (
    "Good news, Maya: a place came free in Spin on Tue 24 Nov at 19:30 and it is yours. "
    "Can't come? Cancel in the portal: http://127.0.0.1:8000/account/bookings/"
)
WHY = (
    "rule 22: at once a member moves up from a class's waitlist to a seat, unless they "
    "cancelled it or the class started since (Spin, Tue 24 Nov at 19:30)"
)
migration = importlib.import_module("campaigns.migrations.0013_waitlist_promoted_rule")
at_once_migration = importlib.import_module(
    "campaigns.migrations.0015_waitlist_seat_sent_in_quiet_hours"
)
wait_migration = importlib.import_module(
    "campaigns.migrations.0022_waitlist_seat_waits_unless_too_late"
)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


@pytest.fixture(autouse=True)
def only_rule_22(db):
    Rule.objects.exclude(number=22).update(is_active=False)


def evaluate(club) -> None:
    now = clock.now()
    rule = Rule.objects.prefetch_related("clubs").get(number=22)
    evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(days=1), until=now)


def outbox(member) -> list[tuple[str, str, str]]:
    return list(
        Touchpoint.objects.filter(member=member, rule__number=22)
        .order_by("pk")
        .values_list("occurrence_key", "status", "reason")
    )


def texts(member) -> list[str]:
    sent = member.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT).order_by("pk")
    return [event.data["text"] for event in sent]


def member(club, **fields) -> Member:
    someone = MemberFactory(home_club=club, status=Member.Status.MEMBER, **fields)
    MembershipFactory(member=someone, plan=PlanFactory(club=club), start=TODAY)
    return someone


@pytest.fixture
def spin(frozen_clock, downtown):
    """Tuesday 19:30 at Downtown, one seat."""
    return ClassSessionFactory(
        club=downtown, class_type__name="Spin", start=local(TODAY + dt.timedelta(days=1), 19, 30)
    )


@pytest.fixture
def full(spin, downtown, maya, fiona):
    """Bram holds Spin's only seat, Maya is first on its waitlist."""
    spin.capacity = 1
    spin.save(update_fields=["capacity"])
    bram = member(downtown, first_name="Bram")
    seat = bookings.book(bram, spin)
    waiting = bookings.book(maya, spin)
    assert (seat.status, waiting.status) == ("booked", "waitlisted")
    return seat, waiting


def test_the_seeded_rule_is_a_transactional_sms_at_once_with_no_holdout():
    rule = Rule.objects.get(number=22)

    assert (rule.trigger, rule.params, rule.channel, rule.stages) == (
        "waitlist_promoted",
        {"quiet_hours": "at_once_if_late"},
        "sms",
        [],
    )
    assert (rule.is_marketing, rule.holdout_percent) == (False, 0)
    assert evaluator.names_read(rule.template) == [
        "first_name",
        "class_name",
        "class_day",
        "class_time",
        "site_url",
    ]
    assert set(evaluator.names_read(rule.template)) <= set(evaluator.template_fields(rule.trigger))


def test_a_member_moved_up_when_the_desk_cancels_is_texted_at_once(
    full, frozen_clock, downtown, maya, fiona
):
    seat, waiting = full

    bookings.cancel(seat, by=fiona)
    evaluate(downtown)
    evaluate(downtown)  # a second run adds nothing

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.SCHEDULED, "")]
    assert [(f.status, f.why) for f in dryrun.member_forecast(maya) if f.rule_number == 22] == [
        ("will be sent", WHY.removeprefix("rule 22: "))
    ]
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.DELIVERED, "")]
    assert texts(maya) == [TEXT]
    sent = maya.events.get(kind=MemberEvent.Kind.MESSAGE_SENT)
    assert (sent.data["why"], sent.data["rule"], sent.data["channel"]) == (WHY, 22, "sms")


def test_each_promotion_is_one_touchpoint(spin, frozen_clock, downtown, maya, fiona):
    spin.capacity = 0
    spin.save(update_fields=["capacity"])
    waiting = [bookings.book(someone, spin) for someone in (maya, member(downtown))]

    bookings.set_capacity(spin, 2, by=fiona)
    evaluate(downtown)
    evaluate(downtown)

    rows = Touchpoint.objects.filter(rule__number=22).order_by("member_id")
    assert [(tp.member_id, tp.occurrence_key) for tp in rows] == [
        (booking.member_id, f"booking:{booking.pk}") for booking in waiting
    ]


def test_the_trigger_finds_the_promotion_with_the_class_in_the_clubs_time(
    full, frozen_clock, downtown, fiona
):
    seat, waiting = full
    now = clock.now()
    bookings.cancel(seat, by=fiona)
    window = triggers.Window(club=downtown, since=now - dt.timedelta(hours=1), until=now)

    found = triggers.occurrences("waitlist_promoted", window, {})
    later = triggers.occurrences("waitlist_promoted", window, {"delay_minutes": 10})

    # Maya's promoted booking only: the seat Bram gave up is no promotion
    assert found == [
        triggers.Occurrence(
            waiting.member_id,
            f"booking:{waiting.pk}",
            now,
            {"class_name": "Spin", "class_day": "Tue 24 Nov", "class_time": "19:30"},
            deadline=local(TODAY + dt.timedelta(days=1), 19, 30),
        )
    ]
    assert later == []  # due in ten minutes, outside this window
    assert (
        triggers.get("waitlist_promoted")
        .describe({"delay_minutes": 10})
        .startswith("10 minutes after a member moves up")
    )


def test_a_class_at_another_club_is_told_in_that_clubs_time(frozen_clock, downtown, fiona):
    london = ClubFactory(name="London", time_zone="Europe/London")
    traveller = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)
    everywhere = PlanFactory(club=downtown, valid_at_all_clubs=True)
    MembershipFactory(member=traveller, plan=everywhere, start=TODAY)
    session = ClassSessionFactory(
        club=london,
        class_type__name="Row",
        capacity=0,
        start=clock.local_datetime(TODAY + dt.timedelta(days=1), dt.time(7), london),
    )
    bookings.book(traveller, session)
    now = clock.now()

    bookings.set_capacity(session, 1, by=fiona)

    window = triggers.Window(club=downtown, since=now - dt.timedelta(hours=1), until=now)
    [found] = triggers.occurrences("waitlist_promoted", window, {})
    assert (found.facts["class_day"], found.facts["class_time"]) == ("Tue 24 Nov", "07:00")


def test_a_seat_cancelled_before_the_send_is_not_texted(full, frozen_clock, downtown, maya, fiona):
    seat, waiting = full
    bookings.cancel(seat, by=fiona)
    evaluate(downtown)

    bookings.cancel(waiting)  # Maya, in the portal, before the dispatcher's minute came
    assert [f.status for f in dryrun.member_forecast(maya) if f.rule_number == 22] == [OBSOLETE]
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.CANCELLED, Reason.OBSOLETE)]
    assert texts(maya) == []


@pytest.fixture
def promoted_late(frozen_clock, downtown, maya, fiona) -> int:
    """At 22:00, in the quiet hours, Maya moves up to a seat in tomorrow's 07:00 Spin."""
    frozen_clock.move_to(local(TODAY, 22))
    early = ClassSessionFactory(
        club=downtown,
        class_type__name="Spin",
        capacity=0,
        start=local(TODAY + dt.timedelta(days=1), 7),
    )
    waiting = bookings.book(maya, early)
    bookings.set_capacity(early, 1, by=fiona)
    return waiting.pk


def test_a_promotion_in_the_quiet_hours_is_texted_at_once(promoted_late, downtown, maya):
    # the seeded rule 22 says "at once if late" for the quiet hours: 09:00 is after the class
    evaluate(downtown)
    assert Touchpoint.objects.get(member=maya).send_at == local(TODAY, 22)

    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{promoted_late}", Status.DELIVERED, "")]
    assert texts(maya) == [TEXT.replace("Tue 24 Nov at 19:30", "Tue 24 Nov at 07:00")]


@pytest.mark.parametrize(
    ("class_at", "sent_at"),
    [
        # 44 hours ahead: nothing is urgent, it waits for the end of the quiet hours
        (local(TODAY + dt.timedelta(days=2), 19, 30), local(TODAY + dt.timedelta(days=1), 9)),
        # 09:30 tomorrow: 09:00 is within the hour before it, so at once
        (local(TODAY + dt.timedelta(days=1), 9, 30), local(TODAY, 23, 33)),
    ],
)
def test_a_promotion_in_the_quiet_hours_waits_for_their_end_unless_the_class_is_before(
    frozen_clock, downtown, maya, fiona, class_at, sent_at
):
    # given at 23:33 Maya moves up to a seat
    frozen_clock.move_to(local(TODAY, 23, 33))
    session = ClassSessionFactory(
        club=downtown, class_type__name="Spin", capacity=0, start=class_at
    )
    waiting = bookings.book(maya, session)
    bookings.set_capacity(session, 1, by=fiona)

    evaluate(downtown)
    dispatcher.dispatch()
    assert Touchpoint.objects.get(member=maya).send_at == sent_at

    frozen_clock.move_to(sent_at)
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.DELIVERED, "")]
    assert Touchpoint.objects.get(member=maya).sent_at == sent_at


def test_held_for_the_quiet_hours_past_the_class_it_is_dropped_as_too_late(
    promoted_late, frozen_clock, downtown, maya
):
    # given marketing chose the default for the quiet hours (send it when they end)
    Rule.objects.filter(number=22).update(params={})
    evaluate(downtown)
    dispatcher.dispatch()
    # 09:00 is after the 07:00 class: dropped now, with the reason, rather than held
    assert outbox(maya) == [(f"booking:{promoted_late}", Status.SUPPRESSED, Reason.TOO_LATE)]

    frozen_clock.move_to(local(TODAY + dt.timedelta(days=1), 9))
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{promoted_late}", Status.SUPPRESSED, Reason.TOO_LATE)]
    assert texts(maya) == []


def test_a_member_who_switched_sms_off_is_not_texted(full, frozen_clock, downtown, maya, fiona):
    seat, waiting = full
    set_consent(maya, "sms", granted=False, source="portal")

    bookings.cancel(seat, by=fiona)
    evaluate(downtown)
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.SUPPRESSED, Reason.OPTED_OUT)]
    assert texts(maya) == []


def test_a_member_never_asked_about_sms_is_texted(full, frozen_clock, downtown, maya, fiona):
    # the promotion is transactional: only an opt-out stops it, not consent never given
    seat, waiting = full
    maya.consent_log.filter(channel="sms").delete()
    Member.objects.filter(pk=maya.pk).update(sms_consent=False)

    bookings.cancel(seat, by=fiona)
    evaluate(downtown)
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.DELIVERED, "")]  # the console
    assert len(texts(maya)) == 1


def test_a_member_who_opts_out_before_the_send_is_not_texted(
    full, frozen_clock, downtown, maya, fiona
):
    seat, waiting = full
    bookings.cancel(seat, by=fiona)
    evaluate(downtown)

    set_consent(maya, "sms", granted=False, source="sms_stop")
    dispatcher.dispatch()

    assert outbox(maya) == [(f"booking:{waiting.pk}", Status.SUPPRESSED, Reason.OPTED_OUT)]


def test_the_portal_and_the_desk_show_the_seat_and_the_message(
    full, client, frozen_clock, downtown, maya, fiona
):
    seat, _ = full
    bookings.cancel(seat, by=fiona)
    evaluate(downtown)
    dispatcher.dispatch()

    client.force_login(auth.portal_user(maya))
    page = client.get(reverse("portal:bookings")).content.decode()
    assert '<span class="tag tag-ok">Booked</span>' in page
    assert "Waitlist #" not in page

    client.force_login(fiona)
    card = " ".join(client.get(reverse("desk:member", args=[maya.pk])).content.decode().split())
    assert "<strong>Moved up from the waitlist</strong> · Spin, Tue 24 Nov 19:30" in card
    assert f"SMS: “{TEXT}”" in card.replace("&#x27;", "'")


# --- the migration ----------------------------------------------------------------------


def test_the_migration_installs_rule_22_once_and_removes_only_its_own():
    Rule.objects.filter(number=22).delete()

    migration.install(apps, None)
    migration.install(apps, None)
    assert Rule.objects.filter(number=22, trigger="waitlist_promoted").count() == 1

    migration.remove(apps, None)
    assert not Rule.objects.filter(number=22).exists()


def test_the_migration_leaves_a_clubs_own_rule_22_alone():
    Rule.objects.filter(number=22).update(trigger="birthday", name="Our own")

    migration.install(apps, None)
    migration.remove(apps, None)

    assert Rule.objects.get(number=22).name == "Our own"


def test_the_quiet_hours_migration_changes_only_an_untouched_rule_22():
    rule = Rule.objects.filter(number=22)
    rule.update(params={})
    at_once_migration.forwards(apps, None)
    assert rule.get().params == {"quiet_hours": "at_once"}
    at_once_migration.backwards(apps, None)
    assert rule.get().params == {}

    # marketing's own choice stays, both ways
    rule.update(params={"quiet_hours": "before"})
    at_once_migration.forwards(apps, None)
    at_once_migration.backwards(apps, None)
    assert rule.get().params == {"quiet_hours": "before"}


def test_the_migration_makes_rule_22_wait_unless_too_late_only_where_it_said_at_once():
    rule = Rule.objects.filter(number=22)
    rule.update(params={"quiet_hours": "at_once"})
    wait_migration.forwards(apps, None)
    assert rule.get().params == {"quiet_hours": "at_once_if_late"}
    wait_migration.backwards(apps, None)
    assert rule.get().params == {"quiet_hours": "at_once"}

    # marketing's own choice stays, both ways
    rule.update(params={})
    wait_migration.forwards(apps, None)
    wait_migration.backwards(apps, None)
    assert rule.get().params == {}


def test_the_rule_editors_preview_fills_in_a_sample_class(frozen_clock, maya):
    preview = dryrun.preview(Rule.objects.get(number=22), maya)

    assert preview.body.startswith(
        "Good news, Maya: a place came free in Spin on Tue 24 Nov at 18:00"
    )
    assert preview.facts_from.startswith("sample values")
    assert preview.segments.count == 1
