"""A date and time typed into a back-office form for a record of one club is that club's wall
clock time, whoever types it (club.time_zones.form_on_club_clock).

Brooklyn is in New York, Downtown in Amsterdam. Ada manages both and chose Amsterdam in her
Wagtail profile, so her pages run on Amsterdam's clock. The frozen clock is Monday 23 Nov 2026,
17:00 UTC; in late November New York is five hours behind UTC, Amsterdam one ahead.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse
from wagtail.users.models import UserProfile

from checkin.models import Booking, ClassSession
from club import roles
from club.forms import MomentField
from club.time_zones import form_on_club_clock
from cms import sites
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    ClubFactory,
    UserFactory,
)

NEW_YORK = ZoneInfo("America/New_York")
# Thursday 26 Nov 2026, 18:00 in New York: 23:00 UTC, midnight in Amsterdam.
SIX_PM_NEW_YORK = dt.datetime(2026, 11, 26, 23, 0, tzinfo=dt.UTC)
BROOKLYN_HELP = "Brooklyn time (America/New_York)"
HOUR = dt.timedelta(hours=1)
HOST = "brooklyn.example.com"


@pytest.fixture
def brooklyn(downtown):
    return ClubFactory(name="Brooklyn", slug="brooklyn", time_zone="America/New_York")


@pytest.fixture
def spin(brooklyn):
    return ClassTypeFactory(club=brooklyn, name="Spin", trial_eligible=True)


@pytest.fixture
def ada(downtown, brooklyn):
    """Manager of Downtown and Brooklyn, her profile's clock on Amsterdam."""
    user = UserFactory(
        first_name="Ada", last_name="Vos", clubs=[downtown, brooklyn], roles=[roles.MANAGER]
    )
    profile = UserProfile.get_for_user(user)
    profile.current_time_zone = "Europe/Amsterdam"
    profile.save()
    return user


def brooklyn_class(spin) -> ClassSession:
    return ClassSessionFactory(
        club=spin.club, class_type=spin, start=SIX_PM_NEW_YORK, end=SIX_PM_NEW_YORK + HOUR
    )


