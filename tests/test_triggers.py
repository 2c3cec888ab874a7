"""Trigger kinds: each finds exactly its occurrences in a window, with the right due time.

The clock is frozen at 2026-11-23 17:00 UTC (18:00 in Amsterdam); the window is the day
before that instant unless a test says otherwise.
"""

import datetime as dt
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command

from campaigns import evaluator, triggers
from campaigns.models import Rule, Touchpoint
from checkin.models import Booking
from club import clock
from club.models import Club
from members import timeline
from members.models import Member, MemberEvent
from memberships import ledger, renewal_timing
from memberships.models import Membership
from tests.factories import (
    BookingFactory,
    CheckInAttemptFactory,
    ClassSessionFactory,
    ClubFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    VisitFactory,
)

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 17, tzinfo=dt.UTC)  # the frozen clock


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def window(frozen_clock, downtown):
    now = clock.now()
    return triggers.Window(club=downtown, since=now - days(1), until=now)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def found(name: str, window, **params) -> list[tuple[int, str, dt.datetime]]:
    return sorted(
        (o.member_id, o.key, o.due_at) for o in triggers.occurrences(name, window, params)
    )


def test_unknown_kind_is_refused():
    with pytest.raises(LookupError, match="Unknown trigger kind 'teleport'"):
        triggers.get("teleport")


def test_every_kind_describes_itself_in_words():
    params = {"days": 30, "n": 10, "visits": 2}
    for kind in triggers.REGISTRY.values():
        assert kind.describe(params)


def test_lead_created_is_due_after_its_delay(window, downtown, frozen_clock):
    lead = MemberFactory(home_club=downtown)
    event = timeline.record(
        lead, MemberEvent.Kind.LEAD_CREATED, at=clock.now() - dt.timedelta(minutes=20)
    )
    timeline.record(lead, MemberEvent.Kind.NOTE, text="not a lead event")

    assert found("lead_created", window, delay_minutes=5) == [
        (lead.pk, f"event:{event.pk}", event.at + dt.timedelta(minutes=5))
    ]


def test_lead_created_just_now_with_a_delay_is_not_due_yet(window, downtown):
    lead = MemberFactory(home_club=downtown)
    timeline.record(lead, MemberEvent.Kind.LEAD_CREATED, at=clock.now() - dt.timedelta(minutes=2))

    assert found("lead_created", window, delay_minutes=5) == []


def test_lead_created_can_leave_out_walk_ins(window, downtown):
    at = clock.now() - dt.timedelta(minutes=20)
    walk_in = MemberFactory(home_club=downtown)
    online = MemberFactory(home_club=downtown)
    timeline.record(walk_in, MemberEvent.Kind.LEAD_CREATED, at=at, source="walk_in")
    event = timeline.record(online, MemberEvent.Kind.LEAD_CREATED, at=at, source="website")

    assert found("lead_created", window, except_sources=["walk_in"]) == [
        (online.pk, f"event:{event.pk}", at)
    ]
    assert triggers.get("lead_created").describe({"except_sources": ["walk_in"]}) == (
        "at once a lead is created (not walk-in leads)"
    )


def test_lead_without_trial_skips_leads_who_booked(window, downtown):
    waiting = MemberFactory(home_club=downtown)
    booked = MemberFactory(home_club=downtown)
    three_days_ago = clock.now() - days(3) - dt.timedelta(hours=1)
    first = timeline.record(waiting, MemberEvent.Kind.LEAD_CREATED, at=three_days_ago)
    timeline.record(booked, MemberEvent.Kind.LEAD_CREATED, at=three_days_ago)
    BookingFactory(member=booked, session=ClassSessionFactory(club=downtown), is_trial=True)

    assert found("lead_without_trial", window, days=3) == [
        (waiting.pk, f"event:{first.pk}", three_days_ago + days(3))
    ]


def test_trial_booked_is_due_three_hours_before_the_session(window, downtown):
    session = ClassSessionFactory(club=downtown, start=clock.now() + dt.timedelta(hours=2))
    booking = BookingFactory(session=session, is_trial=True)
    BookingFactory(session=session, is_trial=False)

    assert found("trial_booked", window, hours_before=3) == [
        (booking.member_id, f"booking:{booking.pk}", session.start - dt.timedelta(hours=3))
    ]


def test_trial_no_show_is_due_the_next_morning(frozen_clock, downtown):
    yesterday = TODAY - days(1)
    session = ClassSessionFactory(club=downtown, start=local(yesterday, 19))
    booking = BookingFactory(session=session, is_trial=True, status=Booking.Status.NO_SHOW)
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    assert found("trial_no_show", window, at="10:00") == [
        (booking.member_id, f"booking:{booking.pk}", local(TODAY, 10))
    ]


