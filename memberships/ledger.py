"""The visit-pack balance ledger.

Every change to a pack's balance is a LedgerEntry row, and Membership.visits_left
is updated in the same transaction. The debit is a conditional UPDATE, so two
concurrent check-ins can never both spend the last visit; the database check
constraint on visits_left is the backstop.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from club import clock
from memberships.models import LedgerEntry, Membership


class InsufficientBalance(Exception):
    """The pack has fewer visits left than the debit asks for."""


class NotAPack(Exception):
    """Only visit packs carry a balance."""


def _require_pack(membership: Membership) -> None:
    if membership.visits_left is None:
        raise NotAPack(f"Membership {membership.pk} has no visit balance.")


@transaction.atomic
def debit(membership: Membership, *, visits: int = 1, reason: str, created_by=None) -> LedgerEntry:
    """Spend visits from a pack, or raise InsufficientBalance and change nothing."""
    if visits <= 0:
        raise ValueError("A debit takes a positive number of visits.")
    _require_pack(membership)
    updated = Membership.objects.filter(pk=membership.pk, visits_left__gte=visits).update(
        visits_left=F("visits_left") - visits
    )
    if not updated:
        raise InsufficientBalance(
            f"Membership {membership.pk} has fewer than {visits} visits left."
        )
    return _write_entry(membership, LedgerEntry.Kind.VISIT, -visits, reason, created_by)


@transaction.atomic
def credit(
    membership: Membership, *, visits: int, kind: str, reason: str, created_by=None
) -> LedgerEntry:
    """Add visits to a pack: a purchase, a refunded visit or a staff adjustment."""
    if visits <= 0:
        raise ValueError("A credit takes a positive number of visits.")
    if kind == LedgerEntry.Kind.VISIT:
        raise ValueError("Visits are debits; use debit().")
    if kind not in LedgerEntry.Kind.values:
        raise ValueError(f"Unknown ledger entry kind: {kind!r}")
    _require_pack(membership)
    Membership.objects.filter(pk=membership.pk).update(visits_left=F("visits_left") + visits)
    return _write_entry(membership, kind, visits, reason, created_by)


def _write_entry(
    membership: Membership, kind: str, visits: int, reason: str, created_by
) -> LedgerEntry:
    # Our UPDATE holds the row lock until commit, so this read is the balance we made.
    membership.visits_left = Membership.objects.values_list("visits_left", flat=True).get(
        pk=membership.pk
    )
    return LedgerEntry.objects.create(
        membership=membership,
        kind=kind,
        visits=visits,
        balance_after=membership.visits_left,
        reason=reason,
        created_by=created_by,
        at=clock.now(),
    )
