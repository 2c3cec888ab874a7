"""The free-trial sign-up: the service (cms.trials) and the page that calls it.

The clock is frozen at Monday 23 November 2026, 18:00 in Amsterdam (17:00 UTC); the
default class session is tomorrow at 18:00.
"""

import datetime as dt
import html
import re

import pytest
from django.test import Client
from wagtail.models import Site

from checkin.models import Booking
from club import clock, roles
from cms import trials
from cms.forms import HONEYPOT
from cms.models import DEFAULT_EMAIL_WORDING, DEFAULT_SMS_WORDING, ClubSiteSettings
from members import staff_tasks, timeline
from members.models import ConsentLog, Member, MemberEvent, Task
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
)

WORDINGS = trials.ConsentWordings(sms="Text me, please.", email="Email me, please.")


@pytest.fixture
def spin(downtown):
    return ClassTypeFactory(club=downtown, name="Spin", trial_eligible=True)


@pytest.fixture
def session(downtown, spin, tom):
    return ClassSessionFactory(club=downtown, class_type=spin, trainer=tom, room="Studio 2")


def sign_up(club, session, **overrides):
    arguments = {
        "first_name": "Ana",
        "last_name": "Kovač",
        "phone": "+31687654321",
        "email": "ana@example.com",
        "session": session,
        "sms_consent": True,
        "email_consent": False,
        "wordings": WORDINGS,
        **overrides,
    }
    return trials.sign_up_for_trial(club, **arguments)


def nothing_saved() -> bool:
    return not (
        Member.objects.filter(first_name="Ana").exists()
        or Booking.objects.filter(is_trial=True).exists()
        or ConsentLog.objects.exists()
        or Task.objects.exists()
        or MemberEvent.objects.exists()
    )


# --- the service --------------------------------------------------------------------------


def test_sign_up_creates_the_lead_books_the_trial_logs_consent_and_opens_a_task(
    frozen_clock, downtown, session
):
    signup = sign_up(downtown, session)

    member = signup.member
    assert signup.created
    assert (member.home_club, member.status, member.source) == (downtown, "lead", "website")
    assert (member.full_name, str(member.phone), member.email) == (
        "Ana Kovač",
        "+31687654321",
        "ana@example.com",
    )
    booking = signup.booking
    assert (booking.session, booking.member, booking.status, booking.is_trial) == (
        session,
        member,
        Booking.Status.BOOKED,
        True,
    )
    assert list(member.consent_log.values_list("channel", "granted", "source", "wording")) == [
        ("sms", True, "trial form", "Text me, please.")
    ]
    assert (member.sms_consent, member.email_consent) == (True, False)
    task = signup.task
    assert task.title == "Call Ana Kovač within 15 minutes"
    assert task.assigned_role == roles.FRONT_DESK
    assert task.due_at == clock.now() + dt.timedelta(minutes=15)
    assert task.status == Task.Status.OPEN
    assert task.escalate_when_late is True  # managers hear of it when nobody called in time
    assert "Spin on Tue 24 Nov at 18:00 (Studio 2)" in task.details
    assert "+31687654321" in task.details
    assert list(member.events.order_by("pk").values_list("kind", flat=True)) == [
        "lead_created",
        "consent_changed",
        "trial_booked",
        "task_opened",
    ]


@pytest.mark.parametrize(
    ("known_by", "given"),
    [
        ("email", {"email": "ANA@example.com", "phone": "+31611111111"}),
        ("email, the name in other case", {"first_name": "ANA", "last_name": "kovac"}),
        ("phone and name", {"email": "other@example.com", "phone": "+31687654321"}),
        (
            "phone and name in other case",
            {"first_name": "ANA", "last_name": "kovac", "email": "other@example.com"},
        ),
    ],
)
def test_a_known_person_is_not_duplicated(frozen_clock, downtown, session, known_by, given):
    ana = MemberFactory(
        home_club=downtown,
        first_name="Ana",
        last_name="Kovač",
        email="ana@example.com",
        phone="+31687654321",
    )

    signup = sign_up(downtown, session, **given)

    assert not signup.created
    assert signup.member == ana
    assert Member.objects.filter(home_club=downtown).count() == 1
    assert signup.booking.member == ana
    assert not ana.events.filter(kind="lead_created").exists()
    assert ana.events.filter(kind="trial_booked").exists()
    assert signup.task.member == ana
    # The consent lands where the booking does, for the phone on the record only: typed with
    # another number (which is not copied over), it is consent to a phone the record lacks.
    same_phone = given.get("phone", "+31687654321") == "+31687654321"
    consents = list(ana.consent_log.values_list("channel", flat=True))
    assert consents == (["sms"] if same_phone else [])


@pytest.mark.parametrize(
    "stranger",
    [
        {"first_name": "Tina", "last_name": "Newcomer"},
        {"first_name": "Ana", "last_name": "de Boer"},  # same first name is not the same person
        {"first_name": "Ana", "last_name": ""},
    ],
)
def test_someone_else_with_a_known_phone_is_a_new_lead(frozen_clock, downtown, session, stranger):
    ana = MemberFactory(
        home_club=downtown,
        first_name="Ana",
        last_name="Kovač",
        email="ana@example.com",
        phone="+31687654321",
    )

    signup = sign_up(downtown, session, email="someone@example.com", **stranger)

    assert signup.created
    assert (signup.member.first_name, signup.member.last_name) == (
        stranger["first_name"],
        stranger["last_name"],
    )
    assert (str(signup.member.phone), signup.member.email) == (
        "+31687654321",
        "someone@example.com",
    )
    assert signup.booking.member == signup.member
    assert not ana.bookings.exists()
    assert not ana.consent_log.exists()


