"""Panels on the back-office home page for the front desk: today at each of the staff
member's clubs, and their open tasks. Registered in checkin/desk/hooks.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wagtail.admin.ui.components import Component

from checkin.models import CheckInAttempt, Visit
from club import clock, roles
from club.admin_access import clubs_for
from club.functions import month_day
from club.models import Club
from members.models import Member, Task
from memberships.models import Membership

TASKS_SHOWN = 5
BIRTHDAYS_SHOWN = 8
ENDING_WITHIN = dt.timedelta(days=7)


class DeskMedia:
    css = {"all": ["checkin/desk.css"]}


@dataclass(frozen=True)
class ClubToday:
    club: Club
    visits: int
    denied: int
    ending_soon: int
    birthdays: list[Member]
    more_birthdays: int


def club_today(club: Club) -> ClubToday:
    """What the desk should know at the start of a shift: today's check-ins so far, the
    memberships ending within a week that nobody renewed, and today's birthdays."""
    today = clock.today(club)
    since = clock.start_of_day(today, club)
    ending = Membership.objects.filter(
        member__home_club=club, end__gte=today, end__lte=today + ENDING_WITHIN, renewal=None
    ).exclude(status=Membership.Status.CANCELLED)
    # month * 100 + day, as the `member_birthday` index has it.
    birthdays = (
        Member.objects.alias(birthday=month_day("birth_date"))
        .filter(
            home_club=club,
            status__in=[Member.Status.MEMBER, Member.Status.TRIAL],
            birthday=today.month * 100 + today.day,
        )
        .order_by("first_name", "last_name", "pk")
    )
    return ClubToday(
        club=club,
        visits=Visit.objects.filter(club=club, at__gte=since).count(),
        denied=CheckInAttempt.objects.filter(club=club, at__gte=since).count(),
        ending_soon=ending.count(),
        birthdays=list(birthdays[:BIRTHDAYS_SHOWN]),
        more_birthdays=max(0, birthdays.count() - BIRTHDAYS_SHOWN),
    )


class DeskTodayPanel(Component):
    name = "desk_today"
    order = 10
    template_name = "checkin/desk/panels/today.html"
    Media = DeskMedia

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        return {
            "clubs": [club_today(club) for club in clubs_for(request.user)],
            "request": request,
        }


class TasksPanel(Component):
    name = "staff_tasks"
    order = 20
    template_name = "checkin/desk/panels/tasks.html"
    Media = DeskMedia

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        open_tasks = Task.objects.visible_to(request.user).open()
        now = clock.now()
        return {
            "tasks": open_tasks.select_related("member", "assigned_to").order_by("due_at", "pk")[
                :TASKS_SHOWN
            ],
            "open_count": open_tasks.count(),
            "late_count": open_tasks.filter(due_at__lt=now).count(),
            "now": now,
            "reads_member_card": roles.has_role(request.user, *roles.READS_MEMBER_CARD),
            "next": request.get_full_path(),
            "request": request,
            "csrf_token": parent_context["csrf_token"],
        }
