"""The renew form opened again after the membership was renewed (Back, then Renew again) says it
was, with a link to the card, and sells nothing: it showed a form whose text was of the rejoin
it had just sold and a clash error about a start field it has not. Today is 23 Nov 2026."""

import pytest
from django.urls import reverse

from memberships.models import Membership, Payment


def renew(client, membership):
    return client.post(
        reverse("desk:renew", args=[membership.pk]),
        {"plan": membership.plan_id, "method": "cash", "next": reverse("desk:desk")},
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_rejoin_sold_then_the_form_again_says_so_and_sells_nothing(
    desk, frozen_clock, tom_berg, method
):
    # given Tom's month (ended 3 Nov, past the grace days) renewed from the desk: a rejoin
    ended = tom_berg.memberships.get()
    assert renew(desk, ended).status_code == 302
    rejoin = Membership.objects.exclude(pk=ended.pk).get(member=tom_berg)

    # when the desk goes Back and opens or sends the renew form again
    response = (
        renew(desk, ended)
        if method == "post"
        else desk.get(reverse("desk:renew", args=[ended.pk]), {"next": reverse("desk:desk")})
    )

    # then it says what followed, links the card, has no form, and nothing more was sold
    html = response.content.decode()
    assert response.status_code == (409 if method == "post" else 200)
    assert "data-already-renewed" in html
    assert (
        "Monthly (5 Oct 2026 – 3 Nov 2026) was already followed: Monthly from 23 Nov 2026 "
        "to 22 Dec 2026. Nothing was sold now."
    ) in " ".join(html.split())
    assert f'href="{reverse("desk:member", args=[tom_berg.pk])}"' in html
    assert 'name="plan"' not in html
    assert "a rejoin, which starts" not in html
    assert tom_berg.memberships.count() == 2
    assert Payment.objects.filter(member=tom_berg).count() == 1
    assert rejoin.start.isoformat() == "2026-11-23"


def test_a_renewal_linked_by_renewed_from_says_renewed(desk, frozen_clock, maya_membership):
    renew(desk, maya_membership)

    html = desk.get(reverse("desk:renew", args=[maya_membership.pk])).content.decode()

    text = " ".join(html.split())
    assert "was already renewed: Monthly from 13 Dec 2026 to 11 Jan 2027" in text


def test_the_latest_membership_still_gets_the_form(desk, frozen_clock, tom_berg):
    html = desk.get(reverse("desk:renew", args=[tom_berg.memberships.get().pk])).content.decode()

    assert 'name="plan"' in html
    assert "data-already-renewed" not in html
