"""The trainer's screens (my classes, roster, attendance history) and the class screens of the
back-office that go through the booking rules (timetable, session capacity and cancelling).

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam; Tom's HIIT started at 17:30.
"""

import datetime as dt

import pytest
from django.urls import reverse

from checkin.models import Booking, ClassSession, ClassTemplate
from club import clock, roles
from members.models import MemberEvent
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    MemberFactory,
    UserFactory,
    VisitFactory,
)

Status = Booking.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute))


TODAY = dt.date(2026, 11, 23)


def session(club, start: dt.datetime, **kwargs) -> ClassSession:
    return ClassSessionFactory(club=club, start=start, end=start + dt.timedelta(hours=1), **kwargs)


@pytest.fixture
def hiit(frozen_clock, downtown, tom):
    return session(
        downtown,
        local(TODAY, 17, 30),
        trainer=tom,
        capacity=3,
        room="Studio 2",
        class_type=ClassTypeFactory(club=downtown, name="HIIT"),
    )


@pytest.fixture
def roster(hiit, downtown, maya):
    """Maya booked (her 12th class), Ana attended (checked in 17:21), Ben booked (first
    class), Cas waiting."""
    for weeks_ago in range(1, 12):
        past = session(downtown, local(TODAY, 17, 30) - dt.timedelta(weeks=weeks_ago))
        BookingFactory(session=past, member=maya, status=Status.ATTENDED)
    ana = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    ben = MemberFactory(home_club=downtown, first_name="Ben", last_name="Berg")
    cas = MemberFactory(home_club=downtown, first_name="Cas", last_name="Dekker")
    VisitFactory(member=ana, at=local(TODAY, 17, 21))
    return {
        "maya": BookingFactory(session=hiit, member=maya),
        "ana": BookingFactory(
            session=hiit, member=ana, status=Status.ATTENDED, attended_at=local(TODAY, 17, 21)
        ),
        "ben": BookingFactory(session=hiit, member=ben),
        "cas": BookingFactory(
            session=hiit, member=cas, status=Status.WAITLISTED, waitlist_position=1
        ),
    }


@pytest.fixture
def rob(riverside):
    """A trainer at Riverside."""
    return UserFactory(username="rob", clubs=[riverside], roles=[roles.TRAINER])


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- my classes --------------------------------------------------------------------------


def test_my_classes_lists_the_trainers_classes_with_seats_and_waitlist(
    client, hiit, roster, downtown, tom, max
):
    session(downtown, local(TODAY, 20), trainer=max, class_type=ClassTypeFactory(name="Yoga"))
    core = session(
        downtown,
        local(TODAY + dt.timedelta(days=2), 12, 15),
        trainer=tom,
        capacity=15,
        room="Studio 1",
        class_type=ClassTypeFactory(club=downtown, name="Core"),
    )
    session(downtown, local(TODAY + dt.timedelta(days=8), 9), trainer=tom)
    client.force_login(tom)

    html = text(client.get(reverse("trainer:my_classes")))

    assert "Today, Monday 23 Nov" in html
    assert "17:30" in html
    assert "HIIT" in html
    assert "3/3 booked · 1 waitlist" in html
    assert "Wednesday 25 Nov" in html
    assert "0/15 booked" in html
    assert reverse("trainer:roster", args=[core.pk]) in html
    assert "Yoga" not in html
    assert "2 Dec" not in html
    assert 'name="trainer"' not in html


def test_today_only(client, hiit, downtown, tom):
    session(downtown, local(TODAY + dt.timedelta(days=1), 9), trainer=tom)
    client.force_login(tom)

    response = client.get(reverse("trainer:my_classes"), {"days": 1})

    sessions = [s for _, _, rows in response.context["days"] for s in rows]
    assert sessions == [hiit]


def test_a_manager_sees_every_class_of_the_club_and_can_narrow_to_a_trainer(
    client, hiit, downtown, riverside, tom, max
):
    yoga = session(downtown, local(TODAY, 20), trainer=max)
    session(riverside, local(TODAY, 19))
    client.force_login(max)

    everyone = client.get(reverse("trainer:my_classes"))
    toms = client.get(reverse("trainer:my_classes"), {"trainer": tom.pk})

    assert [s for _, _, rows in everyone.context["days"] for s in rows] == [hiit, yoga]
    assert [s for _, _, rows in toms.context["days"] for s in rows] == [hiit]
    assert "Tom Bakker" in text(everyone)
    assert list(everyone.context["form"].fields["trainer"].queryset) == [tom]


