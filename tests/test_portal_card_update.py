"""Putting a new card on file from the member portal after the saved card was declined for an
automatic renewal: "Replace card" (or "Add a card") opens Stripe Checkout in setup mode on the
member's own Customer; the signed webhook for the completed session saves the SetupIntent's card
in place of the old one (detached after the commit), and the declined renewal is charged once
to the new card under a key of its own. The desk's card says when the card on file was last
declined.

Stripe's API is faked at the HTTP layer (`responses`); webhooks are signed with the SDK's
helper. The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam (17:00 UTC).
"""

import datetime as dt
import json
from decimal import Decimal

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
    deliver,
    eager_tasks_fixture,  # noqa: F401 (fixture eager_tasks)
    event,
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)
from tests.test_portal import sign_in
from tests.test_portal_saved_card import words
from tests.test_stripe_offsession import (
    INTENTS,
    YESTERDAY,
    declined,
    form,
    intent_answer,
    renew_now,
    with_card,
)

SETUP_URL = "https://checkout.stripe.test/c/setup/cs_test_setup"
SESSIONS = f"{API}/v1/checkout/sessions"
SETUP_INTENT = f"{API}/v1/setup_intents/seti_1"
DETACH_OLD = f"{API}/v1/payment_methods/pm_visa/detach"
# 17:10 UTC: Rita opened Stripe's page ten minutes after her card was declined.
SET_UP_AT = int(dt.datetime(2026, 11, 23, 17, 10, tzinfo=dt.UTC).timestamp())
AT_SETUP = dt.datetime.fromtimestamp(SET_UP_AT, dt.UTC)
AFTER_SETUP = dt.datetime(2026, 11, 23, 17, 15, tzinfo=dt.UTC)


def setup_intent(**changes) -> dict:
    intent = {
        "id": "seti_1",
        "object": "setup_intent",
        "status": "succeeded",
        "usage": "off_session",
        "created": SET_UP_AT,
        "customer": "cus_rita",
        "payment_method": {
            "id": "pm_master",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "mastercard", "last4": "4444", "exp_month": 1, "exp_year": 2031},
        },
    }
    return {**intent, **changes}


def setup_completed(member: Member, *, event_id: str = "evt_setup", **changes) -> dict:
    session = {
        "id": "cs_test_setup",
        "object": "checkout.session",
        "mode": "setup",
        "status": "complete",
        "payment_status": "no_payment_required",
        "customer": "cus_rita",
        "setup_intent": "seti_1",
        "metadata": {"member": str(member.pk), "purpose": "card_update"},
    }
    return event("checkout.session.completed", {**session, **changes}, event_id=event_id)


def retry_answer(request, *, status="succeeded"):
    """Stripe's answer to the retry: a PaymentIntent of its own (the declined one was pi_auto)."""
    code, headers, body = intent_answer(request, status=status)
    return code, headers, json.dumps({**json.loads(body), "id": "pi_retry"})


def retry_declined(request):
    code, headers, body = declined(request, code="card_declined", decline_code="do_not_honor")
    answer = json.loads(body)
    answer["error"]["payment_intent"]["id"] = "pi_retry"
    return code, headers, json.dumps(answer)


@pytest.fixture
def webhook(client, frozen_clock, django_capture_on_commit_callbacks, eager_tasks):
    """Deliver an event and run what its commit queued (processing, saving, charging)."""

    def send(payload):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, payload)

    return send


@pytest.fixture
def rita(frozen_clock, downtown):
    """A member with a Visa saved on 1 Nov (with_card: Customer cus_rita, card pm_visa)."""
    return with_card(MemberFactory(home_club=downtown, first_name="Rita", last_name="Vos"))


@pytest.fixture
def ended(rita, downtown):
    """Rita's rolling month, auto-renew on, whose last day was yesterday."""
    rolling = PlanFactory(
        club=downtown, name="Rolling monthly", price=Decimal("39.00"), auto_renew=True
    )
    return MembershipFactory(
        member=rita, plan=rolling, start=YESTERDAY - dt.timedelta(days=29), auto_renew=True
    )


@pytest.fixture
def declined_renewal(stripe_on, eager_tasks, ended, rita, django_capture_on_commit_callbacks):
    """Rita's rolling month renewed automatically today, and her saved Visa declined for it."""
    with responses.RequestsMock() as fake:
        fake.add_callback(responses.POST, INTENTS, callback=declined)
        renewal = renew_now(django_capture_on_commit_callbacks)
    assert renewal.status == Membership.Status.PAST_DUE
    return renewal