def test_first_membership_started_ignores_renewals(window, downtown):
    newcomer = MemberFactory(home_club=downtown)
    first = MembershipFactory(
        member=newcomer, start=TODAY, created_at=clock.now() - dt.timedelta(hours=1)
    )
    regular = MemberFactory(home_club=downtown)
    old = MembershipFactory(member=regular, start=TODAY - days(30))
    MembershipFactory(member=regular, start=TODAY, renewed_from=old)

    assert found("first_membership_started", window) == [
        (newcomer.pk, f"membership:{first.pk}", first.created_at)
    ]


def test_no_visit_since_start_skips_members_who_came(window, downtown):
    idle = MemberFactory(home_club=downtown)
    idle_membership = MembershipFactory(member=idle, start=TODAY - days(3))
    keen = MemberFactory(home_club=downtown)
    MembershipFactory(member=keen, start=TODAY - days(3))
    VisitFactory(member=keen, at=local(TODAY - days(2), 18))

    assert found("no_visit_since_start", window, days=3, at="10:00") == [
        (idle.pk, f"membership:{idle_membership.pk}", local(TODAY, 10))
    ]


def test_tenth_visit_fires_once_on_that_visit(window, downtown):
    member = MemberFactory(home_club=downtown)
    for n in range(9):
        VisitFactory(member=member, at=clock.now() - days(20 - n))
    tenth = VisitFactory(member=member, at=clock.now() - dt.timedelta(hours=2))
    VisitFactory(member=MemberFactory(home_club=downtown), at=clock.now())

    assert found("nth_visit", window, n=10) == [(member.pk, "visit:10", tenth.at)]


def test_fourteen_days_without_a_visit(window, downtown):
    away = MemberFactory(home_club=downtown)
    MembershipFactory(
        member=away, plan=PlanFactory(club=downtown, duration_days=365), start=TODAY - days(100)
    )
    last = VisitFactory(member=away, at=local(TODAY - days(14), 19))
    recent = MemberFactory(home_club=downtown)
    MembershipFactory(
        member=recent, plan=PlanFactory(club=downtown, duration_days=365), start=TODAY - days(100)
    )
    VisitFactory(member=recent, at=local(TODAY - days(13), 19))
    came_back = MemberFactory(home_club=downtown)
    MembershipFactory(
        member=came_back,
        plan=PlanFactory(club=downtown, duration_days=365),
        start=TODAY - days(100),
    )
    VisitFactory(member=came_back, at=local(TODAY - days(14), 9))
    VisitFactory(member=came_back, at=local(TODAY - days(2), 9))
    VisitFactory(member=away, at=local(TODAY - days(14), 8))  # the evening visit was the last
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    assert found("days_without_visit", window, days=14, at="10:00") == [
        (away.pk, f"absence:{last.at.astimezone(dt.UTC):%Y%m%d%H%M}", local(TODAY, 10))
    ]


@pytest.mark.parametrize("away", [14, 28])  # rules 11 and 12
def test_days_without_a_visit_only_while_a_paid_membership_of_the_club_runs_that_day(
    frozen_clock, downtown, riverside, away
):
    def member_away(club, *, start, end=None, trial=False, status=None):
        member = MemberFactory(home_club=club)
        plan = PlanFactory(club=club, duration_days=365, trial=trial)
        extra = {"end": end} if end else {}
        if status:
            extra["status"] = status
        MembershipFactory(member=member, plan=plan, start=start, **extra)
        return member, VisitFactory(member=member, at=local(TODAY - days(away), 19))

    in_force, visit = member_away(downtown, start=TODAY - days(100))
    member_away(downtown, start=TODAY - days(100), end=TODAY - days(1))  # ended the day before
    renewed, renewed_visit = member_away(downtown, start=TODAY - days(100), end=TODAY - days(1))
    MembershipFactory(member=renewed, plan=PlanFactory(club=downtown), start=TODAY)
    member_away(downtown, start=TODAY - days(3), trial=True)  # a free trial is no membership
    member_away(downtown, start=TODAY - days(100), status=Membership.Status.CANCELLED)
    elsewhere, elsewhere_visit = member_away(riverside, start=TODAY - days(100))
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    def absence(member, visit):
        return (member.pk, f"absence:{visit.at.astimezone(dt.UTC):%Y%m%d%H%M}", local(TODAY, 10))

    assert found("days_without_visit", window, days=away, at="10:00") == sorted(
        [absence(in_force, visit), absence(renewed, renewed_visit)]
    )
    at_riverside = replace(window, club=riverside)
    assert found("days_without_visit", at_riverside, days=away, at="10:00") == [
        absence(elsewhere, elsewhere_visit)
    ]


