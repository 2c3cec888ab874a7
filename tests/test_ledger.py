"""The visit-pack ledger: every balance change is a row, and the balance never goes below zero."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from memberships import ledger
from memberships.models import LedgerEntry, Membership
from tests.factories import LedgerEntryFactory, MembershipFactory
from tests.race import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(maya):
    """A ten-visit card of Maya's, bought today: one purchase row, balance 10."""
    return MembershipFactory(member=maya, plan__pack=True, plan__visits_included=10)


def ledger_sum(membership: Membership) -> int:
    return membership.ledger_entries.aggregate(total=Sum("visits"))["total"]


def test_credits_and_debits_keep_the_balance_equal_to_the_sum_of_the_rows(pack, fiona):
    # given a fresh ten-visit card
    # when visits are spent, refunded and adjusted
    entries = [
        ledger.debit(pack, reason="Check-in"),
        ledger.debit(pack, visits=2, reason="Check-in with a guest"),
        ledger.credit(pack, visits=1, kind=LedgerEntry.Kind.REFUND, reason="Class cancelled"),
        ledger.credit(
            pack, visits=3, kind=LedgerEntry.Kind.ADJUSTMENT, reason="Goodwill", created_by=fiona
        ),
        ledger.debit(pack, visits=4, reason="Family visit"),
    ]

    # then every change is a row with the balance it left, and the rows add up to the balance
    pack.refresh_from_db()
    assert [(e.kind, e.visits, e.balance_after) for e in entries] == [
        (LedgerEntry.Kind.VISIT, -1, 9),
        (LedgerEntry.Kind.VISIT, -2, 7),
        (LedgerEntry.Kind.REFUND, 1, 8),
        (LedgerEntry.Kind.ADJUSTMENT, 3, 11),
        (LedgerEntry.Kind.VISIT, -4, 7),
    ]
    assert pack.visits_left == 7
    assert ledger_sum(pack) == 7
    assert entries[3].created_by == fiona


def test_a_debit_updates_the_membership_object_it_was_given(pack):
    # given a ten-visit card
    # when a visit is spent
    ledger.debit(pack, reason="Check-in")

    # then the caller's object shows the new balance without a reload
    assert pack.visits_left == 9


def test_debiting_more_than_is_left_raises_and_writes_nothing(pack):
    # given a card with two visits left
    ledger.debit(pack, visits=8, reason="Eight visits")
    rows_before = pack.ledger_entries.count()

    # when three visits are asked for
    with pytest.raises(ledger.InsufficientBalance):
        ledger.debit(pack, visits=3, reason="Too many")

    # then the balance and the ledger are as they were
    pack.refresh_from_db()
    assert pack.visits_left == 2
    assert pack.ledger_entries.count() == rows_before == 2
    assert ledger_sum(pack) == 2


def test_the_last_visit_can_be_spent_and_then_no_more(pack):
    # given a card with one visit left
    ledger.debit(pack, visits=9, reason="Nine visits")

    # when the last visit is spent, then another is tried
    last = ledger.debit(pack, reason="Last visit")
    with pytest.raises(ledger.InsufficientBalance):
        ledger.debit(pack, reason="One too many")

    # then the balance is zero
    pack.refresh_from_db()
    assert last.balance_after == 0
    assert pack.visits_left == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: ledger.debit(m, reason="Check-in"), id="debit"),
        pytest.param(
            lambda m: ledger.credit(m, visits=1, kind=LedgerEntry.Kind.ADJUSTMENT, reason="Oops"),
            id="credit",
        ),
    ],
)
def test_a_time_plan_has_no_balance(maya_membership, change):
    # given Maya's monthly (time-based) membership
    # when visits are debited or credited
    with pytest.raises(ledger.NotAPack):
        change(maya_membership)

    # then nothing is written
    maya_membership.refresh_from_db()
    assert maya_membership.visits_left is None
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: ledger.debit(m, visits=0, reason="x"), id="debit-zero"),
        pytest.param(lambda m: ledger.debit(m, visits=-1, reason="x"), id="debit-negative"),
        pytest.param(
            lambda m: ledger.credit(m, visits=0, kind=LedgerEntry.Kind.REFUND, reason="x"),
            id="credit-zero",
        ),
        pytest.param(
            lambda m: ledger.credit(m, visits=-2, kind=LedgerEntry.Kind.ADJUSTMENT, reason="x"),
            id="credit-negative",
        ),
        pytest.param(
            lambda m: ledger.credit(m, visits=1, kind=LedgerEntry.Kind.VISIT, reason="x"),
            id="credit-as-visit",
        ),
        pytest.param(
            lambda m: ledger.credit(m, visits=1, kind="bonus", reason="x"), id="credit-unknown-kind"
        ),
    ],
)
def test_bad_arguments_raise_value_error_and_write_nothing(pack, change):
    # given a fresh ten-visit card
    # when the ledger is called with a nonsensical change
    with pytest.raises(ValueError):
        change(pack)

    # then the balance and the ledger are untouched
    pack.refresh_from_db()
    assert pack.visits_left == 10
    assert list(pack.ledger_entries.values_list("kind", "visits")) == [
        (LedgerEntry.Kind.PURCHASE, 10)
    ]


def test_the_database_refuses_a_negative_balance_even_bypassing_the_ledger(pack):
    # given a ten-visit card
    # when someone writes a negative balance directly
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=pack.pk).update(visits_left=-1)

    # then the balance is unchanged
    pack.refresh_from_db()
    assert pack.visits_left == 10


@pytest.mark.parametrize(
    ("visits", "balance_after"),
    [pytest.param(0, 5, id="zero-visits"), pytest.param(-1, -1, id="negative-balance")],
)
def test_the_database_refuses_a_meaningless_ledger_row(pack, visits, balance_after):
    # given a ten-visit card with one purchase row
    # when a row without a change, or leaving a negative balance, is written directly
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntryFactory(membership=pack, visits=visits, balance_after=balance_after)

    # then only the purchase row exists
    assert pack.ledger_entries.count() == 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overspend_a_pack():
    # given a committed ten-visit card
    pack = MembershipFactory(plan__pack=True, plan__visits_included=10)

    # when twenty check-ins debit it at the same instant
    outcome = run_concurrently(lambda: ledger.debit(pack, reason="Turnstile"), threads=20)

    # then exactly ten succeed, ten are refused, and the ledger tells the same story
    assert len(outcome.results) == 10
    assert len(outcome.errors_of(ledger.InsufficientBalance)) == 10
    assert len(outcome.errors) == 10
    pack.refresh_from_db()
    assert pack.visits_left == 0
    visits = pack.ledger_entries.filter(kind=LedgerEntry.Kind.VISIT)
    assert visits.count() == 10
    assert sorted(visits.values_list("balance_after", flat=True)) == list(range(10))
    assert ledger_sum(pack) == 0
