"""Desk forms are sent once: every desk page loads the script that holds a sent form's buttons
(tests/e2e/test_desk_forms.py clicks them), and the forms still work without it."""

import datetime as dt
import re

from django.urls import reverse

from club import clock


def test_every_desk_page_loads_the_send_once_script(desk, frozen_clock, maya, maya_membership):
    pages = [
        reverse("desk:desk"),
        reverse("desk:member", args=[maya.pk]),
        reverse("desk:freeze", args=[maya_membership.pk]),
        reverse("desk:new_lead"),
    ]
    for url in pages:
        html = desk.get(url).content.decode()
        assert "checkin/desk_forms" in html, url


def test_the_freeze_button_is_enabled_in_the_page_and_a_plain_post_saves(
    desk, frozen_clock, maya, maya_membership
):
    url = reverse("desk:freeze", args=[maya_membership.pk])
    html = desk.get(url).content.decode()
    assert re.search(r'<button type="submit" class="button">Freeze</button>', html)

    today = clock.today(maya.home_club)
    week = {"start": today.isoformat(), "end": (today + dt.timedelta(days=6)).isoformat()}
    assert desk.post(url, week).status_code == 302
    assert maya_membership.freezes.count() == 1


def test_the_download_form_may_be_sent_again(client, frozen_clock, maya, max):
    # The export answers with a file and leaves the card in place: its button must not wait.
    client.force_login(max)

    html = client.get(reverse("desk:member", args=[maya.pk])).content.decode()

    form = re.search(r"<form[^>]*desk/members/\d+/export/[^>]*>", html).group(0)
    assert "data-resend" in form
