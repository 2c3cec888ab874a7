"""The desk's Recent list polls its own fragment: a check-in in another tab or at the turnstile
shows without a reload, and a poll with nothing new is one query and no swap."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkin import checkins
from checkin.models import Source
from tests.factories import MemberFactory, MembershipFactory

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def poll_url(html: str) -> str:
    section = re.search(r'<section id="desk-recent"[^>]*>', html).group(0)
    return re.search(r'hx-get="([^"]+)"', section).group(1).replace("&amp;", "&")


def test_the_recent_list_polls_while_the_tab_is_shown(desk, frozen_clock, maya):
    html = desk.get(reverse("desk:desk")).content.decode()

    section = re.search(r'<section id="desk-recent"[^>]*>', html).group(0)
    assert "every 15s [document.visibilityState === 'visible']" in section
    assert 'hx-swap="outerHTML"' in section
    assert poll_url(html).startswith(f"{reverse('desk:recent')}?club=downtown&seen=")


def test_a_turnstile_check_in_shows_at_the_next_poll(desk, frozen_clock, maya):
    url = poll_url(desk.get(reverse("desk:desk")).content.decode())
    assert desk.get(url, **HTMX).status_code == 204  # nothing new yet

    checkins.check_in(maya, source=Source.TURNSTILE)
    response = desk.get(url, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Maya Jansen" in html
    assert poll_url(html) != url  # the next poll asks from here
    assert desk.get(poll_url(html), **HTMX).status_code == 204


def test_an_undo_elsewhere_shows_at_the_next_poll(desk, frozen_clock, maya, fiona):
    visit = checkins.check_in(maya, source=Source.TURNSTILE)
    url = poll_url(desk.get(reverse("desk:desk")).content.decode())

    checkins.undo_visit(visit.pk, member_id=maya.pk, by=fiona)
    response = desk.get(url, **HTMX)

    assert response.status_code == 200
    assert "Maya Jansen" not in response.content.decode()


def test_a_denial_elsewhere_shows_at_the_next_poll(desk, frozen_clock, tom_berg):
    url = poll_url(desk.get(reverse("desk:desk")).content.decode())

    checkins.check_in(tom_berg, source=Source.TURNSTILE)

    html = desk.get(url, **HTMX).content.decode()
    assert re.search(r"Tom Berg</a>\s*✖ membership expired", html)


def test_a_poll_with_nothing_new_reads_the_check_ins_once(desk, frozen_clock, downtown):
    for _ in range(3):
        member = MemberFactory(home_club=downtown)
        MembershipFactory(member=member)
        checkins.check_in(member, source=Source.TURNSTILE)
    url = poll_url(desk.get(reverse("desk:desk")).content.decode())

    with CaptureQueriesContext(connection) as queries:
        response = desk.get(url, **HTMX)

    assert response.status_code == 204
    reads = [q["sql"] for q in queries if "checkin_" in q["sql"]]
    assert len(reads) == 1


def test_a_poll_keeps_the_club_another_tab_chose(desk, frozen_clock, fiona, downtown, riverside):
    riverside.staff.add(fiona)
    desk.get(reverse("desk:desk"), {"club": "riverside"})  # the other tab

    response = desk.get(reverse("desk:recent"), {"club": "downtown"}, **HTMX)

    assert "Recent at Downtown" in response.content.decode()
    assert desk.session["desk_club"] == riverside.pk


@pytest.mark.parametrize("club", ["", "nowhere", "riverside"])
def test_a_poll_for_a_club_not_ours_is_not_found(desk, frozen_clock, riverside, club):
    assert desk.get(reverse("desk:recent"), {"club": club}, **HTMX).status_code == 404


def test_a_trainer_may_not_poll_the_desk(client, frozen_clock, tom, downtown):
    client.force_login(tom)

    response = client.get(reverse("desk:recent"), {"club": "downtown"})

    # Wagtail answers PermissionDenied with its dashboard.
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
