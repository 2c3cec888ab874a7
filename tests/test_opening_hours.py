"""Opening hours per club, and the call tasks that wait for them (playbook rule 1: "call the
lead within 15 minutes" means 15 minutes of the club being open).

Downtown is in Amsterdam and gets the default week here: Mon–Fri 06:30–22:00, Sat–Sun
08:00–20:00. Instants are written in UTC; November is UTC+1 in Amsterdam.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from campaigns import channels
from campaigns.models import Rule, Touchpoint
from club import clock, hours
from club.models import OpeningHours, Weekday
from cms import trials
from members import staff_tasks
from members.models import MemberEvent
from tests.factories import MemberFactory
from tests.test_admin_screens import club_form

AMS = clock.zone()


@pytest.fixture
def week(downtown):
    return OpeningHours.objects.bulk_create(hours.default_week(downtown))


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


def call_due_at(club, at: dt.datetime) -> dt.datetime:
    """The due time of a 15-minute call task opened at `at`, in the club's time zone."""
    with time_machine.travel(at, tick=False):
        task = staff_tasks.open_task(
            MemberFactory(home_club=club),
            title="Call within 15 minutes",
            due_in=dt.timedelta(minutes=15),
        )
    task.refresh_from_db()
    return task.due_at.astimezone(AMS)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        pytest.param(local(2026, 11, 23, 18, 0), local(2026, 11, 23, 18, 15), id="open-monday"),
        pytest.param(local(2026, 11, 24, 3, 23), local(2026, 11, 24, 6, 45), id="night"),
        pytest.param(local(2026, 11, 24, 6, 29), local(2026, 11, 24, 6, 45), id="just-before"),
        pytest.param(local(2026, 11, 24, 6, 30), local(2026, 11, 24, 6, 45), id="at-opening"),
        pytest.param(local(2026, 11, 23, 22, 0), local(2026, 11, 24, 6, 45), id="at-closing"),
        pytest.param(local(2026, 11, 27, 23, 10), local(2026, 11, 28, 8, 15), id="fri-to-sat"),
        # Spring forward: Sunday 29 March 2026 opens at 08:00 summer time (06:00 UTC).
        pytest.param(local(2026, 3, 28, 21, 0), local(2026, 3, 29, 8, 15), id="dst-spring"),
        # Fall back: Sunday 25 October 2026 opens at 08:00 winter time (07:00 UTC).
        pytest.param(local(2026, 10, 24, 21, 0), local(2026, 10, 25, 8, 15), id="dst-autumn"),
    ],
)
def test_a_call_task_is_due_15_minutes_into_opening_hours(week, downtown, opened, due):
    assert call_due_at(downtown, opened) == due


def test_the_dst_switch_moves_the_due_instant_by_the_hour_the_night_lost(week, downtown):
    spring = call_due_at(downtown, local(2026, 3, 28, 21, 0))
    autumn = call_due_at(downtown, local(2026, 10, 24, 21, 0))

    assert spring.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 6, 15, tzinfo=dt.UTC)
    assert autumn.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 7, 15, tzinfo=dt.UTC)


def test_a_closed_day_is_skipped_to_the_next_open_day(week, downtown):
    # Closed on Sundays and Mondays.
    downtown.opening_hours.filter(weekday__in=[6, 0]).delete()

    # Saturday evening after closing: Tuesday's opening.
    assert call_due_at(downtown, local(2026, 11, 28, 20, 30)) == local(2026, 12, 1, 6, 45)
    # Sunday noon: the same.
    assert call_due_at(downtown, local(2026, 11, 29, 12, 0)) == local(2026, 12, 1, 6, 45)


def test_a_club_open_one_day_a_week_is_due_on_that_day_next_week(downtown):
    OpeningHours.objects.create(
        club=downtown, weekday=Weekday.MONDAY, opens=dt.time(9), closes=dt.time(12)
    )

    assert call_due_at(downtown, local(2026, 11, 23, 13, 0)) == local(2026, 11, 30, 9, 15)


def test_a_club_that_has_set_no_hours_counts_as_always_open(downtown):
    assert call_due_at(downtown, local(2026, 11, 24, 3, 23)) == local(2026, 11, 24, 3, 38)


def test_a_longer_task_counts_its_time_from_the_opening(week, downtown):
    with time_machine.travel(local(2026, 11, 24, 5, 0), tick=False):
        task = staff_tasks.open_task(
            MemberFactory(home_club=downtown), title="Personal call", due_in=dt.timedelta(hours=1)
        )

    assert task.due_at == local(2026, 11, 24, 7, 30)


