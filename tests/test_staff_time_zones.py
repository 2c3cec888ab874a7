"""The back-office runs on the staff member's club clock (club/time_zones.py).

Harbour is a club in Lisbon, with its own desk (Hana) and manager (Henk), and none of them has
chosen a zone in their Wagtail profile. In November Lisbon is on UTC and Amsterdam an hour
ahead: the frozen clock's 17:00 UTC is 17:00 at Harbour and 18:00 at Downtown.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.users.models import UserProfile

from checkin.models import ClassSession
from club import hours, roles, staff
from club.models import OpeningHours
from cms import trials
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    ClubFactory,
    MemberEventFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    UserFactory,
    VisitFactory,
)

LISBON = ZoneInfo("Europe/Lisbon")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Tuesday 24 Nov, 12:00 UTC: noon in Lisbon, 13:00 in Amsterdam.
NOON_UTC = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def harbour(db):
    return ClubFactory(name="Harbour", slug="harbour", time_zone="Europe/Lisbon")


@pytest.fixture
def hana(harbour):
    return UserFactory(
        first_name="Hana", last_name="Costa", clubs=[harbour], roles=[roles.FRONT_DESK]
    )


@pytest.fixture
def henk(harbour):
    return UserFactory(first_name="Henk", last_name="Silva", clubs=[harbour], roles=[roles.MANAGER])


@pytest.fixture
def rita(harbour):
    return MemberFactory(home_club=harbour, first_name="Rita", last_name="Sousa")


@pytest.fixture
def area_desk(downtown, harbour):
    """Front desk at Downtown (Amsterdam) and Harbour (Lisbon)."""
    return UserFactory(
        first_name="Ada", last_name="Lopes", clubs=[downtown, harbour], roles=[roles.FRONT_DESK]
    )


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def add_session(client, club, start: str) -> ClassSession:
    class_type = ClassTypeFactory(club=club, name="Pilates")
    response = client.post(
        reverse("class_sessions:add"),
        {
            "club": club.pk,
            "class_type": class_type.pk,
            "trainer": "",
            "room": "Studio 1",
            "start": start,
            "end": start.replace("12:00", "13:00"),
            "capacity": 12,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    return ClassSession.objects.get(club=club)


def choose_zone(user, zone: str) -> None:
    profile = UserProfile.get_for_user(user)
    profile.current_time_zone = zone
    profile.save()


# --- Harbour's own staff see and type Lisbon times ----------------------------------------


def test_the_desk_books_and_lists_a_class_at_its_lisbon_time(
    client, frozen_clock, harbour, hana, rita
):
    plan = PlanFactory(club=harbour, name="Monthly")
    MembershipFactory(member=rita, plan=plan, start=dt.date(2026, 11, 1))
    spin = ClassSessionFactory(club=harbour, class_type__name="Spin")  # tomorrow 18:00 Lisbon
    assert spin.start == dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)
    client.force_login(hana)

    response = client.post(reverse("desk:book_class", args=[rita.pk]), {"session": spin.pk})
    page = text(client.get(reverse("desk:book_class", args=[rita.pk])))

    assert said(response) == ["Rita is booked for Spin on Tue 24 Nov, 18:00."]
    assert "Tue 24 Nov, 18:00" in page  # the booking table says what the message said
    assert "19:00" not in page


def test_the_tasks_screen_shows_the_due_time_the_title_names(client, harbour, hana):
    OpeningHours.objects.bulk_create(hours.default_week(harbour))  # opens 06:30 on weekdays
    with time_machine.travel(dt.datetime(2026, 11, 24, 3, 23, tzinfo=LISBON), tick=False):
        signup = trials.sign_up_for_trial(
            harbour,
            first_name="Lea",
            last_name="Visser",
            phone="+351912345678",
            session=None,
            wordings=trials.ConsentWordings(sms="SMS?", email="Email?"),
        )
    assert signup.task.due_at == dt.datetime(2026, 11, 24, 6, 45, tzinfo=dt.UTC)
    client.force_login(hana)

    with time_machine.travel(dt.datetime(2026, 11, 24, 6, 35, tzinfo=dt.UTC), tick=False):
        page = text(client.get(reverse("desk:tasks")))

    assert "Call Lea Visser by 06:45, within 15 minutes of opening Due 06:45" in page
    assert "07:45" not in page and "Lisbon" not in page  # her own clock: no zone named


def test_the_timeline_recent_check_ins_and_home_page_are_on_lisbon_time(
    client, frozen_clock, harbour, hana, henk, rita
):
    MemberEventFactory(member=rita, data={"text": "Asked about Pilates."})
    VisitFactory(member=rita)
    client.force_login(hana)

    timeline = text(client.get(reverse("timeline:index")))
    desk = text(client.get(reverse("desk:desk")))
    card = text(client.get(reverse("desk:member", args=[rita.pk])))
    client.force_login(henk)
    figures = text(
        client.get(reverse("analytics:key_figures", args=["harbour"]), HTTP_HX_REQUEST="true")
    )

    assert "23 Nov 2026, 17:00" in timeline and "18:00" not in timeline
    assert "17:00" in desk and "18:00" not in desk
    assert "17:00" in card and "18:00" not in card
    assert "As of 17:00" in figures  # on the home page


def test_a_session_added_at_noon_starts_at_noon_in_lisbon(client, frozen_clock, harbour, henk):
    client.force_login(henk)

    session = add_session(client, harbour, "2026-11-24 12:00")
    form = client.get(reverse("class_sessions:edit", args=[session.pk])).content.decode()

    assert session.start == NOON_UTC
    assert 'value="2026-11-24 12:00"' in form or 'value="2026-11-24T12:00"' in form


def test_a_session_time_that_is_no_time_is_refused_whatever_the_zone(
    client, frozen_clock, harbour, henk
):
    client.force_login(henk)
    class_type = ClassTypeFactory(club=harbour)

    response = client.post(
        reverse("class_sessions:add"),
        {
            "club": harbour.pk,
            "class_type": class_type.pk,
            "room": "Studio 1",
            "start": "2026-11-24 25:00",
            "end": "2026-11-24 26:00",
            "capacity": 12,
        },
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"start", "end"}
    assert not ClassSession.objects.exists()


# --- everyone else --------------------------------------------------------------------------


def test_amsterdam_staff_see_and_type_amsterdam_times(client, frozen_clock, downtown, max):
    client.force_login(max)

    session = add_session(client, downtown, "2026-11-24 12:00")

    assert session.start == NOON_UTC - dt.timedelta(hours=1)


def test_a_zone_chosen_in_the_profile_wins_over_the_clubs(client, frozen_clock, harbour, henk):
    choose_zone(henk, "Europe/Amsterdam")
    client.force_login(henk)

    # The form reads Harbour's class on Harbour's clock; the list is on Amsterdam's, so it
    # names Lisbon's.
    session = add_session(client, harbour, "2026-11-24 12:00")
    listing = text(client.get(reverse("class_sessions:index")))

    assert session.start == NOON_UTC
    assert "24 Nov 2026, 12:00 Lisbon" in listing
    assert UserProfile.get_for_user(henk).current_time_zone == "Europe/Amsterdam"


def test_the_clubs_zone_is_never_saved_in_the_profile(client, frozen_clock, harbour, henk):
    choose_zone(henk, "")
    client.force_login(henk)

    add_session(client, harbour, "2026-11-24 12:00")
    account = client.get(reverse("wagtailadmin_account"))

    assert account.status_code == 200
    assert UserProfile.get_for_user(henk).current_time_zone == ""


def test_a_superuser_gets_the_default_zone_even_on_a_lisbon_clubs_staff(
    client, frozen_clock, harbour
):
    boss = UserFactory(is_superuser=True, clubs=[harbour])
    client.force_login(boss)

    session = add_session(client, harbour, "2026-11-24 12:00")
    listing = text(client.get(reverse("class_sessions:index")))

    assert session.start == NOON_UTC  # typed on Harbour's clock, the form's club
    assert "24 Nov 2026, 12:00 Lisbon" in listing  # read on the default zone's


def test_staff_of_no_club_get_the_default_zone(client, frozen_clock, harbour, henk):
    henk.clubs.clear()
    client.force_login(henk)

    page = client.get(reverse("wagtailadmin_home"))

    assert page.status_code == 200
    assert page.wsgi_request.user.wagtail_userprofile.get_current_time_zone() == "Europe/Amsterdam"


def test_staff_added_on_the_staff_screen_store_no_zone_and_see_their_clubs(
    client, frozen_clock, harbour, henk
):
    # given Henk adds Ines through the Staff screen's service
    ines = staff.add(
        by=henk,
        username="ines",
        first_name="Ines",
        last_name="Reis",
        email="ines@example.com",
        role_names=[roles.MANAGER],
        clubs=[harbour],
    )

    # when she signs in and adds a class at noon
    client.force_login(ines)
    session = add_session(client, harbour, "2026-11-24 12:00")

    # then it is noon in Lisbon, and her profile, if any, names no zone
    assert session.start == NOON_UTC
    assert not UserProfile.objects.filter(user=ines).exclude(current_time_zone="").exists()


# --- staff of clubs in two zones --------------------------------------------------------------


def test_staff_of_two_zones_see_the_desks_club_on_the_desk(
    client, frozen_clock, downtown, harbour, area_desk, rita
):
    BookingFactory(session=ClassSessionFactory(club=harbour, class_type__name="Spin"), member=rita)
    VisitFactory(member=rita)
    VisitFactory(member=MemberFactory(home_club=downtown))
    client.force_login(area_desk)

    at_harbour = text(client.get(reverse("desk:desk"), {"club": "harbour"}))
    card = text(client.get(reverse("desk:book_class", args=[rita.pk])))  # the desk remembers
    at_downtown = text(client.get(reverse("desk:desk"), {"club": "downtown"}))

    assert "17:00" in at_harbour and "18:00" not in at_harbour  # the clock on the desk
    assert "Tue 24 Nov, 18:00" in card
    assert "17:00" not in at_downtown and "18:00" in at_downtown


def test_staff_of_two_zones_get_the_default_off_the_desk(client, frozen_clock, downtown, harbour):
    area_manager = UserFactory(clubs=[downtown, harbour], roles=[roles.MANAGER])
    client.force_login(area_manager)
    client.get(reverse("desk:desk"), {"club": "harbour"})

    # The sessions screen is at no one club: its page runs on the default zone's clock,
    # and its form on the clock of the club it chooses.
    session = add_session(client, harbour, "2026-11-24 12:00")
    listing = text(client.get(reverse("class_sessions:index")))

    assert session.start == NOON_UTC
    assert "24 Nov 2026, 12:00 Lisbon" in listing


def test_a_task_shows_its_clubs_due_time_to_staff_on_another_clubs_clock(
    client, downtown, harbour, area_desk
):
    OpeningHours.objects.bulk_create(hours.default_week(harbour))
    with time_machine.travel(dt.datetime(2026, 11, 24, 3, 23, tzinfo=LISBON), tick=False):
        signup = trials.sign_up_for_trial(
            harbour,
            first_name="Lea",
            last_name="Visser",
            phone="+351912345678",
            session=None,
            wordings=trials.ConsentWordings(sms="SMS?", email="Email?"),
        )
    client.force_login(area_desk)
    client.get(reverse("desk:desk"), {"club": "downtown"})  # the page runs on Amsterdam's clock

    with time_machine.travel(dt.datetime(2026, 11, 24, 6, 35, tzinfo=dt.UTC), tick=False):
        page = text(client.get(reverse("desk:tasks")))
        card = text(client.get(reverse("desk:member", args=[signup.member.pk])))

    # on Harbour's clock, and named so, since the page runs on Amsterdam's
    assert "by 06:45, within 15 minutes of opening Due 06:45 Lisbon" in page
    assert "by 06:45, within 15 minutes of opening Due 06:45 Lisbon" in card
    assert "Due 07:45" not in page + card


def test_a_club_not_theirs_on_the_desk_is_not_found_and_lends_no_zone(
    client, frozen_clock, downtown, harbour, area_desk
):
    ClubFactory(name="Porto", slug="porto", time_zone="Europe/Lisbon")
    client.force_login(area_desk)

    response = client.get(reverse("desk:desk"), {"club": "porto"})

    assert response.status_code == 404
    assert response.wsgi_request.user.wagtail_userprofile.get_current_time_zone() == (
        "Europe/Amsterdam"
    )
