"""Managers issue and revoke their clubs' API tokens in the back-office, or from a script."""

import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from checkin.models import Visit
from club import roles
from club.models import Integration
from tests.factories import UserFactory

# Wagtail answers PermissionDenied in the admin with a redirect to its dashboard and a message.
OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"


def outcome(response) -> str:
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    return {200: OK, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def check_in(client, token: str):
    return client.post(
        reverse("api:checkins"),
        {"card": "MAYA-0001"},
        content_type="application/json",
        **bearer(token),
    )


def issue(client, **form):
    return client.post(reverse("integrations:add"), form)


def shown_token(response) -> str:
    (token,) = re.findall(r'id="integration-token"[^>]*value="([^"]+)"', response.content.decode())
    return token


@pytest.fixture
def rick(riverside):
    """Riverside's manager."""
    return UserFactory(username="rick", clubs=[riverside], roles=[roles.MANAGER])


@pytest.fixture
def gate(downtown):
    integration, _ = Integration.issue(club=downtown, name="Main entrance", scopes=["checkin"])
    return integration


def test_a_manager_issues_a_token_that_is_shown_once_and_works(client, frozen_clock, max, maya):
    client.force_login(max)

    response = issue(client, name="Website", club=maya.home_club.pk, scopes=["members"])

    # the answer shows the token, once, and tells the browser to keep no copy
    assert response.status_code == 200
    token = shown_token(response)
    assert "no-store" in response["Cache-Control"]
    integration = Integration.objects.get()
    assert (integration.name, integration.club, integration.scopes) == (
        "Website",
        maya.home_club,
        ["members"],
    )
    assert integration.token_hash == Integration.hash_token(token)
    # nowhere afterwards: the list names the token by its first characters only
    listing = client.get(reverse("integrations:index")).content.decode()
    assert token not in listing
    assert f"{token[:8]}…" in listing
    # the token works with its scope, and only with it
    members = client.get(reverse("api:members"), {"q": "maya"}, **bearer(token))
    assert members.status_code == 200
    assert [row["id"] for row in members.json()["results"]] == [maya.pk]
    assert check_in(client, token).status_code == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        pytest.param({"name": "Gate"}, {"scopes": ["This field is required."]}, id="no-scope"),
        pytest.param(
            {"name": "  ", "scopes": ["checkin"]}, {"name": ["This field is required."]}, id="name"
        ),
        pytest.param(
            {"name": "Gate", "scopes": ["admin"]},
            {"scopes": ["Select a valid choice. admin is not one of the available choices."]},
            id="unknown-scope",
        ),
    ],
)
def test_a_token_needs_a_name_and_known_scopes(client, max, downtown, form, errors):
    client.force_login(max)

    response = issue(client, club=downtown.pk, **form)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert "integration-token" not in response.content.decode()
    assert not Integration.objects.exists()


def test_a_name_already_in_use_at_the_club_is_a_field_error(client, max, gate, downtown):
    client.force_login(max)

    response = issue(client, club=downtown.pk, name="main ENTRANCE", scopes=["checkin"])

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": [
            "Downtown already has an active integration called “main ENTRANCE”: say which "
            "device or site this one is, or revoke the other first."
        ]
    }
    assert "integration-token" not in response.content.decode()
    assert list(Integration.objects.all()) == [gate]


def test_a_revoked_integrations_name_or_another_clubs_may_be_given_again(
    client, max, gate, downtown, riverside
):
    Integration.issue(club=riverside, name="Side door", scopes=["checkin"])
    gate.revoke()
    client.force_login(max)

    for name in ("Main entrance", "Side door"):
        response = issue(client, club=downtown.pk, name=name, scopes=["checkin"])
        assert response.status_code == 200
        shown_token(response)

    assert Integration.objects.filter(club=downtown, is_active=True).count() == 2


def test_the_database_refuses_a_second_active_integration_of_one_name(gate, downtown):
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.issue(club=downtown, name="Main Entrance", scopes=["checkin"])


def test_a_manager_of_one_club_finds_it_chosen(client, max, downtown):
    client.force_login(max)

    form = client.get(reverse("integrations:add")).context["form"]

    assert list(form.fields["club"].queryset) == [downtown]
    assert form.fields["club"].initial == downtown


def test_revoking_refuses_the_token_at_once(client, frozen_clock, max, maya, downtown):
    integration, token = Integration.issue(club=downtown, name="Old gate", scopes=["checkin"])
    check_in(client, token)
    assert check_in(client, token).status_code == 200
    assert cache.get(Integration.cache_key(integration.token_hash)) is not None  # cached
    client.force_login(max)

    confirm = client.get(reverse("integrations:revoke", args=[integration.pk]))
    response = client.post(reverse("integrations:revoke", args=[integration.pk]))

    assert confirm.status_code == 200
    assert "Yes, revoke" in confirm.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:index")
    integration.refresh_from_db()
    assert integration.is_active is False
    assert check_in(client, token).status_code == 401
    listing = client.get(reverse("integrations:index")).content.decode()
    assert re.search(r"w-status[^>]*>\s*Revoked\s*<", listing)
    # who revoked it is in the audit log; a second click changes nothing
    (entry,) = ModelLogEntry.objects.filter(action="club.integration.revoke")
    assert (entry.user, entry.object_id) == (max, str(integration.pk))
    again = client.post(reverse("integrations:revoke", args=[integration.pk]), follow=True)
    assert [str(m).strip() for m in again.context["messages"]] == [
        "Old gate (Downtown): the token was already revoked."
    ]
    assert ModelLogEntry.objects.filter(action="club.integration.revoke").count() == 1


