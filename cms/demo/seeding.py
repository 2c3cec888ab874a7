"""Seed, find and remove the demo data: the functions behind seed_demo, demo_logins and the
seed benchmark.

The demo is recognised by its club slugs *and* its reserved email domain, so a real
club that happens to be called "Downtown" is never taken for demo data, let alone
deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Lower

from campaigns.models import Campaign, Segment, Touchpoint
from checkin.models import (
    Booking,
    CheckInAttempt,
    ClassSession,
    ClassTemplate,
    ClassType,
    Visit,
)
from club import clock
from club.models import Club
from cms.demo import catalogue as cat
from cms.demo import generator, writer
from cms.models import TrainerPage
from members.models import ConsentLog, Member, MemberEvent
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan, StripeEvent


class NotDemoData(Exception):
    """A club that is not demo data uses one of the demo slugs."""


@dataclass(frozen=True)
class SeedOutcome:
    counts: dict[str, int]
    stats: dict
    params_path: Path | None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    clubs: tuple[str, ...]


def default_params_path() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "seed_params.json"


def demo_clubs() -> QuerySet[Club]:
    return Club.objects.filter(
        slug__in=cat.DEMO_SLUGS, email_sender__endswith=f"@{cat.DEMO_DOMAIN}"
    )


def demo_users() -> QuerySet:
    return get_user_model().objects.filter(
        username__in=cat.STAFF_USERNAMES, email__endswith=f"@{cat.DEMO_DOMAIN}"
    )


def demo_exists() -> bool:
    """True when the demo clubs are there; raise NotDemoData when a real club took a demo slug."""
    clubs = {club.slug: club for club in Club.objects.filter(slug__in=cat.DEMO_SLUGS)}
    impostors = sorted(slug for slug, club in clubs.items() if not _is_demo_club(club))
    if impostors:
        raise NotDemoData(
            f"Club(s) {', '.join(impostors)} are not demo data but use a demo slug; "
            "the demo will not touch them. Rename their slug to seed the demo here."
        )
    return bool(clubs)


def seed(
    *,
    members: int,
    years: int,
    seed: int,
    today: dt.date,
    params_out: Path | None,
    reset_first: bool = False,
    planted: cat.Planted = cat.PLANTED,
    now: dt.time | None = None,
    visit_events: bool = True,
) -> SeedOutcome:
    """Generate the demo history and store it in one transaction; write the planted
    parameters next to it. With reset_first, the old demo data goes in the same
    transaction, so a failed seed leaves the previous demo in place. `visit_events=False`
    leaves out each visit's timeline event (the benchmarks, which measure other things)."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    history = generator.generate(
        members=members, years=years, seed=seed, today=today, planted=planted, now=now
    )
    phases["generate"] = time.perf_counter() - started
    with transaction.atomic():
        if reset_first:
            started = time.perf_counter()
            reset()
            phases["reset"] = time.perf_counter() - started
        started = time.perf_counter()
        counts = writer.write(history, visit_events=visit_events)
        phases["write"] = time.perf_counter() - started
        started = time.perf_counter()
    # PostgreSQL checks the deferred foreign keys of every new row here.
    phases["commit"] = time.perf_counter() - started
    if params_out is not None:
        params_out.parent.mkdir(parents=True, exist_ok=True)
        params_out.write_text(json.dumps(parameters(history, counts), indent=2) + "\n")
    return SeedOutcome(counts=counts, stats=history.stats, params_path=params_out, phases=phases)


def parameters(history: generator.History, counts: dict[str, int]) -> dict:
    """Everything the demo planted, and what came out, for analytics to check against."""
    return {
        "generator": "cms.demo (manage.py seed_demo)",
        "seed": history.seed,
        "members": history.members,
        "years": history.years,
        "today": history.today.isoformat(),
        "now": history.now.isoformat(timespec="minutes") if history.now else None,
        "history_start": history.start.isoformat(),
        "clubs": [
            {"slug": spec.slug, "name": spec.name, "time_zone": spec.time_zone, "share": spec.share}
            for spec in cat.CLUBS
        ],
        "plans": [
            {
                "name": name,
                "kind": kind,
                "duration_days": days,
                "visits_included": visits,
                "prices": {slug: prices[i] for slug, prices in cat.PLAN_PRICES.items()},
            }
            for i, (name, kind, days, visits) in enumerate(
                zip(cat.PLAN_NAMES, cat.PLAN_KINDS, cat.PLAN_DAYS, cat.PLAN_VISITS, strict=True)
            )
        ],
        "planted": history.planted.as_json(),
        "notes": [
            "Renewal of every paid membership that ended before today was decided from the band "
            "of the visits generated in its last 30 days (club-local dates end-29..end).",
            "A renewal is a new Membership whose renewed_from is the previous one; it starts the "
            "day after the end, or up to 14 days later (within the clubs' renewal grace days).",
            "Memberships ending less than 15 days before today may still be renewed late: the "
            "observed rates use only those that ended earlier.",
            "Rule 14 (early renewal offer) has a touchpoint for every paid membership longer "
            "than 60 days (as the engine sends it: day -30 in the second half; never a month "
            "unless a long freeze stretched it) that ended before today, or runs on with its "
            "offer already due, bought before its offer fell due (end - 30 days, 10:00 local) "
            "on a day in the history: held out "
            "by the generator's own stable hash of the member (recorded as the status: the "
            "live evaluator hashes database ids), suppressed "
            "without email consent, otherwise sent or delivered. Sent members renewed with "
            "the band probability plus the planted uplift (capped).",
            "Rules 1 (call the new lead: a staff task, done by the front desk), 2 and 3 (trial "
            "invitations), 5 (join offer after a trial), 6 (trial no-show), "
            "7 (welcome), 10 (10th visit), 15 (renewal reminder), 18 and 19 (win-backs), "
            "20 (birthday) and 21 (anniversary) have the "
            "touchpoints the engine would have written for their occurrences in the history "
            "(same keys, due and send times, the same demo holdout hash as rule 14, consent "
            "and frequency caps; for 15, 18 and 19 none when the membership was renewed "
            "before the evaluator saw it, cancelled as obsolete when renewed before the "
            "send; for 2 and 3 cancelled when a trial or a membership was bought before the "
            "send, for 5 and 6 when a paid membership was); drawn from a stream of their "
            "own, they change no outcome (uplift ~0). "
            "observed.playbook_history counts them by rule and status.",
            "Pack members stop visiting when the pack is empty; visits_left equals the ledger sum.",
            "Visits exist from history_start to the day before today, and on today up to `now` "
            "(the local time of seeding when the history runs to the real today; gym-floor "
            "check-ins only, today's classes keep their bookings); imported members' first "
            "memberships may start earlier, without visits or payments before history_start.",
        ],
        "observed": history.stats,
        "rows": counts,
    }


