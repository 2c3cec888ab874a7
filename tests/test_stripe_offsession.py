"""Automatic renewals charged to the card the member saved paying online: Checkout saves the
card of a membership that renews automatically, Stripe's webhook stores it on the member, the
hourly renewal charges it off-session after its commit (once, however often the task runs), the
payment is recorded once per PaymentIntent, and a decline leaves the renewal unpaid with the
reason on the timeline. Without Stripe or without a card, nothing changes (the portal's side:
test_portal_saved_card.py).

Stripe's API is faked at the HTTP layer (`responses`); webhooks are signed with the SDK's
helper. The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam.
"""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.urls import reverse

from members.models import Member, MemberEvent
from memberships import tasks
from memberships.models import Membership, Payment, StripeEvent
from memberships.stripe import saved_cards
from tests.factories import MemberFactory, MembershipFactory, PlanFactory
from tests.stripe_helpers import (
    API,
    CHECKOUT_URL,
    checkout_completed,
    deliver,
    eager_tasks_fixture,  # noqa: F401 (fixture eager_tasks)
    event,
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)
from tests.test_portal import sign_in

TODAY = dt.date(2026, 11, 23)
YESTERDAY = TODAY - dt.timedelta(days=1)
INTENTS = f"{API}/v1/payment_intents"
# 23 Nov 2026 17:00 UTC, when Stripe made the Checkout's PaymentIntent.
PAID_AT = 1795453200


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@pytest.fixture
def webhook(client, frozen_clock, django_capture_on_commit_callbacks, eager_tasks):
    """Deliver an event and run what its commit queued (processing, saving the card)."""

    def send(payload):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, payload)

    return send