def test_another_clubs_manager_can_neither_see_nor_revoke(client, rick, gate, downtown):
    client.force_login(rick)

    listing = client.get(reverse("integrations:index"))
    confirm = client.get(reverse("integrations:revoke", args=[gate.pk]))
    revoke = client.post(reverse("integrations:revoke", args=[gate.pk]))
    issued = issue(client, name="Sneaky", club=downtown.pk, scopes=["members"])

    assert list(listing.context["object_list"]) == []
    assert "Main entrance" not in listing.content.decode()
    assert (confirm.status_code, revoke.status_code) == (404, 404)
    gate.refresh_from_db()
    assert gate.is_active is True
    assert issued.status_code == 200
    assert list(issued.context["form"].errors) == ["club"]
    assert Integration.objects.count() == 1


def test_the_list_shows_what_each_integration_may_do_and_when_it_was_used(
    client, frozen_clock, max, maya, gate
):
    # (last used is recorded by the API, at most once a minute per token)
    _, token = Integration.issue(club=gate.club, name="Website", scopes=["members", "checkin"])
    client.get(reverse("api:members"), **bearer(token))
    client.force_login(max)

    response = client.get(reverse("integrations:index"))

    rows = {row.name: row for row in response.context["object_list"]}
    assert rows["Website"].last_used_at is not None
    assert rows["Main entrance"].last_used_at is None
    html = response.content.decode()
    assert "checkin, members" in html
    assert "Last used" in html


# Index, "Issue token" form and revoke of Downtown's gate, for every role and Riverside's staff.
EXPECTED = {
    "max": (OK, OK, OK),
    "fiona": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "tom": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "mia": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "rick": (OK, OK, NOT_FOUND),  # his own club's screen; our gate does not exist for him
    "olga": (FORBIDDEN, FORBIDDEN, NOT_FOUND),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, request, gate, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    urls = [
        reverse("integrations:index"),
        reverse("integrations:add"),
        reverse("integrations:revoke", args=[gate.pk]),
    ]

    got = tuple(outcome(client.get(url)) for url in urls)
    client.post(urls[2])

    assert got == EXPECTED[persona]
    gate.refresh_from_db()
    assert gate.is_active is (persona != "max")
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert (urls[0] in menu) is (EXPECTED[persona][0] == OK)


# --- manage.py issue_token -----------------------------------------------------------------


def test_the_command_prints_a_working_token(client, frozen_clock, maya, downtown):
    out, err = StringIO(), StringIO()

    call_command(
        "issue_token",
        "--club=downtown",
        "--name=Main entrance",
        "--scope=checkin",
        stdout=out,
        stderr=err,
    )

    token = out.getvalue().strip()
    integration = Integration.objects.get()
    assert integration.token_hash == Integration.hash_token(token)
    assert (integration.name, integration.scopes) == ("Main entrance", ["checkin"])
    assert "cannot be shown again" in err.getvalue()
    assert check_in(client, token).status_code == 200
    assert Visit.objects.filter(member=maya).count() == 1
    # in Wagtail's audit log, as the screen's tokens are; no one signed in to name
    (entry,) = ModelLogEntry.objects.filter(action="wagtail.create")
    assert (entry.object_id, entry.user) == (str(integration.pk), None)


def test_the_command_takes_several_scopes(downtown):
    call_command(
        "issue_token",
        "--club=downtown",
        "--name=Website",
        "--scope=members",
        "--scope=checkin",
        "--scope=members",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert Integration.objects.get().scopes == ["checkin", "members"]


def test_the_command_refuses_a_name_already_in_use_at_the_club(gate, downtown):
    out = StringIO()

    with pytest.raises(CommandError) as error:
        call_command(
            "issue_token",
            "--club=downtown",
            "--name=Main entrance",
            "--scope=checkin",
            stdout=out,
            stderr=StringIO(),
        )

    assert "Downtown already has an active integration called “Main entrance”" in str(error.value)
    assert out.getvalue() == ""
    assert list(Integration.objects.all()) == [gate]
    assert not ModelLogEntry.objects.filter(action="wagtail.create").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--club=nowhere", "--name=Gate", "--scope=checkin"],
            "No club with the slug 'nowhere' (known: downtown, riverside).",
            id="unknown-club",
        ),
        pytest.param(
            ["--club=downtown", "--name= ", "--scope=checkin"],
            "--name is empty",
            id="empty-name",
        ),
        pytest.param(
            ["--club=downtown", "--name=Gate", "--scope=admin"],
            "invalid choice: 'admin'",
            id="unknown-scope",
        ),
        pytest.param(
            ["--club=downtown", "--name=Gate"],
            "the following arguments are required: --scope",
            id="no-scope",
        ),
    ],
)
def test_the_command_refuses_bad_input_and_issues_nothing(downtown, riverside, args, message):
    out = StringIO()

    with pytest.raises(CommandError) as error:
        call_command("issue_token", *args, stdout=out, stderr=StringIO())

    assert message in str(error.value)
    assert out.getvalue() == ""
    assert not Integration.objects.exists()
