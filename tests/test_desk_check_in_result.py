"""The desk's check-in result: a trial visitor let in for their class, a refused "admit
anyway" answered with the panel it came from, and the timeline's codes in words."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin import bookings, checkins
from checkin.desk import views as desk_views
from checkin.models import Source, Visit
from club import clock
from club.models import Club
from members import timeline
from members.models import Member, MemberEvent
from memberships.models import Membership
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def lead_booked_for_hiit(frozen_clock, downtown):
    lead = MemberFactory(
        home_club=downtown, first_name="Lotte", last_name="Visser", card_token="LOTTE-0001"
    )
    start = clock.now() + dt.timedelta(minutes=30)  # 18:30 in Amsterdam
    hiit = ClassSessionFactory(
        club=downtown, class_type__name="HIIT", start=start, end=start + dt.timedelta(hours=1)
    )
    BookingFactory(session=hiit, member=lead, is_trial=True)
    return lead


def panel(html: str) -> str:
    return re.search(r'<div class="desk-result-panel.*?</details>', html, re.S).group(0)


# --- trial visitors -----------------------------------------------------------------------


def test_a_lead_booked_for_a_trial_class_is_admitted_green_with_the_class(
    desk, lead_booked_for_hiit
):
    response = desk.post(reverse("desk:scan"), {"q": "LOTTE-0001"}, **DESK)

    html = response.content.decode()
    assert 'data-outcome="admitted"' in html
    assert "Trial class: HIIT 18:30" in html
    assert "Sell a membership" not in html
    assert response["X-Desk-Outcome"] == "admitted"
    assert Visit.objects.get(member=lead_booked_for_hiit).membership is None


def recent_list(html: str) -> str:
    return re.search(r'<section id="desk-recent".*?</section>', html, re.S).group(0)


def test_the_recent_list_marks_a_visit_admitted_for_a_trial_class(
    desk, frozen_clock, lead_booked_for_hiit, tom_berg, monthly_plan
):
    # Tom renewed: his visit is an ordinary one, and his name stays unmarked.
    MembershipFactory(member=tom_berg, plan=monthly_plan, start=clock.today(tom_berg.home_club))
    checkins.check_in(tom_berg, source=Source.DESK)
    frozen_clock.shift(dt.timedelta(minutes=1))

    html = desk.post(reverse("desk:scan"), {"q": "LOTTE-0001"}, **DESK).content.decode()

    rows = recent_list(html).split("<li")[1:]
    assert len(rows) == 2
    assert "Lotte Visser" in rows[0] and "(trial: HIIT)" in rows[0]
    assert "Tom Berg" in rows[1] and "trial" not in rows[1]


def test_repeated_denials_of_one_member_are_one_row_of_the_recent_list(
    desk, frozen_clock, tom_berg, maya
):
    # Tom, expired, scans four times in a minute; Maya is let in between his second and third
    for second in (0, 15, 30, 45):
        if second == 30:
            checkins.check_in(maya, source=Source.DESK)
        frozen_clock.shift(dt.timedelta(seconds=15))
        desk.post(reverse("desk:scan"), {"q": tom_berg.card_token}, **DESK)

    html = desk.get(reverse("desk:desk")).content.decode()

    rows = recent_list(html).split("<li")[1:]
    assert len(rows) == 3
    assert "Tom Berg" in rows[0] and "expired" in rows[0] and "(2 scans)" in rows[0]
    assert "Maya Jansen" in rows[1] and "✔" in rows[1]
    assert "Tom Berg" in rows[2] and "(2 scans)" in rows[2]


def test_a_repeat_scan_of_a_trial_visitor_shows_the_class_again(
    desk, frozen_clock, lead_booked_for_hiit
):
    desk.post(reverse("desk:scan"), {"q": "LOTTE-0001"}, **DESK)
    frozen_clock.shift(dt.timedelta(seconds=40))

    html = desk.post(reverse("desk:scan"), {"q": "LOTTE-0001"}, **DESK).content.decode()

    assert "repeat scan, not counted again" in html
    assert "Trial class: HIIT 18:30" in html


def test_the_recent_list_reads_the_same_for_any_number_of_trial_visits(
    frozen_clock, downtown, django_assert_num_queries
):
    for n in range(3):
        lead = MemberFactory(home_club=downtown)
        start = clock.now() + dt.timedelta(minutes=20 + n)
        session = ClassSessionFactory(club=downtown, start=start, end=start + dt.timedelta(hours=1))
        BookingFactory(session=session, member=lead, is_trial=True)
        checkins.check_in(lead, source=Source.DESK)

    with django_assert_num_queries(2):  # the visits and the denials, whatever the rows
        recent = desk_views.recent_check_ins(downtown, staff_clubs=Club.objects.all())

    assert len(recent) == 3
    assert all(checkins.trial_class_of(v) is not None for v in recent)


def test_a_lead_with_no_trial_class_is_still_offered_a_sale(desk, frozen_clock, downtown):
    MemberFactory(home_club=downtown, card_token="WALK-IN-1")

    html = desk.post(reverse("desk:scan"), {"q": "WALK-IN-1"}, **DESK).content.decode()

    assert 'data-outcome="denied"' in html
    assert "No membership" in html
    assert "Sell a membership" in html


def test_a_visitor_too_early_for_their_trial_class_is_told_when_check_in_opens(
    desk, frozen_clock, downtown
):
    lead = MemberFactory(home_club=downtown, card_token="EARLY-1")
    for minutes, trial in ((95, False), (135, True), (200, True)):  # 19:35, 20:15, 21:20
        start = clock.now() + dt.timedelta(minutes=minutes)
        session = ClassSessionFactory(
            club=downtown,
            class_type__name=f"Spin {minutes}",
            start=start,
            end=start + dt.timedelta(hours=1),
        )
        BookingFactory(session=session, member=lead, is_trial=trial)

    html = desk.post(reverse("desk:scan"), {"q": "EARLY-1"}, **DESK).content.decode()

    assert 'data-reason="no_membership"' in html
    assert "Booked for the free trial class Spin 135 at 20:15: check-in opens at 19:15." in html
    # amber "too early", not a red denial with a sale pushed
    assert "desk-result-panel--early" in html and "TOO EARLY" in html
    assert "come back at 19:15" in html
    assert "Sell a membership" not in html and "✖ DENIED" not in html


def test_no_trial_line_for_a_trial_tomorrow_or_at_another_club(
    desk, frozen_clock, downtown, riverside
):
    lead = MemberFactory(home_club=downtown, card_token="EARLY-2")
    tomorrow = clock.now() + dt.timedelta(days=1)
    elsewhere = clock.now() + dt.timedelta(hours=2)
    for club, start in ((downtown, tomorrow), (riverside, elsewhere)):
        session = ClassSessionFactory(club=club, start=start, end=start + dt.timedelta(hours=1))
        BookingFactory(session=session, member=lead, is_trial=True)

    html = desk.post(reverse("desk:scan"), {"q": "EARLY-2"}, **DESK).content.decode()

    assert "No membership" in html
    assert "data-trial-later" not in html


# --- admit anyway -------------------------------------------------------------------------


def test_a_blank_reason_is_answered_with_the_denied_panel_and_the_error(desk, tom_berg):
    tom_berg_denied = desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **DESK)
    assert 'data-outcome="denied"' in tom_berg_denied.content.decode()

    response = desk.post(
        reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": "   "}, **DESK
    )

    assert response.status_code == 400
    html = response.content.decode()
    refused = panel(html)
    # The panel the form came from: verdict, reason, what the desk can do, and the form open
    # with the error under the reason field, swapped where that panel is.
    assert "DENIED" in refused and "Membership expired 3 Nov 2026" in refused
    assert "Renew now" in refused
    assert '<details class="desk-override" open>' in refused
    assert re.search(r'name="reason"[^>]*autofocus[^>]*>\s*<p class="error-message">', refused)
    assert 'hx-target="closest .desk-result-panel"' in refused
    assert 'hx-swap="outerHTML"' in refused
    assert "X-Desk-Outcome" not in response  # the scan box keeps what it has
    assert not Visit.objects.exists()


def test_the_desk_leaves_out_django_htmx_s_debug_script_even_under_debug(desk, settings):
    # Under DEBUG that script puts a 400 answer in place of the whole document: the desk's
    # refusals (a blank reason) are fragments meant for their panel.
    settings.DEBUG = True
    html = desk.get(reverse("desk:desk")).content.decode()
    assert "django_htmx/htmx-2.min.js" in html
    assert "django-htmx.js" not in html


def test_a_blank_reason_on_the_member_card_stays_on_the_card(desk, frozen_clock, tom_berg):
    on_card = {
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_CURRENT_URL": f"http://testserver/admin/desk/members/{tom_berg.pk}/",
    }
    desk.post(reverse("desk:check_in", args=[tom_berg.pk]), **on_card)

    response = desk.post(
        reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": " "}, **on_card
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-outcome="denied"' in html
    assert "hx-swap-oob" not in html  # no desk lists on the card


def test_a_blank_reason_without_javascript_renders_the_whole_desk(desk, frozen_clock, tom_berg):
    desk.post(reverse("desk:scan"), {"q": "TOM-BERG"})

    response = desk.post(reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": "  "})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="desk-q"' in html  # the search box, in the admin page with its sidebar
    assert 'data-outcome="denied"' in html
    assert "This field is required." in html


def test_a_real_reason_admits_from_the_same_form(desk, frozen_clock, tom_berg, fiona):
    desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **DESK)

    response = desk.post(
        reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": "Renews tomorrow"}, **DESK
    )

    assert response.status_code == 200
    assert 'data-outcome="admitted"' in response.content.decode()
    assert Visit.objects.get(member=tom_berg).override_by == fiona


# --- the timeline in words ------------------------------------------------------------------


def test_the_member_card_says_denial_reasons_in_words(desk, frozen_clock, tom_berg, downtown):
    lead = MemberFactory(home_club=downtown)
    checkins.check_in(lead, source=Source.DESK)
    checkins.check_in(tom_berg, source=Source.TURNSTILE)

    lead_card = desk.get(reverse("desk:member", args=[lead.pk])).content.decode()
    tom_card = desk.get(reverse("desk:member", args=[tom_berg.pk])).content.decode()

    assert "· No membership" in lead_card and "no_membership" not in lead_card
    assert "· Membership expired" in tom_card and ">expired" not in tom_card


def test_the_card_says_why_a_visit_was_admitted_anyway(desk, frozen_clock, tom_berg, fiona):
    checkins.check_in(
        tom_berg, source=Source.DESK, override_by=fiona, override_reason="Renews tomorrow"
    )

    html = desk.get(reverse("desk:member", args=[tom_berg.pk])).content.decode()

    assert "admitted anyway: “Renews tomorrow” (membership expired)" in html


def test_a_free_text_reason_is_shown_as_typed(frozen_clock, maya):
    event = timeline.record(maya, MemberEvent.Kind.MEMBERSHIP_FROZEN, reason="expired passport")
    penalty = timeline.record(maya, MemberEvent.Kind.BOOKING_PENALTY, reason="late_cancel")

    assert timeline.label(event, "reason") == "expired passport"
    assert timeline.label(penalty, "reason") == bookings.PENALTY_REASONS["late_cancel"]
    assert timeline.label(event, "source") == ""


def test_the_back_office_timeline_says_reasons_in_words(client, max, frozen_clock, tom_berg):
    checkins.check_in(tom_berg, source=Source.TURNSTILE)
    event = tom_berg.events.get(kind=MemberEvent.Kind.CHECK_IN_DENIED)
    client.force_login(max)

    listing = client.get(reverse("timeline:index")).content.decode()
    inspect = client.get(reverse("timeline:inspect", args=[event.pk])).content.decode()

    assert "Membership expired · Turnstile" in listing
    assert "Membership expired · Turnstile" in inspect


# --- the verdict said once, in the desk's words ---------------------------------------------


def test_an_unpaid_member_is_told_unpaid_once(desk, frozen_clock, maya, maya_membership):
    Membership.objects.filter(pk=maya_membership.pk).update(status=Membership.Status.PAST_DUE)

    html = panel(desk.post(reverse("desk:scan"), {"q": maya.card_token}, **DESK).content.decode())

    assert 'data-reason="unpaid"' in html
    assert "Unpaid" in html.split("desk-verdict", 1)[1].split("</p>", 1)[0]
    assert html.count("Unpaid") == 1  # the verdict; no "Unpaid" badge under it


def test_the_recent_list_says_a_lead_s_free_trial_ended(desk, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, card_token="LEAD-1")
    MembershipFactory(
        member=lead,
        plan=PlanFactory(club=downtown, trial=True),
        start=dt.date(2026, 11, 10),
        end=dt.date(2026, 11, 16),
    )

    html = desk.post(reverse("desk:scan"), {"q": "LEAD-1"}, **DESK).content.decode()

    row = recent_list(html).split("<li")[1]
    assert "free trial ended" in row and "expired" not in row
