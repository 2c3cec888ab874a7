"""Panels on the back-office home page for the front desk: today at each of the staff
member's clubs, and their open tasks. Registered in checkin/desk/hooks.py."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from wagtail.admin.ui.components import Component

from checkin.models import CheckInAttempt, Visit
from club import clock, roles
from club.admin_access import clubs_for
from club.functions import club_days, month_day
from club.models import Club
from members.models import Member, Task
from memberships.models import Membership

TASKS_SHOWN = 5
BIRTHDAYS_SHOWN = 8


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


def clubs_today(clubs: list[Club]) -> list[ClubToday]:
    """What the desk should know at the start of a shift, for each club on its own calendar:
    today's check-ins so far and the people turned away, the memberships ending within a week
    that nobody renewed, and today's birthdays. Five queries, however many clubs."""
    today = {club.pk: clock.today(club) for club in clubs}

    def at_each_club(condition) -> Q:
        return reduce(
            operator.or_, (condition(club, today[club.pk]) for club in clubs), Q(pk__in=[])
        )

    visits = _per_club(Visit.objects.filter(club_days(clubs, "at")), "club")
    # Turned away: people denied today whom no visit at that club let in afterwards (an
    # override, or a renewal and a scan). Counted as both, the two figures did not add up to
    # who came; a second scan of the same expired card is still one person.
    admitted_after = Visit.objects.filter(
        member=OuterRef("member"), club=OuterRef("club"), at__gte=OuterRef("at")
    )
    denied = _per_club(
        CheckInAttempt.objects.filter(club_days(clubs, "at")).filter(~Exists(admitted_after)),
        "club",
        count=Count("member", distinct=True),
    )
    ending = _per_club(Membership.objects.renewal_due(clubs), "member__home_club")
    # month * 100 + day, as the `member_birthday` index has it.
    celebrating = Member.objects.alias(birthday=month_day("birth_date")).filter(
        at_each_club(lambda club, day: Q(home_club=club, birthday=day.month * 100 + day.day)),
        status__in=[Member.Status.MEMBER, Member.Status.TRIAL],
    )
    birthday_counts = _per_club(celebrating, "home_club")
    first_few: dict[int, list[Member]] = {}
    ranked = celebrating.annotate(
        place=Window(
            RowNumber(),
            partition_by=F("home_club"),
            order_by=[F("first_name"), F("last_name"), F("pk")],
        )
    )
    for member in ranked.filter(place__lte=BIRTHDAYS_SHOWN).order_by("home_club", "place"):
        first_few.setdefault(member.home_club_id, []).append(member)
    return [
        ClubToday(
            club=club,
            visits=visits.get(club.pk, 0),
            denied=denied.get(club.pk, 0),
            ending_soon=ending.get(club.pk, 0),
            birthdays=first_few.get(club.pk, []),
            more_birthdays=max(0, birthday_counts.get(club.pk, 0) - BIRTHDAYS_SHOWN),
        )
        for club in clubs
    ]


def _per_club(rows, club_field: str, *, count=None) -> dict[int, int]:
    """{club id: number of rows (or `count`, an aggregate)} in one grouped query."""
    return dict(rows.order_by().values_list(club_field).annotate(n=count or Count("pk")))


class DeskTodayPanel(Component):
    name = "desk_today"
    order = 10
    template_name = "checkin/desk/panels/today.html"
    Media = DeskMedia

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        return {"clubs": clubs_today(list(clubs_for(request.user))), "request": request}


class TasksPanel(Component):
    name = "staff_tasks"
    order = 20
    template_name = "checkin/desk/panels/tasks.html"
    Media = DeskMedia

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        open_tasks = Task.objects.visible_to(request.user).open()
        now = clock.now()
        counts = open_tasks.aggregate(open=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
        return {
            "tasks": open_tasks.select_related("member__home_club", "assigned_to").order_by(
                "due_at", "pk"
            )[:TASKS_SHOWN],
            "open_count": counts["open"],
            "late_count": counts["late"],
            "now": now,
            "reads_member_card": roles.has_role(request.user, *roles.READS_MEMBER_CARD),
            "next": request.get_full_path(),
            "request": request,
            "csrf_token": parent_context["csrf_token"],
        }
