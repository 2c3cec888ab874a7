"""The trigger kinds of the lifecycle engine, written in code; rules (data) pick one by name.

Each kind is one set-based query that returns the occurrences due in a window: who, a key
that names the occurrence (so a rule fires once per membership, per year, per lapse …),
when it is due, and the facts its message and explanation need. Event kinds read the facts
that lower apps wrote (timeline events, visits, bookings); calendar kinds read dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.humanize.templatetags.humanize import ordinal
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import In

from campaigns import lifecycle
from checkin.models import Booking, CheckInAttempt, Visit
from club import clock
from club.functions import month_day
from club.models import Club
from members.models import Member, MemberEvent
from memberships import renewal_timing
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan

DEFAULT_LOCAL_TIME = dt.time(10, 0)


@dataclass(frozen=True)
class Occurrence:
    member_id: int
    key: str
    due_at: dt.datetime
    facts: dict = field(default_factory=dict)
    # When the message stops being worth sending (the class it is about starts): the quiet
    # hours never hold it past this (evaluator.send_time, dispatcher.send_time_if_due).
    deadline: dt.datetime | None = None


@dataclass(frozen=True)
class Window:
    """Occurrences due after `since` and no later than `until`, of every member of the club
    or only of `members` (a claimed batch re-checked, one member's dry run): each finder's
    query is then narrowed to them, so its cost follows the members, not the club."""

    club: Club
    since: dt.datetime
    until: dt.datetime
    members: frozenset[int] | None = None

    def of_members(self, queryset: QuerySet, field: str = "member") -> QuerySet:
        """The queryset narrowed to the window's members, when it names some."""
        if self.members is None:
            return queryset
        return queryset.filter(**{f"{field}__any_of": sorted(self.members)})

    def days(self) -> Iterator[dt.date]:
        """The club-local dates the window touches."""
        day = self.since.astimezone(clock.zone(self.club)).date()
        last = self.until.astimezone(clock.zone(self.club)).date()
        while day <= last:
            yield day
            day += dt.timedelta(days=1)

    def contains(self, moment: dt.datetime) -> bool:
        return self.since < moment <= self.until

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return clock.local_datetime(day, time, self.club)


Finder = Callable[[Window, dict], Iterator[Occurrence]]


@dataclass(frozen=True)
class Parameter:
    """A parameter a trigger kind reads from its rule's params: what it does, in the words
    the rule editor shows under its field, and whether the kind has no default for it."""

    name: str
    help_text: str
    required: bool = False


# The local time of day calendar kinds fire at (_local_time), and an event kind's delay.
AT = Parameter("at", "The club's local time of day it is due (blank: 10:00).")
DELAY = Parameter("delay_minutes", "Minutes after the event (blank: at once).")


@dataclass(frozen=True)
class TriggerKind:
    name: str
    label: str
    describe: Callable[[dict], str]
    find: Finder
    # The facts every occurrence of the kind carries, which its messages may use
    # ({{ end }}, {{ plan }} …): the rule editor checks templates against them.
    facts: tuple[str, ...] = ()
    # Every parameter its finder and describe read: the rule editor shows a field for
    # each, and refuses any other (a "day" for "days" would fall back to the default).
    params: tuple[Parameter, ...] = ()
    # Due the moment something happens, while someone waits on it (a member at the door, a
    # class about to start, a lead to call): evaluated every few seconds, not minutes.
    prompt: bool = False


REGISTRY: dict[str, TriggerKind] = {}


def trigger(
    name: str,
    label: str,
    describe: Callable[[dict], str],
    *,
    facts: tuple[str, ...] = (),
    params: tuple[Parameter, ...] = (),
    prompt: bool = False,
):
    def register(find: Finder) -> Finder:
        REGISTRY[name] = TriggerKind(name, label, describe, find, facts, params, prompt)
        return find

    return register


def get(name: str) -> TriggerKind:
    try:
        return REGISTRY[name]
    except KeyError:
        raise LookupError(f"Unknown trigger kind {name!r}") from None


def prompt_kinds() -> list[str]:
    """The names of the kinds due the moment something happens (TriggerKind.prompt)."""
    return [name for name, kind in REGISTRY.items() if kind.prompt]


def occurrences(name: str, window: Window, params: dict) -> list[Occurrence]:
    """The occurrences of a trigger kind due in the window, filtered to that exact window."""
    kind = get(name)
    found = [o for o in kind.find(window, params) if window.contains(o.due_at)]
    declared = set(kind.facts)
    for occurrence in found:
        # Templates are checked against the declared facts when a rule is saved: a finder
        # that gives others is a bug here, and would render a checked field as "".
        if occurrence.facts.keys() != declared:
            given = tuple(occurrence.facts)
            raise ValueError(f"{name} declares the facts {kind.facts}, an occurrence has {given}")
    return found


def _local_time(params: dict) -> dt.time:
    return dt.time.fromisoformat(params["at"]) if params.get("at") else DEFAULT_LOCAL_TIME


def _members(window: Window):
    return window.of_members(Member.objects.filter(home_club=window.club), "pk")


def _paid(window: Window):
    return window.of_members(_paid_at(window.club))


def _paid_at(club: Club):
    """Paid memberships of the club's members (subqueries: narrowed by their outer row)."""
    return Membership.objects.filter(member__home_club=club).not_cancelled().paid()


# --- event kinds: something happened ----------------------------------------------------


def _event_kind(event_kind: str, *, unless: tuple[Callable[[], QuerySet], ...] = ()) -> Finder:
    """A finder of timeline events of a kind; each of `unless` gives a query (on the outer
    event's member and at) of what, since the event, makes its message obsolete."""

    def find(window: Window, params: dict) -> Iterator[Occurrence]:
        delay = dt.timedelta(minutes=params.get("delay_minutes", 0))
        events = window.of_members(
            MemberEvent.objects.filter(
                member__home_club=window.club,
                kind=event_kind,
                at__gt=window.since - delay,
                at__lte=window.until - delay,
            )
        )
        for overtaken in unless:
            events = events.filter(~Q(Exists(overtaken())))
        events = events.values_list("pk", "member_id", "at", "data")
        for pk, member_id, at, data in events:
            yield Occurrence(member_id, f"event:{pk}", at + delay, {"event": data, "at": at})

    return find


def _minutes_after(params: dict) -> str:
    minutes = params.get("delay_minutes", 0)
    return "at once" if not minutes else f"{minutes} minutes after"


def _lead_created_words(params: dict) -> str:
    skipped = [Member.Source(source).label.lower() for source in params.get("except_sources", [])]
    unless = f" (not {' or '.join(skipped)} leads)" if skipped else ""
    if params.get("unless_trial_booked"):
        unless += ", unless a trial is booked or a membership bought since"
    elif params.get("unless_joined"):
        unless += ", unless they joined since"
    return f"{_minutes_after(params)} a lead is created{unless}"


def _trial_booked_since():
    # The trial form creates the lead and books the trial at the same instant, hence "at or
    # after". A no-show booked one too (rule 6 asks them to rebook); a cancelled one did not.
    return Booking.objects.filter(
        member=OuterRef("member"),
        is_trial=True,
        status__in=[Booking.Status.BOOKED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW],
        created_at__gte=OuterRef("at"),
    )


def _membership_bought_since():
    # Any plan, a trial plan included: each makes "try a class for free" moot.
    return Membership.objects.filter(
        member=OuterRef("member"), created_at__gte=OuterRef("at")
    ).not_cancelled()


def _joined_since():
    # A paid plan: the lead joined and "call the new lead" is moot. A free trial week is not
    # joining; the call is what turns it into a sale.
    return _membership_bought_since().exclude(plan__kind=Plan.Kind.TRIAL)


@trigger(
    "lead_created",
    "Lead created",
    _lead_created_words,
    facts=("event", "at"),
    prompt=True,
    params=(
        DELAY,
        Parameter("except_sources", "Leads from these sources are left out (none ticked: none)."),
        Parameter(
            "unless_trial_booked",
            "Not when a trial was booked or a membership bought since the lead arrived.",
        ),
        Parameter("unless_joined", "Not when a paid membership was bought since the lead arrived."),
    ),
)
def _lead_created(window: Window, params: dict) -> Iterator[Occurrence]:
    # "except_sources": a walk-in is standing at the desk; calling them back is pointless.
    skipped = set(params.get("except_sources", []))
    # "unless_trial_booked": an invitation to a free trial is absurd to a lead who booked one
    # (or joined) since; the stored stage, refreshed every 15 minutes, still says "lead".
    # "unless_joined": rule 1's call is moot once they bought a membership at the desk.
    unless = ()
    if params.get("unless_trial_booked"):
        unless = (_trial_booked_since, _membership_bought_since)
    elif params.get("unless_joined"):
        unless = (_joined_since,)
    events = _event_kind(MemberEvent.Kind.LEAD_CREATED, unless=unless)
    for occurrence in events(window, params):
        if occurrence.facts["event"].get("source") not in skipped:
            yield occurrence


def _paid_since():
    # "Update your card" is obsolete once the member has paid since the failure.
    return Payment.objects.filter(
        member=OuterRef("member"), status=Payment.Status.SUCCEEDED, at__gt=OuterRef("at")
    )


trigger(
    "payment_failed",
    "Payment failed",
    lambda p: f"{_minutes_after(p)} a payment fails, unless the member has paid since",
    facts=("event", "at"),
    prompt=True,
    params=(DELAY,),
)(_event_kind(MemberEvent.Kind.PAYMENT_FAILED, unless=(_paid_since,)))


@trigger(
    "check_in_denied",
    "Check-in denied",
    lambda p: (
        "when a check-in is denied because the membership expired or the pack is empty (once a day)"
    ),
    facts=("reason",),
    prompt=True,
    params=(
        Parameter(
            "reasons",
            "Denials for these reasons (none ticked: expired, or no visits left).",
        ),
    ),
)
def _check_in_denied(window: Window, params: dict) -> Iterator[Occurrence]:
    reasons = params.get("reasons", ["expired", "no_visits_left"])
    # "Renew now" holds until the member renews or is let in: a paid membership bought since
    # the denial (bought, not in force: an early renewal of a time plan starts after it
    # ends), or a visit since that no staff override let through (a membership admitted
    # them). An "admit anyway" leaves the membership as it was, so the message still holds.
    bought_since = _paid_at(window.club).filter(
        member=OuterRef("member"), created_at__gt=OuterRef("at")
    )
    admitted_since = Visit.objects.filter(
        member=OuterRef("member"), at__gt=OuterRef("at"), override_by__isnull=True
    )
    # Once per member and local day: someone at the door scans again and again, and each
    # scan is a denial. Only the day's first denial (of these reasons) is an occurrence, so
    # its key, `denied:<first denial>`, is the key each denial had before, and a later one's
    # row still in the outbox is cancelled as obsolete at send time instead of sent too.
    day = TruncDate("at", tzinfo=clock.zone(window.club))
    earlier_that_day = (
        CheckInAttempt.objects.filter(
            member=OuterRef("member"),
            reason__in=reasons,
            at__gte=OuterRef("at") - dt.timedelta(days=1),
        )
        .filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk")))
        .annotate(day=day)
        .filter(day=OuterRef("day"))
    )
    denials = (
        window.of_members(
            CheckInAttempt.objects.filter(
                member__home_club=window.club,
                reason__in=reasons,
                at__gt=window.since,
                at__lte=window.until,
            )
        )
        .annotate(day=day)
        .filter(~Q(Exists(earlier_that_day)))
        .filter(~Q(Exists(bought_since)), ~Q(Exists(admitted_since)))
        .values_list("pk", "member_id", "at", "reason")
    )
    for pk, member_id, at, reason in denials:
        yield Occurrence(member_id, f"denied:{pk}", at, {"reason": reason})


@trigger(
    "lead_without_trial",
    "Lead with no trial booked",
    lambda p: f"{p.get('days', 3)} days after a lead is created, if no trial is booked",
    params=(Parameter("days", "Days after the lead arrives (blank: 3)."),),
)
def _lead_without_trial(window: Window, params: dict) -> Iterator[Occurrence]:
    after = dt.timedelta(days=params.get("days", 3))
    trial_booked = Booking.objects.filter(member=OuterRef("member"), is_trial=True)
    events = (
        window.of_members(
            MemberEvent.objects.filter(
                member__home_club=window.club,
                kind=MemberEvent.Kind.LEAD_CREATED,
                at__gt=window.since - after,
                at__lte=window.until - after,
            )
        )
        .filter(~Q(Exists(trial_booked)), member__status=Member.Status.LEAD)
        .values_list("pk", "member_id", "at")
    )
    for pk, member_id, at in events:
        yield Occurrence(member_id, f"event:{pk}", at + after, {})


@trigger(
    "trial_booked",
    "Trial booked",
    lambda p: f"{p.get('hours_before', 3)} hours before a booked trial session",
    facts=("class_name", "class_start", "class_day", "class_time"),
    params=(Parameter("hours_before", "Hours before the trial session starts (blank: 3)."),),
)
def _trial_booked(window: Window, params: dict) -> Iterator[Occurrence]:
    before = dt.timedelta(hours=params.get("hours_before", 3))
    # A lead who joined after booking keeps the class, still a trial booking (the funnel and
    # the one-trial rule count it), but the trial reminder is no longer theirs: a paid
    # membership bought since the booking drops it, here and so at send time.
    joined_since = _paid_at(window.club).filter(
        member=OuterRef("member"), created_at__gte=OuterRef("created_at")
    )
    rows = (
        window.of_members(
            Booking.objects.filter(
                session__club=window.club,
                is_trial=True,
                status=Booking.Status.BOOKED,
                session__start__gt=window.since + before,
                session__start__lte=window.until + before,
            )
        )
        .filter(~Q(Exists(joined_since)))
        .values_list("pk", "member_id", "session__start", "session__class_type__name")
    )
    zone = clock.zone(window.club)
    for pk, member_id, start, class_name in rows:
        # The day in words: the quiet hours send a 07:00 class's reminder the evening before,
        # where "today" would be wrong.
        facts = {"class_name": class_name, "class_start": start, **class_words(start, zone)}
        yield Occurrence(member_id, f"booking:{pk}", start - before, facts, deadline=start)


def class_words(start: dt.datetime, zone: ZoneInfo) -> dict[str, str]:
    """A class's day and time as messages say them, on its club's clock: "Thu 26 Nov", "07:00"."""
    local = start.astimezone(zone)
    return {"class_day": f"{local:%a %-d %b}", "class_time": f"{local:%H:%M}"}


@trigger(
    "trial_attended",
    "Trial attended",
    lambda p: f"{p.get('hours_after', 2)} hours after a trial session the lead attended",
    params=(Parameter("hours_after", "Hours after the trial session ends (blank: 2)."),),
)
def _trial_attended(window: Window, params: dict) -> Iterator[Occurrence]:
    after = dt.timedelta(hours=params.get("hours_after", 2))
    rows = window.of_members(
        Booking.objects.filter(
            session__club=window.club,
            is_trial=True,
            status=Booking.Status.ATTENDED,
            session__end__gt=window.since - after,
            session__end__lte=window.until - after,
        )
    ).values_list("pk", "member_id", "session__end")
    for pk, member_id, end in rows:
        yield Occurrence(member_id, f"booking:{pk}", end + after, {})


@trigger(
    "trial_no_show",
    "Trial no-show",
    lambda p: f"the day after a missed trial session, at {_local_time(p):%H:%M}, unless rebooked",
    params=(AT,),
)
def _trial_no_show(window: Window, params: dict) -> Iterator[Occurrence]:
    local = _local_time(params)
    days = list(window.days())
    # "Pick another free class" is obsolete once they have: a later trial session booked or
    # attended.
    rebooked = Booking.objects.filter(
        member=OuterRef("member"),
        is_trial=True,
        status__in=[Booking.Status.BOOKED, Booking.Status.ATTENDED],
        session__start__gt=OuterRef("session__start"),
    )
    rows = (
        window.of_members(
            Booking.objects.filter(
                session__club=window.club,
                is_trial=True,
                status=Booking.Status.NO_SHOW,
                session__start__gte=clock.start_of_day(days[0] - dt.timedelta(days=1), window.club),
                session__start__lt=clock.start_of_day(days[-1], window.club),
            )
        )
        .filter(~Q(Exists(rebooked)))
        .values_list("pk", "member_id", "session__start")
    )
    for pk, member_id, start in rows:
        next_day = start.astimezone(clock.zone(window.club)).date() + dt.timedelta(days=1)
        yield Occurrence(member_id, f"booking:{pk}", window.at(next_day, local), {})


@trigger(
    "first_membership_started",
    "First membership started",
    lambda p: "when a member's first paid membership starts",
    facts=("plan",),
)
def _first_membership_started(window: Window, params: dict) -> Iterator[Occurrence]:
    earlier = _paid_at(window.club).filter(member=OuterRef("member"), start__lt=OuterRef("start"))
    days = list(window.days())
    rows = (
        _paid(window)
        .filter(start__gte=days[0], start__lte=days[-1])
        .filter(~Q(Exists(earlier)))
        .values_list("pk", "member_id", "start", "created_at", "plan__name")
    )
    for pk, member_id, start, created_at, plan in rows:
        # At once when bought for today; on the morning it starts when bought ahead.
        due = max(created_at, window.at(start, dt.time(0)))
        yield Occurrence(member_id, f"membership:{pk}", due, {"plan": plan})


def _first_memberships_started(window: Window, params: dict, *, without_visit: bool):
    """First paid memberships that started `days` before a day of the window."""
    after = dt.timedelta(days=params.get("days", 3 if without_visit else 14))
    local = _local_time(params)
    days = list(window.days())
    earlier = _paid_at(window.club).filter(member=OuterRef("member"), start__lt=OuterRef("start"))
    rows = _paid(window).filter(
        ~Q(Exists(earlier)), start__gte=days[0] - after, start__lte=days[-1] - after
    )
    if without_visit:
        visited = Visit.objects.filter(member=OuterRef("member"), at__date__gte=OuterRef("start"))
        rows = rows.filter(~Q(Exists(visited)))
    for pk, member_id, start in rows.values_list("pk", "member_id", "start"):
        yield Occurrence(member_id, f"membership:{pk}", window.at(start + after, local), {})


@trigger(
    "no_visit_since_start",
    "No visit since start",
    lambda p: f"{p.get('days', 3)} days after a first membership starts, if no visit yet",
    params=(Parameter("days", "Days after the first membership starts (blank: 3)."), AT),
)
def _no_visit_since_start(window: Window, params: dict) -> Iterator[Occurrence]:
    return _first_memberships_started(window, params, without_visit=True)


@trigger(
    "days_since_start",
    "Days since the first membership started",
    lambda p: f"{p.get('days', 14)} days after a first membership starts",
    params=(Parameter("days", "Days after the first membership starts (blank: 14)."), AT),
)
def _days_since_start(window: Window, params: dict) -> Iterator[Occurrence]:
    return _first_memberships_started(window, params, without_visit=False)


@trigger(
    "nth_visit",
    "Nth visit",
    lambda p: f"on the day of a member's visit number {p['n']}",
    facts=("visits",),
    params=(Parameter("n", "The number of the visit, counting every visit ever.", required=True),),
)
def _nth_visit(window: Window, params: dict) -> Iterator[Occurrence]:
    n = params["n"]
    earlier = (
        Visit.objects.filter(member=OuterRef("member"), at__lte=OuterRef("at"))
        .order_by()
        .values("member")
        .annotate(c=Count("*"))  # the (member, at) index alone answers it
        .values("c")
    )
    visits = Visit.objects.filter(
        member__home_club=window.club, at__gt=window.since, at__lte=window.until
    )
    rows = (
        window.of_members(visits)
        .annotate(number=earlier)
        .filter(number=n)
        .values_list("member_id", "at")
    )
    for member_id, at in rows:
        yield Occurrence(member_id, f"visit:{n}", at, {"visits": n})


@trigger(
    "days_without_visit",
    "Days without a visit",
    # The words say what _day_away does: a freeze restarts the count at its end, so the
    # days away before it are dropped too, not only the days frozen.
    lambda p: (
        f"on the {ordinal(p['days'])} day without a visit, while the membership runs "
        "(counted again from the end of a freeze)"
    ),
    facts=("days",),
    params=(
        Parameter(
            "days",
            "Days without a visit, counted again from the end of a freeze.",
            required=True,
        ),
        AT,
    ),
)
def _days_without_visit(window: Window, params: dict) -> Iterator[Occurrence]:
    gap = dt.timedelta(days=params["days"])
    local = _local_time(params)
    days = list(window.days())
    zone = clock.zone(window.club)
    # Day D is the gap-th day without a visit when the last visit fell on D - gap: the
    # latest visit in those days, with none after them. Read from the visits in that range
    # (by time), not from every member's last visit.
    first = clock.start_of_day(days[0] - gap, window.club)
    after = clock.start_of_day(days[-1] - gap + dt.timedelta(days=1), window.club)
    came_back = Visit.objects.filter(member=OuterRef("member_id"), at__gte=after)
    in_range = Visit.objects.filter(member__home_club=window.club, at__gte=first, at__lt=after)
    rows = (
        window.of_members(in_range)
        .filter(~Q(Exists(came_back)))
        .order_by()
        .values("member_id")
        .annotate(last_visit=Max("at"))
        .values_list("member_id", "last_visit")
    )
    last_visits = {pk: last for pk, last in rows}
    # A freeze pauses the clock (as it does the at-risk stage): days away count from the
    # later of the last visit and the freeze's last day, and not at all while frozen. So
    # the freezes that end after D - gap and start by D, with each one's member's last visit
    # (a member away since before the range is due again gap days after their freeze).
    freezes = _freezes_with_last_visit(window, days[0] - gap, days[-1])
    for member_id, _, _, last in freezes:
        if last is not None:
            last_visits.setdefault(member_id, last)
    frozen: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for member_id, start, end, _ in freezes:
        frozen.setdefault(member_id, []).append((start, end))
    in_force = _in_force_days(last_visits, days)
    for member_id, last in last_visits.items():
        visited = last.astimezone(zone).date()
        found = _day_away(visited, frozen.get(member_id, ()), gap, days)
        if found is None:
            continue
        day, thawed = found
        if any(start <= day <= end for start, end in in_force.get(member_id, ())):
            # Once per absence: the key names the visit the absence started after, and the
            # freeze's last day when one moved it (a freeze recorded after the touchpoint was
            # written cancels it as obsolete; the moved one needs a key of its own).
            key = f"absence:{last.astimezone(dt.UTC):%Y%m%d%H%M}"
            if thawed is not None:
                key += f":{thawed:%Y%m%d}"
            yield Occurrence(member_id, key, window.at(day, local), {"days": gap.days})


def _day_away(
    visited: dt.date, freezes, gap: dt.timedelta, days: list[dt.date]
) -> tuple[dt.date, dt.date | None] | None:
    """The day of `days` that is the gap-th day away after a visit on `visited`, with the end
    of the freeze it counts from when one moved it; None when no day is."""
    if not freezes:  # most members: the count runs from the visit (`days` are consecutive)
        day = visited + gap
        return (day, None) if days[0] <= day <= days[-1] else None
    for day in days:
        # Of the freezes begun by that day and ending after the visit, the latest end
        # restarts the count; one ending that day or later means the member is frozen then.
        thawed = max(
            (end for start, end in freezes if start <= day and end > visited), default=None
        )
        since = thawed or visited
        if day - since == gap:
            return day, thawed
    return None


def _freezes_with_last_visit(window: Window, first: dt.date, last: dt.date) -> list[tuple]:
    """(member, start, end, last visit) of the club's freezes that end on or after `first`
    and start on or before `last`, of memberships that still count."""
    last_visit = Visit.objects.filter(member=OuterRef("membership__member")).order_by("-at")
    return list(
        window.of_members(
            Freeze.objects.filter(
                membership__member__home_club=window.club, end__gte=first, start__lte=last
            ),
            "membership__member",
        )
        .exclude(membership__status=Membership.Status.CANCELLED)
        .annotate(last_visit=Subquery(last_visit.values("at")[:1]))
        .order_by()
        .values_list("membership__member_id", "start", "end", "last_visit")
    )


def _in_force_days(member_ids, days: list[dt.date]) -> dict[int, list]:
    """(start, end) of each member's paid memberships that touch the days. The members are
    the club's, as the finder found them: asked by id alone, without a join to their club
    (per membership, it cost more than the rest of the query)."""
    spans: dict[int, list] = {}
    rows = (
        Membership.objects.not_cancelled()
        .paid()
        .filter(member__any_of=list(member_ids), start__lte=days[-1], end__gte=days[0])
        .order_by()
        .values_list("member_id", "start", "end")
    )
    for member_id, start, end in rows:
        spans.setdefault(member_id, []).append((start, end))
    return spans


@trigger(
    "pack_balance_low",
    "Pack balance low",
    lambda p: f"when a visit pack has {p.get('visits', 2)} or fewer visits left",
    facts=("visits_left",),
    params=(Parameter("visits", "Visits left in the pack, or fewer (blank: 2)."),),
)
def _pack_balance_low(window: Window, params: dict) -> Iterator[Occurrence]:
    threshold = params.get("visits", 2)
    day = clock.today(window.club)
    # Due when the balance dropped to the threshold, not when first seen low: a pack empty
    # for weeks got "0 visits left" the day the rule (or the demo) started. That moment is
    # the ledger entry that took it there: the first at or under the threshold with none
    # above it after. A drop older than the window (the evaluator's look-back) is not found,
    # and the dispatcher's max delay applies to it as to any event. A pack without ledger
    # rows counts from its purchase.
    back_above = LedgerEntry.objects.filter(
        membership=OuterRef("membership"), balance_after__gt=threshold
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    dropped = (
        LedgerEntry.objects.filter(membership=OuterRef("pk"), balance_after__lte=threshold)
        .filter(~Q(Exists(back_above)))
        .order_by("at", "pk")
        .values("at")[:1]
    )
    rows = (
        _paid(window)
        .filter(plan__kind=Plan.Kind.PACK, visits_left__lte=threshold, start__lte=day)
        .filter(end__gte=day)
        .annotate(dropped_at=Coalesce(Subquery(dropped), "created_at"))
        .filter(dropped_at__gt=window.since, dropped_at__lte=window.until)
        .values_list("pk", "member_id", "visits_left", "dropped_at")
    )
    for pk, member_id, left, dropped_at in rows:
        # The balance is a state that held since then; the key fires it once per pack.
        yield Occurrence(member_id, f"membership:{pk}", dropped_at, {"visits_left": left})


@trigger(
    "membership_ends_in",
    "Membership ends soon",
    lambda p: (
        f"{p['days']} days before a membership longer than "
        f"{renewal_timing.shortest_length(p['days']) - 1} days ends, if not renewed"
    ),
    facts=("end", "plan"),
    params=(Parameter("days", "Days before the membership ends.", required=True), AT),
)
def _membership_ends_in(window: Window, params: dict) -> Iterator[Occurrence]:
    before = dt.timedelta(days=params["days"])
    local = _local_time(params)
    days = list(window.days())
    rows = (
        _paid(window)
        .filter(end__gte=days[0] + before, end__lte=days[-1] + before)
        # Only in the membership's second half: 30 days before the end of a month is its
        # first day, or before it starts for a renewal bought early.
        .filter(lifecycle.in_second_half(params["days"]))
        .not_renewed()
        # One that renews by itself needs no offer; switched on before the send, the
        # send-time re-check (this query again) cancels it as obsolete.
        .not_renewing_automatically()
        .values_list("pk", "member_id", "end", "plan__name")
    )
    for pk, member_id, end, plan in rows:
        # The end date is part of the key: a freeze moves the end, and with it the reminder.
        facts = {"end": end, "plan": plan}
        key = f"membership:{pk}:{end:%Y%m%d}"
        yield Occurrence(member_id, key, window.at(end - before, local), facts)


@trigger(
    "membership_ended",
    "Membership ended",
    lambda p: f"{p['days']} days after a membership ended, if not renewed",
    facts=("end", "plan"),
    params=(Parameter("days", "Days after the membership ended.", required=True), AT),
)
def _membership_ended(window: Window, params: dict) -> Iterator[Occurrence]:
    after = dt.timedelta(days=params["days"])
    local = _local_time(params)
    days = list(window.days())
    rows = (
        _paid(window)
        .filter(end__gte=days[0] - after, end__lte=days[-1] - after)
        .not_renewed()
        .values_list("pk", "member_id", "end", "plan__name")
    )
    for pk, member_id, end, plan in rows:
        # Once per lapse: the membership that lapsed names it.
        facts = {"end": end, "plan": plan}
        yield Occurrence(member_id, f"lapse:{pk}", window.at(end + after, local), facts)


def _on_days(field: str, days: list[dt.date]) -> tuple[In, dict[tuple[int, int], dt.date]]:
    """A filter for dates whose month and day fall on one of the days (29 February greeted
    on 1 March in other years), and the day each (month, day) is celebrated on."""
    celebrated = {(day.month, day.day): day for day in days}
    for day in days:
        if (day.month, day.day) == (3, 1) and not _is_leap(day.year):
            celebrated[2, 29] = day
    # month * 100 + day, compared with one IN: an OR of (month, day) pairs extracted both
    # parts again for every pair, on every row of the table.
    matches = In(month_day(field), [month * 100 + day for month, day in celebrated])
    return matches, celebrated


@trigger(
    "birthday",
    "Birthday",
    lambda p: f"on the member's birthday at {_local_time(p):%H:%M}",
    params=(AT,),
)
def _birthday(window: Window, params: dict) -> Iterator[Occurrence]:
    local = _local_time(params)
    born_on, celebrated = _on_days("birth_date", list(window.days()))
    rows = _members(window).filter(born_on).values_list("pk", "birth_date")
    for member_id, born in rows:
        day = celebrated[born.month, born.day]
        yield Occurrence(member_id, f"birthday:{day.year}", window.at(day, local), {})


@trigger(
    "membership_anniversary",
    "Membership anniversary",
    lambda p: f"on the anniversary of joining, at {_local_time(p):%H:%M}",
    facts=("years",),
    params=(AT,),
)
def _anniversary(window: Window, params: dict) -> Iterator[Occurrence]:
    local = _local_time(params)
    days = list(window.days())
    started_on, celebrated = _on_days("start", days)
    # Joining is the first paid start: memberships that started on one of these calendar
    # days in an earlier year, with no paid membership before them.
    earlier = _paid_at(window.club).filter(member=OuterRef("member"), start__lt=OuterRef("start"))
    rows = (
        _paid(window)
        .filter(started_on, start__lt=days[0])
        .filter(~Q(Exists(earlier)))
        .values_list("member_id", "start")
    )
    joined = dict(rows)
    in_force = _in_force_days(joined, days)
    for member_id, since in joined.items():
        day = celebrated[since.month, since.day]
        if since < day and any(start <= day <= end for start, end in in_force.get(member_id, ())):
            facts = {"years": day.year - since.year}
            yield Occurrence(member_id, f"anniversary:{day.year}", window.at(day, local), facts)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- a waitlist place became a seat -----------------------------------------------------


@trigger(
    "waitlist_promoted",
    "Moved up from the waitlist",
    lambda p: (
        f"{_minutes_after(p)} a member moves up from a class's waitlist to a seat, "
        "unless they cancelled it or the class started since"
    ),
    facts=("class_name", "class_day", "class_time"),
    params=(DELAY,),
    prompt=True,
)
def _waitlist_promoted(window: Window, params: dict) -> Iterator[Occurrence]:
    # checkin records each promotion on the timeline (bookings._promote_locked) and never
    # tells anyone itself; the booking the event names says whether the seat is still theirs.
    delay = dt.timedelta(minutes=params.get("delay_minutes", 0))
    events = window.of_members(
        MemberEvent.objects.filter(
            member__home_club=window.club,
            kind=MemberEvent.Kind.WAITLIST_PROMOTED,
            at__gt=window.since - delay,
            at__lte=window.until - delay,
        )
    ).values_list("data__booking", "at")
    promoted_at = {booking: at for booking, at in events if booking is not None}
    if not promoted_at:
        return
    # "A place is yours" is obsolete once the member cancelled it (or a freeze or the club
    # did) and once the class has started: re-run at send time, this drops the message.
    seats = (
        Booking.objects.filter(
            pk__any_of=sorted(promoted_at),
            status=Booking.Status.BOOKED,
            session__is_cancelled=False,
            session__start__gt=clock.now(),
        )
        .values_list(
            "pk",
            "member_id",
            "session__start",
            "session__class_type__name",
            "session__club__time_zone",
        )
        .order_by("pk")
    )
    for pk, member_id, start, class_name, time_zone in seats:
        due = promoted_at[pk] + delay
        if start <= due:
            continue  # a delay that outlasts the class: nothing left to tell
        # In the class's own club's time: a membership valid at every club books elsewhere.
        facts = {"class_name": class_name, **class_words(start, ZoneInfo(time_zone))}
        # Once per promoted booking: a booking is given a seat from the waitlist only once.
        yield Occurrence(member_id, f"booking:{pk}", due, facts, deadline=start)
