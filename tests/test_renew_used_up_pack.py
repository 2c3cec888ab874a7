"""Renewing a visit pack with no visits left starts today, so the member who just paid is let
in; an early renewal of a pack with visits left still starts the day after it ends. Today is
23 Nov 2026 (18:00 in Amsterdam)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkin.models import CheckInAttempt, Visit
from memberships import sales
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory, PlanFactory

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def pack_plan(downtown):
    return PlanFactory(club=downtown, pack=True, name="10-visit pack")


def ines_with(pack_plan, *, visits_left: int, name: str = "Ines") -> Membership:
    """`name`'s 10-visit pack (Ines's by default), bought on 1 June, running until 27 Nov 2026."""
    member = MemberFactory(
        home_club=pack_plan.club, first_name=name, last_name="Vos", card_token=f"{name}-VOS"
    )
    return MembershipFactory(
        member=member,
        plan=pack_plan,
        start=dt.date(2026, 6, 1),
        visits_left=visits_left,
        purchase=False,
    )


def test_renewing_an_empty_pack_starts_today_and_links_it(frozen_clock, pack_plan):
    empty = ines_with(pack_plan, visits_left=0)
    assert empty.end == dt.date(2026, 11, 27)

    renewal = sales.renew(empty, method="cash")

    assert (renewal.start, renewal.end) == (TODAY, TODAY + dt.timedelta(days=179))
    assert renewal.renewed_from == empty
    assert renewal.visits_left == 10
    empty.refresh_from_db()
    assert empty.end == dt.date(2026, 11, 27)  # its dates are its history; left as they were


def test_renewing_a_pack_with_visits_left_starts_the_day_after_it_ends(frozen_clock, pack_plan):
    pack = ines_with(pack_plan, visits_left=1)

    renewal = sales.renew(pack, method="cash")

    assert renewal.start == dt.date(2026, 11, 28)


def test_the_balance_is_read_under_the_lock_not_from_the_form(frozen_clock, pack_plan):
    # given the desk opened the renew form while one visit was left, and the last one was
    # spent at the door before it pressed Renew
    pack = ines_with(pack_plan, visits_left=1)
    Membership.objects.filter(pk=pack.pk).update(visits_left=0)

    renewal = sales.renew(pack, method="cash")

    assert renewal.start == TODAY


def test_a_sale_beside_an_empty_pack_is_allowed_but_not_beside_one_with_visits(
    frozen_clock, pack_plan
):
    empty = ines_with(pack_plan, visits_left=0)
    sold = sales.sell(empty.member, pack_plan, start=TODAY, method="cash")
    assert sold.start == TODAY

    # given Bram's pack still has a visit: a second one today would overlap it
    bram = ines_with(pack_plan, visits_left=1, name="Bram")
    with pytest.raises(ValidationError) as error:
        sales.sell(bram.member, pack_plan, start=TODAY, method="cash")
    assert "renew it instead, or start on 28 Nov 2026" in str(error.value)


@pytest.mark.parametrize(
    ("visits_left", "intro"),
    [
        pytest.param(
            0,
            "No visits left on this pack: the renewal starts today, 23 Nov 2026.",
            id="empty",
        ),
        pytest.param(
            3,
            "Current membership ends 27 Nov 2026: the renewal starts 28 Nov 2026.",
            id="visits-left",
        ),
    ],
)
def test_the_renew_form_says_when_a_pack_s_renewal_starts(
    desk, frozen_clock, pack_plan, visits_left, intro
):
    pack = ines_with(pack_plan, visits_left=visits_left)

    response = desk.get(reverse("desk:renew", args=[pack.pk]))

    assert response.context["intro"] == intro


def test_renew_now_after_no_visits_left_then_check_in_now_debits_the_new_pack(
    desk, frozen_clock, pack_plan
):
    # given Ines turned away at the door: her pack is used up
    empty = ines_with(pack_plan, visits_left=0)
    denied = desk.post(reverse("desk:scan"), {"q": "Ines-VOS"}, **DESK).content.decode()
    assert 'data-reason="no_visits_left"' in denied
    assert f"{reverse('desk:renew', args=[empty.pk])}?next={reverse('desk:desk')}" in denied

    # when the desk renews it from the red result and lands back on the desk
    response = desk.post(
        reverse("desk:renew", args=[empty.pk]),
        {"plan": pack_plan.pk, "method": "cash", "next": reverse("desk:desk")},
    )
    renewal = Membership.objects.get(renewed_from=empty)
    assert response["Location"] == f"{reverse('desk:desk')}?renewed={renewal.pk}"
    offer = desk.get(reverse("desk:desk"), {"renewed": renewal.pk}).content.decode()
    assert "✔ RENEWED" in offer
    assert "23 Nov 2026 – 21 May 2027" in offer
    assert "10 visits left" in offer  # the new pack's, not the empty one's

    # then "Check in now" admits her on the new pack, and scanning right after is no denial
    admitted = desk.post(reverse("desk:check_in", args=[empty.member_id]), **DESK)
    assert 'data-outcome="admitted"' in admitted.content.decode()
    assert Visit.objects.get(member=empty.member).membership == renewal
    renewal.refresh_from_db()
    empty.refresh_from_db()
    assert (renewal.visits_left, empty.visits_left) == (9, 0)
    frozen_clock.shift(dt.timedelta(minutes=10))  # past the repeat-scan window
    again = desk.post(reverse("desk:scan"), {"q": "Ines-VOS"}, **DESK).content.decode()
    assert 'data-outcome="admitted"' in again
    assert CheckInAttempt.objects.filter(member=empty.member).count() == 1  # the first one


def test_the_card_shows_the_renewed_pack_not_the_empty_one(desk, frozen_clock, pack_plan):
    empty = ines_with(pack_plan, visits_left=0)
    sales.renew(empty, method="cash")

    html = desk.get(reverse("desk:member", args=[empty.member_id])).content.decode()

    assert "10 visits left" in html
    assert ">0 visits left<" not in html