def test_the_menu_shows_my_classes_to_trainers_and_managers_only(client, tom, max, fiona, mia):
    shown = {}
    for user in (tom, max, fiona, mia):
        client.force_login(user)
        shown[user.username] = reverse("trainer:my_classes") in text(client.get("/admin/"))

    assert shown == {"tom": True, "max": True, "fiona": False, "mia": False}


# --- the roster --------------------------------------------------------------------------


def test_the_roster_shows_who_is_coming_which_class_it_is_and_who_checked_in(
    client, hiit, roster, tom
):
    client.force_login(tom)

    response = client.get(reverse("trainer:roster", args=[hiit.pk]))

    rows = [
        (row.member.first_name, row.status, getattr(row, "class_label", None))
        for row in response.context["rows"]
    ]
    assert rows == [
        ("Ben", Status.BOOKED, "first class"),
        ("Maya", Status.BOOKED, "12th class"),
        ("Ana", Status.ATTENDED, "first class"),
        ("Cas", Status.WAITLISTED, None),
    ]
    html = text(response)
    assert "12th class" in html
    assert "checked in 17:21" in html
    assert "waitlist #1" in html
    assert "3/3 booked · 1 attended · 0 no-shows · 1 on the waitlist" in " ".join(html.split())
    assert "Mark all remaining no-show" in html


def test_a_booked_member_who_checked_in_is_shown_so_and_a_no_show_asks_first(
    client, hiit, roster, tom
):
    # given Ben checked in at 17:52, too late for the check-in to mark the 17:30 class
    VisitFactory(member=roster["ben"].member, at=local(TODAY, 17, 52))
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))

    # then his row says so, and its No-show asks before marking; Maya's does not ask
    ben_row = html.split(f'id="booking-{roster["ben"].pk}"')[1].split("</li>")[0]
    maya_row = html.split(f'id="booking-{roster["maya"].pk}"')[1].split("</li>")[0]
    assert "(checked in 17:52)" in ben_row
    assert 'hx-confirm="Ben Berg checked in at 17:52. Mark a no-show anyway?"' in ben_row
    assert "checked in" not in maya_row and "hx-confirm" not in maya_row
    # and "Mark all remaining no-show" names him in its question
    assert "no-show? Checked in: Ben Berg at 17:52.')" in html


def test_the_buttons_say_what_they_do_and_a_no_show_row_counts_no_class(client, hiit, roster, tom):
    # given Maya marked a no-show (her 12th class, had she come), Ana attended
    Booking.objects.filter(pk=roster["maya"].pk).update(status=Status.NO_SHOW)
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))

    maya_row = html.split(f'id="booking-{roster["maya"].pk}"')[1].split("</li>")[0]
    ana_row = html.split(f'id="booking-{roster["ana"].pk}"')[1].split("</li>")[0]
    assert '<span class="roster-row__state">no-show</span>' in maya_row
    assert ">Mark attended</button>" in maya_row and ">Mark no-show</button>" not in maya_row
    assert "12th class" not in maya_row
    assert '<span class="roster-row__state">attended</span>' in ana_row
    assert "first class" in ana_row
    assert ">Mark no-show</button>" in ana_row and ">Mark attended</button>" not in ana_row


def test_a_member_who_checked_in_may_still_be_marked_a_no_show(client, hiit, roster, tom):
    # given Ben checked in during the class (for the gym, it may be)
    VisitFactory(member=roster["ben"].member, at=local(TODAY, 17, 52))
    client.force_login(tom)

    response = client.post(reverse("trainer:mark_no_show", args=[roster["ben"].pk]))

    # then the trainer's word stands: a warning, not a refusal
    assert response.status_code == 302
    assert Booking.objects.get(pk=roster["ben"].pk).status == Status.NO_SHOW


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("morning", id="hours-before-the-class"),
        pytest.param("riverside", id="other-club"),
    ],
)
def test_a_visit_away_from_the_class_is_not_shown_on_the_roster(
    client, hiit, roster, tom, riverside, where
):
    ben = roster["ben"].member
    if where == "morning":
        VisitFactory(member=ben, at=local(TODAY, 7, 5))
    else:
        VisitFactory(member=ben, club=riverside, at=local(TODAY, 17, 40))
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))

    ben_row = html.split(f'id="booking-{roster["ben"].pk}"')[1].split("</li>")[0]
    assert "checked in" not in ben_row and "hx-confirm" not in ben_row
    assert "Checked in:" not in html


