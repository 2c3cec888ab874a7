"""A freeze starts today or later (club-local): a backdated one gave the member free days, days
they could come in and did. The desk's form says so by the start field, and the service refuses
too, so the back-office and any other caller cannot. Today is 23 Nov 2026."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkin import bookings
from memberships import freezes
from memberships.models import Freeze
from tests.factories import MembershipFactory, VisitFactory

PAST = "A freeze starts today or later; 1 Oct 2026 has passed. Start it on 23 Nov 2026 or later."


@pytest.fixture
def autumn(maya, monthly_plan):
    """A membership of Maya's running 20 Sep – 19 Dec, visited on 8 Oct."""
    membership = MembershipFactory(
        member=maya, plan=monthly_plan, start=dt.date(2026, 9, 20), end=dt.date(2026, 12, 19)
    )
    maya.memberships.exclude(pk=membership.pk).delete()
    VisitFactory(member=maya, membership=membership, at=dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC))
    return membership


def test_the_desk_refuses_a_backdated_freeze_by_its_start(desk, frozen_clock, autumn):
    # when the desk freezes 1 – 10 October, in the past
    response = desk.post(
        reverse("desk:freeze", args=[autumn.pk]), {"start": "2026-10-01", "end": "2026-10-10"}
    )

    # then the start is refused in words, and the end date has not moved
    assert response.status_code == 400
    assert response.context["form"].errors == {"start": [PAST]}
    autumn.refresh_from_db()
    assert autumn.end == dt.date(2026, 12, 19)
    assert not Freeze.objects.exists()


def test_the_desk_form_starts_its_date_pickers_today(desk, frozen_clock, autumn):
    html = desk.get(reverse("desk:freeze", args=[autumn.pk])).content.decode()

    assert html.count('min="2026-11-23"') == 2
    assert 'value="2026-11-23"' in html


@pytest.mark.parametrize(
    "freeze_it",
    [
        pytest.param(lambda m, **dates: freezes.freeze(m, **dates), id="freezes.freeze"),
        pytest.param(lambda m, **dates: bookings.freeze_membership(m, **dates), id="with-classes"),
    ],
)
def test_the_service_refuses_a_backdated_freeze(frozen_clock, autumn, freeze_it):
    with pytest.raises(ValidationError) as refused:
        freeze_it(autumn, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 10))

    assert refused.value.message_dict == {"start": [PAST]}
    autumn.refresh_from_db()
    assert autumn.end == dt.date(2026, 12, 19)
    assert not Freeze.objects.exists()


def test_yesterday_is_refused_and_today_is_accepted(frozen_clock, autumn):
    with pytest.raises(ValidationError):
        freezes.freeze(autumn, start=dt.date(2026, 11, 22), end=dt.date(2026, 11, 25))

    frozen = freezes.freeze(autumn, start=dt.date(2026, 11, 23), end=dt.date(2026, 11, 25))

    assert frozen.days == 3
    autumn.refresh_from_db()
    assert autumn.end == dt.date(2026, 12, 22)


def test_today_is_the_club_s_today_not_utc_s(frozen_clock, autumn):
    # given 00:30 on 24 Nov in Amsterdam, still 23 Nov in UTC
    frozen_clock.move_to("2026-11-23 23:30:00+00:00")

    # then 23 Nov has passed at the club, and 24 Nov is its today
    with pytest.raises(ValidationError):
        freezes.freeze(autumn, start=dt.date(2026, 11, 23), end=dt.date(2026, 11, 25))
    assert freezes.freeze(autumn, start=dt.date(2026, 11, 24), end=dt.date(2026, 11, 25))


def test_the_back_office_refuses_a_backdated_freeze(client, frozen_clock, max, autumn):
    client.force_login(max)

    response = client.post(
        reverse("freezes:add"),
        {"membership": autumn.pk, "start": "2026-10-01", "end": "2026-10-10", "reason": ""},
    )

    assert response.status_code == 200  # the form again, with the error
    assert PAST in response.content.decode()
    assert not Freeze.objects.exists()