@pytest.mark.parametrize("away", [14, 28])
def test_days_without_a_visit_are_counted_in_the_clubs_own_days(db, frozen_clock, away):
    # given a club in Sydney (UTC+11), two members whose last visits fell on the same UTC
    # day: one just after local midnight, one just before it
    sydney = ClubFactory(time_zone="Australia/Sydney")
    year = PlanFactory(club=sydney, duration_days=365)
    today = clock.today(sydney)  # 24 November there
    visited_on = today - days(away)

    def sydney_time(day, hh, mm=0):
        return clock.local_datetime(day, dt.time(hh, mm), sydney)

    after_midnight = MemberFactory(home_club=sydney)
    MembershipFactory(member=after_midnight, plan=year, start=today - days(100))
    last = VisitFactory(member=after_midnight, at=sydney_time(visited_on, 0, 30))
    before_midnight = MemberFactory(home_club=sydney)
    MembershipFactory(member=before_midnight, plan=year, start=today - days(100))
    VisitFactory(member=before_midnight, at=sydney_time(visited_on - days(1), 23, 30))
    assert last.at.astimezone(dt.UTC).date() == (visited_on - days(1))
    window = triggers.Window(club=sydney, since=sydney_time(today, 0), until=sydney_time(today, 23))

    # then only the member who came on that local day is due today, at 10:00 in Sydney
    assert found("days_without_visit", window, days=away, at="10:00") == [
        (
            after_midnight.pk,
            f"absence:{last.at.astimezone(dt.UTC):%Y%m%d%H%M}",
            sydney_time(today, 10),
        )
    ]


def test_pack_balance_low_once_per_pack(window, downtown):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, pack=True),
        visits_left=2,
        start=TODAY - days(10),
    )
    MembershipFactory(
        member=MemberFactory(home_club=downtown),
        plan=PlanFactory(club=downtown, pack=True),
        visits_left=5,
        start=TODAY - days(10),
    )

    assert found("pack_balance_low", window, visits=2) == [
        (member.pk, f"membership:{pack.pk}", clock.now())
    ]


@pytest.fixture
def ten_visit_pack(frozen_clock, downtown):
    """A 10-visit pack bought 40 days ago; spend(n, at) debits n visits at that moment."""
    bought = clock.now() - days(40)
    frozen_clock.move_to(bought)
    pack = MembershipFactory(
        member=MemberFactory(home_club=downtown, sms_consent=True),
        plan=PlanFactory(club=downtown, pack=True, duration_days=180),
        start=clock.today(),
    )
    assert pack.visits_left == 10

    def spend(n: int, at: dt.datetime):
        frozen_clock.move_to(at)
        return [ledger.debit(pack, reason="visit") for _ in range(n)]

    frozen_clock.move_to(NOW)
    return pack, spend


def test_pack_balance_low_is_due_when_the_balance_dropped(ten_visit_pack, window):
    pack, spend = ten_visit_pack
    spend(7, clock.now() - days(20))
    drop = spend(1, NOW - dt.timedelta(hours=5))[0]  # 3 → 2
    spend(1, NOW - dt.timedelta(hours=1))  # 2 → 1: still the same drop

    assert found("pack_balance_low", window, visits=2) == [
        (pack.member_id, f"membership:{pack.pk}", drop.at)
    ]


def test_pack_balance_low_for_weeks_is_not_messaged(ten_visit_pack, window):
    pack, spend = ten_visit_pack
    spend(8, NOW - days(20))
    spend(2, NOW - dt.timedelta(hours=1))  # empty now, low since 20 days

    assert found("pack_balance_low", window, visits=2) == []
    wide = replace(window, since=NOW - days(21))
    assert found("pack_balance_low", wide, visits=2) == [
        (pack.member_id, f"membership:{pack.pk}", NOW - days(20))
    ]


def test_pack_balance_low_without_ledger_rows_counts_from_the_purchase(window, downtown):
    old = MembershipFactory(
        member=MemberFactory(home_club=downtown),
        plan=PlanFactory(club=downtown, pack=True),
        visits_left=0,
        start=TODAY - days(30),
        created_at=NOW - days(30),
        purchase=False,
    )
    assert not old.ledger_entries.exists()

    assert found("pack_balance_low", window, visits=2) == []