def test_a_known_person_without_email_gets_it_filled_in(frozen_clock, downtown, session):
    ana = MemberFactory(
        home_club=downtown, first_name="Ana", last_name="Kovač", email="", phone="+31687654321"
    )

    sign_up(downtown, session)

    ana.refresh_from_db()
    assert ana.email == "ana@example.com"


def test_an_email_of_someone_else_is_not_copied_onto_the_known_person(
    frozen_clock, downtown, session
):
    ana = MemberFactory(
        home_club=downtown, first_name="Ana", last_name="Kovač", email="", phone="+31687654321"
    )
    MemberFactory(home_club=downtown, email="ana@example.com", phone="+31600000000")

    signup = sign_up(downtown, session, email="ana@example.com")

    # Both match; the one whose name matches too is the person.
    assert signup.member == ana
    ana.refresh_from_db()
    assert ana.email == ""


@pytest.mark.parametrize(
    "typed",
    [
        {},  # email and name
        {"email": "other@example.com"},  # phone and name
    ],
)
def test_the_same_person_at_another_club_gets_no_record_here_and_their_club_calls(
    frozen_clock, downtown, riverside, session, typed
):
    ana = MemberFactory(
        home_club=riverside,
        first_name="Ana",
        last_name="Kovač",
        email="ana@example.com",
        phone="+31687654321",
    )

    signup = sign_up(downtown, session, email_consent=True, **typed)

    assert (signup.member, signup.created, signup.booking) == (ana, False, None)
    assert not Member.objects.filter(home_club=downtown).exists()
    assert not Booking.objects.exists()
    assert not ConsentLog.objects.exists()  # its wording names Downtown
    task = Task.objects.get()
    assert (task.member, task.title) == (ana, "Call Ana Kovač within 15 minutes")
    assert task.details.startswith(
        "Asked on Downtown's website for a free trial: Spin on Tue 24 Nov at 18:00 (Studio 2). "
        "Nothing was booked or registered at Downtown: they are registered here, and the chain "
        "keeps one record per person."
    )
    event = ana.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP)
    assert event.data["reason"] == "registered_elsewhere"


def test_someone_else_with_a_known_email_signs_up_without_it_and_the_owner_is_untouched(
    frozen_clock, downtown, session
):
    aisha = MemberFactory(
        home_club=downtown,
        first_name="Aisha",
        last_name="Müller",
        email="ana@example.com",
        phone="+31655554444",
        sms_consent=False,
        email_consent=False,
    )

    signup = sign_up(downtown, session, email_consent=True)

    jan = signup.member
    assert signup.created
    assert (jan.full_name, str(jan.phone), jan.email) == ("Ana Kovač", "+31687654321", "")
    assert signup.booking.member == jan
    assert list(jan.consent_log.values_list("channel", flat=True)) == ["sms"]
    assert not (aisha.events.exists() or aisha.consent_log.exists() or aisha.bookings.exists())
    assert signup.task.details.endswith(
        f"The email they typed is member #{aisha.pk}'s, under another name, so it was not "
        "saved (nor any email consent): ask them for their own."
    )


def test_another_club_s_email_under_another_name_is_not_a_second_record_of_theirs(
    frozen_clock, downtown, riverside, session
):
    # The QA case: Naomi's address typed at Downtown as "Someone Else" gave Naomi a Downtown
    # record, whose club then sent her portal sign-in email.
    naomi = MemberFactory(home_club=riverside, first_name="Naomi", email="naomi@example.com")

    signup = sign_up(
        downtown, session, first_name="Someone", last_name="Else", email="NAOMI@example.com"
    )

    assert signup.created
    assert signup.member.email == ""
    assert Member.objects.filter(email__iexact="naomi@example.com").get() == naomi
    assert not naomi.events.exists()
    assert "a member's at another club of the chain" in signup.task.details
    assert f"#{naomi.pk}" not in signup.task.details


def test_a_second_lead_on_a_known_mobile_has_it_on_the_call_task(
    frozen_clock, downtown, session, spin, tom
):
    first = sign_up(downtown, session)
    later = ClassSessionFactory(
        club=downtown,
        class_type=spin,
        trainer=tom,
        start=session.start + dt.timedelta(days=1),
    )

    second = sign_up(downtown, later, first_name="Bo", last_name="Other", email="bo@example.com")

    assert second.created and second.booking is not None
    assert second.task.details.endswith(
        f"Same phone as member #{first.member.pk}: check whether this is the same person "
        'before the trial (the card\'s "Possible duplicate" note names them).'
    )
    assert "Same phone" not in first.task.details


