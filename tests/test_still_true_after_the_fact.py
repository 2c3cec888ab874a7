"""Messages that the member's own actions make absurd are not sent: renewing after a denied
check-in, paying after a failed payment, rebooking a missed trial; and a freeze restarts the
count of days without a visit at its end.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt

import pytest

from campaigns import dispatcher, dryrun, evaluator, triggers
from campaigns.models import Rule, Touchpoint
from checkin import checkins
from checkin.models import Booking, CheckInAttempt, Source, Visit
from club import clock
from members import timeline
from members.models import MemberEvent
from memberships import freezes, sales
from memberships.models import Payment
from tests.factories import (
    BookingFactory,
    CheckInAttemptFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PaymentFactory,
    PlanFactory,
    VisitFactory,
    freeze_made_back_then,
)

TODAY = dt.date(2026, 11, 23)
Status, Reason = Touchpoint.Status, Touchpoint.Reason
OBSOLETE = "will be cancelled: no longer true"


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def found(name: str, window, **params) -> list[tuple[int, str, dt.datetime]]:
    return sorted(
        (o.member_id, o.key, o.due_at) for o in triggers.occurrences(name, window, params)
    )


@pytest.fixture(autouse=True)
def only_the_playbook_rules_we_test(db):
    Rule.objects.exclude(number__in=[11, 12, 16]).update(is_active=False)
    Rule.objects.update(holdout_percent=0)


def rule(number: int) -> Rule:
    return Rule.objects.prefetch_related("clubs").get(number=number)


def evaluate(number: int, club) -> None:
    now = clock.now()
    evaluator.evaluate_rule(rule(number), club, since=now - days(1), until=now + days(8))


def forecast_of(member, number: int) -> list[tuple[str, str, str]]:
    return [
        (f.when, f.status, f.outcome)
        for f in dryrun.member_forecast(member)
        if f.rule_number == number
    ]


# --- rule 16: renew now after a denied check-in ----------------------------------------


@pytest.fixture
def denied_late(frozen_clock, downtown):
    """Kees's month ended last week. He is turned away at 21:30, inside the quiet hours, so
    rule 16's SMS waits in the outbox for 09:00."""
    member = MemberFactory(home_club=downtown, first_name="Kees", sms_consent=True)
    month = PlanFactory(club=downtown, name="Monthly", duration_days=30)
    ended = MembershipFactory(member=member, plan=month, start=TODAY - days(37))
    frozen_clock.move_to(local(TODAY, 21, 30))
    attempt = checkins.check_in(member, source=Source.DESK)
    assert isinstance(attempt, CheckInAttempt) and attempt.reason == "expired"
    evaluate(16, downtown)
    assert Touchpoint.objects.get(member=member).send_at == local(TODAY + days(1), 9)
    return member, ended


def test_renewed_and_admitted_after_the_denial_the_renew_now_sms_is_cancelled(
    denied_late, frozen_clock
):
    member, ended = denied_late
    # given he pressed "Renew now" and was let in a few minutes later
    frozen_clock.move_to(local(TODAY, 21, 35))
    sales.renew(ended, method="cash")
    frozen_clock.move_to(local(TODAY, 21, 36))
    assert isinstance(checkins.check_in(member, source=Source.DESK), Visit)

    # then the dry run says it will not go, and at 09:00 the dispatcher cancels it
    assert forecast_of(member, 16) == [("Tue 24 Nov, 09:00", OBSOLETE, "cancelled")]
    frozen_clock.move_to(local(TODAY + days(1), 9))
    dispatcher.dispatch()
    touchpoint = Touchpoint.objects.get(member=member)
    assert (touchpoint.status, touchpoint.reason) == (Status.CANCELLED, Reason.OBSOLETE)
    assert not member.events.filter(kind=MemberEvent.Kind.MESSAGE_SENT).exists()


def test_still_expired_the_renew_now_sms_goes_at_nine(denied_late, frozen_clock):
    member, _ = denied_late

    assert forecast_of(member, 16) == [("Tue 24 Nov, 09:00", "will be sent", "send")]
    frozen_clock.move_to(local(TODAY + days(1), 9))
    assert dispatcher.dispatch() == {"delivered": 1}
    assert Touchpoint.objects.get(member=member).status == Status.DELIVERED


