"""What erasing a member does to their memberships and payments (members.erasure): the rows
stay, so revenue and renewal figures of past periods do not change; the text typed about them
goes. A membership in force or still to start must be ended first."""

import datetime as dt

from django.db import transaction
from django.db.models import Q

from members.erasure import Refusal, eraser, keep, refusal
from members.models import Member
from memberships.models import Freeze, LedgerEntry, Membership, Payment, StripeEvent
from memberships.stripe import client as stripe_client

keep(Membership, why="plan, dates, status and price: the renewal chain analytics reads")


@refusal("memberships")
def _in_force_or_coming(member: Member, today: dt.date) -> Refusal | None:
    if member.memberships.not_cancelled().filter(end__gte=today).exists():
        return Refusal(
            "membership",
            "The member has a membership in force or starting later: cancel it first.",
        )
    return None


@eraser("memberships", covers=(Payment, StripeEvent))
def _erase_memberships(member: Member) -> None:
    # The member's Customer at Stripe holds their name, email and saved card: deleted once the
    # erasure commits (`member` is as loaded before any eraser ran, so its id is still here).
    if member.stripe_customer_id and stripe_client.enabled():
        from memberships.tasks import forget_customer_task

        customer = member.stripe_customer_id
        transaction.on_commit(lambda: forget_customer_task.delay(customer))
    # Payments keep amount, currency, date, method and status (bookkeeping law); the Stripe
    # payment id leads to the card and the name at Stripe, so it goes.
    Payment.objects.filter(member=member).exclude(stripe_payment_intent_id="").update(
        stripe_payment_intent_id=""
    )
    # Reasons are typed at the desk ("knee surgery"): free text about the person.
    Freeze.objects.filter(membership__member=member).exclude(reason="").update(reason="")
    LedgerEntry.objects.filter(Q(membership__member=member), ~Q(reason="")).update(reason="")
    # Stripe's events about them carry their name, email and card's country; the event id
    # stays, so a late repeat delivery still finds it and changes nothing, and so does the
    # link to the (now anonymous) member, as a payment's does. The payload is matched too for
    # an event stored before that link existed.
    StripeEvent.objects.filter(
        Q(member=member) | Q(payload__data__object__metadata__member=str(member.pk))
    ).update(payload={})
