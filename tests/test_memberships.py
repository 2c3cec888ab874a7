"""Memberships: the date rules, selling and renewing."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format

from analytics import frames, renewals
from club import clock
from members.models import Member, MemberEvent
from memberships import renewal_timing, sales
from memberships.models import LedgerEntry, Membership, Payment, Plan
from tests.factories import ClubFactory, MemberFactory, MembershipFactory, PlanFactory
from tests.race import run_concurrently

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # the date at Downtown under the frozen clock
NOON = dt.time(12)
MONTH = dt.timedelta(days=29)


@pytest.fixture
def lead(downtown):
    return MemberFactory(home_club=downtown, first_name="Lars")


@pytest.fixture
def ten_visits(downtown):
    return PlanFactory(
        club=downtown, pack=True, name="10 visits", price=Decimal("120.00"), visits_included=10
    )


def test_the_database_refuses_a_membership_that_ends_before_it_starts(lead, monthly_plan):
    # given / when a membership ending the day before it starts is saved
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(
            member=lead, plan=monthly_plan, start=dt.date(2026, 5, 10), end=dt.date(2026, 5, 9)
        )

    # then nothing is stored
    assert Membership.objects.filter(member=lead).count() == 0


def test_validation_explains_a_membership_that_ends_before_it_starts(lead, monthly_plan):
    # given an unsaved membership ending before it starts
    membership = MembershipFactory.build(
        member=lead, plan=monthly_plan, start=dt.date(2026, 5, 10), end=dt.date(2026, 5, 9)
    )

    # when it is validated, as a form would
    with pytest.raises(ValidationError) as error:
        membership.full_clean()

    # then the error says what is wrong
    assert error.value.message_dict == {"__all__": ["A membership cannot end before it starts."]}


def test_a_one_day_membership_is_fine(lead, monthly_plan):
    # given / when a membership starts and ends on the same day
    membership = MembershipFactory(
        member=lead, plan=monthly_plan, start=dt.date(2026, 5, 10), end=dt.date(2026, 5, 10)
    )

    # then it is stored and covers that day only
    membership.full_clean()
    assert membership.is_in_force(dt.date(2026, 5, 10)) is True
    assert membership.is_in_force(dt.date(2026, 5, 11)) is False


def test_a_membership_names_its_dates_as_staff_read_them(lead, monthly_plan):
    # given a membership of November
    membership = MembershipFactory(
        member=lead, plan=monthly_plan, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )

    # then choosers and lists name it with European dates, not ISO ones
    assert str(membership) == f"{monthly_plan} for {lead} (1 Nov 2026 → 30 Nov 2026)"


def test_selling_a_time_plan_creates_membership_payment_and_timeline(
    frozen_clock, lead, monthly_plan, fiona
):
    # given a lead and the monthly plan at 49.00
    # when Fiona sells it, starting today, paid at the card terminal
    membership = sales.sell(
        lead, monthly_plan, start=TODAY, method=Payment.Method.CARD_TERMINAL, sold_by=fiona
    )

    # then the membership runs thirty days, both ends included
    membership.refresh_from_db()
    assert (membership.start, membership.end) == (TODAY, dt.date(2026, 12, 22))
    assert membership.status == Membership.Status.ACTIVE
    assert membership.price_paid == Decimal("49.00")
    assert membership.visits_left is None
    assert membership.renewed_from is None
    assert membership.created_at == clock.now()
    # and the payment is recorded in the club's currency
    payment = Payment.objects.get(member=lead)
    assert payment.membership == membership
    assert (payment.amount, payment.currency, payment.method, payment.status) == (
        Decimal("49.00"),
        "EUR",
        Payment.Method.CARD_TERMINAL,
        Payment.Status.SUCCEEDED,
    )
    assert payment.recorded_by == fiona
    # and the timeline has the start, flagged as the first paid membership
    event = MemberEvent.objects.get(member=lead)
    assert event.kind == MemberEvent.Kind.MEMBERSHIP_STARTED
    assert event.actor == fiona
    assert event.data == {
        "membership": membership.pk,
        "plan": "Monthly",
        "start": "2026-11-23",
        "end": "2026-12-22",
        "price": "49.00",
        "first": True,
        "method": "card_terminal",
    }
    # and a time plan has no ledger
    assert LedgerEntry.objects.count() == 0
    # and the lead is a member at once, not after the next status refresh
    lead.refresh_from_db()
    assert lead.status == Member.Status.MEMBER


def test_selling_to_another_person_leaves_the_rest_of_the_club_alone(
    frozen_clock, lead, monthly_plan, downtown
):
    stale = MemberFactory(home_club=downtown, status=Member.Status.MEMBER)  # no membership

    sales.sell(lead, monthly_plan, start=TODAY, method=Payment.Method.CASH)

    stale.refresh_from_db()
    assert stale.status == Member.Status.MEMBER  # the quarter-hourly refresh's job


def test_selling_a_pack_puts_its_visits_in_the_ledger(frozen_clock, lead, ten_visits):
    # given a lead and a ten-visit card
    # when the card is sold for cash at a discount
    membership = sales.sell(
        lead, ten_visits, start=TODAY, method=Payment.Method.CASH, price_paid=Decimal("99.00")
    )

    # then the balance is ten, from one purchase row
    membership.refresh_from_db()
    assert membership.visits_left == 10
    assert membership.price_paid == Decimal("99.00")
    assert list(membership.ledger_entries.values_list("kind", "visits", "balance_after")) == [
        (LedgerEntry.Kind.PURCHASE, 10, 10)
    ]
    assert Payment.objects.get(membership=membership).amount == Decimal("99.00")


def test_only_the_first_paid_membership_is_flagged_first(
    frozen_clock, lead, downtown, monthly_plan
):
    # given a lead who did a free trial and then bought a month
    trial = PlanFactory(club=downtown, trial=True)
    for days_ago, plan in ((40, trial), (30, monthly_plan)):
        # Each sold on its own day: a sale starts today or later.
        frozen_clock.move_to(clock.local_datetime(TODAY - dt.timedelta(days=days_ago), NOON))
        sales.sell(lead, plan, start=clock.today(downtown), method=Payment.Method.CASH)

    # when they buy another month
    frozen_clock.move_to(clock.local_datetime(TODAY, NOON))
    sales.sell(lead, monthly_plan, start=TODAY, method=Payment.Method.CASH)

    # then only the first paid one counts as first
    events = MemberEvent.objects.filter(member=lead).order_by("at", "id")
    assert [(e.data["plan"], e.data["first"]) for e in events] == [
        (trial.name, False),
        ("Monthly", True),
        ("Monthly", False),
    ]


def test_a_sale_that_fails_half_way_leaves_nothing_behind(frozen_clock, lead, downtown):
    # given a plan that looks like a pack with no visits (stale data in a form, say)
    plan = PlanFactory(club=downtown)
    plan.kind, plan.visits_included = Plan.Kind.PACK, 0

    # when it is sold, the membership is written and then the ledger refuses the credit
    with pytest.raises(ValueError):
        sales.sell(lead, plan, start=TODAY, method=Payment.Method.CASH)

    # then the membership was rolled back with the rest
    assert Membership.objects.filter(member=lead).count() == 0
    assert Payment.objects.filter(member=lead).count() == 0
    assert MemberEvent.objects.filter(member=lead).count() == 0


def test_renewing_early_starts_the_day_after_the_current_end(
    frozen_clock, maya, maya_membership, downtown, fiona
):
    # given Maya's month, which ends in nineteen days
    assert maya_membership.end == dt.date(2026, 12, 12)
    quarterly = PlanFactory(
        club=downtown, name="Quarterly", price=Decimal("129.00"), duration_days=90
    )

    # when she renews early onto a quarter
    renewal = sales.renew(
        maya_membership, plan=quarterly, method=Payment.Method.CARD_TERMINAL, sold_by=fiona
    )

    # then the new membership follows on without a gap or an overlap, linked to the old one
    renewal.refresh_from_db()
    assert (renewal.start, renewal.end) == (dt.date(2026, 12, 13), dt.date(2027, 3, 12))
    assert renewal.plan == quarterly
    assert renewal.renewed_from == maya_membership
    assert maya_membership.renewal == renewal
    event = MemberEvent.objects.get(member=maya)
    assert event.kind == MemberEvent.Kind.MEMBERSHIP_RENEWED
    assert event.data["first"] is False


def test_renewing_keeps_the_plan_by_default(frozen_clock, maya, maya_membership):
    # given Maya's monthly membership
    # when she renews without choosing a plan
    renewal = sales.renew(maya_membership, method=Payment.Method.CASH)

    # then she gets the same plan again
    assert renewal.plan == maya_membership.plan
    assert (renewal.start, renewal.end) == (dt.date(2026, 12, 13), dt.date(2027, 1, 11))


def test_renewing_an_ended_membership_starts_today(frozen_clock, lead, monthly_plan):
    # given a month that ended three days ago
    ended = MembershipFactory(
        member=lead,
        plan=monthly_plan,
        start=TODAY - dt.timedelta(days=33),
        end=TODAY - dt.timedelta(days=3),
    )

    # when it is renewed
    renewal = sales.renew(ended, method=Payment.Method.CASH)

    # then the new one starts today, not back-dated
    assert (renewal.start, renewal.end) == (TODAY, dt.date(2026, 12, 22))
    assert renewal.renewed_from == ended


@pytest.mark.parametrize(
    ("ended_days_ago", "linked", "kind"),
    [
        pytest.param(14, True, MemberEvent.Kind.MEMBERSHIP_RENEWED, id="last-grace-day"),
        pytest.param(15, False, MemberEvent.Kind.MEMBERSHIP_STARTED, id="a-day-past-grace"),
        pytest.param(74, False, MemberEvent.Kind.MEMBERSHIP_STARTED, id="rejoin-months-later"),
    ],
)
def test_renewing_past_the_grace_days_is_a_rejoin_as_the_renewal_rate_counts_it(
    frozen_clock, lead, monthly_plan, downtown, ended_days_ago, linked, kind
):
    # given a month that ended some days ago, at a club that counts 14 grace days
    assert downtown.renewal_grace_days == 14
    end = TODAY - dt.timedelta(days=ended_days_ago)
    ended = MembershipFactory(
        member=lead, plan=monthly_plan, start=end - dt.timedelta(days=29), end=end
    )

    # when the desk renews it, starting today: `ended_days_ago` days after the end
    renewal = sales.renew(ended, method=Payment.Method.CASH)

    # then it joins the renewal chain only within the grace days, and the renewal rate agrees
    assert (renewal.start, renewal.renewed_from_id) == (TODAY, ended.pk if linked else None)
    assert lead.events.filter(kind=kind).exists()
    opps = renewals.opportunities(
        frames.memberships(clubs=[downtown]), start=end, end=end
    ).set_index("membership_id")
    assert bool(opps.loc[ended.pk, "renewed"]) is linked


def test_following_is_the_next_paid_membership_to_start(frozen_clock, lead, monthly_plan):
    # given Lars's month, a cancelled month after it, then a rejoin and a later month
    current = MembershipFactory(member=lead, plan=monthly_plan, start=TODAY, end=TODAY + MONTH)
    later = TODAY + dt.timedelta(days=40)
    MembershipFactory(
        member=lead,
        plan=monthly_plan,
        start=TODAY + dt.timedelta(days=30),
        end=later - dt.timedelta(days=1),
        status=Membership.Status.CANCELLED,
    )
    rejoin = MembershipFactory(member=lead, plan=monthly_plan, start=later, end=later + MONTH)
    MembershipFactory(member=lead, plan=monthly_plan, start=later + MONTH + dt.timedelta(days=1))

    # when asked what follows the month
    found = sales.following(current)

    # then it is the rejoin, the first that counts after it
    assert found == rejoin


def test_nothing_follows_the_latest_membership_nor_a_trial_after_it(
    frozen_clock, lead, monthly_plan, downtown
):
    # given Lars's month, then a trial starting later, and another member's later month
    current = MembershipFactory(member=lead, plan=monthly_plan, start=TODAY, end=TODAY + MONTH)
    trial = PlanFactory(club=downtown, trial=True)
    MembershipFactory(member=lead, plan=trial, start=TODAY + MONTH + dt.timedelta(days=1))
    MembershipFactory(plan=monthly_plan, start=TODAY + dt.timedelta(days=40))

    # when asked what follows the month
    # then nothing does
    assert sales.following(current) is None


def test_the_renewal_rule_reads_numbers_and_arrays_alike():
    # a start the day after the end renews; one past the grace days is a rejoin
    assert renewal_timing.renews(1, 14) and renewal_timing.renews(14, 14)
    assert not renewal_timing.renews(15, 14)
    gaps = pd.Series([1, 14, 15, 75])
    assert renewal_timing.renews(gaps, pd.Series([14] * 4)).tolist() == [True, True, False, False]


def test_renewal_uses_the_clubs_today_not_utc(frozen_clock):
    # given a club in Sydney, where it is already tomorrow, and a membership ended UTC-yesterday
    frozen_clock.move_to("2026-11-23 20:00:00+00:00")  # Sydney: 24 Nov 07:00
    sydney = ClubFactory(time_zone="Australia/Sydney")
    member = MemberFactory(home_club=sydney)
    plan = PlanFactory(club=sydney)
    ended = MembershipFactory(
        member=member, plan=plan, start=dt.date(2026, 10, 23), end=dt.date(2026, 11, 22)
    )

    # when it is renewed
    renewal = sales.renew(ended, method=Payment.Method.CASH)

    # then it starts on Sydney's today
    assert renewal.start == dt.date(2026, 11, 24)


def test_a_membership_is_renewed_at_most_once(frozen_clock, maya, maya_membership):
    # given Maya's membership, renewed once
    sales.renew(maya_membership, method=Payment.Method.CASH)
    payments_before = Payment.objects.filter(member=maya).count()

    # when the desk double-clicks and renews the same membership again
    with pytest.raises(ValidationError, match="already renewed"):
        sales.renew(maya_membership, method=Payment.Method.CASH)

    # then the second sale left nothing behind
    assert Membership.objects.filter(member=maya).count() == 2
    assert Payment.objects.filter(member=maya).count() == payments_before


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_desks_renewing_at_once_sell_one_renewal(frozen_clock):
    # given a committed month, loaded by two desks
    month = MembershipFactory()
    desks = iter([Membership.objects.get(pk=month.pk), Membership.objects.get(pk=month.pk)])

    # when both renew it at the same instant
    outcome = run_concurrently(
        lambda: sales.renew(next(desks), method=Payment.Method.CASH), threads=2
    )

    # then one renewal is sold and the other desk is told why, not shown a server error
    assert len(outcome.results) == 1
    assert [str(error) for error in outcome.errors] == ["['This membership was already renewed.']"]
    assert Membership.objects.filter(renewed_from=month).count() == 1
    assert Payment.objects.filter(member=month.member).count() == 1


# --- one membership at a time -----------------------------------------------------------


@pytest.fixture
def fleur(frozen_clock, downtown, monthly_plan):
    """Fleur's Monthly runs from today, 23 November, to 22 December 2026."""
    member = MemberFactory(home_club=downtown, first_name="Fleur")
    sales.sell(member, monthly_plan, start=TODAY, method=Payment.Method.CASH)
    return member


