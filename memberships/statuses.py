"""Keep Member.status (lead / trial / member / former) in step with memberships.

Set-based: one UPDATE per status per club, whatever the number of members.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet

from club import clock
from club.models import Club
from members.models import Member
from memberships.models import Membership, Plan

# A trial (a trial plan, or for the lifecycle stage a trial class) ended this many days ago
# still counts: status and stage "trial". Someone who tried the club months ago and never
# joined is a lead again, not forever in a trial.
RECENT_TRIAL_DAYS = 30


def recent_trials(memberships: QuerySet[Membership], today: dt.date) -> QuerySet[Membership]:
    """The trial plans among `memberships` that are to come, running, or ended at most
    RECENT_TRIAL_DAYS before `today`."""
    return memberships.filter(
        plan__kind=Plan.Kind.TRIAL, end__gte=today - dt.timedelta(days=RECENT_TRIAL_DAYS)
    )


def refresh_member_statuses(club: Club, *, member_ids: list[int] | None = None) -> int:
    """Recompute every member status of the club (or of just `member_ids`, after a sale) as
    of its today; return rows changed."""
    today = clock.today(club)
    live = Membership.objects.filter(member=OuterRef("pk")).not_cancelled()
    paid_in_force = live.filter(start__lte=today, end__gte=today).exclude(
        plan__kind=Plan.Kind.TRIAL
    )
    paid_ever = live.filter(start__lte=today).exclude(plan__kind=Plan.Kind.TRIAL)
    trial_recent = recent_trials(live, today)

    members = Member.objects.filter(home_club=club)
    if member_ids is not None:
        members = members.filter(pk__in=member_ids)
    changed = 0
    changed += (
        members.filter(Exists(paid_in_force))
        .exclude(status=Member.Status.MEMBER)
        .update(status=Member.Status.MEMBER)
    )
    changed += (
        members.filter(Exists(paid_ever), ~Exists(paid_in_force))
        .exclude(status=Member.Status.FORMER)
        .update(status=Member.Status.FORMER)
    )
    changed += (
        members.filter(Exists(trial_recent), ~Exists(paid_ever))
        .exclude(status=Member.Status.TRIAL)
        .update(status=Member.Status.TRIAL)
    )
    # No membership at all, only cancelled ones (a sale undone: else a cancelled sale would
    # leave someone a "member" for good), or only a trial long over: back to lead.
    changed += (
        members.filter(~Exists(paid_ever), ~Exists(trial_recent))
        .exclude(status=Member.Status.LEAD)
        .update(status=Member.Status.LEAD)
    )
    return changed
