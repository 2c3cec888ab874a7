"""What the portal shows a member, read through that member only."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import ngettext

from checkin import bookings
from checkin.models import Booking
from club import clock
from club.models import Club
from members.models import Member, MemberEvent
from memberships import dues, renewal_timing, sales
from memberships.models import Freeze, Membership, Plan
from memberships.stripe import checkout
from memberships.stripe.saved_cards import SavedCard

# The member's pace is measured over the last eight weeks.
PACE_WINDOW_DAYS = 56
# ...but never over less than a week: two visits on the day someone joins are not a pace.
PACE_MIN_DAYS = 7

UPCOMING_STATUSES = (Booking.Status.BOOKED, Booking.Status.WAITLISTED)


@dataclass(frozen=True)
class PackPace:
    visits_left: int
    visits_in_window: int
    window_days: int
    # The window less the days a membership of the member's was frozen.
    pace_days: int
    # None when the member has no visits in the window: there is no pace to go by.
    runs_out_on: dt.date | None
    # The pack's end date comes first: at this pace, visits would be left over.
    expires_first: bool

    @property
    def visits_per_week(self) -> float:
        return round(self.visits_in_window * 7 / self.pace_days, 1) if self.pace_days else 0.0


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    state: str  # active, frozen, upcoming, ended, unpaid, cancelled, used_up
    label: str
    current_freeze: Freeze | None
    pace: PackPace | None
    # What happens at its end, for one that is live and nothing follows yet: "auto" (renews
    # by itself on renews_on at renewal_price), "auto_once_paid" (auto-renew on, but it is
    # unpaid), "ends"; None for one ended, cancelled or already followed by its renewal.
    renewal: str | None = None
    renews_on: dt.date | None = None
    # A renewal charges the plan's price of the day (memberships.autorenew).
    renewal_price: Decimal | None = None
    due: Decimal = Decimal("0")
    # The saved card an "auto" renewal is charged to (memberships/stripe/saved_cards.py), or None:
    # it is then unpaid until paid.
    card: SavedCard | None = None


def memberships(member: Member) -> QuerySet[Membership]:
    return (
        member.memberships.select_related("plan", "renewal")
        .prefetch_related("freezes")
        .order_by("-end", "-id")
    )


def describe(
    membership: Membership, *, member: Member, today: dt.date, card: SavedCard | None = None
) -> MembershipView:
    """Where a membership stands today, in the member's words; `card` is the member's saved
    card (saved_cards.saved), which a renewal is charged to."""
    freeze = next((f for f in membership.freezes.all() if f.covers(today)), None)
    if membership.status == Membership.Status.CANCELLED:
        state, label = "cancelled", "Cancelled"
    elif membership.end < today:
        state, label = "ended", f"Ended {date_format(membership.end, 'j M Y')}"
    elif membership.start > today:
        state, label = "upcoming", f"Starts {date_format(membership.start, 'j M Y')}"
    elif membership.status == Membership.Status.PAST_DUE:
        state, label = "unpaid", "Unpaid — please pay at the front desk"
    elif freeze is not None:
        state, label = "frozen", f"Frozen until {date_format(freeze.end, 'j M')}"
    elif membership.plan.is_pack and not membership.visits_left:
        state, label = "used_up", "No visits left"
    else:
        days = membership.days_left(today)
        state = "active"
        label = f"Active · {days_left_words(days)}"
    pace = None
    if membership.plan.is_pack and state in {"active", "frozen"}:
        pace = pack_pace(membership, member=member, today=today)
    renewal = None
    # Loaded with it (memberships()): a renewal already made is what follows, not this.
    if state not in {"ended", "cancelled"} and not hasattr(membership, "renewal"):
        if membership.renews_automatically:
            renewal = "auto"
        elif membership.auto_renew and membership.status == Membership.Status.PAST_DUE:
            renewal = "auto_once_paid"
        else:
            renewal = "ends"
    auto = renewal in {"auto", "auto_once_paid"}
    return MembershipView(
        membership,
        state,
        label,
        freeze,
        pace,
        renewal=renewal,
        renews_on=membership.end + dt.timedelta(days=1) if auto else None,
        renewal_price=membership.plan.price if auto else None,
        due=dues.amount_due(membership),
        card=card if renewal == "auto" else None,
    )


def days_left_words(days: int) -> str:
    """ "ends today", "ends tomorrow", else "N days left" with its plural ("1 days left" the
    day before the end was QA's find)."""
    if days == 0:
        return "ends today"
    if days == 1:
        return "ends tomorrow"
    return ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}


