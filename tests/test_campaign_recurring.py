"""Repeating campaigns: each run is an occurrence in the outbox, launched once at its time
to the segment's members of that day, with the same members held out every run; pausing or
stopping ends the runs and cancels the messages of a run not yet sent.

The clock starts at Monday 23 Nov 2026 18:00 in Amsterdam; runs go on Tuesdays at 10:00.
"""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction

from campaigns import dispatcher, launches
from campaigns.models import Campaign, CampaignVariant, Rule, Segment, Touchpoint
from club import clock
from tests.factories import MemberFactory

TODAY = dt.date(2026, 11, 23)
TUESDAY = TODAY + dt.timedelta(days=1)
NEXT_TUESDAY = TUESDAY + dt.timedelta(weeks=1)
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0, club=None) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm), club)


@pytest.fixture(autouse=True)
def only_campaigns(db):
    Rule.objects.update(is_active=False)


@pytest.fixture
def segment(downtown) -> Segment:
    texters = Segment.objects.create(name="SMS members at Downtown", consent="sms")
    texters.clubs.set([downtown])
    return texters


def members(club, n: int, **fields):
    return [
        MemberFactory(
            **{"home_club": club, "sms_consent": True, "phone": f"+3162{i:07d}", **fields}
        )
        for i in range(n)
    ]


def weekly(segment, **fields) -> Campaign:
    defaults = {
        "name": "Tuesday classes",
        "channel": "sms",
        "send_on": TUESDAY,
        "send_time": dt.time(10, 0),
        "repeat": Campaign.Repeat.WEEKLY,
        "holdout_percent": 10,
        "status": Campaign.Status.SCHEDULED,
    }
    created = Campaign.objects.create(segment=segment, **{**defaults, **fields})
    CampaignVariant.objects.create(campaign=created, label="A", template="Hi {{ first_name }}")
    return created


def rows(of: Campaign, run: dt.date | None = None):
    found = Touchpoint.objects.filter(campaign=of)
    return found.filter(occurrence_key=of.run_key(run)) if run else found


def test_two_runs_a_week_apart_write_two_sets_of_rows(frozen_clock, downtown, segment):
    # given a weekly campaign to three members
    group = members(downtown, 3)
    tuesdays = weekly(segment, holdout_percent=0)

    # when its first two runs come
    frozen_clock.move_to(local(TUESDAY, 10))
    first = launches.launch_due()
    frozen_clock.move_to(local(TUESDAY + dt.timedelta(days=6), 10))
    between = launches.launch_due()
    frozen_clock.move_to(local(NEXT_TUESDAY, 10))
    second = launches.launch_due()

    # then each run has its own row per member, due at its own Tuesday
    tuesdays.refresh_from_db()
    assert (first, between, second) == (3, 0, 3)
    for run in (TUESDAY, NEXT_TUESDAY):
        assert sorted(rows(tuesdays, run).values_list("member_id", flat=True)) == sorted(
            m.pk for m in group
        )
        assert set(rows(tuesdays, run).values_list("due_at", flat=True)) == {local(run, 10)}
    assert set(rows(tuesdays).values_list("occurrence_key", flat=True)) == {
        f"campaign:{tuesdays.pk}:2026-11-24",
        f"campaign:{tuesdays.pk}:2026-12-01",
    }
    assert (tuesdays.status, tuesdays.next_run_on) == ("scheduled", dt.date(2026, 12, 8))


def test_a_second_launch_of_the_same_run_writes_nothing(frozen_clock, downtown, segment):
    members(downtown, 4)
    tuesdays = weekly(segment)
    frozen_clock.move_to(local(TUESDAY, 10))

    first = launches.launch_due()
    again = launches.launch_due()
    tuesdays.next_run_on = TUESDAY  # a stale copy launched once more
    stale = launches.launch(tuesdays)

    assert (first, again, stale) == (4, 0, 0)
    assert rows(tuesdays).count() == 4


