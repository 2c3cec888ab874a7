"""The member's visits, refused check-ins and class bookings in their data export."""

from django.db.models import F

from checkin.models import Booking, CheckInAttempt, Visit
from members.export import Rows, section
from members.models import Member


@section("visits")
def _visits(member: Member) -> Rows:
    return (
        Visit.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "at", "source", "membership", "override_reason", club_name=F("club__name"))
    )


@section("check_ins_refused")
def _refused(member: Member) -> Rows:
    return (
        CheckInAttempt.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "at", "source", "reason", "membership", club_name=F("club__name"))
    )


@section("class_bookings")
def _bookings(member: Member) -> Rows:
    return (
        Booking.objects.filter(member=member)
        .order_by("session__start", "pk")
        .values(
            "id",
            "status",
            "is_trial",
            "waitlist_position",
            "created_at",
            "cancelled_at",
            "is_late_cancel",
            "attended_at",
            class_name=F("session__class_type__name"),
            club_name=F("session__club__name"),
            class_start=F("session__start"),
        )
    )