# --- the trial form at night and the managers ---------------------------------------------


@override_settings(SITE_URL="https://downtown.example.com/")
def test_a_night_sign_up_reaches_the_managers_only_after_the_call_is_late(
    client, week, downtown, max
):
    # given a trial sign-up on the website at 03:23, with no class to book
    with time_machine.travel(local(2026, 11, 24, 3, 23), tick=False):
        signup = trials.sign_up_for_trial(
            downtown,
            first_name="Ana",
            phone="+31687654321",
            session=None,
            wordings=trials.ConsentWordings(sms="SMS?", email="Email?"),
        )
    assert signup.task.due_at == local(2026, 11, 24, 6, 45)

    # when the escalation runs through the night and up to the due time, nobody is told
    for minute in (local(2026, 11, 24, 3, 39), local(2026, 11, 24, 6, 31)):
        with time_machine.travel(minute, tick=False):
            assert staff_tasks.escalate_late_tasks() == 0
    with time_machine.travel(local(2026, 11, 24, 6, 45), tick=False):
        assert staff_tasks.escalate_late_tasks() == 0
    assert mail.outbox == []

    # then a minute after it, the manager is, with a link to the lead's card
    with time_machine.travel(local(2026, 11, 24, 6, 46), tick=False):
        assert staff_tasks.escalate_late_tasks() == 1
    (email,) = mail.outbox
    assert "was due at 06:45 on Tue 24 Nov" in email.body
    card = f"https://downtown.example.com/admin/desk/members/{signup.member.pk}/"
    assert f"Open the task: {card}\n" in email.body

    # and the link opens the card, showing the late task
    client.force_login(max)
    with time_machine.travel(local(2026, 11, 24, 6, 50), tick=False):
        response = client.get(card.removeprefix("https://downtown.example.com"))
    assert response.status_code == 200
    assert "Call Ana by 06:45, within 15 minutes of opening" in response.content.decode()


def test_without_the_desk_the_link_is_the_members_own_page(monkeypatch, downtown):
    task = staff_tasks.open_task(
        MemberFactory(home_club=downtown), title="Call", due_in=dt.timedelta(minutes=15)
    )
    monkeypatch.setattr(staff_tasks.hooks, "get_hooks", lambda name: [])

    url = staff_tasks.task_url(task)

    assert url.endswith(reverse("members:edit", args=[task.member_id]))
    assert re.match(r"https?://", url)


# --- the club's settings form ---------------------------------------------------------------


def hours_form(club, rows, **changes) -> dict:
    """The club form with its opening hours replaced by `rows` of (weekday, opens, closes)."""
    existing = list(club.opening_hours.all())
    data = club_form(club, **changes)
    data |= {
        "opening_hours-TOTAL_FORMS": len(existing) + len(rows),
        "opening_hours-INITIAL_FORMS": len(existing),
    }
    for i in range(len(existing)):
        data[f"opening_hours-{i}-DELETE"] = "on"
    for i, (weekday, opens, closes) in enumerate(rows, start=len(existing)):
        data |= {
            f"opening_hours-{i}-id": "",
            f"opening_hours-{i}-weekday": weekday,
            f"opening_hours-{i}-opens": opens,
            f"opening_hours-{i}-closes": closes,
        }
    return data


def saved_week(club) -> list[tuple[int, str, str]]:
    return [
        (row.weekday, f"{row.opens:%H:%M}", f"{row.closes:%H:%M}")
        for row in club.opening_hours.all()
    ]


def test_a_manager_sets_the_clubs_opening_hours(client, week, downtown, max):
    client.force_login(max)
    rows = [(0, "07:00", "21:00"), (2, "06:00", "23:00"), (5, "09:00", "13:00")]

    response = client.post(reverse("clubs:edit", args=[downtown.pk]), hours_form(downtown, rows))

    assert response.status_code == 302
    assert saved_week(downtown) == [
        (0, "07:00", "21:00"),
        (2, "06:00", "23:00"),
        (5, "09:00", "13:00"),
    ]


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        pytest.param(
            [(0, "22:00", "06:30")],
            {"closes": ["Closing time must be after opening time."]},
            id="closes-before-opening",
        ),
        pytest.param(
            [(0, "08:00", "08:00")],
            {"closes": ["Closing time must be after opening time."]},
            id="closes-at-opening",
        ),
        pytest.param(
            [(0, "08:00", "25:00")],
            {"closes": ["Enter a time of day as HH:MM (24-hour), e.g. 21:00."]},
            id="not-a-time",
        ),
    ],
)
def test_bad_hours_are_an_error_at_the_field_and_nothing_is_saved(
    client, week, downtown, max, rows, errors
):
    before = saved_week(downtown)
    client.force_login(max)

    response = client.post(reverse("clubs:edit", args=[downtown.pk]), hours_form(downtown, rows))

    assert response.status_code == 200
    formset = response.context["form"].formsets["opening_hours"]
    assert [form.errors for form in formset.forms if form.errors] == [errors]
    assert saved_week(downtown) == before


