"""Staff back-office screens (Wagtail viewsets): each staff member sees their own clubs only."""

import datetime as dt
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, models
from django.forms import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, get_resolver, reverse
from wagtail.admin.search import admin_search_areas
from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet

from club import clock, roles
from club.wagtail_hooks import ClubViewSet
from members.models import Member, MemberEvent
from memberships.models import Freeze, LedgerEntry, Membership, Payment
from tests.factories import (
    BookingFactory,
    CheckInAttemptFactory,
    ClassSessionFactory,
    ClassTypeFactory,
    FreezeFactory,
    LedgerEntryFactory,
    MemberEventFactory,
    MemberFactory,
    MembershipFactory,
    PaymentFactory,
    PlanFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["object_list"])


def member_form(member: Member, **changes) -> dict:
    """The member edit form as the browser posts it, with some fields changed."""
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": str(member.phone),
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "card_token": member.card_token or "",
        "home_club": member.home_club_id,
        "source": member.source,
        "interests": ", ".join(member.interests),
        "notes": member.notes,
    }
    # A browser sends a ticked box and leaves an unticked one out.
    boxes = {"consent_sms": member.sms_consent, "consent_email": member.email_consent}
    data |= {name: "on" for name, given in boxes.items() if given}
    return {**data, **changes}


@pytest.fixture
def rita(riverside):
    """A member of the other club."""
    return MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


def test_manager_sees_members_of_their_club_only(client, max, maya, rita):
    # given Max, manager at Downtown, and members at Downtown and Riverside
    client.force_login(max)

    # when he opens the member list
    response = client.get(reverse("members:index"))

    # then he sees Maya and not Rita
    assert listed(response) == [maya]
    assert b"Maya Jansen" in response.content
    assert b"Riverside" not in response.content


@pytest.mark.parametrize("query", ["maya jans", "Jansen", "06 1234 5678", "MAYA-0001"])
def test_search_finds_the_member(client, fiona, maya, downtown, query):
    # given Maya and another Downtown member
    MemberFactory(home_club=downtown, first_name="Anna", last_name="de Boer")
    client.force_login(fiona)

    # when Fiona searches by name, phone or card
    response = client.get(reverse("members:index"), {"q": query})

    # then only Maya is listed
    assert listed(response) == [maya]


def test_filter_by_status(client, fiona, maya, downtown):
    # given a lead and a member at Downtown
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)
    client.force_login(fiona)

    # when Fiona filters on leads
    response = client.get(reverse("members:index"), {"status": "lead"})

    # then only the lead is listed
    assert listed(response) == [lead]


def test_club_filter_offers_only_the_staff_members_clubs(client, fiona, downtown, riverside):
    client.force_login(fiona)

    response = client.get(reverse("members:index"))

    choices = response.context["filters"].form.fields["home_club"].queryset
    assert list(choices) == [downtown]


def test_filtering_on_another_club_shows_nothing_of_it(client, fiona, maya, rita, riverside):
    client.force_login(fiona)

    response = client.get(reverse("members:index"), {"home_club": riverside.pk})

    assert rita not in listed(response)


@pytest.mark.parametrize(
    ("url_name", "make_row"),
    [
        ("members:edit", lambda maya: maya),
        ("memberships:edit", lambda maya: maya.memberships.get()),
        ("plans:edit", lambda maya: maya.memberships.get().plan),
        ("clubs:edit", lambda maya: maya.home_club),
        ("payments:inspect", lambda maya: PaymentFactory(member=maya)),
        ("ledger:inspect", lambda maya: LedgerEntryFactory(membership__member=maya)),
        ("timeline:inspect", lambda maya: MemberEventFactory(member=maya)),
        ("visits:inspect", lambda maya: VisitFactory(member=maya)),
        ("denied_check_ins:inspect", lambda maya: CheckInAttemptFactory(member=maya)),
        ("class_sessions:edit", lambda maya: ClassSessionFactory(club=maya.home_club)),
        ("members:history", lambda maya: maya),
    ],
)
def test_staff_of_another_club_get_404_by_url(client, olga, maya, url_name, make_row):
    # given a row of Downtown, and Olga of Riverside with every permission on it
    row = make_row(maya)
    olga.is_superuser = False
    olga.user_permissions.set(Permission.objects.all())
    client.force_login(olga)

    # when she opens it by URL
    response = client.get(reverse(url_name, args=[row.pk]))

    # then it does not exist for her
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["memberships:index", "payments:index", "ledger:index"])
def test_trainer_has_no_access_to_memberships_or_payments(client, tom, url_name):
    client.force_login(tom)

    response = client.get(reverse(url_name))

    assert response.status_code in (302, 403)


