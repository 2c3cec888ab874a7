"""The card a member saves for automatic renewals: a Stripe Customer per member, the payment
method a portal Checkout saved on it, and its removal.

A renewal paid online of a membership that renews automatically saves its card
(checkout.start_renewal: the member's Customer, setup_future_usage off_session). Stripe's
webhook says the renewal was paid (events.py), which stores the Customer and queues
`save_from_payment`: that asks Stripe which card paid, outside any transaction, and stores it
with what the member is shown of it (brand, last four digits). memberships.autorenew charges it
(offsession.py). The member removes it in the portal; renewals are then unpaid until paid, as
without Stripe.

The member also puts a new card on file from the portal ("Replace card", or "Add a card"):
Stripe Checkout in setup mode (checkout.start_card_update). Its webhook queues
`save_from_setup`, which saves the SetupIntent's card in place of the old one, detaches the old
one after the commit and has a declined automatic renewal charged to the new card
(offsession.queue_retries).
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
# The metadata's `purpose` of a portal Checkout that puts a new card on file.
CARD_UPDATE = "card_update"
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


def may_update(member: Member) -> bool:
    """Whether the portal offers to put a new card on file: Stripe is on, and the member has a
    card to replace or a running membership that renews automatically (nothing to charge a
    card for otherwise)."""
    if not client.enabled():
        return False
    if member.has_saved_card:
        return True
    today = clock.today(member.home_club)
    return (
        member.memberships.filter(auto_renew=True, end__gte=today)
        .exclude(status=Membership.Status.CANCELLED)
        .exists()
    )


def declined_at(member: Member) -> dt.datetime | None:
    """When the card on file was last declined for an automatic renewal, or None: never, or
    only an earlier card was (a decline before the card changed is not this card's)."""
    if not (client.enabled() and member.has_saved_card):
        return None
    failures = member.events.filter(kind=MemberEvent.Kind.PAYMENT_FAILED, data__automatic=True)
    if member.card_changed_at is not None:
        failures = failures.filter(at__gte=member.card_changed_at)
    return failures.order_by("-at").values_list("at", flat=True).first()


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
    saved = _card_set_up(intent, usage=intent.get("setup_future_usage"))
    if saved is None:
        logger.info("Payment %s saved no card for member %s", payment_intent, member_id)
        return False
    customer, method, paid_at = saved
    brand, last4 = _shown(method)
    with transaction.atomic():
        changed = _store(member_id, customer=customer, method=method, at=paid_at)
        if changed:
            member = Member.objects.get(pk=member_id)
            timeline.record(
                member, MemberEvent.Kind.CARD_SAVED, brand=brand, last4=last4, source=WEBHOOK
            )
    return bool(changed)


def queue_save_setup(member: Member, setup_intent: str) -> None:
    """After the commit, ask Stripe which card `setup_intent` set up and save it."""
    from memberships.tasks import save_setup_card_task

    transaction.on_commit(lambda: save_setup_card_task.delay(member.pk, setup_intent))


def save_from_setup(member_id: int, setup_intent: str) -> bool:
    """Save the card a portal Checkout in setup mode set up (checkout.start_card_update) as
    the member's card for automatic renewals, in place of the one on file; write `card_saved`
    (source portal, with the SetupIntent); after the commit, detach the old card at Stripe and
    charge a declined automatic renewal to the new card (offsession.queue_retries). Returns
    whether it changed the card.

    Nothing is saved for a SetupIntent not succeeded, not for off-session use, of another
    Customer than the member's, or older than the member's last change of card. Running twice
    saves, detaches and charges once: the second run's conditional UPDATE changes nothing.
    Raises client.StripeError when Stripe cannot tell (the task retries the transient ones)."""
    from memberships.stripe import offsession

    intent = client.retrieve_setup_intent(setup_intent)
    saved = _card_set_up(intent, usage=intent.get("usage"))
    if saved is None:
        logger.info("Setup %s saved no card for member %s", setup_intent, member_id)
        return False
    customer, method, set_up_at = saved
    brand, last4 = _shown(method)
    with transaction.atomic():
        # The lock orders this with a removal, and `old` is the card this replaces.
        locks.member(member_id)
        old = (
            Member.objects.filter(pk=member_id)
            .values_list("stripe_payment_method_id", flat=True)
            .first()
        ) or ""
        changed = _store(member_id, customer=customer, method=method, at=set_up_at)
        if not changed:
            logger.info("Setup %s: member %s's card not changed", setup_intent, member_id)
            return False
        member = Member.objects.select_related("home_club").get(pk=member_id)
        timeline.record(
            member,
            MemberEvent.Kind.CARD_SAVED,
            brand=brand,
            last4=last4,
            source=PORTAL,
            setup_intent=setup_intent,
        )
        if old:
            from memberships.tasks import detach_card_task

            # The old card can no longer be charged; at Stripe only once this commits.
            transaction.on_commit(lambda: detach_card_task.delay(old))
        offsession.queue_retries(member, card=method["id"])
    return True


def _card_set_up(intent: dict, *, usage: str | None) -> tuple[str, dict, dt.datetime] | None:
    """(customer, payment method, when) of a succeeded PaymentIntent or SetupIntent that set
    its card up for off-session use (`usage`: its setup_future_usage or usage); else None."""
    method = intent.get("payment_method")
    customer = intent.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if (
        intent.get("status") != "succeeded"
        or usage != "off_session"
        or not isinstance(method, dict)
        or not customer
    ):
        return None
    return customer, method, dt.datetime.fromtimestamp(int(intent.get("created") or 0), tz=dt.UTC)


def _store(member_id: int, *, customer: str, method: dict, at: dt.datetime) -> int:
    """Put `method` on file for the member, by one conditional UPDATE: only on their own
    Customer, only when newer than their last change of card (a task run late must not put
    back a card removed since, nor replace a newer one), and only when it is another card.
    Returns how many rows changed (0 or 1)."""
    brand, last4 = _shown(method)
    return (
        Member.objects.filter(pk=member_id, stripe_customer_id=customer)
        .filter(Q(card_changed_at__isnull=True) | Q(card_changed_at__lt=at))
        .exclude(stripe_payment_method_id=method["id"])
        .update(
            stripe_payment_method_id=method["id"],
            card_brand=brand[:30],
            card_last4=last4[:4],
            card_changed_at=at,
        )
    )


def saved_by_session(member: Member, session_id: str) -> SavedCard | None:
    """The card the member's setup-mode Checkout Session `session_id` saved, once its webhook
    has been processed and the card stored; None until then, and for any session not the
    member's (the return address alone proves nothing: anyone can open it)."""
    setup_intent = (
        member.stripe_events.filter(
            type="checkout.session.completed", payload__data__object__id=session_id
        )
        .values_list("payload__data__object__setup_intent", flat=True)
        .first()
    )
    if not setup_intent:
        return None
    card = (
        member.events.filter(kind=MemberEvent.Kind.CARD_SAVED, data__setup_intent=setup_intent)
        .values_list("data__brand", "data__last4")
        .first()
    )
    return SavedCard(brand=card[0], last4=card[1]) if card else None


def _shown(method: dict) -> tuple[str, str]:
    """(brand, last four digits) of a payment method, as the member is shown them."""
    details = method.get("card") or method.get(method.get("type") or "") or {}
    return str(details.get("brand") or ""), str(details.get("last4") or "")


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