def test_a_weekday_given_twice_is_refused_under_the_later_rows_weekday(client, week, downtown, max):
    client.force_login(max)
    rows = [(0, "07:00", "12:00"), (2, "07:00", "21:00"), (0, "14:00", "21:00")]

    response = client.post(reverse("clubs:edit", args=[downtown.pk]), hours_form(downtown, rows))

    assert response.status_code == 200
    formset = response.context["form"].formsets["opening_hours"]
    # Said at the row, in words, not as Django's "duplicate data for club and weekday".
    assert formset.non_form_errors() == []
    assert [form.errors for form in formset.forms if form.errors] == [
        {"weekday": ["Monday already has its hours above."]}
    ]
    assert formset.forms[-1].errors
    assert "Monday already has its hours above." in response.content.decode()
    assert len(saved_week(downtown)) == 7


def test_a_weekday_moved_to_a_new_row_after_deleting_its_old_one_is_saved(
    client, week, downtown, max
):
    # hours_form deletes every existing row: the new Monday replaces the deleted one.
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), hours_form(downtown, [(0, "06:00", "22:00")])
    )

    assert response.status_code == 302
    assert saved_week(downtown) == [(0, "06:00", "22:00")]


def test_a_new_club_starts_with_the_default_week(admin_client):
    response = admin_client.get(reverse("clubs:add"))

    formset = response.context["form"].formsets["opening_hours"]
    assert [
        (form.initial["weekday"], form.initial["opens"], form.initial["closes"])
        for form in formset.forms
    ] == [(day, *hours.DEFAULT_WEEK[day]) for day in range(7)]


# --- the call task's title says honestly by when to call ----------------------------------
# "within 15 minutes" while the club is open; the due time (from the opening) while it is
# closed, the same on the Tasks page, the member's timeline and the managers' email.


def sign_up_at(club, at: dt.datetime):
    with time_machine.travel(at, tick=False):
        return trials.sign_up_for_trial(
            club,
            first_name="Lea",
            last_name="Visser",
            phone="+31687654321",
            session=None,
            wordings=trials.ConsentWordings(sms="SMS?", email="Email?"),
        )


def test_a_night_sign_up_is_titled_with_when_it_is_due(client, week, downtown, fiona, max):
    signup = sign_up_at(downtown, local(2026, 11, 24, 3, 23))

    title = "Call Lea Visser by 06:45, within 15 minutes of opening"
    assert signup.task.title == title
    assert signup.task.due_at == local(2026, 11, 24, 6, 45)
    opened = signup.member.events.get(kind=MemberEvent.Kind.TASK_OPENED)
    assert opened.data["title"] == title

    # The Tasks page shows the title beside its due time; they agree.
    client.force_login(fiona)
    with time_machine.travel(local(2026, 11, 24, 6, 35), tick=False):
        page = client.get(reverse("desk:tasks")).content.decode()
    assert title in page and "Due 06:45" in page

    # The managers' email, when it is late, says the same.
    with time_machine.travel(local(2026, 11, 24, 6, 46), tick=False):
        assert staff_tasks.escalate_late_tasks() == 1
    (email,) = mail.outbox
    assert email.subject == f"Late: {title}"
    assert "was due at 06:45 on Tue 24 Nov" in email.body


def test_a_sign_up_due_another_day_names_the_day(week, downtown):
    # Friday 23:10: the club opens on Saturday at 08:00.
    signup = sign_up_at(downtown, local(2026, 11, 27, 23, 10))

    assert signup.task.title == "Call Lea Visser by Sat 08:15, within 15 minutes of opening"
    assert signup.task.due_at == local(2026, 11, 28, 8, 15)


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(local(2026, 11, 24, 18, 0), id="open"),
        pytest.param(local(2026, 11, 24, 6, 30), id="at-opening"),
    ],
)
def test_a_sign_up_while_the_club_is_open_keeps_the_fifteen_minutes(week, downtown, at):
    signup = sign_up_at(downtown, at)

    assert signup.task.title == "Call Lea Visser within 15 minutes"
    assert signup.task.due_at == at + dt.timedelta(minutes=15)