def test_trainer_menu_has_members_and_classes_but_no_memberships(client, tom):
    client.force_login(tom)

    response = client.get(reverse("wagtailadmin_home"))

    html = response.content.decode()
    assert reverse("members:index") in html
    assert reverse("class_sessions:index") in html
    assert reverse("memberships:index") not in html
    assert reverse("payments:index") not in html


def test_trainer_sees_no_contact_details_in_the_member_list(client, tom, maya):
    client.force_login(tom)

    response = client.get(reverse("members:index"))

    assert listed(response) == [maya]
    assert b"Maya Jansen" in response.content
    assert b"+31612345678" not in response.content
    assert b"maya.jansen@example.com" not in response.content


def test_superuser_sees_every_club(client, superuser, maya, rita, downtown, riverside):
    client.force_login(superuser)

    members = listed(client.get(reverse("members:index")))
    clubs = listed(client.get(reverse("clubs:index")))

    assert set(members) == {maya, rita}
    assert clubs == [downtown, riverside]


def test_manager_with_club_permission_edits_only_their_club(client, max, downtown, riverside):
    # given the club permissions a Manager needs for the Clubs screen (not granted by the
    # role migrations yet)
    max.user_permissions.add(*Permission.objects.filter(codename__in=["view_club", "change_club"]))
    client.force_login(max)

    # when he opens the clubs list
    response = client.get(reverse("clubs:index"))

    # then only Downtown is there
    assert listed(response) == [downtown]


def test_manager_sees_only_their_own_club_on_the_clubs_screen(client, max, downtown, riverside):
    client.force_login(max)

    response = client.get(reverse("clubs:index"))

    assert listed(response) == [downtown]


