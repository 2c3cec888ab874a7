"""Two beat runs, or a beat run and marketing's Stop, at the same moment on one run of a
weekly campaign: the run's members are in the outbox once, and a stop leaves nothing to send.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam and moved to the run's time.
"""

import datetime as dt

import pytest

from campaigns import launches
from campaigns.models import Campaign, CampaignVariant, Rule, Segment, Touchpoint
from club import clock
from tests.factories import MemberFactory
from tests.race import run_concurrently

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

TUESDAY = dt.date(2026, 11, 24)


@pytest.fixture
def weekly(downtown) -> Campaign:
    Rule.objects.update(is_active=False)
    everyone = Segment.objects.create(name="Everyone at Downtown")
    everyone.clubs.set([downtown])
    for i in range(50):
        MemberFactory(home_club=downtown, sms_consent=True, phone=f"+3163{i:07d}")
    campaign = Campaign.objects.create(
        name="Tuesday classes",
        segment=everyone,
        channel="sms",
        send_on=TUESDAY,
        repeat=Campaign.Repeat.WEEKLY,
        status=Campaign.Status.SCHEDULED,
    )
    CampaignVariant.objects.create(campaign=campaign, label="A", template="Hi {{ first_name }}")
    return campaign


def test_launches_at_once_write_the_run_once(frozen_clock, weekly):
    frozen_clock.move_to(clock.local_datetime(TUESDAY, dt.time(10)))

    outcome = run_concurrently(launches.launch_due, threads=4)

    weekly.refresh_from_db()
    assert outcome.errors == []
    assert sorted(outcome.results) == [0, 0, 0, 50]
    assert Touchpoint.objects.filter(campaign=weekly).count() == 50
    assert weekly.next_run_on == dt.date(2026, 12, 1)


def test_a_stop_beside_a_launch_leaves_nothing_scheduled(frozen_clock, weekly):
    frozen_clock.move_to(clock.local_datetime(TUESDAY, dt.time(10)))
    calls = iter([launches.launch_due, lambda: launches.stop(weekly)])

    outcome = run_concurrently(lambda: next(calls)(), threads=2)

    weekly.refresh_from_db()
    statuses = set(Touchpoint.objects.filter(campaign=weekly).values_list("status", flat=True))
    assert outcome.errors == []
    assert weekly.status == Campaign.Status.STOPPED
    # Whichever went first: no run launched, or its rows all cancelled by the stop.
    assert statuses <= {Touchpoint.Status.CANCELLED, Touchpoint.Status.HELD_OUT}