def test_a_club_with_no_hours_is_open_and_says_fifteen_minutes_at_night(downtown):
    signup = sign_up_at(downtown, local(2026, 11, 24, 3, 23))

    assert signup.task.title == "Call Lea Visser within 15 minutes"
    assert signup.task.due_at == local(2026, 11, 24, 3, 38)


# --- a call that would fall due after closing ----------------------------------------------


@pytest.mark.parametrize(
    ("opened", "due_in", "due"),
    [
        # Tuesday 21:30, an hour's call, closing at 22:00: 30 minutes on Wednesday morning.
        pytest.param(local(2026, 11, 24, 21, 30), 60, local(2026, 11, 25, 7, 0), id="tue-21:30"),
        # Friday 21:50: 10 minutes on Friday, 50 from Saturday's 08:00.
        pytest.param(local(2026, 11, 27, 21, 50), 60, local(2026, 11, 28, 8, 50), id="fri-21:50"),
        # Exactly at closing time is still within the hours.
        pytest.param(local(2026, 11, 24, 21, 0), 60, local(2026, 11, 24, 22, 0), id="at-closing"),
        # A two-day task counts open time only: 15.5 h a weekday.
        pytest.param(
            local(2026, 11, 23, 6, 30), 60 * 31, local(2026, 11, 24, 22, 0), id="two-days"
        ),
        # Longer than the eight days the hours are looked ahead for an opening: two whole
        # weeks of open time (5 × 15.5 h + 2 × 12 h a week) end at the second Sunday's close.
        pytest.param(
            local(2026, 11, 23, 6, 30), 60 * 203, local(2026, 12, 6, 20, 0), id="two-weeks"
        ),
    ],
)
def test_a_call_task_falls_due_within_opening_hours(week, downtown, opened, due_in, due):
    with time_machine.travel(opened, tick=False):
        task = staff_tasks.open_task(
            MemberFactory(home_club=downtown), title="Call", due_in=dt.timedelta(minutes=due_in)
        )

    assert task.due_at.astimezone(AMS) == due


def test_rule_12_s_call_task_opened_before_closing_is_due_the_next_morning(week, downtown):
    # given playbook rule 12's call task (an hour: no due_minutes), claimed at 21:40 on a Tuesday
    rule = Rule.objects.get(number=12)
    assert rule.channel == "task"
    member = MemberFactory(home_club=downtown)
    opened = local(2026, 11, 24, 21, 40)
    touchpoint = Touchpoint.objects.create(
        rule=rule,
        member=member,
        club=downtown,
        occurrence_key="test:12",
        channel="task",
        status=Touchpoint.Status.SENDING,
        due_at=opened,
        send_at=opened,
        claimed_at=opened,
        explanation="rule 12",
        body="Call them\nabout their visits",
        created_at=opened,
    )

    # when the dispatcher's channel opens it
    with time_machine.travel(opened, tick=False):
        channels.get_channel("task").send(touchpoint)

    # then it is due 40 minutes into Wednesday's opening, not at 22:40 with the club shut
    [task] = member.tasks.all()
    assert task.due_at.astimezone(AMS) == local(2026, 11, 25, 7, 10)


def erasure_request_due_at(club, at: dt.datetime) -> dt.datetime:
    """The due time of a member's erasure request sent at `at`, in the club's time zone."""
    with time_machine.travel(at, tick=False):
        task = staff_tasks.open_task(
            MemberFactory(home_club=club),
            title="Erase personal data: requested by the member",
            due_within=dt.timedelta(days=30),
        )
    task.refresh_from_db()
    return task.due_at.astimezone(AMS)


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        # Open then, thirty days later: due to the minute, a month by the calendar.
        pytest.param(local(2026, 11, 23, 18, 0), local(2026, 12, 23, 18, 0), id="open"),
        # Closed thirty days later (a Wednesday night): the closing before, never after.
        pytest.param(local(2026, 11, 23, 23, 10), local(2026, 12, 23, 22, 0), id="night"),
        pytest.param(local(2026, 11, 24, 5, 0), local(2026, 12, 23, 22, 0), id="before-opening"),
    ],
)
def test_a_legal_deadline_counts_calendar_days_and_falls_due_while_open(week, downtown, asked, due):
    # Counted in opening hours, as a call is, thirty days of a 15½-hour day came to 45 days.
    assert erasure_request_due_at(downtown, asked) == due


def test_a_task_needs_exactly_one_way_of_counting_its_due_time(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)

    with pytest.raises(TypeError):
        staff_tasks.open_task(member, title="Both", due_in=dt.timedelta(hours=1),
                              due_within=dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(TypeError):
        staff_tasks.open_task(member, title="Neither")