def test_front_desk_has_no_clubs_screen(client, fiona):
    client.force_login(fiona)

    response = client.get(reverse("clubs:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_bad_phone_gives_a_field_error_and_changes_nothing(client, fiona, maya):
    # given Fiona editing Maya
    client.force_login(fiona)

    # when she types a phone number that cannot exist
    response = client.post(
        reverse("members:edit", args=[maya.pk]),
        member_form(maya, phone="12", first_name="Mayaa"),
    )

    # then the form comes back with an error on the phone, and Maya is unchanged
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    maya.refresh_from_db()
    assert (maya.first_name, str(maya.phone)) == ("Maya", "+31612345678")


def test_editing_a_member_saves_the_change(client, fiona, maya):
    client.force_login(fiona)

    response = client.post(
        reverse("members:edit", args=[maya.pk]), member_form(maya, phone="06 8765 4321")
    )

    assert response.status_code == 302
    maya.refresh_from_db()
    assert str(maya.phone) == "+31687654321"


def test_edit_form_offers_only_the_staff_members_clubs(client, fiona, maya, downtown, riverside):
    client.force_login(fiona)

    form = client.get(reverse("members:edit", args=[maya.pk])).context["form"]
    response = client.post(
        reverse("members:edit", args=[maya.pk]), member_form(maya, home_club=riverside.pk)
    )

    assert list(form.fields["home_club"].queryset) == [downtown]
    assert "home_club" in response.context["form"].errors
    maya.refresh_from_db()
    assert maya.home_club == downtown


def test_membership_ending_before_it_starts_is_refused(client, fiona, maya_membership):
    # given Fiona correcting Maya's membership
    client.force_login(fiona)
    original_end = maya_membership.end

    # when she moves the end before the start
    response = client.post(
        reverse("memberships:edit", args=[maya_membership.pk]),
        {
            "start": maya_membership.start.isoformat(),
            "end": (maya_membership.start - dt.timedelta(days=1)).isoformat(),
            "status": maya_membership.status,
        },
    )

    # then the form says why, and the membership is unchanged
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A membership cannot end before it starts."
    ]
    assert b"A membership cannot end before it starts." in response.content
    maya_membership.refresh_from_db()
    assert maya_membership.end == original_end


def test_selling_a_membership_goes_through_the_sale(client, fiona, maya, monthly_plan):
    # given Fiona at the desk with Maya, whose current membership runs on
    client.force_login(fiona)
    start = clock.today(maya.home_club) + dt.timedelta(days=30)

    # when she sells her the monthly plan from the add screen
    response = client.post(
        reverse("memberships:add"),
        {"member": maya.pk, "plan": monthly_plan.pk, "start": start.isoformat(), "method": "cash"},
    )

    # then the membership, its payment and the timeline event are written together
    assert response.status_code == 302
    sold = Membership.objects.get(member=maya, start=start)
    assert sold.end == start + dt.timedelta(days=29)
    payment = Payment.objects.get(membership=sold)
    assert (payment.method, payment.amount, payment.recorded_by) == ("cash", sold.price_paid, fiona)
    assert maya.events.filter(kind=MemberEvent.Kind.MEMBERSHIP_STARTED).count() == 1


def test_selling_over_a_running_membership_is_a_field_error(
    client, frozen_clock, fiona, maya, monthly_plan
):
    # given Maya's Monthly, 13 Nov – 12 Dec
    client.force_login(fiona)

    # when a third month is added from tomorrow on the add screen
    response = client.post(
        reverse("memberships:add"),
        {"member": maya.pk, "plan": monthly_plan.pk, "start": "2026-11-24", "method": "cash"},
    )

    # then the start says why, with the way out, and nothing was sold
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "start": ["Maya has Monthly until 12 Dec 2026: renew it instead, or start on 13 Dec 2026."]
    }
    assert maya.memberships.count() == 1
    assert not Payment.objects.filter(member=maya).exists()


def test_add_membership_refuses_a_start_in_the_past_as_the_desk_does(
    client, frozen_clock, fiona, downtown
):
    # given a lead, who may still take Downtown's free trial
    trial = PlanFactory(club=downtown, trial=True, name="Free trial")
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Lars")
    client.force_login(fiona)

    # when the trial is added from 1 January 2020 on the back-office "Add membership"
    response = client.post(
        reverse("memberships:add"),
        {"member": lead.pk, "plan": trial.pk, "start": "2020-01-01", "method": "cash"},
    )

    # then the start says why and where dates are corrected, and nothing was sold
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "start": [
            "1 Jan 2020 has passed: a membership sold now starts today (23 Nov 2026) or later. "
            "To correct the dates of one already sold, edit that membership."
        ]
    }
    assert not lead.memberships.exists()
    assert not Payment.objects.filter(member=lead).exists()


def test_add_membership_comes_with_the_first_paid_plan_chosen(
    client, frozen_clock, fiona, downtown, monthly_plan
):
    PlanFactory(club=downtown, trial=True, name="Free trial")
    client.force_login(fiona)

    form = client.get(reverse("memberships:add")).context["form"]

    assert form["plan"].value() == monthly_plan.pk
    assert form["start"].value() == dt.date(2026, 11, 23)


def test_a_sale_is_confirmed_with_its_dates_as_staff_read_them(
    client, frozen_clock, fiona, maya, monthly_plan
):
    client.force_login(fiona)

    response = client.post(
        reverse("memberships:add"),
        {"member": maya.pk, "plan": monthly_plan.pk, "start": "2026-12-13", "method": "cash"},
        follow=True,
    )

    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith(
        "Membership &#x27;Monthly for Maya Jansen (13 Dec 2026 → 11 Jan 2027)&#x27; created."
    )


