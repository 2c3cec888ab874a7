"""A visitor signs up for a free trial on the public site, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from checkin.models import Booking
from cms.models import DEFAULT_SMS_WORDING, ClubSiteSettings
from members.models import ConsentLog, Member, MemberEvent, Task
from tests.factories import ClassSessionFactory, ClassTypeFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def spin_tomorrow(downtown, tom):
    spin = ClassTypeFactory(club=downtown, name="Spin", trial_eligible=True)
    return ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, room="Studio 2")


def test_visitor_signs_up_for_a_trial(live_server, page, screenshot, downtown, spin_tomorrow):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/schedule/")
    page.get_by_role("link", name="Try it free").first.click()
    page.wait_for_url(re.compile(r"/trial/\?session="))
    expect(page.get_by_label("Your free class")).to_have_value(str(spin_tomorrow.pk))

    # Submitting with mistakes keeps what was typed and says what is wrong, per field.
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("button", name="Book my free class").click()
    expect(page.locator("#id_phone_error")).to_contain_text(
        "Enter a valid mobile number (e.g. 06 12345678)"
    )
    expect(page.locator("#id_email_error")).to_contain_text("We need your email")
    expect(page.get_by_label("First name")).to_have_value("Ana")
    # The cursor is in the first field to fix, not on the page body …
    expect(page.get_by_label("Mobile number")).to_be_focused()
    screenshot("mobile-trial-form-errors")
    # … and the summary at the top takes you to each of the others.
    page.get_by_role("alert").get_by_role("link", name="Email: We need your email").click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    assert not Member.objects.exists()

    page.get_by_label("Last name").fill("Kovač")
    page.get_by_label("Mobile number").fill("06 87654321")
    page.get_by_label("Email", exact=True).fill("ana@example.com")
    page.get_by_label(DEFAULT_SMS_WORDING).check()
    screenshot("mobile-trial-form-filled")
    page.get_by_role("button", name="Book my free class").click()

    page.wait_for_url(f"{live_server.url}/trial/thanks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
    expect(page.locator(".thanks__class")).to_contain_text("Spin")
    screenshot("mobile-trial-thanks")

    member = Member.objects.get(email="ana@example.com")
    assert (member.first_name, member.last_name, str(member.phone), member.status) == (
        "Ana",
        "Kovač",
        "+31687654321",
        "lead",
    )
    booking = Booking.objects.get(member=member)
    assert (booking.session, booking.is_trial, booking.status) == (spin_tomorrow, True, "booked")
    assert list(ConsentLog.objects.filter(member=member).values_list("channel", "wording")) == [
        ("sms", DEFAULT_SMS_WORDING)
    ]
    task = Task.objects.get(member=member)
    assert task.title == "Call Ana Kovač within 15 minutes"
    assert set(MemberEvent.objects.filter(member=member).values_list("kind", flat=True)) >= {
        "lead_created",
        "trial_booked",
    }


def test_an_error_about_the_whole_form_takes_the_focus(live_server, page, downtown):
    # given consent texts edited while the visitor fills in the form: the sign-up refuses it
    # as a whole (a member signing up is no error: the page must not tell who is known)
    ClassSessionFactory(
        club=downtown, class_type=ClassTypeFactory(club=downtown, trial_eligible=True)
    )
    page.goto(f"{live_server.url}/trial/")
    page.get_by_label("Your free class").select_option(index=1)
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Mobile number").fill("06 87654321")
    page.get_by_label("Email", exact=True).fill("ana@example.com")
    page.get_by_label(DEFAULT_SMS_WORDING).check()
    ClubSiteSettings.objects.update(sms_consent_wording="Text me about everything.")
    page.get_by_role("button", name="Book my free class").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Our consent texts changed")
    expect(summary).to_be_focused()
    assert not Member.objects.exists()


def test_an_over_long_name_is_refused_not_cut_short(live_server, page, downtown):
    page.goto(f"{live_server.url}/trial/")
    first_name = page.get_by_label("First name")
    first_name.fill("Ana")

    # Typed or pasted, text past the field's limit: the browser used to drop it unseen.
    first_name.fill("A" * 300)

    expect(first_name).to_have_value("Ana")
    expect(first_name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_first_name_error")).to_have_text(
        "Ensure this value has at most 80 characters (it has 300)."
    )
    expect(first_name).to_have_attribute("aria-describedby", "id_first_name_error")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(live_server, page, downtown):
    page.goto(f"{live_server.url}/trial/")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()

    page.keyboard.press("Tab")

    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
