"""Stripe's webhook events: verified, stored once by Stripe's event id, acted on after commit.

`receive()` is all the webhook view does: verify the signature with the SDK, store the event
(`StripeEvent`, unique by event id) and queue `process()` for after the commit. `process()`
acts through the HANDLERS dict by event type; other types are stored and left alone.

Stripe delivers an event at least once and in no set order, so:
- a repeat delivery finds its stored row and changes nothing (it queues processing again
  only while the event is unprocessed: the first task may have been lost);
- processing locks the event's row and marks it processed in the transaction that acts on
  it, so two workers given one event act once; a Payment names its PaymentIntent, unique
  among payments, as the last guard;
- a failure of a payment attempt that arrives after the payment went through (a second card
  worked) is not put on the timeline: rule 17 would ask to update a card that paid.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from club import clock, roles
from club.display import format_price
from members import locks, staff_tasks, timeline
from members.models import Member, MemberEvent
from memberships import dues, sales
from memberships.models import Membership, Payment, Plan, StripeEvent
from memberships.stripe import client, saved_cards
from memberships.stripe.checkout import from_minor_units

logger = logging.getLogger(__name__)

# Words for the decline codes Stripe gives most (a failed payment's "reason" on the
# timeline); others are shown as Stripe wrote them.
DECLINE_REASONS = {
    "card_declined": "Card declined",
    "insufficient_funds": "Insufficient funds",
    "expired_card": "Card expired",
    "incorrect_cvc": "Wrong security code",
    "authentication_required": "Not confirmed with the bank",
    "processing_error": "Card processing error",
}

# What processing a paid portal renewal says it did (the demo's events say it too).
RENEWED = "Paid: the membership is renewed."
# What processing a portal Checkout that put a new card on file says it did.
CARD_SET_UP = "Card set up in the member portal: it replaces the saved card."
# What processing a paid automatic renewal says it did.
AUTO_RENEWAL_PAID = "Paid with the saved card: the automatic renewal is paid."
# The metadata's `purpose` of a charge of the saved card (offsession.py).
AUTO_RENEWAL = "auto_renewal"

# How long the club's managers have to decide on a payment that renewed nothing.
REFUND_DECISION_DUE = dt.timedelta(days=1)


class BadEvent(Exception):
    """Not an event Stripe signed with our secret, or not an event at all."""


@dataclass(frozen=True)
class Done:
    """What a handler did with an event, kept on its row for the back-office: a sentence,
    the payment it recorded, and whether it acted at all (`ignored`)."""

    note: str
    payment: Payment | None = None
    ignored: bool = False


def receive(payload: bytes, signature: str) -> StripeEvent:
    """Verify and store one webhook delivery, and queue it to be processed after the commit.

    Raises BadEvent, storing nothing, for a missing, wrong or stale signature or a body that
    is not an event. A repeat delivery returns the stored event and changes nothing."""
    try:
        body = json.loads(payload)
        # Read before the signature is checked, because the SDK expects a JSON object (a
        # list makes it raise AttributeError); nothing is done with it until then.
        if not (isinstance(body, dict) and body.get("id") and body.get("type")):
            raise ValueError("The body is not an event: it has no id or type.")
        client.verify_event(payload, signature)
    except (client.SignatureVerificationError, ValueError) as error:
        raise BadEvent(str(error)) from error
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            stripe_id=str(body["id"]),
            defaults={
                "type": str(body["type"]),
                "payload": body,
                "received_at": clock.now(),
                # Whose it is, for the back-office's club scoping: the member our checkout
                # named in the metadata (on the session and on its PaymentIntent).
                "member": _member(_metadata(body)),
            },
        )
        if event.processed_at is None:
            transaction.on_commit(lambda: _queue(event.pk))
    if not created:
        logger.info("Stripe event %s delivered again: already stored", event.stripe_id)
    return event


def _queue(event_id: int) -> None:
    from memberships.tasks import process_stripe_event_task

    process_stripe_event_task.delay(event_id)


def process(event_id: int) -> None:
    """Act on one stored event, once. Safe to run twice, and at the same time: the event's row
    is locked and marked processed in the transaction that acts on it. A handler's error
    rolls its work back, is kept on the row with the attempt, and is raised."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.processed_at is not None:
                return
            handler = HANDLERS.get(event.type)
            if handler is None:
                logger.info("Stripe event %s of type %s ignored", event.stripe_id, event.type)
                done = Done("Not a kind of event ClubCycle acts on.", ignored=True)
            else:
                done = handler(event.data())
            outcome = StripeEvent.Outcome.IGNORED if done.ignored else StripeEvent.Outcome.PROCESSED
            StripeEvent.objects.filter(pk=event_id).update(
                processed_at=clock.now(),
                attempts=F("attempts") + 1,
                error="",
                outcome=outcome,
                note=done.note[:255],
                payment=done.payment,
            )
    except Exception as error:
        StripeEvent.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise


