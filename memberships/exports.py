"""The member's memberships, freezes, visit ledger and payments in their data export."""

from django.db.models import F

from members.export import Rows, section
from members.models import Member
from memberships.models import Freeze, LedgerEntry, Payment


@section("memberships")
def _memberships(member: Member) -> Rows:
    return member.memberships.order_by("start", "pk").values(
        "id",
        "start",
        "end",
        "status",
        "price_paid",
        "visits_left",
        "renewed_from",
        "created_at",
        plan_name=F("plan__name"),
    )


@section("freezes")
def _freezes(member: Member) -> Rows:
    return (
        Freeze.objects.filter(membership__member=member)
        .order_by("start", "pk")
        .values("id", "membership", "start", "end", "reason", "created_at")
    )


@section("visit_ledger")
def _ledger(member: Member) -> Rows:
    return (
        LedgerEntry.objects.filter(membership__member=member)
        .order_by("at", "pk")
        .values("id", "membership", "kind", "visits", "balance_after", "reason", "at")
    )


@section("payments")
def _payments(member: Member) -> Rows:
    return (
        Payment.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "membership", "amount", "currency", "method", "status", "at")
    )
