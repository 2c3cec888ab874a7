"""Stripe delivers an event at least once, and may deliver it twice at the same instant (a
retry crossing a slow answer), to two web workers whose tasks then run at once. Real
transactions on PostgreSQL: exactly one membership and one payment come of it, and a renewal
at the desk at that moment makes no second, overlapping membership.

The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam (conftest).
"""

import datetime as dt
from decimal import Decimal

import pytest
import responses
from django.test import Client

from club import clock
from members.models import Member, MemberEvent
from memberships import sales
from memberships.models import Membership, Payment, StripeEvent
from memberships.stripe import events, offsession
from tests.factories import MemberFactory, MembershipFactory, PlanFactory
from tests.race import run_concurrently, run_overlapping
from tests.stripe_helpers import (
    API,
    checkout_completed,
    deliver,
    eager_tasks_fixture,  # noqa: F401 (fixture eager_tasks)
    event,
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(frozen_clock, downtown, monthly_plan):
    """A committed month, 1–30 Nov, due for renewal."""
    member = MemberFactory(home_club=downtown, status=Member.Status.MEMBER, first_name="Maya")
    return MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 11, 1))


def store(event: dict) -> StripeEvent:
    # As receive() stores it, without queueing its task.
    return StripeEvent.objects.create(
        stripe_id=event["id"], type=event["type"], payload=event, received_at=clock.now()
    )


def test_two_deliveries_of_one_event_at_once_renew_once(stripe_on, eager_tasks, month):
    # given one paid checkout, delivered twice at the same instant to two workers, each of
    # which processes what it stored as soon as it commits
    event = checkout_completed(month, intent="pi_race")

    # when
    outcome = run_concurrently(lambda: deliver(Client(), event).status_code, threads=2)

    # then both are answered 200, and the renewal and its payment are made once
    assert outcome.errors == []
    assert outcome.results == [200, 200]
    assert StripeEvent.objects.count() == 1
    assert Membership.objects.filter(member=month.member).count() == 2
    assert Membership.objects.filter(renewed_from=month).count() == 1
    assert Payment.objects.filter(stripe_payment_intent_id="pi_race").count() == 1
    assert (
        MemberEvent.objects.filter(
            member=month.member, kind=MemberEvent.Kind.MEMBERSHIP_RENEWED
        ).count()
        == 1
    )


def test_one_event_processed_by_four_workers_at_once_renews_once(stripe_on, month):
    # given a stored event whose task was queued (and redelivered) several times
    stored = store(checkout_completed(month, intent="pi_race"))

    # when four workers process it at the same instant
    outcome = run_concurrently(lambda: events.process(stored.pk), threads=4)

    # then
    assert outcome.errors == []
    assert Membership.objects.filter(renewed_from=month).count() == 1
    assert Payment.objects.filter(stripe_payment_intent_id="pi_race").count() == 1
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.attempts == 1


def test_a_desk_renewal_at_the_same_moment_makes_no_second_membership(stripe_on, month):
    # given a paid checkout stored and about to be processed
    stored = store(checkout_completed(month, intent="pi_race"))
    current = Membership.objects.select_related("member__home_club", "plan").get(pk=month.pk)

    # when the desk renews in a transaction still open as the worker processes the event
    outcome = run_overlapping(
        lambda: sales.renew(current, method=Payment.Method.CASH),
        lambda: events.process(stored.pk),
    )

    # then the desk's renewal stands alone, and the online payment waits for a manager
    assert outcome.errors == []
    assert Membership.objects.filter(member=month.member).count() == 2
    online = Payment.objects.get(stripe_payment_intent_id="pi_race")
    assert online.membership is None
    assert month.member.tasks.get().title.startswith("Refund or keep €49.00")


def test_a_saved_cards_charge_and_its_webhook_at_once_pay_the_renewal_once(
    stripe_on, frozen_clock, downtown
):
    # given an unpaid automatic renewal of a member with a saved card, and Stripe's
    # payment_intent.succeeded for its charge stored while the charge's own answer comes back
    member = MemberFactory(
        home_club=downtown,
        first_name="Rita",
        stripe_customer_id="cus_rita",
        stripe_payment_method_id="pm_visa",
    )
    plan = PlanFactory(club=downtown, price=Decimal("39.00"), auto_renew=True)
    renewal = MembershipFactory(
        member=member, plan=plan, start=dt.date(2026, 11, 23), status=Membership.Status.PAST_DUE
    )
    intent = {
        "id": "pi_race",
        "object": "payment_intent",
        "amount": 3900,
        "amount_received": 3900,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {
            "member": str(member.pk),
            "membership": str(renewal.pk),
            "plan": str(plan.pk),
            "purpose": "auto_renewal",
        },
    }
    stored = store(event("payment_intent.succeeded", intent, event_id="evt_race"))
    both = iter([lambda: events.process(stored.pk), lambda: offsession.charge(renewal.pk)])

    # when a worker processes the event as the charge task records Stripe's answer
    with responses.RequestsMock() as fake:
        fake.post(f"{API}/v1/payment_intents", json=intent)
        outcome = run_concurrently(lambda: next(both)(), threads=2)

    # then the renewal is paid once
    assert outcome.errors == []
    renewal.refresh_from_db()
    assert renewal.status == Membership.Status.ACTIVE
    assert Payment.objects.filter(stripe_payment_intent_id="pi_race").count() == 1
    assert Payment.objects.filter(member=member).count() == 1
    assert (
        MemberEvent.objects.filter(member=member, kind=MemberEvent.Kind.PAYMENT_RECEIVED).count()
        == 1
    )
