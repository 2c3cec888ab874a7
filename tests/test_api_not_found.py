"""Every path under /api/ answers JSON: one no endpoint serves is a JSON 404 (club.api.not_found),
never the public site's HTML 404 page or its CSRF 403 for a POST."""

import pytest
from django.test import Client

from club.models import Integration
from members.models import Member


@pytest.fixture
def token(downtown):
    _, token = Integration.issue(club=downtown, name="Gate", scopes=["checkin", "members"])
    return token


def test_a_trailing_slash_on_a_check_in_is_a_json_404_naming_the_endpoint(
    frozen_clock, maya, token
):
    # A real client: CSRF checks on, as for a turnstile.
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1/checkins/",
        {"card": "MAYA-0001"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "No endpoint at /api/v1/checkins/. Did you mean /api/v1/checkins?"
    }
    assert not maya.visits.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/members/abc"),
        ("get", "/api/v1/nothing"),
        ("post", "/api/v2/checkins"),
        ("delete", "/api/"),
        ("get", "/api/v1/members/1/extra/"),
    ],
)
def test_an_unknown_api_path_is_a_json_404(db, token, method, path):
    response = getattr(Client(enforce_csrf_checks=True), method)(
        path, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": f"No endpoint at {path}."}


def test_the_schema_without_its_slash_is_named(db):
    response = Client().get("/api/schema")

    assert response.status_code == 404
    assert response.json() == {"detail": "No endpoint at /api/schema. Did you mean /api/schema/?"}


def test_the_endpoints_themselves_still_answer(frozen_clock, maya, token):
    response = Client().get(f"/api/v1/members/{maya.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["id"] == maya.pk
    assert Member.objects.count() == 1
