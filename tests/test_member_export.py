"""The back-office Members list downloads as a spreadsheet: what the list shows, for managers
and marketing only."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import MemberFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # Downtown's clock


def export(client, user, **params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse("members:index"), {"export": "csv", **params})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="members.csv"'
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("persona", ["max", "mia"])
def test_managers_and_marketing_download_their_clubs_members(
    client, request, frozen_clock, maya, riverside, persona
):
    MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")

    rows = export(client, request.getfixturevalue(persona))

    assert rows[0] == ["Name", "Status", "Phone", "Email", "Home club", "Created"]
    assert len(rows) == 2  # the header and Maya: Rita is another club's member
    name, status, phone, email, club, created = rows[1]
    assert (name, status, email, club) == ("Maya Jansen", "Member", maya.email, "Downtown")
    # As the desk reads it out at the club (Dutch, national), not "+31612345678".
    assert phone == "06 12345678"
    assert created == maya.created_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


def test_the_download_is_the_filtered_list(client, max, maya, downtown):
    MemberFactory(home_club=downtown, first_name="Lena", last_name="Lead", status="lead")

    rows = export(client, max, status="lead")

    assert [row[0] for row in rows[1:]] == ["Lena Lead"]


def test_the_list_offers_the_download_to_a_manager(client, max, maya):
    client.force_login(max)

    html = client.get(reverse("members:index")).content.decode()

    assert "export=csv" in html and "export=xlsx" in html


@pytest.mark.parametrize("persona", ["fiona", "tom"])
def test_front_desk_and_trainers_get_no_download(client, request, maya, persona):
    client.force_login(request.getfixturevalue(persona))

    listing = client.get(reverse("members:index"))
    download = client.get(reverse("members:index"), {"export": "csv"})

    assert listing.status_code == 200 and "export=csv" not in listing.content.decode()
    # Wagtail's permission-denied answer: back to the dashboard, with no file.
    assert download.status_code == 302 and download["Location"] == reverse("wagtailadmin_home")
    assert "Content-Disposition" not in download
