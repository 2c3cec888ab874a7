"""The "Add freeze" screen picks the membership in a search dialog, not a dropdown of every
membership ever sold, and only memberships of the staff member's clubs can be found or frozen."""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from club import clock, roles
from memberships.models import Freeze, Membership
from tests.factories import ClubFactory, MemberFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ritas_membership(riverside):
    rita = MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")
    return MembershipFactory(member=rita)


def freeze(membership_id, club, **changes) -> dict:
    start = clock.today(club) + dt.timedelta(days=1)
    return {
        "membership": membership_id,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=6)).isoformat(),
        "reason": "Holiday",
        **changes,
    }


def modal_html(response) -> str:
    assert response.status_code == 200
    return json.loads(response.content)["html"]


def test_the_add_freeze_screen_lists_no_memberships(client, fiona, maya, downtown):
    # given a club with more memberships than a dropdown could hold
    MembershipFactory.create_batch(30, member__home_club=downtown)
    client.force_login(fiona)

    # when Fiona opens "Add freeze"
    response = client.get(reverse("freezes:add"))

    # then the membership is chosen through the membership chooser, with no option per row
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="membership"' in html
    assert 'type="hidden"' in html.split('name="membership"')[0].rsplit("<input", 1)[1]
    assert reverse("membership_chooser:choose") in html
    assert "Maya Jansen" not in html
    assert html.count("<option") < 30


@pytest.mark.parametrize("query", ["06 1234 5678", "maya-0001", "maya jans"])
def test_the_chooser_finds_memberships_by_the_members_search(
    client, fiona, maya_membership, ritas_membership, downtown, query
):
    # given another Downtown member's membership that must not match
    MembershipFactory(member__home_club=downtown, member__first_name="Jonas")
    client.force_login(fiona)

    # when she searches for Maya by phone, card or name
    response = client.get(reverse("membership_chooser:choose_results"), {"q": query})

    # then Maya's membership is the one match, its row showing plan, dates and status
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is 1 match" in html
    compact = html.replace(" ", "").replace("\n", "")
    for heading in ("Member", "Plan", "Starts", "Ends", "Status"):
        assert f">{heading}</th>" in compact
    assert "Maya Jansen" in html
    assert "Monthly" in html
    assert f"{maya_membership.start:%-d %b %Y}" in html
    assert f"{maya_membership.end:%-d %b %Y}" in html
    assert "Active" in html
    assert reverse("membership_chooser:chosen", args=[maya_membership.pk]) in html


def test_the_chooser_offers_no_membership_of_another_club(
    client, fiona, maya_membership, ritas_membership
):
    client.force_login(fiona)

    listing = modal_html(client.get(reverse("membership_chooser:choose")))
    search = client.get(reverse("membership_chooser:choose_results"), {"q": "Rita"})
    chosen = client.get(reverse("membership_chooser:chosen", args=[ritas_membership.pk]))

    assert "Maya Jansen" in listing
    assert "Rita" not in listing
    assert "Sorry, there are no matches" in search.content.decode()
    assert chosen.status_code == 404


def test_the_chooser_offers_no_cancelled_membership(client, fiona, maya_membership):
    # given Maya's only membership, cancelled: there is nothing to freeze
    maya_membership.status = Membership.Status.CANCELLED
    maya_membership.save()
    client.force_login(fiona)

    listing = modal_html(client.get(reverse("membership_chooser:choose")))
    chosen = client.get(reverse("membership_chooser:chosen", args=[maya_membership.pk]))

    assert "Maya Jansen" not in listing
    assert chosen.status_code == 404


@pytest.mark.parametrize("pk", ["abc", "999999"])
def test_choosing_an_unknown_membership_is_not_found(client, fiona, pk):
    client.force_login(fiona)

    response = client.get(reverse("membership_chooser:chosen", args=[pk]))

    assert response.status_code == 404


def test_choosing_a_membership_returns_its_title(client, fiona, maya_membership):
    client.force_login(fiona)

    response = client.get(reverse("membership_chooser:chosen", args=[maya_membership.pk]))

    result = json.loads(response.content)["result"]
    assert (result["id"], result["title"]) == (str(maya_membership.pk), str(maya_membership))


def test_staff_who_may_not_read_memberships_cannot_open_the_chooser(client, downtown):
    # given a back-office user at Downtown without permission to read memberships
    temp = UserFactory(username="temp", clubs=[downtown])
    temp.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(temp)

    response = client.get(reverse("membership_chooser:choose"))

    # Wagtail answers PermissionDenied in the admin with a redirect to the dashboard.
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def test_a_chosen_membership_is_frozen(client, fiona, maya_membership, downtown):
    client.force_login(fiona)

    response = client.post(reverse("freezes:add"), freeze(maya_membership.pk, downtown))

    assert response.status_code == 302
    assert Freeze.objects.get().membership == maya_membership