def test_the_roster_shows_no_contact_or_payment_data(client, hiit, roster, maya, tom):
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))
    history = text(client.get(reverse("trainer:attendance", args=[maya.pk])))

    for page in (html, history):
        assert "Maya Jansen" in page
        assert maya.email not in page
        assert "maya.jansen" not in page
        assert "+316" not in page
        assert "612345678" not in page
        assert "MAYA-0001" not in page
        assert "49.00" not in page
        assert "€" not in page


def test_marking_attended_with_htmx_answers_the_row_and_the_counts(client, hiit, roster, tom):
    client.force_login(tom)
    ben = roster["ben"]

    response = client.post(reverse("trainer:mark_attended", args=[ben.pk]), **HTMX)

    html = text(response)
    assert f'id="booking-{ben.pk}"' in html
    assert 'data-status="attended"' in html
    assert 'id="roster-summary"' in html
    assert "2 attended" in html
    ben.refresh_from_db()
    assert (ben.status, ben.attended_at) == (Status.ATTENDED, clock.now())


def test_marking_a_no_show_without_javascript_redirects_to_the_roster(
    client, hiit, roster, tom, maya
):
    client.force_login(tom)

    response = client.post(reverse("trainer:mark_no_show", args=[roster["maya"].pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("trainer:roster", args=[hiit.pk])
    assert Booking.objects.get(pk=roster["maya"].pk).status == Status.NO_SHOW
    event = maya.events.get(kind=MemberEvent.Kind.CLASS_NO_SHOW)
    assert event.actor == tom


def test_a_refused_mark_is_shown_in_the_row(client, frozen_clock, downtown, tom, maya):
    tomorrow = session(downtown, local(TODAY + dt.timedelta(days=1), 9), trainer=tom)
    booking = BookingFactory(session=tomorrow, member=maya)
    client.force_login(tom)

    html = text(client.post(reverse("trainer:mark_no_show", args=[booking.pk]), **HTMX))

    assert "A no-show can only be recorded once the class has started." in html
    assert Booking.objects.get(pk=booking.pk).status == Status.BOOKED


def test_no_show_button_appears_only_once_the_class_has_started(
    client, frozen_clock, downtown, tom, maya
):
    later = session(downtown, local(TODAY, 19), trainer=tom)
    BookingFactory(session=later, member=maya)
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[later.pk])))

    # attendance opened at 18:00, an hour before the class: just now
    assert ">Mark attended</button>" in html
    assert "Attendance opens" not in html
    assert ">Mark no-show</button>" not in html
    assert "Mark all remaining no-show" not in html


@pytest.mark.parametrize(
    ("day", "hour", "minute", "note"),
    [
        (
            TODAY + dt.timedelta(days=2),
            12,
            15,
            "Attendance opens at 11:15, an hour before the class.",
        ),
        (TODAY, 19, 1, "Attendance opens at 18:01, an hour before the class."),
        # opening the evening before a class just after midnight
        (
            TODAY + dt.timedelta(days=2),
            0,
            30,
            "Attendance opens Tue 24 Nov at 23:30, an hour before the class.",
        ),
    ],
)
def test_a_roster_before_attendance_opens_offers_no_buttons_and_says_when(
    client, frozen_clock, downtown, tom, maya, day, hour, minute, note
):
    ahead = session(downtown, local(day, hour, minute), trainer=tom)
    booking = BookingFactory(session=ahead, member=maya)
    client.force_login(tom)

    html = text(client.get(reverse("trainer:roster", args=[ahead.pk])))

    assert "Maya Jansen" in html
    assert reverse("trainer:mark_attended", args=[booking.pk]) not in html
    assert ">Mark attended</button>" not in html
    assert ">Mark no-show</button>" not in html
    assert note in " ".join(html.split())