def current(views: list[MembershipView]) -> list[MembershipView]:
    """Memberships that are in force, frozen, unpaid or still to come: the ones of today
    first, then those queued after them (a renewal bought early)."""
    live = [v for v in views if v.state in {"active", "frozen", "unpaid", "upcoming", "used_up"}]
    # One that another follows (a plan sold on its own to start later) does not renew.
    live = [
        replace(v, renewal=None, renews_on=None, renewal_price=None, card=None)
        if any(o.membership.start > v.membership.end for o in live)
        else v
        for v in live
    ]
    return sorted(live, key=lambda view: view.state == "upcoming")


def to_renew(views: list[MembershipView], *, club: Club, today: dt.date) -> MembershipView | None:
    """The membership the portal offers to renew, or None: one in force that ends soon (as
    the desk's "expires in" badge and the "expiring" stage count it) or a used-up pack, else
    the last one that ended when nothing is in force; never when a renewal is already queued,
    nor a trial or a cancelled one."""
    if any(view.state == "upcoming" for view in views):
        return None
    paid = [
        v for v in views if v.membership.plan.kind != Plan.Kind.TRIAL and v.state != "cancelled"
    ]
    for view in paid:
        m = view.membership
        length = (m.end - m.start).days + 1
        ending = renewal_timing.ends_soon(length, m.days_left(today), club.expiring_within_days)
        if view.state == "used_up" or (
            view.state == "active" and ending and not sales.too_early_to_renew(m, today=today)
        ):
            # A long expiring window does not open a renewal more than a sale's limit ahead.
            return view
    if current(views):
        return None
    return next((v for v in paid if v.state == "ended"), None)


def renew_title(plan: Plan) -> str:
    """The heading of the membership page's Renew section, naming the plan in a phrase:
    "Renew your Monthly membership", "Renew your visit pack: 10-visit card" ("Renew your
    Monthly" read oddly)."""
    if plan.is_pack:
        return f"Renew your visit pack: {plan.name}"
    if plan.name.lower().endswith("membership"):
        return f"Renew your {plan.name}"
    return f"Renew your {plan.name} membership"


def had_membership(member: Member) -> bool:
    """Whether the member ever had a membership of their own (a paid plan, not cancelled): a
    lead or a trial member whose free trial ended has not, and cannot "renew" anything."""
    return member.memberships.paid().not_cancelled().exists()


def offers_booking(member: Member, *, today: dt.date, had: bool | None = None) -> bool:
    """Whether the portal offers "Book a class": with a membership now or to come, or one of
    their own before (the schedule's refusals then lead to renewing it). A lead, or a trial
    member whose trial ended, would meet only refusals and is shown the plans instead.
    `had`: had_membership(member), when the caller knows it already."""
    if had is None:
        had = had_membership(member)
    return had or member.memberships.not_cancelled().filter(end__gte=today).exists()


def trial_over(member: Member, views: list[MembershipView], *, now: dt.datetime) -> bool:
    """Whether a member who never had a membership of their own has their free trial behind
    them: a trial membership that ended with nothing in force or to come, or a free trial
    class that has started (booked or attended) with no trial class still to come."""
    if current(views) or any(
        v.membership.plan.kind != Plan.Kind.TRIAL and v.state != "cancelled" for v in views
    ):
        return False
    if views and views[0].membership.plan.kind == Plan.Kind.TRIAL and views[0].state == "ended":
        return True
    trials = member.bookings.filter(
        is_trial=True, status__in=(Booking.Status.BOOKED, Booking.Status.ATTENDED)
    )
    return (
        trials.filter(session__start__lt=now).exists()
        and not trials.filter(session__start__gte=now).exists()
    )


@dataclass(frozen=True)
class RenewalOffer:
    view: MembershipView
    # Payable online (Stripe on, the plan still sold); else at the desk only.
    online: bool
    # None when only Stripe's page knows the amount (checkout.shown_price).
    price: Decimal | None


def renewal_offer(
    views: list[MembershipView], *, club: Club, today: dt.date
) -> RenewalOffer | None:
    """What the portal offers to renew, and whether online: the membership page's Renew
    section and the home page's Renew link read this one decision."""
    view = to_renew(views, club=club, today=today)
    if view is None:
        return None
    plan = view.membership.plan
    return RenewalOffer(
        view=view, online=checkout.sellable_online(plan), price=checkout.shown_price(plan)
    )


