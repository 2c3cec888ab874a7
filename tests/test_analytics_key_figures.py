"""The key figures panel on the back-office home page: its numbers on a small hand-built club,
that they are the renewal report's own, who sees it, and its cache.

The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam. Downtown's grace days are 14,
so October (31 Oct + 14 days < 23 Nov) is the last month whose renewals are all decided;
"30 days ago" is 24 October; the funnel's leads came from 26 August on.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import dashboard, kpis
from checkin.models import Booking
from club import roles
from members.models import Member
from memberships.models import Payment
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PaymentFactory,
    PlanFactory,
    UserFactory,
)

HOME = "/admin/"
TODAY = dt.date(2026, 11, 23)
LONG_AGO = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def fragment_url(club) -> str:
    return reverse("analytics:key_figures", args=[club.slug])


@pytest.fixture
def club_data(frozen_clock, downtown, riverside, monthly_plan):
    """Downtown's members, named by what they add up to.

    Active now: Ana (monthly), Ben and Eva (annual), Fay (monthly and a pack: counted once) and
    Lea (a lead of November who bought). Active on 24 Oct: Ben, Cas, Gus, Ivo.
    October's renewals: Cas's membership (ended 30 Oct, not renewed) and Gus's (ended 15 Oct,
    renewed the next day): 1 of 2. Lost in the last 30 days: Cas (grace ran out 13 Nov) and
    Ivo (came back late once, then left: grace ran out 22 Nov). Not counted anywhere: a trial
    in force, a cancelled membership in force, Hal who left in September.
    """
    annual = PlanFactory(club=downtown, name="Annual", price=Decimal("480.00"), duration_days=365)
    pack = PlanFactory(club=downtown, pack=True, price=Decimal("90.00"))
    trial = PlanFactory(club=downtown, trial=True, price=Decimal("0.00"))

    def member(name: str, **extra) -> Member:
        extra.setdefault("created_at", LONG_AGO)
        return MemberFactory(home_club=downtown, first_name=name, **extra)

    def holds(who, plan, start, end, **extra):
        return MembershipFactory(
            member=who, plan=plan, start=start, end=end, created_at=at(start), **extra
        )

    ana, ben, cas, eva, fay, gus, hal, ivo = (
        member(name) for name in ("Ana", "Ben", "Cas", "Eva", "Fay", "Gus", "Hal", "Ivo")
    )
    ana_now = holds(ana, monthly_plan, dt.date(2026, 11, 10), dt.date(2026, 12, 9))
    holds(ben, annual, dt.date(2026, 6, 1), dt.date(2027, 5, 31))
    holds(eva, annual, dt.date(2026, 11, 20), dt.date(2027, 11, 19))
    cas_october = holds(cas, monthly_plan, dt.date(2026, 10, 1), dt.date(2026, 10, 30))
    fay_monthly = holds(fay, monthly_plan, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    fay_pack = holds(fay, pack, dt.date(2026, 11, 1), dt.date(2027, 4, 30))
    gus_first = holds(gus, monthly_plan, dt.date(2026, 9, 16), dt.date(2026, 10, 15))
    gus_renewal = holds(
        gus, monthly_plan, dt.date(2026, 10, 16), dt.date(2026, 11, 14), renewed_from=gus_first
    )
    holds(hal, monthly_plan, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    holds(ivo, monthly_plan, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    ivo_late = holds(ivo, monthly_plan, dt.date(2026, 10, 10), dt.date(2026, 11, 8))
    holds(member("Tia"), trial, dt.date(2026, 11, 20), dt.date(2026, 11, 26))
    holds(
        member("Cid"),
        monthly_plan,
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        status="cancelled",
    )

    # The funnel: three leads since 26 Aug (one imported record does not count, nor an older
    # lead); Lea booked a trial, came and bought, Liv booked and did not come, Lou did nothing.
    lea = member("Lea", created_at=at(dt.date(2026, 11, 1)))
    liv = member("Liv", created_at=at(dt.date(2026, 11, 2)))
    member("Lou", created_at=at(dt.date(2026, 11, 3)))
    member("Imp", created_at=at(dt.date(2026, 11, 3)), source=Member.Source.IMPORT)
    member("Old", created_at=at(dt.date(2026, 8, 1)))
    session = ClassSessionFactory(club=downtown, start=at(dt.date(2026, 11, 4), 18))
    BookingFactory(
        session=session,
        member=lea,
        is_trial=True,
        status=Booking.Status.ATTENDED,
        created_at=at(dt.date(2026, 11, 2)),
    )
    BookingFactory(session=session, member=liv, is_trial=True, created_at=at(dt.date(2026, 11, 2)))
    holds(lea, monthly_plan, dt.date(2026, 11, 5), dt.date(2026, 12, 4))

    # Revenue. November: Ana 49, Fay 49 + 90 (a refunded and a failed payment do not count).
    # October: Cas 49 on the 1st, Ivo 49 on the 10th, Gus 49 on the 16th (147 by the 23rd),
    # and 30 on the 28th from a member without a membership: 177.
    PaymentFactory(member=ana, membership=ana_now, amount=Decimal("49.00"), at=at(TODAY, 8))
    PaymentFactory(member=fay, membership=fay_monthly, amount=Decimal("49.00"))
    PaymentFactory(member=fay, membership=fay_pack, amount=Decimal("90.00"))
    PaymentFactory(
        member=ana,
        membership=ana_now,
        amount=Decimal("49.00"),
        status=Payment.Status.REFUNDED,
        at=at(dt.date(2026, 11, 12)),
    )
    PaymentFactory(member=ben, membership=None, amount=Decimal("20.00"), status="failed")
    for who, membership, day in [
        (cas, cas_october, dt.date(2026, 10, 1)),
        (ivo, ivo_late, dt.date(2026, 10, 10)),
        (gus, gus_renewal, dt.date(2026, 10, 16)),
    ]:
        PaymentFactory(member=who, membership=membership, amount=Decimal("49.00"), at=at(day))
    PaymentFactory(
        member=ben, membership=None, amount=Decimal("30.00"), at=at(dt.date(2026, 10, 28))
    )

    # Riverside's own member and payment, which Downtown's figures must not include.
    river_plan = PlanFactory(club=riverside, name="Monthly", price=Decimal("39.00"))
    rob = MemberFactory(home_club=riverside, first_name="Rob", created_at=LONG_AGO)
    rob_now = MembershipFactory(
        member=rob,
        plan=river_plan,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
        created_at=at(dt.date(2026, 11, 1)),
    )
    PaymentFactory(member=rob, membership=rob_now, amount=Decimal("39.00"))


@pytest.fixture
def rita(riverside):
    """Riverside's manager: Downtown's figures are not hers."""
    return UserFactory(username="rita", clubs=[riverside], roles=[roles.MANAGER])


def test_the_figures_of_a_small_club(club_data, downtown):
    # when
    figures = kpis.compute(downtown)

    # then
    assert (figures.active, figures.active_before, figures.active_change) == (5, 4, 1)
    assert (figures.renewal_start, figures.renewal_end) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    assert (figures.renewal.opportunities, figures.renewal.renewed, figures.renewal.rate) == (
        2,
        1,
        50.0,
    )
    assert figures.lost == 2
    assert figures.funnel == kpis.Funnel(
        leads=3,
        trial_booked=2,
        trial_attended=1,
        members=1,
        lead_to_trial=66.7,
        lead_to_member=33.3,
    )
    assert figures.revenue_this_month == Decimal("188.00")
    assert figures.revenue_last_month_so_far == Decimal("147.00")
    assert figures.revenue_last_month == Decimal("177.00")
    assert figures.prices == {
        "this_month": "€188.00",
        "last_month_so_far": "€147.00",
        "last_month": "€177.00",
    }  # fmt: skip


def test_the_figures_are_the_renewal_report_s_own(club_data, downtown):
    # given: the report over the settled month, and over this month so far
    october = dashboard.build(downtown, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    november = dashboard.build(downtown, start=dt.date(2026, 11, 1), end=TODAY)

    # when
    figures = kpis.compute(downtown)

    # then
    assert (figures.renewal.opportunities, figures.renewal.renewed) == (
        october.period.opportunities,
        october.period.renewed,
    )
    assert figures.active == november.active_members
    assert figures.revenue_this_month == november.revenue
    assert figures.revenue_last_month == october.revenue


@pytest.mark.parametrize(
    ("today", "grace_days", "month"),
    [
        (dt.date(2026, 11, 23), 14, dt.date(2026, 10, 1)),
        # Early in the month, October's last expiries may still renew: September is shown.
        (dt.date(2026, 11, 5), 14, dt.date(2026, 9, 1)),
        (dt.date(2026, 11, 14), 14, dt.date(2026, 9, 1)),
        (dt.date(2026, 11, 15), 14, dt.date(2026, 10, 1)),
        (dt.date(2026, 11, 1), 0, dt.date(2026, 10, 1)),
        (dt.date(2026, 1, 3), 14, dt.date(2025, 11, 1)),
    ],
)
def test_the_renewal_rate_is_of_the_last_settled_month(today, grace_days, month):
    start, end = dashboard.settled_month(today, grace_days=grace_days)

    assert start == month
    assert end == dashboard.month_end(month)
    assert end + dt.timedelta(days=grace_days) < today


def test_the_manager_s_home_page_loads_the_figures_then_shows_them(
    client, max, club_data, downtown
):
    # given
    client.force_login(max)

    # when: the first visit of the day, before anything was worked out
    first = client.get(HOME)

    # then: a placeholder that htmx fills, so the page does not wait for the figures
    page = first.content.decode()
    assert "Key figures at Downtown" in text(first)
    assert f'hx-get="{fragment_url(downtown)}"' in page
    assert "htmx-2.min.js" in page

    # when: htmx asks for them
    fragment = client.get(fragment_url(downtown), **HTMX)

    # then
    shown = text(fragment)
    assert "Active members 5 +1 vs 30 days ago (4)" in shown
    assert "Renewal rate, October 2026 50.0 % 1 of 2 due renewed" in shown
    assert (
        "Members lost, last 30 days 2 ended and not renewed within 14 days Churn by month" in shown
    )
    assert (
        "Leads, last 90 days 3 2 booked a trial (66.7 %) · 1 came · 1 became members (33.3 %)"
        in shown
    )
    assert (
        "Revenue this month €188.00 €147.00 by this day last month · €177.00 in all of October"
        in shown
    )
    assert "As of 18:00" in shown
    assert "?club=downtown&amp;start=2026-10-01&amp;end=2026-10-31#kpi-renewal-period" in (
        fragment.content.decode()
    )

    # and the next visit shows them at once, without asking again
    again = client.get(HOME)
    assert "Renewal rate, October 2026 50.0 %" in text(again)
    assert f'hx-get="{fragment_url(downtown)}"' not in again.content.decode()


def test_marketing_sees_the_figures_too(client, mia, club_data, downtown):
    client.force_login(mia)

    assert "Key figures at Downtown" in text(client.get(HOME))
    assert "Active members 5" in text(client.get(fragment_url(downtown), **HTMX))


@pytest.mark.parametrize("persona", ["fiona", "tom"])
def test_front_desk_and_trainers_see_no_figures(client, request, persona, club_data, downtown):
    # given: Fiona works the desk and Tom trains at Downtown
    client.force_login(request.getfixturevalue(persona))

    # when / then: no panel, and the figures themselves are refused
    assert "Key figures" not in text(client.get(HOME))
    response = client.get(fragment_url(downtown), **HTMX)
    assert response.status_code == 403
    assert b"188.00" not in response.content


def test_another_club_s_manager_sees_only_her_club(client, rita, club_data, downtown, riverside):
    # given
    client.force_login(rita)

    # when
    home = text(client.get(HOME))
    own = text(client.get(fragment_url(riverside), **HTMX))

    # then: Riverside's figures, none of Downtown's
    assert "Key figures at Riverside" in home
    assert "Downtown" not in home
    assert "Active members 1" in own
    assert "Revenue this month €39.00" in own
    assert client.get(fragment_url(downtown), **HTMX).status_code == 404


def test_an_unknown_club_is_404(client, max, club_data):
    client.force_login(max)

    assert client.get(reverse("analytics:key_figures", args=["nowhere"]), **HTMX).status_code == 404


def test_without_javascript_the_figures_are_worked_out_and_shown_on_the_home_page(
    client, max, club_data, downtown
):
    client.force_login(max)

    # when: the placeholder's <noscript> link
    response = client.get(fragment_url(downtown))

    # then: back to the home page, which shows them
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert "Renewal rate, October 2026 50.0 %" in text(client.get(HOME))


def test_the_figures_are_cached_for_a_few_minutes_and_the_day(
    client, max, club_data, downtown, monthly_plan, frozen_clock, django_assert_num_queries
):
    # given: figures worked out at 18:00
    client.force_login(max)
    client.get(fragment_url(downtown), **HTMX)
    client.get(HOME)  # the first visit sets up Max's admin profile

    # when: a new member joins a minute later
    frozen_clock.shift(dt.timedelta(minutes=1))
    MembershipFactory(
        member=MemberFactory(home_club=downtown, created_at=LONG_AGO), plan=monthly_plan
    )

    # then: the panel shows the cached figures, as of 18:00, reading only the user's clubs
    from analytics.panels import KeyFiguresPanel

    request = client.get(HOME).wsgi_request
    with django_assert_num_queries(1):
        context = KeyFiguresPanel().get_context_data({"request": request})
    assert context["clubs"][0]["figures"].active == 5
    assert "As of 18:00" in text(client.get(HOME))

    # and after the cache's few minutes they are worked out again
    frozen_clock.shift(dt.timedelta(seconds=kpis.CACHE_SECONDS))
    assert "Active members 6" in text(client.get(fragment_url(downtown), **HTMX))
    assert "As of 18:06" in text(client.get(HOME))


def test_the_time_of_the_figures_is_on_their_club_s_clock(client, club_data, riverside):
    # given: Riverside moved to New York; the chain's owner reads it on the server's
    # Amsterdam clock
    riverside.time_zone = "America/New_York"
    riverside.save(update_fields=["time_zone"])
    client.force_login(UserFactory(username="owner", is_superuser=True))

    # when
    shown = text(client.get(fragment_url(riverside), **HTMX))

    # then: 18:00 in Amsterdam is noon in New York, and the panel says which clock
    assert "As of 12:00 New York" in shown
