"""Staff tasks: the to-do list of the front desk (call this lead within 15 minutes), and the
managers told when such a task is late."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.urls import reverse
from wagtail import hooks

from club import clock, hours, roles
from members import timeline
from members.models import Member, MemberEvent, Task

log = logging.getLogger(__name__)

# Late tasks escalated per run; the rest wait a minute for the next run.
ESCALATION_BATCH = 200
# Where a late task's email links to: `fn(task) -> path`. The member card, with the task, its
# Done button and "Log a call", is the front desk's (checkin, above this app), which
# registers it here; without it, the member's own page.
TASK_LINK_HOOK = "staff_task_admin_path"


def open_task(
    member: Member,
    *,
    title: str,
    due_in: dt.timedelta | None = None,
    due_within: dt.timedelta | None = None,
    assigned_role: str = "",
    details: str = "",
    assigned_to=None,
    escalate_when_late: bool = False,
    title_when_closed: Callable[[dt.datetime], str] | None = None,
) -> Task:
    """Open a task about a member, due `due_in` of the club's opening hours from now, and
    note it on the timeline. Time while the club is closed does not count: nobody is there to
    call a lead who signs up at 03:23, and the managers should not hear it is late at 03:39;
    an hour's call opened at 21:30 before a 22:00 closing is due 30 minutes into the next
    opening, not at 22:30 with nobody there.
    `due_within` instead: a deadline in calendar time (the law's month to answer an erasure
    request), due then, or at the club's last closing before it when it falls while closed —
    never later. Counted in opening hours, 30 days came to some 45 calendar days.
    `escalate_when_late`: tell the club's managers if it is still open when due.
    `title_when_closed(due)`, given the due time in the club's zone, titles a task whose due
    time the closed hours moved: "within 15 minutes" would read wrong at night."""
    if (due_in is None) == (due_within is None):
        raise TypeError("Give exactly one of due_in or due_within.")
    now = clock.now()
    if due_within is not None:
        due_at = hours.last_open_by(member.home_club, now + due_within)
    else:
        due_at = hours.open_time_after(member.home_club, now, due_in)
    if title_when_closed is not None and due_in is not None and due_at != now + due_in:
        title = title_when_closed(due_at.astimezone(clock.zone(member.home_club)))
    task = Task.objects.create(
        member=member,
        title=title,
        details=details,
        assigned_role=assigned_role,
        assigned_to=assigned_to,
        due_at=due_at,
        created_at=now,
        escalate_when_late=escalate_when_late,
    )
    timeline.record(member, MemberEvent.Kind.TASK_OPENED, task=task.pk, title=title)
    return task


def complete(task: Task, *, by) -> Task:
    """Mark a task done; doing it twice changes nothing."""
    close(Task.objects.filter(pk=task.pk), by=by)
    task.refresh_from_db()
    return task


def close(tasks, *, by) -> int:
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
        return close(Task.objects.visible_to(by).filter(member=member), by=by)


def escalate_late_tasks(*, now: dt.datetime | None = None) -> int:
    """Email the managers of the member's club about each open task, marked to escalate,
    that is past its due time, once; returns how many tasks were escalated.

    The tasks are claimed (escalated_at set) in one transaction that skips rows another run
    holds, so two runs at once never tell the managers twice. The emails go after the commit;
    a task whose email could not be sent is released, to be tried again next run.
    """
    now = now or clock.now()
    with transaction.atomic():
        late = list(
            Task.objects.late_to_escalate(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("member__home_club")
            .order_by("due_at")[:ESCALATION_BATCH]
        )
        Task.objects.filter(pk__in=[task.pk for task in late]).update(escalated_at=now)
    if not late:
        return 0
    managers = _managers_by_club({task.member.home_club_id for task in late})
    told, failed = [], []
    with get_connection() as connection:
        for task in late:
            to = managers.get(task.member.home_club_id, [])
            try:
                if to:
                    _escalation_email(task, to, connection).send()
            except Exception:  # any mail failure: release the task, to be tried next run
                log.exception("could not email the managers about late task %s", task.pk)
                failed.append(task.pk)
                continue
            about = {"task": task.pk, "title": task.title, "due_at": task.due_at, "emailed": to}
            told.append((task.member, now, about))
    Task.objects.filter(pk__in=failed, escalated_at=now).update(escalated_at=None)
    timeline.record_each(MemberEvent.Kind.TASK_ESCALATED, told)
    return len(told)


def _managers_by_club(club_ids: set[int]) -> dict[int, list[str]]:
    """The email addresses of the active managers of each club, in one query."""
    rows = (
        get_user_model()
        .objects.filter(clubs__in=club_ids, groups__name=roles.MANAGER, is_active=True)
        .exclude(email="")
        .values_list("clubs", "email")
        .distinct()
        .order_by("clubs", "email")
    )
    managers: dict[int, list[str]] = defaultdict(list)
    for club_id, email in rows:
        managers[club_id].append(email)
    return managers


def _escalation_email(task: Task, to: list[str], connection) -> EmailMessage:
    member = task.member
    due = task.due_at.astimezone(clock.zone(member.home_club))
    contact = " · ".join(str(value) for value in (member.phone, member.email) if value)
    body = (
        f"This task at {member.home_club.name} was due at {due:%H:%M} on {due:%a %-d %b} "
        f"and is still open:\n\n{task.title}\n{member.full_name}"
        + (f" · {contact}" if contact else "")
        + (f"\n\n{task.details}" if task.details else "")
        + f"\n\nOpen the task: {task_url(task)}\n"
    )
    return EmailMessage(subject=f"Late: {task.title}", body=body, to=to, connection=connection)


def task_url(task: Task) -> str:
    """The absolute back-office address of `task`, for messages read outside the site."""
    paths = [path_for(task) for path_for in hooks.get_hooks(TASK_LINK_HOOK)]
    path = paths[0] if paths else reverse("members:edit", args=[task.member_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}"