def pack_pace(membership: Membership, *, member: Member, today: dt.date) -> PackPace:
    """When a visit pack runs out if the member keeps visiting at their recent pace.

    Method: the pace is the member's visits (at any club, on any membership) per day over
    the last 8 weeks — or since they joined when that is shorter, but at least a week —
    leaving out days when a membership of theirs was frozen (no visits were possible).
    The visits left, divided by that pace and rounded up to whole days, are counted from
    today, and a freeze of this pack still to come pushes the date back by its length.
    With no visits in the window there is no estimate. When the date falls after the
    pack's last day, the pack expires first and the remaining visits would be lost.
    """
    visits_left = membership.visits_left or 0
    joined = member.created_at.astimezone(clock.zone(member.home_club)).date()
    window_days = min(PACE_WINDOW_DAYS, max(PACE_MIN_DAYS, (today - joined).days))
    first_day = today - dt.timedelta(days=window_days)
    frozen = Freeze.objects.filter(
        membership__member=member, end__gte=first_day, start__lt=today
    ).values_list("start", "end")
    frozen_days = {
        day
        for start, end in frozen
        for day in _days(max(start, first_day), min(end, today - dt.timedelta(days=1)))
    }
    pace_days = window_days - len(frozen_days)
    since = clock.start_of_day(first_day, member.home_club)
    visits = member.visits.filter(at__gte=since).count()
    if not visits or pace_days < 1:
        return PackPace(visits_left, visits, window_days, pace_days, None, False)
    runs_out_on = today + dt.timedelta(days=math.ceil(visits_left * pace_days / visits))
    for freeze in sorted(membership.freezes.all(), key=lambda f: f.start):
        if freeze.end < today:
            continue
        if freeze.start > runs_out_on:
            break
        runs_out_on += dt.timedelta(days=(freeze.end - max(freeze.start, today)).days + 1)
    return PackPace(
        visits_left,
        visits,
        window_days,
        pace_days,
        runs_out_on,
        expires_first=runs_out_on > membership.end,
    )


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def visits_this_month(member: Member) -> int:
    today = clock.today(member.home_club)
    since = clock.start_of_day(today.replace(day=1), member.home_club)
    return member.visits.filter(at__gte=since).count()


def upcoming_bookings(member: Member) -> QuerySet[Booking]:
    """Booked and waitlisted classes that have not started, soonest first."""
    return (
        member.bookings.filter(status__in=UPCOMING_STATUSES, session__start__gte=clock.now())
        .select_related("session__class_type", "session__club")
        .order_by("session__start", "id")
    )


# Placed by the class's start, whatever the trainer marked: attendance may be marked shortly
# before the class starts, and that class is still coming up.
COMING_UP_STATUSES = (*UPCOMING_STATUSES, Booking.Status.ATTENDED)


def coming_up_bookings(member: Member) -> QuerySet[Booking]:
    """My bookings' "Coming up": classes that have not started and that the member is on —
    booked, waitlisted, or already marked attended — soonest first. Only the booked and
    waitlisted ones can be cancelled (upcoming_bookings)."""
    return (
        member.bookings.filter(status__in=COMING_UP_STATUSES, session__start__gte=clock.now())
        .select_related("session__class_type", "session__club")
        .order_by("session__start", "id")
    )


def past_bookings(member: Member) -> QuerySet[Booking]:
    """Everything else, newest first: classes that have started, and cancelled bookings —
    but one cancelled booking per class, the latest, and none of a class the member is on
    again (cancelled and booked again reads as booked only)."""
    same_class = Booking.objects.filter(member=member, session=OuterRef("session"))
    return (
        member.bookings.exclude(pk__in=coming_up_bookings(member).values("pk"))
        .exclude(
            Q(status=Booking.Status.CANCELLED)
            & (
                Exists(same_class.exclude(status=Booking.Status.CANCELLED))
                | Exists(same_class.filter(status=Booking.Status.CANCELLED, pk__gt=OuterRef("pk")))
            )
        )
        .select_related("session__class_type", "session__club")
        .order_by("-session__start", "-id")
    )