def test_a_refused_freeze_shows_the_chosen_membership_again(client, fiona, maya_membership):
    # given a freeze that ends before it starts, for Maya's membership
    client.force_login(fiona)
    data = freeze(maya_membership.pk, maya_membership.member.home_club, end="2000-01-01")

    response = client.post(reverse("freezes:add"), data)

    # then the form comes back with her membership still chosen
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "Maya Jansen" in response.content.decode()
    assert not Freeze.objects.exists()


def test_a_membership_of_another_club_is_refused(client, fiona, ritas_membership, downtown):
    # given Fiona of Downtown, and Rita of Riverside's membership id posted
    client.force_login(fiona)

    # when she submits the freeze
    response = client.post(reverse("freezes:add"), freeze(ritas_membership.pk, downtown))

    # then the membership field says no, nothing is frozen, and Rita's name is not shown
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["membership"]
    assert "Select a valid choice" in response.context["form"].errors["membership"][0]
    assert not Freeze.objects.exists()
    assert "Rita" not in response.content.decode()


@pytest.mark.parametrize("membership_id", ["maya", "999999", ""])
def test_a_bad_membership_id_is_a_field_error(
    client, fiona, maya_membership, downtown, membership_id
):
    client.force_login(fiona)

    response = client.post(reverse("freezes:add"), freeze(membership_id, downtown))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["membership"]
    assert not Freeze.objects.exists()


def test_the_chooser_offers_no_ended_membership_and_reads_a_queued_one_upcoming(
    client, frozen_clock, fiona, maya_membership
):
    # given Maya's month (13 Nov – 12 Dec), the one before it, and one queued after it
    ended = MembershipFactory(
        member=maya_membership.member, plan=maya_membership.plan, start=dt.date(2026, 10, 14)
    )
    queued = MembershipFactory(
        member=maya_membership.member, plan=maya_membership.plan, start=dt.date(2026, 12, 13)
    )
    client.force_login(fiona)

    # when Fiona looks for Maya in the chooser
    response = client.get(reverse("membership_chooser:choose_results"), {"q": "maya"})
    chosen = client.get(reverse("membership_chooser:chosen", args=[ended.pk]))

    # then the ended month is not offered, and the others read as the member card reads them
    html = response.content.decode()
    assert "There are 2 matches" in html
    assert reverse("membership_chooser:chosen", args=[ended.pk]) not in html
    statuses = re.findall(r"<td[^>]*>\s*(Ended|Upcoming|Active)\s*</td>", html)
    assert statuses == ["Upcoming", "Active"]
    assert reverse("membership_chooser:chosen", args=[queued.pk]) in html
    assert chosen.status_code == 404


def test_an_ended_membership_cannot_be_frozen(client, frozen_clock, fiona, maya_membership):
    # given the month Maya had before this one, which ended on 12 November
    ended = MembershipFactory(
        member=maya_membership.member, plan=maya_membership.plan, start=dt.date(2026, 10, 14)
    )
    client.force_login(fiona)

    # when its id is posted to "Add freeze" anyway
    data = freeze(ended.pk, maya_membership.member.home_club, start="2026-11-01", end="2026-11-02")
    response = client.post(reverse("freezes:add"), data)

    # then the membership field refuses it and nothing is frozen
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["membership"]
    assert not Freeze.objects.exists()


def test_a_membership_ended_by_its_own_clubs_calendar_is_a_field_error(
    client, frozen_clock, downtown
):
    # given a manager of Downtown and of a club in Auckland, where it is already 24 November,
    # and an Auckland membership that ended on 23 November (still "today" at Downtown)
    auckland = ClubFactory(name="Auckland", time_zone="Pacific/Auckland")
    manager = UserFactory(clubs=[downtown, auckland], roles=[roles.MANAGER])
    ended = MembershipFactory(
        member__home_club=auckland, start=dt.date(2026, 10, 25), end=dt.date(2026, 11, 23)
    )
    client.force_login(manager)

    # when it is chosen in "Add freeze"
    data = freeze(ended.pk, auckland, start="2026-11-20", end="2026-11-21")
    response = client.post(reverse("freezes:add"), data)

    # then its own club's calendar decides, and the field says why
    assert response.context["form"].errors == {
        "membership": ["This membership ended on 23 Nov 2026: there is nothing left to freeze."]
    }
    assert not Freeze.objects.exists()