def test_admitted_anyway_by_staff_the_membership_still_needs_renewing(
    denied_late, frozen_clock, fiona
):
    member, _ = denied_late
    frozen_clock.move_to(local(TODAY, 21, 35))
    checkins.check_in(
        member, source=Source.DESK, override_by=fiona, override_reason="Pays tomorrow"
    )

    assert forecast_of(member, 16) == [("Tue 24 Nov, 09:00", "will be sent", "send")]


def scan_at(clock_, member, moment: dt.datetime) -> CheckInAttempt:
    """A scan at the door at `moment`, turned away, and the evaluator running right after."""
    clock_.move_to(moment)
    attempt = checkins.check_in(member, source=Source.DESK)
    assert isinstance(attempt, CheckInAttempt)
    evaluate(16, attempt.club)
    return attempt


@pytest.fixture
def expired_member(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown, first_name="Kees", sms_consent=True)
    month = PlanFactory(club=downtown, name="Monthly", duration_days=30)
    bought = local(TODAY - days(37), 9)  # not "bought since" a scan earlier today
    MembershipFactory(member=member, plan=month, start=TODAY - days(37), created_at=bought)
    return member


def test_scans_seconds_apart_get_one_renew_now_sms(expired_member, frozen_clock):
    first = scan_at(frozen_clock, expired_member, local(TODAY, 10, 7) + dt.timedelta(seconds=28))
    scan_at(frozen_clock, expired_member, local(TODAY, 10, 7) + dt.timedelta(seconds=37))
    scan_at(frozen_clock, expired_member, local(TODAY, 17, 55))

    rows = Touchpoint.objects.filter(member=expired_member)
    assert [(tp.occurrence_key, tp.due_at) for tp in rows] == [(f"denied:{first.pk}", first.at)]
    assert dispatcher.dispatch() == {"delivered": 1}


def test_denied_on_two_days_gets_renew_now_each_day(expired_member, frozen_clock):
    yesterday = scan_at(frozen_clock, expired_member, local(TODAY - days(1), 11))
    today = scan_at(frozen_clock, expired_member, local(TODAY, 10))

    keys = Touchpoint.objects.filter(member=expired_member).values_list("occurrence_key", flat=True)
    assert sorted(keys) == sorted([f"denied:{yesterday.pk}", f"denied:{today.pk}"])


def test_the_day_is_the_clubs_local_day(expired_member, frozen_clock):
    # 23:50 and 00:10 in Amsterdam are one UTC day (22:50 and 23:10) but two local days
    late = scan_at(frozen_clock, expired_member, local(TODAY - days(1), 23, 50))
    early = scan_at(frozen_clock, expired_member, local(TODAY, 0, 10))
    assert late.at.astimezone(dt.UTC).date() == early.at.astimezone(dt.UTC).date()

    assert Touchpoint.objects.filter(member=expired_member).count() == 2


