"""How the back-office's generic screens print dates and staff: "18 Nov 2026, 08:10" as
European staff read it, and "Fiona de Vries" rather than the login "fiona"."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from members.models import MemberEvent
from tests.factories import ClassSessionFactory, MemberEventFactory, UserFactory, VisitFactory

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