def session_data(club, class_type, start="2026-11-26T18:00", end="2026-11-26T19:00", **more):
    return {
        "club": club.pk,
        "class_type": class_type.pk,
        "trainer": "",
        "room": "Studio 1",
        "start": start,
        "end": end,
        "capacity": 12,
        **more,
    }


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def value_of(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, name
    return re.search(r'value="([^"]*)"', tag[0])[1]


def help_of(response, name: str) -> str:
    return str(response.context["form"].fields[name].help_text)


def add(client, data) -> ClassSession:
    response = client.post(reverse("class_sessions:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    return ClassSession.objects.get()


# --- the class session form --------------------------------------------------------------


def test_a_brooklyn_class_typed_at_18_is_at_18_in_new_york(
    client, frozen_clock, ada, brooklyn, spin
):
    client.force_login(ada)

    session = add(client, session_data(brooklyn, spin))

    assert session.start == SIX_PM_NEW_YORK
    assert session.end == SIX_PM_NEW_YORK + dt.timedelta(hours=1)
    assert session.start.astimezone(NEW_YORK).hour == 18
    # and the message saying so names it at 18:00 too, not at Amsterdam's midnight
    said = [
        str(message)
        for message in get_messages(client.get(reverse("class_sessions:index")).wsgi_request)
    ]
    assert any("Thu 26 Nov 2026, 18:00" in message for message in said), said


def test_the_edit_form_shows_and_labels_new_york_time(client, frozen_clock, ada, brooklyn, spin):
    session = brooklyn_class(spin)
    client.force_login(ada)

    response = client.get(reverse("class_sessions:edit", args=[session.pk]))
    html = response.content.decode()

    assert value_of(html, "start") == "2026-11-26T18:00"
    assert value_of(html, "end") == "2026-11-26T19:00"
    # Ada's clubs are in two zones: the time is that of the club chosen on the form.
    assert help_of(response, "start").startswith(BROOKLYN_HELP)
    assert BROOKLYN_HELP in text(response)
    # and the page's title names the class by the time in the box, not Amsterdam's 00:00
    assert "Spin Thu 26 Nov 2026, 18:00" in text(response)
    assert "Fri 27 Nov 2026, 00:00" not in text(response)


def test_the_list_and_the_public_schedule_and_trial_offer_it_at_18(
    client, frozen_clock, ada, brooklyn, spin
):
    client.force_login(ada)
    add(client, session_data(brooklyn, spin))

    sessions = text(client.get(reverse("class_sessions:index")))
    client.logout()
    with override_settings(ALLOWED_HOSTS=["*"]):
        sites.open_site(brooklyn, HOST)
        schedule = text(client.get("/schedule/", HTTP_HOST=HOST))
        trial = text(client.get("/trial/", HTTP_HOST=HOST))

    assert "26 Nov 2026, 18:00 New York" in sessions
    assert "Thursday 26 November 18:00 19:00 Spin" in schedule
    assert "12:00" not in schedule
    assert "Thu 26 Nov, 18:00 Spin" in trial


def test_an_edit_keeps_the_instant_and_reads_a_new_time_on_new_york_clock(
    client, frozen_clock, ada, brooklyn, spin
):
    session = brooklyn_class(spin)
    client.force_login(ada)
    url = reverse("class_sessions:edit", args=[session.pk])

    room_only = client.post(url, session_data(brooklyn, spin, room="Studio 2"))
    session.refresh_from_db()
    assert room_only.status_code == 302
    assert (session.room, session.start) == ("Studio 2", SIX_PM_NEW_YORK)

    later = client.post(url, session_data(brooklyn, spin, "2026-11-26T19:30", "2026-11-26T20:30"))
    session.refresh_from_db()
    assert later.status_code == 302
    assert session.start == SIX_PM_NEW_YORK + dt.timedelta(minutes=90)


def test_a_class_moved_to_another_club_takes_the_new_clubs_clock(
    client, frozen_clock, ada, downtown, brooklyn, spin
):
    core = ClassTypeFactory(club=downtown, name="Core")
    at_downtown = dt.datetime(2026, 11, 26, 18, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    session = ClassSessionFactory(
        club=downtown, class_type=core, start=at_downtown, end=at_downtown + dt.timedelta(hours=1)
    )
    client.force_login(ada)

    response = client.post(
        reverse("class_sessions:edit", args=[session.pk]), session_data(brooklyn, spin)
    )

    session.refresh_from_db()
    assert response.status_code == 302
    assert (session.club, session.start) == (brooklyn, SIX_PM_NEW_YORK)


def test_a_new_class_form_says_the_chosen_clubs_time_counts(client, frozen_clock, ada):
    client.force_login(ada)

    response = client.get(reverse("class_sessions:add"))

    assert response.status_code == 200
    assert help_of(response, "start") == "The chosen club's own time."


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        ("2026-11-26 25:00", "2026-11-26 26:00", {"start", "end"}),
        ("26/11/2026 18:00", "2026-11-26T19:00", {"start"}),
        ("", "2026-11-26T19:00", {"start"}),
        # The night clocks go forward in New York: 02:30 never comes.
        ("2027-03-14T02:30", "2027-03-14T03:30", {"start"}),
        # The night they go back: 01:30 comes twice.
        ("2027-11-07T01:30", "2027-11-07T03:00", {"start"}),
    ],
)
def test_a_time_that_is_no_one_time_at_the_club_is_a_field_error(
    client, frozen_clock, ada, brooklyn, spin, start, end, refused
):
    client.force_login(ada)

    response = client.post(reverse("class_sessions:add"), session_data(brooklyn, spin, start, end))

    assert response.status_code == 200
    assert set(response.context["form"].errors) == refused
    assert not ClassSession.objects.exists()
    assert value_of(response.content.decode(), "start") == start or not start


def test_a_clock_change_is_said_in_words(client, frozen_clock, ada, brooklyn, spin):
    client.force_login(ada)

    response = client.post(
        reverse("class_sessions:add"),
        session_data(brooklyn, spin, "2027-03-14T02:30", "2027-03-14T03:30"),
    )

    assert response.context["form"].errors["start"] == [
        "2027-03-14 02:30 does not happen once in America/New_York: the clocks change then "
        "(it is skipped or comes twice). Choose another time."
    ]


def test_a_one_zone_manager_types_and_reads_as_before(client, frozen_clock, max, downtown):
    core = ClassTypeFactory(club=downtown, name="Core")
    client.force_login(max)

    new = client.get(reverse("class_sessions:add"))
    session = add(client, session_data(downtown, core))
    edit = client.get(reverse("class_sessions:edit", args=[session.pk]))

    assert session.start == dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)
    assert value_of(edit.content.decode(), "start") == "2026-11-26T18:00"
    assert help_of(new, "start") == help_of(edit, "start") == ""


def test_a_new_class_of_one_zones_clubs_is_on_their_clock_before_one_is_chosen(
    client, frozen_clock, brooklyn
):
    """A manager of Brooklyn alone, on an Amsterdam profile: the new class's times are New
    York's from the start, and said to be."""
    bea = UserFactory(clubs=[brooklyn], roles=[roles.MANAGER])
    profile = UserProfile.get_for_user(bea)
    profile.current_time_zone = "Europe/Amsterdam"
    profile.save()
    client.force_login(bea)

    response = client.get(reverse("class_sessions:add"))

    assert help_of(response, "start") == "Brooklyn time (America/New_York)."


# --- the one piece every form shares -------------------------------------------------------


class AttendanceForm(forms.ModelForm):
    """A form of a record whose club is a step away (a booking's session's)."""

    attended_at = MomentField(required=False)

    class Meta:
        model = Booking
        fields = ["session", "attended_at"]


def test_a_form_reads_times_on_the_club_of_the_record_its_choice_leads_to(
    frozen_clock, downtown, brooklyn, spin
):
    at_brooklyn = brooklyn_class(spin)
    at_downtown = ClassSessionFactory(club=downtown)
    booking = BookingFactory(session=at_downtown, attended_at=SIX_PM_NEW_YORK)

    shown = AttendanceForm(instance=booking)
    form_on_club_clock(shown, "session__club")
    moved = AttendanceForm({"session": at_brooklyn.pk, "attended_at": "2026-11-26T18:00"})
    form_on_club_clock(moved, "session__club")

    assert shown["attended_at"].value() == dt.datetime(2026, 11, 27, 0, 0)  # Amsterdam's
    assert shown.fields["attended_at"].help_text == ""  # the page is on Amsterdam's clock too
    assert moved.is_valid(), moved.errors
    assert moved.cleaned_data["attended_at"] == SIX_PM_NEW_YORK
    assert moved.fields["attended_at"].help_text == BROOKLYN_HELP + "."