def sold_rows(member: Member) -> tuple[int, int, int]:
    return (
        member.memberships.count(),
        Payment.objects.filter(member=member).count(),
        member.events.count(),
    )


FLEUR_HAS_MONTHLY = (
    "Fleur has Monthly until 22 Dec 2026: renew it instead, or start on 23 Dec 2026."
)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        pytest.param(TODAY, FLEUR_HAS_MONTHLY, id="the-same-days"),
        pytest.param(dt.date(2026, 12, 22), FLEUR_HAS_MONTHLY, id="from-its-last-day"),
    ],
)
def test_a_sale_overlapping_a_membership_is_refused_and_sells_nothing(
    fleur, monthly_plan, start, message
):
    # given Fleur's Monthly, 23 Nov – 22 Dec
    before = sold_rows(fleur)

    # when another Monthly is sold to her over some of its days
    with pytest.raises(ValidationError) as error:
        sales.sell(fleur, monthly_plan, start=start, method=Payment.Method.CASH)

    # then the start is refused with the way out, and nothing was written
    assert error.value.message_dict == {"start": [message]}
    assert sold_rows(fleur) == before


def test_a_sale_running_into_a_later_membership_names_its_dates(frozen_clock, lead, monthly_plan):
    # given Lars's Monthly bought to start on 10 December
    MembershipFactory(member=lead, plan=monthly_plan, start=dt.date(2026, 12, 10))
    before = sold_rows(lead)

    # when a Monthly from today, which would run to 22 December, is sold to him
    with pytest.raises(ValidationError) as error:
        sales.sell(lead, monthly_plan, start=TODAY, method=Payment.Method.CASH)

    # then the start is refused, naming the later one's dates and the first free day
    assert error.value.message_dict == {
        "start": [
            "Lars has Monthly from 10 Dec 2026 to 8 Jan 2027: renew it instead, or start on "
            "9 Jan 2027."
        ]
    }
    assert sold_rows(lead) == before


