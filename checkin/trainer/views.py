"""The trainer's screens: my classes, a class's roster with attendance marking, and a member's
attendance history. Every view starts with the access helper.

Nothing here shows a phone number, an email address or a payment (SCREENS.md): a trainer
needs names, statuses and attendance, nothing to contact or charge a member with.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from checkin import bookings
from checkin.bookings import BookingError
from checkin.models import Booking, ClassSession, Visit
from checkin.trainer.forms import ClassesFilterForm
from club import clock, roles
from club.admin_access import clubs_for, scope, with_member_is_ours
from club.display import another_clubs_member
from club.functions import club_days
from members.models import Member

Status = Booking.Status

# Who may use which trainer screen.
MY_CLASSES = (roles.TRAINER, roles.MANAGER)
# The front desk checks people in for classes, so it reads rosters too.
READS_ROSTER = (roles.TRAINER, roles.FRONT_DESK, roles.MANAGER)
MARKS_ATTENDANCE = (roles.TRAINER, roles.MANAGER)
READS_ATTENDANCE = (roles.TRAINER, roles.FRONT_DESK, roles.MANAGER)

HISTORY_WEEKS = 12


# --- access ---------------------------------------------------------------------------


def staff_session(request: HttpRequest, pk: int, *allowed_roles: str) -> ClassSession:
    """The class if the user holds one of the roles and works at its club; else 403 / 404."""
    roles.require(request.user, *allowed_roles)
    sessions = ClassSession.objects.select_related("club", "class_type", "trainer")
    return get_object_or_404(scope(sessions, request.user), pk=pk)


def staff_booking(request: HttpRequest, pk: int, *allowed_roles: str) -> Booking:
    roles.require(request.user, *allowed_roles)
    rows = Booking.objects.select_related("session__club", "session__class_type", "member")
    return get_object_or_404(scope(rows, request.user), pk=pk)


def staff_member(request: HttpRequest, pk: int, *allowed_roles: str) -> Member:
    roles.require(request.user, *allowed_roles)
    return get_object_or_404(scope(Member.objects.select_related("home_club"), request.user), pk=pk)


def is_manager(user) -> bool:
    return user.is_superuser or roles.has_role(user, roles.MANAGER)


# --- my classes -------------------------------------------------------------------------


def my_classes(request: HttpRequest) -> HttpResponse:
    """Today's and the coming days' classes: a trainer's own; all of the clubs' for managers,
    who may narrow them to one trainer."""
    roles.require(request.user, *MY_CLASSES)
    manager = is_manager(request.user)
    form = ClassesFilterForm(request.GET or None, trainers=trainers_for(request.user))
    if not manager:
        del form.fields["trainer"]
    choice = form.cleaned_data if form.is_valid() else {}
    days = choice.get("days") or 7

    sessions = scope(ClassSession.objects.all(), request.user).filter(
        club_days(clubs_for(request.user), "start", days=days)
    )
    if not manager:
        sessions = sessions.filter(trainer=request.user)
    elif trainer := choice.get("trainer"):
        sessions = sessions.filter(trainer=trainer)
    sessions = bookings.with_counts(
        sessions.select_related("club", "class_type", "trainer")
    ).order_by("start", "pk")

    return render(
        request,
        "checkin/trainer/my_classes.html",
        {
            "days": by_local_day(sessions),
            "form": form,
            "manager": manager,
            "several_clubs": clubs_for(request.user).count() > 1,
            "header_title": "My classes" if not manager else "Classes",
        },
    )


def trainers_for(user) -> QuerySet:
    """Staff of the user's clubs who hold the Trainer role."""
    users = get_user_model().objects.filter(groups__name=roles.TRAINER)
    return scope(users, user).distinct().order_by("first_name", "last_name")


