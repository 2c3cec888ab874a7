"""The staff-task channel: a call task for the front desk, or for the member's trainer."""

from __future__ import annotations

import datetime as dt

from campaigns.channels import Channel, Sent
from checkin.models import Booking
from club import roles
from members.models import Task
from members.staff_tasks import open_task


class StaffTask(Channel):
    """Rule params: `"assign": "trainer"` gives the task to the trainer of the member's last
    attended class (the front desk when there is none); `"due_minutes"` (default 60);
    `"escalate_when_late": true` emails the club's managers when the task is late.
    When the member already has an open task opened since an hour before the due time,
    that task stands for this one."""

    def send(self, touchpoint) -> Sent:
        # One open call task per member: the trial form may already have opened one.
        if earlier := self._open_task_since(touchpoint, touchpoint.due_at - dt.timedelta(hours=1)):
            return Sent(provider_id=f"task-{earlier.pk}", delivered=True)
        params = touchpoint.rule.params
        trainer = self._trainer(touchpoint.member) if params.get("assign") == "trainer" else None
        task = open_task(
            touchpoint.member,
            title=touchpoint.body.splitlines()[0][:200],
            details=f"{touchpoint.body}\n\nWhy: {touchpoint.explanation}",
            due_in=dt.timedelta(minutes=params.get("due_minutes", 60)),
            assigned_role=roles.TRAINER if trainer else roles.FRONT_DESK,
            assigned_to=trainer,
            escalate_when_late=params.get("escalate_when_late", False),
        )
        return Sent(provider_id=f"task-{task.pk}", delivered=True)

    def find_sent(self, touchpoint) -> Sent | None:
        task = self._open_task_since(touchpoint, touchpoint.claimed_at)
        return Sent(provider_id=f"task-{task.pk}", delivered=True) if task else None

    @staticmethod
    def _open_task_since(touchpoint, since) -> Task | None:
        tasks = Task.objects.open().filter(member=touchpoint.member, created_at__gte=since)
        return tasks.order_by("pk").first()

    @staticmethod
    def _trainer(member):
        booking = (
            Booking.objects.filter(member=member, status=Booking.Status.ATTENDED)
            .exclude(session__trainer=None)
            .select_related("session__trainer")
            .order_by("-session__start")
            .first()
        )
        return booking.session.trainer if booking else None
