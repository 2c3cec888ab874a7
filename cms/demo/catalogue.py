"""The fixed world of the demo: clubs, plans, classes, staff, names and the planted parameters.

Everything random is drawn by the generator from these tables, so a reader can see
in one place what the demo data is made of and which behaviour analytics must find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from club import roles
from memberships import renewal_timing

# Demo data only: every login shares it, and seed_demo refuses to touch a non-demo club.
DEMO_PASSWORD = "clubcycle-demo"
# The reserved .example TLD (RFC 2606) marks demo clubs and staff and can never receive mail.
DEMO_DOMAIN = "clubcycle.example"


@dataclass(frozen=True)
class ClubSpec:
    slug: str
    name: str
    time_zone: str
    address: str
    phone: str
    country: str
    sms_sender: str
    share: float  # of the members
    front_desk: str  # username recording desk sales at this club
    trainers: tuple[str, str]  # room 1 lead, room 2 / stand-in

    @property
    def email_sender(self) -> str:
        return f"{self.slug}@{DEMO_DOMAIN}"


# Phone numbers are from Ofcom's ranges reserved for drama: valid, but nobody answers. So the
# clubs say their country (NL) outright: a Dutch number typed at the desk is read as Dutch.
CLUBS = (
    ClubSpec(
        slug="downtown",
        name="Downtown",
        time_zone="Europe/Amsterdam",
        address="Voorbeeldstraat 12\n1012 AB Amsterdam",
        phone="+442079460001",
        country="NL",
        sms_sender="CCDowntown",
        share=0.6,
        front_desk="fiona",
        trainers=("tom", "sara"),
    ),
    ClubSpec(
        slug="riverside",
        name="Riverside",
        time_zone="Europe/Amsterdam",
        address="Rivierkade 3\n1097 XY Amsterdam",
        phone="+442079460002",
        country="NL",
        sms_sender="CCRiverside",
        share=0.4,
        front_desk="rosa",
        trainers=("leo", "nina"),
    ),
)
DEMO_SLUGS = tuple(spec.slug for spec in CLUBS)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str | None  # None: the superuser
    clubs: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_DOMAIN}"


STAFF = (
    StaffSpec("admin", "Ada", "Admin", None, DEMO_SLUGS),
    StaffSpec("fiona", "Fiona", "de Vries", roles.FRONT_DESK, ("downtown",)),
    StaffSpec("tom", "Tom", "Bakker", roles.TRAINER, ("downtown",)),
    StaffSpec("mia", "Mia", "Jansen", roles.MARKETING, DEMO_SLUGS),
    StaffSpec("max", "Max", "Visser", roles.MANAGER, DEMO_SLUGS),
    StaffSpec("sara", "Sara", "Smit", roles.TRAINER, ("downtown",)),
    StaffSpec("leo", "Leo", "Mulder", roles.TRAINER, ("riverside",)),
    StaffSpec("nina", "Nina", "Bos", roles.TRAINER, ("riverside",)),
    StaffSpec("rosa", "Rosa", "Peters", roles.FRONT_DESK, ("riverside",)),
)
STAFF_USERNAMES = tuple(spec.username for spec in STAFF)
# The trainers' public pages (the classes they teach are read from the timetable).
TRAINER_BIOS = {
    "tom": "Tom came to coaching from the boxing ring. Expect honest intervals, loud music "
    "and a coach who learns your name in the first class.",
    "sara": "Sara is a yoga and pilates teacher who also loves a hard spin. She builds "
    "every class so that a first-timer and a regular both leave tired and happy.",
    "leo": "Leo coached rowers before he joined Riverside. He keeps an eye on technique, so "
    "the strength and HIIT classes are safe from day one.",
    "nina": "Nina teaches mobility and core at Riverside. Her classes start slow and finish "
    "strong, and she always has an easier and a harder option ready.",
}

# Plan kinds, in the order the generator indexes them (plan index = club * 4 + kind).
TRIAL, MONTHLY, ANNUAL, PACK = 0, 1, 2, 3
PLAN_KINDS = ("trial", "time", "time", "pack")
PLAN_NAMES = ("Free trial", "Monthly", "Annual", "10-visit pack")
PLAN_DAYS = (7, 30, 365, 90)
PLAN_VISITS = (None, None, None, 10)
# Plan.auto_renew by kind. None of the demo's plans renews by itself today; the generator
# still follows memberships.autorenew for any that does (Generator.chain).
PLAN_AUTO_RENEW = (False, False, False, False)
PLAN_PRICES = {
    "downtown": ("0.00", "39.00", "399.00", "120.00"),
    "riverside": ("0.00", "35.00", "359.00", "110.00"),
}


def plan_price(slug: str, kind: int) -> Decimal:
    return Decimal(PLAN_PRICES[slug][kind])


@dataclass(frozen=True)
class ClassTypeSpec:
    name: str
    description: str
    interests: tuple[str, ...]
    trial_eligible: bool
    minutes: int
    capacity: int


CLASS_TYPES = (
    ClassTypeSpec("Spin", "Indoor cycling to music.", ("spin", "cardio"), True, 45, 20),
    ClassTypeSpec("Yoga", "Vinyasa flow for all levels.", ("yoga", "mobility"), True, 60, 18),
    ClassTypeSpec("HIIT", "Short, hard intervals.", ("hiit", "cardio"), True, 45, 16),
    ClassTypeSpec(
        "Core", "Thirty minutes for a strong middle.", ("core", "strength"), False, 30, 16
    ),
    ClassTypeSpec("Pilates", "Mat pilates.", ("pilates", "mobility"), True, 45, 14),
    ClassTypeSpec("Strength", "Barbell technique in small groups.", ("strength",), False, 60, 12),
    ClassTypeSpec("Boxing", "Pads, bags and footwork.", ("boxing", "cardio"), False, 60, 16),
)
CLASS_INDEX = {spec.name: i for i, spec in enumerate(CLASS_TYPES)}
# Riverside is the smaller club and has no boxing ring.
CLUB_CLASSES = {
    "downtown": tuple(spec.name for spec in CLASS_TYPES),
    "riverside": ("Spin", "Yoga", "HIIT", "Core", "Pilates", "Strength"),
}

# Weekly timetable of room 1: weekday (Mon=0) → (local start, class). Room 2, opened
# for bigger member bases, runs the busy evening and weekend slots half an hour later.
TIMETABLE = {
    "downtown": {
        0: (
            ("07:00", "Spin"),
            ("12:15", "Core"),
            ("18:00", "HIIT"),
            ("19:00", "Spin"),
            ("20:15", "Yoga"),
        ),
        1: (
            ("07:00", "HIIT"),
            ("12:15", "Pilates"),
            ("18:00", "Strength"),
            ("19:15", "Spin"),
            ("20:15", "Pilates"),
        ),
        2: (
            ("07:00", "Spin"),
            ("12:15", "Core"),
            ("18:00", "Boxing"),
            ("19:15", "HIIT"),
            ("20:15", "Yoga"),
        ),
        3: (
            ("07:00", "HIIT"),
            ("12:15", "Yoga"),
            ("18:00", "Spin"),
            ("19:15", "Strength"),
            ("20:15", "Core"),
        ),
        4: (("07:00", "Spin"), ("12:15", "HIIT"), ("18:00", "Yoga")),
        5: (("09:30", "Spin"), ("11:00", "Pilates")),
        6: (("10:00", "Yoga"), ("11:30", "Spin")),
    },
    "riverside": {
        0: (("07:15", "Spin"), ("18:30", "HIIT"), ("19:45", "Yoga")),
        1: (("07:15", "Core"), ("18:30", "Spin"), ("19:45", "Pilates")),
        2: (("07:15", "HIIT"), ("18:30", "Strength"), ("19:45", "Yoga")),
        3: (("07:15", "Spin"), ("18:30", "Pilates"), ("19:45", "HIIT")),
        4: (("07:15", "Yoga"), ("18:00", "Spin")),
        5: (("10:00", "HIIT"), ("11:15", "Yoga")),
        6: (("10:30", "Pilates"),),
    },
}
ROOMS = ("Studio 1", "Studio 2")
# One room per this many members at the club (at least one, at most len(ROOMS)).
MEMBERS_PER_ROOM = 2500
SESSION_CANCEL_RATE = 0.015
FUTURE_SCHEDULE_DAYS = 14

SOURCES = ("website", "walk_in", "referral", "social", "phone")
SOURCE_WEIGHTS = (0.35, 0.25, 0.15, 0.15, 0.10)
INTERESTS = ("spin", "yoga", "hiit", "core", "pilates", "strength", "boxing", "cardio", "mobility")
INTEREST_WEIGHTS = (0.16, 0.16, 0.13, 0.07, 0.1, 0.16, 0.06, 0.1, 0.06)
CLASS_INTERESTS = frozenset(INTERESTS) - {"cardio", "mobility", "strength"}

NOTES = (
    "Knee injury in 2024: no jumping in HIIT.",
    "Prefers morning classes.",
    "Student discount checked at sign-up.",
    "Asked about personal training.",
    "Brings a friend on Saturdays.",
)
FREEZE_REASONS = ("Holiday", "Injury", "Work abroad", "Medical", "Pregnancy")

SMS_WORDING = (
    "Yes, {club} may text me about my membership, classes and offers. Reply STOP to opt out."
)
EMAIL_WORDING = "Yes, {club} may email me about my membership, classes and offers."

FIRST_NAMES = (
    "Anna",
    "Emma",
    "Julia",
    "Sophie",
    "Lotte",
    "Sanne",
    "Lisa",
    "Eva",
    "Fleur",
    "Noor",
    "Maya",
    "Olga",
    "Sara",
    "Fatima",
    "Yasmin",
    "Zoë",
    "Chloé",
    "Ines",
    "Marta",
    "Hanna",
    "Lieke",
    "Iris",
    "Femke",
    "Naomi",
    "Priya",
    "Mei",
    "Aisha",
    "Elif",
    "Laura",
    "Nadia",
    "Daan",
    "Sem",
    "Lucas",
    "Levi",
    "Finn",
    "Milan",
    "Thijs",
    "Jesse",
    "Bram",
    "Ruben",
    "Noah",
    "Luuk",
    "Mohammed",
    "Omar",
    "Yusuf",
    "Mehmet",
    "Pieter",
    "Joost",
    "Bas",
    "Koen",
    "Rick",
    "Stijn",
    "Tim",
    "Niels",
    "Arjun",
    "Wei",
    "Diego",
    "Mateo",
    "Jonas",
    "Felix",
)
LAST_NAMES = (
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van den Heuvel",
    "van der Veen",
    "van den Broek",
    "de Bruijn",
    "de Bruin",
    "van der Heijden",
    "Schouten",
    "van Beek",
    "Willems",
    "van Vliet",
    "Hoekstra",
    "Maas",
    "Verhoeven",
    "Koster",
    "Prins",
    "Yılmaz",
    "Kaya",
    "El Amrani",
    "Bouzid",
    "Singh",
    "Chen",
    "Wang",
    "García",
    "Fernandes",
    "Kowalski",
    "Nowak",
    "Müller",
    "Schmidt",
    "O'Brien",
    "Rossi",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
# Ofcom drama ranges (valid UK numbers never given to anyone): 13 blocks of 1,000 landlines.
PHONE_BLOCKS = (
    "+441134960",
    "+441144960",
    "+441164960",
    "+441174960",
    "+441184960",
    "+441214960",
    "+441314960",
    "+441414960",
    "+441514960",
    "+441614960",
    "+442896496",
    "+442920180",
    "+442079460",
)
# Numbers that take texts, for the people who agreed to SMS (members.consent allows SMS
# consent only with such a number): the North American plan's fictional 555-0100–0199 in
# 30 area codes, 3,000 numbers. Ofcom's mobile drama range (07700 900xxx) is not a valid
# number to libphonenumber, so the phone field would refuse it.
MOBILE_AREA_CODES = (
    201, 202, 203, 205, 206, 207, 208, 212, 213, 214, 215, 216, 217, 218, 219,
    301, 302, 303, 304, 305, 312, 313, 314, 315, 317, 401, 402, 404, 405, 406,
)  # fmt: skip


def mobile_numbers() -> list[str]:
    return [f"+1{area}55501{n:02d}" for area in MOBILE_AREA_CODES for n in range(100)]


@dataclass(frozen=True)
class Planted:
    """The behaviour the demo plants, and analytics must find again (see seed_params.json)."""

    # Renewal probability by the band of visits in the last 30 days of a membership.
    window_days: int = 30
    band_lows: tuple[int, ...] = (0, 1, 4, 8)
    band_labels: tuple[str, ...] = ("0", "1-3", "4-7", "8+")
    renewal_probability: tuple[float, ...] = (0.30, 0.55, 0.75, 0.90)
    # Renewals: most buy before the end and start the day after; the rest come back late.
    late_renewal_share: float = 0.2
    late_renewal_max_days: int = 14  # within the club's renewal grace days
    early_purchase_max_days: int = 10
    plan_switch: tuple[tuple[float, float, float], ...] = (
        (0.0, 0.0, 0.0),  # trial (never renewed)
        (0.92, 0.06, 0.02),  # monthly → monthly, annual, pack
        (0.10, 0.90, 0.0),  # annual
        (0.12, 0.0, 0.88),  # pack
    )
    rejoin_probability: float = 0.12
    rejoin_gap_days: tuple[int, int] = (30, 300)
    # The planted uplift of rule 14 of the default playbook, the early renewal offer (an
    # email 30 days before a paid membership longer than 60 days ends, at 10:00 club-local,
    # 10 % held out; a month never gets it, as the engine never sends it one): members sent
    # it renew with their band's probability plus this much (capped); held-out members, and
    # those without email consent (suppressed), at their band's probability.
    renewal_offer_rule: int = 14
    renewal_offer_days: int = 30
    renewal_offer_minute: int = 10 * 60
    renewal_offer_holdout_percent: int = 10
    renewal_offer_uplift: float = 0.10
    renewal_offer_cap: float = 0.98
    renewal_offer_delivered: float = 0.96  # the rest stay "sent" (no delivery receipt)
    # Engagement: visits per day on a normal day (before weekday and season factors).
    engagement_labels: tuple[str, ...] = ("inactive", "casual", "regular", "keen")
    engagement_share: tuple[float, ...] = (0.40, 0.27, 0.21, 0.12)
    engagement_rate: tuple[float, ...] = (0.012, 0.14, 0.32, 0.52)
    rate_sigma_member: float = 0.25
    rate_sigma_membership: float = 0.35
    # First plan by engagement: (monthly, annual, pack).
    plan_mix: tuple[tuple[float, float, float], ...] = (
        # Those who rarely come often bought a year up front: the classic sleeping member.
        (0.20, 0.60, 0.20),
        (0.45, 0.35, 0.20),
        (0.50, 0.40, 0.10),
        (0.45, 0.50, 0.05),
    )
    # Funnel.
    imported_share: float = 0.30
    trial_rate: float = 0.6
    trial_show_rate: float = 0.8
    convert_after_trial: float = 0.60
    convert_after_no_show: float = 0.12
    convert_without_trial: float = 0.10
    # Freezes, by plan kind index.
    freeze_rate: tuple[float, ...] = (0.0, 0.04, 0.18, 0.0)
    freeze_days: tuple[int, int] = (7, 35)
    # Rhythm: Monday first; January to December.
    weekday_factor: tuple[float, ...] = (1.25, 1.2, 1.15, 1.1, 0.85, 0.75, 0.7)
    month_factor: tuple[float, ...] = (
        1.3,
        1.15,
        1.05,
        1.0,
        0.95,
        0.85,
        0.72,
        0.75,
        1.05,
        1.05,
        1.0,
        0.88,
    )
    lead_month_factor: tuple[float, ...] = (
        1.6,
        1.2,
        1.1,
        1.0,
        1.0,
        0.8,
        0.7,
        0.8,
        1.3,
        1.1,
        1.0,
        0.7,
    )
    class_share_with_class_interest: float = 0.5
    class_share_otherwise: float = 0.18
    no_show_rate: float = 0.1
    cancel_rate: float = 0.12
    consent_sms: float = 0.82
    consent_email: float = 0.88
    sms_revoke: float = 0.05
    email_revoke: float = 0.03

    def band(self, visits: int) -> int:
        for index in range(len(self.band_lows) - 1, -1, -1):
            if visits >= self.band_lows[index]:
                return index
        raise ValueError(visits)

    def as_json(self) -> dict:
        return {
            "renewal": {
                "window_days": self.window_days,
                "window": "visits with a club-local date in [end - 29 days, end] of the membership",
                "bands": [
                    {
                        "label": label,
                        "min_visits": low,
                        "max_visits": high,
                        "renewal_probability": probability,
                    }
                    for label, low, high, probability in zip(
                        self.band_labels,
                        self.band_lows,
                        (*[b - 1 for b in self.band_lows[1:]], None),
                        self.renewal_probability,
                        strict=True,
                    )
                ],
                "late_renewal_share": self.late_renewal_share,
                "late_renewal_max_days": self.late_renewal_max_days,
                "early_purchase_max_days": self.early_purchase_max_days,
                "plan_switch": {
                    name: dict(zip(PLAN_NAMES[1:], row, strict=True))
                    for name, row in zip(PLAN_NAMES[1:], self.plan_switch[1:], strict=True)
                },
                "rejoin_probability": self.rejoin_probability,
                "rejoin_gap_days": list(self.rejoin_gap_days),
            },
            "renewal_offer": {
                "rule_number": self.renewal_offer_rule,
                "days_before_end": self.renewal_offer_days,
                "local_time": f"{self.renewal_offer_minute // 60:02d}:"
                f"{self.renewal_offer_minute % 60:02d}",
                "holdout_percent": self.renewal_offer_holdout_percent,
                "uplift": self.renewal_offer_uplift,
                "cap": self.renewal_offer_cap,
                "delivered_share": self.renewal_offer_delivered,
                "rule": "sent (or delivered): renewal probability min(band probability + "
                "uplift, cap); held out or suppressed (no email consent): band probability",
                "holdout": "the generator's own stable hash of the member's position in the "
                "demo (sha256 'holdout:demo:<rule>:<index>'), recorded as the row's status",
                "which": "every paid membership that ended before today, or runs on past its "
                "offer's due time, whose due day (end - 30 days) lies in the history and in "
                "its second half, as the engine sends it: memberships of at least "
                "min_membership_days (end - start + 1, a freeze included)",
                "min_membership_days": renewal_timing.shortest_length(self.renewal_offer_days),
            },
            "engagement": {
                label: {"share": share, "visits_per_day": rate}
                for label, share, rate in zip(
                    self.engagement_labels,
                    self.engagement_share,
                    self.engagement_rate,
                    strict=True,
                )
            },
            "engagement_sigma": {
                "member": self.rate_sigma_member,
                "membership": self.rate_sigma_membership,
            },
            "first_plan_by_engagement": {
                label: dict(zip(PLAN_NAMES[1:], mix, strict=True))
                for label, mix in zip(self.engagement_labels, self.plan_mix, strict=True)
            },
            "funnel": {
                "imported_share": self.imported_share,
                "trial_rate": self.trial_rate,
                "trial_show_rate": self.trial_show_rate,
                "convert_after_trial": self.convert_after_trial,
                "convert_after_no_show": self.convert_after_no_show,
                "convert_without_trial": self.convert_without_trial,
            },
            "freeze_rate": dict(zip(PLAN_NAMES, self.freeze_rate, strict=True)),
            "freeze_days": list(self.freeze_days),
            "weekday_factor": list(self.weekday_factor),
            "month_factor": list(self.month_factor),
            "lead_month_factor": list(self.lead_month_factor),
            "classes": {
                "share_with_class_interest": self.class_share_with_class_interest,
                "share_otherwise": self.class_share_otherwise,
                "no_show_rate": self.no_show_rate,
                "cancel_rate": self.cancel_rate,
            },
            "consent": {
                "sms": self.consent_sms,
                "email": self.consent_email,
                "sms_revoke": self.sms_revoke,
                "email_revoke": self.email_revoke,
            },
        }


PLANTED = Planted()

# Visit hours by day type (Mon–Thu, Friday, weekend): evening peaks on weekdays,
# late mornings at the weekend.
VISIT_HOURS = (
    (
        (6, 3),
        (7, 6),
        (8, 5),
        (9, 3),
        (10, 2),
        (11, 2),
        (12, 5),
        (13, 4),
        (14, 2),
        (15, 2),
        (16, 3),
        (17, 7),
        (18, 10),
        (19, 10),
        (20, 7),
        (21, 3),
        (22, 1),
    ),
    (
        (6, 3),
        (7, 6),
        (8, 5),
        (9, 3),
        (10, 3),
        (11, 3),
        (12, 5),
        (13, 4),
        (14, 3),
        (15, 3),
        (16, 4),
        (17, 6),
        (18, 6),
        (19, 4),
        (20, 2),
        (21, 1),
    ),
    (
        (8, 3),
        (9, 7),
        (10, 10),
        (11, 10),
        (12, 8),
        (13, 6),
        (14, 5),
        (15, 4),
        (16, 4),
        (17, 3),
        (18, 2),
        (19, 1),
    ),
)
CURRENCY = "EUR"  # both clubs'
# Online renewals whose Stripe webhook events the demo keeps (generator.stripe_events).
STRIPE_EVENTS = 12
DESK_HOURS = (9 * 60, 20 * 60)  # sales and freezes happen while the desk is staffed
IMPORT_TIME = dt.time(7, 30)


# -- the playbook's past -------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRule:
    """A default playbook rule (campaigns/0003) whose past touchpoints the demo plants, as
    the generator needs to know it before any Rule row exists (a test holds it to the row).
    `params` are those of the rule's params the generator draws by: a rule whose params
    were changed by hand gets no planted past."""

    number: int
    trigger: str
    channel: str
    holdout_percent: int
    priority: int
    marketing: bool
    params: tuple[tuple[str, object], ...] = ()
    stages: tuple[str, ...] = ()

    def param(self, name: str):
        return dict(self.params)[name]


TENTH_VISIT = 10  # rule 10's {"n": 10}
CALENDAR_MINUTE = 10 * 60  # rules 15, 18, 19, 20 and 21: {"at": "10:00"}
AT_TEN = ("at", "10:00")
LEAD_OR_TRIAL = ("lead", "trial")

# Rules whose occurrences the generator knows from its own history; unlike rule 14 they
# change no outcome (uplift ~0). Rule 14 is planted on its own (Planted.renewal_offer_*).
# 15, 18 and 19 re-check "not renewed" at send time: a renewal bought between the insert
# and the send cancels theirs as obsolete. 18 and 19 wait for the "lapsed" stage.
PLAYBOOK_HISTORY = (
    # The lead and trial rules: a call task per lead (not walk-ins), the trial invitation
    # by SMS and, three days on, by email, the join offer after a trial and the rebook
    # after a missed one. 2 and 3 wait for the "lead" stage, 5 and 6 for "lead" or "trial".
    HistoryRule(
        1,
        "lead_created",
        "task",
        0,
        90,
        False,
        (("except_sources", ["walk_in"]), ("due_minutes", 15)),
    ),
    HistoryRule(
        2,
        "lead_created",
        "sms",
        10,
        70,
        True,
        (("delay_minutes", 5), ("unless_trial_booked", True)),
        ("lead",),
    ),
    HistoryRule(3, "lead_without_trial", "email", 10, 60, True, (("days", 3),), ("lead",)),
    # 4, the trial reminder, is transactional: to anyone with a phone who has not opted out,
    # `hours_before` the class, an hour before the quiet hours when it would fall in them.
    HistoryRule(
        4,
        "trial_booked",
        "sms",
        0,
        95,
        False,
        (("hours_before", 3), ("quiet_hours", "before")),
    ),
    HistoryRule(5, "trial_attended", "sms", 10, 80, True, (("hours_after", 2),), LEAD_OR_TRIAL),
    HistoryRule(6, "trial_no_show", "sms", 10, 60, True, (AT_TEN,), LEAD_OR_TRIAL),
    HistoryRule(7, "first_membership_started", "email", 0, 90, False),
    HistoryRule(10, "nth_visit", "sms", 10, 30, True, (("n", TENTH_VISIT),)),
    HistoryRule(15, "membership_ends_in", "sms", 10, 85, False, (("days", 7), AT_TEN)),
    HistoryRule(18, "membership_ended", "sms", 10, 70, True, (("days", 3), AT_TEN), ("lapsed",)),
    HistoryRule(19, "membership_ended", "email", 10, 60, True, (("days", 30), AT_TEN), ("lapsed",)),
    HistoryRule(20, "birthday", "sms", 10, 30, True, (AT_TEN,)),
    HistoryRule(21, "membership_anniversary", "email", 10, 20, True, (AT_TEN,)),
)
# The engine's clock, as the planted rows must follow it (a test holds each to its source):
# Club's default quiet hours (club-local minutes), the evaluator's look-back and look-ahead
# (seconds), the dispatcher's daily and weekly caps on marketing touchpoints.
QUIET_HOURS = (21 * 60, 9 * 60)
EVALUATOR_LOOKBACK = 26 * 3600
EVALUATOR_LOOKAHEAD = 8 * 86_400
DAILY_CAP, WEEKLY_CAP = 1, 3
# The one campaign the demo sends (writer.campaign): two variants, a month ago.
CAMPAIGN = {
    "name": "Bring a friend week",
    "segment": "Time-plan members",
    "days_ago": 30,
    "variants": {
        "A": "Hi {{ first_name }}, bring a friend to {{ club }} for free all this week!",
        "B": "{{ first_name }}, training is better together: your friend trains free at "
        "{{ club }} this week.",
    },
}