@pytest.mark.parametrize(
    ("clubs", "labels"),
    [
        pytest.param(1, ["Monthly — €49.00"], id="one-club"),
        pytest.param(
            2, ["Monthly — Downtown — €49.00", "Monthly — Riverside — €39.00"], id="two-clubs"
        ),
    ],
)
def test_the_plans_on_sale_name_their_price_and_with_two_clubs_their_club(
    client, downtown, riverside, monthly_plan, clubs, labels
):
    # given a manager of Downtown, or of both clubs, which each sell a Monthly
    PlanFactory(club=riverside, name="Monthly", price="39.00")
    PlanFactory(club=downtown, name="Old monthly", is_active=False)
    manager = UserFactory(clubs=[downtown, riverside][:clubs], roles=[roles.MANAGER])
    client.force_login(manager)

    # when they open "Add membership"
    response = client.get(reverse("memberships:add"))

    # then each plan on sale reads with its price, and its club when there are two
    plans = response.context["form"].fields["plan"]
    assert [label for _, label in plans.choices][1:] == labels


def test_the_plans_list_says_each_price_in_its_club_s_currency(client, max, monthly_plan):
    client.force_login(max)

    html = client.get(reverse("plans:index")).content.decode()

    assert "€49.00" in html
    assert ">49.00<" not in html


def test_a_past_membership_reads_ended_and_a_queued_one_upcoming(client, frozen_clock, fiona, maya):
    # given Maya's month (13 Nov – 12 Dec), the one before it, and one queued after it
    current = maya.memberships.get()
    MembershipFactory(member=maya, plan=current.plan, start=dt.date(2026, 10, 14))
    MembershipFactory(member=maya, plan=current.plan, start=dt.date(2026, 12, 13))
    client.force_login(fiona)

    # when Fiona lists memberships
    html = client.get(reverse("memberships:index")).content.decode()

    # then they read as the member card reads them, newest first, not all "Active"
    tags = re.findall(r'class="w-status ?(w-status--primary)?">\s*(\w+)\s*</span>', html)
    assert tags == [("", "Upcoming"), ("w-status--primary", "Active"), ("", "Ended")]


def club_form(club, **changes) -> dict:
    """The club edit form as the browser posts it, with some fields changed."""
    data = model_to_dict(club, fields=ClubViewSet.form_fields)
    data = {name: "" if value is None else value for name, value in data.items()}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        data[name] = data[name].strftime("%H:%M")
    data["booking_penalties_enabled"] = "on" if club.booking_penalties_enabled else ""
    # The opening hours' inline forms, as they are.
    hours = list(club.opening_hours.all())
    data |= {
        "opening_hours-TOTAL_FORMS": len(hours),
        "opening_hours-INITIAL_FORMS": len(hours),
        "opening_hours-MIN_NUM_FORMS": 0,
        "opening_hours-MAX_NUM_FORMS": 7,
    }
    for i, row in enumerate(hours):
        data |= {
            f"opening_hours-{i}-id": row.pk,
            f"opening_hours-{i}-weekday": row.weekday,
            f"opening_hours-{i}-opens": f"{row.opens:%H:%M}",
            f"opening_hours-{i}-closes": f"{row.closes:%H:%M}",
        }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("value", "saved", "error"),
    [
        pytest.param("30", 30, None, id="a-month"),
        pytest.param("0", 90, "Ensure this value is greater than or equal to 1.", id="zero"),
        pytest.param("a lot", 90, "Enter a whole number.", id="not-a-number"),
    ],
)
def test_a_manager_sets_the_clubs_longest_freeze(client, max, downtown, value, saved, error):
    client.force_login(max)

    response = client.post(
        reverse("clubs:edit", args=[downtown.pk]), club_form(downtown, max_freeze_days=value)
    )

    downtown.refresh_from_db()
    assert downtown.max_freeze_days == saved
    if error is None:
        assert response.status_code == 302
    else:
        assert response.context["form"].errors == {"max_freeze_days": [error]}