def test_consent_already_given_is_not_logged_twice(frozen_clock, downtown, session):
    ana = MemberFactory(
        home_club=downtown,
        first_name="Ana",
        last_name="Kovač",
        email="ana@example.com",
        sms_consent=True,
        email_consent=False,
    )

    sign_up(downtown, session, sms_consent=True, email_consent=True)

    assert list(ana.consent_log.values_list("channel", "wording")) == [
        ("email", "Email me, please.")
    ]


def test_no_box_ticked_logs_no_consent(frozen_clock, downtown, session):
    signup = sign_up(downtown, session, sms_consent=False, email_consent=False)

    assert not ConsentLog.objects.exists()
    assert (signup.member.sms_consent, signup.member.email_consent) == (False, False)


def test_a_full_class_is_an_error_and_nothing_is_saved(frozen_clock, downtown, session):
    session.capacity = 1
    session.save()
    BookingFactory(session=session)
    before = Member.objects.count()

    with pytest.raises(trials.TrialSignupError) as raised:
        sign_up(downtown, session)

    assert raised.value.code == "full"
    assert raised.value.field == "session"
    assert "just filled up" in raised.value.message
    assert Member.objects.count() == before
    assert not Booking.objects.filter(status="waitlisted").exists()
    assert not ConsentLog.objects.exists()
    assert not Task.objects.exists()


def test_a_member_signing_up_gets_no_trial_and_no_error_and_the_desk_calls(
    frozen_clock, downtown, session, maya
):
    # An error would tell whoever typed Maya's email that she is a member here.
    signup = sign_up(
        downtown,
        session,
        first_name="Maya",
        last_name="Jansen",
        email=maya.email,
        email_consent=True,
    )

    assert (signup.member, signup.created, signup.booking) == (maya, False, None)
    assert signup.not_booked == "Trial visits are for new visitors; please book as a member."
    assert not Booking.objects.exists()
    assert Member.objects.filter(home_club=downtown).count() == 1
    task = Task.objects.get()
    assert (task.member, task.title, task.status) == (
        maya,
        "Call Maya Jansen within 15 minutes",
        Task.Status.OPEN,
    )
    assert task.details.startswith(
        "Asked on the website for a free trial: Spin on Tue 24 Nov at 18:00 (Studio 2). "
        "Not booked: Trial visits are for new visitors; please book as a member."
    )
    event = maya.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP)
    assert dt.datetime.fromisoformat(event.data.pop("start")) == session.start
    assert event.data == {
        "source": "website",
        "booking": None,
        "session": session.pk,
        "class_name": "Spin",
        "reason": "not_trial_eligible",
    }
    assert timeline.details(event) == "Not booked: a member, or their free trial is used · Website"


def test_one_trial_per_person_and_one_open_call(frozen_clock, downtown, session, spin):
    first = sign_up(downtown, session)
    later = ClassSessionFactory(
        club=downtown, class_type=spin, start=session.start + dt.timedelta(days=1)
    )

    again = sign_up(downtown, later, sms_consent=False, email_consent=True)

    assert again.member == first.member
    assert again.booking is None
    assert again.not_booked == "You already have a trial class; one per person."
    assert list(Booking.objects.values_list("session", flat=True)) == [session.pk]
    # The call the first sign-up opened stands for this one; the timeline has both.
    assert list(Task.objects.all()) == [first.task]
    assert again.task == first.task
    assert list(first.member.consent_log.values_list("channel", "wording")) == [
        ("email", "Email me, please."),
        ("sms", "Text me, please."),
    ]
    event = first.member.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP)
    assert (event.data["session"], event.data["reason"]) == (later.pk, "not_trial_eligible")


def test_a_known_person_whose_call_is_done_gets_a_new_call(frozen_clock, downtown, session, fiona):
    first = sign_up(downtown, session)
    staff_tasks.complete(first.task, by=fiona)

    again = sign_up(downtown, None)

    assert again.task != first.task
    assert again.task.status == Task.Status.OPEN
    assert "no trial class was open" in again.task.details
    event = again.member.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP)
    assert event.data == {"source": "website", "booking": None, "reason": "no_class"}


def test_a_known_lead_signing_up_gets_the_trial_and_it_is_on_their_timeline(
    frozen_clock, downtown, session
):
    kim = MemberFactory(
        home_club=downtown, first_name="Kim", last_name="Bos", phone="+31612345678", email=""
    )

    signup = sign_up(
        downtown, session, first_name="Kim", last_name="Bos", phone="+31612345678", email=""
    )

    assert (signup.member, signup.created) == (kim, False)
    assert signup.booking.member == kim
    assert signup.not_booked == ""
    event = kim.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP)
    assert (event.data["booking"], event.data["reason"]) == (signup.booking.pk, "")


def test_an_erased_member_is_never_the_known_person(frozen_clock, downtown, session):
    # Erasure blanks the contact details; even were one left, the record is nobody's now.
    erased = MemberFactory(
        home_club=downtown, email="ana@example.com", erased_at=clock.now() - dt.timedelta(days=1)
    )

    signup = sign_up(downtown, session)

    assert signup.created
    assert signup.member != erased
    assert not erased.events.exists()
    assert not erased.consent_log.exists()


def test_a_class_of_another_club_is_refused(frozen_clock, downtown, riverside):
    theirs = ClassSessionFactory(club=riverside)

    with pytest.raises(trials.TrialSignupError):
        sign_up(downtown, theirs)

    assert nothing_saved()


