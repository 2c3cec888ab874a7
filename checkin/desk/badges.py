"""What the front desk sees at a glance about a member: status badges and the membership line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from members.models import Member
from memberships import renewal_timing, sales
from memberships.models import Membership, Plan

LOW_BALANCE = 2


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # good | warning | critical | info — colour carries meaning, the label says it
    # What it is about, for a panel that says it otherwise ("expired": the denial's verdict).
    code: str = ""

    @property
    def css(self) -> str:
        return f"desk-badge desk-badge--{self.tone}"


def current_membership(member: Member, day: dt.date) -> Membership | None:
    """The membership in force on `day` (time plans first, then packs with visits left, as
    check-in spends them), from prefetched memberships. A used-up pack comes last: its renewal
    starts beside it, and the card should show the pack that admits."""
    in_force = [m for m in _memberships(member) if m.is_in_force(day)]
    in_force.sort(key=lambda m: (m.plan.is_pack, sales.is_used_up(m), m.end))
    return in_force[0] if in_force else None


def latest_membership(member: Member) -> Membership | None:
    memberships = _memberships(member)
    return max(memberships, key=lambda m: m.end) if memberships else None


def badges(member: Member, day: dt.date) -> list[Badge]:
    """Badges for a member on a day. Expects memberships prefetched with plan and freezes."""
    found: list[Badge] = []
    if member.status == Member.Status.LEAD:
        found.append(Badge("Lead", "info"))
    membership = current_membership(member, day)
    if membership is None:
        latest = latest_membership(member)
        if latest is not None and latest.end < day and latest.plan.kind == Plan.Kind.TRIAL:
            # A lead's free week ran out: a sale to make, not a lapsed member to win back.
            found.append(Badge(f"Trial ended {latest.end:%-d %b %Y}", "warning", "expired"))
        elif latest is not None and latest.end < day:
            found.append(Badge(f"Expired {latest.end:%-d %b %Y}", "critical", "expired"))
        elif latest is not None:
            found.append(Badge(f"Starts {latest.start:%-d %b}", "info"))
        elif member.status != Member.Status.LEAD:
            found.append(Badge("No membership", "critical"))
    else:
        if membership.plan.kind == "trial":
            found.append(Badge("Trial", "info"))
        freeze = next((f for f in membership.freezes.all() if f.covers(day)), None)
        if freeze is not None:
            found.append(Badge(f"Frozen until {freeze.end:%-d %b}", "info"))
        if membership.status == Membership.Status.PAST_DUE:
            found.append(Badge("Unpaid", "critical", "unpaid"))
        if membership.plan.is_pack:
            left = membership.visits_left or 0
            tone = "critical" if left == 0 else "warning" if left <= LOW_BALANCE else "good"
            found.append(Badge(f"{left} visit{'s' if left != 1 else ''} left", tone))
        days_left = membership.days_left(day)
        if _ends_soon(membership, days_left, member) and not _is_renewed(membership):
            when = (
                "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
            )
            found.append(Badge(f"Expires {when}", "warning"))
        elif freeze is None and membership.status == Membership.Status.ACTIVE:
            found.append(Badge("Active", "good"))
    if member.birth_date and (member.birth_date.month, member.birth_date.day) == (
        day.month,
        day.day,
    ):
        found.append(Badge("Birthday today", "info"))
    return found


def _memberships(member: Member) -> list[Membership]:
    return [m for m in member.memberships.all() if m.status != Membership.Status.CANCELLED]


def _ends_soon(membership: Membership, days_left: int, member: Member) -> bool:
    length = (membership.end - membership.start).days + 1  # dates are inclusive
    return renewal_timing.ends_soon(length, days_left, member.home_club.expiring_within_days)


def _is_renewed(membership: Membership) -> bool:
    try:
        return membership.renewal is not None
    except Membership.renewal.RelatedObjectDoesNotExist:
        return False