def left_the_waitlist(member: Member, cancelled: list[int]) -> set[int]:
    """Of these cancelled bookings, the ids of those that were waitlist places: the booking's
    row no longer says so, its cancellation's timeline line does. One query (none for [])."""
    if not cancelled:
        return set()
    return {
        int(pk)
        for pk in MemberEvent.objects.filter(
            member=member,
            kind__in=(
                MemberEvent.Kind.CLASS_CANCELLED_BY_MEMBER,
                MemberEvent.Kind.CLASS_CANCELLED_BY_CLUB,
            ),
            data__booking__in=cancelled,
            data__was_waitlisted=True,
        ).values_list("data__booking", flat=True)
    }


def with_status_labels(member: Member, rows) -> list[Booking]:
    """The bookings, each with `status_label`, what its tag says: "Booked", "Waitlist #2",
    "Attended", "No-show", "Cancelled", "Left the waitlist" (a cancelled waitlist place:
    the booking's row no longer says so, the member's timeline does) or "Cancelled by the
    club". Expects `place` (with_places) on waitlisted ones; one query for the lot."""
    rows = list(rows)
    left = left_the_waitlist(member, [b.pk for b in rows if b.status == Booking.Status.CANCELLED])
    for booking in rows:
        if booking.status == Booking.Status.WAITLISTED:
            booking.status_label = f"Waitlist #{booking.place}" if booking.place else "Waitlist"
        elif booking.status != Booking.Status.CANCELLED:
            booking.status_label = booking.get_status_display()
        elif booking.session.is_cancelled:
            booking.status_label = "Cancelled by the club"
        elif booking.pk in left:
            booking.status_label = "Left the waitlist"
        else:
            booking.status_label = "Cancelled"
    return rows


def with_places(rows) -> list[Booking]:
    """The bookings, each with `place`: its rank on the waitlist (1 = next in), or None.

    Waitlist positions may have gaps (nobody is renumbered when someone leaves), so the
    rank a member sees is counted, not read from the position.
    """
    rows = list(rows)
    for booking in rows:
        booking.place = bookings.waitlist_place(booking)
    return rows


def with_late_notices(rows) -> list[Booking]:
    """The bookings, each with `late_notice`: what cancelling it now would be, when late
    (bookings.late_cancel_notice), so the member reads it before confirming; `cancel_action`,
    the cancel button's name ("Cancel Yoga on Thu 26 Nov at 12:15", "Leave the waitlist for
    …"); and `cancel_question`, what the button asks before it cancels, with the late notice.
    Times in the current time zone (the portal's: the member's club's)."""
    rows = list(rows)
    for booking in rows:
        booking.late_notice = bookings.late_cancel_notice(booking)
        session = booking.session
        start = timezone.localtime(session.start)
        verb = "Leave the waitlist for" if booking.status == Booking.Status.WAITLISTED else "Cancel"
        booking.cancel_action = (
            f"{verb} {session.class_type.name} on {date_format(start, 'D j M')} at "
            f"{date_format(start, 'H:i')}"
        )
        booking.cancel_question = f"{booking.cancel_action}?" + (
            f"\n\n{booking.late_notice}" if booking.late_notice else ""
        )
    return rows


def with_cover_notices(member: Member, rows) -> list[Booking]:
    """The bookings, each with `cover_notice`: for a class on a day no membership of the
    member's with classes covers, after the last such one ends and when it does not renew by
    itself (auto-renew off or stopped, unpaid, plan withdrawn), what keeps the class ("Your
    membership ends 25 Nov — renew to keep this class"); else "". The schedule refuses
    those days ("Renew your membership to book"), and a booking made before must not read as
    plainly booked. One query for the member's memberships, whatever the number of rows."""
    rows = list(rows)
    if not rows:
        return rows
    memberships = list(
        Membership.objects.not_cancelled()
        .filter(member=member, plan__allows_classes=True)
        .select_related("plan")
    )
    for booking in rows:
        booking.cover_notice = ""
        session = booking.session
        if booking.is_trial:
            continue  # a free trial class needs no membership
        day = session.start.astimezone(clock.zone(session.club)).date()
        valid = [
            m for m in memberships if m.plan.valid_at_all_clubs or m.plan.club_id == session.club_id
        ]
        ended = [m for m in valid if m.end < day]
        if not ended or any(m.is_in_force(day) for m in valid):
            continue
        last = max(ended, key=lambda m: (m.end, m.pk))
        if last.renews_automatically:
            continue  # it renews by itself before the class
        booking.cover_notice = (
            f"Your membership ends {date_format(last.end, 'j M')} — renew to keep this class"
        )
    return rows
