"""Numbers on the club's settings and a class have upper bounds: beyond them they are typos
(99999999 grace days broke the renewal report's date arithmetic), refused at the field."""

import pytest
from django.apps import apps
from django.db.models import CheckConstraint
from django.urls import reverse

from checkin.models import ClassTemplate
from memberships.models import Plan
from tests.factories import ClassSessionFactory, ClassTypeFactory
from tests.test_admin_screens import club_form


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("renewal_grace_days", 99999999, "Ensure this value is less than or equal to 365."),
        ("max_freeze_days", 366, "Ensure this value is less than or equal to 365."),
        ("late_cancel_minutes", 1441, "Ensure this value is less than or equal to 1440."),
    ],
)
def test_a_club_setting_past_its_bound_is_a_field_error(
    client, max, downtown, field, value, message
):
    client.force_login(max)
    before = getattr(downtown, field)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), club_form(downtown, **{field: value})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    downtown.refresh_from_db()
    assert getattr(downtown, field) == before


def test_a_year_of_grace_days_is_still_a_setting(client, max, downtown):
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), club_form(downtown, renewal_grace_days=365)
    )

    assert response.status_code == 302
    downtown.refresh_from_db()
    assert downtown.renewal_grace_days == 365


def class_form(session, **changes) -> dict:
    """The class edit form as the browser posts it, with `changes`."""
    return {
        "club": session.club_id,
        "class_type": session.class_type_id,
        "trainer": session.trainer_id,
        "room": session.room,
        "start": f"{session.start:%Y-%m-%dT%H:%M}",
        "end": f"{session.end:%Y-%m-%dT%H:%M}",
        **changes,
    }


def test_a_class_of_a_hundred_thousand_is_refused(client, frozen_clock, max, downtown, tom):
    session = ClassSessionFactory(club=downtown, trainer=tom)
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[session.pk]),
        class_form(session, capacity=100000),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "Ensure this value is less than or equal to 1000."
    ]
    session.refresh_from_db()
    assert session.capacity != 100000


# --- least values: the field's own, not a constraint's name ------------------------------------


def plan_form(club, **changes) -> dict:
    return {
        "club": club.pk,
        "name": "Monthly",
        "kind": Plan.Kind.TIME,
        "price": "49.00",
        "duration_days": 30,
        "visits_included": "",
        "allows_classes": "on",
        "stripe_price_id": "",
        "is_active": "on",
        **changes,
    }


@pytest.mark.parametrize("days", [0, -3])
def test_a_plan_of_no_days_is_a_field_error_on_its_duration(client, max, downtown, days):
    client.force_login(max)

    response = client.post(reverse("plans:add"), plan_form(downtown, duration_days=days))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"duration_days": ["Ensure this value is greater than or equal to 1."]}
    assert not Plan.objects.filter(name="Monthly").exists()


def test_a_plan_of_one_day_saves_and_the_box_asks_for_one_at_least(client, max, downtown):
    client.force_login(max)

    form = client.get(reverse("plans:add")).context["form"]
    response = client.post(reverse("plans:add"), plan_form(downtown, duration_days=1))

    assert form.fields["duration_days"].widget.attrs["min"] == 1
    assert response.status_code == 302
    assert Plan.objects.get(name="Monthly").duration_days == 1


@pytest.mark.parametrize("capacity", [0, -5])
def test_a_class_of_no_seats_says_the_least_once(
    client, frozen_clock, max, downtown, tom, capacity
):
    # given a class of 12
    session = ClassSessionFactory(club=downtown, trainer=tom, capacity=12)
    client.force_login(max)

    # when its capacity is set to nothing, or less
    response = client.post(
        reverse("class_sessions:edit", args=[session.pk]),
        class_form(session, capacity=capacity),
    )

    # then both are refused with the same least value
    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    session.refresh_from_db()
    assert session.capacity == 12


@pytest.mark.parametrize("minutes", [0, -1])
def test_a_timetable_slot_of_no_minutes_is_a_field_error(
    client, frozen_clock, max, downtown, tom, minutes
):
    class_type = ClassTypeFactory(club=downtown)
    client.force_login(max)

    response = client.post(
        reverse("class_templates:add"),
        {
            "club": downtown.pk,
            "class_type": class_type.pk,
            "trainer": tom.pk,
            "room": "Studio 1",
            "weekday": 3,
            "start_time": "09:00",
            "duration_minutes": minutes,
            "capacity": 12,
            "starts_on": "2026-11-01",
            "ends_on": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "duration_minutes": ["Ensure this value is greater than or equal to 1."]
    }
    assert not ClassTemplate.objects.exists()


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ("plan_duration_positive", "A plan runs for at least one day."),
        ("plan_price_not_negative", "A price cannot be negative."),
        ("class_template_has_duration", "A class lasts at least one minute."),
        ("rule_holdout_is_a_percentage", "The holdout is a percentage: at most 100."),
    ],
)
def test_a_check_constraint_speaks_plain_words(constraint, message):
    # What a form shows should a constraint be checked without its field's own check first.
    found = {
        c.name: c
        for model in apps.get_models()
        for c in model._meta.constraints
        if isinstance(c, CheckConstraint)
    }

    assert found[constraint].get_violation_error_message() == message


def test_every_check_constraint_a_staff_form_can_meet_has_its_own_words():
    # Those left are written by domain functions alone (ledger, payments, bookings,
    # touchpoints), or cleaned by the form first (a blank card is no card): no form meets them.
    unnamed = [
        c.name
        for model in apps.get_models()
        if model._meta.app_label in {"club", "members", "memberships", "checkin", "campaigns"}
        for c in model._meta.constraints
        if isinstance(c, CheckConstraint)
        and c.violation_error_message == c.default_violation_error_message
    ]

    assert unnamed == [
        "member_card_token_not_blank",
        "ledger_entry_not_zero",
        "ledger_balance_not_negative",
        "payment_not_negative",
        "booking_waitlist_position_iff_waitlisted",
        "touchpoint_of_a_rule_or_a_campaign",
    ]