def test_marking_attended_days_ahead_is_refused_in_the_row(
    client, frozen_clock, downtown, tom, maya
):
    # given a class on Wednesday at 12:15 (the clock says Monday 18:00)
    ahead = session(downtown, local(TODAY + dt.timedelta(days=2), 12, 15), trainer=tom)
    booking = BookingFactory(session=ahead, member=maya)
    client.force_login(tom)

    # when Tom posts "Attended" anyway, with htmx and without
    row = text(client.post(reverse("trainer:mark_attended", args=[booking.pk]), **HTMX))
    page = client.post(reverse("trainer:mark_attended", args=[booking.pk]), follow=True)

    # then both are refused, saying when attendance opens
    refusal = "Attendance for this class can be marked from Wed 25 Nov at 11:15."
    assert refusal in row
    assert 'data-status="booked"' in row
    assert refusal in text(page)
    assert Booking.objects.get(pk=booking.pk).status == Status.BOOKED


def test_the_front_desk_sees_no_opening_note_as_it_marks_nothing(
    client, frozen_clock, downtown, tom, fiona, maya
):
    ahead = session(downtown, local(TODAY + dt.timedelta(days=2), 12, 15), trainer=tom)
    BookingFactory(session=ahead, member=maya)
    client.force_login(fiona)

    html = text(client.get(reverse("trainer:roster", args=[ahead.pk])))

    assert "Maya Jansen" in html
    assert "Attendance opens" not in html


def test_mark_all_remaining_no_show(client, hiit, roster, tom):
    client.force_login(tom)

    response = client.post(reverse("trainer:no_show_remaining", args=[hiit.pk]), follow=True)

    assert "Marked 2 no-shows." in text(response)
    statuses = {name: Booking.objects.get(pk=b.pk).status for name, b in roster.items()}
    assert statuses == {
        "maya": Status.NO_SHOW,
        "ana": Status.ATTENDED,
        "ben": Status.NO_SHOW,
        "cas": Status.WAITLISTED,
    }


def test_the_front_desk_reads_the_roster_without_marking_buttons(client, hiit, roster, fiona):
    client.force_login(fiona)

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))

    assert "Maya Jansen" in html
    assert "/attended/" not in html
    assert "/no-show/" not in html
    assert "Mark all remaining no-show" not in html


# --- who may do what ---------------------------------------------------------------------


def outcome(response) -> str:
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    if response.status_code in (200, 302):
        return OK
    return {404: NOT_FOUND}.get(response.status_code, str(response.status_code))


