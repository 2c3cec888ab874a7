"""A trial sign-up's call task says honestly by when to call: "within 15 minutes" while the
club is open, the due time (from the opening) while it is closed, the same on the Tasks page,
the member's timeline and the managers' email.

Downtown gets the default week: Mon–Fri 06:30–22:00, Sat–Sun 08:00–20:00, in Amsterdam
(UTC+1 in November).
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from club import clock, hours
from club.models import OpeningHours
from cms import trials
from members import staff_tasks
from members.models import MemberEvent

AMS = clock.zone()


@pytest.fixture
def week(downtown):
    return OpeningHours.objects.bulk_create(hours.default_week(downtown))


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


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
