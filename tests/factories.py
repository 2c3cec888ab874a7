"""factory_boy factories, one per model.

Defaults are realistic and consistent: related rows share one club, dates come from
the club clock (so a frozen clock freezes them too), and a pack membership starts
with a purchase row in the ledger so its balance equals the sum of its ledger rows.
"""

import datetime as dt
from decimal import Decimal

import factory
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from checkin.models import Booking, CheckInAttempt, ClassSession, ClassType, Source, Visit
from club import clock
from club.models import Club
from members.models import Channel, ConsentLog, Member, MemberEvent
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan

__all__ = [
    "BookingFactory",
    "CheckInAttemptFactory",
    "ClassSessionFactory",
    "ClassTypeFactory",
    "ClubFactory",
    "ConsentLogFactory",
    "FreezeFactory",
    "LedgerEntryFactory",
    "MemberEventFactory",
    "MemberFactory",
    "MembershipFactory",
    "PaymentFactory",
    "PlanFactory",
    "StaffUserFactory",
    "UserFactory",
    "VisitFactory",
    "freeze_made_back_then",
]

PASSWORD = "correct-horse-battery"


class ClubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Club

    name = factory.Sequence(lambda n: f"Club {n}")
    slug = factory.Sequence(lambda n: f"club-{n}")
    time_zone = "Europe/Amsterdam"
    currency = "EUR"
    address = factory.Sequence(lambda n: f"Keizersgracht {n}, Amsterdam")
    email_sender = factory.LazyAttribute(lambda o: f"hello@{o.slug}.example.com")
    sms_sender = "ClubCycle"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user. `clubs=[club]` adds them to clubs, `roles=[roles.FRONT_DESK]` to groups."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def clubs(self, create, extracted, **kwargs):
        if create and extracted:
            self.clubs.add(*extracted)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # The role groups come from a data migration, with their permissions.
            self.groups.add(*[Group.objects.get(name=name) for name in extracted])


StaffUserFactory = UserFactory


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    home_club = factory.SubFactory(ClubFactory)
    status = Member.Status.LEAD
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    phone = factory.Sequence(lambda n: f"+3161234{n % 10000:04d}")
    # Never a birthday on the frozen clock's days (the 23rd, 24th): which member of a run gets
    # which number depends on what ran before, and a stray "Birthday today" badge or greeting
    # failed tests by the order they ran in. Tests about birthdays set the date.
    birth_date = factory.Sequence(lambda n: dt.date(1980 + n % 30, n % 12 + 1, n % 20 + 1))
    card_token = factory.Sequence(lambda n: f"CARD{n:06d}")
    source = Member.Source.WALK_IN
    created_at = factory.LazyFunction(clock.now)


class ConsentLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentLog

    member = factory.SubFactory(MemberFactory)
    channel = Channel.SMS
    granted = True
    source = "desk"
    wording = "Yes, text me about my membership and offers."
    at = factory.LazyFunction(clock.now)


class MemberEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberEvent

    member = factory.SubFactory(MemberFactory)
    kind = MemberEvent.Kind.NOTE
    at = factory.LazyFunction(clock.now)
    data = factory.Dict({"text": "Asked about yoga classes."})


class PlanFactory(factory.django.DjangoModelFactory):
    """A monthly plan; `pack=True` for a 10-visit card, `trial=True` for a free week."""

    class Meta:
        model = Plan

    club = factory.SubFactory(ClubFactory)
    name = factory.Sequence(lambda n: f"Monthly {n}")
    kind = Plan.Kind.TIME
    price = Decimal("49.00")
    duration_days = 30
    visits_included = None

    class Params:
        pack = factory.Trait(
            name=factory.Sequence(lambda n: f"10-visit card {n}"),
            kind=Plan.Kind.PACK,
            price=Decimal("120.00"),
            duration_days=180,
            visits_included=10,
        )
        trial = factory.Trait(
            name=factory.Sequence(lambda n: f"Free trial week {n}"),
            kind=Plan.Kind.TRIAL,
            price=Decimal("0.00"),
            duration_days=7,
        )