def by_local_day(sessions) -> list[tuple[dt.date, bool, list[ClassSession]]]:
    """Sessions grouped by the day they start at their club (a class at 23:30 in Lisbon is on
    that day's list, though it is past midnight in Amsterdam), with a flag for the screen's
    today. The club is joined by the caller."""
    grouped: dict[dt.date, list[ClassSession]] = {}
    for session in sessions:
        grouped.setdefault(session.start.astimezone(clock.zone(session.club)).date(), []).append(
            session
        )
    today = timezone.localtime(clock.now()).date()
    return [(day, day == today, rows) for day, rows in grouped.items()]


# --- the roster -------------------------------------------------------------------------


def roster(request: HttpRequest, pk: int) -> HttpResponse:
    session = staff_session(request, pk, *READS_ROSTER)
    return render(request, "checkin/trainer/roster.html", roster_context(request, session))


def roster_context(request: HttpRequest, session: ClassSession) -> dict:
    rows = roster_rows(session, viewer=request.user)
    now = clock.now()
    counts = Counter(row.status for row in rows)
    attendance_opens = bookings.attendance_opens(session)
    return {
        "session": session,
        "rows": rows,
        "counts": counts,
        "seats_taken": sum(counts[s] for s in bookings.SEAT_STATUSES),
        # Marking them no-show is allowed (they may have come for the gym), but asked twice.
        "checked_in_booked": [r for r in rows if r.status == Status.BOOKED and r.checked_in],
        "started": now >= session.start,
        # Buttons the service would refuse are not offered; the page says when they will be.
        "attendance_opens": attendance_opens,
        "attendance_open": now >= attendance_opens,
        "can_mark": roles.has_role(request.user, *MARKS_ATTENDANCE),
        "header_title": f"{session.class_type} — roster",
    }


def roster_rows(session: ClassSession, *, viewer) -> list[Booking]:
    """Everyone on the class but the cancelled: seats first by name, then the waitlist in
    order. Each row knows which class of the member's this is, when they checked in, and
    its `shown_name`: a member of a club not the viewer's (booked on a plan valid at every
    club) is "Thijs (another club)", as the desk names them."""
    attended_before = (
        Booking.objects.filter(
            member=OuterRef("member"), status=Status.ATTENDED, session__start__lt=session.start
        )
        .order_by()
        .values("member")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        with_member_is_ours(session.bookings.all(), viewer, "member")
        .exclude(status=Status.CANCELLED)
        .select_related("member")
        .annotate(previous_classes=Coalesce(Subquery(attended_before), Value(0)))
    )
    for booking in rows:
        member = booking.member
        ours = booking.member_is_ours
        booking.shown_name = member.full_name if ours else another_clubs_member(member.first_name)
    seated = sorted(
        (b for b in rows if b.status != Status.WAITLISTED),
        key=lambda b: (b.member.last_name.lower(), b.member.first_name.lower(), b.pk),
    )
    waiting = sorted(
        (b for b in rows if b.status == Status.WAITLISTED),
        key=lambda b: (b.waitlist_position, b.created_at, b.pk),
    )
    check_ins = checked_in_at(session, [b.member_id for b in seated])
    for place, booking in enumerate(waiting, start=1):
        booking.waitlist_place = place
    for booking in seated:
        booking.class_number = booking.previous_classes + 1
        booking.class_label = class_label(booking.class_number)
        booking.checked_in = check_ins.get(booking.member_id)
    return seated + waiting


def class_label(number: int) -> str:
    """ "first class", "2nd class", "11th class", "22nd class" …"""
    if number == 1:
        return "first class"
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix} class"


def checked_in_at(session: ClassSession, member_ids: list[int]) -> dict[int, dt.datetime]:
    """Each member's first visit at the club from an hour before the class to its end: the
    roster shows it beside every seat, so a trainer sees who came in before marking a no-show."""
    visits = (
        Visit.objects.filter(
            club=session.club_id,
            member_id__in=member_ids,
            at__gte=session.start - bookings.CHECK_IN_BEFORE_CLASS,
            at__lte=session.end,
        )
        .order_by("at")
        .values_list("member_id", "at")
    )
    first: dict[int, dt.datetime] = {}
    for member_id, at in visits:
        first.setdefault(member_id, at)
    return first


