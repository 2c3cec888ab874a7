"""Lifecycle stages: where each member stands today, computed set-based (PLAYBOOK.md).

One annotated query per club computes every member's stage from memberships,
freezes, visits and trial bookings; members whose stage changed get a StageChange
row and their new stage in at most one UPDATE per stage. The number of statements
does not grow with the number of members.

Precedence when several hold: frozen > expiring > at-risk > onboarding > active.
"Expiring" needs the member in the second half of the membership (`in_second_half`), so a
monthly member is not expiring from the first day of the month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import GreaterThanOrEqual

from campaigns.models import StageChange
from checkin.models import Booking, Visit
from club import clock
from club.functions import DaysBetween
from club.models import Club
from members.models import Member
from memberships import renewal_timing, statuses
from memberships.models import Freeze, Membership, Plan

Stage = Member.Stage
MIN_BASELINE_VISITS = 6  # in the 84 days before the last 28


def in_second_half(days_left) -> GreaterThanOrEqual:
    """A condition on a membership: `days_left` (days before its end, a number or an
    expression) is less than half its length, i.e. that day lies in its second half. Renewal
    timing asks it, here and in `triggers.membership_ends_in`: talking of renewal before
    then is talking to someone who has just bought (or not even started) the membership.
    The rule itself is `renewal_timing`'s, which the demo generator asks in Python."""
    length = DaysBetween("start", "end") + 1  # dates are inclusive
    return GreaterThanOrEqual(length, renewal_timing.shortest_length(days_left))


def annotate_stages(members: QuerySet[Member], *, club: Club, today: dt.date) -> QuerySet[Member]:
    """`members` annotated with `computed_stage`: the stage each member is in on `today`."""
    day = dt.timedelta(days=1)
    live = Membership.objects.filter(member=OuterRef("pk")).not_cancelled()
    paid = live.exclude(plan__kind=Plan.Kind.TRIAL)
    paid_in_force = paid.filter(start__lte=today, end__gte=today)
    frozen_today = Freeze.objects.filter(
        membership__member=OuterRef("pk"),
        membership__start__lte=today,
        membership__end__gte=today,
        start__lte=today,
        end__gte=today,
    ).exclude(membership__status=Membership.Status.CANCELLED)
    # A freeze pauses the clock: being away while frozen is not "no visit for 14 days".
    recently_frozen = Freeze.objects.filter(
        membership__member=OuterRef("pk"),
        end__gte=today - club.at_risk_days_without_visit * day,
        start__lte=today,
    )
    visit_since = clock.start_of_day(today - (club.at_risk_days_without_visit - 1) * day, club)
    recent_visit = Visit.objects.filter(member=OuterRef("pk"), at__gte=visit_since)
    # A trial plan or class to come, running, or at most RECENT_TRIAL_DAYS past, as the
    # member status has it: someone who tried the club last year and never joined is a lead
    # again, not in the middle of a trial.
    trial = statuses.recent_trials(live, today)
    trial_booking = Booking.objects.filter(
        member=OuterRef("pk"),
        is_trial=True,
        status__in=[Booking.Status.BOOKED, Booking.Status.ATTENDED],
        session__start__gte=clock.start_of_day(today - statuses.RECENT_TRIAL_DAYS * day, club),
    )

    # Expiring: the latest paid membership (a renewal already bought is not expiring) ends
    # within the club's window and today lies in its second half. One subquery that says so,
    # rather than its end and start read apart: PostgreSQL would run each.
    latest_paid_expiring = paid.order_by("-end").annotate(
        expiring=Case(
            When(
                Q(end__lte=today + club.expiring_within_days * day)
                & Q(in_second_half(DaysBetween(Value(today), "end"))),
                then=Value(True),
            ),
            default=Value(False),
        )
    )
    members = members.annotate(
        latest_paid_expiring=Subquery(
            latest_paid_expiring.values("expiring")[:1], output_field=BooleanField()
        ),
        first_paid_start=Subquery(paid.order_by("start").values("start")[:1]),
        visits_last_28=_visit_count(club, today - 27 * day, today + day),
        # The member's own earlier rate: visits in the 84 days before those 28.
        visits_earlier_84=_visit_count(club, today - 111 * day, today - 27 * day),
    )
    no_recent_visit = ~Q(Exists(recent_visit)) & Q(
        first_paid_start__lte=today - club.at_risk_days_without_visit * day
    )
    # Visits in the last 28 days below half of their own earlier 28-day rate; a rate
    # needs a baseline, so only for members who came at least twice per 28 days.
    # One comparison, so PostgreSQL counts the earlier visits once, not once per condition.
    visits_declined = Q(
        visits_earlier_84__gt=Greatest(F("visits_last_28") * 6, MIN_BASELINE_VISITS - 1)
    )
    at_risk = ~Q(Exists(recently_frozen)) & (no_recent_visit | visits_declined)
    # PostgreSQL evaluates a subquery once per place it is written, so each is written
    # once on the path a member takes: "in force" tested once, then the stages that need
    # it; otherwise how long ago the latest paid membership ended, read in one subquery.
    in_force_stage = Case(
        When(Exists(frozen_today), then=Value(Stage.FROZEN)),
        When(Q(latest_paid_expiring=True), then=Value(Stage.EXPIRING)),
        When(at_risk, then=Value(Stage.AT_RISK)),
        When(
            Q(first_paid_start__gt=today - club.onboarding_days * day),
            then=Value(Stage.ONBOARDING),
        ),
        default=Value(Stage.ACTIVE),
    )
    ended_stage = paid.order_by("-end").annotate(
        ended_stage=Case(
            When(end__lt=today - club.lost_after_days * day, then=Value(Stage.LOST)),
            When(end__lt=today, then=Value(Stage.LAPSED)),
            default=None,
        )
    )
    never_paid_stage = Case(
        When(Q(Exists(trial)) | Q(Exists(trial_booking)), then=Value(Stage.TRIAL)),
        default=Value(Stage.LEAD),
    )
    return members.annotate(
        computed_stage=Case(
            When(Exists(paid_in_force), then=in_force_stage),
            default=Coalesce(
                Subquery(ended_stage.values("ended_stage")[:1]),
                never_paid_stage,
                output_field=CharField(),
            ),
        )
    )