@pytest.mark.parametrize(
    "start", [dt.date(2020, 1, 1), TODAY - dt.timedelta(days=1)], ids=["years-ago", "yesterday"]
)
@pytest.mark.parametrize("kind", ["monthly", "trial"])
def test_a_sale_starting_before_the_clubs_today_is_refused_and_sells_nothing(
    frozen_clock, lead, downtown, monthly_plan, start, kind
):
    # given Lars, a lead who never had a membership (so his one trial is still his)
    plan = monthly_plan if kind == "monthly" else PlanFactory(club=downtown, trial=True)

    # when a plan is sold to him from a day that has passed
    with pytest.raises(ValidationError) as error:
        sales.sell(lead, plan, start=start, method=Payment.Method.CASH)

    # then the start says why, and nothing was written: his trial is not used up
    assert error.value.message_dict == {
        "start": [
            f"{date_format(start)} has passed: a membership sold now starts today "
            "(23 Nov 2026) or later. To correct the dates of one already sold, edit that "
            "membership."
        ]
    }
    assert sold_rows(lead) == (0, 0, 0)
    assert sales.first_membership(lead) is None


def test_the_clubs_today_decides_not_utc(frozen_clock, lead, monthly_plan):
    # given 00:30 on 24 November in Amsterdam, still 23 November in UTC
    frozen_clock.move_to("2026-11-23 23:30:00+00:00")

    # when a Monthly is sold from 23 November (UTC's today), then from the club's today
    with pytest.raises(ValidationError) as error:
        sales.sell(lead, monthly_plan, start=TODAY, method=Payment.Method.CASH)
    sold = sales.sell(lead, monthly_plan, start=dt.date(2026, 11, 24), method=Payment.Method.CASH)

    # then the first is refused and the second sold
    assert "has passed" in error.value.message_dict["start"][0]
    assert sold.start == dt.date(2026, 11, 24)


