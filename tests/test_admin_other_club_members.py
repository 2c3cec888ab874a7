"""Back-office rows of our club that name a member of another club — a Downtown member's visit,
denial or class booking at Riverside — show that member as the desk does: first name and
"(another club)", no surname, contacts, card, plan or link. Staff of their club see them in full.

Olga works Riverside's front desk; Thijs García is a Downtown member whose Gold plan is valid
at every club.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkin.models import CheckInAttempt
from club import roles
from tests.factories import (
    BookingFactory,
    CheckInAttemptFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

# What Riverside may not see of Thijs: surname, email, card token, his plan at Downtown.
HIDDEN = ("García", "thijs@example.com", "THIJS-01", "Gold")


@pytest.fixture
def thijs(downtown):
    member = MemberFactory(
        home_club=downtown,
        first_name="Thijs",
        last_name="García",
        email="thijs@example.com",
        card_token="THIJS-01",
    )
    gold = PlanFactory(club=downtown, name="Gold", valid_at_all_clubs=True)
    MembershipFactory(member=member, plan=gold)
    return member


def at_riverside(viewset: str, member, riverside):
    """A row of `viewset` at Riverside naming `member`."""
    membership = member.memberships.first()
    if viewset == "visits":
        return VisitFactory(member=member, club=riverside, membership=membership)
    if viewset == "denied_check_ins":
        return CheckInAttemptFactory(
            member=member,
            club=riverside,
            membership=membership,
            reason=CheckInAttempt.Reason.NO_VISITS_LEFT,
        )
    core = ClassSessionFactory(club=riverside, class_type=ClassTypeFactory(club=riverside))
    return BookingFactory(member=member, session=core)


def text(response) -> str:
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


VIEWSETS = ["visits", "denied_check_ins", "bookings"]


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_another_clubs_member_is_named_by_first_name_in_the_list_and_inspect_page(
    client, olga, thijs, riverside, viewset
):
    # given Thijs of Downtown at Riverside
    row = at_riverside(viewset, thijs, riverside)
    client.force_login(olga)

    # when Riverside's front desk lists the rows and opens his
    listing = client.get(reverse(f"{viewset}:index"))
    inspect = client.get(reverse(f"{viewset}:inspect", args=[row.pk]))

    # then both say who as the desk does, and nothing more of him
    assert row in listing.context["object_list"]
    for page in (text(listing), text(inspect)):
        assert "Thijs (another club)" in page
        for hidden in HIDDEN:
            assert hidden not in page
    # nor in the page's markup: titles, breadcrumbs, the row menu's label (the model's own name
    # for the row starts with his full name)
    for page in (listing, inspect):
        assert "García" not in page.content.decode()


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_staff_of_the_members_own_club_see_him_in_full(client, thijs, downtown, riverside, viewset):
    # given a manager of both clubs
    manager = UserFactory(clubs=[downtown, riverside], roles=[roles.MANAGER])
    row = at_riverside(viewset, thijs, riverside)
    client.force_login(manager)

    listing = text(client.get(reverse(f"{viewset}:index")))
    inspect = text(client.get(reverse(f"{viewset}:inspect", args=[row.pk])))

    assert "Thijs García" in listing
    assert "Thijs García" in inspect
    assert "(another club)" not in listing + inspect


def test_a_member_of_our_own_club_is_shown_in_full(client, olga, riverside):
    rita = MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")
    visit = VisitFactory(member=rita, club=riverside)
    client.force_login(olga)

    inspect = text(client.get(reverse("visits:inspect", args=[visit.pk])))

    assert "Rita Riverside" in inspect
    assert "(another club)" not in inspect


@pytest.mark.parametrize("viewset", VIEWSETS)
@pytest.mark.parametrize(
    ("query", "found"), [("Thijs", True), ("García", False), ("THIJS-01", False)]
)
def test_another_clubs_member_is_found_by_first_name_only(
    client, olga, thijs, riverside, viewset, query, found
):
    # given Thijs's row at Riverside
    row = at_riverside(viewset, thijs, riverside)
    client.force_login(olga)

    # when Riverside searches for his surname or card, the list does not pick his row out
    response = client.get(reverse(f"{viewset}:index"), {"q": query})

    assert (row in response.context["object_list"]) is found


def test_our_own_member_is_still_found_by_surname_and_card(client, olga, riverside):
    rita = MemberFactory(home_club=riverside, last_name="Riverside", card_token="RITA-1")
    visit = VisitFactory(member=rita, club=riverside)
    client.force_login(olga)

    for query in ("Riverside", "RITA-1"):
        response = client.get(reverse("visits:index"), {"q": query})
        assert list(response.context["object_list"]) == [visit]


def test_the_visits_export_leaves_another_clubs_member_out(client, olga, thijs, riverside):
    at_riverside("visits", thijs, riverside)
    client.force_login(olga)

    response = client.get(reverse("visits:index"), {"export": "csv"})

    content = b"".join(response.streaming_content).decode() if response.streaming else ""
    assert response.status_code == 200
    for hidden in HIDDEN:
        assert hidden not in content


def test_the_visits_list_costs_no_query_per_visitor_of_another_club(
    client, olga, downtown, riverside
):
    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("visits:index")).status_code == 200
        return len(queries)

    VisitFactory(member=MemberFactory(home_club=downtown), club=riverside)
    client.force_login(olga)
    one = queries_for_the_list()
    for club in (downtown, riverside, downtown):
        VisitFactory(member=MemberFactory(home_club=club), club=riverside)

    assert queries_for_the_list() == one


def test_the_roster_names_another_clubs_member_by_first_name_unlinked(
    client, olga, thijs, riverside
):
    # given Thijs booked on a Riverside class, beside a Riverside member
    booking = at_riverside("bookings", thijs, riverside)
    rita = MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")
    BookingFactory(member=rita, session=booking.session)
    client.force_login(olga)

    # when Riverside's desk opens the roster
    response = client.get(reverse("trainer:roster", args=[booking.session.pk]))

    # then Thijs is a first name with no link to an attendance page Riverside may not open
    html = response.content.decode()
    assert "Thijs (another club)" in text(response)
    assert "García" not in html
    assert reverse("trainer:attendance", args=[thijs.pk]) not in html
    assert "Rita Riverside" in text(response)
    assert reverse("trainer:attendance", args=[rita.pk]) in html
