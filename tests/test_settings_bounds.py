"""Numbers on the club's settings and a class have upper bounds: beyond them they are typos
(99999999 grace days broke the renewal report's date arithmetic), refused at the field."""

import pytest
from django.urls import reverse

from tests.factories import ClassSessionFactory
from tests.test_admin_screens import club_form


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("renewal_grace_days", 99999999, "Ensure this value is less than or equal to 365."),
        ("max_freeze_days", 366, "Ensure this value is less than or equal to 365."),
        ("late_cancel_minutes", 1441, "Ensure this value is less than or equal to 1440."),
    ],
)
def test_a_club_setting_past_its_bound_is_a_field_error(
    client, max, downtown, field, value, message
):
    client.force_login(max)
    before = getattr(downtown, field)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), club_form(downtown, **{field: value})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    downtown.refresh_from_db()
    assert getattr(downtown, field) == before


def test_a_year_of_grace_days_is_still_a_setting(client, max, downtown):
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), club_form(downtown, renewal_grace_days=365)
    )

    assert response.status_code == 302
    downtown.refresh_from_db()
    assert downtown.renewal_grace_days == 365


def test_a_class_of_a_hundred_thousand_is_refused(client, frozen_clock, max, downtown, tom):
    session = ClassSessionFactory(club=downtown, trainer=tom)
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[session.pk]),
        {
            "club": downtown.pk,
            "class_type": session.class_type_id,
            "trainer": tom.pk,
            "room": session.room,
            "start": f"{session.start:%Y-%m-%dT%H:%M}",
            "end": f"{session.end:%Y-%m-%dT%H:%M}",
            "capacity": 100000,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "Ensure this value is less than or equal to 1000."
    ]
    session.refresh_from_db()
    assert session.capacity != 100000