def test_a_sale_from_the_day_after_the_end_is_fine(fleur, monthly_plan):
    sold = sales.sell(fleur, monthly_plan, start=dt.date(2026, 12, 23), method=Payment.Method.CASH)

    assert (sold.start, sold.end) == (dt.date(2026, 12, 23), dt.date(2027, 1, 21))


def test_a_sale_into_a_queued_renewal_names_the_first_free_day(fleur, monthly_plan, downtown):
    # given Fleur's Monthly renewed early: a second month from 23 Dec to 21 Jan
    sales.renew(fleur.memberships.get(), method=Payment.Method.CASH)

    # when a 10-visit pack is sold to her from Christmas
    pack = PlanFactory(club=downtown, pack=True, name="10 visits")
    with pytest.raises(ValidationError) as error:
        sales.sell(fleur, pack, start=dt.date(2026, 12, 25), method=Payment.Method.CASH)

    # then the way out is after the renewal, not after the first month
    assert error.value.message_dict == {
        "start": ["Fleur has Monthly until 21 Jan 2027: renew it instead, or start on 22 Jan 2027."]
    }


def test_a_cancelled_membership_leaves_its_days_free(fleur, monthly_plan):
    fleur.memberships.update(status=Membership.Status.CANCELLED)

    sold = sales.sell(fleur, monthly_plan, start=TODAY, method=Payment.Method.CASH)

    assert fleur.memberships.not_cancelled().get() == sold


