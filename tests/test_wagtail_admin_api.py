"""Wagtail's admin API (the page explorer) runs on the staff session, not on our tokens."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.models import Page

from club.api import HasScope, IntegrationTokenAuthentication


def test_staff_get_the_page_tree_as_json(client, max):
    root = Page.get_first_root_node()
    home = root.get_children().first()
    client.force_login(max)

    listing = client.get(f"/admin/api/main/pages/?child_of={root.pk}&for_explorer=1")
    detail = client.get(f"/admin/api/main/pages/{home.pk}/")

    assert listing.status_code == 200
    assert listing["Content-Type"] == "application/json"
    assert home.pk in [page["id"] for page in listing.json()["items"]]
    assert detail.status_code == 200
    assert detail.json()["id"] == home.pk


def test_the_page_tree_is_refused_without_a_staff_session(client, db):
    root = Page.get_first_root_node()

    response = client.get(f"/admin/api/main/pages/?child_of={root.pk}&for_explorer=1")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_staff_session_does_not_open_our_api(client, max):
    client.force_login(max)

    response = client.get("/api/v1/members")

    assert response.status_code == 401


def _api_v1_views():
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "api":
            for view in pattern.url_patterns:
                assert isinstance(view, URLPattern)
                yield view.callback.cls


@pytest.mark.parametrize("view", list(_api_v1_views()), ids=lambda view: view.__name__)
def test_every_api_v1_view_takes_a_token_and_its_scope(view):
    assert view.authentication_classes == [IntegrationTokenAuthentication]
    assert view.permission_classes == [HasScope]
    assert view.required_scope


def test_the_shared_api_base_class_adds_nothing_to_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()

    operations = [op for path in schema["paths"].values() for op in path.values()]

    assert len(operations) == 4
    assert [op for op in operations if "description" in op] == []
    assert all(op["security"] == [{"IntegrationToken": []}] for op in operations)
