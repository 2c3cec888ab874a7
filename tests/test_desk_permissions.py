"""Who may use which front-desk view: every role, and Olga from another club."""

import pytest
from django.urls import reverse

from checkin.models import Visit

# Wagtail answers PermissionDenied in the admin with a redirect to its dashboard and a message.
OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"


def outcome(response) -> str:
    if response.status_code == 302:
        # An action done (or refused for its input) goes back to the member card.
        return FORBIDDEN if response["Location"] == reverse("wagtailadmin_home") else OK
    return {200: OK, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


def views(maya):
    membership = maya.memberships.get()
    return {
        "desk": ("get", reverse("desk:desk")),
        "search": ("get", reverse("desk:search") + "?q=maya"),
        "card": ("get", reverse("desk:member", args=[maya.pk])),
        "check_in": ("post", reverse("desk:check_in", args=[maya.pk])),
        "sell": ("get", reverse("desk:sell", args=[maya.pk])),
        "renew": ("get", reverse("desk:renew", args=[membership.pk])),
        "freeze": ("get", reverse("desk:freeze", args=[membership.pk])),
        "lead": ("get", reverse("desk:new_lead")),
        "tasks": ("get", reverse("desk:tasks")),  # each sees their own (test_staff_tasks_screen)
        "book_class": ("get", reverse("desk:book_class", args=[maya.pk])),
        "export": ("post", reverse("desk:export_data", args=[maya.pk])),
        "erase": ("get", reverse("desk:erase_data", args=[maya.pk])),
        "give_card": ("post", reverse("desk:card", args=[maya.pk])),
    }


EXPECTED = {
    #   desk search card check_in sell renew freeze lead tasks book_class export erase give_card
    "fiona": (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK),
    "max": (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "mia": (*(FORBIDDEN,) * 2, OK, *(FORBIDDEN,) * 5, OK, *(FORBIDDEN,) * 4),
    "tom": (*(FORBIDDEN,) * 8, OK, *(FORBIDDEN,) * 4),
    # Olga runs Riverside's desk: her own screens work, our member does not exist for her
    # (and only a manager exports or erases).
    "olga": (OK, OK, *(NOT_FOUND,) * 5, OK, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, frozen_clock, request, maya, persona):
    client.force_login(request.getfixturevalue(persona))

    got = tuple(
        outcome(getattr(client, method)(url, HTTP_HX_REQUEST="true"))
        for method, url in views(maya).values()
    )

    assert dict(zip(views(maya), got, strict=True)) == dict(
        zip(views(maya), EXPECTED[persona], strict=True)
    )


def test_olga_finds_nothing_of_ours(client, frozen_clock, maya, olga):
    client.force_login(olga)

    search = client.get(reverse("desk:search"), {"q": "maya"}, HTTP_HX_REQUEST="true")
    scan = client.post(reverse("desk:scan"), {"q": "MAYA-0001"}, HTTP_HX_REQUEST="true")

    assert "Maya" not in search.content.decode()
    # Her card gets the turnstile's answer, which names her first name and nothing else
    # (tests/test_desk_other_club_card.py); her record stays out of reach.
    assert "wrong_club" in scan.content.decode()
    assert "Jansen" not in scan.content.decode()
    assert reverse("desk:member", args=[maya.pk]) not in scan.content.decode()
    assert not Visit.objects.exists()


def test_anonymous_is_sent_to_log_in(client, maya):
    response = client.get(reverse("desk:desk"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
