"""Call tasks a rule opened, cancelled once their reason is gone.

A rule on the staff-task channel ("no visit for 28 days: call them") opens a task when it is
sent; the member may come back before anyone calls. The dispatcher asks a rule's trigger again
before sending (`dispatcher.still_true_now`); this asks it again while the task is open, so the
desk is not left calling "we miss you" to someone who checked in an hour ago.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat

from campaigns import dispatcher
from campaigns.models import Channel, Touchpoint
from club import clock
from members import staff_tasks, timeline
from members.models import MemberEvent, Task


def cancel_moot_call_tasks(
    *, now: dt.datetime | None = None, tasks: QuerySet[Task] | None = None
) -> int:
    """Cancel the open tasks (of `tasks`, default all) whose every touchpoint (sent by an
    active rule) no longer holds: its trigger no longer finds the occurrence, or the member
    left the rule's stages. A task no rule opened (the trial form's call, a manager's) is
    never touched, nor one standing for a touchpoint still true. Returns how many were
    cancelled; safe to run twice."""
    now = now or clock.now()
    # The staff-task channel records the task it opened (or that stood for it) as "task-<pk>".
    open_refs = (
        (Task.objects.all() if tasks is None else tasks)
        .open()
        .annotate(ref=Concat(Value("task-"), Cast("pk", CharField())))
        .values("ref")
    )
    touchpoints = list(
        Touchpoint.objects.filter(
            channel=Channel.TASK,
            rule__is_active=True,
            status__in=[Touchpoint.Status.SENT, Touchpoint.Status.DELIVERED],
            provider_id__in=open_refs,
        ).select_related("rule", "club")
    )
    if not touchpoints:
        return 0
    holding = dispatcher.still_true_now(touchpoints, now)
    moot, needed = set(), set()
    for touchpoint in touchpoints:
        task_pk = int(touchpoint.provider_id.removeprefix("task-"))
        key = (touchpoint.rule_id, touchpoint.member_id, touchpoint.occurrence_key)
        (needed if key in holding else moot).add(task_pk)
    moot -= needed
    with transaction.atomic():
        moot_tasks = list(
            Task.objects.open()
            .filter(pk__in=moot)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("member")
        )
        Task.objects.filter(pk__in=[task.pk for task in moot_tasks]).update(
            status=Task.Status.CANCELLED, done_at=now
        )
        timeline.record_each(
            MemberEvent.Kind.TASK_CANCELLED,
            [(task.member, now, {"task": task.pk, "title": task.title}) for task in moot_tasks],
        )
    return len(moot_tasks)


def escalate_late_tasks(*, now: dt.datetime | None = None) -> int:
    """Tell the managers about late tasks, after cancelling those among them whose reason is
    gone: a lead who joined at the desk two minutes before the call fell due is no news to
    escalate (the five-minute sweep above would come too late). Returns how many were told."""
    now = now or clock.now()
    cancel_moot_call_tasks(now=now, tasks=Task.objects.late_to_escalate(now))
    return staff_tasks.escalate_late_tasks(now=now)