def test_a_denial_for_another_reason_first_does_not_count(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    CheckInAttemptFactory(member=member, reason="frozen", at=local(TODAY, 9))
    expired = CheckInAttemptFactory(member=member, reason="expired", at=local(TODAY, 10))
    window = triggers.Window(club=downtown, since=clock.now() - days(1), until=clock.now())

    assert found("check_in_denied", window) == [(member.pk, f"denied:{expired.pk}", expired.at)]


def test_a_later_scans_row_written_before_the_deploy_is_cancelled_not_sent(
    expired_member, frozen_clock
):
    # given the outbox the day the key changes: one row per denial, under the old keys
    scan_at(frozen_clock, expired_member, local(TODAY, 10, 7))
    second = scan_at(frozen_clock, expired_member, local(TODAY, 10, 8))
    old = Touchpoint.objects.get(member=expired_member)
    old.pk, old.occurrence_key, old.due_at, old.send_at = (
        None,
        f"denied:{second.pk}",
        second.at,
        second.at,
    )
    old.save()

    # then the first denial's row (its key unchanged) goes, the later one is obsolete
    assert dispatcher.dispatch() == {"delivered": 1}
    later = Touchpoint.objects.get(occurrence_key=f"denied:{second.pk}")
    assert (later.status, later.reason) == (Status.CANCELLED, Reason.OBSOLETE)


@pytest.mark.parametrize(
    ("visits_left", "starts"),
    [
        pytest.param(0, "today", id="empty-renewed-from-today"),
        # a denial for another reason (frozen, say): the renewal waits for the end
        pytest.param(4, "after the end", id="with-visits-renewed-after-its-end"),
    ],
)
def test_a_pack_renewed_after_the_denial_is_not_told_to_renew(
    frozen_clock, downtown, visits_left, starts
):
    pack = PlanFactory(club=downtown, pack=True, duration_days=90)
    bought = clock.now() - days(3)
    renewed, waiting = (
        MembershipFactory(
            member=MemberFactory(home_club=downtown),
            plan=pack,
            start=TODAY,
            created_at=bought,
            visits_left=visits_left,
            purchase=False,
        )
        for _ in range(2)
    )
    at = clock.now() - dt.timedelta(hours=2)
    CheckInAttemptFactory(member=renewed.member, reason="no_visits_left", at=at)
    denied = CheckInAttemptFactory(member=waiting.member, reason="no_visits_left", at=at)
    renewal = sales.renew(renewed, method="cash")
    assert renewal.start == (TODAY if starts == "today" else renewed.end + days(1))
    window = triggers.Window(club=downtown, since=clock.now() - days(1), until=clock.now())

    assert found("check_in_denied", window) == [(waiting.member_id, f"denied:{denied.pk}", at)]


# --- rule 17 and rule 6: paid since, rebooked since --------------------------------------


def test_a_failed_payment_paid_since_is_not_followed_up(frozen_clock, downtown):
    window = triggers.Window(club=downtown, since=clock.now() - days(1), until=clock.now())
    paid, unpaid = MemberFactory(home_club=downtown), MemberFactory(home_club=downtown)
    failed_at = clock.now() - dt.timedelta(hours=3)
    timeline.record(paid, MemberEvent.Kind.PAYMENT_FAILED, at=failed_at)
    still_failed = timeline.record(unpaid, MemberEvent.Kind.PAYMENT_FAILED, at=failed_at)
    PaymentFactory(member=paid, at=failed_at + dt.timedelta(hours=1))
    # a payment from before the failure, or one that failed too, does not settle it
    PaymentFactory(member=unpaid, at=failed_at - dt.timedelta(hours=1))
    PaymentFactory(member=unpaid, status=Payment.Status.FAILED, at=clock.now())

    assert found("payment_failed", window) == [(unpaid.pk, f"event:{still_failed.pk}", failed_at)]


def test_a_missed_trial_rebooked_since_gets_no_rebook_sms(frozen_clock, downtown):
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))
    missed = ClassSessionFactory(club=downtown, start=local(TODAY - days(1), 19))
    later = ClassSessionFactory(club=downtown, start=local(TODAY + days(2), 19))
    rebooked = BookingFactory(session=missed, is_trial=True, status=Booking.Status.NO_SHOW)
    BookingFactory(member=rebooked.member, session=later, is_trial=True)
    cancelled = BookingFactory(session=missed, is_trial=True, status=Booking.Status.NO_SHOW)
    BookingFactory(
        member=cancelled.member, session=later, is_trial=True, status=Booking.Status.CANCELLED
    )

    assert found("trial_no_show", window, at="10:00") == [
        (cancelled.member_id, f"booking:{cancelled.pk}", local(TODAY, 10))
    ]


# --- rules 11 and 12: a freeze restarts the days away ---------------------------------------


@pytest.fixture
def annual_member(frozen_clock, downtown):
    """Lotte has a year's membership and last came this morning."""
    member = MemberFactory(home_club=downtown, first_name="Lotte", sms_consent=True)
    year = PlanFactory(club=downtown, name="Annual", duration_days=365)
    membership = MembershipFactory(member=member, plan=year, start=TODAY - days(100))
    VisitFactory(member=member, at=local(TODAY, 8))
    return member, membership


