"""Fiona at the front desk, in a real browser: admit, deny, renew, admit."""

import datetime as dt
import re
import time

import pytest
from playwright.sync_api import expect

from checkin import checkins
from checkin.models import Visit
from club import clock
from memberships.models import Membership
from tests.factories import PASSWORD, MemberFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def tom_berg(downtown, monthly_plan):
    member = MemberFactory(
        home_club=downtown, first_name="Tom", last_name="Berg", card_token="TOM-BERG"
    )
    ended = clock.today(downtown) - dt.timedelta(days=10)
    MembershipFactory(member=member, plan=monthly_plan, start=ended - dt.timedelta(days=29))
    return member


def test_desk_admits_denies_renews_and_admits(
    live_server, page, log_in, screenshot, fiona, maya, tom_berg
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    expect(scan_box).to_be_focused()

    # A member in force: green, and the box is ready for the next card.
    scan_box.fill("MAYA-0001")
    scan_box.press("Enter")
    admitted = page.locator("[data-outcome=admitted]")
    expect(admitted).to_contain_text("ADMITTED")
    expect(admitted).to_contain_text("Maya Jansen")
    expect(scan_box).to_have_value("")
    expect(scan_box).to_be_focused()
    screenshot("desk-admitted")

    # An expired member: red, with the reason and a renew button.
    scan_box.fill("TOM-BERG")
    scan_box.press("Enter")
    denied = page.locator("[data-outcome=denied]")
    expect(denied).to_contain_text("DENIED")
    expect(denied).to_contain_text("expired")
    screenshot("desk-denied")

    denied.get_by_role("link", name="Renew now").click()
    page.get_by_role("button", name="Renew").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/admin/desk/\?renewed=\d+$"))
    assert Membership.objects.filter(member=tom_berg, renewed_from__isnull=False).count() == 1
    # Back at the desk with "Check in now" on offer; scanning the card again works as well.
    expect(
        page.locator("[data-outcome=renewed]").get_by_role("button", name="Check in now")
    ).to_be_visible()

    scan_box = page.locator("#desk-q")
    scan_box.fill("TOM-BERG")
    scan_box.press("Enter")
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Tom Berg")
    expect(page.locator("#desk-recent")).to_contain_text("Tom Berg")
    screenshot("desk-renewed-and-admitted")
    assert Visit.objects.filter(member=tom_berg).count() == 1


def test_after_renew_now_one_click_checks_the_member_in(
    live_server, page, log_in, screenshot, fiona, tom_berg
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    page.locator("#desk-q").fill("TOM-BERG")
    page.locator("#desk-q").press("Enter")
    page.locator("[data-outcome=denied]").get_by_role("link", name="Renew now").click()
    expect(page.get_by_text("Membership ended")).to_be_visible()
    page.get_by_role("button", name="Renew").click()

    renewed = page.locator("[data-outcome=renewed]")
    expect(renewed).to_contain_text("Tom Berg")
    screenshot("desk-renewed-check-in-now")
    renewed.get_by_role("button", name="Check in now").click()

    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Tom Berg")
    expect(page.locator("#desk-recent")).to_contain_text("Tom Berg")
    expect(page.locator("#desk-q")).to_be_focused()
    assert Visit.objects.get(member=tom_berg).membership.renewed_from is not None


def test_a_mistaken_check_in_is_undone_from_the_result(
    live_server, page, log_in, screenshot, fiona, maya
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("MAYA-0001")
    scan_box.press("Enter")
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")
    expect(page.locator("#desk-recent")).to_contain_text("Maya Jansen")

    page.locator("[data-outcome=admitted]").get_by_role("button", name="Undo").click()

    expect(page.locator("[data-outcome=undone]")).to_contain_text("CHECK-IN UNDONE")
    expect(page.locator("#desk-recent")).not_to_contain_text("Maya Jansen")
    expect(scan_box).to_be_focused()
    screenshot("desk-undone")
    assert not Visit.objects.filter(member=maya).exists()


def test_a_check_in_from_the_card_shows_on_the_card_at_once(
    live_server, page, log_in, screenshot, fiona, downtown
):
    ana = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    MembershipFactory(member=ana, plan=PlanFactory(club=downtown, pack=True), visits_left=3)
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/members/{ana.pk}/")
    page.locator("#note-text").fill("Asked about personal training")  # typed, not yet saved
    expect(page.locator("#card-columns")).to_contain_text("3 visits left")

    page.get_by_role("button", name="Check in").click()

    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Ana Kovač")
    # No reload: the pack, the month, the badges and the timeline count the visit ...
    expect(page.locator("#card-columns")).to_contain_text("2 visits left")
    expect(page.locator("#card-this-month")).to_contain_text("1 visit")
    expect(page.locator("#card-badges")).to_contain_text("2 visits left")
    expect(page.locator("#card-timeline li").first).to_contain_text("Visit")
    # ... a second check-in says it is one, and what it costs ...
    expect(page.locator("#card-actions button").first).to_have_text("Check in again")
    expect(page.locator("#card-in-today")).to_contain_text("a second check-in takes another visit")
    # ... and what Fiona was typing is still there.
    expect(page.locator("#note-text")).to_have_value("Asked about personal training")
    screenshot("card-after-check-in")

    page.locator("[data-outcome=admitted]").get_by_role("button", name="Undo").click()

    expect(page.locator("[data-outcome=undone]")).to_be_visible()
    expect(page.locator("#card-columns")).to_contain_text("3 visits left")
    expect(page.locator("#card-this-month")).to_contain_text("0 visits")
    expect(page.locator("#card-timeline li").first).to_contain_text("Check-in undone")
    expect(page.locator("#card-actions button").first).to_have_text("Check in")


def test_the_member_card_fills_in_what_is_coming_up(
    live_server, page, log_in, screenshot, fiona, maya
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/members/{maya.pk}/")

    coming_up = page.get_by_role("region", name="Coming up")
    expect(coming_up).to_contain_text("(next 60 days)")  # the desk reads no "dry run"
    expect(coming_up).not_to_contain_text("Working out")
    screenshot("member-card")


def test_fiona_books_maya_into_a_class_from_her_card(
    live_server, page, log_in, screenshot, fiona, maya, downtown
):
    from tests.factories import ClassSessionFactory

    spin = ClassSessionFactory(club=downtown, class_type__name="Spin")
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/members/{maya.pk}/")

    page.get_by_role("link", name="Book class").click()
    page.get_by_role("region", name="Timetable").get_by_role("button", name="Book").click()

    expect(page.get_by_text("Maya is booked for Spin")).to_be_visible()
    expect(page.get_by_role("region", name="Booked")).to_contain_text("Spin")
    screenshot("desk-book-class")
    assert maya.bookings.get().session == spin


def test_an_unknown_card_leaves_no_green_verdict_on_screen(live_server, page, log_in, fiona, maya):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("maya-0001")  # a reader sending lower-case hex
    scan_box.press("Enter")
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")

    scan_box.fill("DEADBEEF0000")
    scan_box.press("Enter")

    expect(page.locator("#desk-results")).to_contain_text("No member matches")
    expect(page.locator("[data-outcome=admitted]")).to_have_count(0)

    # the next card a reader types replaces the unknown one rather than adding to it
    page.keyboard.type("MAYA-0001")
    page.keyboard.press("Enter")
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")
    expect(scan_box).to_have_value("")


def test_a_card_scanned_while_the_last_is_answered_is_checked_in_after_it(
    live_server, page, log_in, fiona, maya, downtown, monthly_plan, monkeypatch
):
    yasmin = MemberFactory(home_club=downtown, first_name="Yasmin", card_token="YAS-0002")
    MembershipFactory(member=yasmin, plan=monthly_plan)
    answer = checkins.check_in

    def slow_for_maya(member, **kwargs):
        if member.pk == maya.pk:
            time.sleep(0.8)  # the first card's answer is still on its way ...
        return answer(member, **kwargs)

    monkeypatch.setattr(checkins, "check_in", slow_for_maya)
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    page.locator("#desk-q").focus()

    page.keyboard.type("MAYA-0001\n")
    page.keyboard.type("YAS-0002")  # ... while the reader sends the next card
    page.wait_for_timeout(1200)  # the first answer lands after the next card is in the box
    page.keyboard.press("Enter")

    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Yasmin")
    expect(page.locator("#desk-recent")).to_contain_text("Maya Jansen")
    expect(page.locator("#desk-q")).to_have_value("")
    assert Visit.objects.filter(member__in=[maya, yasmin]).count() == 2


def test_a_card_scanned_after_an_unknown_one_shows_its_own_verdict_last(
    live_server, page, log_in, fiona, maya, monkeypatch
):
    look_up = checkins.check_in_scanned

    def slow_for_unknown(**kwargs):
        if kwargs.get("card") == "DEADBEEF0000":
            time.sleep(0.8)  # the unknown card's answer is still on its way ...
        return look_up(**kwargs)

    monkeypatch.setattr(checkins, "check_in_scanned", slow_for_unknown)
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    page.locator("#desk-q").focus()

    page.keyboard.type("DEADBEEF0000\n")
    page.keyboard.type("MAYA-0001\n")  # ... when the next card is already sent

    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")
    page.wait_for_timeout(300)
    # the unknown card's text does not come back over the verdict of the card after it
    expect(page.locator("#desk-q")).to_have_value("")
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")


def test_checking_in_from_a_result_row_empties_the_box_and_keeps_its_focus(
    live_server, page, log_in, screenshot, fiona, maya
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("jans")

    row = page.locator(".desk-result", has_text="Maya Jansen")
    row.get_by_role("button", name="Check in").click()

    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Maya Jansen")
    expect(scan_box).to_have_value("")
    expect(scan_box).to_be_focused()
    screenshot("desk-row-check-in")
    assert Visit.objects.filter(member=maya).count() == 1


def test_a_refused_row_check_in_keeps_the_query_and_the_focus(
    live_server, page, log_in, fiona, maya, downtown, riverside
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("jans")
    row = page.locator(".desk-result", has_text="Maya Jansen")
    expect(row).to_be_visible()
    # Fiona is moved to another club while the list is on her screen: the check-in is refused.
    riverside.staff.add(fiona)
    downtown.staff.remove(fiona)

    row.get_by_role("button", name="Check in").click()

    expect(scan_box).to_be_focused()
    expect(scan_box).to_have_value("jans")
    expect(page.locator("[data-outcome]")).to_have_count(0)
    assert not Visit.objects.exists()


def test_a_refused_admit_anyway_shows_why_and_keeps_the_reason_field(
    live_server, page, log_in, fiona, tom_berg
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    scan_box = page.locator("#desk-q")
    scan_box.fill("TOM-BERG")
    scan_box.press("Enter")
    denied = page.locator("[data-outcome=denied]")
    expect(denied).to_contain_text("expired")

    # Opening "Admit anyway…" puts the cursor in its one field.
    denied.get_by_text("Admit anyway…").click()
    reason = page.get_by_label("Why admit anyway?")
    expect(reason).to_be_focused()
    # A reason of spaces passes the browser's "required" and is refused by the form (400).
    reason.fill("   ")
    page.get_by_role("button", name="Admit and record").click()

    # The refusal is shown in the panel it came from, with the reason field ready for a real
    # one; the desk around it stays; nobody was let in.
    expect(page.locator("#desk-output .error-message")).to_be_visible()
    expect(page.get_by_label("Why admit anyway?")).to_be_focused()
    expect(page.locator(".desk-result-panel")).to_have_count(1)
    expect(page.locator("[data-outcome=denied]")).to_contain_text("expired")
    expect(
        page.locator("[data-outcome=denied]").get_by_role("link", name="Renew now")
    ).to_be_visible()
    expect(page.locator("#desk-q")).to_be_visible()
    assert not Visit.objects.exists()

    page.get_by_label("Why admit anyway?").fill("Paid cash, membership renewed tomorrow")
    page.get_by_role("button", name="Admit and record").click()
    expect(page.locator("[data-outcome=admitted]")).to_contain_text("Tom Berg")
    assert Visit.objects.get(member=tom_berg).override_by == fiona


def test_a_refused_admit_anyway_on_the_member_card_stays_on_the_card(
    live_server, page, log_in, screenshot, fiona, tom_berg
):
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/members/{tom_berg.pk}/")
    page.get_by_role("button", name="Check in").click()
    denied = page.locator("#card-output [data-outcome=denied]")
    expect(denied).to_contain_text("expired")

    denied.get_by_text("Admit anyway…").click()
    page.get_by_label("Why admit anyway?").fill("   ")
    page.get_by_role("button", name="Admit and record").click()

    # The error is under the reason, in the card's panel; the card and the sidebar are still there.
    expect(page.locator("#card-output .error-message")).to_contain_text("required")
    expect(page.get_by_role("article", name="Member card")).to_be_visible()
    expect(page.locator("#card-output .desk-result-panel")).to_have_count(1)
    expect(page.get_by_label("Why admit anyway?")).to_be_focused()
    screenshot("card-admit-anyway-refused")
    assert not Visit.objects.exists()

    page.get_by_label("Why admit anyway?").fill("Paid cash, renews tomorrow")
    page.get_by_role("button", name="Admit and record").click()
    expect(page.locator("#card-output [data-outcome=admitted]")).to_contain_text("Tom Berg")
    assert Visit.objects.get(member=tom_berg).override_reason == "Paid cash, renews tomorrow"


def test_a_lead_booked_for_a_trial_class_is_let_in_at_the_desk(
    live_server, page, log_in, screenshot, fiona, downtown
):
    from checkin.models import Booking
    from tests.factories import BookingFactory, ClassSessionFactory

    lead = MemberFactory(
        home_club=downtown, first_name="Lotte", last_name="Visser", card_token="LOTTE-0001"
    )
    start = clock.now() + dt.timedelta(minutes=30)
    hiit = ClassSessionFactory(
        club=downtown, class_type__name="HIIT", start=start, end=start + dt.timedelta(hours=1)
    )
    booking = BookingFactory(session=hiit, member=lead, is_trial=True)
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/")
    page.locator("#desk-q").fill("LOTTE-0001")
    page.locator("#desk-q").press("Enter")

    admitted = page.locator("[data-outcome=admitted]")
    expect(admitted).to_contain_text("Lotte Visser")
    expect(admitted).to_contain_text("Trial class: HIIT")
    screenshot("desk-trial-admitted")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED


def test_cancelling_a_booking_at_the_desk_asks_first(live_server, page, log_in, fiona, maya):
    from checkin import bookings
    from checkin.models import Booking
    from tests.factories import ClassSessionFactory

    start = clock.now() + dt.timedelta(days=1)
    spin = ClassSessionFactory(club=maya.home_club, class_type__name="Spin", start=start)
    booking = bookings.book(maya, spin)
    log_in(fiona, PASSWORD)
    page.goto(f"{live_server.url}/admin/desk/members/{maya.pk}/classes/")
    asked = []

    # Fiona clicks by mistake and says no: the booking stays
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("button", name="Cancel booking")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert asked and asked[0].startswith("Cancel Maya’s Spin on ")

    # then she means it
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
