"""Checking a member in: the one service behind the desk, the portal and the turnstile API.

check_in() admits the member (a Visit) or turns them away (a CheckInAttempt with the
reason). Everything happens in one transaction under a lock on the member's row, so
a burst of scans of one card — a turnstile retrying, a double tap — produces one
visit and at most one debit of a pack. check_in_scanned() is the same for a turnstile,
which sends a card: it finds the member with the same query that takes the lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from checkin import bookings
from checkin.models import CheckInAttempt, Source, Visit
from club import clock, prepared
from club.models import Club
from club.prepared import Param, Prepared
from members import search, timeline
from members.models import Member, MemberEvent
from memberships import ledger
from memberships.models import Freeze, LedgerEntry, Membership, Plan

# A second scan within this window returns the first visit instead of a new one.
REPEAT_SCAN_WINDOW = dt.timedelta(minutes=2)

Reason = CheckInAttempt.Reason
_SOURCES = frozenset(Source.values)  # an enum's .values builds a new list on every call

# What a turnstile's answer shows of the member (check_in_scanned); the rest loads on access.
SCANNED_MEMBER_FIELDS = ("id", "home_club_id", "first_name", "photo")


# The statements of a check-in, compiled once (club/prepared.py): building them through the
# ORM on every scan cost more CPU than everything else a scan does.
class _CommitWithoutWaitingForDisk(Func):
    """`SET LOCAL synchronous_commit = off` as a value of the statement that opens the
    transaction, so it costs no round trip of its own: COMMIT returns once the check-in is
    committed in memory, and PostgreSQL writes it to disk within a fraction of a second
    (docs/architecture.md, "What a turnstile scan costs"). A crash of the database server in
    that fraction loses the latest check-ins whole, never part of one."""

    template = "set_config('synchronous_commit', 'off', true)"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []  # SQLite has no such setting; its commits stay as they are


def _locked_member(lookup: str, field, *, of_club: bool = False, check_in: bool = False):
    """The member locked FOR NO KEY UPDATE, found by `lookup` (and, `of_club`, only among the
    members of the club given as `club`); with only what a turnstile's answer shows loaded
    (the rest loads when read). With `check_in`, the transaction's commit does not wait for
    the disk (_CommitWithoutWaitingForDisk).

    The same lock as members.locks.member(): FOR UPDATE would also block the KEY SHARE lock
    that another transaction's insert pointing at the member (a freeze's timeline event)
    takes at COMMIT, and deadlock it if that transaction holds a row the check-in needs."""

    def locked_member():
        members = (
            Member.objects.select_for_update(no_key=True)
            .filter(
                **{lookup: Param("value", field)},
                **({"home_club_id": Param("club", BigIntegerField())} if of_club else {}),
            )
            .only(*SCANNED_MEMBER_FIELDS)
            .order_by()
        )
        if check_in:
            members = members.annotate(synchronous_commit=_CommitWithoutWaitingForDisk())
        return members

    return Prepared(locked_member)


_LOCK_MEMBER = _locked_member("pk", BigIntegerField())
_LOCK_MEMBER_TO_CHECK_IN = _locked_member("pk", BigIntegerField(), check_in=True)
_LOCK_MEMBER_BY_CARD = _locked_member("card_token", CharField(), check_in=True)
# A member id is sequential, so anyone can count through them: it finds only the club's own
# members, as the desk's search does, in the statement that takes the lock.
_LOCK_MEMBER_OF_CLUB = _locked_member("pk", BigIntegerField(), of_club=True, check_in=True)


def _last_visits():
    """The member's visits at the scanning club up to the scan, latest first: the (member,
    -at) index answers it. Asked as "visits in the last two minutes", PostgreSQL estimated
    from statistics older than those minutes that the time index would find none, and read
    every visit in the window at a busy time. Only this club's: a scan at another club is
    not the same arrival repeated, so it is decided (and recorded) there."""
    return Visit.objects.filter(
        member_id=Param("member", BigIntegerField()),
        club_id=Param("club", BigIntegerField()),
        at__lte=Param("at", DateTimeField()),
    ).order_by("-at")


def _due_trials():
    """The trial class the member is booked for at the club, in the check-in window."""
    return bookings.trial_due_on_check_in(
        Param("member", BigIntegerField()),
        Param("club", BigIntegerField()),
        Param("earliest", DateTimeField()),
        Param("latest", DateTimeField()),
    )


_TRIAL_FIELDS = ("pk", "session__class_type__name", "session__start")

# A member with no membership at all (a lead, mostly) has no memberships row to carry the last
# visit: one read for it and for a trial class they may be coming for, so a lead costs the
# one statement it always did.
_NO_MEMBERSHIP = Prepared(
    lambda: (
        Member.objects.filter(pk=Param("member", BigIntegerField()))
        .order_by()
        .annotate(
            last_visit_id=Subquery(_last_visits().values("pk")[:1]),
            last_visit_at=Subquery(_last_visits().values("at")[:1]),
            **{
                f"trial_{i}": Subquery(_due_trials().values(field)[:1])
                for i, field in enumerate(_TRIAL_FIELDS)
            },
        )
        .values_list("last_visit_id", "last_visit_at", "trial_0", "trial_1", "trial_2")
    )
)

# A member turned away by their memberships while a class is due (class_due): is it a trial?
_DUE_TRIAL = Prepared(lambda: _due_trials().values_list(*_TRIAL_FIELDS)[:1])


@dataclass(frozen=True)
class TrialClass:
    """The trial class a visitor without a membership was admitted for."""

    booking_id: int
    name: str
    start: dt.datetime


def with_trial_class(visits: QuerySet) -> QuerySet:
    """Visits annotated with the trial class each was admitted for (trial_booking_id,
    trial_class_name, trial_class_start; None for other visits), read from the visit's
    timeline event in the same statement: the (member, -at) index finds it. Only a visit
    without a membership can be one, so members' visits are not looked up."""
    event = (
        MemberEvent.objects.alias(visit_id=Cast(KT("data__visit"), BigIntegerField()))
        .filter(
            member_id=OuterRef("member_id"),
            at=OuterRef("at"),
            kind=MemberEvent.Kind.VISIT,
            visit_id=OuterRef("pk"),
            data__has_key="trial_booking",
        )
        .order_by()
    )

    def fact(key: str, field):
        value = Subquery(event.annotate(v=Cast(KT(f"data__{key}"), field)).values("v")[:1])
        return Case(When(membership__isnull=True, then=value), output_field=field)

    return visits.annotate(
        trial_booking_id=fact("trial_booking", BigIntegerField()),
        trial_class_name=fact("class_name", CharField()),
        trial_class_start=fact("start", DateTimeField()),
    )


