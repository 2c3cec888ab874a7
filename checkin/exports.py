"""The member's visits, refused check-ins and class bookings in their data export."""

from checkin.models import Booking, CheckInAttempt, Visit
from members.export import Rows, section
from members.models import Member


@section("visits")
def _visits(member: Member) -> Rows:
    return (
        Visit.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "club__name", "at", "source", "membership", "override_reason")
    )


@section("check_ins_refused")
def _refused(member: Member) -> Rows:
    return (
        CheckInAttempt.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "club__name", "at", "source", "reason", "membership")
    )


@section("class_bookings")
def _bookings(member: Member) -> Rows:
    return (
        Booking.objects.filter(member=member)
        .order_by("session__start", "pk")
        .values(
            "id",
            "session__class_type__name",
            "session__club__name",
            "session__start",
            "status",
            "is_trial",
            "waitlist_position",
            "created_at",
            "cancelled_at",
            "is_late_cancel",
            "attended_at",
        )
    )