def test_the_outbox_refuses_a_second_row_for_a_member_in_one_run(frozen_clock, downtown, segment):
    members(downtown, 1)
    tuesdays = weekly(segment)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch(tuesdays)
    row = rows(tuesdays).get()

    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_each_run_reads_the_segment_of_its_day(frozen_clock, downtown, segment):
    # given a member in the segment, and one who gives SMS consent after the first run
    stays, leaves = members(downtown, 2)
    (joins,) = members(downtown, 1, sms_consent=False, phone="+31629999999")
    tuesdays = weekly(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch_due()

    # when one leaves the segment and another joins it before the next run
    leaves.sms_consent = False
    leaves.save()
    joins.sms_consent = True
    joins.save()
    frozen_clock.move_to(local(NEXT_TUESDAY, 10))
    launches.launch_due()

    # then the second run goes to the segment as it is that day
    first = set(rows(tuesdays, TUESDAY).values_list("member_id", flat=True))
    second = set(rows(tuesdays, NEXT_TUESDAY).values_list("member_id", flat=True))
    assert (first, second) == ({stays.pk, leaves.pk}, {stays.pk, joins.pk})


def test_a_member_held_out_once_is_held_out_every_run(frozen_clock, downtown, segment):
    members(downtown, 100)
    tuesdays = weekly(segment, holdout_percent=20)
    for run in (TUESDAY, NEXT_TUESDAY):
        frozen_clock.move_to(local(run, 10))
        launches.launch_due()

    held = [
        set(rows(tuesdays, run).filter(status=Status.HOLDING).values_list("member", flat=True))
        for run in (TUESDAY, NEXT_TUESDAY)
    ]
    assert held[0] == held[1]
    assert 8 <= len(held[0]) <= 35


def test_the_timeline_says_which_run_sent_it(frozen_clock, downtown, segment):
    members(downtown, 1)
    tuesdays = weekly(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))

    launches.launch_due()

    assert rows(tuesdays).get().explanation == (
        "campaign “Tuesday classes” (A), run of 24 Nov 2026: to the segment "
        "“SMS members at Downtown”"
    )


def test_the_last_run_before_the_end_date_ends_the_campaign(frozen_clock, downtown, segment):
    members(downtown, 1)
    tuesdays = weekly(segment, repeat_until=NEXT_TUESDAY + dt.timedelta(days=3))
    written = []
    for run in (TUESDAY, NEXT_TUESDAY, NEXT_TUESDAY + dt.timedelta(weeks=1)):
        frozen_clock.move_to(local(run, 10))
        written.append(launches.launch_due())

    tuesdays.refresh_from_db()
    assert written == [1, 1, 0]
    assert (tuesdays.status, tuesdays.next_run_on) == ("sent", None)


def test_runs_missed_in_an_outage_are_skipped_not_sent_late(frozen_clock, downtown, segment):
    # given beat was down over the first two runs
    members(downtown, 2)
    tuesdays = weekly(segment)
    third = NEXT_TUESDAY + dt.timedelta(weeks=1)
    frozen_clock.move_to(local(third, 10, 5))

    # when it comes back
    written = launches.launch_due()

    # then only the run of today goes
    tuesdays.refresh_from_db()
    assert written == 2
    assert set(rows(tuesdays).values_list("occurrence_key", flat=True)) == {tuesdays.run_key(third)}
    assert tuesdays.next_run_on == third + dt.timedelta(weeks=1)
    # and the skipped runs are recorded as missed, so the results can say so
    assert sorted(tuesdays.runs.values_list("run_on", "outcome", "members")) == [
        (TUESDAY, "missed", 0),
        (NEXT_TUESDAY, "missed", 0),
        (third, "launched", 2),
    ]


def test_a_run_that_reaches_nobody_is_recorded(frozen_clock, downtown, segment):
    # given a weekly campaign whose segment is empty on its first Tuesday
    tuesdays = weekly(segment)
    frozen_clock.move_to(local(TUESDAY, 10))

    # when the run comes, twice (a second worker)
    written = launches.launch_due() + launches.launch(tuesdays)

    # then no row went, and one record says the run reached nobody
    assert written == 0
    assert list(tuesdays.runs.values_list("run_on", "outcome", "members")) == [
        (TUESDAY, "launched", 0)
    ]


@pytest.mark.parametrize(
    ("first", "n", "expected"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
        (dt.date(2027, 1, 31), 2, dt.date(2027, 3, 31)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2026, 8, 31), 3, dt.date(2026, 11, 30)),
    ],
)
def test_a_monthly_run_goes_on_the_day_or_a_shorter_months_last(first, n, expected):
    monthly = Campaign(send_on=first, repeat=Campaign.Repeat.MONTHLY)

    assert monthly.run_day(n) == expected
    assert monthly.run_after(monthly.run_day(n - 1)) == expected


def test_a_one_off_has_one_run_and_keeps_its_key():
    once = Campaign(pk=7, send_on=TUESDAY)

    assert (once.run_day(0), once.run_day(1), once.run_after(TUESDAY)) == (TUESDAY, None, None)
    assert once.run_key(TUESDAY) == "campaign:7"


@pytest.fixture
def london(riverside):
    """Riverside an hour behind Downtown: its messages of a run go an hour later."""
    riverside.time_zone = "Europe/London"
    riverside.save()
    return riverside


