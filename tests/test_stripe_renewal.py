"""Renewing online: the portal's "Renew online" opens a Stripe Checkout for the member's own
membership, and Stripe's signed `checkout.session.completed` renews it exactly once; a failed
payment is one timeline event and no membership; bad deliveries are refused, storing nothing.

The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam. Maya's month runs 1–30 Nov, so
the portal offers its renewal.
"""

import datetime as dt
import json
import re
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.urls import reverse
from wagtail.models import Site

from members import erasure, timeline
from members.models import MemberEvent, Task
from memberships import sales
from memberships.models import Membership, Payment, StripeEvent
from memberships.tasks import retry_stripe_events_task
from tests.factories import MemberFactory, MembershipFactory, PlanFactory
from tests.stripe_helpers import (
    API,
    CHECKOUT_URL,
    WEBHOOK,
    checkout_completed,
    deliver,
    eager_tasks_fixture,  # noqa: F401 (fixture eager_tasks)
    event,
    payment_failed,
    signed,
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)
from tests.test_portal import sign_in

TODAY = dt.date(2026, 11, 23)
SESSIONS = f"{API}/v1/checkout/sessions"


@pytest.fixture
def month(frozen_clock, maya_membership):
    """Maya's month, moved to 1–30 Nov: seven days left, in its second half."""
    Membership.objects.filter(pk=maya_membership.pk).update(
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    maya_membership.refresh_from_db()
    return maya_membership


@pytest.fixture
def portal(client, month, maya):
    return sign_in(client, maya)


@pytest.fixture
def fake_stripe():
    with responses.RequestsMock() as mock:
        mock.post(
            SESSIONS, json={"id": "cs_test_1", "object": "checkout.session", "url": CHECKOUT_URL}
        )
        yield mock


@pytest.fixture
def webhook(client, frozen_clock, django_capture_on_commit_callbacks, eager_tasks):
    """Deliver an event and run what its commit queued (the processing task, eagerly)."""

    def send(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, payload, **kwargs)

    return send


def sent_params(mock) -> dict[str, str]:
    body = mock.calls[-1].request.body
    return {key: values[0] for key, values in parse_qs(body).items()}


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- the portal --------------------------------------------------------------------------


def test_renew_online_opens_a_checkout_at_the_plans_price_and_sends_the_member_there(
    stripe_on,
    portal,
    fake_stripe,
    maya,
    month,
):
    page = portal.get(reverse("portal:membership"))
    assert "Renew online · €49.00" in words(page)

    response = portal.post(reverse("portal:renew_online", args=[month.pk]))

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    params = sent_params(fake_stripe)
    ids = {"member": str(maya.pk), "membership": str(month.pk), "plan": str(month.plan_id)}
    assert params == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "4900",
        "line_items[0][price_data][product_data][name]": "Monthly (Downtown)",
        "line_items[0][quantity]": "1",
        "client_reference_id": f"membership-{month.pk}",
        **{f"metadata[{key}]": value for key, value in ids.items()},
        **{f"payment_intent_data[metadata][{key}]": value for key, value in ids.items()},
        "success_url": "https://club.example.com/account/membership/paid/"
        "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://club.example.com/account/membership/#renew",
        "customer_email": "maya.jansen@example.com",
    }
    assert fake_stripe.calls[-1].request.headers["Idempotency-Key"].startswith(f"renew-{month.pk}-")
    assert not Payment.objects.filter(method=Payment.Method.STRIPE).exists()


