"""Every call to Stripe, through the SDK's StripeClient. Nothing here touches the database.

Stripe is on when settings.STRIPE_ENABLED (by default: a secret key is set); settings refuse
to start with it on and a key missing. STRIPE_API_BASE points the SDK at a fake in tests.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings

# A member waits on the Checkout call in the portal: better a clear "try again" than a page
# that hangs for the SDK's default 80 seconds.
TIMEOUT_SECONDS = 15

StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError
# A declined card, or one the bank wants confirmed by its holder (authentication_required).
CardError = stripe.CardError
# Worth trying again later: no answer, too many requests, Stripe's own 5xx. The rest (a bad
# request, a missing object, an idempotency clash) fails the same way every time.
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def enabled() -> bool:
    return bool(
        settings.STRIPE_ENABLED and settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET
    )


def _client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        # Safe with the idempotency key every create call carries.
        max_network_retries=1,
    )


def create_checkout_session(params: dict[str, Any], *, idempotency_key: str) -> str:
    """Create a Checkout Session and return the URL of Stripe's payment page.

    Raises StripeError (stripe.APIConnectionError for a timeout or no answer)."""
    session = _client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return session.url


def create_customer(params: dict[str, Any], *, idempotency_key: str) -> str:
    """Create a Customer and return its id. Raises StripeError."""
    customer = _client().v1.customers.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return customer.id


def retrieve_payment_intent(intent_id: str) -> dict[str, Any]:
    """The PaymentIntent with its payment method expanded, as a plain dict. Raises StripeError."""
    intent = _client().v1.payment_intents.retrieve(intent_id, params={"expand": ["payment_method"]})
    return intent.to_dict()


def create_payment_intent(params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    """Create (and, with confirm, attempt) a PaymentIntent; return it as a plain dict.

    Raises CardError for a decline or a payment the bank wants authenticated (the error's
    json_body names the PaymentIntent), StripeError otherwise."""
    intent = _client().v1.payment_intents.create(
        params=params, options={"idempotency_key": idempotency_key}
    )
    return intent.to_dict()


def retrieve_setup_intent(intent_id: str) -> dict[str, Any]:
    """The SetupIntent with its payment method expanded, as a plain dict. Raises StripeError."""
    intent = _client().v1.setup_intents.retrieve(intent_id, params={"expand": ["payment_method"]})
    return intent.to_dict()


def detach_payment_method(payment_method_id: str) -> None:
    """Detach a saved payment method from its Customer: it can no longer be charged.
    Raises StripeError (InvalidRequestError once it is detached already)."""
    _client().v1.payment_methods.detach(payment_method_id)


def delete_customer(customer_id: str) -> None:
    """Delete a Customer at Stripe: its saved cards, name and email go with it. Raises
    StripeError (InvalidRequestError once it is deleted already)."""
    _client().v1.customers.delete(customer_id)


def verify_event(payload: bytes, signature: str) -> stripe.Event:
    """The event Stripe signed, checked against STRIPE_WEBHOOK_SECRET and its timestamp.

    Raises SignatureVerificationError for a missing, wrong or stale signature, and
    ValueError for a body that is not JSON."""
    return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
