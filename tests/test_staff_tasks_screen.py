"""Staff tasks on screen (the Tasks page and the home page's panels) and the home page's
"today" panels for the front desk and trainers."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin import checkins
from checkin.models import CheckInAttempt
from club import clock, roles
from members import staff_tasks
from members.models import Member, MemberEvent, Task
from memberships.models import Membership
from tests.factories import (
    BookingFactory,
    CheckInAttemptFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

TASKS = "/admin/desk/tasks/"


@pytest.fixture
def call_ana(frozen_clock, downtown):
    """What the trial form opens for the front desk: call the new lead within 15 minutes."""
    ana = MemberFactory(
        home_club=downtown, status=Member.Status.LEAD, first_name="Ana", last_name="Kovač",
        phone="+31687654321",
    )  # fmt: skip
    return staff_tasks.open_task(
        ana,
        title="Call Ana Kovač within 15 minutes",
        due_in=dt.timedelta(minutes=15),
        assigned_role=roles.FRONT_DESK,
    )


@pytest.fixture
def call_for_tom(frozen_clock, downtown, tom, maya):
    """A lifecycle call the rule gave to Maya's trainer."""
    return staff_tasks.open_task(
        maya,
        title="Call Maya: 14 days without a visit",
        due_in=dt.timedelta(hours=1),
        assigned_role=roles.TRAINER,
        assigned_to=tom,
    )


def test_front_desk_sees_its_tasks_with_the_number_to_call(client, fiona, call_ana):
    client.force_login(fiona)
    page = client.get(TASKS).content.decode()
    assert "Call Ana Kovač within 15 minutes" in page
    assert '<a href="tel:+31687654321">06 87654321</a>' in page
    assert reverse("desk:member", args=[call_ana.member.pk]) in page


def test_a_task_is_shown_late_once_its_due_time_has_passed(client, fiona, call_ana, frozen_clock):
    client.force_login(fiona)
    assert "Late: due" not in client.get(TASKS).content.decode()
    frozen_clock.shift(dt.timedelta(minutes=16))
    assert "Late: due 18:15" in client.get(TASKS).content.decode()


def test_each_role_sees_the_tasks_that_are_theirs(
    client, fiona, tom, mia, max, olga, call_ana, call_for_tom
):
    seen = {}
    for user in (fiona, tom, mia, max, olga):
        client.force_login(user)
        page = client.get(TASKS).content.decode()
        seen[user.username] = {t.title for t in (call_ana, call_for_tom) if t.title in page}
    assert seen == {
        "fiona": {call_ana.title},  # the front desk's; Tom's call is named to him
        "tom": {call_for_tom.title},
        "mia": set(),
        "max": {call_ana.title, call_for_tom.title},  # a manager sees every task at the club
        "olga": set(),  # another club's
    }


def test_a_trainer_sees_the_number_of_a_call_given_to_him_but_not_the_member_card(
    client, tom, call_for_tom
):
    client.force_login(tom)
    page = client.get(TASKS).content.decode()
    # dialled as stored, read out as people say it at a Dutch club
    assert f'<a href="tel:{call_for_tom.member.phone}">06 12345678</a>' in page
    assert reverse("desk:member", args=[call_for_tom.member.pk]) not in page


