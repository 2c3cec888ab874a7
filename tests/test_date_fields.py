"""Dates and moments on the back-office's model forms: the browser's own inputs, and a server
that takes ISO dates and refuses anything else, rather than Wagtail's pickers, which replace
what they cannot read with today's date on leaving the box."""

import re

from django.urls import reverse

from tests.factories import ClassSessionFactory

REFUSED_DATE = "Enter a date as YYYY-MM-DD, e.g. 2026-12-24."
REFUSED_MOMENT = "Enter a date and time as YYYY-MM-DD HH:MM (24-hour), e.g. 2026-12-24 18:30."


def input_type(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, name
    return re.search(r'type="([\w-]+)"', tag[0])[1]


def test_a_membership_edit_asks_for_dates_in_the_browsers_date_input(
    client, frozen_clock, fiona, maya_membership
):
    client.force_login(fiona)

    html = client.get(reverse("memberships:edit", args=[maya_membership.pk])).content.decode()

    assert input_type(html, "start") == input_type(html, "end") == "date"
    assert f'name="start" value="{maya_membership.start:%Y-%m-%d}"' in html


def test_a_date_typed_another_way_is_a_field_error_and_nothing_changes(
    client, frozen_clock, fiona, maya_membership
):
    client.force_login(fiona)
    end = maya_membership.end

    response = client.post(
        reverse("memberships:edit", args=[maya_membership.pk]),
        {
            "start": maya_membership.start.isoformat(),
            "end": f"{end:%d/%m/%Y}",
            "status": maya_membership.status,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"end": [REFUSED_DATE]}
    maya_membership.refresh_from_db()
    assert maya_membership.end == end


def test_a_class_sessions_start_is_a_date_and_time_input_and_refuses_words(
    client, frozen_clock, max, downtown, tom
):
    session = ClassSessionFactory(club=downtown, trainer=tom)
    start = session.start
    client.force_login(max)
    url = reverse("class_sessions:edit", args=[session.pk])

    form = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "club": downtown.pk,
            "class_type": session.class_type_id,
            "trainer": tom.pk,
            "room": session.room,
            "start": "tomorrow 18:30",
            "end": "2026-11-24T19:30",
            "capacity": session.capacity,
        },
    )

    assert input_type(form, "start") == input_type(form, "end") == "datetime-local"
    assert response.status_code == 200
    assert response.context["form"].errors["start"] == [REFUSED_MOMENT]
    session.refresh_from_db()
    assert session.start == start
