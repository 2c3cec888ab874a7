"""The back-office Members list downloads as a spreadsheet: what the list shows, for managers
and marketing only."""

import csv
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import MemberFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # Downtown's clock


def export(client, user, **params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse("members:index"), {"export": "csv", **params})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="members.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    # The UTF-8 byte-order mark, without which Excel reads "Zoë" as "ZoÃ«".
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("persona", ["max", "mia"])
def test_managers_and_marketing_download_their_clubs_members(
    client, request, frozen_clock, maya, riverside, persona
):
    MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")

    rows = export(client, request.getfixturevalue(persona))

    assert rows[0] == [
        "Name", "Status", "Phone", "Email", "SMS consent", "Email consent", "Home club", "Created"
    ]  # fmt: skip
    assert len(rows) == 2  # the header and Maya: Rita is another club's member
    name, status, phone, email, sms, mail, club, created = rows[1]
    assert (name, status, email, club) == ("Maya Jansen", "Member", maya.email, "Downtown")
    assert (sms, mail) == ("Yes", "Yes")
    # E.164, for the mailing and SMS tools the file goes to; the list shows "06 12345678".
    assert phone == "+31612345678"
    assert created == maya.created_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


def test_the_download_says_who_may_be_texted_or_emailed(client, max, downtown):
    MemberFactory(
        home_club=downtown,
        first_name="Zoë",
        last_name="Öztürk",
        email="zoe@example.com",
        phone="",
        sms_consent=False,
        email_consent=True,
    )

    rows = export(client, max)

    assert rows[1][:6] == ["Zoë Öztürk", "Lead", "", "zoe@example.com", "No", "Yes"]


def test_the_xlsx_download_has_the_same_columns(client, max, maya):
    client.force_login(max)

    response = client.get(reverse("members:index"), {"export": "xlsx"})

    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(row)[:6] for row in book.active.iter_rows(values_only=True)]
    assert rows == [
        ["Name", "Status", "Phone", "Email", "SMS consent", "Email consent"],
        ["Maya Jansen", "Member", "+31612345678", maya.email, "Yes", "Yes"],
    ]


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
