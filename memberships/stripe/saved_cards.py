"""The card a member saves for automatic renewals: a Stripe Customer per member, the payment
method a portal Checkout saved on it, and its removal.

A renewal paid online of a membership that renews automatically saves its card
(checkout.start_renewal: the member's Customer, setup_future_usage off_session). Stripe's
webhook says the renewal was paid (events.py), which stores the Customer and queues
`save_from_payment`: that asks Stripe which card paid, outside any transaction, and stores it
with what the member is shown of it (brand, last four digits). memberships.autorenew charges it
(offsession.py). The member removes it in the portal; renewals are then unpaid until paid, as
without Stripe.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from club import clock
from members import locks, timeline
from members.models import Member, MemberEvent
from memberships.models import Membership
from memberships.stripe import client

logger = logging.getLogger(__name__)

PORTAL = "portal"
WEBHOOK = "online payment"
timeline.label_codes(
    [MemberEvent.Kind.CARD_SAVED, MemberEvent.Kind.CARD_REMOVED],
    "source",
    {PORTAL: "In the member portal", WEBHOOK: "Paying online"},
)


@dataclass(frozen=True)
class SavedCard:
    brand: str
    last4: str

    @property
    def brand_name(self) -> str:
        """ "Visa", "Mastercard"; "Card" for a brand Stripe did not name."""
        names = {"amex": "American Express", "mastercard": "Mastercard", "visa": "Visa"}
        return names.get(self.brand, self.brand.replace("_", " ").title() or "Card")


def saved(member: Member) -> SavedCard | None:
    """The card automatic renewals of the member are charged to, or None: none saved, or
    Stripe not configured (then nothing is charged, as before saved cards)."""
    if not (client.enabled() and member.has_saved_card):
        return None
    return SavedCard(brand=member.card_brand, last4=member.card_last4)


def saves_card(membership: Membership) -> bool:
    """Whether paying a renewal of `membership` online saves the card: the renewal will renew
    automatically too (its plan does, and the member has not stopped it on this one)."""
    return membership.auto_renew and membership.may_renew_automatically


def customer_id(member: Member) -> str:
    """The member's Stripe Customer, made the first time it is needed and kept on the member.

    Two clicks at once make one Customer: the idempotency key is the member's, and only the
    first to store its id does (a conditional UPDATE). Raises client.StripeError."""
    if member.stripe_customer_id:
        return member.stripe_customer_id
    params = {
        "name": member.full_name,
        "metadata": {"member": str(member.pk), "club": str(member.home_club_id)},
    }
    if member.email:
        params["email"] = member.email
    made = client.create_customer(params, idempotency_key=f"customer-member-{member.pk}")
    Member.objects.filter(pk=member.pk, stripe_customer_id="").update(stripe_customer_id=made)
    member.stripe_customer_id = (
        Member.objects.filter(pk=member.pk).values_list("stripe_customer_id", flat=True).get()
    )
    return member.stripe_customer_id


def keep_customer(member: Member, customer: str) -> None:
    """Store the Customer a paid Checkout named, when the member has none yet (idempotent)."""
    Member.objects.filter(pk=member.pk, stripe_customer_id="").update(stripe_customer_id=customer)


def queue_save(member: Member, payment_intent: str) -> None:
    """After the commit, ask Stripe which card paid `payment_intent` and save it."""
    from memberships.tasks import save_card_task

    transaction.on_commit(lambda: save_card_task.delay(member.pk, payment_intent))


def save_from_payment(member_id: int, payment_intent: str) -> bool:
    """Save the card that paid `payment_intent` (a portal Checkout with setup_future_usage
    off_session) as the member's card for automatic renewals, with its brand and last four
    digits, and write `card_saved` on the timeline. Returns whether it changed the card.

    Nothing is saved for a payment that did not save its card, of another Customer than the
    member's, or older than the member's last change of card (a task run late must not put
    back a card the member removed since, nor replace a newer one). Running twice saves once.
    Raises client.StripeError when Stripe cannot tell (the task retries the transient ones).
    """
    intent = client.retrieve_payment_intent(payment_intent)
    method = intent.get("payment_method")
    customer = intent.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if (
        intent.get("status") != "succeeded"
        or intent.get("setup_future_usage") != "off_session"
        or not isinstance(method, dict)
        or not customer
    ):
        logger.info("Payment %s saved no card for member %s", payment_intent, member_id)
        return False
    details = method.get("card") or method.get(method.get("type") or "") or {}
    brand = str(details.get("brand") or "")
    last4 = str(details.get("last4") or "")
    paid_at = dt.datetime.fromtimestamp(int(intent.get("created") or 0), tz=dt.UTC)
    with transaction.atomic():
        changed = (
            Member.objects.filter(pk=member_id, stripe_customer_id=customer)
            .filter(Q(card_changed_at__isnull=True) | Q(card_changed_at__lt=paid_at))
            .exclude(stripe_payment_method_id=method["id"])
            .update(
                stripe_payment_method_id=method["id"],
                card_brand=brand[:30],
                card_last4=last4[:4],
                card_changed_at=paid_at,
            )
        )
        if changed:
            member = Member.objects.get(pk=member_id)
            timeline.record(
                member, MemberEvent.Kind.CARD_SAVED, brand=brand, last4=last4, source=WEBHOOK
            )
    return bool(changed)


def remove(member: Member, *, source: str, actor=None) -> bool:
    """Remove the member's saved card: automatic renewals are unpaid until paid again. Writes
    `card_removed` on the timeline and, after the commit, detaches the card from the member's
    Customer in Stripe. Returns False, changing nothing, when no card is saved (a second
    click)."""
    with transaction.atomic():
        locks.member(member.pk)
        method, brand, last4 = (
            Member.objects.filter(pk=member.pk)
            .values_list("stripe_payment_method_id", "card_brand", "card_last4")
            .get()
        )
        if not method:
            return False
        Member.objects.filter(pk=member.pk).update(
            stripe_payment_method_id="", card_brand="", card_last4="", card_changed_at=clock.now()
        )
        timeline.record(
            member,
            MemberEvent.Kind.CARD_REMOVED,
            actor=actor,
            brand=brand,
            last4=last4,
            source=source,
        )
        if client.enabled():
            from memberships.tasks import detach_card_task

            transaction.on_commit(lambda: detach_card_task.delay(method))
    member.stripe_payment_method_id = member.card_brand = member.card_last4 = ""
    return True


def detach(payment_method_id: str) -> None:
    """Detach a removed card in Stripe. One detached already (a second run) is done."""
    try:
        client.detach_payment_method(payment_method_id)
    except client.TRANSIENT_ERRORS:
        raise
    except client.StripeError as error:
        # Detached before, or gone: either way it can no longer be charged.
        logger.info("Card %s not detached: %s", payment_method_id, error)


def forget_customer(customer_id: str) -> None:
    """Delete an erased member's Customer at Stripe, with the cards saved on it. One deleted
    already (a second run) is done."""
    try:
        client.delete_customer(customer_id)
    except client.TRANSIENT_ERRORS:
        raise
    except client.StripeError as error:
        logger.info("Customer %s not deleted: %s", customer_id, error)