EXPECTED = {
    #       my classes  roster  mark   no-show all  attendance  undo attended
    "tom": (OK, OK, OK, OK, OK, OK),
    "max": (OK, OK, OK, OK, OK, OK),
    "fiona": (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "mia": (FORBIDDEN,) * 6,
    # Olga runs Riverside's desk: our class and member do not exist for her.
    "olga": (FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN),
    # Rob trains at Riverside: his own screen works, ours are 404.
    "rob": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, request, hiit, roster, maya, persona):
    client.force_login(request.getfixturevalue(persona))
    views = [
        ("get", reverse("trainer:my_classes")),
        ("get", reverse("trainer:roster", args=[hiit.pk])),
        ("post", reverse("trainer:mark_attended", args=[roster["ben"].pk])),
        ("post", reverse("trainer:no_show_remaining", args=[hiit.pk])),
        ("get", reverse("trainer:attendance", args=[maya.pk])),
        # refused for its input where allowed (the class has started): the row says so
        ("post", reverse("trainer:unmark_attended", args=[roster["ana"].pk])),
    ]

    got = tuple(outcome(getattr(client, method)(url, **HTMX)) for method, url in views)

    assert got == EXPECTED[persona]
    changed = Booking.objects.get(pk=roster["ben"].pk).status != Status.BOOKED
    assert changed is (EXPECTED[persona][2] == OK)


def test_anonymous_is_sent_to_log_in(client, hiit):
    response = client.get(reverse("trainer:roster", args=[hiit.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


# --- attendance history ------------------------------------------------------------------


def test_attendance_history_counts_visits_and_classes_by_week(client, frozen_clock, downtown, tom):
    member = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    # This week (from Monday 23 Nov): two visits and a class; three weeks back: a no-show;
    # thirteen weeks back is out of range.
    VisitFactory(member=member, at=local(TODAY, 9))
    VisitFactory(member=member, at=local(TODAY, 17))
    BookingFactory(
        session=session(downtown, local(TODAY, 17, 30)), member=member, status=Status.ATTENDED
    )
    BookingFactory(
        session=session(downtown, local(dt.date(2026, 11, 3), 7)),
        member=member,
        status=Status.NO_SHOW,
    )
    VisitFactory(member=member, at=local(dt.date(2026, 8, 20), 9))
    client.force_login(tom)

    response = client.get(reverse("trainer:attendance", args=[member.pk]))

    rows = response.context["rows"]
    assert len(rows) == 12
    assert [(r["week"], r["visits"], r["classes"], r["no_shows"]) for r in rows[:4]] == [
        (dt.date(2026, 11, 23), 2, 1, 0),
        (dt.date(2026, 11, 16), 0, 0, 0),
        (dt.date(2026, 11, 9), 0, 0, 0),
        (dt.date(2026, 11, 2), 0, 0, 1),
    ]
    assert rows[-1]["week"] == dt.date(2026, 9, 7)
    html = text(response)
    assert "Last 12 weeks: 2 visits" in html
    assert "1 class attended in all" in html


def test_a_class_marked_attended_before_it_starts_is_in_the_history(
    client, frozen_clock, downtown, tom
):
    # Checked in at the door at 18:00 for the 18:30 class: attended, though not started yet.
    member = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    BookingFactory(
        session=session(downtown, local(TODAY, 18, 30)), member=member, status=Status.ATTENDED
    )
    BookingFactory(session=session(downtown, local(TODAY, 19, 30)), member=member)  # to come
    client.force_login(tom)

    response = client.get(reverse("trainer:attendance", args=[member.pk]))

    assert response.context["rows"][0]["classes"] == 1
    assert len(response.context["classes"]) == 1
    assert "1 class attended in all" in text(response)


# --- timetable and session screens -------------------------------------------------------


def template_form(class_type, **changes) -> dict:
    data = {
        "club": class_type.club_id,
        "class_type": class_type.pk,
        "trainer": "",
        "room": "Studio 2",
        "weekday": 0,
        "start_time": "07:00",
        "duration_minutes": 45,
        "capacity": 20,
        "starts_on": "2026-11-23",
        "ends_on": "",
        "is_active": "on",
    }
    return {**data, **changes}


def test_a_manager_adds_a_timetable_slot(client, frozen_clock, downtown, max, tom):
    spin = ClassTypeFactory(club=downtown, name="Spin")
    client.force_login(max)

    response = client.post(reverse("class_templates:add"), template_form(spin, trainer=tom.pk))

    assert response.status_code == 302
    slot = ClassTemplate.objects.get()
    assert (slot.class_type, slot.trainer, slot.start_time) == (spin, tom, dt.time(7))


def test_a_slot_needs_a_class_type_and_trainer_of_its_own_club(
    client, frozen_clock, downtown, riverside, max, rob
):
    theirs = ClassTypeFactory(club=riverside, name="Pilates")
    client.force_login(max)

    response = client.post(
        reverse("class_templates:add"),
        template_form(theirs, club=downtown.pk, trainer=rob.pk),
    )

    assert response.status_code == 200
    assert not ClassTemplate.objects.exists()
    assert set(response.context["form"].errors) == {"class_type", "trainer"}


def test_trainers_read_the_timetable_but_cannot_add_to_it(client, tom):
    client.force_login(tom)

    index = client.get(reverse("class_templates:index"))

    assert index.status_code == 200
    assert index.context["can_add"] is False


def session_form(s: ClassSession, **changes) -> dict:
    data = {
        "club": s.club_id,
        "class_type": s.class_type_id,
        "trainer": s.trainer_id or "",
        "room": s.room,
        "start": clock.local_datetime(TODAY + dt.timedelta(days=1), dt.time(18)).strftime(
            "%Y-%m-%d %H:%M"
        ),
        "end": clock.local_datetime(TODAY + dt.timedelta(days=1), dt.time(19)).strftime(
            "%Y-%m-%d %H:%M"
        ),
        "capacity": s.capacity,
    }
    if s.is_cancelled:
        data["is_cancelled"] = "on"
    return {**data, **changes}


@pytest.fixture
def tomorrow_full(frozen_clock, downtown):
    """Tomorrow 18:00, two seats taken of two, two waiting."""
    s = ClassSessionFactory(club=downtown, capacity=2)
    BookingFactory.create_batch(2, session=s)
    for position in (1, 2):
        BookingFactory(session=s, status=Status.WAITLISTED, waitlist_position=position)
    return s


def test_editing_capacity_below_the_seats_taken_is_a_field_error(client, tomorrow_full, max):
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[tomorrow_full.pk]),
        session_form(tomorrow_full, capacity=1, room="Studio 9"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "2 people are already booked; the capacity cannot be lower than that."
    ]
    tomorrow_full.refresh_from_db()
    assert (tomorrow_full.capacity, tomorrow_full.room) == (2, "Studio 1")


def test_raising_capacity_on_the_screen_promotes_the_waitlist(client, tomorrow_full, max):
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[tomorrow_full.pk]),
        session_form(tomorrow_full, capacity=3, room="Studio 9"),
    )

    assert response.status_code == 302
    tomorrow_full.refresh_from_db()
    assert (tomorrow_full.capacity, tomorrow_full.room) == (3, "Studio 9")
    assert tomorrow_full.bookings.filter(status=Status.BOOKED).count() == 3
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.WAITLIST_PROMOTED).count() == 1


