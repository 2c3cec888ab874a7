"""Links between the staff screens: the members list opens the card (or, for a trainer, the
attendance history), and the desk's home panel opens the renewals it counts."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from club import clock
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def name_links(client) -> dict[str, str]:
    """{member's name: where it leads} in the back-office members list."""
    html = client.get(reverse("members:index")).content.decode()
    return dict(
        (name.strip(), href)
        for href, name in re.findall(r'<a href="([^"]+)"[^>]*>\s*([^<]+?)\s*</a>', html)
        if name.strip() in {"Maya Jansen", "Rita Riverside"}
    )


@pytest.mark.parametrize("who", ["fiona", "mia", "max"])
def test_a_name_in_the_members_list_opens_the_member_card(request, client, maya, who):
    client.force_login(request.getfixturevalue(who))

    assert name_links(client) == {"Maya Jansen": reverse("desk:member", args=[maya.pk])}


@pytest.mark.parametrize("who", ["fiona", "max"])
def test_edit_stays_in_the_rows_menu(request, client, maya, who):
    client.force_login(request.getfixturevalue(who))

    html = client.get(reverse("members:index")).content.decode()

    assert f'href="{reverse("members:edit", args=[maya.pk])}"' in html


def test_a_trainers_members_list_opens_the_attendance_and_nothing_about_contact_or_sales(
    client, tom, maya
):
    client.force_login(tom)

    html = client.get(reverse("members:index")).content.decode()

    assert name_links(client) == {"Maya Jansen": reverse("trainer:attendance", args=[maya.pk])}
    for their_url in (
        reverse("desk:member", args=[maya.pk]),
        reverse("members:edit", args=[maya.pk]),
        reverse("desk:sell", args=[maya.pk]),
    ):
        assert their_url not in html
    assert "+31612345678" not in html and "maya.jansen@example.com" not in html
    # and the page it opens is one he may read
    assert client.get(reverse("trainer:attendance", args=[maya.pk])).status_code == 200


def test_staff_with_no_page_of_a_member_keep_the_edit_form(client, downtown, maya):
    # given someone who may edit members but holds no staff role (no card, no attendance)
    clerk = UserFactory(clubs=[downtown])
    clerk.user_permissions.add(*_permissions("view_member", "change_member", "access_admin"))
    client.force_login(clerk)

    assert name_links(client) == {"Maya Jansen": reverse("members:edit", args=[maya.pk])}


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label__in=["members", "wagtailadmin"], codename__in=codenames
    )


# --- the home panel's renewals due --------------------------------------------------------


@pytest.fixture
def renewals_due(frozen_clock, downtown, riverside):
    """Two Downtown memberships ending within a week that nothing follows, and beside them
    what the count leaves out: a trial, one sold a follower, one ending later, another club's."""
    today = clock.today(downtown)
    monthly, trial = PlanFactory(club=downtown), PlanFactory(club=downtown, trial=True)

    def ending(member, plan, in_days):
        end = today + dt.timedelta(days=in_days)
        start = end - dt.timedelta(days=plan.duration_days - 1)
        return MembershipFactory(member=member, plan=plan, start=start, end=end)

    due = [
        ending(MemberFactory(home_club=downtown, first_name="Ana"), monthly, 3),
        ending(MemberFactory(home_club=downtown, first_name="Bas"), monthly, 7),
    ]
    ending(MemberFactory(home_club=downtown), trial, 3)
    followed = MemberFactory(home_club=downtown)
    ending(followed, monthly, 2)
    MembershipFactory(member=followed, plan=monthly, start=today + dt.timedelta(days=3))
    ending(MemberFactory(home_club=downtown), monthly, 8)
    rita = MemberFactory(home_club=riverside)
    ending(rita, PlanFactory(club=riverside), 3)
    return due


def test_the_home_panels_renewals_due_open_exactly_those_memberships(
    client, fiona, downtown, renewals_due
):
    client.force_login(fiona)
    page = client.get("/admin/").content.decode()

    # the count is a link
    link = re.search(r'<a href="([^"]+)"><strong>2</strong> memberships ending within a week', page)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert url == f"{reverse('memberships:index')}?club={downtown.pk}&renewal=due&ordering=end"

    # and the list it opens holds the memberships it counted, no more, the first to end first
    listed = list(client.get(url).context["object_list"])
    assert sorted(m.pk for m in listed) == sorted(m.pk for m in renewals_due)
    assert [m.end for m in listed] == sorted(m.end for m in listed)


def test_each_renewal_due_opens_the_members_card_where_the_desk_renews(
    client, fiona, downtown, renewals_due
):
    client.force_login(fiona)

    html = client.get(reverse("memberships:index"), {"renewal": "due"}).content.decode()

    for membership in renewals_due:
        card = reverse("desk:member", args=[membership.member_id])
        assert f'href="{card}"' in html
        # the membership's own form is still in the row's menu
        assert reverse("memberships:edit", args=[membership.pk]) in html


def test_the_renewals_due_filter_shows_nothing_of_another_club(
    client, olga, downtown, renewals_due
):
    # given Olga of Riverside, asking for Downtown's renewals due by URL
    client.force_login(olga)

    response = client.get(reverse("memberships:index"), {"club": downtown.pk, "renewal": "due"})

    # then she gets none of them (her club's one only when she asks for her own)
    assert not [m for m in response.context.get("object_list", []) if m in renewals_due]
    theirs = client.get(reverse("memberships:index"), {"renewal": "due"}).context["object_list"]
    assert [m.member.home_club.slug for m in theirs] == ["riverside"]


def test_trainers_get_no_renewals_link(client, frozen_clock, tom, renewals_due):
    client.force_login(tom)

    page = client.get("/admin/").content.decode()

    assert "renewal=due" not in page