@pytest.fixture
def renewing_without_card(frozen_clock, maya_membership, maya):
    """Maya's month, 1–30 Nov, renewing automatically, and no card on file."""
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()
    Membership.objects.filter(pk=maya_membership.pk).update(
        auto_renew=True, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    return maya


# --- the portal's buttons and Stripe's page --------------------------------------------------


def test_a_declined_card_is_said_with_replace_card(client, declined_renewal, rita):
    page = words(sign_in(client, rita).get(reverse("portal:membership")))

    assert "Your Visa ending 4242 is charged when a membership renews automatically." in page
    assert "Declined on 23 Nov 2026. Replace your card: an automatic renewal still" in page
    assert "Replace card" in page
    assert "Add a card" not in page


def test_with_auto_renew_on_and_no_card_the_portal_offers_to_add_one(
    stripe_on, client, renewing_without_card
):
    page = words(sign_in(client, renewing_without_card).get(reverse("portal:membership")))

    assert "No card saved: automatic renewals wait for you to pay at the front desk." in page
    assert "Add a card" in page
    assert "Replace card" not in page


def test_replace_card_opens_stripe_checkout_in_setup_mode_on_the_members_customer(
    client, declined_renewal, rita
):
    portal = sign_in(client, rita)

    with responses.RequestsMock() as fake:  # no Customer made: Rita has one
        fake.post(SESSIONS, json={"id": "cs_test_setup", "url": SETUP_URL})
        response = portal.post(reverse("portal:update_card"))
        (session,) = fake.calls

    assert (response.status_code, response["Location"]) == (303, SETUP_URL)
    assert form(session) == {
        "mode": "setup",
        "customer": "cus_rita",
        "currency": "eur",
        "payment_method_types[0]": "card",
        "client_reference_id": f"member-{rita.pk}",
        "metadata[member]": str(rita.pk),
        "metadata[purpose]": "card_update",
        "setup_intent_data[metadata][member]": str(rita.pk),
        "setup_intent_data[metadata][purpose]": "card_update",
        "success_url": "https://club.example.com/account/membership/card/saved/"
        "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://club.example.com/account/membership/card/cancelled/",
    }
    assert session.request.headers["Idempotency-Key"].startswith(f"card-{rita.pk}-")
    rita.refresh_from_db()
    assert rita.stripe_payment_method_id == "pm_visa"  # nothing changes until Stripe says so


def test_add_a_card_makes_the_members_customer_first(stripe_on, client, renewing_without_card):
    maya = renewing_without_card
    with responses.RequestsMock() as fake:
        fake.post(f"{API}/v1/customers", json={"id": "cus_maya", "object": "customer"})
        fake.post(SESSIONS, json={"id": "cs_test_setup", "url": SETUP_URL})
        response = sign_in(client, maya).post(reverse("portal:update_card"))
        customer, session = fake.calls

    assert response.status_code == 303
    assert customer.request.headers["Idempotency-Key"] == f"customer-member-{maya.pk}"
    assert form(session)["customer"] == "cus_maya"
    maya.refresh_from_db()
    assert maya.stripe_customer_id == "cus_maya"


def test_no_card_to_replace_and_nothing_renewing_is_a_404(
    stripe_on, client, frozen_clock, maya_membership, maya
):
    with responses.RequestsMock():  # Stripe is not asked
        response = sign_in(client, maya).post(reverse("portal:update_card"))
        page = words(client.get(reverse("portal:membership")))

    assert response.status_code == 404
    assert "Add a card" not in page


def test_stripe_down_leaves_the_card_as_it_is(client, declined_renewal, rita):
    with responses.RequestsMock() as fake:
        fake.post(SESSIONS, status=500, json={"error": {"message": "Something went wrong"}})
        response = sign_in(client, rita).post(reverse("portal:update_card"), follow=True)

    assert response.redirect_chain == [(reverse("portal:membership"), 302)]
    assert "Stripe cannot be reached right now: your card on file is unchanged." in words(response)


def test_replacing_the_card_needs_a_signed_in_member_and_a_post(client, declined_renewal, rita):
    signed_out = client.post(reverse("portal:update_card"))
    get = sign_in(client, rita).get(reverse("portal:update_card"))

    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("portal:login"))
    assert get.status_code == 405


def test_leaving_stripes_page_says_nothing_changed(client, declined_renewal, rita):
    response = sign_in(client, rita).get(reverse("portal:card_cancelled"), follow=True)

    assert "No new card was saved: your card on file is unchanged." in words(response)
    rita.refresh_from_db()
    assert (rita.stripe_payment_method_id, rita.card_last4) == ("pm_visa", "4242")


# --- the webhook saves the card and charges the declined renewal ----------------------------