class MembershipFactory(factory.django.DjangoModelFactory):
    """A membership starting today at the member's club; a pack's visits are in the ledger.

    Pass `purchase=False` for a pack membership without its purchase ledger row.
    """

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    member = factory.SubFactory(MemberFactory)
    plan = factory.SubFactory(PlanFactory, club=factory.SelfAttribute("..member.home_club"))
    start = factory.LazyAttribute(lambda o: clock.today(o.member.home_club))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(days=o.plan.duration_days - 1))
    status = Membership.Status.ACTIVE
    price_paid = factory.LazyAttribute(lambda o: o.plan.price)
    visits_left = factory.LazyAttribute(
        lambda o: o.plan.visits_included if o.plan.is_pack else None
    )
    created_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def purchase(self, create, extracted, **kwargs):
        if not create or extracted is False or not self.visits_left:
            return
        LedgerEntry.objects.create(
            membership=self,
            kind=LedgerEntry.Kind.PURCHASE,
            visits=self.visits_left,
            balance_after=self.visits_left,
            reason=f"Bought {self.plan.name}",
            at=self.created_at,
        )


class FreezeFactory(factory.django.DjangoModelFactory):
    """A bare freeze row: it does not move the end date (memberships.freezes.freeze does)."""

    class Meta:
        model = Freeze

    membership = factory.SubFactory(MembershipFactory)
    start = factory.LazyAttribute(lambda o: o.membership.start + dt.timedelta(days=7))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(days=6))
    reason = "Holiday"
    created_at = factory.LazyFunction(clock.now)


def freeze_made_back_then(membership, *, start: dt.date, end: dt.date, **kwargs) -> Freeze:
    """A freeze through memberships.freezes.freeze, moving the end date, made on its first day:
    a freeze may not start before today, so one that is running or over today was made then."""
    from memberships import freezes

    with time_machine.travel(dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC), tick=False):
        return freezes.freeze(membership, start=start, end=end, **kwargs)


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    """A bare ledger row on a pack: it does not touch visits_left (memberships.ledger does)."""

    class Meta:
        model = LedgerEntry

    membership = factory.SubFactory(MembershipFactory, plan__pack=True)
    kind = LedgerEntry.Kind.ADJUSTMENT
    visits = 1
    balance_after = factory.LazyAttribute(lambda o: (o.membership.visits_left or 0) + o.visits)
    reason = "Goodwill visit"
    at = factory.LazyFunction(clock.now)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    member = factory.SubFactory(MemberFactory)
    membership = factory.SubFactory(MembershipFactory, member=factory.SelfAttribute("..member"))
    amount = factory.LazyAttribute(
        lambda o: o.membership.price_paid if o.membership else Decimal("49.00")
    )
    currency = factory.LazyAttribute(lambda o: o.member.home_club.currency)
    method = Payment.Method.CARD_TERMINAL
    status = Payment.Status.SUCCEEDED
    at = factory.LazyFunction(clock.now)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    member = factory.SubFactory(MemberFactory)
    club = factory.SelfAttribute("member.home_club")
    at = factory.LazyFunction(clock.now)
    source = Source.DESK


class CheckInAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckInAttempt

    member = factory.SubFactory(MemberFactory)
    club = factory.SelfAttribute("member.home_club")
    at = factory.LazyFunction(clock.now)
    source = Source.DESK
    reason = CheckInAttempt.Reason.EXPIRED


class ClassTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassType

    club = factory.SubFactory(ClubFactory)
    name = factory.Sequence(lambda n: f"Vinyasa yoga {n}")
    description = "Flowing yoga for every level."
    interests = factory.List(["yoga"])
    trial_eligible = True


class ClassSessionFactory(factory.django.DjangoModelFactory):
    """A one-hour class tomorrow at 18:00 club time."""

    class Meta:
        model = ClassSession

    club = factory.SubFactory(ClubFactory)
    class_type = factory.SubFactory(ClassTypeFactory, club=factory.SelfAttribute("..club"))
    trainer = None
    room = "Studio 1"
    start = factory.LazyAttribute(
        lambda o: clock.local_datetime(
            clock.today(o.club) + dt.timedelta(days=1), dt.time(18, 0), o.club
        )
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))
    capacity = 12


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    session = factory.SubFactory(ClassSessionFactory)
    member = factory.SubFactory(MemberFactory, home_club=factory.SelfAttribute("..session.club"))
    status = Booking.Status.BOOKED
    created_at = factory.LazyFunction(clock.now)
