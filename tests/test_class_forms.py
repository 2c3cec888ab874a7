"""The back-office's class session and timetable forms: which class types and trainers they
offer, and what they refuse. Staff of several clubs see each club's "Core" labelled with its
club; only Trainers teach, whatever else the staff of a club do."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from checkin.models import ClassSession, ClassTemplate
from club import clock, roles
from tests.factories import BookingFactory, ClassSessionFactory, ClassTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMS = ["class_sessions:add", "class_templates:add"]


def options(response, field: str) -> list[str]:
    """The labels of a select's options, the empty one left out."""
    assert response.status_code == 200, response.status_code
    select = re.search(
        rf'<select name="{field}"[^>]*>(.*?)</select>', response.content.decode(), re.S
    )
    labels = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select[1])
    return [label.replace("&#x27;", "'") for label in labels]


@pytest.fixture
def cores(downtown, riverside):
    return ClassTypeFactory(club=downtown, name="Core"), ClassTypeFactory(
        club=riverside, name="Core"
    )


@pytest.fixture
def rob(riverside):
    """Riverside's trainer."""
    return UserFactory(
        first_name="Rob", last_name="de Boer", clubs=[riverside], roles=[roles.TRAINER]
    )


@pytest.fixture
def area_manager(downtown, riverside):
    return UserFactory(
        first_name="Anna", last_name="Kok", clubs=[downtown, riverside], roles=[roles.MANAGER]
    )


def session_data(club, class_type, trainer, **changes) -> dict:
    return {
        "club": club.pk,
        "class_type": class_type.pk,
        "trainer": trainer.pk if trainer else "",
        "room": "Studio 1",
        "start": "2026-11-24 18:00",
        "end": "2026-11-24 19:00",
        "capacity": 12,
        **changes,
    }


@pytest.mark.parametrize("form", FORMS)
def test_a_manager_of_one_club_is_offered_its_class_types_and_trainers(
    client, max, fiona, mia, tom, rob, cores, form
):
    client.force_login(max)

    response = client.get(reverse(form))

    assert options(response, "class_type") == ["Core"]
    # Fiona (front desk), Mia (marketing) and Max (manager) work there but do not teach.
    assert options(response, "trainer") == ["Tom Bakker"]


@pytest.mark.parametrize("form", FORMS)
def test_staff_of_two_clubs_see_which_club_each_choice_belongs_to(
    client, area_manager, tom, rob, olga, cores, form
):
    UserFactory(first_name="Tess", last_name="Smit", clubs=[], roles=[roles.TRAINER])
    client.force_login(area_manager)

    response = client.get(reverse(form))

    assert options(response, "class_type") == ["Core (Downtown)", "Core (Riverside)"]
    assert options(response, "trainer") == ["Rob de Boer (Riverside)", "Tom Bakker (Downtown)"]


def test_a_trainer_of_both_clubs_is_labelled_with_both(client, area_manager, tom, riverside):
    tom.clubs.add(riverside)
    client.force_login(area_manager)

    response = client.get(reverse("class_sessions:add"))

    assert options(response, "trainer") == ["Tom Bakker (Downtown, Riverside)"]


def test_a_session_is_created_with_a_trainer_of_its_club(client, max, downtown, tom, cores):
    client.force_login(max)

    response = client.post(reverse("class_sessions:add"), session_data(downtown, cores[0], tom))

    assert response.status_code == 302
    assert ClassSession.objects.get().trainer == tom


def test_a_session_given_by_someone_who_is_not_a_trainer_is_refused(
    client, max, downtown, fiona, cores
):
    client.force_login(max)

    # Fiona is not offered; a crafted post names her anyway.
    response = client.post(reverse("class_sessions:add"), session_data(downtown, cores[0], fiona))

    assert response.status_code == 200
    assert response.context["form"].errors["trainer"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not ClassSession.objects.exists()


def test_a_trainer_of_another_club_is_refused_for_this_one(
    client, area_manager, downtown, rob, cores
):
    client.force_login(area_manager)

    response = client.post(reverse("class_sessions:add"), session_data(downtown, cores[0], rob))

    assert response.status_code == 200
    assert response.context["form"].errors["trainer"] == ["Rob de Boer is not on Downtown's staff."]
    assert not ClassSession.objects.exists()


def test_a_class_type_of_another_club_is_refused(client, area_manager, downtown, tom, cores):
    client.force_login(area_manager)

    response = client.post(reverse("class_sessions:add"), session_data(downtown, cores[1], tom))

    assert response.status_code == 200
    assert response.context["form"].errors["class_type"] == ["Core is a class type of Riverside."]


def test_a_superuser_who_does_not_teach_is_refused_as_trainer(client, downtown, cores):
    boss = UserFactory(is_superuser=True, is_staff=True, clubs=[downtown])
    client.force_login(boss)

    response = client.post(reverse("class_sessions:add"), session_data(downtown, cores[0], boss))

    assert response.context["form"].errors["trainer"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_a_class_given_by_a_non_trainer_before_the_rule_still_saves(
    client, frozen_clock, max, downtown, fiona, cores
):
    # given a class whose trainer was set to Fiona before only trainers were offered
    session = ClassSessionFactory(club=downtown, class_type=cores[0], trainer=fiona)
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[session.pk]),
        session_data(downtown, cores[0], fiona, room="Studio 9"),
    )

    # then moving its room does not make staff pick a trainer first
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.room, session.trainer) == ("Studio 9", fiona)