def test_without_a_class_the_lead_and_the_call_still_happen(frozen_clock, downtown):
    signup = sign_up(downtown, None)

    assert signup.booking is None
    assert signup.member.status == "lead"
    assert signup.task.title == "Call Ana Kovač within 15 minutes"
    assert "no trial class was open" in signup.task.details


def test_offered_sessions_are_trial_eligible_open_for_booking_and_not_full(
    frozen_clock, downtown, riverside, spin
):
    boxing = ClassTypeFactory(club=downtown, name="Boxing", trial_eligible=False)
    now = clock.now()

    def make(minutes_from_now: int, **kwargs):
        start = now + dt.timedelta(minutes=minutes_from_now)
        kwargs.setdefault("club", downtown)
        kwargs.setdefault("class_type", spin)
        return ClassSessionFactory(start=start, end=start + dt.timedelta(hours=1), **kwargs)

    offered = make(60)
    last_day = make(14 * 24 * 60 - 1)
    make(10)  # booking closes 15 minutes before
    make(14 * 24 * 60 + 60)  # beyond the window
    make(60, class_type=boxing)
    make(60, is_cancelled=True)
    full = make(120, capacity=1)
    BookingFactory(session=full)
    make(60, club=riverside, class_type=ClassTypeFactory(club=riverside))

    assert trials.offered_sessions(downtown) == [offered, last_day]


def test_offered_sessions_respect_a_shorter_booking_window(frozen_clock, downtown, spin):
    downtown.booking_opens_days_ahead = 3
    downtown.save()
    soon = ClassSessionFactory(club=downtown, class_type=spin)
    start = clock.now() + dt.timedelta(days=4)
    ClassSessionFactory(
        club=downtown, class_type=spin, start=start, end=start + dt.timedelta(hours=1)
    )

    assert trials.offered_sessions(downtown) == [soon]


# --- the page -----------------------------------------------------------------------------


