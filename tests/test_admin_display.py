"""How the back-office's generic screens print dates and staff: "18 Nov 2026, 08:10" as
European staff read it, and "Fiona de Vries" rather than the login "fiona"."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from members.models import MemberEvent
from tests.factories import (
    CheckInAttemptFactory,
    ClassSessionFactory,
    MemberEventFactory,
    MemberFactory,
    PaymentFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

# 07:10 UTC is 08:10 in Amsterdam, Downtown's (and the default) time zone.
MORNING = dt.datetime(2026, 11, 18, 7, 10, tzinfo=dt.UTC)


def cells(response) -> list[str]:
    """The text of the list's table cells, whitespace collapsed."""
    assert response.status_code == 200
    found = re.findall(r"<td[^>]*>(.*?)</td>", response.content.decode(), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def test_a_list_prints_day_month_year_and_24_hour_time(client, fiona, maya):
    VisitFactory(member=maya, at=MORNING)
    client.force_login(fiona)

    response = client.get(reverse("visits:index"))

    assert "18 Nov 2026, 08:10" in cells(response)
    assert "a.m." not in response.content.decode()


def test_a_staff_members_own_language_keeps_its_formats(client, fiona, maya):
    # given Fiona, who chose Dutch for the back-office in her Wagtail profile
    VisitFactory(member=maya, at=MORNING)
    profile = UserProfile.get_for_user(fiona)
    profile.preferred_language = "nl"
    profile.save()
    client.force_login(fiona)

    # when she opens the visits
    response = client.get(reverse("visits:index"))

    # then the date is printed the Dutch way, not the English one
    assert "18 november 2026 08:10" in cells(response)


def test_lists_name_the_trainer_not_their_login(client, max, tom, downtown):
    ClassSessionFactory(club=downtown, trainer=tom)
    client.force_login(max)

    response = client.get(reverse("class_sessions:index"))

    assert "Tom Bakker" in cells(response)
    assert "tom" not in cells(response)


def test_a_staff_member_without_a_name_is_shown_by_login(client, max, downtown):
    nameless = UserFactory(username="coach7", first_name="", last_name="", clubs=[downtown])
    ClassSessionFactory(club=downtown, trainer=nameless)
    client.force_login(max)

    response = client.get(reverse("class_sessions:index"))

    assert "coach7" in cells(response)


def test_trainer_choices_in_forms_and_filters_are_names(client, max, tom):
    client.force_login(max)

    form = client.get(reverse("class_sessions:add")).content.decode()
    listing = client.get(reverse("class_sessions:index")).content.decode()

    option = f'<option value="{tom.pk}">Tom Bakker</option>'
    assert option in form
    assert option in listing
    assert f'<option value="{tom.pk}">tom</option>' not in form + listing


def test_the_timeline_names_who_did_it(client, fiona, maya):
    event = MemberEventFactory(member=maya, kind=MemberEvent.Kind.NOTE, actor=fiona)
    client.force_login(fiona)

    listing = client.get(reverse("timeline:index"))
    inspect = client.get(reverse("timeline:inspect", args=[event.pk]))

    assert "Fiona de Vries" in cells(listing)
    assert inspect.status_code == 200
    assert "Fiona de Vries" in inspect.content.decode()


# --- inspect pages: the club's clock, and nothing printed as "None" ---------------------

# 13:35 UTC on 24 Nov: 14:35 in Amsterdam, 13:35 in London, 08:35 in New York.
AFTERNOON = dt.datetime(2026, 11, 24, 13, 35, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("viewset", "make_row"),
    [
        ("visits", lambda member: VisitFactory(member=member, at=AFTERNOON)),
        ("denied_check_ins", lambda member: CheckInAttemptFactory(member=member, at=AFTERNOON)),
        ("payments", lambda member: PaymentFactory(member=member, at=AFTERNOON)),
    ],
)
@pytest.mark.parametrize(
    ("time_zone", "local"), [("Europe/Amsterdam", "14:35"), ("America/New_York", "08:35")]
)
def test_an_inspect_page_prints_times_on_the_clubs_clock(
    client, max, downtown, viewset, make_row, time_zone, local
):
    # given a row at 13:35 UTC of a club in `time_zone`
    downtown.time_zone = time_zone
    downtown.save()
    row = make_row(MemberFactory(home_club=downtown))
    client.force_login(max)

    # when it is opened
    html = client.get(reverse(f"{viewset}:inspect", args=[row.pk])).content.decode()

    # then its time reads as the club's wall clock, never as UTC
    assert f"24 Nov 2026, {local}" in " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "13:35" not in html


def test_a_visit_without_an_override_shows_a_dash_not_none(client, fiona, maya):
    visit = VisitFactory(member=maya, at=MORNING)
    client.force_login(fiona)

    html = client.get(reverse("visits:inspect", args=[visit.pk])).content.decode()

    fields = re.search(r"<dl>.*</dl>", html, re.S).group()
    assert re.search(r"<dt>\s*Override by\s*</dt>\s*<dd>\s*—\s*</dd>", fields)
    assert "None" not in fields


def test_a_visit_admitted_anyway_names_who_did_it(client, fiona, maya):
    visit = VisitFactory(member=maya, at=MORNING, override_by=fiona, override_reason="Card at home")
    client.force_login(fiona)

    html = client.get(reverse("visits:inspect", args=[visit.pk])).content.decode()

    assert re.search(r"<dt>\s*Override by\s*</dt>\s*<dd>\s*Fiona de Vries\s*</dd>", html)


# --- date-range filters: each box has a name a screen reader says -------------------------


@pytest.mark.parametrize(
    ("viewset", "field", "label"),
    [
        ("visits", "at", "Date"),
        ("payments", "at", "Date"),
        ("ledger", "at", "Date"),
        ("timeline", "at", "Date"),
        ("memberships", "end", "Ends"),
    ],
)
def test_date_range_filter_boxes_are_labelled(client, max, viewset, field, label):
    client.force_login(max)

    html = client.get(reverse(f"{viewset}:index")).content.decode()

    for end in ("from", "to"):
        box = re.search(rf'<input[^>]*name="{field}_{end}"[^>]*>', html)
        assert box, f"no {field}_{end} box"
        assert f'aria-label="{label}: {end}"' in box.group()


def test_a_date_range_filter_still_filters(client, fiona, maya):
    # given a visit on 18 Nov and one on 24 Nov
    early = VisitFactory(member=maya, at=MORNING)
    VisitFactory(member=maya, at=AFTERNOON)
    client.force_login(fiona)

    # when the list is narrowed to 17–19 Nov, and to a range that ends before it starts
    visits = reverse("visits:index")
    narrowed = client.get(visits, {"at_from": "2026-11-17", "at_to": "2026-11-19"})
    backwards = client.get(visits, {"at_from": "2026-11-25", "at_to": "2026-11-17"})

    assert list(narrowed.context["object_list"]) == [early]
    assert list(backwards.context["object_list"]) == []
