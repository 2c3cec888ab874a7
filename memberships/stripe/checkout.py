"""Renewing online: a Stripe Checkout Session for the renewal of a member's membership; and one
in setup mode for putting a new card on file for automatic renewals (`start_card_update`).

Nothing is recorded here: the renewal is made when Stripe's `checkout.session.completed`
event says the payment went through (events.py), never from the member's return to the
success page.
"""

from __future__ import annotations

import hashlib
import json
import logging
from decimal import Decimal

from club import clock
from members.models import Member
from memberships.models import Membership, Plan
from memberships.stripe import client, saved_cards

logger = logging.getLogger(__name__)

# Currencies Stripe takes in whole units (its "zero-decimal currencies"); the rest in cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


class CheckoutUnavailable(Exception):
    """Stripe did not answer, or refused to open a payment page."""


def sellable_online(plan: Plan) -> bool:
    """Whether a renewal of `plan` can be paid online: Stripe is on, and the plan is still sold
    and costs something (a trial is not renewed, and Stripe takes no payment of nothing)."""
    return client.enabled() and plan.is_active and plan.kind != Plan.Kind.TRIAL and plan.price > 0


def shown_price(plan: Plan) -> Decimal | None:
    """The amount the portal may promise for renewing `plan` online: the plan's price, which is
    what start_renewal charges — or None when the plan has a Stripe price, since Stripe then
    charges that price's amount, whatever the plan's says (we do not ask Stripe on every page
    view), and only Stripe's payment page knows it."""
    return None if plan.stripe_price_id else plan.price


def to_minor_units(amount: Decimal, currency: str) -> int:
    """€49.00 → 4900, the integer Stripe counts in; ¥4900 → 4900."""
    places = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return int(amount.scaleb(places))


def from_minor_units(amount: int, currency: str) -> Decimal:
    places = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(amount).scaleb(-places).quantize(Decimal("0.01"))


def start_renewal(membership: Membership, *, success_url: str, cancel_url: str) -> str:
    """Open a Checkout Session for renewing `membership` with its own plan, at the plan's price
    in the club's currency (or the plan's Stripe price when it has one), and return the URL of
    Stripe's payment page. Expects member__home_club and plan loaded with it.

    For a membership that renews automatically, Checkout also saves the card for its automatic
    renewals (saved_cards.py): the member's Stripe Customer, made now if need be, and
    setup_future_usage off_session.

    Clicking twice on one day, with nothing changed, gets the same session back (the
    idempotency key is the request itself and the day): one payment page, not two.
    Raises CheckoutUnavailable when Stripe cannot be reached or refuses.
    """
    member = membership.member
    club = member.home_club
    plan = membership.plan
    currency = club.currency.lower()
    metadata = {"member": str(member.pk), "membership": str(membership.pk), "plan": str(plan.pk)}
    if plan.stripe_price_id:
        line_item = {"price": plan.stripe_price_id, "quantity": 1}
    else:
        line_item = {
            "price_data": {
                "currency": currency,
                "unit_amount": to_minor_units(plan.price, currency),
                "product_data": {"name": f"{plan.name} ({club.name})"},
            },
            "quantity": 1,
        }
    params = {
        "mode": "payment",
        "line_items": [line_item],
        "client_reference_id": f"membership-{membership.pk}",
        "metadata": metadata,
        # On the PaymentIntent too: payment_intent.payment_failed names no session.
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    try:
        if saved_cards.saves_card(membership):
            # The renewal renews automatically too: keep the card to charge it then, on the
            # member's own Customer (which has their email; Stripe takes one or the other).
            params["customer"] = saved_cards.customer_id(member)
            params["payment_intent_data"]["setup_future_usage"] = "off_session"
        elif member.email:
            params["customer_email"] = member.email
    except client.StripeError as error:
        logger.warning("Stripe Customer for member %s not made: %s", member.pk, error)
        raise CheckoutUnavailable(str(error)) from error
    request = json.dumps(params, sort_keys=True) + clock.today(club).isoformat()
    key = f"renew-{membership.pk}-{hashlib.sha256(request.encode()).hexdigest()[:32]}"
    try:
        return client.create_checkout_session(params, idempotency_key=key)
    except client.StripeError as error:
        logger.warning(
            "Stripe Checkout for renewing membership %s failed: %s", membership.pk, error
        )
        raise CheckoutUnavailable(str(error)) from error


def start_card_update(member: Member, *, success_url: str, cancel_url: str) -> str:
    """Open a Checkout Session in setup mode for the member to put a new card on file for
    automatic renewals (saved_cards.py), on their own Stripe Customer (made now if need be), in
    the club's currency, and return the URL of Stripe's page. Nothing is charged on it: the
    card is saved from the webhook (events.py), never from the member's return.

    Clicking twice gets the same page; once the card changed, the next click gets a new one
    (the idempotency key is the request, the day and the card on file).
    Raises CheckoutUnavailable when Stripe cannot be reached or refuses."""
    club = member.home_club
    metadata = {"member": str(member.pk), "purpose": saved_cards.CARD_UPDATE}
    try:
        customer = saved_cards.customer_id(member)
    except client.StripeError as error:
        logger.warning("Stripe Customer for member %s not made: %s", member.pk, error)
        raise CheckoutUnavailable(str(error)) from error
    params = {
        "mode": "setup",
        "customer": customer,
        "currency": club.currency.lower(),
        # Off-session renewals are charged to cards, and the portal shows a card's brand and
        # last four digits.
        "payment_method_types": ["card"],
        "client_reference_id": f"member-{member.pk}",
        "metadata": metadata,
        # On the SetupIntent too, for anyone reading it in Stripe's dashboard.
        "setup_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    changed = member.card_changed_at.isoformat() if member.card_changed_at else ""
    request = json.dumps(params, sort_keys=True) + clock.today(club).isoformat() + changed
    key = f"card-{member.pk}-{hashlib.sha256(request.encode()).hexdigest()[:32]}"
    try:
        return client.create_checkout_session(params, idempotency_key=key)
    except client.StripeError as error:
        logger.warning("Stripe Checkout for member %s's card failed: %s", member.pk, error)
        raise CheckoutUnavailable(str(error)) from error
