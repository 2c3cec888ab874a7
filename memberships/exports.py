"""The member's memberships, freezes, visit ledger and payments in their data export."""

from club import clock
from members.export import Rows, section
from members.models import Member
from memberships.models import Freeze, LedgerEntry, Membership, Payment


@section("memberships")
def _memberships(member: Member) -> Rows:
    """Each membership's `status` as staff read it on the export day (`Membership.state_on`):
    a month that ran out is "Ended", though its stored status still says "active". Whether it
    was left unpaid is its own field, since "Ended" would hide it."""
    today = clock.today(member.home_club)
    memberships = member.memberships.select_related("plan").order_by("start", "pk")
    return [
        {
            "id": membership.pk,
            "plan_name": membership.plan.name,
            "start": membership.start,
            "end": membership.end,
            "status": membership.state_on(today),
            "unpaid": membership.status == Membership.Status.PAST_DUE,
            "price_paid": membership.price_paid,
            "visits_left": membership.visits_left,
            "renewed_from": membership.renewed_from_id,
            "created_at": membership.created_at,
        }
        for membership in memberships
    ]


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
