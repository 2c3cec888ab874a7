"""What erasing a member does to their visits and class bookings (members.erasure): the rows
stay, for visit counts, attendance and the lifecycle's history; the reason typed for an
admission anyway goes. Classes booked ahead must be cancelled first."""

import datetime as dt

from checkin.models import Booking, CheckInAttempt, Visit
from club import clock
from members.erasure import Refusal, eraser, keep, refusal
from members.models import Member

ERASED_OVERRIDE_REASON = "(erased)"

keep(CheckInAttempt, why="club, time, source and a coded reason: nothing typed")
keep(Booking, why="class, status and times: attendance figures and class history")


@refusal("bookings")
def _classes_to_come(member: Member, today: dt.date) -> Refusal | None:
    live = (Booking.Status.BOOKED, Booking.Status.WAITLISTED)
    if member.bookings.filter(status__in=live, session__start__gt=clock.now()).exists():
        return Refusal(
            "bookings",
            "The member is booked (or waitlisted) for classes to come: cancel them first.",
        )
    return None


@eraser("checkin", covers=(Visit,))
def _erase_visits(member: Member) -> None:
    # An override keeps a reason by a database check: it says the visit was overridden, no more.
    Visit.objects.filter(member=member).exclude(override_reason="").update(
        override_reason=ERASED_OVERRIDE_REASON
    )