def test_stop_cancels_the_run_still_to_go_and_launches_no_more(
    frozen_clock, downtown, london, segment
):
    # given a run that went at Downtown and waits for 10:00 in London
    segment.clubs.set([downtown, london])
    (here,) = members(downtown, 1)
    (there,) = members(london, 1, phone="+31629999998")
    tuesdays = weekly(segment, holdout_percent=0)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch_due()
    dispatcher.dispatch()

    # when marketing stops it
    launches.stop(tuesdays)
    frozen_clock.move_to(local(NEXT_TUESDAY, 12))
    later = launches.launch_due()

    # then London's message is cancelled, and no run follows
    tuesdays.refresh_from_db()
    outcome = {row.member_id: (row.status, row.reason) for row in rows(tuesdays)}
    assert outcome == {
        here.pk: (Status.DELIVERED, ""),
        there.pk: (Status.CANCELLED, Reason.CAMPAIGN_STOPPED),
    }
    assert (later, tuesdays.status, tuesdays.next_run_on) == (0, "stopped", None)
    assert dispatcher.dispatch() == {}


def test_a_paused_campaign_skips_its_runs_and_resumes_with_the_next(
    frozen_clock, downtown, segment
):
    members(downtown, 1)
    tuesdays = weekly(segment)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch_due()
    launches.pause(tuesdays)

    frozen_clock.move_to(local(NEXT_TUESDAY, 10))
    while_paused = launches.launch_due()
    frozen_clock.move_to(local(NEXT_TUESDAY, 15))
    launches.resume(tuesdays)
    frozen_clock.move_to(local(NEXT_TUESDAY + dt.timedelta(weeks=1), 10))
    after = launches.launch_due()

    runs = sorted(
        tuesdays.run_of(key) for key in rows(tuesdays).values_list("occurrence_key", flat=True)
    )
    assert (while_paused, after) == (0, 1)
    assert runs == [TUESDAY, NEXT_TUESDAY + dt.timedelta(weeks=1)]


@pytest.mark.parametrize(
    ("status", "repeat", "change", "says"),
    [
        ("scheduled", "once", launches.stop, "A one-off campaign cannot be stopped."),
        ("scheduled", "once", launches.pause, "A one-off campaign cannot be paused."),
        ("stopped", "weekly", launches.stop, "A stopped campaign cannot be stopped."),
        ("stopped", "weekly", launches.resume, "A stopped campaign cannot be resumed."),
        ("draft", "weekly", launches.pause, "A draft campaign cannot be paused."),
    ],
)
def test_what_cannot_be_paused_stopped_or_resumed(downtown, segment, status, repeat, change, says):
    campaign = weekly(segment, status=status, repeat=repeat)

    with pytest.raises(launches.NotAllowed, match=re.escape(says)):
        change(campaign)

    campaign.refresh_from_db()
    assert campaign.status == status


def test_a_running_campaign_is_stopped_not_cancelled(frozen_clock, downtown, segment):
    members(downtown, 1)
    tuesdays = weekly(segment)
    frozen_clock.move_to(local(TUESDAY, 10))
    launches.launch_due()

    with pytest.raises(launches.NotAllowed, match=r"A running campaign cannot be cancelled\."):
        launches.cancel(tuesdays)


def test_the_database_refuses_an_end_before_the_first_day(downtown, segment):
    with pytest.raises(IntegrityError), transaction.atomic():
        weekly(segment, repeat_until=TUESDAY - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("campaign", "words"),
    [
        (
            {"repeat": "weekly", "send_on": dt.date(2026, 11, 30)},
            "Every Monday at 10:00, from 30 Nov",
        ),
        (
            {
                "repeat": "weekly",
                "send_on": dt.date(2026, 11, 30),
                "repeat_until": dt.date(2027, 1, 31),
            },
            "Every Monday at 10:00, from 30 Nov, until 31 Jan 2027",
        ),
        (
            {"repeat": "monthly", "send_on": dt.date(2026, 12, 31)},
            "On the 31st of every month (a shorter month's last day) at 10:00, from 31 Dec",
        ),
        (
            {"repeat": "monthly", "send_on": dt.date(2027, 1, 2), "send_time": dt.time(9, 30)},
            "On the 2nd of every month at 09:30, from 2 Jan 2027",
        ),
        ({"send_on": TUESDAY}, "Once, on Tue 24 Nov 2026 at 10:00"),
    ],
)
def test_the_schedule_in_words(frozen_clock, campaign, words):
    assert Campaign(**{"send_time": dt.time(10), **campaign}).schedule_words() == words