def absence_plan(member) -> list[tuple[int, str]]:
    return [
        (f.rule_number, f.when)
        for f in dryrun.member_forecast(member)
        if f.rule_number in (11, 12) and f.outcome in ("send", "task")
    ]


def test_without_a_freeze_days_away_count_from_the_last_visit(annual_member):
    member, _ = annual_member

    assert absence_plan(member) == [(11, "Mon 7 Dec, 10:00"), (12, "Mon 21 Dec, 10:00")]


def test_a_freeze_moves_we_miss_you_and_the_staff_call_past_its_end(annual_member):
    member, membership = annual_member

    freezes.freeze(membership, start=TODAY + days(1), end=dt.date(2026, 12, 7))

    # 14 and 28 days after the last frozen day, 7 December
    assert absence_plan(member) == [(11, "Mon 21 Dec, 10:00"), (12, "Mon 4 Jan, 10:00")]


def test_a_freeze_recorded_after_the_message_was_written_cancels_it_and_moves_it(
    annual_member, downtown, frozen_clock
):
    member, membership = annual_member
    frozen_clock.move_to(local(dt.date(2026, 12, 1), 18))  # the evaluator's week reaches 7 Dec
    evaluate(11, downtown)
    written = Touchpoint.objects.get(member=member)
    assert written.send_at == local(dt.date(2026, 12, 7), 10)

    freezes.freeze(membership, start=dt.date(2026, 12, 2), end=dt.date(2026, 12, 15))

    plan = [(f.when, f.status) for f in dryrun.member_forecast(member) if f.rule_number == 11]
    assert plan == [("Mon 7 Dec, 10:00", OBSOLETE), ("Tue 29 Dec, 10:00", "will be sent")]
    frozen_clock.move_to(local(dt.date(2026, 12, 7), 10))
    dispatcher.dispatch()
    written.refresh_from_db()
    assert (written.status, written.reason) == (Status.CANCELLED, Reason.OBSOLETE)


def test_a_member_away_since_before_the_freeze_is_due_again_after_it(frozen_clock, downtown):
    # given a visit on 1 October and a freeze 10-30 October: the 14th day away is 13 November
    member = MemberFactory(home_club=downtown)
    year = PlanFactory(club=downtown, duration_days=365)
    membership = MembershipFactory(member=member, plan=year, start=dt.date(2026, 6, 1))
    last = VisitFactory(member=member, at=local(dt.date(2026, 10, 1), 18))
    freeze_made_back_then(membership, start=dt.date(2026, 10, 10), end=dt.date(2026, 10, 30))
    start = dt.date(2026, 10, 1)
    window = triggers.Window(club=downtown, since=local(start, 0), until=local(start + days(50), 0))

    stamp = f"{last.at.astimezone(dt.UTC):%Y%m%d%H%M}"
    assert found("days_without_visit", window, days=14, at="10:00") == [
        (member.pk, f"absence:{stamp}:20261030", local(dt.date(2026, 11, 13), 10))
    ]
    # and the rule says so: the 8 days away before the freeze are not counted either
    words = triggers.get("days_without_visit").describe({"days": 14})
    assert words.endswith("(counted again from the end of a freeze)")


def test_a_freeze_before_the_last_visit_or_after_the_14th_day_changes_nothing(
    frozen_clock, downtown
):
    member = MemberFactory(home_club=downtown)
    year = PlanFactory(club=downtown, duration_days=365)
    membership = MembershipFactory(member=member, plan=year, start=dt.date(2026, 6, 1))
    freeze_made_back_then(membership, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 14))
    last = VisitFactory(member=member, at=local(dt.date(2026, 10, 1), 18))
    freeze_made_back_then(membership, start=dt.date(2026, 10, 20), end=dt.date(2026, 10, 30))
    start = dt.date(2026, 10, 1)
    window = triggers.Window(club=downtown, since=local(start, 0), until=local(start + days(16), 0))

    stamp = f"{last.at.astimezone(dt.UTC):%Y%m%d%H%M}"
    assert found("days_without_visit", window, days=14, at="10:00") == [
        (member.pk, f"absence:{stamp}", local(dt.date(2026, 10, 15), 10))
    ]