def form_data(chosen, **overrides):
    data = {
        "session": str(chosen.pk) if chosen else "",
        "first_name": "Ana",
        "last_name": "Kovač",
        "phone": "06 87654321",
        "email": "ana@example.com",
        "sms_consent": "on",
        "email_consent": "on",
        "consent_digest": trials.ConsentWordings(
            sms=DEFAULT_SMS_WORDING, email=DEFAULT_EMAIL_WORDING
        ).digest,
        HONEYPOT: "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def errors(response) -> dict[str, list[str]]:
    return {
        name: list(field_errors) for name, field_errors in response.context["form"].errors.items()
    }


def test_the_form_offers_the_classes_by_day_and_shows_the_consent_wording(
    client, frozen_clock, downtown, session
):
    response = client.get("/trial/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Tuesday 24 November">' in page
    assert (
        f'<option value="{session.pk}">Tue 24 Nov, 18:00 Spin with Tom · Studio 2 · 12 spots left'
        "</option>" in page
    )
    assert html.escape(DEFAULT_SMS_WORDING) in page
    assert html.escape(DEFAULT_EMAIL_WORDING) in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'name="{HONEYPOT}"' in page


def test_the_schedules_link_picks_the_class(client, frozen_clock, downtown, session):
    page = client.get("/trial/", {"session": session.pk}).content.decode()

    assert f'<option value="{session.pk}" selected>' in page
    assert 'id="session-notice"' not in page


def linked_class(downtown, riverside, spin, case: str) -> str:
    """The ?session= value of a link to a class the form does not offer, for each reason."""
    now = clock.now()
    if case in ("unknown", "huge", "garbage"):
        return {"unknown": "987654", "huge": "9" * 30, "garbage": "spin"}[case]
    start = {
        "started": now - dt.timedelta(minutes=5),
        "past": now - dt.timedelta(days=2),
        "closed": now + dt.timedelta(minutes=10),
        "far": now + dt.timedelta(days=20),
    }.get(case, now + dt.timedelta(days=2))
    club = riverside if case == "other_club" else downtown
    session = ClassSessionFactory(
        club=club,
        class_type=(
            ClassTypeFactory(club=club, trial_eligible=case != "boxing")
            if club != downtown or case == "boxing"
            else spin
        ),
        start=start,
        end=start + dt.timedelta(hours=1),
        capacity=1 if case == "full" else 12,
        is_cancelled=case == "cancelled",
    )
    if case == "full":
        BookingFactory(session=session)
    return str(session.pk)


@pytest.mark.parametrize(
    ("case", "notice"),
    [
        ("past", "That class has already started: choose another below."),
        ("started", "That class has already started: choose another below."),
        ("full", "That class is full: choose another below."),
        ("cancelled", "That class has been cancelled: choose another below."),
        ("closed", "Booking for that class has closed: choose another below."),
        ("boxing", "That class is not open for a free trial: choose another below."),
        ("far", "Trial places for that class open on Sun 29 Nov at 18:00: choose another below."),
        ("unknown", "We could not find that class: choose another below."),
        ("other_club", "We could not find that class: choose another below."),
        ("huge", "We could not find that class: choose another below."),
        ("garbage", "We could not find that class: choose another below."),
    ],
)
def test_a_linked_class_the_form_cannot_offer_says_why_and_the_form_stays(
    client, frozen_clock, downtown, riverside, spin, session, case, notice
):
    wanted = linked_class(downtown, riverside, spin, case)

    response = client.get("/trial/", {"session": wanted})

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<p class="alert" role="status" id="session-notice">{notice}</p>' in page
    # the form is there with the classes it does offer, none picked
    assert f'<option value="{session.pk}">' in page
    assert '<option value="" selected>' in page
    assert "Book my free class" in page


def test_a_linked_class_with_nothing_else_to_offer_says_why_and_still_takes_details(
    client, frozen_clock, downtown, spin
):
    start = clock.now() - dt.timedelta(hours=2)
    gone = ClassSessionFactory(
        club=downtown, class_type=spin, start=start, end=start + dt.timedelta(hours=1)
    )

    page = page_text(client.get("/trial/", {"session": gone.pk}))

    assert "That class has already started. No trial classes are open" in page
    assert "Call me back" in page


def test_a_sent_form_shows_no_link_notice(client, frozen_clock, downtown, session):
    response = client.post(f"/trial/?session={session.pk + 1000}", form_data(session, email=""))

    assert response.status_code == 200
    assert 'id="session-notice"' not in response.content.decode()


def test_signing_up_on_the_page_stores_the_wording_shown_and_thanks(
    client, frozen_clock, downtown, session
):
    shown = client.get("/trial/").content.decode()

    response = client.post("/trial/", form_data(session))

    assert response.status_code == 302
    assert response["Location"] == "/trial/thanks/"
    member = Member.objects.get(email="ana@example.com")
    assert str(member.phone) == "+31687654321"
    logged = dict(member.consent_log.values_list("channel", "wording"))
    assert logged == {"sms": DEFAULT_SMS_WORDING, "email": DEFAULT_EMAIL_WORDING}
    assert all(html.escape(wording) in shown for wording in logged.values())
    assert Booking.objects.get(member=member).is_trial
    assert Task.objects.filter(member=member, title="Call Ana Kovač within 15 minutes").exists()

    thanks = client.get(response["Location"])
    thanks_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", thanks.content.decode()))
    assert "Thank you, Ana!" in html.unescape(thanks_text)
    assert (
        "You asked for: Spin with Tom Tuesday 24 November at 18:00 · Studio 2 "
        "We confirm your place when we call you."
    ) in thanks_text
    assert "call you within 15 minutes" in thanks_text


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_a_sign_up_without_a_class_is_not_told_to_come_before_the_class(
    client, frozen_clock, downtown
):
    # no trial class open this fortnight: the form asks no class, and the desk calls
    response = client.post("/trial/", form_data(None))

    thanks = page_text(client.get(response["Location"]))
    assert "We have your details." in thanks
    assert "find a class that suits you" in thanks
    assert "before the class" not in thanks


@pytest.fixture
def walkin(downtown):
    """A lead the desk registered earlier, with the number Tina will type."""
    return MemberFactory(
        home_club=downtown,
        first_name="Walkin",
        last_name="Tester",
        email="walkin@example.com",
        phone="+31612345678",
        sms_consent=False,
        email_consent=False,
    )


TINA = {
    "first_name": "Tina",
    "last_name": "Newcomer",
    "phone": "06 12345678",
    "email": "tina.new@example.com",
    "sms_consent": None,
    "email_consent": "on",
}


def test_a_stranger_typing_a_known_phone_gets_a_lead_of_their_own(
    client, frozen_clock, downtown, session, walkin
):
    """The QA report: Tina typed a number another lead had, and got that lead's record."""
    walkin_events = list(walkin.events.values_list("pk", flat=True))

    response = client.post("/trial/", form_data(session, **TINA))

    assert response.status_code == 302
    tina = Member.objects.get(email="tina.new@example.com")
    assert tina != walkin
    assert (tina.full_name, str(tina.phone), tina.source) == (
        "Tina Newcomer",
        "+31612345678",
        "website",
    )
    assert (tina.sms_consent, tina.email_consent) == (False, True)
    assert list(tina.consent_log.values_list("channel", "wording")) == [
        ("email", DEFAULT_EMAIL_WORDING)
    ]
    assert Booking.objects.get(is_trial=True).member == tina
    assert Task.objects.get().title == "Call Tina Newcomer within 15 minutes"
    assert Task.objects.get().member == tina
    # Staff see the possible duplicate on Tina's timeline; nothing was merged.
    note = tina.events.get(kind=MemberEvent.Kind.SAME_PHONE)
    assert note.data == {"same_phone_as": [walkin.pk], "more": False}
    # Walkin's record is as it was.
    walkin.refresh_from_db()
    assert (walkin.full_name, walkin.email, walkin.sms_consent, walkin.email_consent) == (
        "Walkin Tester",
        "walkin@example.com",
        False,
        False,
    )
    assert not walkin.consent_log.exists()
    assert not walkin.bookings.exists()
    assert not walkin.tasks.exists()
    assert list(walkin.events.values_list("pk", flat=True)) == walkin_events

    thanks = page_text(client.get(response["Location"]))
    assert "Thank you, Tina!" in thanks
    assert "Walkin" not in thanks and "Tester" not in thanks


def test_the_thanks_page_greets_by_the_name_typed_not_the_name_on_record(
    client, frozen_clock, downtown, session
):
    # The same inbox and name is the same person, whose record may spell the name otherwise.
    known = MemberFactory(
        home_club=downtown,
        first_name="Tína",
        last_name="Newcomer",
        email="tina.new@example.com",
    )

    response = client.post(
        "/trial/", form_data(session, **{**TINA, "email": "TINA.NEW@example.com"})
    )

    assert Member.objects.filter(home_club=downtown).count() == 1
    assert Booking.objects.get(is_trial=True).member == known
    assert known.consent_log.get().channel == "email"
    thanks = page_text(client.get(response["Location"]))
    assert "Thank you, Tina!" in thanks
    assert "Tína" not in thanks


def test_a_thanks_page_from_an_older_session_greets_nobody_by_name(
    client, frozen_clock, downtown, session
):
    BookingFactory(session=session, member__first_name="Walkin")
    stored = client.session
    stored["cms_trial_booking"] = Booking.objects.get().pk  # kept before names were kept
    stored.save()

    thanks = page_text(client.get("/trial/thanks/"))

    assert "Thank you!" in thanks
    assert "Walkin" not in thanks


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"email": "tina.new@"}, "email"), ({"first_name": "  "}, "first_name")],
)
def test_bad_input_with_a_known_phone_saves_nothing_and_names_nobody(
    client, frozen_clock, downtown, session, walkin, overrides, field
):
    response = client.post("/trial/", form_data(session, **{**TINA, **overrides}))

    assert response.status_code == 200
    assert field in errors(response)
    assert "Walkin" not in response.content.decode()
    assert list(Member.objects.all()) == [walkin]
    assert not (Booking.objects.exists() or ConsentLog.objects.exists() or Task.objects.exists())


