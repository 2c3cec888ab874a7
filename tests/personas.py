"""Named personas shared by every test.

Downtown is "our" club: Fiona at the front desk, Tom the trainer, Mia in marketing,
Max the manager, Maya, a member with a monthly membership in force, and Tom Berg, whose
month ended on 3 November. `desk` is the test client signed in as Fiona. Riverside is
another club of the chain: Olga works its front desk and must see nothing of Downtown.
Carla does the chain's marketing, at both clubs.

Everyone but Carla works at Downtown only. Where a test has no Riverside, Downtown is the
whole chain, so Mia and Max may change the chain-wide rules; with Riverside there, those
rules are view-only for them (campaigns/backoffice/access.py).

Dates come from the club clock: request `frozen_clock` before a persona to pin them.
"""

import datetime as dt
from decimal import Decimal

import pytest
from wagtail.models import Site

from club import clock, roles
from cms.models import ClubSiteSettings
from members.models import Channel, Member
from tests.factories import (
    ClubFactory,
    ConsentLogFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    UserFactory,
)

__all__ = [
    "carla",
    "desk",
    "downtown",
    "fiona",
    "max",
    "maya",
    "maya_membership",
    "mia",
    "monthly_plan",
    "olga",
    "riverside",
    "riverside_site",
    "tom",
    "tom_berg",
]


@pytest.fixture
def downtown(db):
    return ClubFactory(
        name="Downtown",
        slug="downtown",
        time_zone="Europe/Amsterdam",
        phone="+31201234567",
        email_sender="downtown@clubcycle.example.com",
    )


@pytest.fixture
def riverside(db):
    return ClubFactory(
        name="Riverside",
        slug="riverside",
        time_zone="Europe/Amsterdam",
        phone="+31107654321",
        email_sender="riverside@clubcycle.example.com",
    )


@pytest.fixture
def riverside_site(riverside):
    """Riverside with a public site of its own (https://riverside.example.com); Downtown stays
    on the default site."""
    default = Site.objects.get(is_default_site=True)
    site = Site.objects.create(
        hostname="riverside.example.com", port=443, root_page=default.root_page
    )
    chosen = ClubSiteSettings.for_site(site)
    chosen.club = riverside
    chosen.save()
    return site


@pytest.fixture
def fiona(downtown):
    return UserFactory(
        username="fiona",
        first_name="Fiona",
        last_name="de Vries",
        clubs=[downtown],
        roles=[roles.FRONT_DESK],
    )


@pytest.fixture
def tom(downtown):
    return UserFactory(
        username="tom",
        first_name="Tom",
        last_name="Bakker",
        clubs=[downtown],
        roles=[roles.TRAINER],
    )


@pytest.fixture
def mia(downtown):
    return UserFactory(
        username="mia",
        first_name="Mia",
        last_name="Visser",
        clubs=[downtown],
        roles=[roles.MARKETING],
    )


@pytest.fixture
def carla(downtown, riverside):
    """Marketing for the whole chain: she may change the chain-wide rules."""
    return UserFactory(
        username="carla",
        first_name="Carla",
        last_name="Kok",
        clubs=[downtown, riverside],
        roles=[roles.MARKETING],
    )


@pytest.fixture
def max(downtown):
    return UserFactory(
        username="max", first_name="Max", last_name="Smit", clubs=[downtown], roles=[roles.MANAGER]
    )


@pytest.fixture
def olga(riverside):
    return UserFactory(
        username="olga",
        first_name="Olga",
        last_name="Mulder",
        clubs=[riverside],
        roles=[roles.FRONT_DESK],
    )


@pytest.fixture
def desk(client, fiona):
    """The test client, signed in as Fiona at the front desk."""
    client.force_login(fiona)
    return client


@pytest.fixture
def monthly_plan(downtown):
    return PlanFactory(club=downtown, name="Monthly", price=Decimal("49.00"), duration_days=30)


@pytest.fixture
def maya(downtown, monthly_plan):
    """A member of Downtown for a while, with SMS and email consent and a key fob."""
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Maya",
        last_name="Jansen",
        email="maya.jansen@example.com",
        phone="+31612345678",
        birth_date=dt.date(1992, 5, 17),
        card_token="MAYA-0001",
        sms_consent=True,
        email_consent=True,
    )
    for channel in (Channel.SMS, Channel.EMAIL):
        ConsentLogFactory(member=member, channel=channel, granted=True, source="trial form")
    today = clock.today(downtown)
    MembershipFactory(member=member, plan=monthly_plan, start=today - dt.timedelta(days=10))
    return member


@pytest.fixture
def maya_membership(maya):
    """Maya's monthly membership: started ten days ago, nineteen days left after today."""
    return maya.memberships.get()


@pytest.fixture
def tom_berg(downtown, monthly_plan):
    """A member of Downtown whose monthly membership ended on 3 November."""
    member = MemberFactory(
        home_club=downtown, first_name="Tom", last_name="Berg", card_token="TOM-BERG"
    )
    MembershipFactory(member=member, plan=monthly_plan, start=dt.date(2026, 10, 5))
    return member
