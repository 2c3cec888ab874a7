"""The demo's playbook has numbers right after seeding, without beat: rule 14's offers that
fell due before today are there for running memberships too, not only for settled ones, and
only where the engine would have sent them."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from campaigns import triggers
from campaigns.models import Rule, Touchpoint
from club import clock
from club.models import Club
from cms.demo import catalogue
from memberships.models import Membership

TODAY = dt.date(2026, 11, 23)  # the frozen clock's day
PLANTED = catalogue.PLANTED


@pytest.fixture
def demo(db, frozen_clock, tmp_path):
    call_command(
        "seed_demo",
        members=200,
        years=1,
        seed=7,
        today=TODAY,
        params_out=tmp_path / "seed_params.json",
        stdout=StringIO(),
    )


def test_the_last_30_days_of_the_demo_playbook_have_rule_14s_offers(client, demo):
    client.force_login(get_user_model().objects.get(username="mia"))

    response = client.get(reverse("playbook:index"))

    assert response.status_code == 200
    rows = {row["rule"].number: row for row in response.context["rows"]}
    counts = rows[PLANTED.renewal_offer_rule]["counts"]
    assert counts.sent > 0
    assert counts.held_out + counts.suppressed_total > 0


def test_offers_of_running_memberships_are_those_due_before_today_and_no_later(demo):
    # given
    downtown = Club.objects.get(slug=catalogue.CLUBS[0].slug)
    today_began = clock.start_of_day(TODAY, downtown)
    offers = Touchpoint.objects.filter(rule__number=PLANTED.renewal_offer_rule)

    # when
    running = {
        int(key.split(":")[1]): due.astimezone(ZoneInfo(zone))
        for key, due, zone in offers.filter(
            due_at__gte=today_began - dt.timedelta(days=30)
        ).values_list("occurrence_key", "due_at", "club__time_zone")
    }
    ends = dict(Membership.objects.filter(pk__in=running).values_list("pk", "end"))

    # then: each is due 30 days before its membership's end, at 10:00 local, before today
    assert running, "no offer fell due in the last 30 days"
    assert any(end >= TODAY for end in ends.values())
    for membership, local in running.items():
        assert local.date() == ends[membership] - dt.timedelta(days=PLANTED.renewal_offer_days)
        assert local.time() == dt.time(10, 0)
    assert not offers.filter(due_at__gte=today_began).exists()


def test_the_planted_offers_of_the_last_fortnight_are_those_the_trigger_finds(demo):
    # given: offers due in the last 14 days, for memberships ending 16 to 30 days from now.
    # None of those is renewed yet (the generator's renewals are bought at most 10 days
    # before the end), so the trigger, which asks "not renewed" of today's data, can judge
    # them as it did on their due day.
    rule = Rule.objects.get(number=PLANTED.renewal_offer_rule)
    planted, found = set(), set()
    for club in Club.objects.all():
        today_began = clock.start_of_day(TODAY, club)
        window = triggers.Window(
            club=club, since=today_began - dt.timedelta(days=14), until=today_began
        )

        # when
        found |= {
            (o.member_id, o.key, o.due_at)
            for o in triggers.occurrences(rule.trigger, window, rule.params)
        }
        planted |= set(
            Touchpoint.objects.filter(
                rule=rule, club=club, due_at__gt=window.since, due_at__lte=window.until
            ).values_list("member_id", "occurrence_key", "due_at")
        )

    # then: the same offers, none to a month (30 days before its end is its first day)
    assert planted, "no offer fell due in the last fortnight"
    assert planted == found
    offered = Membership.objects.filter(pk__in=[int(key.split(":")[1]) for _, key, _ in planted])
    assert all((m.end - m.start).days + 1 >= 60 for m in offered)