def test_texts_for_a_landline_are_refused_and_nothing_is_saved(
    client, frozen_clock, downtown, session
):
    # A trial reminder by SMS would go to a number no text reaches.
    response = client.post("/trial/", form_data(session, phone="020 123 4567"))

    assert response.status_code == 200
    assert errors(response) == {
        "sms_consent": [
            "SMS consent needs a mobile number: this is a landline, which texts do not reach."
        ]
    }
    assert not (Member.objects.exists() or Booking.objects.exists())


def test_a_landline_ticked_for_texts_shows_the_error_under_the_box_and_names_it_briefly(
    client, frozen_clock, downtown, session
):
    response = client.post("/trial/", form_data(session, phone="020 123 4567"))

    page = response.content.decode()
    message = "SMS consent needs a mobile number: this is a landline, which texts do not reach."
    # The error sits under the box the page opens on, and the box is described by it.
    assert f'<p class="field-error" id="id_sms_consent_error">{message}</p>' in page
    box = re.search(r'<input type="checkbox" name="sms_consent"[^>]*>', page)[0]
    assert 'aria-describedby="id_sms_consent_error"' in box
    assert 'aria-invalid="true"' in box
    assert autofocused(page) == ["id_sms_consent"]
    # The summary names the box briefly, not by its whole sentence.
    assert f'<a href="#id_sms_consent">SMS consent: {message}</a>' in page
    assert html.escape(DEFAULT_SMS_WORDING) + ":" not in page


def test_a_consent_box_without_an_error_has_no_error_under_it(
    client, frozen_clock, downtown, session
):
    response = client.post("/trial/", form_data(session, phone="020 123 4567", first_name=""))

    page = response.content.decode()
    assert 'id="id_email_consent_error"' not in page
    box = re.search(r'<input type="checkbox" name="email_consent"[^>]*>', page)[0]
    assert "aria-describedby" not in box


def test_a_landline_without_texts_ticked_signs_up(client, frozen_clock, downtown, session):
    response = client.post("/trial/", form_data(session, phone="020 123 4567", sms_consent=None))

    assert response.status_code == 302
    assert Member.objects.get().sms_consent is False


def test_edited_wording_in_the_settings_is_what_the_form_shows_and_stores(
    client, frozen_clock, downtown, session
):
    client.get("/")  # creates the settings row for the default site
    site_settings = ClubSiteSettings.objects.get()
    site_settings.sms_consent_wording = "Ja, stuur me sms'jes & aanbiedingen."
    site_settings.save()
    wordings = trials.ConsentWordings(
        sms=site_settings.sms_consent_wording, email=DEFAULT_EMAIL_WORDING
    )
    assert html.escape(wordings.sms) in client.get("/trial/").content.decode()

    client.post("/trial/", form_data(session, email_consent=None, consent_digest=wordings.digest))

    assert ConsentLog.objects.get().wording == "Ja, stuur me sms'jes & aanbiedingen."