def test_a_freeze_outside_the_membership_gets_a_field_error(client, fiona, maya_membership):
    client.force_login(fiona)
    before = maya_membership.end + dt.timedelta(days=5)  # "before" would be in the past

    response = client.post(
        reverse("freezes:add"),
        {
            "membership": maya_membership.pk,
            "start": before.isoformat(),
            "end": (before + dt.timedelta(days=2)).isoformat(),
            "reason": "Holiday",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "start": ["A freeze must start while the membership runs."]
    }
    assert not Freeze.objects.exists()


def test_a_freeze_moves_the_end_date(client, fiona, maya_membership):
    client.force_login(fiona)
    start = clock.today(maya_membership.member.home_club) + dt.timedelta(days=1)
    original_end = maya_membership.end

    response = client.post(
        reverse("freezes:add"),
        {
            "membership": maya_membership.pk,
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=6)).isoformat(),
            "reason": "Holiday",
        },
    )

    assert response.status_code == 302
    maya_membership.refresh_from_db()
    assert maya_membership.end == original_end + dt.timedelta(days=7)


def test_registering_a_lead_records_it_on_the_timeline(client, fiona, downtown):
    client.force_login(fiona)

    response = client.post(
        reverse("members:add"),
        {
            "home_club": downtown.pk,
            "first_name": "Lotte",
            "last_name": "de Wit",
            "email": "lotte@example.com",
            "phone": "06 1111 2222",
            "source": Member.Source.WALK_IN,
        },
    )

    lotte = Member.objects.get(first_name="Lotte")
    assert response.status_code == 302
    assert response.url == reverse("members:edit", args=[lotte.pk])
    assert (lotte.status, str(lotte.phone)) == (Member.Status.LEAD, "+31611112222")
    assert list(lotte.events.values_list("kind", flat=True)) == [MemberEvent.Kind.LEAD_CREATED]


def test_registering_a_known_person_adds_no_one(client, fiona, maya, downtown):
    client.force_login(fiona)

    response = client.post(
        reverse("members:add"),
        {
            "home_club": downtown.pk,
            "first_name": "Maya",
            "last_name": "jansen",
            "email": "MAYA.JANSEN@example.com",
            "phone": "",
            "source": Member.Source.WALK_IN,
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("members:edit", args=[maya.pk])
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    "viewset", ["ledger", "payments", "timeline", "consent_log", "visits", "denied_check_ins"]
)
def test_history_screens_offer_no_add_or_edit(client, superuser, maya, viewset):
    # given a superuser, who holds every permission
    entry = LedgerEntryFactory(membership__member=maya)
    client.force_login(superuser)

    # when he opens a history screen
    response = client.get(reverse(f"{viewset}:index"))

    # then it has no add button and no add or edit URL at all
    assert response.status_code == 200
    assert not response.context["can_add"]
    for view in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"{viewset}:{view}", args=[] if view == "add" else [entry.pk])
    assert client.get(f"{reverse(f'{viewset}:index')}new/").status_code == 404


def test_ledger_lists_the_entries_of_the_club(client, fiona, maya, rita):
    # given an adjustment on a pack of Maya's (bought with a purchase row) and one of Rita's
    adjustment = LedgerEntryFactory(membership__member=maya)
    purchase = adjustment.membership.ledger_entries.get(kind=LedgerEntry.Kind.PURCHASE)
    LedgerEntryFactory(membership__member=rita)
    client.force_login(fiona)

    # when Fiona opens the ledger
    entries = listed(client.get(reverse("ledger:index")))

    # then she sees both rows of Maya's pack and none of Rita's
    assert set(entries) == {adjustment, purchase}


