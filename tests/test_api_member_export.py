"""Incremental export: `GET /api/v1/members?updated_since=` lists the club's members whose record
changed since then, oldest change first, in pages that follow on from the last row read, and
every kind of change an exporter sees moves `updated_at`. The clock starts at 23 Nov 17:00 UTC."""

import datetime as dt

import pytest
from django.urls import reverse

from club.models import Integration
from members import erasure
from members.models import CHANGE_SETTLE, Member
from tests.factories import MemberFactory

START = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


@pytest.fixture
def website_token(downtown):
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])
    return token


def export(client, token, **params):
    return client.get(reverse("api:members"), params, HTTP_AUTHORIZATION=f"Bearer {token}")


def follow(client, token, url):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def rename(member: Member, first_name: str) -> None:
    member.first_name = first_name
    member.save(update_fields=["first_name"])


def test_only_members_changed_since_come_oldest_change_first(
    client, frozen_clock, downtown, website_token
):
    # given three members of an hour ago, two of them changed since, the later one first
    old, first, second = MemberFactory.create_batch(3, home_club=downtown)
    frozen_clock.move_to(at(60))
    rename(second, "Sanne")
    frozen_clock.move_to(at(61))
    rename(first, "Femke")
    frozen_clock.move_to(at(70))

    # when the website asks for what changed since the first change
    response = export(client, website_token, updated_since=at(60).isoformat())

    # then the two come in the order they changed, with their change time, and nothing else
    assert ids(response) == [second.pk, first.pk]
    body = response.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert body["results"][0]["first_name"] == "Sanne"
    assert body["results"][0]["updated_at"] == "2026-11-23T19:00:00+01:00"
    assert old.pk not in ids(
        export(client, website_token, updated_since="2026-11-23T19:00:00+01:00")
    )


def test_a_change_shows_once_a_minute_old(client, frozen_clock, downtown, website_token):
    member = MemberFactory(home_club=downtown)
    frozen_clock.move_to(at(60))
    rename(member, "Sanne")

    frozen_clock.move_to(at(60) + CHANGE_SETTLE - dt.timedelta(seconds=1))
    assert ids(export(client, website_token, updated_since=at(30).isoformat())) == []

    frozen_clock.move_to(at(60) + CHANGE_SETTLE)
    assert ids(export(client, website_token, updated_since=at(30).isoformat())) == [member.pk]


def test_pages_neither_skip_nor_repeat_while_records_change(
    client, frozen_clock, downtown, website_token
):
    # given five members changed a minute apart: a b c d e
    members = []
    for minute in range(5):
        frozen_clock.move_to(at(minute))
        members.append(MemberFactory(home_club=downtown))
    a, b, c, d, e = members
    frozen_clock.move_to(at(10))

    # when the export reads two at a time, and between its pages a (read) and c (not yet) change
    first = export(client, website_token, updated_since=at(0).isoformat(), limit=2)
    assert ids(first) == [a.pk, b.pk]
    assert first.json()["count"] == 5
    rename(c, "Changed")
    frozen_clock.move_to(at(11))
    rename(a, "Again")
    frozen_clock.move_to(at(13))
    pages = [first]
    while url := pages[-1].json()["next"]:
        pages.append(follow(client, website_token, url))

    # then every member comes, none twice but `a`, whose change comes after it was read; with
    # limit/offset, c moving to the end would have pulled d onto the page already read
    assert [ids(page) for page in pages] == [[a.pk, b.pk], [d.pk, e.pk], [c.pk, a.pk]]
    assert pages[-1].json()["results"][1]["first_name"] == "Again"
    assert "after_id" in pages[1].request["QUERY_STRING"]


def test_resuming_from_the_last_row_skips_the_rows_of_its_instant_already_read(
    client, frozen_clock, downtown, website_token
):
    # two members changed at the same instant
    earlier, later = MemberFactory.create_batch(2, home_club=downtown)
    frozen_clock.move_to(at(10))

    response = export(client, website_token, updated_since=START.isoformat(), after_id=earlier.pk)

    assert ids(response) == [later.pk]


def test_another_clubs_members_never_appear(
    client, frozen_clock, downtown, riverside, website_token
):
    ours = MemberFactory(home_club=downtown)
    theirs = MemberFactory(home_club=riverside, email=ours.email.upper())
    frozen_clock.move_to(at(5))
    rename(theirs, "Rita")
    frozen_clock.move_to(at(10))

    response = export(client, website_token, updated_since=START.isoformat())

    assert ids(response) == [ours.pk]