def trial_class_of(visit: Visit) -> TrialClass | None:
    """The TrialClass of a visit read through with_trial_class()."""
    if getattr(visit, "trial_booking_id", None) is None:
        return None
    return TrialClass(visit.trial_booking_id, visit.trial_class_name, visit.trial_class_start)


# What the check-in decides on, read in one statement once the member is locked: the
# member's memberships with their plans and whether a freeze covers the day, and on each
# row the same member-wide facts (PostgreSQL computes them once): the last visit, for a
# repeat scan, and whether a class is due to be marked attended.
_MEMBERSHIPS = Prepared(
    lambda: (
        Membership.objects.filter(member_id=Param("member", BigIntegerField()))
        .not_cancelled()
        .select_related("plan")
        .annotate(
            frozen_on_day=Exists(
                Freeze.objects.filter(
                    membership=OuterRef("pk"),
                    start__lte=Param("day", DateField()),
                    end__gte=Param("day", DateField()),
                )
            ),
            last_visit_id=Subquery(_last_visits().values("pk")[:1]),
            last_visit_at=Subquery(_last_visits().values("at")[:1]),
            class_due=Exists(
                bookings.due_on_check_in(
                    Param("member", BigIntegerField()),
                    Param("club", BigIntegerField()),
                    Param("earliest", DateTimeField()),
                    Param("latest", DateTimeField()),
                )
            ),
        )
        .order_by("-end")
    )
)


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

    A repeat scan at the same club within two minutes returns the earlier Visit (with
    `is_repeat_scan = True`) and debits nothing. `override_by` (a staff user, with a
    reason) admits a member who would be denied; the override is recorded on the visit.
    """
    _check_arguments(source, override_by, override_reason)
    club = club or member.home_club

    # A transaction of its own (durable): the lock statement sets how it commits.
    with transaction.atomic(durable=True):
        # Serialise check-ins of this member; other members are not blocked.
        _LOCK_MEMBER_TO_CHECK_IN.fetch(value=member.pk)
        outcome = _check_in_locked(
            member,
            source=source,
            club=club,
            at=at,
            override_by=override_by,
            override_reason=override_reason,
        )
    _mark_class_attendance(outcome, club)
    return outcome


def check_in_scanned(
    *, card: str | None = None, member_id: int | None = None, source: str, club: Club
) -> Visit | CheckInAttempt | None:
    """check_in() for what a turnstile or card reader sends: a card, or a member id.

    Finds the member and takes the lock in one query. A card is looked up in every club of
    the chain (a card in hand is a real visitor, whose plan may be valid here); a member id
    only among `club`'s own members, as its staff find them: ids are sequential, and a
    turnstile's token counting through them read other clubs' members and wrote denials on
    their timelines. Returns None when no member has that card, or `club` no member with
    that id (nothing written); otherwise the outcome, whose `.member` is the member checked in (with
    SCANNED_MEMBER_FIELDS loaded; other fields load when read).
    """
    if (card is None) == (member_id is None):
        raise ValueError("Pass exactly one of card or member_id.")
    _check_arguments(source, None, "")

    with transaction.atomic(durable=True):
        # The same row lock as check_in() takes, so scans and desk check-ins serialise.
        if card is not None:
            found = _LOCK_MEMBER_BY_CARD.fetch(value=search.card_token(card))
        else:
            found = _LOCK_MEMBER_OF_CLUB.fetch(value=member_id, club=club.pk)
        if not found:
            return None
        member = found[0]
        outcome = _check_in_locked(member, source=source, club=club)
    _mark_class_attendance(outcome, club)
    return outcome


class UndoRefused(Exception):
    """The visit cannot be undone; the message says why, in words for the desk."""


@dataclass(frozen=True)
class UndoneVisit:
    """What undoing a check-in did: `visits_left` is the pack's balance after the visit was
    given back (None when the visit spent none); `already` when an earlier undo did it."""

    member_id: int
    visited_at: dt.datetime | None
    visits_left: int | None = None
    already: bool = False


def undo_visit(visit_id: int, *, member_id: int, by) -> UndoneVisit:
    """Take back a check-in made by mistake (the wrong member picked, a card scanned twice by
    two readers): the visit is deleted, a pack visit it spent is given back through the ledger,
    classes it marked attended go back to booked, and `check_in_undone` on the timeline says
    who did it. Only a visit of the club's current day can be undone.

    Under the member's lock, so it cannot interleave with a check-in of the same member; a
    second undo of the same visit finds it gone and changes nothing.
    """
    with transaction.atomic():
        member = next(iter(_LOCK_MEMBER.fetch(value=member_id)), None)
        visit = (
            Visit.objects.filter(pk=visit_id, member_id=member_id)
            .select_related("club", "membership")
            .first()
        )
        if member is None or visit is None:
            undone_before = MemberEvent.objects.filter(
                member_id=member_id, kind=MemberEvent.Kind.CHECK_IN_UNDONE, data__visit=visit_id
            )
            if member is not None and undone_before.exists():
                return UndoneVisit(member_id=member_id, visited_at=None, already=True)
            # A made-up or mistyped address: say so, rather than "already undone".
            raise UndoRefused("This member has no check-in with that number: nothing changed.")
        if clock.today(visit.club) != visit.at.astimezone(clock.zone(visit.club)).date():
            # Older visits have fed the day's figures and the lifecycle; they stay as they are.
            raise UndoRefused("Only today's check-ins can be undone.")
        visits_left = None
        if visit.ledger_entry_id is not None and visit.membership is not None:
            ledger.credit(
                visit.membership,
                visits=1,
                kind=LedgerEntry.Kind.REFUND,
                reason="Check-in undone",
                created_by=by,
            )
            visits_left = visit.membership.visits_left
        bookings.unmark_check_in_attendance(member_id, club_id=visit.club_id, at=visit.at)
        visit.delete()
        timeline.record(
            member,
            MemberEvent.Kind.CHECK_IN_UNDONE,
            actor=by,
            visit=visit_id,
            visited_at=visit.at,
            club=visit.club.slug,
            visits_left=visits_left,
        )
    return UndoneVisit(member_id=member_id, visited_at=visit.at, visits_left=visits_left)


def _mark_class_attendance(outcome: Visit | CheckInAttempt, club: Club) -> None:
    """Checking in at the door marks the member's class about to start as attended.

    After the check-in's transaction: booking changes lock the class first, and taking that
    lock while holding the member's could deadlock against a cancellation.
    """
    if isinstance(outcome, Visit) and not outcome.is_repeat_scan:
        bookings.attend_on_check_in(
            outcome.member, at=outcome.at, club=club, any_due=outcome.class_due
        )


def _check_arguments(source: str, override_by, override_reason: str) -> None:
    if source not in _SOURCES:
        raise ValueError(f"Unknown check-in source: {source!r}")
    if override_by is not None and not override_reason.strip():
        raise ValueError("An override needs a reason.")


def _check_in_locked(
    member: Member,
    *,
    source: str,
    club: Club,
    at: dt.datetime | None = None,
    override_by=None,
    override_reason: str = "",
) -> Visit | CheckInAttempt:
    """The check-in itself; the caller holds the member's row lock in the open transaction."""
    # Read the clock only once we hold the lock, so a scan never predates the visit
    # that the scan before it wrote.
    at = at or clock.now()
    day = at.astimezone(clock.zone(club)).date()
    window = bookings.check_in_window(at)
    memberships = _MEMBERSHIPS.fetch(member=member.pk, at=at, day=day, club=club.pk, **window)

    trial = None  # the trial class due, when the read below already says
    if memberships:
        last_visit = (memberships[0].last_visit_id, memberships[0].last_visit_at)
    else:  # nothing to carry it: ask on its own (a lead may have been let in before)
        row = _NO_MEMBERSHIP.fetch(member=member.pk, at=at, club=club.pk, **window)
        last_visit, trial = (row[0][:2], row[0][2:]) if row else ((None, None), (None,))
    if last_visit[0] is not None and last_visit[1] > at - REPEAT_SCAN_WINDOW:
        # The same one read as before; a trial visit's class comes with it, so a repeat scan
        # shows what the first one did.
        recent = with_trial_class(Visit.objects.filter(pk=last_visit[0])).get()
        recent.member = member
        recent.is_repeat_scan = True
        recent.trial_class = trial_class_of(recent)
        return recent

    membership, reason = _admitting_membership(memberships, club=club, day=day)
    trial_class = None
    if reason is not None and override_by is None:
        # Turned away by memberships, unless booked for a trial class about to start here:
        # then admitted for it, on no membership. Read only on this path (a denial, or a
        # membership-less visitor whose read above carried it), never on a time plan's.
        if memberships and memberships[0].class_due:
            trial = next(iter(_DUE_TRIAL.fetch(member=member.pk, club=club.pk, **window)), None)
        if trial and trial[0] is not None:
            trial_class = TrialClass(booking_id=trial[0], name=trial[1], start=trial[2])
            membership = None
        else:
            return _deny(
                member, club=club, at=at, source=source, reason=reason, membership=membership
            )

    ledger_entry = None
    if reason is None and membership.plan.is_pack:
        ledger_entry = ledger.debit(membership, visits=1, reason="Visit")
    override_reason = override_reason.strip() if override_by else ""
    # The visit and its timeline event in one statement: the event names the visit's id.
    visit, _ = prepared.insert_pair(
        Visit(
            member=member,
            club=club,
            at=at,
            source=source,
            membership=membership,
            ledger_entry=ledger_entry,
            override_by=override_by,
            override_reason=override_reason,
        ),
        timeline.event(
            member,
            MemberEvent.Kind.VISIT,
            at=at,
            actor=override_by,
            club=club.slug,
            source=source,
            visits_left=membership.visits_left if ledger_entry else None,
            override_reason=override_reason or None,
            denied_reason=reason if trial_class is None else None,
            **_trial_facts(trial_class),
        ),
        pk_into=("data", "visit"),
    )
    visit.is_repeat_scan = False
    visit.trial_class = trial_class
    if trial_class is not None:
        visit.class_due = True
    else:  # None (read it afresh) when an override admitted a member without a membership.
        visit.class_due = membership.class_due if membership is not None else None
    return visit


