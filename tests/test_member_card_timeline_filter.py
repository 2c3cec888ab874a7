"""The member card's timeline narrowed to one kind of activity: two years of visits bury the
note a colleague left or the message that went out last week."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from club import clock
from members import timeline
from members.models import MemberEvent

pytestmark = pytest.mark.django_db


def timeline_rows(client, member, **params) -> list[str]:
    html = client.get(reverse("desk:member", args=[member.pk]), params).content.decode()
    block = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", block, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


@pytest.fixture
def busy_maya(frozen_clock, maya):
    """Maya with 30 visits, a note under them and a text sent."""
    start = clock.now() - dt.timedelta(days=40)
    timeline.record(maya, MemberEvent.Kind.NOTE, at=start, text="Asked about personal training")
    for day in range(30):
        timeline.record(maya, MemberEvent.Kind.VISIT, at=start + dt.timedelta(days=day, hours=1))
    timeline.record(
        maya, MemberEvent.Kind.MESSAGE_SENT, at=clock.now(), channel="sms", text="We miss you"
    )
    return maya


def test_notes_buried_under_visits_are_one_click_away(client, fiona, busy_maya):
    client.force_login(fiona)
    assert not any("personal training" in row for row in timeline_rows(client, busy_maya))

    rows = timeline_rows(client, busy_maya, show="notes")

    assert len(rows) == 1 and "Asked about personal training" in rows[0]


def test_each_filter_lists_only_its_kinds_and_pages_keep_the_filter(client, fiona, busy_maya):
    client.force_login(fiona)

    messages = timeline_rows(client, busy_maya, show="messages")
    visits = timeline_rows(client, busy_maya, show="visits")
    html = client.get(
        reverse("desk:member", args=[busy_maya.pk]), {"show": "visits"}
    ).content.decode()

    assert len(messages) == 1 and "We miss you" in messages[0]
    assert len(visits) == 25 and all(row.endswith(":00 Visit") for row in visits)
    assert "?page=2&amp;show=visits#card-timeline" in html  # "Older" stays on visits
    assert 'aria-current="true">Visits</a>' in html
    page_two = timeline_rows(client, busy_maya, show="visits", page=2)
    assert len(page_two) == 5


def test_an_empty_filter_says_so_and_an_unknown_one_shows_everything(client, fiona, busy_maya):
    client.force_login(fiona)

    assert timeline_rows(client, busy_maya, show="classes") == ["No classes yet."]
    assert len(timeline_rows(client, busy_maya, show="nonsense")) == 25


def test_every_group_names_kinds_that_exist_and_none_twice():
    kinds = [kind for group in timeline.GROUPS.values() for kind in group.kinds]

    assert set(kinds) <= set(MemberEvent.Kind.values)
    assert len(kinds) == len(set(kinds))
