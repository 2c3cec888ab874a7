"""The member's row lock: the first lock of every transaction that changes what admits a
member or what they have paid for (check-in and its undo, renewal, freezes), or books them a
class (a booking is checked against the freezes, so it queues behind one).

Taking it first keeps one lock order (docs/architecture.md, "Lock order"): member, then
memberships, then what hangs off them (a class's session, then its bookings). It is FOR NO
KEY UPDATE, the mode an UPDATE of the row takes: it queues transactions of one member behind
each other, yet lets others insert rows that point at the member (a timeline event, a
booking), whose foreign keys PostgreSQL checks at COMMIT with a KEY SHARE lock on the member
that FOR UPDATE would refuse.
"""

from __future__ import annotations

from members.models import Member


def member(member_id: int) -> None:
    """Lock the member's row until the transaction ends (waiting for whoever holds it)."""
    Member.objects.select_for_update(no_key=True).filter(pk=member_id).values_list(
        "pk", flat=True
    ).first()
