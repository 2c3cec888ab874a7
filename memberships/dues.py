"""Unpaid memberships: what is due, and taking the payment at the desk.

A membership is unpaid when its status is `past_due` (a payment that bounced, or an import or
correction that says so): check-in turns the member away as "unpaid". What is due is the price
it was sold for (`price_paid`): the status is the only record that it was not paid, so there is
no part-payment to subtract.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from club import clock
from members import locks, timeline
from members.models import MemberEvent
from memberships.models import Membership, Payment


def amount_due(membership: Membership) -> Decimal:
    """What the member owes for the membership: its price when unpaid, else nothing."""
    if membership.status != Membership.Status.PAST_DUE:
        return Decimal("0")
    return membership.price_paid


@transaction.atomic
def take_payment(
    membership: Membership,
    *,
    method: str,
    taken_by=None,
    amount: Decimal | None = None,
    stripe_payment_intent_id: str = "",
) -> Payment | None:
    """Record the amount due on an unpaid membership as paid (cash or card terminal at the
    desk), set it active again and write `payment_received` on the timeline. Returns the
    payment, or None when the membership is no longer unpaid: a second click, or a second desk,
    records nothing twice (the status changes from past_due once, under the member's lock).

    A saved card charged for an automatic renewal (memberships/stripe/offsession.py) pays
    through here too: method stripe, the `amount` Stripe took and its PaymentIntent."""
    # The member first, as check-in and sales lock them: a scan waits and reads it paid.
    locks.member(membership.member_id)
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("member__home_club")
        .get(pk=membership.pk)
    )
    if locked.status != Membership.Status.PAST_DUE:
        return None
    if amount is None:
        amount = amount_due(locked)
    locked.status = Membership.Status.ACTIVE
    locked.save(update_fields=["status"])
    membership.status = locked.status
    member = locked.member
    payment = Payment.objects.create(
        member=member,
        membership=locked,
        amount=amount,
        currency=member.home_club.currency,
        method=method,
        status=Payment.Status.SUCCEEDED,
        recorded_by=taken_by,
        stripe_payment_intent_id=stripe_payment_intent_id,
        at=clock.now(),
    )
    timeline.record(
        member,
        MemberEvent.Kind.PAYMENT_RECEIVED,
        actor=taken_by,
        payment=payment.pk,
        membership=locked.pk,
        amount=amount,
        currency=payment.currency,
        method=method,
        was_unpaid=True,
    )
    return payment