def test_an_erased_member_comes_once_more_without_personal_data(
    client, frozen_clock, downtown, max, website_token
):
    lead = MemberFactory(home_club=downtown)
    frozen_clock.move_to(at(5))
    erasure.erase(lead, by=max, reason="Asked by email")
    frozen_clock.move_to(at(10))

    [row] = export(client, website_token, updated_since=at(5).isoformat()).json()["results"]

    assert row["id"] == lead.pk
    assert row["erased_at"] == "2026-11-23T18:05:00+01:00"
    assert (row["email"], row["phone"], row["first_name"]) == ("", "", "Erased member")
    # The search leaves them out, as before.
    assert ids(export(client, website_token)) == []


def move(member: Member, club) -> None:
    # As the back-office's member form does: the record read, its home club changed, saved.
    member = Member.objects.get(pk=member.pk)
    member.home_club = club
    member.save()


def test_a_member_who_moved_club_comes_once_more_without_their_details(
    client, frozen_clock, downtown, riverside, website_token
):
    # given Ana, ours, moving to Riverside at 17:05
    ana = MemberFactory(home_club=downtown, first_name="Ana", sms_consent=True)
    frozen_clock.move_to(at(5))
    move(ana, riverside)
    frozen_clock.move_to(at(10))

    # when our website exports what changed since 17:00
    [row] = export(client, website_token, updated_since=START.isoformat()).json()["results"]

    # then she comes once more, marked as moved away, with nothing of her now Riverside's record
    assert (row["id"], row["moved_away"], row["updated_at"]) == (
        ana.pk,
        True,
        "2026-11-23T18:05:00+01:00",
    )
    assert (row["first_name"], row["last_name"], row["email"], row["phone"]) == ("", "", "", "")
    assert (row["sms_consent"], row["email_consent"]) == (False, False)
    # Riverside's export has her whole, not moved away; our search and lookups no longer find her
    _, theirs = Integration.issue(club=riverside, name="Riverside site", scopes=["members"])
    [there] = export(client, theirs, updated_since=START.isoformat()).json()["results"]
    assert (there["first_name"], there["moved_away"]) == ("Ana", False)
    assert ids(export(client, website_token)) == []
    assert ids(export(client, website_token, updated_since=START.isoformat(), q="Ana")) == []


def test_a_member_who_came_back_is_ours_again(
    client, frozen_clock, downtown, riverside, website_token
):
    ana = MemberFactory(home_club=downtown, first_name="Ana")
    frozen_clock.move_to(at(5))
    move(ana, riverside)
    move(ana, downtown)
    frozen_clock.move_to(at(10))

    [row] = export(client, website_token, updated_since=START.isoformat()).json()["results"]

    assert (row["first_name"], row["moved_away"]) == ("Ana", False)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("updated_since=yesterday", "updated_since", "Datetime has wrong format."),
        ("updated_since=2026-11-20T09:30:00", "updated_since", "Give the time with its UTC"),
        ("updated_since=2026-11-20T09:30:00 01:00", "updated_since", "A '+' in a query string"),
        ("updated_since=2027-11-20T09:30:00Z", "updated_since", "This is later than now"),
        ("updated_since=0001-01-01T00:00:00%2B05:00", "updated_since", "Datetime value out of"),
        ("updated_since=2026-11-23T17:06:00Z", "updated_since", "This is later than now"),
        ("updated_since=2026-11-20T09:30:00Z&offset=50", "offset", "Not with updated_since"),
        ("updated_since=2026-11-20T09:30:00Z&after_id=-1", "after_id", "Ensure this value"),
        ("after_id=5", "after_id", "Only with updated_since."),
        (
            "updated_since=2026-11-20T09:30:00Z&updated_since=2026-11-21T09:30:00Z",
            "updated_since",
            "Give this parameter once.",
        ),
    ],
)
def test_bad_export_parameters_are_field_errors(
    client, frozen_clock, maya, website_token, query, field, message
):
    response = client.get(
        f"{reverse('api:members')}?{query}", HTTP_AUTHORIZATION=f"Bearer {website_token}"
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field] and body[field][0].startswith(message)


def test_a_time_a_few_minutes_ahead_or_far_back_is_taken(client, frozen_clock, maya, website_token):
    for since in ("2026-11-23T18:04:00+01:00", "0001-01-01T00:00:00Z"):
        assert export(client, website_token, updated_since=since).status_code == 200


def test_the_schema_documents_the_export(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/members"]["get"]["parameters"]}
    assert parameters["updated_since"]["schema"] == {"type": "string", "format": "date-time"}
    assert "lifecycle stage is not one" in parameters["updated_since"]["description"]
    assert "after_id" in parameters