@pytest.fixture
def renewing(frozen_clock, maya_membership):
    """Maya's month, 1–30 Nov, due for renewal, on a plan that renews automatically."""
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()
    Membership.objects.filter(pk=maya_membership.pk).update(
        auto_renew=True, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    maya_membership.refresh_from_db()
    return maya_membership


@pytest.fixture
def rolling(downtown):
    return PlanFactory(
        club=downtown, name="Rolling monthly", price=Decimal("39.00"), auto_renew=True
    )


def with_card(member: Member) -> Member:
    Member.objects.filter(pk=member.pk).update(
        stripe_customer_id="cus_rita",
        stripe_payment_method_id="pm_visa",
        card_brand="visa",
        card_last4="4242",
        card_changed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    member.refresh_from_db()
    return member


@pytest.fixture
def rita(frozen_clock, downtown):
    return with_card(MemberFactory(home_club=downtown, first_name="Rita", last_name="Vos"))


@pytest.fixture
def ended(rita, rolling):
    """Rita's rolling month, auto-renew on, whose last day was yesterday."""
    return MembershipFactory(
        member=rita, plan=rolling, start=YESTERDAY - dt.timedelta(days=29), auto_renew=True
    )


def intent_answer(request, *, status="succeeded"):
    """What Stripe answers a PaymentIntent create: the intent, with what was asked of it."""
    asked = form(type("Call", (), {"request": request}))
    metadata = {
        key[len("metadata[") : -1]: value
        for key, value in asked.items()
        if key.startswith("metadata[")
    }
    amount = int(asked["amount"])
    body = {
        "id": "pi_auto",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": asked["currency"],
        "customer": asked["customer"],
        "payment_method": asked["payment_method"],
        "status": status,
        "metadata": metadata,
    }
    return 200, {}, json.dumps(body)


def declined(request, *, code="card_declined", decline_code="insufficient_funds"):
    _, _, body = intent_answer(request, status="requires_payment_method")
    intent = json.loads(body)
    error = {"type": "card_error", "code": code, "message": "Your card was declined."}
    if decline_code:
        error["decline_code"] = decline_code
    intent["last_payment_error"] = error
    return 402, {}, json.dumps({"error": {**error, "payment_intent": intent}})


@pytest.fixture
def stripe_charges():
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, INTENTS, callback=intent_answer)
        yield mock


def renew_now(capture) -> Membership:
    """Run the hourly renewal and what its commits queued (the charge, eagerly)."""
    with capture(execute=True):
        assert tasks.auto_renew_task.apply().get() == 1
    return Membership.objects.get(renewed_from__isnull=False)


# --- saving the card ---------------------------------------------------------------------


def test_renewing_online_a_membership_that_renews_automatically_saves_the_card(
    stripe_on, client, renewing, maya
):
    portal = sign_in(client, maya)
    with responses.RequestsMock() as fake:
        fake.post(f"{API}/v1/customers", json={"id": "cus_maya", "object": "customer"})
        fake.post(f"{API}/v1/checkout/sessions", json={"id": "cs_test_1", "url": CHECKOUT_URL})

        response = portal.post(reverse("portal:renew_online", args=[renewing.pk]))
        customer, session = fake.calls

    assert response.status_code == 303
    assert form(customer) == {
        "name": "Maya Jansen",
        "email": "maya.jansen@example.com",
        "metadata[member]": str(maya.pk),
        "metadata[club]": str(maya.home_club_id),
    }
    assert customer.request.headers["Idempotency-Key"] == f"customer-member-{maya.pk}"
    params = form(session)
    assert params["customer"] == "cus_maya"
    assert params["payment_intent_data[setup_future_usage]"] == "off_session"
    assert "customer_email" not in params
    maya.refresh_from_db()
    assert (maya.stripe_customer_id, maya.stripe_payment_method_id) == ("cus_maya", "")


def test_a_membership_that_does_not_renew_automatically_saves_no_card(
    stripe_on, client, maya_membership, maya, frozen_clock
):
    Membership.objects.filter(pk=maya_membership.pk).update(
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    with responses.RequestsMock() as fake:  # no Customer: a call to make one would fail
        fake.post(f"{API}/v1/checkout/sessions", json={"id": "cs_test_1", "url": CHECKOUT_URL})
        sign_in(client, maya).post(reverse("portal:renew_online", args=[maya_membership.pk]))
        params = form(fake.calls[0])

    assert "setup_future_usage" not in " ".join(params)
    assert params["customer_email"] == "maya.jansen@example.com"


def paid_intent(**changes) -> dict:
    intent = {
        "id": "pi_maya",
        "object": "payment_intent",
        "status": "succeeded",
        "created": PAID_AT,
        "customer": "cus_maya",
        "setup_future_usage": "off_session",
        "payment_method": {
            "id": "pm_visa",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
        },
    }
    return {**intent, **changes}


def test_the_paid_checkouts_webhook_saves_the_card_on_the_member_once(
    stripe_on, webhook, renewing, maya
):
    Member.objects.filter(pk=maya.pk).update(stripe_customer_id="cus_maya")
    completed = checkout_completed(renewing, intent="pi_maya")
    completed["data"]["object"]["customer"] = "cus_maya"
    again = checkout_completed(
        renewing,
        intent="pi_maya",
        event_id="evt_2",
        kind="checkout.session.async_payment_succeeded",
    )
    again["data"]["object"]["customer"] = "cus_maya"

    with responses.RequestsMock() as fake:
        fake.get(f"{INTENTS}/pi_maya", json=paid_intent())
        webhook(completed)
        webhook(completed)  # delivered twice
        webhook(again)  # and once more under another event
        asked = {call.request.url for call in fake.calls}

    assert asked == {f"{INTENTS}/pi_maya?expand%5B0%5D=payment_method"}
    maya.refresh_from_db()
    assert (
        maya.stripe_customer_id,
        maya.stripe_payment_method_id,
        maya.card_brand,
        maya.card_last4,
    ) == ("cus_maya", "pm_visa", "visa", "4242")
    saved = maya.events.get(kind=MemberEvent.Kind.CARD_SAVED)
    assert saved.data == {"brand": "visa", "last4": "4242", "source": "online payment"}
    assert Membership.objects.filter(renewed_from=renewing).count() == 1


@pytest.mark.parametrize(
    "intent",
    [
        pytest.param(paid_intent(customer="cus_someone_else"), id="another customer's"),
        pytest.param(paid_intent(setup_future_usage=None), id="card not saved for later"),
        pytest.param(paid_intent(created=PAID_AT - 86400 * 30), id="older than a removal"),
    ],
)
def test_a_payment_that_did_not_save_the_members_card_saves_nothing(
    stripe_on, frozen_clock, maya, intent
):
    Member.objects.filter(pk=maya.pk).update(
        stripe_customer_id="cus_maya", card_changed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    with responses.RequestsMock() as fake:
        fake.get(f"{INTENTS}/pi_maya", json=intent)

        assert saved_cards.save_from_payment(maya.pk, "pi_maya") is False

    maya.refresh_from_db()
    assert (maya.stripe_payment_method_id, maya.card_last4) == ("", "")
    assert not maya.events.filter(kind=MemberEvent.Kind.CARD_SAVED).exists()


# --- charging the automatic renewal --------------------------------------------------------


def test_the_renewal_is_charged_to_the_saved_card_after_its_commit_once(
    stripe_on, eager_tasks, stripe_charges, ended, rita, django_capture_on_commit_callbacks
):
    # when the hourly task renews Rita's month: nothing is asked of Stripe before the commit
    with django_capture_on_commit_callbacks() as queued:
        tasks.auto_renew_task.apply().get()
    renewal = Membership.objects.get(renewed_from=ended)
    assert renewal.status == Membership.Status.PAST_DUE
    assert len(stripe_charges.calls) == 0
    for callback in queued:
        callback()
    # and the charge runs a second time (a redelivered task): the renewal is paid, no call
    assert tasks.charge_renewal_task.apply(args=[renewal.pk]).get() == "skipped"

    # then Stripe was asked for one off-session payment, under the renewal's key
    (first,) = stripe_charges.calls
    assert form(first) == {
        "amount": "3900",
        "currency": "eur",
        "customer": "cus_rita",
        "payment_method": "pm_visa",
        "off_session": "true",
        "confirm": "true",
        "description": "Rolling monthly (Downtown), 23 Nov 2026 to 22 Dec 2026, renewed "
        "automatically",
        "metadata[member]": str(rita.pk),
        "metadata[membership]": str(renewal.pk),
        "metadata[plan]": str(renewal.plan_id),
        "metadata[purpose]": "auto_renewal",
    }
    assert first.request.headers["Idempotency-Key"] == f"auto-renewal-{renewal.pk}"
    # and the renewal is paid once
    renewal.refresh_from_db()
    assert renewal.status == Membership.Status.ACTIVE
    payment = Payment.objects.get(membership=renewal)
    assert (payment.method, payment.amount, payment.stripe_payment_intent_id) == (
        Payment.Method.STRIPE,
        Decimal("39.00"),
        "pi_auto",
    )
    assert rita.events.filter(kind=MemberEvent.Kind.PAYMENT_RECEIVED).count() == 1


def succeeded_event(renewal: Membership, *, event_id: str) -> dict:
    intent = {
        "id": "pi_auto",
        "object": "payment_intent",
        "amount": 3900,
        "amount_received": 3900,
        "currency": "eur",
        "status": "succeeded",
        "customer": "cus_rita",
        "payment_method": "pm_visa",
        "metadata": {
            "member": str(renewal.member_id),
            "membership": str(renewal.pk),
            "plan": str(renewal.plan_id),
            "purpose": "auto_renewal",
        },
    }
    return event("payment_intent.succeeded", intent, event_id=event_id)


def test_the_success_webhook_pays_the_renewal_once_however_often_it_comes(
    stripe_on, eager_tasks, webhook, ended, rita, django_capture_on_commit_callbacks
):
    # given a charge Stripe is still processing when it answers
    with responses.RequestsMock() as fake:
        fake.add_callback(
            responses.POST, INTENTS, callback=lambda r: intent_answer(r, status="processing")
        )
        renewal = renew_now(django_capture_on_commit_callbacks)
        # a task run twice before the payment is recorded asks again under the same key: Stripe
        # answers what it answered the first time, and charges once
        assert tasks.charge_renewal_task.apply(args=[renewal.pk]).get() == "pending"
        keys = [call.request.headers["Idempotency-Key"] for call in fake.calls]
    assert keys == [f"auto-renewal-{renewal.pk}"] * 2
    renewal.refresh_from_db()
    assert renewal.status == Membership.Status.PAST_DUE

    # when Stripe's payment_intent.succeeded arrives twice, and once more under another id
    first = webhook(succeeded_event(renewal, event_id="evt_paid"))
    webhook(succeeded_event(renewal, event_id="evt_paid"))
    webhook(succeeded_event(renewal, event_id="evt_paid_again"))

    # then the renewal is paid once
    assert first.status_code == 200
    renewal.refresh_from_db()
    assert renewal.status == Membership.Status.ACTIVE
    assert Payment.objects.filter(stripe_payment_intent_id="pi_auto").count() == 1
    assert rita.events.filter(kind=MemberEvent.Kind.PAYMENT_RECEIVED).count() == 1
    notes = dict(StripeEvent.objects.values_list("stripe_id", "note"))
    assert notes["evt_paid"] == "Paid with the saved card: the automatic renewal is paid."


def test_the_webhook_after_the_charges_own_answer_records_nothing_more(
    stripe_on, eager_tasks, webhook, stripe_charges, ended, rita, django_capture_on_commit_callbacks
):
    renewal = renew_now(django_capture_on_commit_callbacks)

    webhook(succeeded_event(renewal, event_id="evt_paid"))

    assert Payment.objects.filter(stripe_payment_intent_id="pi_auto").count() == 1
    assert rita.events.filter(kind=MemberEvent.Kind.PAYMENT_RECEIVED).count() == 1


def test_a_checkouts_own_payment_intent_event_is_left_to_its_checkout(stripe_on, webhook, maya):
    paid = event(
        "payment_intent.succeeded",
        {"id": "pi_checkout", "amount": 4900, "currency": "eur", "metadata": {"member": "1"}},
    )

    webhook(paid)

    stored = StripeEvent.objects.get()
    assert (stored.outcome, stored.payment) == (StripeEvent.Outcome.IGNORED, None)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "code, decline_code, reason",
    [
        ("card_declined", "insufficient_funds", "insufficient_funds"),
        ("authentication_required", None, "authentication_required"),
    ],
)
def test_a_declined_charge_leaves_the_renewal_unpaid_and_says_why_once(
    stripe_on,
    eager_tasks,
    webhook,
    ended,
    rita,
    django_capture_on_commit_callbacks,
    code,
    decline_code,
    reason,
):
    # when the saved card is declined (or the bank wants Rita to confirm it)
    with responses.RequestsMock() as fake:
        fake.add_callback(
            responses.POST,
            INTENTS,
            callback=lambda r: declined(r, code=code, decline_code=decline_code),
        )
        renewal = renew_now(django_capture_on_commit_callbacks)
    # and Stripe's payment_intent.payment_failed follows
    failed = succeeded_event(renewal, event_id="evt_failed")
    failed["type"] = "payment_intent.payment_failed"
    failed["data"]["object"]["status"] = "requires_payment_method"
    failed["data"]["object"]["last_payment_error"] = {"code": code, "decline_code": decline_code}
    webhook(failed)

    # then the renewal is unpaid, as before saved cards, with one failure on the timeline
    renewal.refresh_from_db()
    assert renewal.status == Membership.Status.PAST_DUE
    assert not Payment.objects.filter(membership=renewal).exists()
    event_ = rita.events.get(kind=MemberEvent.Kind.PAYMENT_FAILED)
    assert event_.data == {
        "membership": renewal.pk,
        "amount": "39.00",
        "currency": "EUR",
        "reason": reason,
        "method": "stripe",
        "payment_intent": "pi_auto",
        "automatic": True,
    }
    assert StripeEvent.objects.get().note.startswith("Another failed attempt")


# --- without Stripe, or without a card -----------------------------------------------------


def test_without_stripe_a_saved_card_is_not_charged(
    eager_tasks, ended, rita, django_capture_on_commit_callbacks
):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_callback(responses.POST, INTENTS, callback=intent_answer)
        renewal = renew_now(django_capture_on_commit_callbacks)

        assert tasks.charge_renewal_task.apply(args=[renewal.pk]).get() == "skipped"
        assert len(fake.calls) == 0

    assert renewal.status == Membership.Status.PAST_DUE
    assert not Payment.objects.filter(membership=renewal).exists()


def test_without_a_saved_card_the_renewal_waits_for_payment(
    stripe_on, eager_tasks, ended, rita, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=rita.pk).update(stripe_payment_method_id="")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_callback(responses.POST, INTENTS, callback=intent_answer)
        with django_capture_on_commit_callbacks() as queued:
            assert tasks.auto_renew_task.apply().get() == 1
        assert len(fake.calls) == 0

    assert queued == []  # no charge queued
    renewal = Membership.objects.get(renewed_from__isnull=False)
    assert renewal.status == Membership.Status.PAST_DUE
    assert rita.events.filter(kind=MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED).count() == 1
