"""Times of a club's class, visit, booking, task or touchpoint read on that club's clock, with
the zone named when the page runs on another (club.time_zones.on_club_clock).

Harbour is in Lisbon, Downtown in Amsterdam. The frozen clock is Monday 23 Nov 2026, 17:00 UTC;
in November Lisbon is on UTC and Amsterdam an hour ahead. Ana manages both clubs, so her lists
run in the default zone (Amsterdam); Henk manages Harbour only, so his run on Lisbon's clock.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.dryrun import Forecast
from campaigns.models import Rule, Touchpoint
from club import clock, roles
from club.time_zones import on_club_clock, zone_label
from members.models import Channel
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    ClubFactory,
    MemberEventFactory,
    MemberFactory,
    UserFactory,
    VisitFactory,
)

LISBON = ZoneInfo("Europe/Lisbon")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Tuesday 24 Nov 2026, 18:30 at Harbour; 19:30 in Amsterdam.
HARBOUR_CLASS = dt.datetime(2026, 11, 24, 18, 30, tzinfo=LISBON)
DOWNTOWN_CLASS = dt.datetime(2026, 11, 24, 9, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def harbour(db):
    return ClubFactory(name="Harbour", slug="harbour", time_zone="Europe/Lisbon")


@pytest.fixture
def ana(downtown, harbour):
    """Manager of Downtown (Amsterdam) and Harbour (Lisbon)."""
    return UserFactory(
        first_name="Ana", last_name="Lopes", clubs=[downtown, harbour], roles=[roles.MANAGER]
    )


@pytest.fixture
def henk(harbour):
    return UserFactory(first_name="Henk", last_name="Silva", clubs=[harbour], roles=[roles.MANAGER])


@pytest.fixture
def classes(downtown, harbour):
    return (
        ClassSessionFactory(
            club=harbour,
            class_type__name="Spin",
            start=HARBOUR_CLASS,
            end=HARBOUR_CLASS + dt.timedelta(hours=1),
        ),
        ClassSessionFactory(
            club=downtown,
            class_type__name="Yoga",
            start=DOWNTOWN_CLASS,
            end=DOWNTOWN_CLASS + dt.timedelta(hours=1),
        ),
    )


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- the helper ---------------------------------------------------------------------------


def test_a_time_reads_on_its_clubs_clock_labelled_only_off_it(harbour):
    with timezone.override(AMSTERDAM):
        amsterdam_page = on_club_clock(HARBOUR_CLASS, harbour, "H:i")
    with timezone.override(LISBON):
        lisbon_page = on_club_clock(HARBOUR_CLASS, harbour, "H:i")

    assert amsterdam_page == "18:30 Lisbon"
    assert lisbon_page == "18:30"


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Europe/Paris", ""),  # another name, the same wall clock as Amsterdam's
        ("Europe/London", "London"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
    ],
)
def test_the_label_names_the_zone_only_when_the_clock_reads_differently(zone, label):
    with timezone.override(AMSTERDAM):
        assert zone_label(HARBOUR_CLASS, zone) == label


def test_no_time_prints_nothing(harbour):
    assert on_club_clock(None, harbour, "H:i") == ""


# --- Sessions ------------------------------------------------------------------------------


def test_a_two_zone_manager_sees_the_other_clubs_class_at_its_own_time_labelled(
    client, frozen_clock, classes, ana
):
    client.force_login(ana)

    page = text(client.get(reverse("class_sessions:index")))

    assert "24 Nov 2026, 18:30 Lisbon" in page  # Harbour's Spin, as Harbour reads it
    assert "24 Nov 2026, 19:30 Lisbon" in page  # and its end
    assert "24 Nov 2026, 09:00" in page and "09:00 Amsterdam" not in page  # Downtown's Yoga
    assert "19:30 " not in page.replace("19:30 Lisbon", "")


def test_a_one_zone_manager_sees_their_classes_unlabelled(client, frozen_clock, classes, henk):
    client.force_login(henk)

    page = text(client.get(reverse("class_sessions:index")))

    assert "24 Nov 2026, 18:30" in page
    assert "Lisbon" not in page
    assert "Yoga" not in page  # Downtown's class is not his


# --- the other screens that mix clubs ---------------------------------------------------------


def test_bookings_and_visits_lists_name_the_harbour_clock(client, frozen_clock, classes, ana):
    spin, _ = classes
    rita = MemberFactory(home_club=spin.club, first_name="Rita")
    BookingFactory(session=spin, member=rita)
    VisitFactory(member=rita)  # now: 17:00 at Harbour, 18:00 in Amsterdam
    client.force_login(ana)

    bookings = text(client.get(reverse("bookings:index")))
    visits = text(client.get(reverse("visits:index")))

    assert "Spin Tue 24 Nov 2026, 18:30 Lisbon" in bookings
    assert "23 Nov 2026, 17:00 Lisbon" in bookings  # booked at
    assert "23 Nov 2026, 17:00 Lisbon" in visits
    assert "18:00" not in visits


def test_the_classes_screen_and_roster_read_each_class_on_its_clubs_clock(
    client, frozen_clock, classes, harbour, ana
):
    # given a Harbour class at 23:30 on Tuesday, which is past midnight in Amsterdam
    late = dt.datetime(2026, 11, 24, 23, 30, tzinfo=LISBON)
    ClassSessionFactory(
        club=harbour, class_type__name="Late Spin", start=late, end=late + dt.timedelta(hours=1)
    )
    spin, _ = classes
    client.force_login(ana)

    page = client.get(reverse("trainer:my_classes")).content.decode()
    roster = text(client.get(reverse("trainer:roster", args=[spin.pk])))

    tuesday = page.split('aria-label="Tuesday 24 November"')[1].split("</section>")[0]
    assert "18:30 Lisbon" in tuesday and "Spin" in tuesday
    assert "23:30 Lisbon" in tuesday and "Late Spin" in tuesday  # Harbour's Tuesday
    assert "09:00</time>" in tuesday  # Downtown's Yoga, on the page's own clock: no label
    assert "Tuesday 24 Nov, 18:30–19:30 Lisbon" in roster


def test_a_one_zone_manager_reads_the_classes_screen_unlabelled(
    client, frozen_clock, classes, henk
):
    client.force_login(henk)

    page = text(client.get(reverse("trainer:my_classes")))

    assert "18:30 Spin" in page
    assert "Lisbon" not in page


def test_the_member_card_timeline_reads_on_the_members_clubs_clock(
    client, frozen_clock, downtown, harbour, ana
):
    rita = MemberFactory(home_club=harbour, first_name="Rita")
    MemberEventFactory(member=rita, data={"text": "Asked about Pilates."})  # 17:00 at Harbour
    MemberEventFactory(
        member=rita,
        kind="class_booked",
        data={"class_name": "Spin", "start": HARBOUR_CLASS.isoformat()},
    )
    client.force_login(ana)
    client.get(reverse("desk:desk"), {"club": "downtown"})  # the desk runs on Amsterdam's clock

    card = text(client.get(reverse("desk:member", args=[rita.pk])))

    assert "23 Nov 2026 17:00 Lisbon" in card
    assert "Spin, Tue 24 Nov 18:30 Lisbon" in card  # the class the event names
    assert "23 Nov 2026 18:00" not in card


def test_a_list_joins_the_rows_clubs_rather_than_asking_per_row(
    client, frozen_clock, downtown, harbour, ana
):
    # given the timeline, whose rows reach their club through the member (member__home_club)
    for club in (downtown, harbour):
        MemberEventFactory(member=MemberFactory(home_club=club))
    client.force_login(ana)
    client.get(reverse("timeline:index"))  # warm: the session, the profile, the menu
    with CaptureQueriesContext(connection) as two_rows:
        client.get(reverse("timeline:index"))
    for club in (downtown, harbour) * 3:
        MemberEventFactory(member=MemberFactory(home_club=club))

    with CaptureQueriesContext(connection) as eight_rows:
        page = text(client.get(reverse("timeline:index")))

    assert page.count("23 Nov 2026, 17:00 Lisbon") == 4  # Harbour's, at now
    assert page.count("23 Nov 2026, 18:00") == 4  # Downtown's, on the page's clock
    assert len(eight_rows) == len(two_rows)


def test_a_forecast_names_its_clubs_zone_off_its_clock():
    forecast = Forecast(
        send_at=HARBOUR_CLASS,
        rule_id=15,
        rule_number=15,
        rule_name="Renewal reminder",
        channel="sms",
        subject="",
        body="",
        reason="rule 15: 7 days before a membership ends",
        status="will be sent",
        outcome="send",
    )

    with timezone.override(AMSTERDAM):
        on_another_clock = forecast.when
    with timezone.override(LISBON):
        on_its_own = forecast.when

    assert on_another_clock == "Tue 24 Nov, 18:30 Lisbon"
    assert on_its_own == "Tue 24 Nov, 18:30"


def test_the_outbox_reads_a_harbour_touchpoint_on_harbours_clock(
    client, frozen_clock, harbour, ana
):
    rita = MemberFactory(home_club=harbour, first_name="Rita")
    Touchpoint.objects.create(
        rule=Rule.objects.get(number=9),
        member=rita,
        club=harbour,
        occurrence_key=f"test:{rita.pk}:9",
        channel=Channel.SMS,
        status=Touchpoint.Status.SCHEDULED,
        due_at=clock.now(),
        send_at=clock.now(),  # 17:00 at Harbour, 18:00 in Amsterdam
        created_at=clock.now(),
    )
    client.force_login(ana)

    page = text(client.get(reverse("outbox:index")))

    assert "23 Nov 2026, 17:00 Lisbon" in page  # the row's title, which opens it
    assert "18:00" not in page
