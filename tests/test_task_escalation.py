"""Late call tasks told to the managers (playbook rule 1: "escalate to the manager when late").

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam (conftest).
"""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from club import clock, roles
from members import staff_tasks
from members.models import MemberEvent, Task
from tests.factories import MemberFactory, UserFactory
from tests.race import run_concurrently


@pytest.fixture
def lead(downtown):
    return MemberFactory(
        home_club=downtown, first_name="Lea", last_name="Lead", phone="+31612000001", email=""
    )


def call_task(member, *, minutes_ago: int = 5, escalate: bool = True) -> Task:
    """A call task opened 15 minutes before its due time, `minutes_ago` minutes ago."""
    task = staff_tasks.open_task(
        member,
        title=f"Call {member.full_name} within 15 minutes",
        due_in=dt.timedelta(minutes=15),
        assigned_role=roles.FRONT_DESK,
        details="Booked a trial: Spin, Tue 24 Nov 18:00.",
        escalate_when_late=escalate,
    )
    Task.objects.filter(pk=task.pk).update(due_at=clock.now() - dt.timedelta(minutes=minutes_ago))
    task.refresh_from_db()
    return task


def test_a_late_task_is_emailed_to_the_clubs_managers_once(frozen_clock, max, olga, lead):
    other_manager = UserFactory(username="rik", clubs=[olga.clubs.get()], roles=[roles.MANAGER])
    task = call_task(lead)

    assert staff_tasks.escalate_late_tasks() == 1
    assert staff_tasks.escalate_late_tasks() == 0

    (email,) = mail.outbox
    assert email.to == ["max@example.com"]
    assert other_manager.email not in email.to
    assert email.subject == "Late: Call Lea Lead within 15 minutes"
    assert "was due at 17:55 on Mon 23 Nov and is still open" in email.body
    assert "Lea Lead · +31612000001" in email.body
    assert "Booked a trial: Spin" in email.body
    task.refresh_from_db()
    assert task.escalated_at == clock.now()
    event = lead.events.get(kind=MemberEvent.Kind.TASK_ESCALATED)
    assert (event.data["task"], event.data["emailed"]) == (task.pk, ["max@example.com"])


def test_only_late_open_tasks_marked_to_escalate_are_escalated(frozen_clock, max, lead):
    not_yet = call_task(lead, minutes_ago=-5)
    quiet = call_task(lead, escalate=False)
    done = call_task(lead)
    staff_tasks.complete(done, by=max)

    assert staff_tasks.escalate_late_tasks() == 0

    assert mail.outbox == []
    assert not Task.objects.filter(
        pk__in=[not_yet.pk, quiet.pk, done.pk], escalated_at__isnull=False
    ).exists()


def test_a_mail_failure_releases_the_task_for_the_next_run(frozen_clock, max, lead):
    task = call_task(lead)

    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError):
        assert staff_tasks.escalate_late_tasks() == 0
    task.refresh_from_db()
    assert task.escalated_at is None
    assert not lead.events.filter(kind=MemberEvent.Kind.TASK_ESCALATED).exists()

    assert staff_tasks.escalate_late_tasks() == 1
    assert len(mail.outbox) == 1


def test_a_club_without_a_manager_still_marks_the_task(frozen_clock, lead):
    task = call_task(lead)

    assert staff_tasks.escalate_late_tasks() == 1

    assert mail.outbox == []
    task.refresh_from_db()
    assert task.escalated_at is not None
    assert lead.events.get(kind=MemberEvent.Kind.TASK_ESCALATED).data["emailed"] == []


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_runs_at_once_tell_the_managers_once(downtown):
    UserFactory(username="max", clubs=[downtown], roles=[roles.MANAGER])
    tasks = [call_task(MemberFactory(home_club=downtown)) for _ in range(3)]

    outcome = run_concurrently(staff_tasks.escalate_late_tasks, threads=4)

    assert outcome.errors == []
    assert sum(outcome.results) == 3
    assert len(mail.outbox) == 3
    assert Task.objects.filter(pk__in=[t.pk for t in tasks], escalated_at__isnull=True).count() == 0


def test_the_tasks_screen_says_the_managers_were_told(client, frozen_clock, fiona, lead):
    call_task(lead)
    staff_tasks.escalate_late_tasks()
    client.force_login(fiona)

    html = client.get(reverse("desk:tasks")).content.decode()

    assert "Late: due 17:55" in html
    assert "Managers told at 18:00" in html


def test_the_beat_schedule_runs_the_escalation_every_minute():
    from celery.schedules import crontab

    from club.celery import app

    entry = app.conf.beat_schedule["escalate-late-tasks"]
    assert entry["task"] == "campaigns.tasks.escalate_late_tasks_task"
    assert entry["schedule"] == crontab()  # test_celery checks every scheduled task exists