def test_stripe_sends_the_member_back_to_the_site_they_paid_from(
    stripe_on, portal, fake_stripe, month
):
    default = Site.objects.get(is_default_site=True)
    Site.objects.create(hostname="127.0.0.1", port=8073, root_page=default.root_page)

    portal.post(reverse("portal:renew_online", args=[month.pk]), HTTP_HOST="127.0.0.1:8073")

    # Not SITE_URL (club.example.com): the portal's session is on this host.
    params = sent_params(fake_stripe)
    assert params["success_url"] == (
        "http://127.0.0.1:8073/account/membership/paid/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "http://127.0.0.1:8073/account/membership/#renew"


def test_clicking_twice_asks_stripe_for_the_same_session(stripe_on, portal, fake_stripe, month):
    portal.post(reverse("portal:renew_online", args=[month.pk]))
    portal.post(reverse("portal:renew_online", args=[month.pk]))

    first, second = (call.request.headers["Idempotency-Key"] for call in fake_stripe.calls)
    assert first == second


def test_a_plan_with_a_stripe_price_is_sold_at_that_price(stripe_on, portal, fake_stripe, month):
    month.plan.stripe_price_id = "price_monthly"
    month.plan.save()

    portal.post(reverse("portal:renew_online", args=[month.pk]))

    params = sent_params(fake_stripe)
    assert params["line_items[0][price]"] == "price_monthly"
    assert not any("price_data" in key for key in params)


def test_a_plan_with_a_stripe_price_promises_no_amount_of_its_own(stripe_on, portal, month):
    # Stripe charges its price's amount, which the plan's price need not match.
    month.plan.stripe_price_id = "price_monthly"
    month.plan.price = Decimal("45.00")
    month.plan.save()

    page = words(portal.get(reverse("portal:membership")))

    assert "Renew online Pay by card on Stripe's secure page, which shows the amount before " in (
        page.replace("&#x27;", "'")
    )
    assert "Renew online ·" not in page
    assert "€45.00" not in page


def test_stripe_down_is_said_and_charges_nothing(stripe_on, portal, month):
    with responses.RequestsMock() as mock:
        mock.post(SESSIONS, status=500, json={"error": {"message": "Something went wrong"}})
        response = portal.post(reverse("portal:renew_online", args=[month.pk]), follow=True)

    assert response.redirect_chain == [(reverse("portal:membership"), 302)]
    assert "Online payment is not available right now: nothing was charged." in words(response)


@pytest.mark.parametrize("whose", ["another member's", "not due for renewal"])
def test_only_the_membership_the_page_offers_can_be_renewed_online(
    stripe_on,
    client,
    frozen_clock,
    maya,
    maya_membership,
    tom_berg,
    whose,
):
    # Maya's month has 19 days left: not offered yet; Tom Berg's ended and is his to renew.
    sign_in(client, maya)
    membership = tom_berg.memberships.get() if whose == "another member's" else maya_membership

    with responses.RequestsMock():  # any call to Stripe would fail the test
        response = client.post(reverse("portal:renew_online", args=[membership.pk]))

    assert response.status_code == 404


def test_renewing_online_needs_a_post(stripe_on, portal, month):
    assert portal.get(reverse("portal:renew_online", args=[month.pk])).status_code == 405


def test_without_stripe_the_page_says_desk_or_phone_and_nothing_calls_stripe(portal, month):
    page = portal.get(reverse("portal:membership"))

    with responses.RequestsMock():
        renew = portal.post(reverse("portal:renew_online", args=[month.pk]))
        hook = deliver(portal, checkout_completed(month))

    assert "Renew online" not in words(page)
    assert "Pay at the front desk of Downtown on your next visit" in words(page)
    assert renew.status_code == 404
    assert hook.status_code == 404
    assert not StripeEvent.objects.exists()


def test_a_trial_is_never_offered_online(stripe_on, client, frozen_clock, downtown):
    member = MemberFactory(home_club=downtown)
    trial = MembershipFactory(
        member=member,
        plan=PlanFactory(club=downtown, trial=True),
        start=TODAY - dt.timedelta(days=20),
    )
    sign_in(client, member)

    assert client.post(reverse("portal:renew_online", args=[trial.pk])).status_code == 404


def test_the_success_page_promises_nothing_it_cannot_know(stripe_on, portal, month):
    response = portal.get(reverse("portal:renew_paid") + "?session_id=cs_forged&paid=1")

    assert "Stripe is confirming your payment to us." in words(response)
    assert "Payment received" not in words(response)
    assert month.member.memberships.count() == 1
    assert not Payment.objects.filter(method=Payment.Method.STRIPE).exists()


def test_the_success_page_says_what_the_processed_payment_renewed(
    stripe_on, webhook, month, maya, client
):
    webhook(checkout_completed(month, intent="pi_maya"))  # its session is cs_test_1
    sign_in(client, maya)

    page = words(client.get(reverse("portal:renew_paid") + "?session_id=cs_test_1"))
    other = words(client.get(reverse("portal:renew_paid") + "?session_id=cs_test_2"))

    assert "Payment received: your Monthly runs from 1 Dec 2026 to 30 Dec 2026." in page
    assert "Stripe is confirming your payment to us." in other


@pytest.mark.parametrize("query", ["", "?session_id=", "?session_id=x1"])
def test_the_success_page_without_a_payment_page_is_the_membership_page(stripe_on, portal, query):
    response = portal.get(reverse("portal:renew_paid") + query)

    assert (response.status_code, response["Location"]) == (302, reverse("portal:membership"))


def test_the_success_page_without_stripe_is_the_membership_page(portal):
    response = portal.get(reverse("portal:renew_paid") + "?session_id=cs_test_1")

    assert (response.status_code, response["Location"]) == (302, reverse("portal:membership"))


# --- the webhook ---------------------------------------------------------------------------


def test_a_paid_checkout_renews_the_membership_with_an_online_payment(
    stripe_on,
    webhook,
    month,
    maya,
):
    response = webhook(checkout_completed(month, intent="pi_maya"))

    assert response.status_code == 200
    renewal = Membership.objects.get(renewed_from=month)
    assert (renewal.start, renewal.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 30))
    assert renewal.price_paid == Decimal("49.00")
    payment = Payment.objects.get(membership=renewal)
    assert (payment.method, payment.status, payment.stripe_payment_intent_id, payment.amount) == (
        Payment.Method.STRIPE,
        Payment.Status.SUCCEEDED,
        "pi_maya",
        Decimal("49.00"),
    )
    kinds = list(maya.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [MemberEvent.Kind.MEMBERSHIP_RENEWED, MemberEvent.Kind.PAYMENT_RECEIVED]
    received = maya.events.get(kind=MemberEvent.Kind.PAYMENT_RECEIVED)
    assert received.data == {
        "payment": payment.pk,
        "membership": renewal.pk,
        "amount": "49.00",
        "currency": "EUR",
        "method": "stripe",
    }
    stored = StripeEvent.objects.get()
    assert (stored.stripe_id, stored.type, stored.attempts, stored.error) == (
        "evt_1",
        "checkout.session.completed",
        1,
        "",
    )
    assert stored.processed_at is not None


def test_the_same_event_delivered_twice_renews_once(stripe_on, webhook, month, maya):
    first = webhook(checkout_completed(month))
    again = webhook(checkout_completed(month))

    assert (first.status_code, again.status_code) == (200, 200)
    assert maya.memberships.count() == 2
    assert Payment.objects.filter(stripe_payment_intent_id="pi_1").count() == 1
    assert StripeEvent.objects.count() == 1


def test_two_events_for_one_payment_renew_once(stripe_on, webhook, month, maya):
    # The payment itself is the guard, not only the event id: a bank debit's session sends
    # completed (unpaid, ignored) and later async_payment_succeeded; a replayed copy under a
    # new id must not renew again either.
    webhook(checkout_completed(month, event_id="evt_1"))
    webhook(
        checkout_completed(month, event_id="evt_2", kind="checkout.session.async_payment_succeeded")
    )

    assert maya.memberships.count() == 2
    assert Payment.objects.filter(stripe_payment_intent_id="pi_1").count() == 1
    assert not Task.objects.exists()


def test_a_bank_debit_renews_when_it_is_paid_not_when_the_checkout_closes(
    stripe_on,
    webhook,
    month,
    maya,
):
    webhook(checkout_completed(month, payment_status="unpaid"))
    assert maya.memberships.count() == 1

    webhook(
        checkout_completed(month, event_id="evt_2", kind="checkout.session.async_payment_succeeded")
    )
    assert Membership.objects.filter(renewed_from=month).exists()


def test_an_ended_membership_renewed_online_starts_today(stripe_on, webhook, tom_berg):
    ended = tom_berg.memberships.get()

    webhook(checkout_completed(ended))

    new = tom_berg.memberships.exclude(pk=ended.pk).get()
    assert new.start == TODAY
    assert new.payments.get().method == Payment.Method.STRIPE


def test_renewed_at_the_desk_meanwhile_the_payment_is_kept_and_a_manager_decides(
    stripe_on,
    webhook,
    month,
    maya,
):
    desk = sales.renew(month, method=Payment.Method.CASH)

    webhook(checkout_completed(month, intent="pi_late"))

    assert list(maya.memberships.order_by("start")) == [month, desk]
    payment = Payment.objects.get(stripe_payment_intent_id="pi_late")
    assert (payment.membership, payment.status, payment.amount) == (
        None,
        Payment.Status.SUCCEEDED,
        Decimal("49.00"),
    )
    task = Task.objects.get(member=maya)
    assert task.title == "Refund or keep €49.00 paid online by Maya"
    assert task.assigned_role == "Manager"
    assert "This membership was already renewed." in task.details
    received = maya.events.get(kind=MemberEvent.Kind.PAYMENT_RECEIVED)
    assert received.data["renewed"] is False


def test_a_failed_payment_is_one_timeline_event_and_no_membership(stripe_on, webhook, month, maya):
    webhook(payment_failed(month, event_id="evt_f1"))
    # the member tries another card on the same page, and it fails too
    webhook(payment_failed(month, event_id="evt_f2"))

    failed = maya.events.get(kind=MemberEvent.Kind.PAYMENT_FAILED)
    assert failed.data == {
        "membership": month.pk,
        "amount": "49.00",
        "currency": "EUR",
        "reason": "insufficient_funds",
        "method": "stripe",
        "payment_intent": "pi_1",
    }
    assert timeline.label(failed, "reason") == "Insufficient funds"
    assert maya.memberships.count() == 1
    assert not Payment.objects.filter(stripe_payment_intent_id="pi_1").exists()


def test_a_failure_delivered_after_the_payment_went_through_is_left_out(
    stripe_on,
    webhook,
    month,
    maya,
):
    # Any order: the second card paid, and the first card's failure arrives afterwards.
    webhook(checkout_completed(month))
    webhook(payment_failed(month))

    assert not maya.events.filter(kind=MemberEvent.Kind.PAYMENT_FAILED).exists()
    assert maya.memberships.count() == 2


@pytest.mark.parametrize(
    "body, signature",
    [
        pytest.param(None, "t=1795453200,v1=" + "0" * 64, id="bad signature"),
        pytest.param(None, "", id="no signature"),
        pytest.param(None, "wrong-secret", id="signed with another secret"),
        pytest.param("{not json", None, id="malformed JSON"),
        pytest.param('{"object": "event"}', None, id="no event id"),
        pytest.param("[]", None, id="not an object"),
    ],
)
def test_a_bad_delivery_is_a_400_and_stores_nothing(
    stripe_on,
    webhook,
    month,
    maya,
    body,
    signature,
    caplog,
):
    payload = body if body is not None else json.dumps(checkout_completed(month))
    if signature == "wrong-secret":
        signature = signed(payload, secret="whsec_someone_else")

    response = webhook(payload, signature=signature)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert maya.memberships.count() == 1
    assert "Stripe webhook refused" in caplog.text


def test_the_webhook_takes_only_posts(stripe_on, client):
    assert client.get(WEBHOOK).status_code == 405


def test_an_unknown_event_type_is_stored_answered_and_ignored(stripe_on, webhook, month, maya):
    events_before = maya.events.count()

    response = webhook(event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.type, stored.processed_at is not None) == ("customer.created", True)
    assert maya.events.count() == events_before
    assert maya.memberships.count() == 1


def test_a_checkout_not_opened_by_the_portal_is_ignored(stripe_on, webhook, month, maya):
    foreign = checkout_completed(month)
    foreign["data"]["object"]["metadata"] = {}

    assert webhook(foreign).status_code == 200
    assert maya.memberships.count() == 1
    assert StripeEvent.objects.get().processed_at is not None


def test_an_event_whose_task_was_lost_is_processed_by_the_sweep(
    stripe_on,
    client,
    month,
    maya,
    frozen_clock,
):
    # Delivered, stored and committed, but its task never ran (the broker lost it).
    deliver(client, checkout_completed(month))
    assert maya.memberships.count() == 1
    frozen_clock.shift(dt.timedelta(minutes=6))

    assert retry_stripe_events_task() == 1
    assert retry_stripe_events_task() == 0
    assert Membership.objects.filter(renewed_from=month).count() == 1


def test_erasing_a_member_blanks_their_stripe_events_but_keeps_the_ids(
    stripe_on,
    client,
    frozen_clock,
    tom_berg,
    max,
):
    deliver(client, payment_failed(tom_berg.memberships.get(), event_id="evt_tom"))
    deliver(client, event("customer.created", {"id": "cus_1"}, event_id="evt_other"))

    erasure.erase(tom_berg, by=max, reason="Asked at the desk")

    assert dict(StripeEvent.objects.values_list("stripe_id", "payload__id")) == {
        "evt_tom": None,
        "evt_other": "evt_other",
    }
