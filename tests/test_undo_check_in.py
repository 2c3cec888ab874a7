"""Undoing a check-in made by mistake: the service, the desk's Undo button, and who may use it.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam (conftest).
"""

import datetime as dt

import pytest
from django.urls import reverse

from checkin import checkins
from checkin.models import Booking, Source, Visit
from club import clock
from members.models import MemberEvent
from memberships.models import LedgerEntry
from tests.factories import (
    BookingFactory,
    ClassSessionFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
)
from tests.race import run_concurrently

# What htmx sends from the desk screen (the member card's requests come from its own URL).
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def pack_member(downtown):
    member = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=3)
    return member


def test_undo_gives_the_pack_visit_back_and_says_who_did_it(frozen_clock, pack_member, fiona):
    visit = checkins.check_in(pack_member, source=Source.DESK)
    pack = pack_member.memberships.get()
    pack.refresh_from_db()
    assert pack.visits_left == 2

    undone = checkins.undo_visit(visit.pk, member_id=pack_member.pk, by=fiona)

    assert (undone.visits_left, undone.already, undone.visited_at) == (3, False, visit.at)
    assert not Visit.objects.filter(member=pack_member).exists()
    pack.refresh_from_db()
    assert pack.visits_left == 3
    refund = pack.ledger_entries.get(kind=LedgerEntry.Kind.REFUND)
    assert (refund.visits, refund.balance_after, refund.created_by) == (1, 3, fiona)
    event = pack_member.events.get(kind=MemberEvent.Kind.CHECK_IN_UNDONE)
    assert (event.actor, event.data["visit"], event.data["visits_left"]) == (fiona, visit.pk, 3)


def test_undoing_twice_changes_nothing_the_second_time(frozen_clock, pack_member, fiona):
    visit = checkins.check_in(pack_member, source=Source.DESK)
    checkins.undo_visit(visit.pk, member_id=pack_member.pk, by=fiona)

    again = checkins.undo_visit(visit.pk, member_id=pack_member.pk, by=fiona)

    assert again.already is True
    assert pack_member.memberships.get().visits_left == 3
    assert pack_member.events.filter(kind=MemberEvent.Kind.CHECK_IN_UNDONE).count() == 1


def test_a_time_plan_visit_is_undone_without_touching_any_balance(frozen_clock, maya, fiona):
    visit = checkins.check_in(maya, source=Source.DESK)

    undone = checkins.undo_visit(visit.pk, member_id=maya.pk, by=fiona)

    assert undone.visits_left is None
    assert not Visit.objects.filter(member=maya).exists()
    assert not LedgerEntry.objects.exists()


def test_after_an_undo_the_next_scan_is_a_new_visit(frozen_clock, pack_member, fiona):
    first = checkins.check_in(pack_member, source=Source.DESK)
    checkins.undo_visit(first.pk, member_id=pack_member.pk, by=fiona)

    again = checkins.check_in(pack_member, source=Source.DESK)

    assert again.is_repeat_scan is False
    assert again.pk != first.pk
    assert pack_member.memberships.get().visits_left == 2


def test_undo_puts_the_class_it_marked_attended_back_to_booked(frozen_clock, maya, downtown, fiona):
    soon = ClassSessionFactory(club=downtown, start=clock.now() + dt.timedelta(minutes=20))
    booking = BookingFactory(session=soon, member=maya)
    visit = checkins.check_in(maya, source=Source.DESK)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED

    checkins.undo_visit(visit.pk, member_id=maya.pk, by=fiona)

    booking.refresh_from_db()
    assert (booking.status, booking.attended_at) == (Booking.Status.BOOKED, None)


def test_yesterdays_visit_cannot_be_undone(frozen_clock, maya, fiona):
    visit = checkins.check_in(maya, source=Source.DESK, at=clock.now() - dt.timedelta(days=1))

    with pytest.raises(checkins.UndoRefused, match="Only today's check-ins"):
        checkins.undo_visit(visit.pk, member_id=maya.pk, by=fiona)

    assert Visit.objects.filter(pk=visit.pk).exists()
    assert not maya.events.filter(kind=MemberEvent.Kind.CHECK_IN_UNDONE).exists()