@require_POST
def mark_attended(request: HttpRequest, pk: int) -> HttpResponse:
    booking = staff_booking(request, pk, *MARKS_ATTENDANCE)
    return marked(request, booking, lambda: bookings.mark_attended(booking, by=request.user))


@require_POST
def unmark_attended(request: HttpRequest, pk: int) -> HttpResponse:
    booking = staff_booking(request, pk, *MARKS_ATTENDANCE)
    return marked(request, booking, lambda: bookings.unmark_attended(booking, by=request.user))


@require_POST
def mark_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    booking = staff_booking(request, pk, *MARKS_ATTENDANCE)
    return marked(request, booking, lambda: bookings.mark_no_show(booking, by=request.user))


def marked(request: HttpRequest, booking: Booking, mark) -> HttpResponse:
    """Mark, then answer htmx with the changed row (and the counts), or redirect."""
    error = None
    try:
        mark()
    except BookingError as refused:
        error = refused.message
    session = booking.session
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("trainer:roster", pk=session.pk)
    context = roster_context(request, session)
    row = next(row for row in context["rows"] if row.pk == booking.pk)
    return render(request, "checkin/trainer/_marked.html", {**context, "row": row, "error": error})


@require_POST
def no_show_remaining(request: HttpRequest, pk: int) -> HttpResponse:
    session = staff_session(request, pk, *MARKS_ATTENDANCE)
    try:
        count = bookings.mark_remaining_no_show(session, by=request.user)
    except BookingError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            f"Marked {count} no-show{'s' if count != 1 else ''}." if count else "Nobody left.",
        )
    return redirect("trainer:roster", pk=session.pk)


# --- attendance history -----------------------------------------------------------------


def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's visits and classes week by week, for the last twelve weeks."""
    member = staff_member(request, pk, *READS_ATTENDANCE)
    club = member.home_club
    today = clock.today(club)
    this_week = today - dt.timedelta(days=today.weekday())
    weeks = [this_week - dt.timedelta(weeks=n) for n in range(HISTORY_WEEKS - 1, -1, -1)]
    since = clock.start_of_day(weeks[0], club)
    zone = clock.zone(club)

    def week_of(moment: dt.datetime) -> dt.date:
        day = moment.astimezone(zone).date()
        return day - dt.timedelta(days=day.weekday())

    visits = Counter(
        week_of(at) for at in member.visits.filter(at__gte=since).values_list("at", flat=True)
    )
    classes = list(
        # Classes that have started, and one marked attended ahead of its start (the member
        # checked in for it at the door), which the total below counts too.
        member.bookings.filter(
            Q(session__start__lt=clock.now()) | Q(status=Status.ATTENDED),
            session__start__gte=since,
        )
        .exclude(status__in=(Status.CANCELLED, Status.WAITLISTED))
        .select_related("session__class_type", "session__club")
        .order_by("-session__start")
    )
    attended = Counter(week_of(b.session.start) for b in classes if b.status == Status.ATTENDED)
    missed = Counter(week_of(b.session.start) for b in classes if b.status == Status.NO_SHOW)
    busiest = max([*visits.values(), *attended.values(), 1])
    rows = [
        {
            "week": week,
            "visits": visits[week],
            "classes": attended[week],
            "no_shows": missed[week],
            "visits_pct": round(100 * visits[week] / busiest),
            "classes_pct": round(100 * attended[week] / busiest),
        }
        for week in reversed(weeks)
    ]
    return render(
        request,
        "checkin/trainer/attendance.html",
        {
            "member": member,
            "rows": rows,
            "classes": classes,
            "total_classes": member.bookings.filter(status=Status.ATTENDED).count(),
            "total_visits": sum(visits.values()),
            "header_title": f"{member.full_name} — attendance",
        },
    )