@pytest.mark.parametrize(
    ("viewset", "make_row", "row_view"),
    [
        ("members", lambda maya: maya, "edit"),
        ("consent_log", lambda maya: maya.consent_log.first(), "inspect"),
        ("timeline", lambda maya: MemberEventFactory(member=maya), "inspect"),
        ("plans", lambda maya: maya.memberships.get().plan, "edit"),
        ("memberships", lambda maya: maya.memberships.get(), "edit"),
        ("freezes", lambda maya: FreezeFactory(membership=maya.memberships.get()), "inspect"),
        ("ledger", lambda maya: LedgerEntryFactory(membership__member=maya), "inspect"),
        ("payments", lambda maya: PaymentFactory(member=maya), "inspect"),
        ("visits", lambda maya: VisitFactory(member=maya), "inspect"),
        ("denied_check_ins", lambda maya: CheckInAttemptFactory(member=maya), "inspect"),
        ("class_types", lambda maya: ClassSessionFactory(club=maya.home_club).class_type, "edit"),
        ("class_sessions", lambda maya: ClassSessionFactory(club=maya.home_club), "edit"),
        (
            "bookings",
            lambda maya: BookingFactory(member=maya, session__club=maya.home_club),
            "inspect",
        ),
        ("clubs", lambda maya: maya.home_club, "edit"),
    ],
)
def test_every_screen_opens(client, superuser, maya, viewset, make_row, row_view):
    # given one row of each kind
    row = make_row(maya)
    client.force_login(superuser)

    # when the superuser lists, searches, filters and opens it
    index = client.get(reverse(f"{viewset}:index"))
    searched = client.get(reverse(f"{viewset}:index"), {"q": "maya"})
    results = client.get(reverse(f"{viewset}:index_results"), {"q": "maya"})
    opened = client.get(reverse(f"{viewset}:{row_view}", args=[row.pk]))

    # then every page renders, and lists the row when it is not searched away
    assert [index.status_code, searched.status_code, results.status_code] == [200, 200, 200]
    assert row in index.context["object_list"]
    assert opened.status_code == 200
    if index.context["can_add"]:
        assert client.get(reverse(f"{viewset}:add")).status_code == 200


# --- times on screens: the club's wall clock, never UTC ------------------------------------


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # CET is UTC+1 in winter, CEST UTC+2 in summer.
        (dt.datetime(2026, 11, 24, 12, 15), "Tue 24 Nov 2026, 11:15"),
        (dt.datetime(2027, 6, 1, 7, 30), "Tue 1 Jun 2027, 05:30"),
    ],
)
def test_the_bookings_list_shows_class_times_on_the_clubs_clock(
    client, frozen_clock, max, maya, downtown, local, utc
):
    start = local.replace(tzinfo=clock.zone(downtown))
    pilates = ClassSessionFactory(
        club=downtown,
        class_type=ClassTypeFactory(club=downtown, name="Pilates"),
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    BookingFactory(member=maya, session=pilates)
    client.force_login(max)

    html = client.get(reverse("bookings:index")).content.decode()

    assert f"Pilates {local:%a %-d %b %Y, %H:%M}" in html
    assert f"Pilates {utc}" not in html


def test_class_times_in_the_bookings_list_cost_no_query_per_row(
    client, frozen_clock, max, downtown
):
    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("bookings:index")).status_code == 200
        return len(queries)

    BookingFactory(session=ClassSessionFactory(club=downtown))
    client.force_login(max)
    one = queries_for_the_list()
    for _ in range(4):
        BookingFactory(session=ClassSessionFactory(club=downtown))

    assert queries_for_the_list() == one


def test_a_visit_is_named_by_the_clubs_wall_clock(client, frozen_clock, max, maya):
    # given a visit at 16:21 UTC, which is 17:21 in Amsterdam
    visit = VisitFactory(member=maya, at=dt.datetime(2026, 11, 23, 16, 21, tzinfo=dt.UTC))
    client.force_login(max)

    html = client.get(reverse("visits:inspect", args=[visit.pk])).content.decode()

    assert str(visit) == "Maya Jansen at 23 Nov 2026, 17:21"
    assert "Maya Jansen at 23 Nov 2026, 17:21" in html
    assert "Maya Jansen at 23 Nov 2026, 16:21" not in html


@pytest.mark.parametrize("url", ["/admin/", "/admin/account/"])
def test_back_office_sends_no_staff_email_hash_to_gravatar(client, fiona, url):
    """Wagtail would show avatars from gravatar.com, handing a hash of each staff member's
    email to a third party on every page, and failing on a club's offline network."""
    fiona.email = "fiona@downtown.example"
    fiona.save()
    client.force_login(fiona)
    response = client.get(url)
    assert response.status_code == 200
    assert b"gravatar" not in response.content


