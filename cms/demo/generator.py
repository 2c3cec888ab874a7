"""Generate the demo history in memory: people, memberships, visits, classes and their traces.

Pure Python and numpy, no database: `generate()` returns a `History` of columns that
`cms.demo.writer` stores. Days are proleptic ordinals (`date.toordinal()`), instants
are UTC epoch seconds, and rows point at each other by position in their column.

The same (members, years, seed, today, now) always gives the same history: every draw
comes from generators seeded from `seed`, in a fixed order, and nothing reads the
clock. The planted behaviour (renewal probability by visit-frequency band) is
decided from the visits this module actually generated.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import random
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from campaigns import evaluator
from campaigns.models import Channel
from cms.demo import catalogue as cat
from cms.demo.catalogue import PACK, PLANTED, TRIAL, Planted
from members.models import Member
from memberships import renewal_timing, statuses

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
DAY = 86_400
NO = -1  # "no row" in an index column
# The entropy, beside the seed, of the playbook history's own generator ("play").
PLAYBOOK_STREAM = 0x706C6179
# The entropy of today's visits (up to `now`), drawn after the days before it ("today").
TODAY_STREAM = 0x746F6461
# memberships.tasks.auto_renew_task runs at minute 7 of every hour: the first run of the
# club's day after the end renews at 00:07 local.
AUTO_RENEW_MINUTE = 7
# A member who won't go on stops auto-renew this many days before the end (or at the start).
AUTO_RENEW_STOPPED_DAYS = 10
AUTO_RENEW_PAID_MINUTE = 10 * 60


@dataclass
class People:
    club: np.ndarray
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[str]
    birth_date: list[int | None]
    source: list[str]
    interests: list[list[str]]
    notes: list[str]
    sms_consent: list[bool]
    email_consent: list[bool]
    created: np.ndarray
    engagement: np.ndarray
    card_token: list[str | None] = field(default_factory=list)
    status: list[str] = field(default_factory=list)


@dataclass
class Memberships:
    member: list[int] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)  # club * 4 + kind
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    original_end: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    renewed_from: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)  # position in its renewal chain
    first_paid: list[bool] = field(default_factory=list)
    imported: list[bool] = field(default_factory=list)
    visits_left: list[int | None] = field(default_factory=list)
    actor: list[str | None] = field(default_factory=list)
    auto_renew: list[bool] = field(default_factory=list)  # as it stands at the end
    automatic: list[bool] = field(default_factory=list)  # made by memberships.autorenew
    auto_renew_stopped: list[int | None] = field(default_factory=list)  # when, epoch seconds


@dataclass
class Rows:
    """A table as named columns of equal length."""

    columns: dict[str, list] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))


@dataclass
class History:
    members: int
    years: int
    seed: int
    today: dt.date
    start: dt.date
    people: People
    memberships: Memberships
    freezes: Rows
    sessions: Rows
    bookings: Rows
    visits: Rows
    ledger: Rows
    payments: Rows
    attempts: Rows
    consents: Rows
    events: Rows
    offers: Rows
    stats: dict
    touchpoints: Rows = field(default_factory=Rows)
    stripe_events: Rows = field(default_factory=Rows)
    planted: Planted = PLANTED
    now: dt.time | None = None


def generate(
    *,
    members: int,
    years: int,
    seed: int,
    today: dt.date,
    planted: Planted = PLANTED,
    now: dt.time | None = None,
) -> History:
    """Simulate `years` of two clubs with `members` people up to (not including) `today`;
    with `now` (the clubs' local time of day), today's check-ins up to then as well."""
    if members < 1 or years < 1:
        raise ValueError("A demo needs at least one member and one year.")
    simulation = _Simulation(members=members, years=years, seed=seed, today=today, planted=planted)
    simulation.now_minute = now.hour * 60 + now.minute if now is not None else 0
    history = simulation.run()
    history.now = now
    return history


class _Simulation:
    def __init__(
        self, *, members: int, years: int, seed: int, today: dt.date, planted: Planted
    ) -> None:
        self.n = members
        self.years = years
        self.seed = seed
        self.today_date = today
        self.p = planted
        self.today = today.toordinal()
        self.start = self.today - 365 * years
        # Day-indexed tables span the imported annual memberships, which began up to a
        # year before the history, to the end of the class schedule two weeks ahead.
        self.d0 = self.start - 370
        self.d1 = self.today + cat.FUTURE_SCHEDULE_DAYS + 1
        # Children are numbered: a ninth stream leaves the first eight as they were.
        streams = np.random.SeedSequence(seed).spawn(9)
        self.g_people = np.random.default_rng(streams[0])
        self.g_visits = np.random.default_rng(streams[1])
        self.g_times = np.random.default_rng(streams[2])
        self.g_classes = np.random.default_rng(streams[3])
        self.g_bookings = np.random.default_rng(streams[4])
        self.g_money = np.random.default_rng(streams[5])
        self.g_consent = np.random.default_rng(streams[6])
        # Scalar draws in the per-member loop are much cheaper from the stdlib generator.
        self.r = random.Random(int(streams[7].generate_state(1)[0]))
        self.g_offers = np.random.default_rng(streams[8])

        days = np.arange(self.d0, self.d1 + 1)
        dates = [dt.date.fromordinal(int(d)) for d in days]
        weekday = (days - 1) % 7
        month = np.array([d.month for d in dates]) - 1
        self.weekday = weekday
        self.day_factor = (
            np.asarray(planted.weekday_factor)[weekday] * np.asarray(planted.month_factor)[month]
        )
        self.lead_factor = (
            np.asarray(planted.weekday_factor)[weekday]
            * np.asarray(planted.lead_month_factor)[month]
        )
        # UTC offset of each club on each day, taken at noon: clubs are closed at night,
        # so the daylight-saving switch at 02:00–03:00 never falls inside opening hours.
        self.offset = np.array(
            [
                [
                    ZoneInfo(spec.time_zone)
                    .utcoffset(dt.datetime.combine(d, dt.time(12)))
                    .total_seconds()
                    for d in dates
                ]
                for spec in cat.CLUBS
            ],
            dtype=np.int64,
        )
        self.now = self.ts(0, self.today, 0)  # midnight at the start of today, local

        self.ms = Memberships()
        self.freezes = Rows(
            {k: [] for k in ("membership", "start", "end", "created", "reason", "actor")}
        )
        self.trials = Rows({k: [] for k in ("member", "membership", "day", "booked", "attended")})
        self.attempts = Rows(
            {k: [] for k in ("member", "club", "at", "source", "reason", "membership")}
        )
        self.decisions = Rows(
            {k: [] for k in ("membership", "kind", "end", "visits", "band", "renewed", "offer")}
        )
        self.offer_rows = Rows({k: [] for k in ("member", "membership", "end", "due", "status")})
        self.visit_days: list[np.ndarray] = []
        self.visit_chunk_ms: list[int] = []
        # The visit rate each membership was drawn with (a record: it draws nothing).
        self.ms_rate: dict[int, float] = {}
        self.now_minute = 0  # today's local minute the history runs to (0: its midnight)

    # -- time ------------------------------------------------------------------------

    def ts(self, club: int, day: int, minute: int) -> int:
        """UTC epoch seconds of a local wall-clock minute at the club."""
        return (day - EPOCH_ORDINAL) * DAY + minute * 60 - int(self.offset[club, day - self.d0])

    def ts_array(self, club: np.ndarray, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
        return (
            (day.astype(np.int64) - EPOCH_ORDINAL) * DAY
            + minute.astype(np.int64) * 60
            - self.offset[club, day - self.d0]
        )

    def now_at(self, club: np.ndarray) -> np.ndarray:
        """The seed's now at each club (today's `now_minute`, local), as UTC epoch seconds:
        nothing planted as sent or decided may lie after it."""
        day = np.full(club.size, self.today, dtype=np.int64)
        return self.ts_array(club, day, np.full(club.size, self.now_minute, dtype=np.int64))

    def desk_minute(self) -> int:
        return self.r.randrange(*cat.DESK_HOURS)

    # -- run -------------------------------------------------------------------------

    def run(self) -> History:
        people = self.persons = self.people()
        self.plan_renewal_offers()
        for i in range(self.n):
            self.lifecycle(i)
        sessions = self.sessions()
        visits, bookings = self.visits_and_classes(sessions)
        visits = self.todays_visits(visits, bookings, sessions)
        self.fix_purchase_times(visits)
        ledger = self.ledger(visits)
        payments = self.payments()
        consents = self.consents()
        self.statuses_and_cards()
        events = self.events(sessions, bookings, consents, payments)
        offers = self.renewal_offers()
        stats = self.stats(visits, sessions, bookings)
        touchpoints = self.playbook_history(visits, consents, offers, events, bookings, sessions)
        stats["playbook_history"] = _count_by_rule(touchpoints)
        return History(
            members=self.n,
            years=self.years,
            seed=self.seed,
            today=self.today_date,
            start=dt.date.fromordinal(self.start),
            people=people,
            memberships=self.ms,
            freezes=self.freezes,
            sessions=sessions,
            bookings=bookings,
            visits=visits,
            ledger=ledger,
            payments=payments,
            attempts=self.attempts,
            consents=consents,
            events=events,
            offers=offers,
            stats=stats,
            planted=self.p,
            touchpoints=touchpoints,
            stripe_events=self.stripe_events(payments),
        )

    # -- people ----------------------------------------------------------------------

    def people(self) -> People:
        g, n, p = self.g_people, self.n, self.p
        shares = np.array([spec.share for spec in cat.CLUBS])
        club = g.choice(len(cat.CLUBS), size=n, p=shares / shares.sum())
        imported = g.random(n) < p.imported_share
        # Leads arrive over the history, more in January and September, fewer in summer.
        lead_days = np.arange(self.start, self.today)
        weights = self.lead_factor[lead_days - self.d0]
        lead_day = g.choice(lead_days, size=n, p=weights / weights.sum())
        lead_minute = g.integers(8 * 60, 20 * 60, size=n)
        created = self.ts_array(club, lead_day, lead_minute)
        import_minute = cat.IMPORT_TIME.hour * 60 + cat.IMPORT_TIME.minute
        created[imported] = self.ts_array(
            club[imported],
            np.full(imported.sum(), self.start),
            np.full(imported.sum(), import_minute),
        )
        lead_day[imported] = self.start
        engagement = g.choice(len(p.engagement_share), size=n, p=p.engagement_share)
        rate = np.asarray(p.engagement_rate)[engagement] * g.lognormal(
            0, p.rate_sigma_member, size=n
        )
        source_index = g.choice(len(cat.SOURCES), size=n, p=cat.SOURCE_WEIGHTS)
        source = ["import" if imported[i] else cat.SOURCES[source_index[i]] for i in range(n)]

        first = g.integers(0, len(cat.FIRST_NAMES), size=n)
        last = g.integers(0, len(cat.LAST_NAMES), size=n)
        first_name = [cat.FIRST_NAMES[k] for k in first]
        last_name = [cat.LAST_NAMES[k] for k in last]
        has_email = g.random(n) < 0.95
        has_phone = (g.random(n) < 0.88) | ~has_email
        email_number = g.integers(1, 100, size=n)
        plain = g.random(n) < 0.4
        domain = g.integers(0, len(cat.EMAIL_DOMAINS), size=n)
        emails, seen = [], set()
        for i in range(n):
            if not has_email[i]:
                emails.append("")
                continue
            local = f"{_ascii(first_name[i])}.{_ascii(last_name[i])}"
            if not plain[i]:
                local += str(email_number[i])
            address = f"{local}@{cat.EMAIL_DOMAINS[domain[i]]}"
            if address in seen:
                address = f"{local}.{i}@{cat.EMAIL_DOMAINS[domain[i]]}"
            seen.add(address)
            emails.append(address)
        pool = 1000 * len(cat.PHONE_BLOCKS)
        k = int(has_phone.sum())
        numbers = iter(g.choice(pool, size=k, replace=k > pool).tolist())
        phones = [
            f"{cat.PHONE_BLOCKS[(x := next(numbers)) // 1000]}{x % 1000:03d}"
            if has_phone[i]
            else ""
            for i in range(n)
        ]
        # Ages outside 16–72 wrap round into it: clipped, every one of them would have the
        # same birthday (the seed day). Wrapping draws nothing more, so the rest of the
        # generated world stays as it was for a given seed.
        years = 16 + np.mod(g.normal(34, 11, size=n) - 16, 72 - 16)
        age_days = (years * 365.25).astype(np.int64)
        has_birthday = g.random(n) < 0.94
        birth = [int(self.today - age_days[i]) if has_birthday[i] else None for i in range(n)]
        n_interests = g.choice([0, 1, 2, 3], size=n, p=[0.15, 0.35, 0.35, 0.15])
        interests = [
            sorted(
                g.choice(
                    len(cat.INTERESTS), size=n_interests[i], replace=False, p=cat.INTEREST_WEIGHTS
                ).tolist()
            )
            for i in range(n)
        ]
        interests = [[cat.INTERESTS[k] for k in chosen] for chosen in interests]
        note_draw = g.random(n)
        note_pick = g.integers(0, len(cat.NOTES), size=n)
        notes = [cat.NOTES[note_pick[i]] if note_draw[i] < 0.03 else "" for i in range(n)]
        sms = (g.random(n) < p.consent_sms) & has_phone
        mail = (g.random(n) < p.consent_email) & has_email
        # Whoever agreed to texts has a number that takes them; drawn in order, so the rest
        # of the world stays as it was for a seed (past 3,000 such people numbers repeat).
        mobiles = itertools.cycle(cat.mobile_numbers())
        phones = [next(mobiles) if sms[i] else phones[i] for i in range(n)]

        self.imported = imported
        self.lead_day = lead_day
        self.rate = rate
        self.class_share = np.array(
            [
                p.class_share_with_class_interest
                if cat.CLASS_INTERESTS.intersection(chosen)
                else p.class_share_otherwise
                for chosen in interests
            ]
        )
        return People(
            club=club,
            first_name=first_name,
            last_name=last_name,
            email=emails,
            phone=phones,
            birth_date=birth,
            source=source,
            interests=interests,
            notes=notes,
            sms_consent=sms.tolist(),
            email_consent=mail.tolist(),
            created=created,
            engagement=engagement,
        )

    # -- lifecycle -------------------------------------------------------------------

    def membership(
        self,
        member: int,
        kind: int,
        start: int,
        created: int,
        *,
        renewed_from: int = NO,
        first_paid: bool = False,
        imported: bool = False,
        actor: str | None = None,
        automatic: bool = False,
    ) -> int:
        ms = self.ms
        club = int(self.persons.club[member])
        end = start + cat.PLAN_DAYS[kind] - 1
        ms.member.append(member)
        ms.plan.append(club * 4 + kind)
        ms.start.append(start)
        ms.end.append(end)
        ms.original_end.append(end)
        ms.created.append(created)
        ms.renewed_from.append(renewed_from)
        ms.depth.append(ms.depth[renewed_from] + 1 if renewed_from != NO else 0)
        ms.first_paid.append(first_paid)
        ms.imported.append(imported)
        ms.visits_left.append(cat.PLAN_VISITS[kind])
        ms.actor.append(actor)
        # As sales.sell() does: every sale and renewal takes the plan's value.
        ms.auto_renew.append(cat.PLAN_AUTO_RENEW[kind])
        ms.automatic.append(automatic)
        ms.auto_renew_stopped.append(None)
        return len(ms.member) - 1

    def draw_days(self, first: int, last: int, rate: float) -> np.ndarray:
        """Days in [first, last] on which someone with this base rate comes in."""
        if last < first:
            return np.empty(0, dtype=np.int64)
        chance = self.day_factor[first - self.d0 : last - self.d0 + 1] * rate
        hits = np.flatnonzero(self.g_visits.random(chance.size) < chance)
        return hits + first

    def choose(self, weights: tuple[float, ...]) -> int:
        return self.r.choices(range(len(weights)), weights=weights)[0]

    def seller(self, member: int, online: bool) -> str | None:
        return None if online else cat.CLUBS[self.persons.club[member]].front_desk

    def lifecycle(self, i: int) -> None:
        r, p = self.r, self.p
        club = int(self.persons.club[i])
        engagement = int(self.persons.engagement[i])
        base = float(self.rate[i])
        if self.imported[i]:
            kind = 1 + self.choose(p.plan_mix[engagement])
            start = self.start - r.randrange(cat.PLAN_DAYS[kind])
            m = self.membership(i, kind, start, int(self.persons.created[i]), imported=True)
            self.chain(i, m, base)
            return

        lead_day = int(self.lead_day[i])
        lead_ts = int(self.persons.created[i])
        paid_start = None
        if r.random() < p.trial_rate:
            booked = lead_ts + r.randint(10, 180) * 60
            day = lead_day + r.randint(1, 7)
            trial = self.membership(i, TRIAL, day, booked)
            attended = None
            if day < self.today:
                attended = r.random() < p.trial_show_rate
                chance = p.convert_after_trial if attended else p.convert_after_no_show
                if r.random() < chance:
                    # Bought after the trial class, from the next day on.
                    paid_start = day + (r.randint(1, 7) if attended else r.randint(1, 14))
                if attended:
                    last = min(day + 6, self.today - 1)
                    if paid_start is not None:
                        last = min(last, paid_start - 1)
                    self.add_visits(trial, self.draw_days(day + 1, last, min(0.9, base * 1.3)))
            self.trials.columns["member"].append(i)
            self.trials.columns["membership"].append(trial)
            self.trials.columns["day"].append(day)
            self.trials.columns["booked"].append(booked)
            self.trials.columns["attended"].append(attended)
        elif r.random() < p.convert_without_trial:
            paid_start = lead_day + r.randint(0, 10)

        if paid_start is None or paid_start >= self.today:
            return
        kind = 1 + self.choose(p.plan_mix[engagement])
        online = r.random() < 0.3
        m = self.membership(
            i,
            kind,
            paid_start,
            self.ts(club, paid_start, self.desk_minute()),
            first_paid=True,
            actor=self.seller(i, online),
        )
        self.chain(i, m, base)

    def add_visits(self, membership: int, days: np.ndarray) -> None:
        if days.size:
            self.visit_days.append(days)
            self.visit_chunk_ms.append(membership)

    def chain(self, i: int, m: int, base: float) -> None:
        """Follow one renewal chain from membership m: visits, freezes, renew or lapse."""
        r, p, ms = self.r, self.p, self.ms
        club = int(self.persons.club[i])
        engagement = int(self.persons.engagement[i])
        while True:
            kind = ms.plan[m] % 4
            start, end = ms.start[m], ms.end[m]
            rate = base * r.lognormvariate(0, p.rate_sigma_membership)
            self.ms_rate[m] = rate
            frozen = None
            if r.random() < p.freeze_rate[kind]:
                freeze_start = start + r.randint(14, cat.PLAN_DAYS[kind] - 14)
                if freeze_start < self.today:
                    length = r.randint(*p.freeze_days)
                    frozen = (freeze_start, freeze_start + length - 1)
                    end += length
                    ms.end[m] = end
                    asked = max(start, freeze_start - r.randint(0, 5))
                    self.freezes.columns["membership"].append(m)
                    self.freezes.columns["start"].append(frozen[0])
                    self.freezes.columns["end"].append(frozen[1])
                    self.freezes.columns["created"].append(self.ts(club, asked, self.desk_minute()))
                    self.freezes.columns["reason"].append(r.choice(cat.FREEZE_REASONS))
                    self.freezes.columns["actor"].append(cat.CLUBS[club].front_desk)
            # No check-in data exists before the history starts or from today on.
            days = self.draw_days(max(start, self.start), min(end, self.today - 1), rate)
            if frozen is not None:
                days = days[(days < frozen[0]) | (days > frozen[1])]
            if kind == PACK:
                visits = cat.PLAN_VISITS[PACK]
                if days.size > visits:
                    # The pack is empty: they stop coming, some try once and are turned away.
                    if r.random() < 0.35:
                        self.attempt(i, int(days[visits]), "no_visits_left", m)
                    days = days[:visits]
                ms.visits_left[m] = visits - int(days.size)
            self.add_visits(m, days)
            if end >= self.today:
                # Still running: nothing to decide yet, but an offer already due has gone out.
                self.renewal_offer(i, m, end)
                return

            in_window = int(np.count_nonzero(days >= end - p.window_days + 1))
            band = p.band(in_window)
            offer = self.renewal_offer(i, m, end)
            probability = p.renewal_probability[band]
            if offer == "sent":
                probability = min(probability + p.renewal_offer_uplift, p.renewal_offer_cap)
            renewed = r.random() < probability
            d = self.decisions.columns
            d["membership"].append(m)
            d["kind"].append(kind)
            d["end"].append(end)
            d["visits"].append(in_window)
            d["band"].append(band)
            d["renewed"].append(renewed)
            d["offer"].append(offer)
            if ms.auto_renew[m]:
                if renewed:
                    # memberships.autorenew renews it the day after the end, same plan; the
                    # member pays at the desk (Generator.payments).
                    if end + 1 >= self.today:
                        d["renewed"][-1] = None  # the live auto_renew_task's to make
                        return
                    m = self.membership(
                        i,
                        kind,
                        end + 1,
                        self.ts(club, end + 1, AUTO_RENEW_MINUTE),
                        renewed_from=m,
                        automatic=True,
                    )
                    continue
                # Not renewing: the member stopped auto-renew before the end (the portal's
                # set_auto_renew), so the membership ends rather than renewing unpaid.
                stopped = max(start, end - AUTO_RENEW_STOPPED_DAYS)
                ms.auto_renew[m] = False
                ms.auto_renew_stopped[m] = self.ts(club, stopped, self.desk_minute())
            elif renewed:
                new_kind = 1 + self.choose(p.plan_switch[kind])
                if r.random() < p.late_renewal_share:
                    new_start = end + r.randint(1, p.late_renewal_max_days)
                    bought = new_start
                else:
                    new_start = end + 1
                    bought = max(start, end - r.randint(0, p.early_purchase_max_days))
                if bought >= self.today:
                    d["renewed"][-1] = None  # decided, but the purchase lies in the future
                    return
                online = r.random() < 0.5
                m = self.membership(
                    i,
                    new_kind,
                    new_start,
                    self.ts(club, bought, self.desk_minute()),
                    renewed_from=m,
                    actor=self.seller(i, online),
                )
                continue
            if r.random() < 0.25:
                tried = end + r.randint(1, 10)
                if tried < self.today:
                    self.attempt(i, tried, "expired", m)
            if r.random() < p.rejoin_probability:
                new_start = end + r.randint(*p.rejoin_gap_days)
                if new_start < self.today:
                    online = r.random() < 0.3
                    m = self.membership(
                        i,
                        1 + self.choose(p.plan_mix[engagement]),
                        new_start,
                        self.ts(club, new_start, self.desk_minute()),
                        actor=self.seller(i, online),
                    )
                    continue
            return

    # -- the renewal offer (rule 14) ---------------------------------------------------

    def plan_renewal_offers(self) -> None:
        """Who the renewal offer holds out, and when each member may be emailed.

        The control group is the generator's own stable hash of the member's position
        (the database ids are not known yet, and must not change the history); the
        touchpoint rows record the outcome as their status. Email consent is given a
        minute after first contact and some withdraw it later: the draws are the consent
        stream's, taken before the lifecycle so that `consents()` writes the same times.
        """
        p, people = self.p, self.persons
        self.offer_held_out = np.array(
            [
                _demo_hash(p.renewal_offer_rule, i) < p.renewal_offer_holdout_percent
                for i in range(self.n)
            ],
            dtype=bool,
        )
        self.consent_draws = self.g_consent.random((self.n, 4))
        given = people.created.astype(np.int64) + 60
        revoked = (self.consent_draws[:, 1] < p.email_revoke) & (given < self.now - DAY)
        withdrawn = given + ((self.now - given) * self.consent_draws[:, 3]).astype(np.int64)
        never = np.iinfo(np.int64).max
        self.email_from = np.where(np.asarray(people.email_consent, dtype=bool), given, never)
        self.email_until = np.where(revoked, withdrawn, never)

    def renewal_offer(self, i: int, m: int, end: int) -> str | None:
        """The status of rule 14's touchpoint for membership m ending on `end`, recorded for
        the writer; None when there was none: the membership is too short for the engine to
        send it (its due day is not in the second half: a month, unless a long freeze
        stretched it), due before the history began, from today on (the evaluator's to
        write), or before the membership was bought."""
        p = self.p
        if self.ms.auto_renew[m]:
            return None  # renewing automatically: rule 14 leaves it out
        if not renewal_timing.in_second_half(end - self.ms.start[m] + 1, p.renewal_offer_days):
            return None
        due_day = end - p.renewal_offer_days
        if not self.start <= due_day < self.today:
            return None
        due = self.ts(int(self.persons.club[i]), due_day, p.renewal_offer_minute)
        if self.ms.created[m] > due:
            return None
        # Held out only where it would have gone: a member without consent is in neither
        # arm (the dispatcher decides a held-out row as it decides a sent one).
        if not self.email_from[i] <= due < self.email_until[i]:
            status = "suppressed"
        elif self.offer_held_out[i]:
            status = "held_out"
        else:
            status = "sent"
        o = self.offer_rows.columns
        o["member"].append(i)
        o["membership"].append(m)
        o["end"].append(end)
        o["due"].append(due)
        o["status"].append(status)
        return status

    def renewal_offers(self) -> Rows:
        """Rule 14's touchpoints as the evaluator and dispatcher would have left them: created
        when the evaluator first saw them (up to 8 days ahead, once the membership existed),
        sent a few seconds after the due time and mostly delivered."""
        p, ms, g = self.p, self.ms, self.g_offers
        o = self.offer_rows.columns
        n = len(o["member"])
        membership = np.asarray(o["membership"], dtype=np.int64)
        due = np.asarray(o["due"], dtype=np.int64)
        status = np.asarray(o["status"], dtype=object)
        created = np.maximum(np.asarray(ms.created, dtype=np.int64)[membership], due - 8 * DAY)
        went = status == "sent"
        sent_at = np.where(went, due + g.integers(2, 90, size=n), NO)
        delivered = went & (g.random(n) < p.renewal_offer_delivered)
        delivered_at = np.where(delivered, sent_at + g.integers(1, 40, size=n), NO)
        status[delivered] = "delivered"
        return Rows(
            {
                "member": np.asarray(o["member"], dtype=np.int64),
                "membership": membership,
                "end": np.asarray(o["end"], dtype=np.int64),
                "due": due,
                "created": created,
                "status": status.tolist(),
                "sent_at": sent_at,
                "delivered_at": delivered_at,
            }
        )

    # -- the playbook's other rules (no effect on outcomes) ------------------------------

    def playbook_history(
        self,
        visits: Rows,
        consents: Rows,
        offers: Rows,
        events: Rows,
        bookings: Rows,
        sessions: Rows,
    ) -> Rows:
        """Touchpoints of cat.PLAYBOOK_HISTORY as the evaluator and dispatcher would have
        left them, for occurrences due in the history: created when the evaluator first
        could (the fact known, and the due time at most 8 days ahead), sent at the due time
        moved out of the quiet hours, held out by the same stable hash as rule 14's,
        suppressed without consent for the channel or over the daily and weekly caps, and
        cancelled as obsolete when what made the occurrence stopped being true (a renewal,
        a freeze moving the end) between the insert and the send. An occurrence that
        stopped being true before the evaluator saw it has no touchpoint.

        They change nothing that was drawn: every draw here comes from a generator of their
        own, taken after everything else, so the history is the same with or without them."""
        g = np.random.default_rng([self.seed, PLAYBOOK_STREAM])
        parts = [
            *self.lead_rules(events),
            *self.trial_rules(bookings, sessions),
            self.welcomes(),
            self.tenth_visits(visits),
            self.renewal_reminders(),
            self.win_backs(18),
            self.win_backs(19),
            self.birthdays(),
            self.anniversaries(),
        ]
        cols = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
        rules = {spec.number: spec for spec in cat.PLAYBOOK_HISTORY}
        # The evaluator runs every few minutes; it sees an occurrence once the fact exists
        # and its due time is within its look-ahead (its next run: after the first contact's
        # consent, recorded a minute after the member).
        created = np.maximum(cols["known"], cols["due"] - cat.EVALUATOR_LOOKAHEAD) + g.integers(
            60, 300, size=cols["member"].size
        )
        # Gone before the evaluator saw it: the trigger never found it, nothing written.
        seen = created < cols["unseen"]
        cols = {k: v[seen] for k, v in cols.items()}
        created = created[seen]
        n = cols["member"].size
        member, due, number = cols["member"], cols["due"], cols["rule"]
        club = self.persons.club[member].astype(np.int64)
        before = np.array(
            [dict(rules[k].params).get("quiet_hours") == "before" for k in number.tolist()],
            dtype=bool,
        )
        send_at = self.out_of_quiet_hours(club, due, before)
        sms = np.array([rules[k].channel == "sms" for k in number.tolist()], dtype=bool)
        task = np.array([rules[k].channel == "task" for k in number.tolist()], dtype=bool)
        # Written after its send time, in the quiet hours (a trial booked late the evening
        # before an early class): the dispatcher can only move it forward, to their end.
        late = (created > send_at) & ~task
        goes = np.where(late, self.out_of_quiet_hours(club, created), np.maximum(send_at, created))
        given, until = self.consent_spans(consents)
        channel = sms.astype(np.int64)  # 0 email, 1 sms
        start, stop = given[member, channel], until[member, channel]
        marketing = np.array([rules[k].marketing for k in number.tolist()], dtype=bool)
        phone = np.array([bool(x) for x in self.persons.phone], dtype=bool)
        email = np.array([bool(x) for x in self.persons.email], dtype=bool)
        address = np.where(sms, phone[member], email[member])
        kind = np.where(task, 2, channel)

        def refusal(at: np.ndarray) -> np.ndarray:
            # The live consent_refusal on the member as they stood at `at`: consent while
            # granted and not withdrawn, an opt-out once the log has an entry without it.
            consented = (start <= at) & (at < stop)
            logged = (start <= at) | (stop <= at)
            return _refusals()[_refusal_case(kind, marketing, consented, address, logged)]

        # Consent at insert for what was already due then (suppressed for good when written),
        # then the dispatcher's order at send time: still true, consent. A held-out row
        # passes the very same checks, and is held out only where its twin would have gone.
        # What goes after the seed's now is still waiting (scheduled, or holding) for beat,
        # and so is what goes within WAITING_MARGIN of it: its delivery, or a call task's
        # close, would otherwise lie after now ("Messages today: 1 sent" at 02:31).
        refused_at_insert = np.where(due <= created, refusal(created), "")
        at_insert = refused_at_insert == ""
        waiting = goes + WAITING_MARGIN > self.now_at(club)
        obsolete = cols["obsolete"] <= goes
        refused = refusal(goes)
        consent = refused == ""
        held = np.array(
            [
                _demo_hash(k, i) < rules[k].holdout_percent
                for k, i in zip(number.tolist(), member.tolist(), strict=True)
            ],
            dtype=bool,
        )
        status = np.select(
            [~at_insert, waiting & held, waiting, obsolete, ~consent, held],
            ["suppressed", "holding", "scheduled", "cancelled", "suppressed", "held_out"],
            "sent",
        ).astype(object)
        reason = np.select(
            [~at_insert, waiting, obsolete, ~consent],
            [refused_at_insert, "", "obsolete", refused],
            "",
        ).astype(object)
        capped = self.frequency_capped(
            cols, club, goes, status == "sent", offers, held=status == "held_out"
        )
        status[capped], reason[capped] = "suppressed", "frequency_cap"
        went = status == "sent"
        sent_at = np.where(went, goes + g.integers(2, 90, size=n), NO)
        delivered = went & (g.random(n) < self.p.renewal_offer_delivered)
        delivered_at = np.where(delivered, sent_at + g.integers(1, 40, size=n), NO)
        # A staff task is delivered the moment it is opened (channels/staff_task.py); the
        # front desk calls within `handled` seconds of the club being open.
        delivered_at = np.where(went & task, sent_at, delivered_at)
        delivered |= went & task
        handled = np.where(went & task, g.integers(120, 840, size=n), NO)
        status[delivered] = "delivered"
        order = np.lexsort((cols["day"], member, due, number))
        return Rows(
            {
                "rule": number[order],
                "member": member[order],
                "membership": cols["membership"][order],
                "day": cols["day"][order],
                "ref": cols["ref"][order],
                "due": due[order],
                "created": created[order],
                "send_at": send_at[order],
                "status": status[order].tolist(),
                "reason": reason[order].tolist(),
                "sent_at": sent_at[order],
                "delivered_at": delivered_at[order],
                "handled": handled[order],
            }
        )

    def occurrences(
        self,
        rule: int,
        member,
        due,
        known,
        *,
        membership=None,
        day=None,
        obsolete=None,
        unseen=None,
        ref=None,
    ) -> dict:
        """One rule's occurrences as columns; `known` is when the engine could first see each,
        `obsolete` when it stopped being true at send time (never, for most rules), `unseen`
        when the evaluator stopped finding it (as `obsolete` unless told), `ref` the row of
        the event or booking its key names."""
        size = np.asarray(member).size
        none = np.full(size, NO, dtype=np.int64)
        never = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        obsolete = never if obsolete is None else np.asarray(obsolete, dtype=np.int64)
        return {
            "rule": np.full(size, rule, dtype=np.int64),
            "member": np.asarray(member, dtype=np.int64),
            "membership": none if membership is None else np.asarray(membership, dtype=np.int64),
            "day": none if day is None else np.asarray(day, dtype=np.int64),
            "ref": none if ref is None else np.asarray(ref, dtype=np.int64),
            "due": np.asarray(due, dtype=np.int64),
            "known": np.asarray(known, dtype=np.int64),
            "obsolete": obsolete,
            "unseen": obsolete if unseen is None else np.asarray(unseen, dtype=np.int64),
        }

    def lead_rules(self, events: Rows) -> list[dict]:
        """Rules 1, 2 and 3, on each lead's `lead_created` event (imported members have none).

        1, the call task, is due at once, for every source but walk-ins. 2, the SMS, is due
        `delay_minutes` later unless a trial was booked or a membership bought since the lead
        (the trigger's own "unless"); 3, the email, `days` later for a lead still without a
        trial booking whose status is still "lead". 2 and 3 ask for the "lead" stage: at
        insert the new member's stored stage is the default "lead"; at send time a trial plan
        or a paid membership bought by then makes it "trial" or a member's stage. In this
        history every trial booking comes with its trial plan, bought at the same instant, so
        a member's first membership is what ends both (and a walk-in who bought before being
        typed in gets rule 2's row, cancelled, and no rule 3 row: the sale made them a member).
        """
        e, ms = events.columns, self.ms
        kind = np.asarray(e["kind"], dtype=object)
        rows = np.flatnonzero(kind == "lead_created")
        member = np.asarray(e["member"], dtype=np.int64)[rows]
        at = np.asarray(e["at"], dtype=np.int64)[rows]
        source = np.array([e["data"][k]["source"] for k in rows.tolist()], dtype=object)
        never = np.iinfo(np.int64).max
        ms_member = np.asarray(ms.member, dtype=np.int64)
        ms_created = np.asarray(ms.created, dtype=np.int64)
        first = np.full(self.n, never, dtype=np.int64)
        np.minimum.at(first, ms_member, ms_created)
        # The first bought at or after the lead, as the trigger's "since" reads it.
        since_lead = np.full(self.n, never, dtype=np.int64)
        after = ms_created >= self.persons.created.astype(np.int64)[ms_member]
        np.minimum.at(since_lead, ms_member[after], ms_created[after])
        club = self.persons.club[member].astype(np.int64)
        midnight = self.ts_array(club, np.full(member.size, self.today), np.zeros_like(member))
        parts = []
        spec = _rule(1)
        calls = (at < midnight) & ~np.isin(source, spec.param("except_sources"))
        parts.append(self.occurrences(1, member[calls], at[calls], at[calls], ref=rows[calls]))
        spec = _rule(2)
        due = at + 60 * spec.param("delay_minutes")
        chosen = due < midnight
        m = member[chosen]
        parts.append(
            self.occurrences(
                2,
                m,
                due[chosen],
                at[chosen],
                obsolete=first[m],
                unseen=since_lead[m],
                ref=rows[chosen],
            )
        )
        spec = _rule(3)
        due = at + DAY * spec.param("days")
        chosen = due < midnight
        m = member[chosen]
        parts.append(
            self.occurrences(3, m, due[chosen], at[chosen], obsolete=first[m], ref=rows[chosen])
        )
        return parts

    def trial_rules(self, bookings: Rows, sessions: Rows) -> list[dict]:
        """Rules 5 and 6, on each trial booking marked attended or no-show: the join offer
        `hours_after` the class ended, the rebook at 10:00 the next day (nobody here books a
        second trial, so none is rebooked). The evaluator sees each once the trainer marked
        it, a little after the class. Both ask for the "lead" or "trial" stage, which the
        trial plan gives from its booking on; a paid membership bought by the send time (and
        so in force that day: the first is bought on its first day) makes it obsolete."""
        b, s, ms = bookings.columns, sessions.columns, self.ms
        never = np.iinfo(np.int64).max
        kind = np.asarray(ms.plan, dtype=np.int64) % 4
        paid = kind != TRIAL
        first_paid = np.full(self.n, never, dtype=np.int64)
        np.minimum.at(
            first_paid,
            np.asarray(ms.member, dtype=np.int64)[paid],
            np.asarray(ms.created, dtype=np.int64)[paid],
        )
        parts = []
        # Rule 4: every trial booking, `hours_before` its class, written when it was booked;
        # the trigger finds a booking while it is still booked and its lead has not joined
        # since (the trainer's mark, a little after the class, or a purchase ends that).
        spec = _rule(4)
        rows = np.flatnonzero(b["is_trial"])
        member = b["member"][rows]
        session = b["session"][rows]
        club = s["club"][session].astype(np.int64)
        due = s["start"][session] - 3600 * spec.param("hours_before")
        midnight = self.ts_array(club, np.full(rows.size, self.today), np.zeros_like(rows))
        marked = np.where(
            np.isin(b["status"][rows], ["attended", "no_show"]), b["updated"][rows], never
        )
        chosen = due < midnight
        rows, member = rows[chosen], member[chosen]
        joined = np.full(rows.size, never, dtype=np.int64)
        paid_created = np.asarray(ms.created, dtype=np.int64)[paid]
        paid_member = np.asarray(ms.member, dtype=np.int64)[paid]
        by_member: dict[int, list[int]] = {}
        for i, at in zip(paid_member.tolist(), paid_created.tolist(), strict=True):
            by_member.setdefault(i, []).append(at)
        booked = b["created"][rows]
        for j, (i, at) in enumerate(zip(member.tolist(), booked.tolist(), strict=True)):
            since = [bought for bought in by_member.get(i, ()) if bought >= at]
            if since:
                joined[j] = min(since)
        parts.append(
            self.occurrences(
                4,
                member,
                due[chosen],
                booked,
                obsolete=np.minimum(joined, marked[chosen]),
                ref=rows,
            )
        )
        for number, status in ((5, "attended"), (6, "no_show")):
            rows = np.flatnonzero(b["is_trial"] & (b["status"] == status))
            member = b["member"][rows]
            session = b["session"][rows]
            club = s["club"][session].astype(np.int64)
            if number == 5:
                due = s["end"][session] + 3600 * _rule(5).param("hours_after")
            else:
                minute = np.full(rows.size, _minutes(_rule(6).param("at")))
                due = self.ts_array(club, s["day"][session] + 1, minute)
            midnight = self.ts_array(club, np.full(rows.size, self.today), np.zeros_like(rows))
            chosen = due < midnight
            parts.append(
                self.occurrences(
                    number,
                    member[chosen],
                    due[chosen],
                    b["updated"][rows][chosen],
                    obsolete=first_paid[member[chosen]],
                    ref=rows[chosen],
                )
            )
        return parts

    def welcomes(self) -> dict:
        """Rule 7: each member's first paid membership, due when bought, or at midnight of
        its first day when bought ahead. The trigger looks for starts on the days of its
        window, so one bought (imported) well after it started is never welcomed."""
        ms = self.ms
        member = np.asarray(ms.member, dtype=np.int64)
        start = np.asarray(ms.start, dtype=np.int64)
        created = np.asarray(ms.created, dtype=np.int64)
        paid = np.asarray(ms.plan, dtype=np.int64) % 4 != TRIAL
        first_start = np.full(self.n, np.iinfo(np.int64).max)
        np.minimum.at(first_start, member[paid], start[paid])
        club = self.persons.club[member].astype(np.int64)
        start_in = np.clip(start, self.d0, self.d1 - 1)
        midnight = self.ts_array(club, start_in, np.zeros_like(start))
        due = np.maximum(created, midnight)
        next_midnight = self.ts_array(club, start_in + 1, np.zeros_like(start))
        today = self.ts_array(club, np.full_like(start, self.today), np.zeros_like(start))
        chosen = np.flatnonzero(
            paid
            & (start == first_start[member])
            & (start >= self.start)
            & (due < next_midnight)
            & (due < today)
        )
        # A walk-in may buy before the lead was typed in: the member must exist first.
        known = np.maximum(created, self.persons.created.astype(np.int64)[member])
        return self.occurrences(7, member[chosen], due[chosen], known[chosen], membership=chosen)

    def tenth_visits(self, visits: Rows) -> dict:
        """Rule 10: the visit that is a member's 10th (none when the 10th and 11th share a
        second: the trigger counts the visits at or before each one)."""
        v = visits.columns
        member, at = v["member"], v["at"]  # sorted by member, then time
        k = cat.TENTH_VISIT
        if not member.size:
            return self.occurrences(10, member[:0], at[:0], at[:0])
        starts = np.r_[0, np.flatnonzero(np.diff(member)) + 1]
        sizes = np.diff(np.r_[starts, member.size])
        tenth = starts[sizes >= k] + k - 1
        after = np.minimum(tenth + 1, member.size - 1)
        tenth = tenth[(sizes[sizes >= k] == k) | (at[after] != at[tenth])]
        # One today, before the seeding, is the live evaluator's to write (its look-back).
        tenth = tenth[v["day"][tenth] < self.today]
        return self.occurrences(10, member[tenth], at[tenth], at[tenth])

    @functools.cached_property
    def renewed_at(self) -> np.ndarray:
        """For each membership, when a later paid membership of its member was bought (the
        trigger's "not renewed" stops holding: `MembershipQuerySet.not_renewed`), or never.
        Renewals and rejoins alike; bought from today on, they do not exist."""
        ms = self.ms
        never = np.iinfo(np.int64).max
        bought = np.full(len(ms.member), never, dtype=np.int64)
        # A member's memberships are consecutive, in order of start (trial, then the chain):
        # walk back keeping the earliest purchase of the paid ones after each.
        later, previous = never, NO
        for m in range(len(ms.member) - 1, -1, -1):
            if ms.member[m] != previous:
                later, previous = never, ms.member[m]
            bought[m] = later
            if ms.plan[m] % 4 != TRIAL:
                later = min(later, ms.created[m])
        return bought

    def renewal_reminders(self) -> dict:
        """Rule 15: `days` before the end of each paid membership, at 10:00 local, while not
        renewed, when that day lies in the membership's second half (every plan but the
        trial: a month's day 23). The key names the end: a freeze recorded after the
        reminder was written moves the end, the trigger no longer finds the old one
        (cancelled as obsolete when it is due) and a new one falls due before the new end."""
        ms, spec = self.ms, _rule(15)
        days = spec.param("days")
        minute = _minutes(spec.param("at"))
        renewed = self.renewed_at
        f = self.freezes.columns
        froze = dict(zip(f["membership"], f["created"], strict=True))  # one freeze at most
        member, membership, end, due, known, obsolete = [], [], [], [], [], []
        for m in range(len(ms.member)):
            if ms.plan[m] % 4 == TRIAL or ms.auto_renew[m]:
                continue  # rule 15 leaves out memberships renewing automatically
            i, start = ms.member[m], ms.start[m]
            bought = max(ms.created[m], int(self.persons.created[i]))
            if ms.auto_renew_stopped[m] is not None:
                bought = max(bought, ms.auto_renew_stopped[m])
            frozen_at = froze.get(m)
            # (end, known from, obsolete from): the end as it was before a freeze, then now.
            ends = [(ms.end[m], bought if frozen_at is None else max(bought, frozen_at))]
            if frozen_at is not None:
                ends.insert(0, (ms.original_end[m], bought))
            for k, (last, since) in enumerate(ends):
                due_day = last - days
                if not renewal_timing.in_second_half(last - start + 1, days):
                    continue
                if not self.start <= due_day < self.today:
                    continue
                member.append(i)
                membership.append(m)
                end.append(last)
                due.append(self.ts(int(self.persons.club[i]), due_day, minute))
                known.append(since)
                moved = frozen_at if k + 1 < len(ends) else np.iinfo(np.int64).max
                obsolete.append(min(renewed[m], moved))
        return self.occurrences(
            15, member, due, known, membership=membership, day=end, obsolete=obsolete
        )

    def win_backs(self, rule: int) -> dict:
        """Rules 18 and 19: `days` after a paid membership ended, at 10:00 local, while not
        renewed. Both ask for the "lapsed" stage, which the evaluator reads from the member
        as the beat stored it: refreshed at midnight on the day after the end, and the
        evaluator's next run writes the touchpoint (day +3 is in its look-ahead by then; day
        +30 enters it on day +22, still lapsed: lost comes after 90 days)."""
        ms, spec = self.ms, _rule(rule)
        days = spec.param("days")
        kind = np.asarray(ms.plan, dtype=np.int64) % 4
        end = np.asarray(ms.end, dtype=np.int64)
        due_day = end + days
        chosen = np.flatnonzero((kind != TRIAL) & (due_day >= self.start) & (due_day < self.today))
        member = np.asarray(ms.member, dtype=np.int64)[chosen]
        club = self.persons.club[member].astype(np.int64)
        due = self.ts_array(club, due_day[chosen], np.full(chosen.size, _minutes(spec.param("at"))))
        lapsed = self.ts_array(club, end[chosen] + 1, np.zeros(chosen.size, dtype=np.int64))
        return self.occurrences(
            rule,
            member,
            due,
            lapsed,
            membership=chosen,
            day=end[chosen],
            obsolete=self.renewed_at[chosen],
        )

    def birthdays(self) -> dict:
        """Rule 20: every member's birthdays in the history at 10:00 local (29 February on 1
        March in other years), for members the engine knew by then: the evaluator also
        catches up on occurrences up to 26 hours late."""
        people = self.persons
        member, day, due = [], [], []
        first, last = dt.date.fromordinal(self.start).year, dt.date.fromordinal(self.today).year
        for i, born in enumerate(people.birth_date):
            if born is None:
                continue
            birth = dt.date.fromordinal(born)
            for year in range(first, last + 1):
                if (birth.month, birth.day) == (2, 29) and not _is_leap(year):
                    celebrated = dt.date(year, 3, 1).toordinal()
                else:
                    celebrated = dt.date(year, birth.month, birth.day).toordinal()
                if self.start <= celebrated < self.today:
                    member.append(i)
                    day.append(celebrated)
                    due.append(self.ts(int(people.club[i]), celebrated, cat.CALENDAR_MINUTE))
        member_a = np.asarray(member, dtype=np.int64)
        due_a = np.asarray(due, dtype=np.int64)
        known = people.created.astype(np.int64)[member_a]
        seen = known < due_a + cat.EVALUATOR_LOOKBACK
        return self.occurrences(
            20, member_a[seen], due_a[seen], known[seen], day=np.asarray(day, dtype=np.int64)[seen]
        )

    def anniversaries(self) -> dict:
        """Rule 21: each anniversary of a member's first paid start in the history, at 10:00
        local (29 February on 1 March), while a paid membership is in force that day."""
        ms = self.ms
        spans: dict[int, list[tuple[int, int, int]]] = {}
        for m, (i, plan, start, end) in enumerate(
            zip(ms.member, ms.plan, ms.start, ms.end, strict=True)
        ):
            if plan % 4 != TRIAL:
                spans.setdefault(i, []).append((start, end, m))
        first, last = dt.date.fromordinal(self.start).year, dt.date.fromordinal(self.today).year
        member, membership, due = [], [], []
        for i, paid in spans.items():
            joined, _, m = min(paid)
            since = dt.date.fromordinal(joined)
            for year in range(first, last + 1):
                if (since.month, since.day) == (2, 29) and not _is_leap(year):
                    day = dt.date(year, 3, 1).toordinal()
                else:
                    day = dt.date(year, since.month, since.day).toordinal()
                in_force = any(start <= day <= end for start, end, _ in paid)
                if joined < day and self.start <= day < self.today and in_force:
                    member.append(i)
                    membership.append(m)
                    due.append(self.ts(int(self.persons.club[i]), day, cat.CALENDAR_MINUTE))
        # The first membership (bought before it started) is what made the anniversary known.
        known = np.asarray(ms.created, dtype=np.int64)[np.asarray(membership, dtype=np.int64)]
        return self.occurrences(21, member, due, known, membership=membership)

    def local_day(self, club: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The club-local day of UTC instants (the day's noon offset: nothing here is due
        between 02:00 and 03:00, when a clock changes)."""
        utc_day = ts // DAY + EPOCH_ORDINAL
        return (ts + self.offset[club, utc_day - self.d0]) // DAY + EPOCH_ORDINAL

    def out_of_quiet_hours(
        self, club: np.ndarray, ts: np.ndarray, before: np.ndarray | bool = False
    ) -> np.ndarray:
        """evaluator.send_time for the clubs' default quiet hours: a due time inside them
        moves to their end, or, where `before` (a rule's "quiet_hours": "before"), to an hour
        before they start."""
        quiet_from, quiet_to = cat.QUIET_HOURS
        day = self.local_day(club, ts)
        minute = (ts - self.ts_array(club, day, np.zeros_like(day))) // 60
        late, early = minute >= quiet_from, minute < quiet_to
        moved = self.ts_array(club, day + late, np.full_like(day, quiet_to))
        evening = self.ts_array(club, day - early, np.full_like(day, quiet_from - 60))
        return np.where(late | early, np.where(before, evening, moved), ts)

    def consent_spans(self, consents: Rows) -> tuple[np.ndarray, np.ndarray]:
        """From when and until when each member could be sent email (column 0) and SMS
        (column 1): the consent log's grant and withdrawal."""
        never = np.iinfo(np.int64).max
        given = np.full((self.n, 2), never, dtype=np.int64)
        until = np.full((self.n, 2), never, dtype=np.int64)
        c = consents.columns
        for i, channel, granted, at in zip(
            c["member"], c["channel"], c["granted"], c["at"], strict=True
        ):
            column = 1 if channel == "sms" else 0
            if granted:
                given[i, column] = at
            else:
                until[i, column] = at
        return given, until

    def frequency_capped(
        self,
        cols: dict,
        club: np.ndarray,
        goes: np.ndarray,
        sending: np.ndarray,
        offers: Rows,
        *,
        held: np.ndarray | None = None,
    ) -> np.ndarray:
        """Which of the sending (and `held` out) marketing touchpoints the dispatcher's caps
        stop: at most cat.DAILY_CAP per club-local day and cat.WEEKLY_CAP per rolling 7 days,
        the higher priority first; a held-out one is capped like the others but, sending
        nothing, takes no one's place. Rule 14's offers were drawn earlier and drive
        renewals, so they stand: a planted touchpoint on the day of a sent offer is the one
        capped."""
        held = np.zeros(goes.size, dtype=bool) if held is None else held
        rules = {spec.number: spec for spec in cat.PLAYBOOK_HISTORY}
        marketing = np.array([rules[k].marketing for k in cols["rule"].tolist()], dtype=bool)
        day = self.local_day(club, goes)
        o = offers.columns
        offered = np.isin(np.asarray(o["status"], dtype=object), ["sent", "delivered"])
        o_member = o["member"][offered]
        o_at = o["sent_at"][offered]
        o_day = self.local_day(self.persons.club[o_member].astype(np.int64), o_at)
        taken: dict[int, list[tuple[int, int]]] = {}
        for i, at, d in zip(o_member.tolist(), o_at.tolist(), o_day.tolist(), strict=True):
            taken.setdefault(i, []).append((at, d))
        offer_days = {(i, d) for i, pairs in taken.items() for _, d in pairs}
        capped = np.zeros(goes.size, dtype=bool)
        candidates = np.flatnonzero((sending | held) & marketing)
        priority = np.array([rules[k].priority for k in cols["rule"][candidates].tolist()])
        for j in candidates[np.lexsort((-priority, goes[candidates]))].tolist():
            i, at, d = int(cols["member"][j]), int(goes[j]), int(day[j])
            mine = taken.setdefault(i, [])
            today = sum(1 for _, other in mine if other == d)
            week = sum(1 for other, _ in mine if at - 7 * DAY < other <= at)
            if (i, d) in offer_days or today >= cat.DAILY_CAP or week >= cat.WEEKLY_CAP:
                capped[j] = True
            elif not held[j]:
                mine.append((at, d))
        return capped

    def attempt(self, i: int, day: int, reason: str, membership: int) -> None:
        club = int(self.persons.club[i])
        a = self.attempts.columns
        a["member"].append(i)
        a["club"].append(club)
        a["at"].append(self.ts(club, day, self.r.randrange(7 * 60, 21 * 60)))
        a["source"].append("turnstile")
        a["reason"].append(reason)
        a["membership"].append(membership)

    # -- classes ---------------------------------------------------------------------

    def sessions(self) -> Rows:
        """The weekly timetable of each club, from the first day of history to two weeks ahead."""
        g = self.g_classes
        cols = {k: [] for k in ("club", "class_type", "trainer", "room", "day", "minute")}
        counts = np.bincount(self.persons.club, minlength=len(cat.CLUBS))
        for c, spec in enumerate(cat.CLUBS):
            rooms = int(np.clip(round(counts[c] / cat.MEMBERS_PER_ROOM), 1, len(cat.ROOMS)))
            names = cat.CLUB_CLASSES[spec.slug]
            for day in range(self.start, self.today + cat.FUTURE_SCHEDULE_DAYS):
                weekday = (day - 1) % 7
                # Trainers swap rooms on Tuesdays, Thursdays and Saturdays, never overlapping.
                swap = weekday in (1, 3, 5)
                for time, name in cat.TIMETABLE[spec.slug][weekday]:
                    hour, minute = map(int, time.split(":"))
                    slots = [(0, hour * 60 + minute, name)]
                    if rooms > 1 and (hour >= 17 or weekday >= 5):
                        other = names[(names.index(name) + 2) % len(names)]
                        slots.append((1, hour * 60 + minute + 30, other))
                    for room, start, class_name in slots:
                        cols["club"].append(c)
                        cols["class_type"].append(cat.CLASS_INDEX[class_name])
                        cols["trainer"].append(spec.trainers[(room + swap) % 2])
                        cols["room"].append(cat.ROOMS[room])
                        cols["day"].append(day)
                        cols["minute"].append(start)
        club = np.asarray(cols["club"], dtype=np.int64)
        day = np.asarray(cols["day"], dtype=np.int64)
        minute = np.asarray(cols["minute"], dtype=np.int64)
        kind = np.asarray(cols["class_type"], dtype=np.int64)
        length = np.array([spec.minutes for spec in cat.CLASS_TYPES])[kind]
        capacity = np.array([spec.capacity for spec in cat.CLASS_TYPES])[kind]
        start = self.ts_array(club, day, minute)
        cols["start"] = start
        cols["end"] = start + length * 60
        cols["capacity"] = capacity
        cols["cancelled"] = g.random(club.size) < cat.SESSION_CANCEL_RATE
        cols["club"], cols["day"], cols["minute"], cols["class_type"] = club, day, minute, kind
        return Rows(cols)

    def visits_and_classes(self, sessions: Rows) -> tuple[Rows, Rows]:
        """Give every visit a time of day, seat class-goers in sessions, and book the rest."""
        gt, gc = self.g_times, self.g_classes
        ms_member = np.asarray(self.ms.member, dtype=np.int64)
        lengths = np.array([d.size for d in self.visit_days], dtype=np.int64)
        day = np.concatenate(self.visit_days) if self.visit_days else np.empty(0, dtype=np.int64)
        membership = np.repeat(np.asarray(self.visit_chunk_ms, dtype=np.int64), lengths)
        member = ms_member[membership]
        club = self.persons.club[member].astype(np.int64)
        n = day.size

        # Time of day by day type: Mon–Thu, Friday, weekend.
        weekday = self.weekday[day - self.d0]
        day_type = np.where(weekday <= 3, 0, np.where(weekday == 4, 1, 2))
        hour = np.empty(n, dtype=np.int64)
        for t, table in enumerate(cat.VISIT_HOURS):
            mask = day_type == t
            hours = np.array([h for h, _ in table])
            weights = np.array([w for _, w in table], dtype=float)
            hour[mask] = gt.choice(hours, size=int(mask.sum()), p=weights / weights.sum())
        minute = hour * 60 + gt.integers(0, 60, size=n)

        s = sessions.columns
        s_club, s_day, s_minute = s["club"], s["day"], s["minute"]
        s_capacity = s["capacity"]
        past = (s_day < self.today) & ~s["cancelled"]

        # Trials first: each trial is booked into a beginner-friendly class that day.
        t = self.trials.columns
        trial_session = np.full(len(t["member"]), NO, dtype=np.int64)
        eligible = np.array([spec.trial_eligible for spec in cat.CLASS_TYPES])[s["class_type"]]
        by_day: dict[tuple[int, int], list[int]] = {}
        for k in np.flatnonzero(eligible & ~s["cancelled"]).tolist():
            by_day.setdefault((int(s_club[k]), int(s_day[k])), []).append(k)
        for j, (who, when) in enumerate(zip(t["member"], t["day"], strict=True)):
            options = by_day.get((int(self.persons.club[who]), when))
            if options:
                trial_session[j] = options[self.r.randrange(len(options))]
        trial_attended = np.array([a is True for a in t["attended"]], dtype=bool)
        seated_trials = trial_attended & (trial_session != NO)
        trial_load = np.bincount(trial_session[seated_trials], minlength=s_club.size)

        # Class-goers: a visit close to a session's start, for members who like classes.
        key_v = (day - self.d0) * 1440 + minute + club * (10**9)
        key_s = (s_day - self.d0) * 1440 + s_minute + s_club * (10**9)
        order = np.flatnonzero(past)[np.argsort(key_s[past], kind="stable")]
        sorted_keys = key_s[order]
        chosen = np.full(n, NO, dtype=np.int64)
        if order.size and n:
            pos = np.searchsorted(sorted_keys, key_v)
            before = order[np.clip(pos - 1, 0, order.size - 1)]
            after = order[np.clip(pos, 0, order.size - 1)]
            d_before = np.abs(key_v - key_s[before])
            d_after = np.abs(key_v - key_s[after])
            nearest = np.where(d_before <= d_after, before, after)
            near = np.minimum(d_before, d_after) <= 60
            wants = gc.random(n) < self.class_share[member]
            chosen = np.where(near & wants, nearest, NO)
        # Full classes: the first to book get the places, the rest train on the gym floor.
        candidates = np.flatnonzero(chosen != NO)
        shuffle = gc.random(candidates.size)
        candidates = candidates[np.lexsort((shuffle, chosen[candidates]))]
        sess = chosen[candidates]
        seated = _rank_in_groups(sess) < (s_capacity[sess] - trial_load[sess])
        dropped = candidates[~seated]
        chosen[dropped] = NO
        in_class = chosen != NO
        early = gc.integers(5, 16, size=n)
        minute = np.where(in_class, s_minute[np.maximum(chosen, 0)] - early, minute)

        source = np.where(gt.random(n) < 0.7, "turnstile", "desk")
        at = self.ts_array(club, day, minute)
        class_session, class_member, class_day = chosen[in_class], member[in_class], day[in_class]

        # The trial visit itself: at the desk, ten minutes before the trial class.
        tv = np.flatnonzero(seated_trials)
        t_member = np.asarray(t["member"], dtype=np.int64)
        t_ms = np.asarray(t["membership"], dtype=np.int64)
        t_day = np.asarray(t["day"], dtype=np.int64)
        t_at = s["start"][trial_session[tv]] - 600
        # A trial booked for a day without a trial class is a plain visit at 18:00.
        loose = np.flatnonzero(trial_attended & (trial_session == NO))
        loose_club = self.persons.club[t_member[loose]].astype(np.int64)
        loose_at = self.ts_array(loose_club, t_day[loose], np.full(loose.size, 18 * 60))
        extra = np.r_[tv, loose]
        day = np.r_[day, t_day[extra]]
        membership = np.r_[membership, t_ms[extra]]
        member = np.r_[member, t_member[extra]]
        club = np.r_[club, self.persons.club[t_member[extra]].astype(np.int64)]
        at = np.r_[at, t_at, loose_at]
        source = np.r_[source, np.full(extra.size, "desk")]

        order = np.lexsort((at, member))
        visits = Rows(
            {
                "member": member[order],
                "club": club[order],
                "day": day[order],
                "at": at[order],
                "source": source[order],
                "membership": membership[order],
            }
        )
        bookings = self.bookings(
            sessions,
            class_session=class_session,
            class_member=class_member,
            class_day=class_day,
            trial_session=trial_session,
        )
        return visits, bookings

    def bookings(
        self,
        sessions: Rows,
        *,
        class_session: np.ndarray,
        class_member: np.ndarray,
        class_day: np.ndarray,
        trial_session: np.ndarray,
    ) -> Rows:
        """Attended bookings from class visits; no-shows, cancellations, waitlists and the
        coming two weeks drawn from members who went to classes around that day."""
        g, p = self.g_bookings, self.p
        s = sessions.columns
        n_sessions = s["club"].size
        s_club, s_day, capacity = s["club"], s["day"], s["capacity"]
        past = s_day < self.today
        cancelled_session = s["cancelled"]
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

        def add(status: str, sess: np.ndarray, who: np.ndarray, trial: bool = False) -> None:
            parts.append(
                (
                    np.full(sess.size, status),
                    sess.astype(np.int64),
                    who.astype(np.int64),
                    np.full(sess.size, trial),
                )
            )

        # Facts first, so they win over drawn bookings of the same member and session.
        add("attended", class_session, class_member)
        t = self.trials.columns
        t_member = np.asarray(t["member"], dtype=np.int64)
        trial_status = np.array(
            ["booked" if a is None else "attended" if a else "no_show" for a in t["attended"]]
        )
        for status in ("attended", "no_show", "booked"):
            mask = (trial_session != NO) & (trial_status == status)
            add(status, trial_session[mask], t_member[mask], trial=True)

        # Pool of class-goers by (club, day) to draw the other bookings from.
        pool_key = self.persons.club[class_member].astype(np.int64) * 10**7 + class_day
        pool_order = np.argsort(pool_key, kind="stable")
        pool_key, pool_member = pool_key[pool_order], class_member[pool_order]

        def draw(counts: np.ndarray, low: int, high: int, *, anchor: np.ndarray | None = None):
            """For each session, counts[k] class-goers of its club seen in [day+low, day+high]."""
            sess = np.repeat(np.arange(n_sessions), counts)
            base = s_club[sess] * 10**7 + (s_day[sess] if anchor is None else anchor[sess])
            lo = np.searchsorted(pool_key, base + low, side="left")
            hi = np.searchsorted(pool_key, base + high, side="right")
            ok = hi > lo
            pick = lo + (g.random(sess.size) * (hi - lo)).astype(np.int64)
            return sess[ok], pool_member[pick[ok]]

        attended = np.bincount(class_session, minlength=n_sessions)
        live_past = past & ~cancelled_session
        no_shows = np.where(live_past, g.binomial(attended, p.no_show_rate), 0)
        add("no_show", *draw(no_shows, -14, 14))
        booked_past = attended + no_shows
        full = live_past & (booked_past >= capacity)
        add("waitlisted", *draw(np.where(full, g.integers(0, 4, size=n_sessions), 0), -14, 14))

        # The coming two weeks: as busy as the last four, booked by recent class-goers.
        upcoming = ~past & ~cancelled_session
        recent = live_past & (s_day >= self.today - 28)
        busy = np.zeros(n_sessions)
        for c in range(len(cat.CLUBS)):
            mine = recent & (s_club == c)
            busy[s_club == c] = booked_past[mine].mean() if mine.any() else 0.0
        wanted = g.poisson(busy * g.uniform(0.7, 1.3, size=n_sessions))
        wanted = np.where(upcoming, np.minimum(wanted, capacity + 4), 0)
        today = np.full(n_sessions, self.today)
        add("booked", *draw(wanted, -28, -1, anchor=today))

        # Cancellations: some of every class, and everyone on a class the club called off.
        cancels = np.where(
            cancelled_session,
            g.binomial(capacity, 0.4),
            g.binomial(np.where(past, booked_past, wanted), p.cancel_rate / (1 - p.cancel_rate)),
        )
        add("cancelled", *draw(np.where(s_day < self.today + 3, cancels, 0), -14, 7))

        status = np.concatenate([part[0] for part in parts])
        session = np.concatenate([part[1] for part in parts])
        member = np.concatenate([part[2] for part in parts])
        is_trial = np.concatenate([part[3] for part in parts])

        # One live booking per member and session (the first fact wins); cancelled ones
        # may repeat in the model, but not in this data.
        key = session * (self.n + 1) + member
        live = status != "cancelled"
        keep = np.zeros(status.size, dtype=bool)
        for mask in (live, ~live):
            index = np.flatnonzero(mask)
            _, first = np.unique(key[index], return_index=True)
            keep[index[first]] = True
        status, session, member, is_trial = (
            status[keep],
            session[keep],
            member[keep],
            is_trial[keep],
        )

        # Upcoming classes: the first `capacity` to book get a place, the rest wait.
        # Past waitlists were never promoted and keep their queue.
        shuffle = g.random(status.size)
        queue = np.flatnonzero(np.isin(status, ["booked", "waitlisted"]) & ~is_trial)
        queue = queue[np.lexsort((shuffle[queue], session[queue]))]
        position = _rank_in_groups(session[queue])
        upcoming_queue = ~past[session[queue]]
        status[queue] = np.where(
            upcoming_queue,
            np.where(position < capacity[session[queue]], "booked", "waitlisted"),
            status[queue],
        )
        waiting = queue[status[queue] == "waitlisted"]
        waitlist_position = np.full(status.size, NO, dtype=np.int64)
        waitlist_position[waiting] = _rank_in_groups(session[waiting]) + 1

        size = status.size
        start, end = s["start"][session], s["end"][session]
        created = start - g.integers(2 * 3600, 72 * 3600, size=size)
        updated = end + g.integers(60, 1800, size=size)
        cancelled = status == "cancelled"
        created = np.where(cancelled, start - g.integers(24 * 3600, 120 * 3600, size=size), created)
        updated = np.where(cancelled, created + g.integers(3600, 20 * 3600, size=size), updated)
        # Nothing was booked or cancelled after midnight today.
        before_now = self.now - g.integers(3600, 5 * DAY, size=size)
        created = np.where(created >= self.now - 60, before_now, created)
        updated = np.where(updated >= self.now - 60, np.maximum(created, self.now - 60), updated)
        unmarked = np.isin(status, ["booked", "waitlisted"])
        updated = np.where(unmarked, created, updated)
        # Trial bookings were made when the lead booked the trial.
        trial_rows = np.flatnonzero(is_trial)
        if trial_rows.size:
            of_trial = {
                (int(k), int(who)): j
                for j, (k, who) in enumerate(zip(trial_session, t_member, strict=True))
                if k != NO
            }
            booked_at = np.asarray(t["booked"], dtype=np.int64)
            which = np.array(
                [of_trial[(int(session[k]), int(member[k]))] for k in trial_rows.tolist()]
            )
            created[trial_rows] = booked_at[which]
            updated[trial_rows] = np.where(
                unmarked[trial_rows], created[trial_rows], end[trial_rows] + 600
            )

        order = np.lexsort((member, created, session))
        return Rows(
            {
                "session": session[order],
                "member": member[order],
                "status": status[order],
                "waitlist_position": waitlist_position[order],
                "is_trial": is_trial[order],
                "created": created[order],
                "updated": updated[order],
                # When a check-in marked it (today's classes, `todays_classes`), else NO.
                "attended_at": np.full(size, NO, dtype=np.int64),
            }
        )

    # -- money, ledger, consent ------------------------------------------------------

    def todays_visits(self, visits: Rows, bookings: Rows, sessions: Rows) -> Rows:
        """Today's check-ins up to `now` (none at midnight): the history above stops the
        evening before, and a club at 17:00 has had dozens. Members with a paid membership in
        force today, not frozen and with a visit left on a pack, come in with the chance their
        membership was drawn with, at the day type's hours (cat.VISIT_HOURS, inside the
        clubs' opening hours), on the gym floor; the classes that have ended by then are
        marked (`todays_classes`), adding their class-goers' visits. Drawn from a generator
        of their own, after everything before today, so the days before are the same
        whatever the time of seeding; their pack debits follow in `ledger`."""
        if not self.now_minute:
            return visits
        g = np.random.default_rng([self.seed, TODAY_STREAM])
        ms, day = self.ms, self.today
        f = self.freezes.columns
        frozen = {
            m
            for m, a, b in zip(f["membership"], f["start"], f["end"], strict=True)
            if a <= day <= b
        }
        chosen, seen = [], set()
        for m, (i, plan, start, end) in enumerate(
            zip(ms.member, ms.plan, ms.start, ms.end, strict=True)
        ):
            kind = plan % 4
            if kind == TRIAL or not start <= day <= end or m in frozen or i in seen:
                continue
            if kind == PACK and not ms.visits_left[m]:
                continue
            seen.add(i)
            chosen.append(m)
        membership = np.asarray(chosen, dtype=np.int64)
        rate = np.array([self.ms_rate.get(m, 0.0) for m in chosen])
        comes = g.random(membership.size) < rate * self.day_factor[day - self.d0]
        membership = membership[comes]
        weekday = int(self.weekday[day - self.d0])
        table = cat.VISIT_HOURS[0 if weekday <= 3 else 1 if weekday == 4 else 2]
        hours = np.array([h for h, _ in table])
        weights = np.array([w for _, w in table], dtype=float)
        minute = g.choice(hours, size=membership.size, p=weights / weights.sum()) * 60
        minute += g.integers(0, 60, size=membership.size)
        source = np.where(g.random(membership.size) < 0.7, "turnstile", "desk")
        before = minute < self.now_minute
        membership, minute, source = membership[before], minute[before], source[before]
        membership, minute, source = self.todays_classes(
            g, bookings, sessions, eligible=chosen, visits=(membership, minute, source)
        )
        for m in membership.tolist():
            if ms.plan[m] % 4 == PACK:
                ms.visits_left[m] -= 1
        member = np.asarray(ms.member, dtype=np.int64)[membership]
        club = self.persons.club[member].astype(np.int64)
        days = np.full(membership.size, day, dtype=np.int64)
        v = visits.columns
        cols = {
            "member": np.r_[v["member"], member],
            "club": np.r_[v["club"], club],
            "day": np.r_[v["day"], days],
            "at": np.r_[v["at"], self.ts_array(club, days, minute)],
            "source": np.r_[v["source"], source],
            "membership": np.r_[v["membership"], membership],
        }
        order = np.lexsort((cols["at"], cols["member"]))
        return Rows({k: col[order] for k, col in cols.items()})

    def todays_classes(
        self,
        g: np.random.Generator,
        bookings: Rows,
        sessions: Rows,
        *,
        eligible: list[int],
        visits: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's classes that have ended by `now`, marked as the live flow leaves them.

        A booked member who checked in from an hour before the class to its end (what the
        trainer's roster shows beside the seat) attended it. The others came with the
        history's chance (1 - no_show_rate) if they could check in today (the memberships
        `todays_visits` chose from): their visit is the class's, 5–15 minutes before it, and
        replaces a gym-floor one drawn at another hour (one visit a day). The rest are no-shows,
        marked by the trainer after the class. Trial bookings keep the trial's own story
        (drawn with the lifecycle). Changes `bookings` in place; returns today's visits
        (membership, local minute, source)."""
        membership, minute, source = (list(column.tolist()) for column in visits)
        s, b, ms = sessions.columns, bookings.columns, self.ms
        now = self.ts_array(
            np.arange(len(cat.CLUBS)),
            np.full(len(cat.CLUBS), self.today),
            np.full(len(cat.CLUBS), self.now_minute),
        )
        ended = (s["day"] == self.today) & ~s["cancelled"] & (s["end"] <= now[s["club"]])
        rows = np.flatnonzero(ended[b["session"]] & (b["status"] == "booked") & ~b["is_trial"])
        rows = rows[np.argsort(s["start"][b["session"][rows]], kind="stable")]
        # Drawn after the gym-floor visits, so those stay as they were drawn.
        comes = g.random(rows.size) >= self.p.no_show_rate
        early = g.integers(5, 16, size=rows.size)
        marked = g.integers(60, 1800, size=rows.size)
        of_member = {int(ms.member[m]): m for m in eligible}
        visit_of = {int(ms.member[m]): j for j, m in enumerate(membership)}
        in_class: set[int] = set()  # visits that are a class's already
        for x, row in enumerate(rows.tolist()):
            i, k = int(b["member"][row]), int(b["session"][row])
            start = int(s["minute"][k])
            end = start + int(s["end"][k] - s["start"][k]) // 60
            j = visit_of.get(i)
            if j is not None and start - 60 <= minute[j] <= end:
                in_class.add(j)
            elif comes[x] and i in of_member and j not in in_class:
                if j is None:
                    j = visit_of[i] = len(membership)
                    membership.append(of_member[i])
                    minute.append(0)
                    source.append("turnstile")
                minute[j] = start - int(early[x])
                in_class.add(j)
            else:
                b["status"][row] = "no_show"
                b["updated"][row] = min(int(s["end"][k]) + int(marked[x]), int(now[s["club"][k]]))
                continue
            at = self.ts(int(s["club"][k]), self.today, minute[j])
            b["status"][row] = "attended"
            b["updated"][row] = b["attended_at"][row] = at
        return (
            np.asarray(membership, dtype=np.int64),
            np.asarray(minute, dtype=np.int64),
            np.asarray(source),
        )

    def fix_purchase_times(self, visits: Rows) -> None:
        """A membership bought on its first day was bought before that day's first visit."""
        v = visits.columns
        n = len(self.ms.member)
        first_visit = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_visit, v["membership"], v["at"])
        created = np.asarray(self.ms.created, dtype=np.int64)
        fixed = np.where(first_visit <= created, first_visit - 300, created)
        self.ms.created = fixed.tolist()

    def ledger(self, visits: Rows) -> Rows:
        """A purchase row per pack and a debit per visit on it, in time order."""
        v = visits.columns
        plan = np.asarray(self.ms.plan, dtype=np.int64)
        is_pack = plan % 4 == PACK
        packs = np.flatnonzero(is_pack)
        on_pack = np.flatnonzero(is_pack[v["membership"]])
        order = on_pack[np.lexsort((v["at"][on_pack], v["membership"][on_pack]))]
        ms_of = v["membership"][order]
        used = _rank_in_groups(ms_of) + 1
        size = cat.PLAN_VISITS[PACK]
        created = np.asarray(self.ms.created, dtype=np.int64)
        kinds = np.r_[np.full(packs.size, "purchase"), np.full(order.size, "visit")]
        membership = np.r_[packs, ms_of]
        change = np.r_[np.full(packs.size, size), np.full(order.size, -1)]
        balance = np.r_[np.full(packs.size, size), size - used]
        at = np.r_[created[packs], v["at"][order]]
        reason = np.r_[
            np.full(packs.size, f"Bought {cat.PLAN_NAMES[PACK]}"), np.full(order.size, "Visit")
        ]
        rows = np.lexsort((at, membership))
        position = np.empty(rows.size, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        visit_entry = np.full(len(v["member"]), NO, dtype=np.int64)
        visit_entry[order] = position[packs.size :]
        v["ledger_entry"] = visit_entry
        return Rows(
            {
                "membership": membership[rows],
                "kind": kinds[rows],
                "visits": change[rows],
                "balance_after": balance[rows],
                "reason": reason[rows],
                "at": at[rows],
            }
        )

    def payments(self) -> Rows:
        """One payment per sale; some online renewals fail once first."""
        g = self.g_money
        ms = self.ms
        cols = {
            k: []
            for k in (
                "member",
                "membership",
                "amount",
                "method",
                "status",
                "intent",
                "recorded_by",
                "at",
            )
        }
        kinds = np.asarray(ms.plan) % 4
        draws = g.random((len(ms.member), 3))
        intents = g.integers(0, 16**16, size=(len(ms.member), 2), dtype=np.uint64)
        for m in range(len(ms.member)):
            if kinds[m] == TRIAL or ms.imported[m]:
                continue
            member = ms.member[m]
            club = cat.CLUBS[self.persons.club[member]]
            price = str(cat.plan_price(club.slug, int(kinds[m])))
            actor = ms.actor[m]
            if ms.automatic[m]:
                # Renewed unpaid by autorenew; paid at the desk on its first day.
                actor = club.front_desk
                method, intent = ("cash" if draws[m, 0] < 0.12 else "card_terminal"), ""
                at = self.ts(self.persons.club[member], ms.start[m], AUTO_RENEW_PAID_MINUTE)
            elif actor is None:
                method, intent = "stripe", f"pi_demo{intents[m, 0]:016x}{m:06d}"
            else:
                method, intent = ("cash" if draws[m, 0] < 0.12 else "card_terminal"), ""
            if method == "stripe" and ms.renewed_from[m] != NO and draws[m, 1] < 0.06:
                failed_at = ms.created[m] - int(DAY * (0.5 + draws[m, 2]))
                for key, value in (
                    ("member", member),
                    ("membership", m),
                    ("amount", price),
                    ("method", method),
                    ("status", "failed"),
                    ("intent", f"pi_demo{intents[m, 1]:016x}{m:06d}"),
                    ("recorded_by", None),
                    ("at", failed_at),
                ):
                    cols[key].append(value)
            for key, value in (
                ("member", member),
                ("membership", m),
                ("amount", price),
                ("method", method),
                ("status", "succeeded"),
                ("intent", intent),
                ("recorded_by", actor),
                ("at", at if ms.automatic[m] else ms.created[m]),
            ):
                cols[key].append(value)
        return Rows(cols)

    def stripe_events(self, payments: Rows) -> Rows:
        """The webhook events Stripe sent for the latest online renewals: a
        checkout.session.completed for each of the last cat.STRIPE_EVENTS paid, and a
        payment_intent.payment_failed for the latest failed attempt, each received a
        second after the payment and processed moments later. Ids and delays come from
        hashes of the PaymentIntent, not from a generator: nothing else drawn changes."""
        pay, ms = payments.columns, self.ms
        renewal = [
            k
            for k, (m, method) in enumerate(zip(pay["membership"], pay["method"], strict=True))
            if method == "stripe" and ms.renewed_from[m] != NO
        ]
        paid = [k for k in renewal if pay["status"][k] == "succeeded"]
        failed = [k for k in renewal if pay["status"][k] == "failed"]
        by_time = functools.partial(sorted, key=lambda k: (pay["at"][k], k))
        chosen = [
            *((k, "checkout.session.completed") for k in by_time(paid)[-cat.STRIPE_EVENTS :]),
            *((k, "payment_intent.payment_failed") for k in by_time(failed)[-1:]),
        ]
        cols = {k: [] for k in ("payment", "type", "event", "received", "processed")}
        for k, kind in chosen:
            digest = hashlib.sha256(f"stripe:demo:{pay['intent'][k]}".encode()).hexdigest()
            received = int(pay["at"][k]) + 1 + int(digest[-2:], 16) % 3
            cols["payment"].append(k)
            cols["type"].append(kind)
            cols["event"].append(digest[:24])
            cols["received"].append(received)
            cols["processed"].append(received + 1 + int(digest[-4:-2], 16) % 4)
        return Rows(cols)

    def consents(self) -> Rows:
        """Consent given at first contact, with the wording shown; a few withdraw later."""
        p = self.p
        people = self.persons
        cols = {
            k: []
            for k in ("member", "channel", "granted", "source", "wording", "recorded_by", "at")
        }
        where = {
            "website": "trial form",
            "social": "trial form",
            "walk_in": "desk",
            "referral": "desk",
            "phone": "phone",
            "import": "import",
        }
        # The stream's draws were taken before the lifecycle (plan_renewal_offers).
        draws = self.consent_draws
        for i in range(self.n):
            club = cat.CLUBS[people.club[i]]
            source = where[people.source[i]]
            desk = club.front_desk if source in ("desk", "phone") else None
            given = int(people.created[i]) + 60
            for c, (channel, wording, revoke, revoke_source) in enumerate(
                (
                    ("sms", cat.SMS_WORDING, p.sms_revoke, "SMS STOP"),
                    ("email", cat.EMAIL_WORDING, p.email_revoke, "unsubscribe link"),
                )
            ):
                flags = people.sms_consent if channel == "sms" else people.email_consent
                if not flags[i]:
                    continue
                rows = [(True, source, wording.format(club=club.name), desk, given)]
                if draws[i, c] < revoke and given < self.now - DAY:
                    withdrawn = given + int((self.now - given) * draws[i, c + 2])
                    rows.append((False, revoke_source, "", None, withdrawn))
                    flags[i] = False
                for granted, where_from, text, who, at in rows:
                    cols["member"].append(i)
                    cols["channel"].append(channel)
                    cols["granted"].append(granted)
                    cols["source"].append(where_from)
                    cols["wording"].append(text)
                    cols["recorded_by"].append(who)
                    cols["at"].append(at)
        return Rows(cols)

    def statuses_and_cards(self) -> None:
        """Member.status as memberships.statuses computes it for `today`; a card once they join."""
        ms = self.ms
        kind = np.asarray(ms.plan, dtype=np.int64) % 4
        start = np.asarray(ms.start, dtype=np.int64)
        end = np.asarray(ms.end, dtype=np.int64)
        member = np.asarray(ms.member, dtype=np.int64)
        paid = kind != TRIAL
        in_force = np.zeros(self.n, dtype=bool)
        in_force[member[paid & (start <= self.today) & (end >= self.today)]] = True
        paid_ever = np.zeros(self.n, dtype=bool)
        paid_ever[member[paid & (start <= self.today)]] = True
        # A trial long over, without joining, leaves a lead again (statuses.recent_trials).
        trial_recent = np.zeros(self.n, dtype=bool)
        trial_recent[member[~paid & (end >= self.today - statuses.RECENT_TRIAL_DAYS)]] = True
        status = np.where(
            in_force,
            "member",
            np.where(paid_ever, "former", np.where(trial_recent, "trial", "lead")),
        )
        self.persons.status = status.tolist()
        tokens = self.g_people.choice(16**10, size=self.n, replace=False)
        has_card = np.zeros(self.n, dtype=bool)
        has_card[member] = True
        self.persons.card_token = [
            f"04{tokens[i]:010X}" if has_card[i] else None for i in range(self.n)
        ]

    # -- timeline --------------------------------------------------------------------

    def events(self, sessions: Rows, bookings: Rows, consents: Rows, payments: Rows) -> Rows:
        """The key facts of each member's timeline (never one per visit: Visit has those)."""
        people, ms, s = self.persons, self.ms, sessions.columns
        cols = {k: [] for k in ("member", "kind", "at", "actor", "data", "membership", "session")}

        def add(member, kind, at, data, *, actor=None, membership=NO, session=NO) -> None:
            cols["member"].append(member)
            cols["kind"].append(kind)
            cols["at"].append(int(at))
            cols["actor"].append(actor)
            cols["data"].append(data)
            cols["membership"].append(membership)
            cols["session"].append(session)

        for i in range(self.n):
            if not self.imported[i]:
                add(i, "lead_created", people.created[i], {"source": people.source[i]})
        c = consents.columns
        for i, channel, granted, source, who, at in zip(
            c["member"],
            c["channel"],
            c["granted"],
            c["source"],
            c["recorded_by"],
            c["at"],
            strict=True,
        ):
            add(
                i,
                "consent_changed",
                at,
                {"channel": channel, "granted": granted, "source": source},
                actor=who,
            )
        t = self.trials.columns
        b = bookings.columns
        trial_session = {}
        for k in np.flatnonzero(b["is_trial"]).tolist():
            trial_session[int(b["member"][k])] = int(b["session"][k])
        class_names = [spec.name for spec in cat.CLASS_TYPES]
        for i, m, booked, attended in zip(
            t["member"], t["membership"], t["booked"], t["attended"], strict=True
        ):
            k = trial_session.get(i, NO)
            data = {"membership": None}
            if k != NO:
                data |= {
                    "session": None,
                    "class": class_names[s["class_type"][k]],
                    "start": _iso(int(s["start"][k])),
                }
            add(i, "trial_booked", booked, data, membership=m, session=k)
            if attended is not None and k != NO:
                kind, delay = ("trial_attended", 300) if attended else ("trial_no_show", 1800)
                add(i, kind, s["end"][k] + delay, {"session": None}, session=k)
        for m in range(len(ms.member)):
            kind = ms.plan[m] % 4
            if kind == TRIAL:
                continue
            club = cat.CLUBS[people.club[ms.member[m]]]
            renewal = ms.renewed_from[m] != NO
            data = {
                "membership": None,
                "plan": cat.PLAN_NAMES[kind],
                "start": _day(ms.start[m]),
                "end": _day(ms.original_end[m]),
                "price": str(cat.plan_price(club.slug, kind)),
                "first": ms.first_paid[m],
            }
            if ms.imported[m]:
                data["imported"] = True
            if ms.automatic[m]:
                kind_name = "membership_auto_renewed"
                data["renewed_from"] = None  # the writer names the row, as "membership"
            else:
                kind_name = "membership_renewed" if renewal else "membership_started"
            add(ms.member[m], kind_name, ms.created[m], data, actor=ms.actor[m], membership=m)
            if ms.auto_renew_stopped[m] is not None:
                add(
                    ms.member[m],
                    "auto_renew_changed",
                    ms.auto_renew_stopped[m],
                    {
                        "membership": None,
                        "plan": cat.PLAN_NAMES[kind],
                        "auto_renew": False,
                        "source": "portal",
                    },
                    membership=m,
                )
        f = self.freezes.columns
        for m, start, end, created, reason, who in zip(
            f["membership"],
            f["start"],
            f["end"],
            f["created"],
            f["reason"],
            f["actor"],
            strict=True,
        ):
            add(
                ms.member[m],
                "membership_frozen",
                created,
                {
                    "membership": None,
                    "start": _day(start),
                    "end": _day(end),
                    "reason": reason,
                    "new_end": _day(ms.end[m]),
                },
                actor=who,
                membership=m,
            )
        a = self.attempts.columns
        for i, club, at, source, reason, m in zip(
            a["member"], a["club"], a["at"], a["source"], a["reason"], a["membership"], strict=True
        ):
            add(
                i,
                "check_in_denied",
                at,
                {
                    "club": cat.CLUBS[club].slug,
                    "source": source,
                    "reason": reason,
                    "membership": None,
                },
                membership=m,
            )
        pay = payments.columns
        for i, m, amount, status, intent, at in zip(
            pay["member"],
            pay["membership"],
            pay["amount"],
            pay["status"],
            pay["intent"],
            pay["at"],
            strict=True,
        ):
            if status == "failed":
                add(
                    i,
                    "payment_failed",
                    at,
                    {
                        "membership": None,
                        "amount": amount,
                        "currency": cat.CURRENCY,
                        "reason": "card_declined",
                        "method": "stripe",
                        "payment_intent": intent,
                    },
                    membership=m,
                )
        order = np.lexsort(
            (np.asarray(cols["kind"]), np.asarray(cols["at"]), np.asarray(cols["member"]))
        )
        return Rows({k: [v[j] for j in order] for k, v in cols.items()})

    # -- what came out ---------------------------------------------------------------

    def stats(self, visits: Rows, sessions: Rows, bookings: Rows) -> dict:
        """Measured figures of the generated data, for the parameters file."""
        p, ms = self.p, self.ms
        d = self.decisions.columns
        end = np.asarray(d["end"], dtype=np.int64)
        band = np.asarray(d["band"], dtype=np.int64)
        renewed = np.array([x is True for x in d["renewed"]])
        # Late renewals show up to 14 days after the end: judge only memberships older than that.
        settled = end <= self.today - 1 - p.late_renewal_max_days
        by_band = []
        for k, label in enumerate(p.band_labels):
            mask = settled & (band == k)
            total = int(mask.sum())
            by_band.append(
                {
                    "band": label,
                    "memberships": total,
                    "renewed": int(renewed[mask].sum()),
                    "rate": round(float(renewed[mask].mean()), 4) if total else None,
                }
            )
        # Visits per member-month while a paid membership was in force (frozen days excluded).
        v = visits.columns
        kind = np.asarray(ms.plan, dtype=np.int64) % 4
        start = np.maximum(np.asarray(ms.start, dtype=np.int64), self.start)
        stop = np.minimum(np.asarray(ms.end, dtype=np.int64), self.today - 1)
        paid = kind != TRIAL
        days = np.clip(stop - start + 1, 0, None)[paid].sum()
        f = self.freezes.columns
        frozen = sum(
            max(0, min(e, self.today - 1) - max(s_, self.start) + 1)
            for s_, e in zip(f["start"], f["end"], strict=True)
        )
        paid_visits = int(paid[v["membership"]].sum())
        per_month = paid_visits / max(1, days - frozen) * 30
        # Members in force yesterday who did not come in the 30 days before.
        yesterday = self.today - 1
        current = paid & (np.asarray(ms.start) <= yesterday) & (np.asarray(ms.end) >= yesterday)
        current_members = np.unique(np.asarray(ms.member)[current])
        recent = np.unique(v["member"][v["day"] >= self.today - 30])
        inactive = np.setdiff1d(current_members, recent).size
        b = bookings.columns
        statuses, counts = np.unique(b["status"], return_counts=True)
        return {
            "renewal_by_band": by_band,
            "renewal_offer": self.offer_stats(settled, band, renewed),
            "settled_memberships": "paid memberships that ended at least 15 days before today",
            "decided_memberships": len(end),
            "visits_per_active_member_month": round(float(per_month), 2),
            "active_members_yesterday": int(current_members.size),
            "inactive_share_of_active": round(inactive / max(1, current_members.size), 4),
            "members_by_status": {
                str(k): int(c)
                for k, c in zip(*np.unique(self.persons.status, return_counts=True), strict=True)
            },
            "bookings_by_status": {str(k): int(c) for k, c in zip(statuses, counts, strict=True)},
            "sessions": int(sessions.columns["club"].size),
        }

    def offer_stats(self, settled: np.ndarray, band: np.ndarray, renewed: np.ndarray) -> dict:
        """Settled memberships by arm of the renewal offer: how many, how many renewed, and
        the uplift the planted probabilities give this mix of bands (the cap bites in 8+)."""
        p = self.p
        offer = np.asarray(self.decisions.columns["offer"], dtype=object)
        base = np.asarray(p.renewal_probability)[band]
        lifted = np.minimum(base + p.renewal_offer_uplift, p.renewal_offer_cap)
        arms = {}
        for arm in ("sent", "held_out", "suppressed"):
            mask = settled & (offer == arm)
            total = int(mask.sum())
            arms[arm] = {
                "memberships": total,
                "renewed": int(renewed[mask].sum()),
                "rate": round(float(renewed[mask].mean()), 4) if total else None,
            }
        sent = settled & (offer == "sent")
        held = settled & (offer == "held_out")
        lift = float((lifted - base)[sent].mean()) if sent.any() else None
        # What sent minus held out should measure: the arms' band mixes differ, because a
        # member is held out for good and renewing members (more of them when sent, most in
        # the high bands) come up for renewal again.
        expected = (
            float(lifted[sent].mean() - base[held].mean()) if sent.any() and held.any() else None
        )
        return {
            "arms": arms,
            "planted_uplift": p.renewal_offer_uplift,
            "mean_uplift_of_sent": None if lift is None else round(lift, 4),
            "expected_difference": None if expected is None else round(expected, 4),
        }


# A planted row going this close to the seed's now, or after it, is still waiting: more than
# what follows a send (delivered within 130 s, a call task closed within 14 minutes).
WAITING_MARGIN = 20 * 60


def _demo_hash(rule: int, member: int) -> int:
    """The demo's stable holdout hash of (rule, member position), 0–99: the engine's
    `is_held_out` hashes database ids, which do not exist while the history is drawn."""
    digest = hashlib.sha256(f"holdout:demo:{rule}:{member}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.TASK)  # the history's channel index


def _refusal_case(kind, marketing, consented, address, logged) -> np.ndarray:
    """The index in _refusals() of each row's case (channel index, then four flags)."""
    return (
        np.asarray(kind, dtype=np.int64) * 16
        + np.asarray(marketing, dtype=np.int64) * 8
        + np.asarray(consented, dtype=np.int64) * 4
        + np.asarray(address, dtype=np.int64) * 2
        + np.asarray(logged, dtype=np.int64)
    )


@functools.cache
def _refusals() -> np.ndarray:
    """campaigns.evaluator.consent_refusal for every case a planted row can be in, by
    _refusal_case(): the live rule itself, asked once per case (48 unsaved members), so the
    demo never keeps a second copy of who may be sent what."""
    verdicts = []
    for channel in CHANNELS:
        for marketing, consented, address, logged in itertools.product((False, True), repeat=4):
            member = Member(
                sms_consent=consented and channel == Channel.SMS,
                email_consent=consented and channel == Channel.EMAIL,
                phone=cat.mobile_numbers()[0] if address else "",
                email="someone@example.com" if address else "",
            )
            verdicts.append(
                str(evaluator.consent_refusal(member, channel, marketing=marketing, logged=logged))
            )
    return np.array(verdicts, dtype=object)


def _rule(number: int) -> cat.HistoryRule:
    return next(spec for spec in cat.PLAYBOOK_HISTORY if spec.number == number)


def _minutes(at: str) -> int:
    """Minutes after midnight of a rule's "HH:MM" parameter."""
    time = dt.time.fromisoformat(at)
    return time.hour * 60 + time.minute


def _count_by_rule(touchpoints: Rows) -> dict[str, dict[str, int]]:
    """Planted touchpoints per rule and status, for the parameters file."""
    counts: dict[str, dict[str, int]] = {}
    for rule, status in zip(
        touchpoints.columns["rule"].tolist(), touchpoints.columns["status"], strict=True
    ):
        by_status = counts.setdefault(str(rule), {})
        by_status[status] = by_status.get(status, 0) + 1
    return counts


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _rank_in_groups(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2… within each run of equal values of a sorted array."""
    if not groups.size:
        return groups.astype(np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    return np.arange(groups.size) - np.repeat(starts, np.diff(np.r_[starts, groups.size]))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _day(ordinal: int) -> str:
    return dt.date.fromordinal(int(ordinal)).isoformat()


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")
