"""Stripe in tests: settings that switch it on, a signed webhook delivery, and events shaped as
Stripe sends them. The API is faked at the HTTP layer (`responses`), and webhooks are signed
with the SDK's own helper, so the real verification runs."""

from __future__ import annotations

import json

import pytest
import stripe
from django.test import override_settings

from club.celery import app
from memberships.models import Membership

SECRET = "whsec_test_clubcycle"
API = "https://stripe.test"
CHECKOUT_URL = "https://checkout.stripe.test/c/pay/cs_test_1"
WEBHOOK = "/stripe/webhook/"


@pytest.fixture(name="stripe_on")
def stripe_on_fixture():
    with override_settings(
        STRIPE_ENABLED=True,
        STRIPE_SECRET_KEY="sk_test_clubcycle",
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=API,
        SITE_URL="https://club.example.com",
    ):
        yield


@pytest.fixture(name="eager_tasks")
def eager_tasks_fixture():
    """The processing task queued on commit runs there and then."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


def signed(payload: str, *, secret: str = SECRET) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret)


def deliver(client, event: dict | str, *, signature: str | None = None):
    """POST an event to the webhook as Stripe does, signed unless a signature is given."""
    payload = event if isinstance(event, str) else json.dumps(event)
    header = signed(payload) if signature is None else signature
    return client.post(
        WEBHOOK, payload, content_type="application/json", headers={"Stripe-Signature": header}
    )


def event(kind: str, obj: dict, *, event_id: str = "evt_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-10-29.clover",
        "created": 1795453200,
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }


def checkout_completed(
    membership: Membership,
    *,
    event_id: str = "evt_1",
    intent: str = "pi_1",
    amount: int = 4900,
    payment_status: str = "paid",
    kind: str = "checkout.session.completed",
) -> dict:
    metadata = {
        "member": str(membership.member_id),
        "membership": str(membership.pk),
        "plan": str(membership.plan_id),
    }
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": payment_status,
        "status": "complete",
        "payment_intent": intent,
        "amount_total": amount,
        "currency": "eur",
        "client_reference_id": f"membership-{membership.pk}",
        "customer_details": {"email": "maya.jansen@example.com", "name": "Maya Jansen"},
        "metadata": metadata,
    }
    return event(kind, session, event_id=event_id)


def payment_failed(
    membership: Membership, *, event_id: str = "evt_failed_1", intent: str = "pi_1"
) -> dict:
    intent_object = {
        "id": intent,
        "object": "payment_intent",
        "amount": 4900,
        "currency": "eur",
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "metadata": {
            "member": str(membership.member_id),
            "membership": str(membership.pk),
            "plan": str(membership.plan_id),
        },
    }
    return event("payment_intent.payment_failed", intent_object, event_id=event_id)