def test_wording_changed_while_filling_in_is_refused(client, frozen_clock, downtown, session):
    client.get("/")
    stale = trials.ConsentWordings(sms=DEFAULT_SMS_WORDING, email=DEFAULT_EMAIL_WORDING).digest
    ClubSiteSettings.objects.update(sms_consent_wording="Something new.")

    response = client.post("/trial/", form_data(session, consent_digest=stale))

    assert response.status_code == 200
    assert "consent texts changed" in errors(response)["__all__"][0]
    assert nothing_saved()
    page = response.content.decode()
    assert 'name="sms_consent" id="id_sms_consent" checked' not in page
    assert "Something new." in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Tell us your first name."),
        ({"phone": ""}, "phone", "We need your number to confirm your class."),
        ({"phone": "12"}, "phone", "Enter a valid mobile number (e.g. 06 12345678)"),
        ({"email": "ana@"}, "email", "Enter a valid email address."),
        (
            {"email": ""},
            "email",
            "We need your email: it is how you sign in to manage your classes.",
        ),
        # valid in form, but longer than the column holds (a 500 on PostgreSQL before)
        (
            {"email": f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 60}.nl"},
            "email",
            "Ensure this value has at most 254 characters",
        ),
        ({"session": ""}, "session", "Pick the class you would like to try."),
        ({"session": "999999"}, "session", "That class is full or no longer open"),
    ],
)
def test_bad_input_shows_the_error_at_the_field_and_saves_nothing(
    client, frozen_clock, downtown, session, overrides, field, message
):
    response = client.post("/trial/", form_data(session, **overrides))

    assert response.status_code == 200
    assert errors(response)[field][0].startswith(message)
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert 'value="ana@example.com"' in page or field == "email"  # what was typed stays
    assert nothing_saved()


def autofocused(page: str) -> list[str]:
    """The ids of the elements the page opens with the focus on."""
    tags = re.findall(r"<[^<>]*\bautofocus\b[^<>]*>", page)
    return [re.search(r'\bid="([^"]+)"', tag)[1] for tag in tags]


def test_the_first_field_with_an_error_takes_the_focus_and_the_summary_links_each(
    client, frozen_clock, downtown, session
):
    response = client.post("/trial/", form_data(session, first_name="", email="ana@"))

    page = response.content.decode()
    assert autofocused(page) == ["id_first_name"]
    assert '<a href="#id_first_name">First name: Tell us your first name.</a>' in page
    assert '<a href="#id_email">Email: Enter a valid email address.</a>' in page
    assert "Please check these fields:" in page


def test_a_class_refused_by_the_booking_service_takes_the_focus(
    client, frozen_clock, downtown, session
):
    # given the class filled up after the form was shown: the service refuses it
    session.capacity = 1
    session.save()
    BookingFactory(session=session)

    page = client.post("/trial/", form_data(session)).content.decode()

    assert autofocused(page) == ["id_session"]
    assert "Please check this field:" in page


def test_an_error_about_the_whole_form_focuses_the_summary(client, frozen_clock, downtown, session):
    # given consent texts edited while the visitor filled in the form
    page = client.post("/trial/", form_data(session, consent_digest="0" * 16)).content.decode()

    assert autofocused(page) == ["form-errors"]
    assert "Our consent texts changed" in page


def test_a_form_without_errors_takes_no_focus(client, frozen_clock, downtown, session):
    page = client.get("/trial/").content.decode()

    assert autofocused(page) == []
    assert 'id="form-errors"' not in page


def test_a_class_that_filled_up_after_the_form_was_shown(client, frozen_clock, downtown, session):
    client.get("/trial/")
    session.capacity = 1
    session.save()
    BookingFactory(session=session)

    response = client.post("/trial/", form_data(session))

    assert response.status_code == 200
    assert errors(response)["session"] == [
        "That class is full or no longer open for a trial. Please pick another time."
    ]
    assert nothing_saved()


@pytest.mark.parametrize("who", ["member", "trial used", "booked already"])
def test_a_known_person_the_trial_refuses_gets_the_thanks_a_stranger_gets(
    client, frozen_clock, downtown, session, spin, maya, who
):
    """Nothing on the page tells whoever typed an email that the club knows it."""
    stranger = Client()
    stranger_response = stranger.post("/trial/", form_data(session, first_name="Maya"))
    if who == "trial used":
        maya.status = Member.Status.LEAD
        maya.save()
        BookingFactory(member=maya, session__club=downtown, is_trial=True)
    elif who == "booked already":
        BookingFactory(member=maya, session=session)

    response = client.post(
        "/trial/",
        form_data(
            session, first_name="Maya", last_name="Jansen", phone="06 12345678", email=maya.email
        ),
    )

    assert (response.status_code, response["Location"]) == (302, "/trial/thanks/")
    assert (stranger_response.status_code, stranger_response["Location"]) == (302, "/trial/thanks/")
    thanks = page_text(client.get("/trial/thanks/"))
    assert thanks == page_text(stranger.get("/trial/thanks/"))
    assert "Thank you, Maya! You asked for: Spin with Tom" in thanks
    # The desk hears why, and calls.
    assert not maya.bookings.filter(session=session, is_trial=True).exists()
    assert "Not booked: " in Task.objects.get(member=maya).details
    assert maya.events.get(kind=MemberEvent.Kind.TRIAL_SIGNUP).data["reason"] in {
        "not_trial_eligible",
        "already_booked",
    }


