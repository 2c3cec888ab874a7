"""The dates the member card gives agree with the memberships: "member since" is the first
paid membership's start, and a sale's timeline line names the membership's own dates."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin import checkins
from checkin.models import Source
from club import clock
from members import timeline
from members.models import Member, MemberEvent
from memberships import sales
from memberships.models import Membership, Payment
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, VisitFactory

pytestmark = pytest.mark.django_db


def card(client, member) -> str:
    return client.get(reverse("desk:member", args=[member.pk])).content.decode()


@pytest.fixture
def imported(frozen_clock, downtown):
    """A member of long standing brought in by an import on 24 Nov 2024: her first Annual
    started on 21 May 2024, as the timeline event written at the import says."""
    annual = PlanFactory(club=downtown, name="Annual", duration_days=365)
    member = MemberFactory(
        home_club=downtown, status=Member.Status.MEMBER, first_name="Eva",
        created_at=dt.datetime(2024, 11, 24, 9, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    first = MembershipFactory(member=member, plan=annual, start=dt.date(2024, 5, 21))
    MembershipFactory(
        member=member, plan=annual, start=first.end + dt.timedelta(days=1), renewed_from=first
    )
    timeline.record(
        member,
        MemberEvent.Kind.MEMBERSHIP_STARTED,
        at=dt.datetime(2024, 11, 24, 9, 0, tzinfo=dt.UTC),
        membership=first.pk,
        plan="Annual",
        start=first.start,
        end=first.end,
        imported=True,
    )
    return member


def test_member_since_is_the_first_paid_memberships_start_not_the_import(client, fiona, imported):
    client.force_login(fiona)

    html = card(client, imported)

    assert "member since May 2024" in html
    assert "Nov 2024" not in html.split("member-card__contact")[0]


def test_the_timeline_names_the_memberships_own_dates(client, fiona, imported):
    client.force_login(fiona)

    html = card(client, imported)

    (line,) = [li for li in html.split("<li>") if "Membership started" in li]
    assert "21 May 2024 → 20 May 2025, entered at import" in re.sub(r"\s+", " ", line)


def test_the_trainers_attendance_page_says_member_since_the_same_way(client, tom, imported):
    client.force_login(tom)

    html = client.get(reverse("trainer:attendance", args=[imported.pk])).content.decode()

    assert "member since May 2024" in html


def test_a_trial_or_a_cancelled_membership_does_not_make_a_member(
    client, frozen_clock, fiona, downtown
):
    # given a lead first recorded in March, with a trial in April and a cancelled Monthly in May
    lead = MemberFactory(
        home_club=downtown, first_name="Lars",
        created_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    MembershipFactory(
        member=lead, plan=PlanFactory(club=downtown, trial=True), start=dt.date(2026, 4, 1)
    )
    MembershipFactory(
        member=lead,
        plan=PlanFactory(club=downtown),
        start=dt.date(2026, 5, 1),
        status=Membership.Status.CANCELLED,
    )
    client.force_login(fiona)

    html = card(client, lead)

    # then the card says since when the club knows him, and nothing of membership
    assert "member since" not in html
    assert "since Mar 2026" in html


def test_a_sale_today_reads_member_since_this_month(client, frozen_clock, fiona, downtown):
    lead = MemberFactory(
        home_club=downtown, created_at=dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
    )
    sales.sell(
        lead, PlanFactory(club=downtown), start=clock.today(downtown), method=Payment.Method.CASH
    )
    client.force_login(fiona)

    html = card(client, lead)

    assert "member since Nov 2026" in html
    assert "23 Nov 2026 → 22 Dec 2026" in html
    assert "entered at import" not in html


# --- already in today --------------------------------------------------------------------


def test_a_member_in_today_by_the_turnstile_is_checked_in_again_knowingly(
    client, fiona, frozen_clock, downtown
):
    # given: a pack holder who came through the turnstile at 17:51 (18:00 now, Amsterdam)
    member = MemberFactory(home_club=downtown, first_name="Pia", card_token="PIA-1")
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=5)
    client.force_login(fiona)
    assert ">Check in<" in card(client, member)
    frozen_clock.shift(dt.timedelta(minutes=-9))
    checkins.check_in(member, source=Source.TURNSTILE, club=downtown)
    frozen_clock.shift(dt.timedelta(minutes=9))

    # when
    html = card(client, member)

    # then: the button says it is a second check-in, and what it costs
    assert ">Check in again<" in html
    line = re.search(r"<p id=\"card-in-today\"[^>]*>(.*?)</p>", html, re.S).group(1)
    assert line == (
        "In today at 17:51 (turnstile); from 17:53 a second check-in takes another visit from "
        "the pack"
    )


def test_an_empty_pack_promises_no_second_visit_from_it(client, fiona, frozen_clock, downtown):
    # given: the last visit of the pack spent at the turnstile at 17:51
    member = MemberFactory(home_club=downtown, first_name="Tim", card_token="TIM-1")
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=1)
    client.force_login(fiona)
    frozen_clock.shift(dt.timedelta(minutes=-9))
    checkins.check_in(member, source=Source.TURNSTILE, club=downtown)
    frozen_clock.shift(dt.timedelta(minutes=9))

    html = card(client, member)

    line = re.search(r"<p id=\"card-in-today\"[^>]*>(.*?)</p>", html, re.S).group(1)
    assert line == "In today at 17:51 (turnstile)"


def test_a_visit_yesterday_is_not_in_today(client, fiona, frozen_clock, downtown, maya):
    VisitFactory(member=maya, club=downtown, at=clock.now() - dt.timedelta(days=1))
    client.force_login(fiona)

    html = card(client, maya)

    assert ">Check in<" in html and "card-in-today" not in html


def test_a_sales_line_says_what_was_paid_and_how(client, frozen_clock, fiona, downtown):
    monthly = PlanFactory(club=downtown, name="Monthly", price="39.00", duration_days=30)
    member = MemberFactory(home_club=downtown)
    sales.sell(member, monthly, start=clock.today(), method=Payment.Method.CASH, sold_by=fiona)
    client.force_login(fiona)

    html = card(client, member)

    (line,) = [li for li in html.split("<li>") if "Membership started" in li]
    assert "· Monthly · €39.00 paid · Cash" in re.sub(r"\s+", " ", line)


def test_a_payment_line_words_money_as_the_club_does(client, frozen_clock, fiona, maya):
    timeline.record(
        maya,
        MemberEvent.Kind.PAYMENT_RECEIVED,
        amount="399.00",
        currency="EUR",
        method=Payment.Method.STRIPE,
    )
    client.force_login(fiona)

    html = card(client, maya)

    (line,) = [li for li in html.split("<li>") if "Payment received" in li]
    assert "€399.00 paid · " in re.sub(r"\s+", " ", line)
    assert "399.00 EUR" not in line
