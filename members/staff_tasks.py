"""Staff tasks: the to-do list of the front desk (call this lead within 15 minutes)."""

from __future__ import annotations

import datetime as dt

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
    Task.objects.filter(pk=task.pk, status=Task.Status.OPEN).update(
        status=Task.Status.DONE, done_at=clock.now(), done_by=by
    )
    task.refresh_from_db()
    return task