def test_the_new_card_replaces_the_old_and_pays_the_declined_renewal_once(
    frozen_clock, webhook, declined_renewal, rita, desk
):
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        fake.add_callback(responses.POST, INTENTS, callback=retry_answer)

        first = webhook(setup_completed(rita))
        webhook(setup_completed(rita))  # delivered twice
        webhook(setup_completed(rita, event_id="evt_setup_again"))  # and under another id
        calls = [(call.request.method, call.request.url.split("?")[0]) for call in fake.calls]
        charge = next(call for call in fake.calls if call.request.url == INTENTS)

    # Stripe was asked which card, twice (once per event); the old card detached, one charge
    assert first.status_code == 200
    assert sorted(calls) == [
        ("GET", SETUP_INTENT),
        ("GET", SETUP_INTENT),
        ("POST", INTENTS),
        ("POST", DETACH_OLD),
    ]
    rita.refresh_from_db()
    assert (
        rita.stripe_customer_id,
        rita.stripe_payment_method_id,
        rita.card_brand,
        rita.card_last4,
        rita.card_changed_at,
    ) == ("cus_rita", "pm_master", "mastercard", "4444", AT_SETUP)
    saved = rita.events.get(kind=MemberEvent.Kind.CARD_SAVED)
    assert saved.data == {
        "brand": "mastercard",
        "last4": "4444",
        "source": "portal",
        "setup_intent": "seti_1",
    }
    # the retry went to the new card under a key of its own, not the declined attempt's
    assert form(charge)["payment_method"] == "pm_master"
    assert charge.request.headers["Idempotency-Key"] == (
        f"auto-renewal-{declined_renewal.pk}-pm_master"
    )
    declined_renewal.refresh_from_db()
    assert declined_renewal.status == Membership.Status.ACTIVE
    payment = Payment.objects.get(membership=declined_renewal)
    assert payment.stripe_payment_intent_id == "pi_retry"
    assert StripeEvent.objects.get(stripe_id="evt_setup").note == (
        "Card set up in the member portal: it replaces the saved card."
    )
    # and the card is no longer said to be declined
    assert saved_cards.declined_at(rita) is None
    assert "declined" not in words(desk.get(reverse("desk:member", args=[rita.pk])))


def test_the_retry_run_twice_charges_once(
    frozen_clock, webhook, declined_renewal, rita, django_capture_on_commit_callbacks
):
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        # a debit Stripe is still processing: the renewal stays unpaid until its webhook
        fake.add_callback(
            responses.POST, INTENTS, callback=lambda r: retry_answer(r, status="processing")
        )
        webhook(setup_completed(rita))
        again = tasks.charge_renewal_task.apply(args=[declined_renewal.pk, "pm_master"]).get()
        charges = [call for call in fake.calls if call.request.url == INTENTS]
        keys = [call.request.headers["Idempotency-Key"] for call in charges]

    # the second run asks under the same key: Stripe answers the first attempt, charges once
    assert again == "pending"
    assert keys == [f"auto-renewal-{declined_renewal.pk}-pm_master"] * 2


def test_a_new_card_does_not_pay_a_declined_month_that_is_over(
    frozen_clock, webhook, declined_renewal, rita
):
    # The declined month ran out unpaid (an unpaid membership admits no one): it is a debt for
    # staff to settle, not something a new card is charged for.
    Membership.objects.filter(pk=declined_renewal.pk).update(
        start=YESTERDAY - dt.timedelta(days=29), end=YESTERDAY
    )
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        fake.add_callback(responses.POST, INTENTS, callback=retry_answer)
        webhook(setup_completed(rita))
        charges = [call for call in fake.calls if call.request.url == INTENTS]

    assert charges == []

    rita.refresh_from_db()
    assert rita.stripe_payment_method_id == "pm_master"
    declined_renewal.refresh_from_db()
    assert declined_renewal.status == Membership.Status.PAST_DUE
    assert not Payment.objects.filter(membership=declined_renewal).exists()


def test_a_retry_for_a_card_replaced_since_is_skipped(frozen_clock, declined_renewal, rita):
    with responses.RequestsMock():  # Stripe is not asked
        result = tasks.charge_renewal_task.apply(args=[declined_renewal.pk, "pm_older"]).get()

    assert result == "skipped"