def test_pack_balance_low_fires_once_per_pack_when_it_drops_again(ten_visit_pack, downtown):
    pack, spend = ten_visit_pack
    spend(8, NOW - dt.timedelta(hours=20))  # 10 → 2
    top_up = Rule.objects.get(number=13)
    evaluator.evaluate_rule(top_up, downtown, since=NOW - days(1), until=NOW + days(8))
    # given a refunded visit takes it back to 3, and another visit down to 2 again
    ledger.credit(pack, visits=1, kind="refund", reason="double scan")
    second = spend(1, NOW - dt.timedelta(hours=2))[0]
    window = triggers.Window(club=downtown, since=NOW - days(1), until=NOW)
    assert found("pack_balance_low", window, visits=2)[0][2] == second.at

    evaluator.evaluate_rule(top_up, downtown, since=NOW - days(1), until=NOW + days(8))
    assert Touchpoint.objects.filter(member=pack.member).count() == 1


def test_membership_ends_in_30_days_unless_renewed(frozen_clock, downtown):
    ending = MemberFactory(home_club=downtown)
    year = PlanFactory(club=downtown, duration_days=365)
    membership = MembershipFactory(member=ending, plan=year, start=TODAY + days(30) - days(364))
    renewed = MemberFactory(home_club=downtown)
    old = MembershipFactory(member=renewed, plan=year, start=TODAY + days(30) - days(364))
    MembershipFactory(member=renewed, plan=year, start=old.end + days(1), renewed_from=old)
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    assert found("membership_ends_in", window, days=30, at="10:00") == [
        (ending.pk, f"membership:{membership.pk}:{membership.end:%Y%m%d}", local(TODAY, 10))
    ]


def renewal_days(name: str, window, **params) -> list[tuple[int, int]]:
    """(membership id, days before its end) of each occurrence of a renewal trigger."""
    return sorted(
        (int(o.key.split(":")[1]), (o.facts["end"] - o.due_at.date()).days)
        for o in triggers.occurrences(name, window, params)
    )


@pytest.mark.parametrize(
    ("length", "reminders"),
    [
        (30, [7]),  # a month: day -30 is before it starts, day -7 is in its last week
        (60, [7]),  # exactly twice the rule's 30 days: day -30 is its 30th, its first half's last
        (61, [7, 30]),  # day -30 is its 31st, the middle day
        (90, [7, 30]),
        (365, [7, 30]),
    ],
)
def test_renewal_reminders_fall_in_the_second_half_of_the_membership(
    frozen_clock, downtown, length, reminders
):
    plan = PlanFactory(club=downtown, duration_days=length)
    membership = MembershipFactory(
        member=MemberFactory(home_club=downtown), plan=plan, start=TODAY + days(1)
    )
    assert (membership.end - membership.start).days + 1 == length
    # Its whole life and the month before it (a renewal bought early is sold ahead).
    window = triggers.Window(
        club=downtown,
        since=local(membership.start - days(31), 0),
        until=local(membership.end, 23),
    )

    found_days = renewal_days("membership_ends_in", window, days=7) + renewal_days(
        "membership_ends_in", window, days=30
    )

    assert sorted(d for _, d in found_days) == reminders
    assert {pk for pk, _ in found_days} <= {membership.pk}
    # The same rule on plain numbers, which the demo generator asks before any row exists.
    assert [d for d in (7, 30) if renewal_timing.in_second_half(length, d)] == reminders


def test_a_renewal_bought_early_gets_no_early_offer_before_it_starts(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    month = PlanFactory(club=downtown, duration_days=30)
    current = MembershipFactory(member=member, plan=month, start=TODAY - days(20))
    renewal = MembershipFactory(
        member=member, plan=month, start=current.end + days(1), renewed_from=current
    )
    # From today until the renewal's own end: day -30 of the renewal is the current's last day.
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(renewal.end, 23))

    assert renewal_days("membership_ends_in", window, days=30) == []
    # The renewal's own reminder a week before its end still comes; the current one is renewed.
    assert renewal_days("membership_ends_in", window, days=7) == [(renewal.pk, 7)]


def test_the_renewal_trigger_says_which_memberships_it_waits_for():
    kind = triggers.get("membership_ends_in")

    assert kind.describe({"days": 30}) == (
        "30 days before a membership longer than 60 days ends, if not renewed"
    )


