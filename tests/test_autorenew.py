"""Automatic renewal: a membership takes auto-renew from its plan at sale, and the hourly task
renews each one that ended before the club's today, once, unpaid, starting the day after the
end. Today is 23 Nov 2026 (frozen_clock)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from club.celery import app
from members import erasure
from members.models import MemberEvent
from memberships import autorenew, dues, sales, tasks
from memberships.models import LedgerEntry, Membership, Payment
from tests.factories import MemberFactory, MembershipFactory, PlanFactory
from tests.race import run_concurrently

TODAY = dt.date(2026, 11, 23)
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def rolling(downtown):
    return PlanFactory(
        club=downtown, name="Rolling monthly", price=Decimal("39.00"), auto_renew=True
    )


@pytest.fixture
def ended(frozen_clock, downtown, rolling):
    """Rita's rolling month, auto-renew on, whose last day was yesterday."""
    member = MemberFactory(home_club=downtown, first_name="Rita")
    return MembershipFactory(
        member=member, plan=rolling, start=YESTERDAY - dt.timedelta(days=29), auto_renew=True
    )


def run_task() -> int:
    return tasks.auto_renew_task.apply().get()


def test_a_sale_takes_auto_renew_from_its_plan(frozen_clock, downtown, rolling, monthly_plan):
    # given a member, a rolling plan and one that does not renew
    member = MemberFactory(home_club=downtown)

    # when each is sold (the second queued after the first)
    first = sales.sell(member, rolling, start=TODAY, method="cash")
    second = sales.sell(member, monthly_plan, start=first.end + dt.timedelta(days=1), method="cash")

    # then each carries its plan's flag
    assert (first.auto_renew, second.auto_renew) == (True, False)


def test_a_renewal_at_the_desk_takes_auto_renew_from_its_plan(frozen_clock, maya_membership):
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()

    renewal = sales.renew(maya_membership, method="cash")

    assert renewal.auto_renew is True


def test_the_task_renews_an_ended_membership_unpaid_from_the_day_after_its_end(ended, rolling):
    # when the hourly task runs
    renewed = run_task()

    # then a new month of the same plan follows on, linked, unpaid at the plan's price
    renewal = Membership.objects.get(renewed_from=ended)
    assert renewed == 1
    assert (renewal.plan, renewal.start, renewal.end) == (
        rolling,
        TODAY,
        TODAY + dt.timedelta(days=29),
    )
    assert (renewal.status, renewal.price_paid, renewal.auto_renew) == (
        Membership.Status.PAST_DUE,
        Decimal("39.00"),
        True,
    )
    # nothing was paid: no payment row, and the desk takes €39.00
    assert not Payment.objects.filter(membership=renewal).exists()
    assert dues.amount_due(renewal) == Decimal("39.00")
    event = ended.member.events.get(kind=MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED)
    assert event.get_kind_display() == "Membership renewed automatically"
    assert event.actor is None
    assert event.data["membership"] == renewal.pk
    assert event.data["renewed_from"] == ended.pk
    assert event.data["price"] == "39.00"


def test_run_twice_the_task_renews_once(ended):
    first = run_task()
    second = run_task()

    assert (first, second) == (1, 0)
    assert Membership.objects.filter(member=ended.member).count() == 2
    assert ended.member.events.filter(kind=MemberEvent.Kind.MEMBERSHIP_AUTO_RENEWED).count() == 1


def test_a_second_renewal_of_one_membership_is_refused_by_its_unique_link(ended):
    # given the renewal made by one worker
    autorenew.renew_due(ended.member.home_club, limit=10)

    # when another, which picked the same membership, renews it as well
    with pytest.raises(ValidationError, match="already renewed"):
        sales.renew(ended, method=None, automatic=True)

    # then there is still one renewal
    assert Membership.objects.filter(renewed_from=ended).count() == 1


def test_a_late_run_starts_the_renewal_the_day_after_the_end_all_the_same(
    frozen_clock, downtown, rolling
):
    # given a month that ended three days ago (beat was down), within the 14 grace days
    member = MemberFactory(home_club=downtown)
    end = TODAY - dt.timedelta(days=3)
    old = MembershipFactory(
        member=member, plan=rolling, start=end - dt.timedelta(days=29), auto_renew=True
    )

    run_task()

    assert Membership.objects.get(renewed_from=old).start == end + dt.timedelta(days=1)


def test_the_renewal_charges_the_plans_price_of_the_day(ended, rolling):
    # given the club raised the price after Rita's month was sold at €39.00
    rolling.price = Decimal("42.00")
    rolling.save()

    run_task()

    assert Membership.objects.get(renewed_from=ended).price_paid == Decimal("42.00")