def test_a_trial_is_sold_to_someone_new(frozen_clock, lead, downtown):
    trial = PlanFactory(club=downtown, trial=True, name="Free trial")

    sold = sales.sell(lead, trial, start=TODAY, method=Payment.Method.CASH)

    assert (sold.plan, sold.end) == (trial, dt.date(2026, 11, 29))


@pytest.mark.parametrize("had", ["trial", "monthly"])
def test_a_trial_is_refused_to_someone_who_had_a_trial_or_paid(
    frozen_clock, lead, downtown, monthly_plan, had
):
    # given Lars, who had a trial or a month at the start of the year, long over
    trial = PlanFactory(club=downtown, trial=True, name="Free trial")
    earlier = trial if had == "trial" else monthly_plan
    MembershipFactory(member=lead, plan=earlier, start=dt.date(2026, 1, 5))
    before = sold_rows(lead)

    # when a trial is sold to him today
    with pytest.raises(ValidationError) as error:
        sales.sell(lead, trial, start=TODAY, method=Payment.Method.CASH)

    # then the plan is refused and nothing was written
    assert error.value.message_dict == {
        "plan": [
            f"Lars already had {earlier.name} (from 5 Jan 2026): a trial is for someone new "
            "to the club."
        ]
    }
    assert sold_rows(lead) == before