# --- the Sessions and Timetable listings' trainer filter --------------------------------------

LISTINGS = ["class_sessions:index", "class_templates:index"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_the_trainer_filter_offers_only_the_trainers_of_the_staff_members_clubs(
    client, max, fiona, mia, tom, rob, listing
):
    client.force_login(max)

    response = client.get(reverse(listing))

    # Fiona (front desk), Mia (marketing) and Max (manager) work there but do not teach; Rob
    # teaches at Riverside.
    assert options(response, "trainer") == ["Tom Bakker"]


def test_the_sessions_listing_filters_by_a_trainer(client, max, downtown, tom):
    dana = UserFactory(
        first_name="Dana", last_name="Visser", clubs=[downtown], roles=[roles.TRAINER]
    )
    toms = ClassSessionFactory(club=downtown, trainer=tom)
    ClassSessionFactory(club=downtown, trainer=dana)
    client.force_login(max)

    response = client.get(reverse("class_sessions:index"), {"trainer": tom.pk})

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [toms]


@pytest.mark.parametrize("listing", LISTINGS)
def test_filtering_by_someone_who_does_not_teach_is_refused(client, max, fiona, listing):
    client.force_login(max)

    response = client.get(reverse(listing), {"trainer": fiona.pk})

    assert response.status_code == 200
    assert response.context["filters"].errors["trainer"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


# --- saving a timetable slot makes and moves its classes at once ------------------------------


def slot_data(club, class_type, trainer, **changes) -> dict:
    return {
        "club": club.pk,
        "class_type": class_type.pk,
        "trainer": trainer.pk if trainer else "",
        "room": "Studio 1",
        "weekday": 3,  # Thursday
        "start_time": "09:00",
        "duration_minutes": 60,
        "capacity": 12,
        "starts_on": "2026-11-01",
        "ends_on": "",
        "is_active": "on",
        **changes,
    }


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_new_slot_has_classes_to_book_at_once(client, frozen_clock, max, downtown, tom, cores):
    client.force_login(max)

    response = client.post(
        reverse("class_templates:add"), slot_data(downtown, cores[0], tom), follow=True
    )

    assert ClassSession.objects.filter(club=downtown, trainer=tom).count() == 4
    assert any(
        "Classes in the next 4 weeks: 4 created." in message for message in shown_messages(response)
    )


def test_a_moved_slot_says_which_classes_keep_their_old_time(
    client, frozen_clock, max, downtown, tom, cores
):
    client.force_login(max)
    client.post(reverse("class_templates:add"), slot_data(downtown, cores[0], tom))
    yoga = ClassTemplate.objects.get()
    BookingFactory(session=ClassSession.objects.earliest("start"), is_trial=True)

    response = client.post(
        reverse("class_templates:edit", args=[yoga.pk]),
        slot_data(downtown, cores[0], tom, start_time="09:30"),
        follow=True,
    )

    shown = shown_messages(response)
    assert any("Classes in the next 4 weeks: 3 changed." in message for message in shown)
    warning = next(m for m in shown if "with bookings" in m)
    assert "1 class with bookings keeps its old time: move or cancel it under Sessions." in warning
    assert f'href="{reverse("class_sessions:index")}?class_type={cores[0].pk}"' in warning
    assert sorted(
        s.astimezone(clock.zone(downtown)).time()
        for s in ClassSession.objects.values_list("start", flat=True)
    ) == [dt.time(9, 0), dt.time(9, 30), dt.time(9, 30), dt.time(9, 30)]


def test_a_turned_off_slot_leaves_the_schedule(client, frozen_clock, max, downtown, tom, cores):
    client.force_login(max)
    client.post(reverse("class_templates:add"), slot_data(downtown, cores[0], tom))
    yoga = ClassTemplate.objects.get()

    response = client.post(
        reverse("class_templates:edit", args=[yoga.pk]),
        {**slot_data(downtown, cores[0], tom), "is_active": ""},
        follow=True,
    )

    assert not ClassSession.objects.exists()
    assert any("Classes in the next 4 weeks: 4 removed." in m for m in shown_messages(response))


def test_a_refused_slot_makes_no_classes(client, frozen_clock, area_manager, downtown, rob, cores):
    client.force_login(area_manager)

    response = client.post(reverse("class_templates:add"), slot_data(downtown, cores[0], rob))

    assert response.status_code == 200
    assert response.context["form"].errors["trainer"] == ["Rob de Boer is not on Downtown's staff."]
    assert not ClassTemplate.objects.exists()
    assert not ClassSession.objects.exists()