def reset() -> dict[str, int]:
    """Delete the demo clubs, everything of their members, and the demo staff logins."""
    clubs = list(demo_clubs())
    members = Member.objects.filter(home_club__in=clubs)
    memberships = Membership.objects.filter(member__in=members)
    deleted: dict[str, int] = {}
    # Biggest tables first, each in one DELETE; then Django's delete() for whatever
    # other apps hang off members and clubs (it knows their cascades).
    for label, queryset in (
        ("visits", Visit.objects.filter(club__in=clubs)),
        ("member_visits", Visit.objects.filter(member__in=members)),
        ("check_in_attempts", CheckInAttempt.objects.filter(club__in=clubs)),
        ("member_check_in_attempts", CheckInAttempt.objects.filter(member__in=members)),
        ("bookings", Booking.objects.filter(session__club__in=clubs)),
        ("member_bookings", Booking.objects.filter(member__in=members)),
        ("member_events", MemberEvent.objects.filter(member__in=members)),
        ("consent_logs", ConsentLog.objects.filter(member__in=members)),
        ("ledger_entries", LedgerEntry.objects.filter(membership__in=memberships)),
        ("stripe_events", StripeEvent.objects.filter(member__in=members)),
        ("payments", Payment.objects.filter(member__in=members)),
        ("freezes", Freeze.objects.filter(membership__in=memberships)),
        ("touchpoints", Touchpoint.objects.filter(member__in=members)),
    ):
        deleted[label] = queryset.delete()[0]
    segments = Segment.objects.filter(clubs__in=clubs)
    deleted["campaigns"] = Campaign.objects.filter(segment__in=segments).delete()[0]
    deleted["segments"] = segments.delete()[0]
    # Renewal links point both ways within the chains; cut them so the delete is flat.
    memberships.filter(renewed_from__isnull=False).update(renewed_from=None)
    deleted["memberships"] = memberships.delete()[0]
    deleted["class_sessions"] = ClassSession.objects.filter(club__in=clubs).delete()[0]
    deleted["class_templates"] = ClassTemplate.objects.filter(club__in=clubs).delete()[0]
    deleted["class_types"] = ClassType.objects.filter(club__in=clubs).delete()[0]
    deleted["plans"] = Plan.objects.filter(club__in=clubs).delete()[0]
    deleted["members"] = members.delete()[0]
    deleted["clubs"] = Club.objects.filter(pk__in=[club.pk for club in clubs]).delete()[0]
    # The trainers' public pages go with their logins; Wagtail deletes a page through its tree.
    trainer_pages = list(TrainerPage.objects.filter(staff_user__in=demo_users()))
    for page in trainer_pages:
        page.delete()
    deleted["trainer_pages"] = len(trainer_pages)
    deleted["staff"] = demo_users().delete()[0]
    return deleted


def staff_logins() -> list[Login]:
    """The demo logins that exist, with their role and clubs (empty without demo data)."""
    if not demo_exists():
        return []
    users = demo_users().prefetch_related("groups", "clubs")
    by_name = {user.username: user for user in users}
    logins = []
    for spec in cat.STAFF:
        user = by_name.get(spec.username)
        if user is None:
            continue
        role = "Superuser" if user.is_superuser else ", ".join(g.name for g in user.groups.all())
        clubs = tuple(sorted(club.name for club in user.clubs.all()))
        logins.append(Login(username=user.username, role=role, clubs=clubs))
    return logins


def portal_member() -> Member | None:
    """A demo member to try the portal with (None without demo data): a member of the first
    demo club with a membership in force today that includes classes and is not frozen, and
    an email no other member shares (a sign-in link goes to everyone with the address). The
    lowest id, so every run names the same one."""
    club = demo_clubs().filter(slug=cat.CLUBS[0].slug).first()
    if club is None:
        return None
    today = clock.today(club)
    frozen = Freeze.objects.filter(start__lte=today, end__gte=today).values("membership_id")
    can_book = (
        Membership.objects.in_force_on(today)
        .filter(member=OuterRef("pk"), plan__allows_classes=True)
        .exclude(pk__in=frozen)
    )
    shared = (
        Member.objects.exclude(email="")
        .values(address=Lower("email"))
        .annotate(holders=Count("pk"))
        .filter(holders__gt=1)
        .values("address")
    )
    return (
        Member.objects.filter(home_club=club, status=Member.Status.MEMBER)
        .exclude(email="")
        .annotate(address=Lower("email"))
        .exclude(address__in=shared)
        .filter(Exists(can_book))
        .order_by("pk")
        .first()
    )


def _is_demo_club(club: Club) -> bool:
    return club.email_sender.endswith(f"@{cat.DEMO_DOMAIN}")