def test_a_late_renewal_over_another_membership_is_refused(frozen_clock, lead, monthly_plan):
    # given Lars's month that ended on 3 November, and a 10-visit pack he bought since
    ended = MembershipFactory(member=lead, plan=monthly_plan, start=dt.date(2026, 10, 5))
    pack = PlanFactory(club=lead.home_club, pack=True, name="10 visits")
    MembershipFactory(member=lead, plan=pack, start=dt.date(2026, 11, 10))

    # when the month is renewed today, over the pack's days
    with pytest.raises(ValidationError) as error:
        sales.renew(ended, method=Payment.Method.CASH)

    # then it is refused like any overlapping sale
    assert error.value.message_dict == {
        "start": ["Lars has 10 visits until 8 May 2027: renew it instead, or start on 9 May 2027."]
    }
    assert not Membership.objects.filter(renewed_from=ended).exists()


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_desks_selling_to_one_member_at_once_sell_once(frozen_clock):
    # given a committed member and plan
    member = MemberFactory(first_name="Fleur")
    plan = PlanFactory(club=member.home_club, name="Monthly")

    # when two desks sell her a Monthly from today at the same instant
    def sell_at_a_desk():
        desk_member = Member.objects.select_related("home_club").get(pk=member.pk)
        return sales.sell(desk_member, plan, start=TODAY, method=Payment.Method.CASH)

    outcome = run_concurrently(sell_at_a_desk, threads=2)

    # then one sale stands and the other desk gets the overlap as a form error
    assert len(outcome.results) == 1
    assert [error.message_dict for error in outcome.errors] == [{"start": [FLEUR_HAS_MONTHLY]}]
    assert Membership.objects.filter(member=member).count() == 1
    assert Payment.objects.filter(member=member).count() == 1


@pytest.mark.parametrize(
    "visits_included", [pytest.param(None, id="no-visits"), pytest.param(0, id="zero-visits")]
)
def test_the_database_refuses_a_pack_without_visits(downtown, visits_included):
    # given / when a visit pack with no visits is saved
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanFactory(club=downtown, kind=Plan.Kind.PACK, visits_included=visits_included)

    # then no plan is stored
    assert Plan.objects.filter(kind=Plan.Kind.PACK).count() == 0


@pytest.mark.parametrize(
    "visits_included", [pytest.param(None, id="no-visits"), pytest.param(0, id="zero-visits")]
)
def test_validation_explains_a_pack_without_visits(downtown, visits_included):
    # given an unsaved visit pack with no visits
    plan = PlanFactory.build(club=downtown, kind=Plan.Kind.PACK, visits_included=visits_included)

    # when it is validated
    with pytest.raises(ValidationError) as error:
        plan.full_clean()

    # then the message says what is missing
    assert error.value.message_dict == {"__all__": ["A visit pack needs a number of visits."]}


def test_a_club_does_not_sell_another_clubs_chain_wide_plan(frozen_clock, lead, monthly_plan):
    # given another club's plan valid at every club, priced by its own manager
    harbour = ClubFactory(name="Harbour")
    chain_wide = PlanFactory(club=harbour, name="Chain-wide monthly", valid_at_all_clubs=True)

    # when it is sold to a member of Downtown
    with pytest.raises(ValidationError) as error:
        sales.sell(lead, chain_wide, start=clock.today(), method=Payment.Method.CASH)

    # then it is refused on the plan, and nothing is sold
    assert error.value.message_dict == {
        "plan": [
            f"Chain-wide monthly is Harbour's plan: {lead.home_club.name} sells "
            f"{lead.home_club.name}'s own plans."
        ]
    }
    assert not lead.memberships.exists()


def test_a_member_who_had_another_clubs_plan_renews_it(frozen_clock, lead):
    harbour = ClubFactory(name="Harbour")
    chain_wide = PlanFactory(club=harbour, name="Chain-wide monthly", valid_at_all_clubs=True)
    current = MembershipFactory(member=lead, plan=chain_wide)

    renewal = sales.renew(current, method=Payment.Method.CASH)

    assert renewal.plan == chain_wide