def test_the_account_page_offers_only_named_time_zones(client, fiona):
    """The host's own zone aliases ("localtime") are in the system list; Chromium's Intl
    rejects them and the account page logged an error."""
    client.force_login(fiona)

    html = client.get(reverse("wagtailadmin_account")).content.decode()

    assert 'value="Europe/Amsterdam"' in html
    assert 'value="localtime"' not in html
    assert 'value="posixrules"' not in html


@pytest.mark.parametrize(
    ("persona", "search_url"),
    [
        ("fiona", "/admin/desk/search/"),
        ("max", "/admin/desk/search/"),
        ("mia", "/admin/members/"),
        ("tom", "/admin/members/"),  # their member list has names, no contact details
    ],
)
def test_the_sidebar_search_box_finds_members(rf, request, persona, search_url):
    """It searched the public site's pages, which most staff may not read ("no permission").
    The sidebar's box is the first search area shown to the user."""
    http_request = rf.get("/admin/")
    http_request.user = request.getfixturevalue(persona)

    areas = admin_search_areas.search_items_for_request(http_request)

    assert areas[0].url == search_url


def test_the_desk_search_from_the_sidebar_shows_the_desk_with_matches(client, fiona, maya):
    client.force_login(fiona)

    response = client.get(reverse("desk:search"), {"q": "jansen"})

    html = response.content.decode()
    assert 'id="desk-q"' in html  # the whole desk page, not a fragment
    assert "Maya Jansen" in html


def dashboard_search(response):
    """What the dashboard tells its search box (the json_script dashboard_search.js reads)."""
    found = re.search(
        r'<script id="dashboard-search" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("persona", "search_url", "placeholder"),
    [
        ("fiona", "/admin/desk/search/", "Search members…"),
        ("mia", "/admin/members/", "Search members…"),
    ],
)
def test_the_dashboard_search_box_goes_where_the_sidebar_box_goes(
    client, request, persona, search_url, placeholder
):
    """Wagtail's "Search all pages…" refused the front desk and found no member for
    marketing."""
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("wagtailadmin_home"))

    # (dashboard_search.js points Wagtail's box there; tests/e2e checks it in Chromium)
    assert response.status_code == 200
    assert dashboard_search(response) == {"url": search_url, "placeholder": placeholder}


def test_marketing_finds_a_member_from_the_dashboard_search_box(client, mia, maya):
    client.force_login(mia)

    response = client.get("/admin/members/", {"q": "jansen"})

    assert response.status_code == 200
    assert "Maya Jansen" in response.content.decode()


def test_the_dashboard_has_no_search_box_for_staff_who_may_search_nothing(client, downtown):
    nobody = UserFactory(clubs=[downtown])
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)

    response = client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    assert dashboard_search(response) is None


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/admin/denied-check-ins/", "Denied check-ins"),
        ("/admin/timetable/", "Timetable"),
        ("/admin/timeline/", "Timeline events"),
    ],
)
def test_screens_are_titled_as_the_menu_names_them(client, max, path, title):
    client.force_login(max)

    response = client.get(path)

    assert response.status_code == 200
    assert re.search(rf"<h1[^>]*>\s*{title}\s*<", response.content.decode(), re.IGNORECASE)


def test_an_empty_timetable_says_it_has_no_timetable_slots(client, max):
    client.force_login(max)

    response = client.get("/admin/timetable/")

    assert "There are no timetable slots to display" in response.content.decode()


def test_no_back_office_list_shows_a_yes_no_column_as_true_or_false():
    """A boolean field listed by name prints "True"/"False"; BooleanColumn draws a tick."""
    assert get_resolver().url_patterns  # loading the admin's URLs registers its viewsets
    listed = [viewset for viewset in viewsets.viewsets if isinstance(viewset, ModelViewSet)]
    raw = [
        f"{viewset.model._meta.label}.{name}"
        for viewset in listed
        if isinstance(viewset.list_display, list | tuple)
        for name in viewset.list_display
        if isinstance(name, str)
        and name in {f.name for f in viewset.model._meta.get_fields()}
        and isinstance(viewset.model._meta.get_field(name), models.BooleanField)
    ]

    assert {"checkin.Booking", "members.ConsentLog"} <= {v.model._meta.label for v in listed}
    assert raw == []
