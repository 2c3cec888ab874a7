"""Display filters of the desk's member card, and the few phrases the member card and the
trainer's attendance page share."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from club.display import date_range, format_price
from club.time_zones import on_club_clock
from members import timeline
from members.models import Member, MemberEvent
from memberships import dues
from memberships.models import Membership

register = template.Library()


@register.filter
def membership_state(membership: Membership, day: dt.date) -> str:
    """{{ m|membership_state:today }}: Ended, Upcoming or the stored status (state_on)."""
    return membership.state_on(day)


@register.filter
def amount_due(membership: Membership) -> Decimal:
    """{{ m|amount_due|price:currency }}: what "Take payment" takes (memberships.dues), so the
    button and the payment agree."""
    return dues.amount_due(membership)


@register.simple_tag
def dates(start: dt.date, end: dt.date, today: dt.date) -> str:
    """{% dates f.start f.end today %}: the years shown when either date is not this year's."""
    return date_range(start, end, today=today)


@register.simple_tag
def member_since(member: Member) -> str:
    """{% member_since member %}: "member since May 2024" from the first paid membership's
    start; for someone who never had one, since when the club has known them."""
    if since := member.memberships.first_paid_start():
        return f"member since {date_format(since, 'M Y')}"
    return f"since {date_format(timezone.localtime(member.created_at), 'M Y')}"


# Timeline events of a sale, whose data carries the membership's first and last day.
_MEMBERSHIP_EVENTS = {
    MemberEvent.Kind.MEMBERSHIP_STARTED,
    MemberEvent.Kind.MEMBERSHIP_RENEWED,
    MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED,
}


@register.filter
def membership_dates(event: MemberEvent) -> str:
    """A sale's timeline line names the membership's own dates ("21 May 2024 → 20 May 2025"):
    the event is dated when it was recorded (sold, or imported later), which need not be the
    day it started."""
    if event.kind not in _MEMBERSHIP_EVENTS or not event.data.get("start"):
        return ""
    start = dt.date.fromisoformat(event.data["start"])
    end = dt.date.fromisoformat(event.data["end"])
    text = f"{date_format(start)} → {date_format(end)}"
    if event.data.get("imported"):
        text += ", entered at import"
    return text


@register.filter
def paid(event: MemberEvent, currency: str) -> str:
    """What a sale or a payment brought in, as the club words money ("€39.00 paid · Cash"); ""
    for a free plan and for an automatic renewal, whose charge has a line of its own."""
    if event.kind == MemberEvent.Kind.PAYMENT_RECEIVED:
        amount, currency = event.data.get("amount"), event.data.get("currency") or currency
    elif event.kind in _MEMBERSHIP_EVENTS - {MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED}:
        amount = event.data.get("price")
    else:
        return ""
    if amount is None or not Decimal(amount):
        return ""
    text = f"{format_price(Decimal(amount), currency)} paid"
    if event.data.get("method"):
        text += f" · {timeline.label(event, 'method')}"
    return text


@register.filter
def booked_class(event: MemberEvent) -> str:
    """A class booking's timeline line names the class and when it starts, in the club's
    time ("HIIT, Wed 25 Nov 18:30"; "… 18:30 Lisbon" on a page on another clock): several
    cancelled by one freeze read apart. "" for events without a class, and for visits, whose
    line says the class its own way."""
    name, start = event.data.get("class_name"), event.data.get("start")
    if not name or event.kind == MemberEvent.Kind.VISIT:
        return ""
    if not start:
        return name
    when = dt.datetime.fromisoformat(start)
    return f"{name}, {on_club_clock(when, event.member.home_club, 'D j M H:i')}"
