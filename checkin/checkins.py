"""Checking a member in: the one service behind the desk, the portal and the turnstile API.

check_in() admits the member (a Visit) or turns them away (a CheckInAttempt with the
reason). Everything happens in one transaction under a lock on the member's row, so
a burst of scans of one card — a turnstile retrying, a double tap — produces one
visit and at most one debit of a pack.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from checkin.models import CheckInAttempt, Source, Visit
from club import clock
from club.models import Club
from members import timeline
from members.models import Member, MemberEvent
from memberships import ledger
from memberships.models import Membership, Plan

# A second scan within this window returns the first visit instead of a new one.
REPEAT_SCAN_WINDOW = dt.timedelta(minutes=2)

Reason = CheckInAttempt.Reason


def check_in(
    member: Member,
    *,
    source: str,
    club: Club | None = None,
    at: dt.datetime | None = None,
    override_by=None,
    override_reason: str = "",
) -> Visit | CheckInAttempt:
    """Admit the member at `club` (their home club by default) or record why not.

    A repeat scan within two minutes returns the earlier Visit (with
    `is_repeat_scan = True`) and debits nothing. `override_by` (a staff user, with a
    reason) admits a member who would be denied; the override is recorded on the visit.
    """
    if source not in Source.values:
        raise ValueError(f"Unknown check-in source: {source!r}")
    if override_by is not None and not override_reason.strip():
        raise ValueError("An override needs a reason.")
    club = club or member.home_club

    with transaction.atomic():
        # Serialise check-ins of this member; other members are not blocked.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        # Read the clock only once we hold the lock, so a scan never predates the visit
        # that the scan before it wrote.
        at = at or clock.now()

        recent = (
            Visit.objects.filter(member=member, at__gt=at - REPEAT_SCAN_WINDOW, at__lte=at)
            .order_by("at")
            .first()
        )
        if recent is not None:
            recent.is_repeat_scan = True
            return recent

        day = at.astimezone(clock.zone(club)).date()
        membership, reason = _admitting_membership(member, club=club, day=day)
        if reason is not None and override_by is None:
            return _deny(
                member, club=club, at=at, source=source, reason=reason, membership=membership
            )

        ledger_entry = None
        if reason is None and membership.plan.is_pack:
            ledger_entry = ledger.debit(membership, visits=1, reason="Visit")
        visit = Visit.objects.create(
            member=member,
            club=club,
            at=at,
            source=source,
            membership=membership,
            ledger_entry=ledger_entry,
            override_by=override_by,
            override_reason=override_reason.strip() if override_by else "",
        )
        timeline.record(
            member,
            MemberEvent.Kind.VISIT,
            at=at,
            actor=override_by,
            visit=visit.pk,
            club=club.slug,
            source=source,
            visits_left=membership.visits_left if ledger_entry else None,
            override_reason=visit.override_reason or None,
            denied_reason=reason,
        )
        visit.is_repeat_scan = False
        return visit


def _admitting_membership(
    member: Member, *, club: Club, day: dt.date
) -> tuple[Membership | None, str | None]:
    """The membership that lets the member in today, or the best one to explain a denial.

    Returns (membership, None) when admitted, else (closest membership or None, reason).
    """
    memberships = list(
        member.memberships.exclude(status=Membership.Status.CANCELLED)
        .select_related("plan")
        .prefetch_related("freezes")
        .order_by("-end")
    )
    if not memberships:
        return None, Reason.NO_MEMBERSHIP

    current = [m for m in memberships if m.start <= day <= m.end]
    if not current:
        upcoming = [m for m in memberships if m.start > day]
        if upcoming:
            return upcoming[-1], Reason.NOT_STARTED
        return memberships[0], Reason.EXPIRED

    # Try each current membership; the first that admits wins, time plans before packs
    # so a member with both does not spend a pack visit they do not need.
    current.sort(key=lambda m: (m.plan.kind == Plan.Kind.PACK, m.end))
    denials: list[tuple[Membership, str]] = []
    for membership in current:
        reason = _denial_reason(membership, club=club, day=day)
        if reason is None:
            return membership, None
        denials.append((membership, reason))
    return denials[0]


def _denial_reason(membership: Membership, *, club: Club, day: dt.date) -> str | None:
    if any(freeze.covers(day) for freeze in membership.freezes.all()):
        return Reason.FROZEN
    if membership.status == Membership.Status.PAST_DUE:
        return Reason.UNPAID
    if not membership.plan.valid_at_all_clubs and membership.plan.club_id != club.pk:
        return Reason.WRONG_CLUB
    if membership.plan.is_pack and not membership.visits_left:
        return Reason.NO_VISITS_LEFT
    return None


def _deny(
    member: Member,
    *,
    club: Club,
    at: dt.datetime,
    source: str,
    reason: str,
    membership: Membership | None,
) -> CheckInAttempt:
    attempt = CheckInAttempt.objects.create(
        member=member, club=club, at=at, source=source, reason=reason, membership=membership
    )
    timeline.record(
        member,
        MemberEvent.Kind.CHECK_IN_DENIED,
        at=at,
        attempt=attempt.pk,
        club=club.slug,
        source=source,
        reason=reason,
        membership=membership.pk if membership else None,
    )
    return attempt
