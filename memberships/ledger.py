"""The visit-pack balance ledger.

Every change to a pack's balance is a LedgerEntry row, and Membership.visits_left
is updated in the same transaction. The debit is a conditional UPDATE that returns the
new balance, so two concurrent check-ins can never both spend the last visit; the
database check constraint on visits_left is the backstop.
"""

from __future__ import annotations

from django.db import connection, transaction

from club import clock, prepared
from memberships.models import LedgerEntry, Membership


class InsufficientBalance(Exception):
    """The pack has fewer visits left than the debit asks for."""


class NotAPack(Exception):
    """Only visit packs carry a balance."""


def _require_pack(membership: Membership) -> None:
    if membership.visits_left is None:
        raise NotAPack(f"Membership {membership.pk} has no visit balance.")


def debit(membership: Membership, *, visits: int = 1, reason: str, created_by=None) -> LedgerEntry:
    """Spend visits from a pack, or raise InsufficientBalance and change nothing."""
    if visits <= 0:
        raise ValueError("A debit takes a positive number of visits.")
    _require_pack(membership)
    # No savepoint: an UPDATE that matches no row changes nothing, so there is nothing to
    # roll back; the refusal is raised outside the block so a caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        balance = _change_balance(membership, -visits)
        if balance is not None:
            entry = _write_entry(
                membership, LedgerEntry.Kind.VISIT, -visits, balance, reason, created_by
            )
    if balance is None:
        raise InsufficientBalance(
            f"Membership {membership.pk} has fewer than {visits} visits left."
        )
    return entry


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
    with transaction.atomic(savepoint=False):
        balance = _change_balance(membership, visits)
        return _write_entry(membership, kind, visits, balance, reason, created_by)


def _change_balance(membership: Membership, visits: int) -> int | None:
    """Add `visits` (negative to spend) to the balance unless it would go below zero, in one
    statement that returns the new balance: None when the pack has too few visits. The
    UPDATE holds the row's lock until commit, so concurrent debits queue and each sees the
    balance the one before it left."""
    meta = Membership._meta
    table = connection.ops.quote_name(meta.db_table)
    column = connection.ops.quote_name(meta.get_field("visits_left").column)
    pk = connection.ops.quote_name(meta.pk.column)
    rows = prepared.run(
        f"UPDATE {table} SET {column} = {column} + %s "
        f"WHERE {pk} = %s AND {column} + %s >= 0 RETURNING {column}",
        [visits, membership.pk, visits],
    )
    if not rows:
        return None
    membership.visits_left = rows[0][0]
    return membership.visits_left


def _write_entry(
    membership: Membership, kind: str, visits: int, balance: int, reason: str, created_by
) -> LedgerEntry:
    return prepared.insert(
        LedgerEntry(
            membership=membership,
            kind=kind,
            visits=visits,
            balance_after=balance,
            reason=reason,
            created_by=created_by,
            at=clock.now(),
        )
    )