def _checkout_completed(session: dict) -> Done:
    """A Checkout Session completed: a renewal paid, or in setup mode a new card put on file."""
    if session.get("mode") == "setup":
        return _card_set_up(session)
    return _checkout_paid(session)


def _card_set_up(session: dict) -> Done:
    """A setup-mode Checkout opened from the portal (checkout.start_card_update) completed: the
    card it set up replaces the member's saved card. Which card that is, is asked of Stripe
    after the commit (saved_cards.save_from_setup), not inside this locked transaction."""
    metadata = session.get("metadata") or {}
    member = _member(metadata)
    setup_intent = session.get("setup_intent")
    if member is None or metadata.get("purpose") != saved_cards.CARD_UPDATE or not setup_intent:
        logger.warning("Checkout session %s is no portal card update: ignored", session.get("id"))
        return Done("Not a card put on file from the member portal.", ignored=True)
    if not member.stripe_customer_id or session.get("customer") != member.stripe_customer_id:
        # The member's metadata on someone else's Customer: never save a card that is not theirs.
        logger.warning(
            "Checkout session %s set up a card on another Customer than member %s's: ignored",
            session.get("id"),
            member.pk,
        )
        return Done("A card set up on another customer than the member's: not saved.", ignored=True)
    saved_cards.queue_save_setup(member, str(setup_intent))
    return Done(CARD_SET_UP)


def _checkout_paid(session: dict) -> Done:
    """A Checkout Session paid for: renew the membership it was opened for (checkout.py)."""
    if session.get("payment_status") != "paid":
        # A bank debit pays later: checkout.session.async_payment_succeeded will say so.
        logger.info(
            "Checkout session %s not paid yet (%s)",
            session.get("id"),
            session.get("payment_status"),
        )
        return Done(
            "Not paid yet: Stripe sends another event when the payment goes through.",
            ignored=True,
        )
    metadata = session.get("metadata") or {}
    member = _member(metadata)
    if member is None or not metadata.get("membership") or not session.get("payment_intent"):
        logger.warning("Checkout session %s is not a portal renewal: ignored", session.get("id"))
        return Done("Not a renewal paid from the member portal.", ignored=True)
    currency = str(session["currency"]).upper()
    payment = record_renewal(
        member,
        membership_id=int(metadata["membership"]),
        plan_id=int(metadata.get("plan") or 0),
        payment_intent=str(session["payment_intent"]),
        amount=from_minor_units(session["amount_total"], currency),
        currency=currency,
    )
    if session.get("customer"):
        # A renewal that renews automatically saved its card (checkout.start_renewal): which
        # card is on the PaymentIntent, which Stripe is asked after the commit.
        saved_cards.keep_customer(member, str(session["customer"]))
        saved_cards.queue_save(member, str(session["payment_intent"]))
    if payment.membership_id is None:
        return Done(
            "Paid, but no renewal was made: a task asks the club's managers to refund the "
            "payment or agree what it pays for.",
            payment,
        )
    return Done(RENEWED, payment)