def test_membership_ended_three_days_ago_once_per_lapse(frozen_clock, downtown):
    lapsed = MemberFactory(home_club=downtown)
    membership = MembershipFactory(member=lapsed, start=TODAY - days(3) - days(29))
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    assert found("membership_ended", window, days=3, at="10:00") == [
        (lapsed.pk, f"lapse:{membership.pk}", local(TODAY, 10))
    ]


def test_birthday_at_ten_local_once_a_year(frozen_clock, downtown):
    birthday = MemberFactory(home_club=downtown, birth_date=dt.date(1990, 11, 23))
    MemberFactory(home_club=downtown, birth_date=dt.date(1990, 11, 24))
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    assert found("birthday", window, at="10:00") == [
        (birthday.pk, "birthday:2026", local(TODAY, 10))
    ]


def test_leap_day_birthdays_are_greeted_on_1_march(downtown):
    leapling = MemberFactory(home_club=downtown, birth_date=dt.date(1992, 2, 29))
    first_of_march = dt.date(2027, 3, 1)
    window = triggers.Window(
        club=downtown, since=local(first_of_march, 0), until=local(first_of_march, 23)
    )

    assert [o.member_id for o in triggers.occurrences("birthday", window, {})] == [leapling.pk]


def test_check_in_denied_for_expired_or_empty_pack_only(window, downtown):
    expired = CheckInAttemptFactory(member=MemberFactory(home_club=downtown), reason="expired")
    CheckInAttemptFactory(member=MemberFactory(home_club=downtown), reason="frozen")

    assert found("check_in_denied", window) == [
        (expired.member_id, f"denied:{expired.pk}", expired.at)
    ]


def test_anniversary_counts_years(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    year = PlanFactory(club=downtown, duration_days=365)
    first = MembershipFactory(member=member, plan=year, start=dt.date(2024, 11, 23))
    two_years = PlanFactory(club=downtown, duration_days=730)
    MembershipFactory(member=member, plan=two_years, start=first.end + days(1), renewed_from=first)
    window = triggers.Window(club=downtown, since=local(TODAY, 0), until=local(TODAY, 23))

    [occurrence] = triggers.occurrences("membership_anniversary", window, {})

    assert (occurrence.member_id, occurrence.key, occurrence.facts) == (
        member.pk,
        "anniversary:2026",
        {"years": 2},
    )


def in_order(occurrences) -> list:
    return sorted(occurrences, key=lambda o: (o.member_id, o.key))


@pytest.mark.django_db
def test_every_kind_narrowed_to_some_members_finds_what_it_finds_for_them_club_wide(
    frozen_clock,
):
    # given: a year of demo history, and each default rule's evaluator window
    call_command("seed_demo", members=600, years=1, seed=3, today=TODAY, stdout=StringIO())
    now = clock.now()
    checked = 0
    for club in Club.objects.all():
        window = triggers.Window(club=club, since=now - days(30), until=now + days(30))
        for rule in Rule.objects.filter(is_active=True).order_by("number"):
            club_wide = triggers.occurrences(rule.trigger, window, rule.params)
            # half of the members it found, and as many it did not
            found_ids = sorted({o.member_id for o in club_wide})[::2]
            others = list(
                Member.objects.filter(home_club=club)
                .exclude(pk__in=found_ids)
                .values_list("pk", flat=True)[: len(found_ids) + 1]
            )
            some = frozenset(found_ids + others)

            # when
            narrowed = triggers.occurrences(
                rule.trigger, replace(window, members=some), rule.params
            )

            # then
            assert in_order(narrowed) == in_order(o for o in club_wide if o.member_id in some), (
                rule.number
            )
            checked += len(narrowed)
    assert checked > 100  # the demo gave most kinds something to find


def test_an_occurrence_with_facts_its_kind_does_not_declare_is_refused(window, monkeypatch):
    # Rule templates are checked against the declared facts: a kind must give exactly those.
    def find(window, params):
        yield triggers.Occurrence(1, "k", window.until, {"end": TODAY})

    kind = triggers.TriggerKind("sloppy", "Sloppy", str, find, facts=("end", "plan"))
    monkeypatch.setitem(triggers.REGISTRY, "sloppy", kind)

    with pytest.raises(ValueError, match=r"sloppy declares the facts \('end', 'plan'\)"):
        triggers.occurrences("sloppy", window, {})


@pytest.mark.parametrize(
    ("days", "day"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (14, "14th"), (21, "21st"), (22, "22nd")]
)
def test_days_without_a_visit_names_the_day_in_english(days, day):
    # "the 21th day" was what marketing read on the playbook.
    words = triggers.get("days_without_visit").describe({"days": days})
    assert words.startswith(f"on the {day} day without a visit")