def test_cancelling_on_the_screen_tells_everyone_booked(client, tomorrow_full, max):
    client.force_login(max)

    response = client.post(
        reverse("class_sessions:edit", args=[tomorrow_full.pk]),
        session_form(tomorrow_full, is_cancelled="on"),
    )

    assert response.status_code == 302
    tomorrow_full.refresh_from_db()
    assert tomorrow_full.is_cancelled is True
    assert not tomorrow_full.bookings.exclude(status=Status.CANCELLED).exists()
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.CLASS_CANCELLED_BY_CLUB).count() == 4


def test_the_sessions_list_links_each_class_to_its_roster(client, tomorrow_full, fiona):
    client.force_login(fiona)

    html = text(client.get(reverse("class_sessions:index")))

    assert reverse("trainer:roster", args=[tomorrow_full.pk]) in html


def test_a_wrong_attended_mark_is_undone_before_the_class_starts(
    client, frozen_clock, downtown, tom, maya
):
    # given Tom tapped "Mark attended" for Maya by mistake, half an hour before her class
    soon = session(downtown, local(TODAY, 18, 30), trainer=tom)
    booking = BookingFactory(session=soon, member=maya)
    client.force_login(tom)
    marked = text(client.post(reverse("trainer:mark_attended", args=[booking.pk]), **HTMX))
    assert ">Undo attended</button>" in marked

    # when he undoes it, twice (a double tap)
    undo = reverse("trainer:unmark_attended", args=[booking.pk])
    row = text(client.post(undo, **HTMX))
    again = text(client.post(undo, **HTMX))

    # then she is booked again, may be marked later, and her timeline says who undid it once
    assert 'data-status="booked"' in row and ">Mark attended</button>" in row
    assert ">Undo attended</button>" not in row and "error-message" not in again
    assert Booking.objects.get(pk=booking.pk).status == Status.BOOKED
    [undone] = maya.events.filter(kind=MemberEvent.Kind.ATTENDANCE_UNDONE)
    assert undone.actor == tom


def test_an_attended_mark_is_not_undone_once_the_class_has_started(client, hiit, roster, tom):
    client.force_login(tom)
    ana = roster["ana"]

    html = text(client.get(reverse("trainer:roster", args=[hiit.pk])))
    row = text(client.post(reverse("trainer:unmark_attended", args=[ana.pk]), **HTMX))

    assert ">Undo attended</button>" not in html
    assert "The class has started: mark a no-show if they did not come." in row
    assert Booking.objects.get(pk=ana.pk).status == Status.ATTENDED