def record_renewal(
    member: Member,
    *,
    membership_id: int,
    plan_id: int,
    payment_intent: str,
    amount: Decimal,
    currency: str,
) -> Payment:
    """Record an online payment for renewing one of the member's memberships: the renewal
    (sales.renew, with the payment's PaymentIntent), or, when it can no longer be sold — the
    member renewed at the desk meanwhile, say — the payment alone and a task for the club's
    managers to refund it or agree what it pays for. Never a second, overlapping membership.
    The same PaymentIntent recorded before returns that payment and changes nothing."""
    with transaction.atomic():
        # The member's lock, as the desk's sale takes it: a renewal at the desk at this very
        # moment commits first and is seen below, or waits and is refused as overlapping.
        locks.member(member.pk)
        recorded = Payment.objects.filter(stripe_payment_intent_id=payment_intent).first()
        if recorded is not None:
            return recorded
        current = (
            Membership.objects.select_related("member__home_club", "plan")
            .filter(pk=membership_id, member=member)
            .first()
        )
        plan = Plan.objects.filter(pk=plan_id).first() if plan_id else None
        try:
            if current is None:
                raise ValidationError("The membership paid for no longer exists.")
            renewal = sales.renew(
                current,
                plan=plan,
                method=Payment.Method.STRIPE,
                price_paid=amount,
                stripe_payment_intent_id=payment_intent,
            )
        except ValidationError as refused:
            return _paid_without_renewal(
                member,
                current,
                payment_intent=payment_intent,
                amount=amount,
                currency=currency,
                reason=" ".join(refused.messages),
            )
        payment = renewal.payments.get()
        timeline.record(
            member,
            MemberEvent.Kind.PAYMENT_RECEIVED,
            payment=payment.pk,
            membership=renewal.pk,
            amount=amount,
            currency=currency,
            method=Payment.Method.STRIPE,
        )
        return payment


def _paid_without_renewal(
    member: Member,
    current: Membership | None,
    *,
    payment_intent: str,
    amount: Decimal,
    currency: str,
    reason: str,
    what: str = "",
) -> Payment:
    # The money was taken: it is a payment like any other until someone refunds it. Refunding
    # by itself would be wrong as often as right (the member may want the next period), so
    # the managers decide.
    payment = Payment.objects.create(
        member=member,
        membership=None,
        amount=amount,
        currency=currency,
        method=Payment.Method.STRIPE,
        status=Payment.Status.SUCCEEDED,
        stripe_payment_intent_id=payment_intent,
        at=clock.now(),
    )
    timeline.record(
        member,
        MemberEvent.Kind.PAYMENT_RECEIVED,
        payment=payment.pk,
        membership=None,
        amount=amount,
        currency=currency,
        method=Payment.Method.STRIPE,
        renewed=False,
    )
    if not what:
        what = f"renewing {current.plan}" if current is not None else "a renewal"
    staff_tasks.open_task(
        member,
        title=f"Refund or keep {format_price(amount, currency)} paid online by "
        f"{member.first_name or 'a member'}",
        details=f"{member} paid {format_price(amount, currency)} online for {what}, but no "
        f"membership was made: {reason} Refund the payment in Stripe ({payment_intent}), or "
        "agree with the member what it pays for and sell that at the desk.",
        assigned_role=roles.MANAGER,
        due_in=REFUND_DECISION_DUE,
    )
    logger.warning("Online payment %s renewed nothing: %s", payment_intent, reason)
    return payment


