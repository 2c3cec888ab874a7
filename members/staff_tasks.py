"""Staff tasks: the to-do list of the front desk (call this lead within 15 minutes)."""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction

from club import clock
from members import timeline
from members.models import Member, MemberEvent, Task


def open_task(
    member: Member,
    *,
    title: str,
    due_in: dt.timedelta,
    assigned_role: str = "",
    details: str = "",
    assigned_to=None,
) -> Task:
    """Open a task about a member, due `due_in` from now, and note it on the timeline."""
    now = clock.now()
    task = Task.objects.create(
        member=member,
        title=title,
        details=details,
        assigned_role=assigned_role,
        assigned_to=assigned_to,
        due_at=now + due_in,
        created_at=now,
    )
    timeline.record(member, MemberEvent.Kind.TASK_OPENED, task=task.pk, title=title)
    return task


def complete(task: Task, *, by) -> Task:
    """Mark a task done; doing it twice changes nothing."""
    _close(Task.objects.filter(pk=task.pk), by=by)
    task.refresh_from_db()
    return task


def _close(tasks, *, by) -> int:
    """Mark the open ones of `tasks` done, in one UPDATE; returns how many."""
    return tasks.open().update(status=Task.Status.DONE, done_at=clock.now(), done_by=by)


class CallOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong number"


def log_call(member: Member, *, outcome: str, text: str = "", by) -> int:
    """Note a call with the member on their timeline. A call that reached them closes the
    open tasks about them that `by` may act on (they were all "call …"); returns how many."""
    outcome = CallOutcome(outcome)
    with transaction.atomic():
        timeline.record(
            member,
            MemberEvent.Kind.CALL_LOGGED,
            actor=by,
            outcome=outcome.value,
            outcome_label=outcome.label,
            text=text,
        )
        if outcome != CallOutcome.REACHED:
            return 0
        return _close(Task.objects.visible_to(by).filter(member=member), by=by)