def test_a_pack_renews_with_its_visits_through_the_ledger(frozen_clock, downtown):
    pack = PlanFactory(club=downtown, pack=True, auto_renew=True, duration_days=60)
    member = MemberFactory(home_club=downtown)
    old = MembershipFactory(
        member=member, plan=pack, start=YESTERDAY - dt.timedelta(days=59), auto_renew=True
    )

    run_task()

    renewal = Membership.objects.get(renewed_from=old)
    assert renewal.visits_left == 10
    assert list(renewal.ledger_entries.values_list("kind", "visits", "balance_after")) == [
        (LedgerEntry.Kind.PURCHASE, 10, 10)
    ]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"auto_renew": False}, id="stopped"),
        pytest.param({"status": Membership.Status.PAST_DUE}, id="still-unpaid"),
        pytest.param({"status": Membership.Status.CANCELLED}, id="cancelled"),
        pytest.param({"end": TODAY}, id="last-day-today"),
        pytest.param({"end": TODAY - dt.timedelta(days=15)}, id="ended-past-grace-days"),
    ],
)
def test_the_task_leaves_alone_a_membership_that_does_not_renew(ended, change):
    Membership.objects.filter(pk=ended.pk).update(**change)

    assert run_task() == 0
    assert not Membership.objects.filter(renewed_from=ended).exists()


def test_a_plan_no_longer_sold_does_not_renew(ended, rolling):
    rolling.is_active = False
    rolling.save()

    assert run_task() == 0


def test_a_membership_already_followed_by_one_sold_on_its_own_does_not_renew(ended, monthly_plan):
    # given Rita bought another plan at the desk today, unlinked
    sales.sell(ended.member, monthly_plan, start=TODAY, method="cash")

    assert run_task() == 0
    assert not Membership.objects.filter(renewed_from=ended).exists()


def test_an_erased_member_is_not_renewed(ended):
    ended.member.erased_at = ended.created_at
    ended.member.save()

    assert run_task() == 0


def test_a_member_who_asked_to_be_erased_is_not_renewed(ended):
    # given Rita asked in the portal for her data to be erased, and it is still open
    erasure.request(ended.member)

    assert run_task() == 0


def test_an_erasure_request_done_no_longer_holds_the_renewal_back(ended):
    asked = erasure.request(ended.member)
    asked.task.status = "done"
    asked.task.save()

    assert run_task() == 1


def test_a_full_batch_queues_another_run(monkeypatch, frozen_clock, downtown, rolling):
    # given three memberships to renew and a batch of two
    monkeypatch.setattr(tasks, "AUTO_RENEW_BATCH", 2)
    for _ in range(3):
        MembershipFactory(
            member=MemberFactory(home_club=downtown),
            plan=rolling,
            start=YESTERDAY - dt.timedelta(days=29),
            auto_renew=True,
        )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        # when the task runs once
        total = run_task()
    finally:
        app.conf.task_always_eager = eager

    # then it renewed two and queued the run that renewed the third
    assert total == 2
    assert Membership.objects.filter(renewed_from__isnull=False).count() == 3


def test_the_task_is_on_the_beat_schedule_hourly():
    entry = app.conf.beat_schedule["auto-renew-memberships"]

    assert entry["task"] == "memberships.tasks.auto_renew_task"
    assert entry["schedule"].minute == {7}
    assert len(entry["schedule"].hour) == 24


def test_switching_auto_renew_records_it_once(frozen_clock, maya_membership, fiona):
    maya_membership.plan.auto_renew = True
    maya_membership.plan.save()

    first = autorenew.set_auto_renew(maya_membership, on=True, actor=fiona, source=autorenew.DESK)
    again = autorenew.set_auto_renew(maya_membership, on=True, actor=fiona, source=autorenew.DESK)

    maya_membership.refresh_from_db()
    assert (first, again, maya_membership.auto_renew) == (True, False, True)
    event = maya_membership.member.events.get(kind=MemberEvent.Kind.AUTO_RENEW_CHANGED)
    assert (event.actor, event.data) == (
        fiona,
        {
            "membership": maya_membership.pk,
            "plan": "Monthly",
            "auto_renew": True,
            "source": "desk",
        },
    )


def test_auto_renew_cannot_be_switched_on_for_a_plan_that_does_not_renew(
    frozen_clock, maya_membership
):
    with pytest.raises(ValidationError, match="does not renew automatically"):
        autorenew.set_auto_renew(maya_membership, on=True, source=autorenew.DESK)

    assert not maya_membership.member.events.filter(
        kind=MemberEvent.Kind.AUTO_RENEW_CHANGED
    ).exists()


def test_auto_renew_of_an_ended_membership_cannot_be_switched(ended):
    with pytest.raises(ValidationError, match=r"ended .*: there is nothing to renew"):
        autorenew.set_auto_renew(ended, on=False, source=autorenew.PORTAL)

    ended.refresh_from_db()
    assert ended.auto_renew is True


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_renew_once(ended):
    # when two workers run the task at the same instant
    outcome = run_concurrently(run_task, threads=2)

    # then one renewed it and the other found it renewed: no error, one renewal
    assert outcome.errors == []
    assert sorted(outcome.results) == [0, 1]
    assert Membership.objects.filter(renewed_from=ended).count() == 1