def test_marking_a_task_done_records_who_and_when_and_is_safe_to_repeat(
    client, fiona, call_ana, frozen_clock
):
    client.force_login(fiona)
    url = reverse("desk:task_done", args=[call_ana.pk])
    response = client.post(url, {"next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    call_ana.refresh_from_db()
    assert (call_ana.status, call_ana.done_by, call_ana.done_at) == (
        Task.Status.DONE, fiona, clock.now(),
    )  # fmt: skip
    assert f'data-task="{call_ana.pk}"' not in client.get(TASKS).content.decode()

    frozen_clock.shift(dt.timedelta(minutes=5))
    assert client.post(url).status_code == 302  # a double click changes nothing
    call_ana.refresh_from_db()
    assert call_ana.done_at == clock.now() - dt.timedelta(minutes=5)


def test_done_refuses_a_get_another_clubs_task_and_an_outside_next(
    client, fiona, olga, tom, call_ana
):
    url = reverse("desk:task_done", args=[call_ana.pk])
    for outsider in (olga, tom):  # another club's front desk; a trainer it is not given to
        client.force_login(outsider)
        assert client.post(url).status_code == 404
    call_ana.refresh_from_db()
    assert call_ana.status == Task.Status.OPEN

    client.force_login(fiona)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == TASKS


def test_the_tasks_page_needs_a_staff_role(client, downtown, call_ana):
    client.force_login(UserFactory(username="nobody", clubs=[downtown], roles=[]))
    response = client.get(TASKS)
    assert response.status_code == 302 and "Call Ana" not in response.content.decode()


def test_front_desk_home_shows_today_at_the_club_and_the_tasks(
    client, frozen_clock, fiona, downtown, maya, call_ana
):
    today = clock.today(downtown)
    VisitFactory(member=maya, club=downtown)
    CheckInAttemptFactory(member=MemberFactory(home_club=downtown), club=downtown)
    birthday = MemberFactory(
        home_club=downtown, status=Member.Status.MEMBER, first_name="Bea", last_name="Bos",
        birth_date=today.replace(year=1990),
    )  # fmt: skip
    maya_membership = maya.memberships.get()
    maya_membership.end = today + dt.timedelta(days=3)
    maya_membership.save()

    client.force_login(fiona)
    page = client.get("/admin/").content.decode()
    assert "Today at Downtown" in page
    assert "<strong>1</strong> check-in" in page
    assert "<strong>1</strong> turned away" in page
    assert "<strong>1</strong> membership ending within a week" in page
    assert reverse("desk:member", args=[birthday.pk]) in page
    assert " more" not in page.split("Birthday today:")[1].split("</p>")[0]
    assert "Your tasks" in page and "Call Ana Kovač within 15 minutes" in page
    assert "Your classes today" not in page


def test_ending_within_a_week_counts_paid_memberships_nothing_follows(
    client, frozen_clock, fiona, downtown
):
    today = clock.today(downtown)
    in_three_days = today + dt.timedelta(days=3)

    def ending(member, plan, **fields):
        start = in_three_days - dt.timedelta(days=plan.duration_days - 1)
        return MembershipFactory(member=member, plan=plan, start=start, end=in_three_days, **fields)

    monthly, trial = PlanFactory(club=downtown), PlanFactory(club=downtown, trial=True)
    ending(MemberFactory(home_club=downtown), monthly)  # the one to count
    ending(MemberFactory(home_club=downtown), trial)  # a trial is converted, not renewed
    bought_next = MemberFactory(home_club=downtown)
    ending(bought_next, monthly)
    # The next month sold on its own, not as a renewal: nobody needs to chase it either.
    MembershipFactory(member=bought_next, plan=monthly, start=in_three_days + dt.timedelta(1))
    cancelled_next = MemberFactory(home_club=downtown)
    ending(cancelled_next, monthly)
    MembershipFactory(
        member=cancelled_next, plan=monthly, start=in_three_days + dt.timedelta(1),
        status=Membership.Status.CANCELLED,
    )  # fmt: skip

    client.force_login(fiona)
    page = client.get("/admin/").content.decode()
    assert "<strong>2</strong> memberships ending within a week" in page


def test_desk_home_counts_nothing_of_another_club(client, frozen_clock, olga, maya, call_ana):
    VisitFactory(member=maya)
    client.force_login(olga)
    page = client.get("/admin/").content.decode()
    assert "Today at Riverside" in page and "Downtown" not in page
    assert "<strong>0</strong> check-ins" in page
    assert "Call Ana" not in page


def test_trainer_home_shows_his_classes_today_with_bookings(client, frozen_clock, tom, downtown):
    today = clock.today(downtown)
    mine = ClassSessionFactory(
        club=downtown, trainer=tom, capacity=12,
        start=clock.local_datetime(today, dt.time(19, 30), downtown),
    )  # fmt: skip
    BookingFactory.create_batch(3, session=mine)
    ClassSessionFactory(club=downtown, trainer=tom)  # tomorrow
    ClassSessionFactory(
        club=downtown, start=clock.local_datetime(today, dt.time(20, 0), downtown)
    )  # someone else's

    client.force_login(tom)
    page = client.get("/admin/").content.decode()
    assert "Your classes today" in page
    assert page.count("data-session=") == 1
    assert reverse("trainer:roster", args=[mine.pk]) in page
    assert "3/12 booked" in page
    assert "Today at Downtown" not in page  # no desk figures for trainers


def test_marketing_home_has_tasks_but_no_desk_figures(client, frozen_clock, mia):
    client.force_login(mia)
    page = client.get("/admin/").content.decode()
    assert "Your tasks" in page and "No open tasks" in page
    assert "Today at Downtown" not in page


def test_a_crowd_of_birthdays_is_cut_short_with_a_count(client, frozen_clock, fiona, downtown):
    today = clock.today(downtown)
    MemberFactory.create_batch(
        11, home_club=downtown, status=Member.Status.MEMBER, birth_date=today.replace(year=1985)
    )
    client.force_login(fiona)
    birthdays = client.get("/admin/").content.decode().split("Birthday today:")[1].split("</p>")[0]
    assert birthdays.count("<a ") == 8 and "and 3 more" in birthdays


def test_the_member_card_shows_the_members_open_tasks_and_done_comes_back_to_it(
    client, fiona, mia, call_ana
):
    card = reverse("desk:member", args=[call_ana.member.pk])
    client.force_login(mia)  # marketing reads cards; the front desk's task is not hers
    assert "Open tasks" not in client.get(card).content.decode()

    client.force_login(fiona)
    assert f'data-task="{call_ana.pk}"' in client.get(card).content.decode()
    response = client.post(reverse("desk:task_done", args=[call_ana.pk]), {"next": card})
    assert response.url == card
    assert "Open tasks" not in client.get(card).content.decode()


# --- logging a call ---------------------------------------------------------------------


def call(client, member, outcome, text=""):
    return client.post(reverse("desk:call", args=[member.pk]), {"outcome": outcome, "text": text})


def test_a_call_that_reached_the_lead_is_on_the_timeline_and_closes_the_task(
    client, fiona, call_ana
):
    client.force_login(fiona)
    response = call(client, call_ana.member, "reached", "Coming Thursday for the trial")
    assert response.url == reverse("desk:member", args=[call_ana.member.pk])

    event = call_ana.member.events.get(kind=MemberEvent.Kind.CALL_LOGGED)
    assert (event.actor, event.data["outcome"], event.data["text"]) == (
        fiona, "reached", "Coming Thursday for the trial",
    )  # fmt: skip
    call_ana.refresh_from_db()
    assert (call_ana.status, call_ana.done_by) == (Task.Status.DONE, fiona)
    card = client.get(response.url).content.decode()
    assert "Reached: “Coming Thursday for the trial”" in card
    assert "1 open task done" in card


def test_a_call_nobody_answered_leaves_the_task_open(client, fiona, call_ana):
    client.force_login(fiona)
    call(client, call_ana.member, "no_answer")
    call_ana.refresh_from_db()
    assert call_ana.status == Task.Status.OPEN
    assert call_ana.member.events.filter(kind=MemberEvent.Kind.CALL_LOGGED).count() == 1


def test_a_reached_call_closes_only_the_tasks_the_caller_may_act_on(client, fiona, tom, call_ana):
    toms = staff_tasks.open_task(
        call_ana.member, title="Trainer: ask Ana about her goals", due_in=dt.timedelta(days=1),
        assigned_role=roles.TRAINER, assigned_to=tom,
    )  # fmt: skip
    client.force_login(fiona)
    call(client, call_ana.member, "reached")
    toms.refresh_from_db()
    assert toms.status == Task.Status.OPEN


def test_the_call_form_starts_with_no_outcome_chosen(client, fiona, call_ana):
    client.force_login(fiona)

    card = client.get(reverse("desk:member", args=[call_ana.member.pk])).content.decode()

    select = re.search(r'<select name="outcome".*?</select>', card, re.DOTALL).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == [
        "Choose the outcome", "Reached", "No answer", "Left a voicemail", "Wrong number",
    ]  # fmt: skip
    assert '<option value="" selected>Choose the outcome</option>' in select
    assert " required" in select


@pytest.mark.parametrize("outcome", ["", "went well"], ids=["none-chosen", "unknown"])
def test_a_call_without_an_outcome_records_nothing_and_keeps_the_note(
    client, fiona, call_ana, outcome
):
    client.force_login(fiona)

    response = call(client, call_ana.member, outcome, "Wants the Saturday class")

    assert response.status_code == 400
    assert not call_ana.member.events.filter(kind=MemberEvent.Kind.CALL_LOGGED).exists()
    call_ana.refresh_from_db()
    assert call_ana.status == Task.Status.OPEN
    html = response.content.decode()
    expected = "Choose how the call went." if outcome == "" else "Select a valid choice."
    assert f'<p class="error-message">{expected}' in html
    assert 'value="Wants the Saturday class"' in html


def test_only_staff_who_read_the_card_log_calls_and_only_at_their_club(client, tom, olga, call_ana):
    client.force_login(tom)
    assert call(client, call_ana.member, "reached")["Location"] == reverse("wagtailadmin_home")
    client.force_login(olga)
    assert call(client, call_ana.member, "reached").status_code == 404
    assert not call_ana.member.events.filter(kind=MemberEvent.Kind.CALL_LOGGED).exists()


def test_the_day_at_several_clubs_costs_the_same_queries_and_keeps_clubs_apart(
    frozen_clock, downtown, riverside, maya
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from checkin.desk.panels import clubs_today

    today = clock.today(downtown)
    VisitFactory.create_batch(2, member=maya, club=downtown)
    VisitFactory(member=MemberFactory(home_club=riverside), club=riverside)
    MemberFactory(
        home_club=riverside, status=Member.Status.MEMBER, birth_date=today.replace(year=1980)
    )

    with CaptureQueriesContext(connection) as one:
        clubs_today([downtown])
    with CaptureQueriesContext(connection) as both:
        days = clubs_today([downtown, riverside])

    assert len(both) == len(one)
    assert [(d.club, d.visits, len(d.birthdays)) for d in days] == [
        (downtown, 2, 0),
        (riverside, 1, 1),
    ]


@pytest.mark.parametrize(
    ("then", "turned_away", "check_ins"),
    [
        pytest.param("admitted anyway", 0, 1, id="override-after-the-denial"),
        pytest.param("admitted earlier", 1, 1, id="a-visit-before-the-denial"),
        pytest.param("admitted elsewhere", 1, 0, id="a-visit-at-another-club"),
        pytest.param("denied again", 1, 0, id="two-denials-one-person"),
        pytest.param("nothing", 1, 0, id="sent-home"),
    ],
)
def test_turned_away_counts_people_no_visit_let_in_after_the_denial(
    frozen_clock, fiona, downtown, riverside, then, turned_away, check_ins
):
    from checkin.desk.panels import clubs_today

    # given Ivo, with no membership, turned away at Downtown's desk at 18:00
    ivo = MemberFactory(home_club=downtown)
    if then == "admitted earlier":
        VisitFactory(member=ivo, club=downtown, at=clock.now() - dt.timedelta(hours=2))
    assert isinstance(checkins.check_in(ivo, source="desk"), CheckInAttempt)
    frozen_clock.shift(dt.timedelta(minutes=5))
    if then == "admitted anyway":
        checkins.check_in(ivo, source="desk", override_by=fiona, override_reason="Pays tomorrow")
    elif then == "admitted elsewhere":
        VisitFactory(member=ivo, club=riverside)
    elif then == "denied again":
        checkins.check_in(ivo, source="desk")

    [day] = clubs_today([downtown])

    assert (day.visits, day.denied) == (check_ins, turned_away)


def test_done_tasks_show_who_did_them_and_how_late(client, fiona, max, call_ana, frozen_clock):
    # given Fiona called Ana 25 minutes after the trial form came in (10 minutes late)
    frozen_clock.shift(dt.timedelta(minutes=25))
    staff_tasks.complete(call_ana, by=fiona)
    client.force_login(max)

    open_page = client.get(TASKS).content.decode()
    done_page = client.get(TASKS, {"show": "done"}).content.decode()

    assert "Call Ana Kovač" not in open_page
    assert "Call Ana Kovač within 15 minutes" in done_page
    assert "Done 10\xa0minutes late" in done_page
    assert "done 23 Nov 18:25 by Fiona" in done_page


def test_done_tasks_go_back_thirty_days_and_stay_at_the_club(
    client, fiona, olga, call_ana, frozen_clock
):
    staff_tasks.complete(call_ana, by=fiona)

    client.force_login(olga)  # another club's front desk
    assert "Call Ana" not in client.get(TASKS, {"show": "done"}).content.decode()

    frozen_clock.shift(dt.timedelta(days=31))
    client.force_login(fiona)  # a month later: a new sign-in
    page = client.get(TASKS, {"show": "done"}).content.decode()
    assert "Call Ana" not in page
    assert "No tasks done in the last 30 days." in page


def test_someone_at_two_clubs_is_told_each_task_s_club(client, downtown, riverside, call_ana):
    both = UserFactory(username="both", clubs=[downtown, riverside], roles=[roles.MANAGER])
    client.force_login(both)

    page = client.get(TASKS).content.decode()

    assert re.search(r"Kovač</a>\s*· Downtown", page)