def test_a_known_lead_typing_their_phone_the_local_way_is_not_duplicated(
    client, frozen_clock, downtown, session, fiona
):
    """The QA report: Kim, a walk-in lead with an open call task, signs up on the website."""
    kim = MemberFactory(
        home_club=downtown, first_name="Kim", last_name="de Wit", phone="+31612345678", email=""
    )
    call = staff_tasks.open_task(kim, title="Call Kim de Wit", due_in=dt.timedelta(minutes=15))

    response = client.post(
        "/trial/",
        form_data(
            session,
            first_name="kim",
            last_name="De Wit",
            phone="06 12345678",
            email="kim@example.com",
            email_consent=None,
        ),
    )

    assert response.status_code == 302
    assert list(Member.objects.all()) == [kim]
    kim.refresh_from_db()
    assert kim.email == "kim@example.com"  # a detail we lacked is kept
    assert Booking.objects.get().member == kim
    assert list(kim.consent_log.values_list("channel", "source", "wording")) == [
        ("sms", "trial form", DEFAULT_SMS_WORDING)
    ]
    assert list(Task.objects.all()) == [call]  # her open call stands for the new one
    assert kim.events.filter(kind=MemberEvent.Kind.TRIAL_SIGNUP).count() == 1
    assert not kim.events.filter(kind=MemberEvent.Kind.LEAD_CREATED).exists()


def test_the_text_fields_say_their_limits_in_the_html(client, frozen_clock, downtown, session):
    page = client.get("/trial/").content.decode()

    # The model's lengths: what the form accepts is what a Member can hold.
    for name, limit in (("first_name", 80), ("last_name", 80), ("phone", 128), ("email", 254)):
        assert re.search(rf'<input [^>]*name="{name}"[^>]*maxlength="{limit}"', page), name


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("first_name", "A" * 300, "Ensure this value has at most 80 characters (it has 300)."),
        ("last_name", "K" * 81, "Ensure this value has at most 80 characters (it has 81)."),
        (
            "email",
            "a" * 250 + "@example.com",
            "Ensure this value has at most 254 characters (it has 262).",
        ),
        ("phone", "06 " + "1" * 300, "Ensure this value has at most 128 characters (it has 303)."),
    ],
)
def test_over_long_input_is_a_field_error_and_nothing_is_cut_or_saved(
    client, frozen_clock, downtown, session, field, value, error
):
    response = client.post("/trial/", form_data(session, **{field: value}))

    assert response.status_code == 200
    assert error in errors(response)[field]
    assert nothing_saved()


def test_a_name_of_exactly_the_limit_is_kept_whole(client, frozen_clock, downtown, session):
    response = client.post("/trial/", form_data(session, first_name="A" * 80))

    assert response.status_code == 302
    assert Member.objects.get().first_name == "A" * 80


def test_the_honeypot_thanks_the_bot_and_keeps_nothing(client, frozen_clock, downtown, session):
    response = client.post("/trial/", form_data(session, **{HONEYPOT: "http://spam.example"}))

    assert response.status_code == 302
    assert response["Location"] == "/trial/thanks/"
    assert nothing_saved()
    assert "Thank you!" in client.get("/trial/thanks/").content.decode()


def test_the_form_needs_the_csrf_token(frozen_clock, downtown, session):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/trial/", form_data(session))

    assert response.status_code == 403
    assert nothing_saved()


def test_with_no_trial_classes_the_page_still_takes_the_details(client, frozen_clock, downtown):
    page = client.get("/trial/").content.decode()
    assert "No trial classes are open in the next two weeks" in page
    assert 'name="session"' not in page

    response = client.post("/trial/", form_data(None))

    assert response.status_code == 302
    member = Member.objects.get(email="ana@example.com")
    assert not member.bookings.exists()
    assert member.tasks.count() == 1


# --- a chain's second site -------------------------------------------------------------------


@pytest.fixture
def second_site(downtown):
    """A second Wagtail site on the same page tree, as the demo's sites share one, showing
    Downtown (a site other than the default one shows no club until one is chosen)."""
    default = Site.objects.get(is_default_site=True)
    site = Site.objects.create(hostname="127.0.0.1", port=8073, root_page=default.root_page)
    chosen = ClubSiteSettings.for_site(site)
    chosen.club = downtown
    chosen.save()
    return site


def test_signing_up_on_a_second_site_stays_on_that_site(
    client, frozen_clock, downtown, session, second_site
):
    response = client.post("/trial/", form_data(session), HTTP_HOST="127.0.0.1:8073")

    # It was http://localhost/trial/thanks/, the first site's address.
    assert (response.status_code, response["Location"]) == (302, "/trial/thanks/")
    thanks = client.get("/trial/thanks/", HTTP_HOST="127.0.0.1:8073")
    assert "Thank you, Ana!" in page_text(thanks)


@pytest.mark.parametrize("host", ["127.0.0.1:8073", "[::1]"], ids=["second-site", "no-site"])
def test_the_honeypot_and_a_direct_thank_you_stay_on_the_host(
    client, frozen_clock, downtown, session, second_site, host
):
    # "[::1]" is an allowed host that no Wagtail site names: the default site answers it.
    bot = client.post("/trial/", form_data(session, **{HONEYPOT: "x"}), HTTP_HOST=host)
    direct = Client().get("/trial/thanks/", HTTP_HOST=host)

    assert bot["Location"] == "/trial/thanks/"
    assert direct["Location"] == "/trial/"