def stages_on(member_ids: Iterable[int], *, club: Club, day: dt.date) -> dict[int, str]:
    """{member id: stage on `day`} for these members, computed now in one query rather than
    read from `Member.stage`, which the beat refreshes every 15 minutes."""
    members = Member.objects.filter(pk__in=member_ids).order_by()
    return dict(annotate_stages(members, club=club, today=day).values_list("pk", "computed_stage"))


def _visit_count(club: Club, first_day: dt.date, end_day: dt.date) -> Coalesce:
    """Visits of the outer member from the start of `first_day` to the start of `end_day`."""
    visits = (
        Visit.objects.filter(
            member=OuterRef("pk"),
            at__gte=clock.start_of_day(first_day, club),
            at__lt=clock.start_of_day(end_day, club),
        )
        .order_by()
        .values("member")
        .annotate(n=Count("*"))  # not Count("pk"): the (member, at) index alone answers it
        .values("n")
    )
    return Coalesce(Subquery(visits, output_field=IntegerField()), 0)


@transaction.atomic
def refresh_stages(club: Club) -> int:
    """Store today's stage of every member of the club; record each change. Returns changes.

    Safe to run twice: the second run finds no member whose stage differs.
    """
    now = clock.now()
    today = clock.today(club)
    # Compared here rather than in a WHERE: there PostgreSQL would evaluate the whole CASE,
    # with every subquery, a second time.
    stages = annotate_stages(
        Member.objects.filter(home_club=club).order_by(), club=club, today=today
    ).values_list("pk", "stage", "computed_stage")
    changed = [(pk, old, new) for pk, old, new in stages if old != new]
    if not changed:
        return 0
    StageChange.objects.bulk_create(
        StageChange(member_id=pk, club=club, from_stage=old, to_stage=new, at=now)
        for pk, old, new in changed
    )
    by_stage: dict[str, list[int]] = defaultdict(list)
    for pk, _, new in changed:
        by_stage[new].append(pk)
    for stage, pks in by_stage.items():
        Member.objects.filter(pk__in=pks).update(stage=stage, stage_since=now)
    return len(changed)
