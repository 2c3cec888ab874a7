"""The "Add membership" screen picks the member in a search dialog, not a dropdown of every
member, and only members of the staff member's clubs can be found or sold to."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from club import clock
from memberships.models import Membership
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita(riverside):
    return MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")


def sale(member_id, plan, **changes) -> dict:
    start = clock.today(plan.club) + dt.timedelta(days=30)
    return {
        "member": member_id,
        "plan": plan.pk,
        "start": start.isoformat(),
        "method": "cash",
        **changes,
    }


def modal_html(response) -> str:
    assert response.status_code == 200
    return json.loads(response.content)["html"]


def test_the_add_screen_lists_no_members(client, fiona, maya, downtown):
    # given a club with more members than a dropdown could hold
    MemberFactory.create_batch(30, home_club=downtown)
    client.force_login(fiona)

    # when Fiona opens "Add membership"
    response = client.get(reverse("memberships:add"))

    # then the member is chosen through the member chooser, with no option per member
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="member"' in html
    assert 'type="hidden"' in html.split('name="member"')[0].rsplit("<input", 1)[1]
    assert reverse("member_chooser:choose") in html
    assert "Maya Jansen" not in html
    assert html.count("<option") < 30


def test_the_chooser_finds_members_with_the_desk_search(client, fiona, maya, rita):
    client.force_login(fiona)

    # when she types Maya's phone number as people say it
    response = client.get(reverse("member_chooser:choose_results"), {"q": "06 1234 5678"})

    # then Maya is found, and the dialog's row picks her
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is 1 match" in html
    assert ">Name</th>" in html.replace(" ", "").replace("\n", "")
    assert "Maya Jansen" in html
    assert reverse("member_chooser:chosen", args=[maya.pk]) in html
    # and her number reads as the desk dials it (the club is Dutch), not in E.164
    assert "06 12345678" in html
    assert str(maya.phone) not in html


def test_the_chooser_offers_no_member_of_another_club(client, fiona, maya, rita):
    client.force_login(fiona)

    listing = modal_html(client.get(reverse("member_chooser:choose")))
    search = client.get(reverse("member_chooser:choose_results"), {"q": "Rita"})
    chosen = client.get(reverse("member_chooser:chosen", args=[rita.pk]))

    assert "Maya Jansen" in listing
    assert "Rita" not in listing
    assert "Sorry, there are no matches" in search.content.decode()
    assert chosen.status_code == 404


@pytest.mark.parametrize("pk", ["abc", "999999"])
def test_choosing_an_unknown_member_is_not_found(client, fiona, pk):
    client.force_login(fiona)

    response = client.get(reverse("member_chooser:chosen", args=[pk]))

    assert response.status_code == 404


def test_choosing_a_member_returns_their_name(client, fiona, maya):
    client.force_login(fiona)

    response = client.get(reverse("member_chooser:chosen", args=[maya.pk]))

    result = json.loads(response.content)["result"]
    assert (result["id"], result["title"]) == (str(maya.pk), "Maya Jansen")


def test_staff_who_may_not_read_members_cannot_open_the_chooser(client, downtown):
    # given a back-office user at Downtown without permission to read members
    temp = UserFactory(username="temp", clubs=[downtown])
    temp.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(temp)

    response = client.get(reverse("member_chooser:choose"))

    # Wagtail answers PermissionDenied in the admin with a redirect to the dashboard.
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def test_a_chosen_member_is_sold_the_membership(client, fiona, maya, monthly_plan):
    client.force_login(fiona)

    response = client.post(reverse("memberships:add"), sale(maya.pk, monthly_plan))

    assert response.status_code == 302
    assert Membership.objects.filter(member=maya).count() == 2


def test_a_member_of_another_club_is_refused(client, fiona, rita, monthly_plan):
    # given Fiona of Downtown, and Rita of Riverside's id posted as the member
    client.force_login(fiona)

    # when she submits the sale
    response = client.post(reverse("memberships:add"), sale(rita.pk, monthly_plan))

    # then the member field says no, nothing is sold, and Rita's name is not shown
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["member"]
    assert "Select a valid choice" in response.context["form"].errors["member"][0]
    assert not Membership.objects.filter(member=rita).exists()
    assert "Rita" not in response.content.decode()


def test_a_member_id_that_is_no_number_is_a_field_error(client, fiona, monthly_plan):
    client.force_login(fiona)

    response = client.post(reverse("memberships:add"), sale("maya", monthly_plan))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["member"]