def test_a_visit_is_only_undone_for_its_own_member(frozen_clock, maya, pack_member, fiona):
    visit = checkins.check_in(pack_member, source=Source.DESK)

    with pytest.raises(checkins.UndoRefused, match="has no check-in with that number"):
        checkins.undo_visit(visit.pk, member_id=maya.pk, by=fiona)

    assert Visit.objects.filter(pk=visit.pk).exists()


def test_a_made_up_visit_number_is_not_taken_for_an_undo_done_before(frozen_clock, maya, fiona):
    with pytest.raises(checkins.UndoRefused, match="has no check-in with that number"):
        checkins.undo_visit(999_999, member_id=maya.pk, by=fiona)

    assert not maya.events.filter(kind=MemberEvent.Kind.CHECK_IN_UNDONE).exists()


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_undos_give_the_visit_back_once(downtown):
    member = MemberFactory(home_club=downtown)
    pack = MembershipFactory(
        member=member, plan=PlanFactory(club=downtown, pack=True), visits_left=1
    )
    visit = checkins.check_in(member, source=Source.TURNSTILE)

    outcome = run_concurrently(
        lambda: checkins.undo_visit(visit.pk, member_id=member.pk, by=None).already, threads=10
    )

    assert outcome.errors == []
    assert sorted(outcome.results) == [False] + [True] * 9
    pack.refresh_from_db()
    assert pack.visits_left == 1
    assert pack.ledger_entries.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


# --- the desk ---------------------------------------------------------------------------


def test_the_admitted_panel_offers_undo_and_undo_clears_the_visit(
    client, frozen_clock, fiona, pack_member
):
    client.force_login(fiona)
    admitted = client.post(reverse("desk:check_in", args=[pack_member.pk]), **HTMX)
    visit = Visit.objects.get(member=pack_member)
    undo_url = reverse("desk:undo_check_in", args=[pack_member.pk, visit.pk])
    assert undo_url in admitted.content.decode()

    response = client.post(undo_url, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="undone"' in html
    assert "3 visits left" in html
    assert not Visit.objects.filter(member=pack_member).exists()
    assert "No check-ins yet today" in html  # the recent list no longer shows the visit


def test_a_repeat_scan_offers_no_undo(client, frozen_clock, fiona, maya):
    client.force_login(fiona)
    client.post(reverse("desk:check_in", args=[maya.pk]), **HTMX)

    repeat = client.post(reverse("desk:check_in", args=[maya.pk]), **HTMX)

    assert "repeat scan" in repeat.content.decode()
    assert "/undo/" not in repeat.content.decode()


def test_undo_of_an_old_visit_is_refused_on_screen(client, frozen_clock, fiona, maya):
    client.force_login(fiona)
    visit = checkins.check_in(maya, source=Source.DESK, at=clock.now() - dt.timedelta(days=2))

    response = client.post(reverse("desk:undo_check_in", args=[maya.pk, visit.pk]), **HTMX)

    assert response.status_code == 409
    assert "Only today&#x27;s check-ins can be undone." in response.content.decode()
    assert Visit.objects.filter(pk=visit.pk).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("fiona", 200), ("max", 200), ("mia", 302), ("tom", 302), ("olga", 404)],
)
def test_who_may_undo(client, frozen_clock, request, maya, persona, status):
    visit = checkins.check_in(maya, source=Source.DESK)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("desk:undo_check_in", args=[maya.pk, visit.pk]), **HTMX)

    assert response.status_code == status
    assert Visit.objects.filter(pk=visit.pk).exists() == (status != 200)


def test_a_visit_at_a_club_the_user_does_not_work_at_is_not_found(
    client, frozen_clock, fiona, downtown, riverside
):
    member = MemberFactory(home_club=downtown)
    MembershipFactory(member=member, plan=PlanFactory(club=downtown, valid_at_all_clubs=True))
    visit = checkins.check_in(member, source=Source.DESK, club=riverside)
    client.force_login(fiona)

    response = client.post(reverse("desk:undo_check_in", args=[member.pk, visit.pk]), **HTMX)

    assert response.status_code == 404
    assert Visit.objects.filter(pk=visit.pk).exists()
