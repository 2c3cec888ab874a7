"""What a mistyped link and a failure of ours look like: the public site's own "not found"
page, the site's plain error page, and a JSON 500 under /api/ (club.api.server_error)."""

from django.test import Client

from checkin import checkins
from club.models import Integration


def test_a_missing_page_is_the_sites_not_found_page_in_its_own_header(
    client, frozen_clock, downtown
):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert '<h1 id="not-found">Page not found</h1>' in html
    assert 'href="/account/"' in html  # the site's own menu and a way on
    assert "Downtown" in html  # the club's header and footer, not a bare server page


def test_a_failure_under_the_api_is_a_json_500(frozen_clock, maya, monkeypatch):
    _, token = Integration.issue(club=maya.home_club, name="Gate", scopes=["checkin"])

    def broken(**kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(checkins, "check_in_scanned", broken)
    client = Client(raise_request_exception=False)

    response = client.post(
        "/api/v1/checkins",
        {"card": "MAYA-0001"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"


def test_a_failure_on_the_site_is_its_plain_error_page(frozen_clock, downtown, monkeypatch):
    from cms import models as cms_models

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(cms_models.HomePage, "get_context", broken)
    client = Client(raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong on our side" in response.content.decode()
