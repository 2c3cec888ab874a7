"""Wagtail's "Site history" report is for superusers only, and a row's History is scoped like
its screen: no staff member reads another club's members, or members they may not edit."""

import pytest
from django.urls import reverse
from wagtail.log_actions import log

from club import roles
from club.models import Integration
from tests.factories import UserFactory

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"
REPORT = "wagtailadmin_reports:site_history"
REPORT_RESULTS = "wagtailadmin_reports:site_history_results"


def outcome(response) -> str:
    # Wagtail answers PermissionDenied in the admin with a redirect to its dashboard.
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    return {200: OK, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


@pytest.fixture
def root(db):
    return UserFactory(username="root", first_name="Ruth", last_name="Root", is_superuser=True)


@pytest.fixture
def rosa(riverside):
    """Riverside's front desk."""
    return UserFactory(username="rosa", clubs=[riverside], roles=[roles.FRONT_DESK])


@pytest.fixture
def maya_edited(maya, max):
    log(instance=maya, action="wagtail.edit", user=max, content_changed=True)
    return maya


@pytest.mark.parametrize("persona", ["rosa", "tom", "fiona", "mia", "max", "olga"])
@pytest.mark.parametrize(
    "url", [reverse(REPORT), reverse(REPORT) + "?export=csv", reverse(REPORT_RESULTS)]
)
def test_staff_without_superuser_get_no_site_history(client, request, maya_edited, persona, url):
    # given Maya's record edited by Max, and a staff member of some role
    client.force_login(request.getfixturevalue(persona))
    # when they open the report, its CSV or its results by URL
    response = client.get(url)
    # then Wagtail's "no permission" redirect, with nothing of the report
    assert outcome(response) == FORBIDDEN
    assert b"Jansen" not in response.content


def test_a_superuser_reads_the_site_history_and_its_csv(client, root, maya_edited):
    client.force_login(root)
    page = client.get(reverse(REPORT))
    csv = client.get(reverse(REPORT) + "?export=csv")
    assert page.status_code == 200
    assert "Maya Jansen" in page.content.decode()
    assert csv.status_code == 200
    assert "Maya Jansen" in b"".join(csv.streaming_content).decode()


@pytest.mark.parametrize(("persona", "shown"), [("max", False), ("mia", False), ("root", True)])
def test_the_reports_menu_offers_site_history_to_superusers_only(
    client, request, downtown, persona, shown
):
    client.force_login(request.getfixturevalue(persona))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert (reverse(REPORT) in home) is shown


def test_the_site_history_lists_an_issued_token_without_a_link(client, root, max, downtown):
    # given a token issued on the screen (a log entry of an integration, which has no edit view)
    client.force_login(max)
    client.post(
        reverse("integrations:add"),
        {"name": "Main entrance", "club": downtown.pk, "scopes": ["checkin"]},
    )
    integration = Integration.objects.get()
    client.force_login(root)
    # when a superuser opens the report and its CSV
    page = client.get(reverse(REPORT))
    csv = client.get(reverse(REPORT) + "?export=csv")
    # then both answer, naming the integration and linking it nowhere
    assert page.status_code == 200
    assert str(integration) in page.content.decode()
    assert f"/integrations/edit/{integration.pk}/" not in page.content.decode()
    assert csv.status_code == 200


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("max", OK), ("fiona", OK), ("tom", FORBIDDEN), ("olga", NOT_FOUND), ("rosa", NOT_FOUND)],
)
def test_a_members_history_is_for_their_clubs_staff_who_may_edit_them(
    client, request, maya_edited, persona, expected
):
    # given Maya's record edited by Max
    client.force_login(request.getfixturevalue(persona))
    # when a staff member opens her record's History by URL
    response = client.get(reverse("members:history", args=[maya_edited.pk]))
    # then only Downtown's staff who may edit members see it
    assert outcome(response) == expected
    assert ("Maya Jansen" in response.content.decode()) is (expected == OK)
