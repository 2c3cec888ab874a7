"""Times of day on the back-office forms: the browser's own time input, and a server that
takes 24-hour HH:MM and refuses anything else rather than guessing (Wagtail's picker saved
"25:00" as the time of saving and "9pm" as 09:00)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin.models import ClassTemplate
from club.models import OpeningHours
from tests.factories import ClassTypeFactory
from tests.test_admin_screens import club_form
from tests.test_opening_hours import hours_form, saved_week

pytestmark = pytest.mark.django_db

REFUSED = "Enter a time of day as HH:MM (24-hour), e.g. 21:00."
BAD_TIMES = [
    pytest.param("25:00", id="past-midnight"),
    pytest.param("9pm", id="twelve-hour"),
    pytest.param("21.00", id="dot"),
    pytest.param("tonight", id="words"),
]


def input_type(response, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.content.decode())
    assert tag, name
    return re.search(r'type="(\w+)"', tag[0])[1]


def test_the_club_form_asks_for_times_in_the_browsers_time_input(client, max, downtown):
    OpeningHours.objects.create(club=downtown, weekday=0, opens=dt.time(6, 30), closes=dt.time(22))
    client.force_login(max)

    response = client.get(reverse("clubs:edit", args=[downtown.pk]))

    for name in ("quiet_hours_start", "quiet_hours_end", "opening_hours-0-opens"):
        assert input_type(response, name) == "time"
    assert 'name="quiet_hours_start" value="21:00"' in response.content.decode()


def test_a_manager_sets_quiet_hours(client, max, downtown):
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]),
        club_form(downtown, quiet_hours_start="22:30", quiet_hours_end="08:00:00"),
    )

    assert response.status_code == 302
    downtown.refresh_from_db()
    assert (downtown.quiet_hours_start, downtown.quiet_hours_end) == (dt.time(22, 30), dt.time(8))


@pytest.mark.parametrize("value", BAD_TIMES)
def test_a_bad_quiet_hour_is_a_field_error_and_nothing_is_saved(client, max, downtown, value):
    address = downtown.address
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]),
        club_form(downtown, quiet_hours_start=value, address="Changed"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"quiet_hours_start": [REFUSED]}
    downtown.refresh_from_db()
    assert (downtown.quiet_hours_start, downtown.address) == (dt.time(21), address)


@pytest.mark.parametrize("value", BAD_TIMES)
def test_a_bad_opening_time_is_a_field_error_and_nothing_is_saved(client, max, downtown, value):
    OpeningHours.objects.create(club=downtown, weekday=0, opens=dt.time(6, 30), closes=dt.time(22))
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), hours_form(downtown, [(1, value, "22:00")])
    )

    assert response.status_code == 200
    formset = response.context["form"].formsets["opening_hours"]
    assert [form.errors for form in formset.forms if form.errors] == [{"opens": [REFUSED]}]
    assert saved_week(downtown) == [(0, "06:30", "22:00")]


def slot_data(club, class_type, start_time: str) -> dict:
    return {
        "club": club.pk,
        "class_type": class_type.pk,
        "trainer": "",
        "room": "Studio 1",
        "weekday": 0,
        "start_time": start_time,
        "duration_minutes": 60,
        "capacity": 12,
        "starts_on": "2026-11-23",
        "ends_on": "",
        "is_active": "on",
    }


def test_a_timetable_slot_takes_its_start_in_the_browsers_time_input(client, max, downtown):
    spin = ClassTypeFactory(club=downtown, name="Spin")
    client.force_login(max)

    form = client.get(reverse("class_templates:add"))
    response = client.post(reverse("class_templates:add"), slot_data(downtown, spin, "19:15"))

    assert input_type(form, "start_time") == "time"
    assert response.status_code == 302
    assert ClassTemplate.objects.get().start_time == dt.time(19, 15)


@pytest.mark.parametrize("value", BAD_TIMES)
def test_a_bad_timetable_start_is_a_field_error_and_nothing_is_saved(client, max, downtown, value):
    spin = ClassTypeFactory(club=downtown, name="Spin")
    client.force_login(max)

    response = client.post(reverse("class_templates:add"), slot_data(downtown, spin, value))

    assert response.status_code == 200
    assert response.context["form"].errors == {"start_time": [REFUSED]}
    assert not ClassTemplate.objects.exists()