def _trial_facts(trial: TrialClass | None) -> dict:
    """What a visit's timeline event says about the trial class it was for (nothing for the
    visits of members, so their events stay as they were)."""
    if trial is None:
        return {}
    return {"trial_booking": trial.booking_id, "class_name": trial.name, "start": trial.start}


def _admitting_membership(
    memberships: list[Membership], *, club: Club, day: dt.date
) -> tuple[Membership | None, str | None]:
    """Of the member's memberships (not cancelled, latest end first), the one that lets the
    member in today, or the best one to explain a denial.

    Returns (membership, None) when admitted, else (closest membership or None, reason).
    """
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
        reason = _denial_reason(membership, club=club)
        if reason is None:
            return membership, None
        denials.append((membership, reason))
    return denials[0]


def _denial_reason(membership: Membership, *, club: Club) -> str | None:
    """Why a membership in force on the day does not admit (None when it does). Expects the
    `frozen_on_day` flag the memberships read (_MEMBERSHIPS) annotates."""
    if membership.frozen_on_day:
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
    attempt, _ = prepared.insert_pair(
        CheckInAttempt(
            member=member, club=club, at=at, source=source, reason=reason, membership=membership
        ),
        timeline.event(
            member,
            MemberEvent.Kind.CHECK_IN_DENIED,
            at=at,
            club=club.slug,
            source=source,
            reason=reason,
            membership=membership.pk if membership else None,
        ),
        pk_into=("data", "attempt"),
    )
    return attempt