def test_a_decline_on_the_retry_keeps_the_new_card_and_says_when(
    frozen_clock, webhook, declined_renewal, rita, desk
):
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        fake.add_callback(responses.POST, INTENTS, callback=retry_declined)
        webhook(setup_completed(rita))

    declined_renewal.refresh_from_db()
    assert declined_renewal.status == Membership.Status.PAST_DUE
    assert not Payment.objects.filter(membership=declined_renewal).exists()
    failures = rita.events.filter(kind=MemberEvent.Kind.PAYMENT_FAILED).order_by("at", "pk")
    assert [(f.data["payment_intent"], f.data["reason"]) for f in failures] == [
        ("pi_auto", "insufficient_funds"),
        ("pi_retry", "do_not_honor"),
    ]
    rita.refresh_from_db()
    assert (rita.stripe_payment_method_id, rita.card_last4) == ("pm_master", "4444")
    assert saved_cards.declined_at(rita) == AFTER_SETUP
    card = words(desk.get(reverse("desk:member", args=[rita.pk])))
    assert "saved card ending 4444 declined 23 Nov 2026" in card


def test_the_desk_card_says_when_the_card_on_file_was_declined(declined_renewal, rita, desk):
    card = words(desk.get(reverse("desk:member", args=[rita.pk])))

    assert "unpaid · saved card ending 4242 declined 23 Nov 2026" in card


def test_a_session_on_someone_elses_customer_saves_nothing(
    frozen_clock, webhook, declined_renewal, rita
):
    with responses.RequestsMock():  # Stripe is not asked which card
        webhook(setup_completed(rita, customer="cus_someone_else"))

    rita.refresh_from_db()
    assert rita.stripe_payment_method_id == "pm_visa"
    assert not rita.events.filter(kind=MemberEvent.Kind.CARD_SAVED).exists()
    stored = StripeEvent.objects.get(stripe_id="evt_setup")
    assert (stored.outcome, stored.note) == (
        StripeEvent.Outcome.IGNORED,
        "A card set up on another customer than the member's: not saved.",
    )


@pytest.mark.parametrize(
    "intent",
    [
        pytest.param(setup_intent(customer="cus_someone_else"), id="another customer's"),
        pytest.param(setup_intent(status="requires_payment_method"), id="not set up"),
        pytest.param(setup_intent(usage="on_session"), id="not for off-session use"),
        pytest.param(setup_intent(created=SET_UP_AT - 86400 * 30), id="older than the card"),
    ],
)
def test_a_setup_that_did_not_set_up_the_members_card_saves_nothing(
    stripe_on, frozen_clock, rita, intent
):
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=intent)

        assert saved_cards.save_from_setup(rita.pk, "seti_1") is False

    rita.refresh_from_db()
    assert (rita.stripe_payment_method_id, rita.card_last4) == ("pm_visa", "4242")
    assert not rita.events.filter(kind=MemberEvent.Kind.CARD_SAVED).exists()


# --- back from Stripe's page -------------------------------------------------------------


def test_back_from_stripe_the_member_is_told_the_new_card_once_it_is_saved(
    frozen_clock, webhook, declined_renewal, rita, client
):
    portal = sign_in(client, rita)
    back = reverse("portal:card_saved") + "?session_id=cs_test_setup"
    before = words(portal.get(back, follow=True))
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        fake.add_callback(responses.POST, INTENTS, callback=retry_answer)
        webhook(setup_completed(rita))

    after = words(portal.get(back, follow=True))

    assert "Stripe is confirming your new card" in before
    assert "Your Mastercard ending 4444 is saved: automatic renewals are charged to it." in after
    assert "Declined on" not in after


def test_another_members_session_says_nothing_of_it(
    frozen_clock, webhook, declined_renewal, rita, maya, client
):
    frozen_clock.move_to(AFTER_SETUP)
    with responses.RequestsMock() as fake:
        fake.get(SETUP_INTENT, json=setup_intent())
        fake.post(DETACH_OLD, json={"id": "pm_visa"})
        fake.add_callback(responses.POST, INTENTS, callback=retry_answer)
        webhook(setup_completed(rita))

    page = words(
        sign_in(client, maya).get(
            reverse("portal:card_saved") + "?session_id=cs_test_setup", follow=True
        )
    )

    assert "4444" not in page
    assert "Stripe is confirming your new card" in page


# --- without Stripe --------------------------------------------------------------------------


def test_without_stripe_there_is_no_card_to_replace_or_add(
    client, frozen_clock, renewing_without_card
):
    maya = renewing_without_card
    Member.objects.filter(pk=maya.pk).update(
        stripe_customer_id="cus_maya",
        stripe_payment_method_id="pm_visa",
        card_brand="visa",
        card_last4="4242",
    )
    portal = sign_in(client, maya)

    with responses.RequestsMock():  # nothing calls Stripe
        page = words(portal.get(reverse("portal:membership")))
        post = portal.post(reverse("portal:update_card"))
        back = portal.get(reverse("portal:card_saved") + "?session_id=cs_test_setup", follow=True)

    assert "Replace card" not in page
    assert "Add a card" not in page
    assert post.status_code == 404
    assert "Stripe is confirming" not in words(back)
