"""Charging an automatic renewal to the member's saved card (saved_cards.py), off-session.

memberships.autorenew makes the renewal unpaid, as without a card, and queues `charge` for after
its commit (`queue_charge`): no call to Stripe inside the renewal's transaction. `charge` asks
Stripe for an off-session PaymentIntent, confirmed at once, under an idempotency key made of
the renewal's id, so a task that runs twice (or is redelivered) charges once. What Stripe
answers is recorded through the webhook's own functions (events.py): paid, the renewal is paid
(once per PaymentIntent, whether the answer or payment_intent.succeeded comes first); declined
or wanting the holder's authentication, the renewal stays unpaid and `payment_failed` goes on
the timeline with the reason, so rule 17 asks the member to pay, in the portal or at the desk.

A declined renewal is charged once more when the member puts a new card on file from the portal
(saved_cards.save_from_setup → `queue_retries`): to that card, under a key of its own
(`retry_key`), since Stripe would answer the declined attempt's key with its decline.
"""

from __future__ import annotations

import logging

from django.db import transaction

from club import clock
from members.models import Member, MemberEvent
from memberships import dues
from memberships.models import Membership
from memberships.stripe import client, events
from memberships.stripe.checkout import to_minor_units

logger = logging.getLogger(__name__)

# What `charge` did, for the task's result and the logs.
PAID = "paid"
FAILED = "failed"
PENDING = "pending"
SKIPPED = "skipped"


def idempotency_key(renewal: Membership) -> str:
    return f"auto-renewal-{renewal.pk}"


def retry_key(renewal: Membership, card: str) -> str:
    return f"auto-renewal-{renewal.pk}-{card}"


def declined(member: Member) -> list[int]:
    """The member's automatic renewals still unpaid after their charge was declined, whose
    period is not over: an unpaid membership admits no one, so a month that ended unpaid was
    never theirs to use, and a new card must not pay for it (staff settle such a debt)."""
    failed = member.events.filter(
        kind=MemberEvent.Kind.PAYMENT_FAILED, data__automatic=True
    ).values_list("data__membership", flat=True)
    ids = {pk for pk in failed if isinstance(pk, int)}
    return list(
        Membership.objects.filter(
            member=member,
            pk__in=ids,
            status=Membership.Status.PAST_DUE,
            end__gte=clock.today(member.home_club),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def queue_retries(member: Member, *, card: str) -> list[int]:
    """Queue, for after the commit of the caller's transaction (which saved `card`), one charge
    to `card` of each automatic renewal of the member's that was declined and is still unpaid;
    return their ids."""
    from memberships.tasks import charge_renewal_task

    renewals = declined(member)
    for renewal_id in renewals:
        transaction.on_commit(
            lambda renewal_id=renewal_id: charge_renewal_task.delay(renewal_id, card)
        )
    return renewals


def queue_charge(renewal: Membership) -> bool:
    """Queue the charge of an automatic renewal just made (in the caller's transaction) for
    after the commit, when Stripe is on and the member has a saved card; return whether it
    did. Otherwise the renewal waits for payment, as it always has."""
    if not (client.enabled() and renewal.member.has_saved_card):
        return False
    from memberships.tasks import charge_renewal_task

    transaction.on_commit(lambda: charge_renewal_task.delay(renewal.pk))
    return True


def charge(renewal_id: int, card: str = "") -> str:
    """Charge the unpaid automatic renewal `renewal_id` to the member's saved card and record
    what Stripe answered; return PAID, FAILED, PENDING (a payment method that settles later:
    the webhook records it) or SKIPPED (nothing to charge: paid meanwhile, cancelled, gone, no
    saved card, Stripe off).

    With `card`, the retry of a declined renewal on the card the member put on file since: only
    while that is still the saved card (a newer one has its own retry), under `retry_key`.

    Raises client.StripeError when Stripe cannot be asked (the task retries the transient
    ones: the same idempotency key gets Stripe's first answer, never a second charge)."""
    renewal = (
        Membership.objects.select_related("member__home_club", "plan").filter(pk=renewal_id).first()
    )
    if renewal is None or renewal.status != Membership.Status.PAST_DUE:
        logger.info("Automatic renewal %s: nothing to charge", renewal_id)
        return SKIPPED
    member = renewal.member
    if not (client.enabled() and member.has_saved_card):
        return SKIPPED
    if card and member.stripe_payment_method_id != card:
        logger.info("Automatic renewal %s: card %s replaced since", renewal_id, card)
        return SKIPPED
    key = retry_key(renewal, card) if card else idempotency_key(renewal)
    currency = member.home_club.currency.lower()
    params = {
        "amount": to_minor_units(dues.amount_due(renewal), currency),
        "currency": currency,
        "customer": member.stripe_customer_id,
        "payment_method": member.stripe_payment_method_id,
        "off_session": True,
        "confirm": True,
        "description": f"{renewal.plan.name} ({member.home_club.name}), "
        f"{renewal.start:%d %b %Y} to {renewal.end:%d %b %Y}, renewed automatically",
        "metadata": {
            "member": str(member.pk),
            "membership": str(renewal.pk),
            "plan": str(renewal.plan_id),
            "purpose": events.AUTO_RENEWAL,
        },
    }
    try:
        intent = client.create_payment_intent(params, idempotency_key=key)
    except client.CardError as error:
        # Declined, or the bank wants the holder to confirm (authentication_required): Stripe
        # names the PaymentIntent in the error.
        body = (error.json_body or {}).get("error") or {}
        intent = body.get("payment_intent") or {
            "id": key,
            "amount": params["amount"],
            "currency": currency,
            "metadata": params["metadata"],
        }
        intent = {**intent, "last_payment_error": intent.get("last_payment_error") or body}
        logger.info("Automatic renewal %s declined: %s", renewal.pk, error.code)
        _failed(intent)
        return FAILED
    status = intent.get("status")
    if status == "succeeded":
        events.record_automatic_payment(member, intent)
        return PAID
    if status in {"requires_action", "requires_payment_method", "canceled"}:
        # Off-session, Stripe answers an authentication with a CardError; in case it does not.
        error = intent.get("last_payment_error") or {"code": "authentication_required"}
        _failed({**intent, "last_payment_error": error})
        return FAILED
    # processing: a debit that settles later, which payment_intent.succeeded will say.
    return PENDING


def _failed(intent: dict) -> None:
    with transaction.atomic():
        events.payment_failed(intent)