def payment_failed(intent: dict) -> Done:
    """A payment attempt failed: once per PaymentIntent, a payment_failed event on the
    member's timeline, which rule 17 ("update your card") triggers on. The webhook's
    payment_intent.payment_failed and the off-session charge's own answer (offsession.py) both
    come here, in a transaction: the member's lock orders them, and the second adds nothing."""
    member = _member(intent.get("metadata") or {})
    if member is None:
        logger.info("Failed payment %s is not a member's renewal: ignored", intent.get("id"))
        return Done("Not a renewal paid from the member portal.", ignored=True)
    intent_id = str(intent["id"])
    locks.member(member.pk)
    if Payment.objects.filter(
        stripe_payment_intent_id=intent_id, status=Payment.Status.SUCCEEDED
    ).exists():
        # Delivered late: a later attempt (another card) paid.
        return Done("A failed attempt of a payment that went through later.", ignored=True)
    if member.events.filter(
        kind=MemberEvent.Kind.PAYMENT_FAILED, data__payment_intent=intent_id
    ).exists():
        # A second card failed on the same payment page: one "update your card" is enough.
        return Done(
            "Another failed attempt on the same payment page: already on the timeline.",
            ignored=True,
        )
    error = intent.get("last_payment_error") or {}
    reason = error.get("decline_code") or error.get("code") or ""
    currency = str(intent.get("currency", "")).upper()
    membership = (intent.get("metadata") or {}).get("membership")
    automatic = (intent.get("metadata") or {}).get("purpose") == AUTO_RENEWAL
    timeline.record(
        member,
        MemberEvent.Kind.PAYMENT_FAILED,
        membership=int(membership) if membership else None,
        amount=from_minor_units(intent.get("amount") or 0, currency),
        currency=currency,
        reason=reason,
        method=Payment.Method.STRIPE,
        payment_intent=intent_id,
        # The saved card, charged for an automatic renewal, which stays unpaid.
        **({"automatic": True} if automatic else {}),
    )
    return Done(failure_note(reason))


def _intent_succeeded(intent: dict) -> Done:
    """A PaymentIntent paid. Only an automatic renewal's charge of the saved card is recorded
    here; a Checkout's is recorded from checkout.session.completed."""
    metadata = intent.get("metadata") or {}
    member = _member(metadata)
    if metadata.get("purpose") != AUTO_RENEWAL or member is None:
        return Done("Recorded from its Checkout's event, if ours.", ignored=True)
    payment = record_automatic_payment(member, intent)
    if payment.membership_id is None:
        return Done(
            "Paid, but the renewal was paid already: a task asks the club's managers to refund "
            "the payment or agree what it pays for.",
            payment,
        )
    return Done(AUTO_RENEWAL_PAID, payment)


def record_automatic_payment(member: Member, intent: dict) -> Payment:
    """Record the saved card's payment of an unpaid automatic renewal (offsession.py) on it:
    paid, method stripe, the PaymentIntent's id, `payment_received` on the timeline.

    Once per PaymentIntent, whoever comes first — the webhook's payment_intent.succeeded
    (delivered once, twice, or late) or the charge's own answer: both take the member's lock
    and look for the payment first, and a Payment's PaymentIntent is unique. A renewal that
    is no longer unpaid (paid at the desk meanwhile, cancelled, gone) gets no second payment:
    the payment is kept on its own and the managers decide, as for a Checkout."""
    intent_id = str(intent["id"])
    currency = str(intent.get("currency", "")).upper()
    amount = from_minor_units(intent.get("amount_received") or intent.get("amount") or 0, currency)
    membership_id = int((intent.get("metadata") or {}).get("membership") or 0)
    with transaction.atomic():
        locks.member(member.pk)
        recorded = Payment.objects.filter(stripe_payment_intent_id=intent_id).first()
        if recorded is not None:
            return recorded
        renewal = Membership.objects.filter(pk=membership_id, member=member).first()
        payment = None
        if renewal is not None:
            payment = dues.take_payment(
                renewal,
                method=Payment.Method.STRIPE,
                amount=amount,
                stripe_payment_intent_id=intent_id,
            )
        if payment is None:
            return _paid_without_renewal(
                member,
                renewal,
                payment_intent=intent_id,
                amount=amount,
                currency=currency,
                reason="The automatic renewal was no longer unpaid.",
                what="an automatic renewal charged to the saved card",
            )
        return payment


def failure_note(reason: str) -> str:
    """What processing a failed payment attempt says it did (the demo's events say it too)."""
    why = DECLINE_REASONS.get(reason, reason) or "no reason given"
    return f"Payment failed ({why}): noted on the member's timeline."


def _metadata(body: dict) -> dict:
    data = body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _member(metadata: dict) -> Member | None:
    member_id = str(metadata.get("member", ""))
    if not member_id.isdigit():
        return None
    return Member.objects.select_related("home_club").filter(pk=int(member_id)).first()


HANDLERS: dict[str, Callable[[dict], Done]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_paid,
    "payment_intent.payment_failed": payment_failed,
    "payment_intent.succeeded": _intent_succeeded,
}
