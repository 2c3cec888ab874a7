"""The front-desk screen: search, scan, check in, override, sell, renew, freeze, leads, notes."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from checkin.models import CheckInAttempt, Visit
from club import clock
from members.models import ConsentLog, Member, MemberEvent
from memberships import freezes, sales
from memberships.models import Membership, Payment
from tests.factories import (
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PlanFactory,
    freeze_made_back_then,
)

# What htmx sends from the desk screen (the member card's requests come from its own URL).
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


def test_desk_page_has_the_search_box_and_recent_list(desk, frozen_clock, maya):
    response = desk.get(reverse("desk:desk"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="desk-q"' in html
    assert "Recent at Downtown" in html


def test_typing_shows_matches_with_badges_and_checks_nobody_in(desk, frozen_clock, maya):
    response = desk.get(reverse("desk:search"), {"q": "jans"}, **HTMX)

    html = response.content.decode()
    assert "Maya Jansen" in html
    assert "Active" in html  # 19 days left of 30: not yet in the month's second half
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("status", "plan", "word"),
    [
        pytest.param(Member.Status.LEAD, None, "Lead", id="lead"),
        pytest.param(Member.Status.TRIAL, {"trial": True}, "Trial", id="trial"),
    ],
)
def test_each_match_says_its_status_once(desk, frozen_clock, downtown, status, plan, word):
    member = MemberFactory(home_club=downtown, first_name="Wout", last_name="Smit", status=status)
    if plan is not None:
        MembershipFactory(member=member, plan=PlanFactory(club=downtown, **plan))

    html = desk.get(reverse("desk:search"), {"q": "smit"}, **HTMX).content.decode()

    row = re.search(r'<li class="desk-result">.*?</li>\s*</ul>', html, re.DOTALL).group(0)
    assert re.findall(rf"\b{word}\b", row) == [word]
    assert f'<li class="desk-badge desk-badge--info">{word}</li>' in row


def test_a_member_s_match_has_no_lead_badge(desk, frozen_clock, maya):
    html = desk.get(reverse("desk:search"), {"q": "jans"}, **HTMX).content.decode()

    assert "Maya Jansen" in html
    assert "Lead" not in html


def test_scanning_a_card_checks_in_at_once(desk, frozen_clock, maya):
    response = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **HTMX)

    html = response.content.decode()
    assert 'data-outcome="admitted"' in html
    assert "visit #1" in html
    visit = Visit.objects.get(member=maya)
    assert visit.source == "desk"


def test_scanning_without_javascript_renders_the_whole_desk(desk, frozen_clock, maya):
    response = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"})

    html = response.content.decode()
    assert 'id="desk-q"' in html
    assert 'data-outcome="admitted"' in html


def test_expired_member_is_denied_with_the_date_and_a_renew_button(desk, frozen_clock, tom_berg):
    response = desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **HTMX)

    html = response.content.decode()
    assert 'data-reason="expired"' in html
    assert "Membership expired 3 Nov 2026" in html
    assert html.count("3 Nov 2026") == 1  # the verdict says it; no "Expired" badge again
    membership = tom_berg.memberships.get()
    assert reverse("desk:renew", args=[membership.pk]) in html
    assert CheckInAttempt.objects.get(member=tom_berg).reason == "expired"


def test_a_lead_whose_free_trial_ended_is_told_so_at_the_door(desk, frozen_clock, downtown):
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, card_token="LEAD-1")
    trial = PlanFactory(club=downtown, trial=True)
    MembershipFactory(
        member=lead, plan=trial, start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 16)
    )

    html = desk.post(reverse("desk:scan"), {"q": "LEAD-1"}, **HTMX).content.decode()

    assert 'data-reason="expired"' in html
    assert "Free trial ended 16 Nov 2026" in html and "Membership expired" not in html
    assert html.count("16 Nov 2026") == 1  # no "Trial ended" badge again


def test_renewing_then_scanning_again_admits(desk, frozen_clock, tom_berg):
    membership = tom_berg.memberships.get()

    response = desk.post(
        reverse("desk:renew", args=[membership.pk]),
        {"plan": membership.plan_id, "method": "card_terminal", "next": reverse("desk:desk")},
    )

    assert response.status_code == 302
    # Tom's month ended 20 days ago, past the grace days: sold as a rejoin, unlinked.
    renewal = tom_berg.memberships.exclude(pk=membership.pk).get()
    assert response["Location"] == f"{reverse('desk:desk')}?renewed={renewal.pk}"
    assert renewal.start == clock.today(tom_berg.home_club)
    assert Payment.objects.get(membership=renewal).method == "card_terminal"
    again = desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **HTMX)
    assert 'data-outcome="admitted"' in again.content.decode()


def test_admit_anyway_needs_a_reason(desk, frozen_clock, tom_berg):
    response = desk.post(reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": ""}, **HTMX)

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Visit.objects.exists()


def test_admit_anyway_records_who_and_why(desk, frozen_clock, tom_berg, fiona):
    response = desk.post(
        reverse("desk:admit_anyway", args=[tom_berg.pk]), {"reason": "Renews tomorrow"}, **HTMX
    )

    assert 'data-outcome="admitted"' in response.content.decode()
    visit = Visit.objects.get(member=tom_berg)
    assert (visit.override_by, visit.override_reason) == (fiona, "Renews tomorrow")


def test_name_search_on_enter_lists_matches_instead_of_checking_in(desk, frozen_clock, maya):
    response = desk.post(reverse("desk:scan"), {"q": "maya"}, **HTMX)

    assert "Maya Jansen" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_card_typed_in_lower_case_checks_in(desk, frozen_clock, maya):
    response = desk.post(reverse("desk:scan"), {"q": "maya-0001"}, **HTMX)

    assert 'data-outcome="admitted"' in response.content.decode()


def test_an_unknown_card_clears_the_last_verdict(desk, frozen_clock, maya):
    desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **HTMX)

    response = desk.post(reverse("desk:scan"), {"q": "DEADBEEF0000"}, **HTMX)

    html = response.content.decode()
    assert response["HX-Retarget"] == "#desk-results"
    assert '<div id="desk-output" hx-swap-oob="innerHTML"></div>' in html
    assert "No member matches" in html


def test_typing_the_last_digits_of_a_phone_lists_the_member(desk, frozen_clock, maya):
    response = desk.get(reverse("desk:search"), {"q": "5678"}, **HTMX)

    assert "Maya Jansen" in response.content.decode()


@pytest.mark.parametrize("query", ["78", "+", "1" * 20, "56x78"])
def test_too_few_digits_or_a_garbled_number_list_nobody(desk, frozen_clock, maya, query):
    response = desk.get(reverse("desk:search"), {"q": query}, **HTMX)

    assert response.status_code == 200
    assert "No member matches" in response.content.decode()


def test_unknown_query_offers_to_register_a_lead(desk, frozen_clock, maya):
    response = desk.get(reverse("desk:search"), {"q": "zzz"}, **HTMX)

    assert "No member matches" in response.content.decode()


def test_selling_a_pack_starts_it_with_its_visits(desk, frozen_clock, tom_berg, downtown):
    # given Tom, whose month ended on 3 November
    pack = PlanFactory(club=downtown, pack=True, name="10 visits")
    today = clock.today(downtown)

    response = desk.post(
        reverse("desk:sell", args=[tom_berg.pk]),
        {"plan": pack.pk, "start": today.isoformat(), "method": "cash"},
        follow=True,
    )

    sold = tom_berg.memberships.get(plan=pack)
    assert (sold.start, sold.visits_left) == (today, 10)
    # and the message names the dates as the back-office prints them, not in ISO
    assert [str(m) for m in response.context["messages"]] == [
        "Sold 10 visits: 23 Nov 2026 – 21 May 2027."
    ]


def test_sell_without_choosing_a_plan_is_a_field_error(desk, frozen_clock, maya):
    response = desk.post(
        reverse("desk:sell", args=[maya.pk]),
        {"plan": "", "start": "2026-12-13", "method": "cash"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"plan": ["Choose the plan to sell."]}
    assert maya.memberships.count() == 1


def test_selling_with_bad_input_shows_field_errors_and_sells_nothing(desk, frozen_clock, maya):
    response = desk.post(
        reverse("desk:sell", args=[maya.pk]), {"plan": "999999", "start": "soon", "method": "iou"}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"plan", "start", "method"}
    assert maya.memberships.count() == 1


def test_the_plans_on_sale_name_their_price(desk, frozen_clock, maya, monthly_plan):
    response = desk.get(reverse("desk:sell", args=[maya.pk]))

    assert (
        f'<option value="{monthly_plan.pk}" data-price="€49.00">Monthly — €49.00</option>'
        in response.content.decode()
    )


def offered(response) -> list[str]:
    return [label for _, label in response.context["form"].fields["plan"].choices]


def chosen(response) -> str | None:
    return response.context["form"]["plan"].value()


def test_a_lead_is_offered_the_trial_last_and_no_plan_comes_chosen(desk, frozen_clock, downtown):
    # given a walk-in lead, who never had a membership, and Downtown's plans, the trial cheapest
    PlanFactory(club=downtown, trial=True, name="Free trial")
    PlanFactory(club=downtown, name="Monthly", price="49.00")
    PlanFactory(club=downtown, name="Annual", price="450.00")
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD)

    # when the desk opens Sell for her
    response = desk.get(reverse("desk:sell", args=[lead.pk]))

    # then the trial is on offer after the paid plans, and staff choose: nothing is preselected
    assert offered(response) == [
        "Choose a plan",
        "Monthly — €49.00",
        "Annual — €450.00",
        "Free trial — €0.00",
    ]
    assert chosen(response) is None
    assert '<option value="" selected>Choose a plan</option>' in response.content.decode()
    assert 'min="2026-11-23"' in response.content.decode()


def test_someone_who_had_a_membership_is_not_offered_a_trial(
    desk, frozen_clock, downtown, tom_berg, monthly_plan
):
    # given Tom, whose month ended on 3 November, and Downtown's trial
    PlanFactory(club=downtown, trial=True, name="Free trial")

    # when the desk opens Sell for him
    response = desk.get(reverse("desk:sell", args=[tom_berg.pk]))

    # then the trial is not on offer: sales.sell would refuse it
    assert offered(response) == ["Choose a plan", "Monthly — €49.00"]
    assert chosen(response) is None


@pytest.mark.parametrize("start", ["2020-01-01", "2026-11-22"], ids=["years-ago", "yesterday"])
def test_a_sale_starting_in_the_past_is_refused_and_the_trial_stays_unused(
    desk, frozen_clock, downtown, start
):
    # given a lead, who may still take Downtown's free trial
    trial = PlanFactory(club=downtown, trial=True, name="Free trial")
    lead = MemberFactory(home_club=downtown, status=Member.Status.LEAD, first_name="Lars")

    # when the desk sells her the trial from a day that has passed
    response = desk.post(
        reverse("desk:sell", args=[lead.pk]), {"plan": trial.pk, "start": start, "method": "cash"}
    )

    # then the start says why, nothing was sold, and the trial is still on offer
    assert response.status_code == 400
    (error,) = response.context["form"].errors["start"]
    assert "has passed: a membership sold now starts today (23 Nov 2026) or later" in error
    assert not lead.memberships.exists()
    assert not Payment.objects.filter(member=lead).exists()
    assert "Free trial — €0.00" in offered(desk.get(reverse("desk:sell", args=[lead.pk])))


@pytest.mark.parametrize(
    ("plan", "start", "field", "message"),
    [
        pytest.param(
            # Not on offer to her (sales.sell's own message is tested in test_memberships).
            "trial",
            "2026-11-24",
            "plan",
            "Select a valid choice. That choice is not one of the available choices.",
            id="a-trial-to-a-member",
        ),
        pytest.param(
            "monthly",
            "2026-11-24",
            "start",
            "Maya has Monthly until 12 Dec 2026: renew it instead, or start on 13 Dec 2026.",
            id="a-second-month-over-hers",
        ),
    ],
)
def test_a_sale_over_a_running_membership_is_a_field_error(
    desk, frozen_clock, maya, maya_membership, downtown, plan, start, field, message
):
    # given Maya's Monthly, 13 Nov – 12 Dec
    plans = {"trial": PlanFactory(club=downtown, trial=True), "monthly": maya_membership.plan}

    # when the desk sells her a trial, or another month, from tomorrow
    response = desk.post(
        reverse("desk:sell", args=[maya.pk]),
        {"plan": plans[plan].pk, "start": start, "method": "cash"},
    )

    # then the form says why on the field to change, and her card is as it was
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert list(maya.memberships.all()) == [maya_membership]
    assert not Payment.objects.filter(member=maya).exists()


def test_plans_of_another_club_are_not_on_sale(desk, frozen_clock, maya, riverside):
    theirs = PlanFactory(club=riverside)
    today = clock.today(maya.home_club)

    response = desk.post(
        reverse("desk:sell", args=[maya.pk]),
        {"plan": theirs.pk, "start": today.isoformat(), "method": "cash"},
    )

    assert response.status_code == 400
    assert "plan" in response.context["form"].errors


def test_another_clubs_chain_wide_plan_is_not_sold_here(
    desk, frozen_clock, maya, monthly_plan, downtown, riverside
):
    # given Riverside's chain-wide plan (valid at Downtown too) and Downtown's own one
    harbour = PlanFactory(
        club=riverside, name="Chain-wide monthly", price="59.00", valid_at_all_clubs=True
    )
    PlanFactory(club=downtown, name="Gold", price="69.00", valid_at_all_clubs=True)
    form = reverse("desk:sell", args=[maya.pk])

    # then Downtown's desk offers Downtown's plans only, and refuses Riverside's if sent
    assert offered(desk.get(form)) == ["Choose a plan", "Monthly — €49.00", "Gold — €69.00"]
    response = desk.post(
        form, {"plan": harbour.pk, "start": clock.today().isoformat(), "method": "cash"}
    )
    assert response.status_code == 400
    assert "plan" in response.context["form"].errors
    assert not maya.memberships.filter(plan=harbour).exists()


def test_a_renewal_keeps_another_clubs_plan_and_says_whose_each_plan_is(
    desk, frozen_clock, maya, monthly_plan, riverside
):
    # given Maya's chain-wide month of Riverside's, sold before the desk sold own plans only
    harbour = PlanFactory(
        club=riverside, name="Chain-wide monthly", price="59.00", valid_at_all_clubs=True
    )
    current = MembershipFactory(member=maya, plan=harbour)
    form = reverse("desk:renew", args=[current.pk])

    # then Fiona, of one club, sees two clubs' plans, each with its club, her plan chosen
    page = desk.get(form)
    assert offered(page) == [
        "Monthly — Downtown — €49.00",
        "Chain-wide monthly — Riverside — €59.00",
    ]
    assert chosen(page) == harbour.pk

    # and renewing it keeps it
    response = desk.post(form, {"plan": harbour.pk, "method": "cash"})
    assert response.status_code == 302
    assert maya.memberships.latest("start").plan == harbour


@pytest.mark.parametrize("next_url", ["https://evil.example/phish", "//evil.example/", ""])
def test_renewing_returns_only_to_a_page_of_ours(desk, frozen_clock, tom_berg, next_url):
    # given a renewal form whose `next` was tampered with (or left out)
    membership = tom_berg.memberships.get()

    response = desk.post(
        reverse("desk:renew", args=[membership.pk]),
        {"plan": membership.plan_id, "method": "cash", "next": next_url},
    )

    # then the renewal is sold and the desk goes to the member's card, not to another site
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:member", args=[tom_berg.pk])
    assert tom_berg.memberships.exclude(pk=membership.pk).exists()


def test_renewing_early_starts_the_day_after_the_end(desk, frozen_clock, maya, maya_membership):
    response = desk.post(
        reverse("desk:renew", args=[maya_membership.pk]),
        {"plan": maya_membership.plan_id, "method": "cash"},
        follow=True,
    )

    renewal = Membership.objects.get(renewed_from=maya_membership)
    assert renewal.start == maya_membership.end + dt.timedelta(days=1)
    assert [str(m) for m in response.context["messages"]] == [
        "Renewed: Monthly from 13 Dec 2026 to 11 Jan 2027."
    ]


def test_freezing_moves_the_end_date(desk, frozen_clock, maya, maya_membership):
    today = clock.today(maya.home_club)
    old_end = maya_membership.end

    response = desk.post(
        reverse("desk:freeze", args=[maya_membership.pk]),
        {
            "start": today.isoformat(),
            "end": (today + dt.timedelta(days=6)).isoformat(),
            "reason": "Ski trip",
        },
    )

    assert response.status_code == 302
    maya_membership.refresh_from_db()
    assert maya_membership.end == old_end + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        pytest.param(
            "2026-11-24",
            "2026-11-30",
            "Frozen 24 Nov – 30 Nov; now ends 19 Dec 2026.",
            id="this-year",
        ),
        pytest.param(
            "2026-12-01",
            "2027-01-09",
            "Frozen 1 Dec 2026 – 9 Jan 2027; now ends 21 Jan 2027.",
            id="into-next-year",
        ),
    ],
)
def test_the_freeze_confirmation_names_the_years_when_not_this_one(
    desk, frozen_clock, maya_membership, first, last, message
):
    response = desk.post(
        reverse("desk:freeze", args=[maya_membership.pk]),
        {"start": first, "end": last},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [message]


def test_a_freeze_longer_than_the_club_allows_is_a_form_error(desk, frozen_clock, maya_membership):
    # given Downtown's maximum of 90 days
    # when the desk freezes Maya's month for 91
    response = desk.post(
        reverse("desk:freeze", args=[maya_membership.pk]),
        {"start": "2026-11-24", "end": "2027-02-22"},
    )

    # then the last day is refused, and her end date has not moved
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "end": ["A freeze at Downtown lasts at most 90 days; this one is 91."]
    }
    assert not maya_membership.freezes.exists()


def test_overlapping_freeze_is_a_form_error(desk, frozen_clock, maya, maya_membership):
    today = clock.today(maya.home_club)
    week = {"start": today.isoformat(), "end": (today + dt.timedelta(days=6)).isoformat()}
    desk.post(reverse("desk:freeze", args=[maya_membership.pk]), week)

    response = desk.post(reverse("desk:freeze", args=[maya_membership.pk]), week)

    assert response.status_code == 400
    assert "overlaps another freeze" in response.content.decode()
    assert maya_membership.freezes.count() == 1


def test_ending_a_freeze_early_gives_days_back(desk, frozen_clock, maya, maya_membership):
    today = clock.today(maya.home_club)
    desk.post(
        reverse("desk:freeze", args=[maya_membership.pk]),
        {"start": today.isoformat(), "end": (today + dt.timedelta(days=9)).isoformat()},
    )
    frozen = maya_membership.freezes.get()

    desk.post(
        reverse("desk:unfreeze", args=[frozen.pk]),
        {"on": (today + dt.timedelta(days=3)).isoformat()},
    )

    maya_membership.refresh_from_db()
    assert maya_membership.end == dt.date(2026, 12, 12) + dt.timedelta(days=3)


def test_freezing_moves_a_renewal_bought_already_with_the_end(desk, frozen_clock, maya_membership):
    # given Maya's month (to 12 Dec) renewed early: the renewal runs 13 Dec – 11 Jan
    desk.post(
        reverse("desk:renew", args=[maya_membership.pk]),
        {"plan": maya_membership.plan_id, "method": "cash"},
    )
    renewal = Membership.objects.get(renewed_from=maya_membership)

    # when the desk freezes her month from 1 to 14 December
    response = desk.post(
        reverse("desk:freeze", args=[maya_membership.pk]),
        {"start": "2026-12-01", "end": "2026-12-14"},
    )

    # then the month ends 14 days later and the renewal starts the day after, 14 days later
    assert response.status_code == 302
    maya_membership.refresh_from_db()
    renewal.refresh_from_db()
    assert maya_membership.end == dt.date(2026, 12, 26)
    assert (renewal.start, renewal.end) == (dt.date(2026, 12, 27), dt.date(2027, 1, 25))


def test_the_card_offers_cancel_for_a_planned_freeze_and_end_early_for_a_running_one(
    desk, frozen_clock, maya, maya_membership
):
    # given freezes of Maya's month (13 Nov – 12 Dec) that are over, running and to come
    over = FreezeFactory(
        membership=maya_membership, start=dt.date(2026, 11, 14), end=dt.date(2026, 11, 15)
    )
    running = FreezeFactory(
        membership=maya_membership, start=dt.date(2026, 11, 22), end=dt.date(2026, 11, 24)
    )
    planned = FreezeFactory(
        membership=maya_membership, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 3)
    )

    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()

    assert f'href="{reverse("desk:cancel_freeze", args=[planned.pk])}">Cancel freeze</a>' in html
    assert reverse("desk:unfreeze", args=[planned.pk]) not in html
    assert f'href="{reverse("desk:unfreeze", args=[running.pk])}">End early</a>' in html
    assert reverse("desk:cancel_freeze", args=[running.pk]) not in html
    assert reverse("desk:unfreeze", args=[over.pk]) not in html
    assert reverse("desk:cancel_freeze", args=[over.pk]) not in html


def test_cancelling_a_planned_freeze_at_the_desk(desk, frozen_clock, fiona, maya, maya_membership):
    # given Maya's month (to 12 Dec), renewed early and frozen from 1 to 14 December
    renewal = sales.renew(maya_membership, method="cash")
    frozen = freezes.freeze(maya_membership, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14))
    url = reverse("desk:cancel_freeze", args=[frozen.pk])

    # when the desk opens "Cancel freeze" and confirms
    page = desk.get(url)
    response = desk.post(url)

    # then the page asked with the right button, and the freeze and all its days are gone
    assert page.status_code == 200
    assert '<button type="submit" class="button">Cancel freeze</button>' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:member", args=[maya.pk])
    assert not maya_membership.freezes.exists()
    maya_membership.refresh_from_db()
    renewal.refresh_from_db()
    assert maya_membership.end == dt.date(2026, 12, 12)
    assert (renewal.start, renewal.end) == (dt.date(2026, 12, 13), dt.date(2027, 1, 11))
    # and the card's timeline shows it, by Fiona
    event = maya.events.filter(kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN).get()
    assert (event.actor, event.data["cancelled"]) == (fiona, True)
    assert "a planned freeze was cancelled" in desk.get(response["Location"]).content.decode()


def test_a_running_freeze_cannot_be_cancelled_at_the_desk(desk, frozen_clock, maya_membership):
    today = clock.today(maya_membership.member.home_club)
    frozen = freezes.freeze(maya_membership, start=today, end=today + dt.timedelta(days=6))

    response = desk.post(reverse("desk:cancel_freeze", args=[frozen.pk]))

    assert response.status_code == 400
    assert "end it early instead" in response.content.decode()
    maya_membership.refresh_from_db()
    assert maya_membership.freezes.get() == frozen
    assert maya_membership.end == dt.date(2026, 12, 19)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        pytest.param(dt.date(2026, 12, 1), dt.date(2026, 12, 3), "cancel it instead", id="planned"),
        pytest.param(dt.date(2026, 11, 14), dt.date(2026, 11, 16), "is over", id="over"),
    ],
)
def test_only_a_running_freeze_can_be_ended_early_at_the_desk(
    desk, frozen_clock, maya_membership, first, last, message
):
    frozen = freeze_made_back_then(maya_membership, start=first, end=last)

    response = desk.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": first.isoformat()})

    assert response.status_code == 400
    assert message in response.content.decode()
    maya_membership.refresh_from_db()
    assert maya_membership.freezes.get() == frozen
    assert maya_membership.end == dt.date(2026, 12, 15)


@pytest.mark.parametrize(("persona", "status"), [("mia", 302), ("olga", 404)])
def test_only_sellers_of_the_members_club_may_cancel_a_freeze(
    client, frozen_clock, request, maya_membership, persona, status
):
    frozen = freezes.freeze(maya_membership, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 3))
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("desk:cancel_freeze", args=[frozen.pk]))

    # marketing is sent to the dashboard (Wagtail's "forbidden"); another club finds nothing
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == reverse("wagtailadmin_home")
    assert maya_membership.freezes.get() == frozen


def test_walk_in_lead_with_consent_is_logged_with_the_wording(desk, frozen_clock, downtown, fiona):
    response = desk.post(
        reverse("desk:new_lead"),
        {"first_name": "Ana", "last_name": "Kovač", "phone": "06 2222 3333", "sms_consent": "on"},
    )

    lead = Member.objects.get(first_name="Ana")
    assert response.status_code == 302
    assert (lead.status, lead.source, str(lead.phone), lead.sms_consent) == (
        "lead",
        "walk_in",
        "+31622223333",
        True,
    )
    log = ConsentLog.objects.get(member=lead)
    assert log.wording == "Yes, Downtown may text me about my membership, classes and offers."
    assert log.recorded_by == fiona


def test_a_walk_in_with_a_known_phone_and_another_name_is_a_new_lead(desk, frozen_clock, maya):
    response = desk.post(
        reverse("desk:new_lead"),
        {"first_name": "Tina", "last_name": "Newcomer", "phone": "06 12345678"},
    )

    tina = Member.objects.get(first_name="Tina")
    assert response["Location"] == reverse("desk:member", args=[tina.pk])
    # the desk is told at once, so it can ask while Tina is at the counter
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told[-1].startswith(f"Same phone as Maya Jansen (member #{maya.pk})")
    card = desk.get(response["Location"]).content.decode()
    assert "Lead registered." in card
    assert f"Same phone as Maya Jansen (member #{maya.pk})" in card


def test_a_walk_in_with_a_known_phone_and_the_same_name_opens_their_card(desk, frozen_clock, maya):
    response = desk.post(
        reverse("desk:new_lead"),
        {"first_name": "MAYA", "last_name": "jansen", "phone": "06 12345678"},
    )

    assert response["Location"] == reverse("desk:member", args=[maya.pk])
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"first_name": "Ana"}, "Give a phone number or an email"),
        ({"first_name": "Ana", "phone": "12"}, "Enter a valid phone number"),
        (
            {"first_name": "Ana", "email": "ana@example.com", "sms_consent": "on"},
            "SMS consent needs",
        ),
        (
            {"first_name": "Ana", "phone": "020 123 4567", "sms_consent": "on"},
            "SMS consent needs a mobile number: this is a landline",
        ),
    ],
)
def test_bad_leads_get_errors_and_nothing_is_saved(desk, frozen_clock, downtown, data, error):
    response = desk.post(reverse("desk:new_lead"), data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Member.objects.exists()


def test_a_note_over_the_limit_comes_back_as_typed_with_the_error(desk, frozen_clock, maya):
    typed = ("Asked about personal training. " * 70).strip()  # 2,169 characters

    response = desk.post(reverse("desk:note", args=[maya.pk]), {"text": typed})

    assert response.status_code == 400
    html = response.content.decode()
    assert f">{typed}</textarea>" in html
    assert "Ensure this value has at most 2000 characters (it has 2169)." in html
    assert not maya.events.filter(kind=MemberEvent.Kind.NOTE).exists()


def test_note_goes_on_the_timeline_and_the_card_shows_it(desk, frozen_clock, maya, fiona):
    desk.post(reverse("desk:note", args=[maya.pk]), {"text": "Asked about personal training"})

    note = maya.events.get(kind=MemberEvent.Kind.NOTE)
    assert (note.actor, note.data) == (fiona, {"text": "Asked about personal training"})
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "Asked about personal training" in card


def test_member_card_pages_the_timeline_newest_first(desk, frozen_clock, maya):
    for n in range(30):
        MemberEvent.objects.create(
            member=maya, kind="note", at=clock.now() - dt.timedelta(hours=n), data={"text": f"n{n}"}
        )

    first = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    second = desk.get(reverse("desk:member", args=[maya.pk]), {"page": 2}).content.decode()

    assert "“n0”" in first and "“n24”" in first and "“n25”" not in first
    assert "“n29”" in second
    assert first.index("“n0”") < first.index("“n1”")


def test_the_recent_list_shows_what_a_pack_has_left(desk, frozen_clock, downtown):
    ana = MemberFactory(home_club=downtown, first_name="Ana", last_name="Kovač")
    MembershipFactory(member=ana, plan=PlanFactory(club=downtown, pack=True), visits_left=3)

    html = desk.post(reverse("desk:check_in", args=[ana.pk]), **HTMX).content.decode()

    assert re.search(r"Ana Kovač</a>\s*✔ \(2 left\)", html)


def test_checking_in_from_the_card_updates_no_desk_list_and_refreshes_the_card(
    desk, frozen_clock, maya
):
    from_card = {
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_CURRENT_URL": f"http://testserver/admin/desk/members/{maya.pk}/",
    }

    response = desk.post(reverse("desk:check_in", args=[maya.pk]), **from_card)

    html = response.content.decode()
    assert 'data-outcome="admitted"' in html
    # the card has no recent list or results to update; it fetches its own parts again
    assert "hx-swap-oob" not in html
    assert response["HX-Trigger"] == "member-changed"
    card = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert re.search(r'hx-trigger="member-changed from:body"', card)
    for part in ("card-badges", "card-columns", "card-panels", "card-timeline"):
        assert card.count(f'id="{part}"') == 1
    assert re.search(r"<strong>1</strong> visit\b", card)


def test_checking_in_on_the_desk_screen_does_not_refresh_a_card(desk, frozen_clock, maya):
    response = desk.post(reverse("desk:check_in", args=[maya.pk]), **HTMX)

    assert 'data-outcome="admitted"' in response.content.decode()
    assert "HX-Trigger" not in response


def test_a_plan_of_another_club_is_offered_a_sale_not_a_renewal(
    desk, frozen_clock, downtown, riverside
):
    member = MemberFactory(home_club=downtown, first_name="Rik", card_token="RIK-1")
    membership = MembershipFactory(member=member, plan=PlanFactory(club=riverside))

    html = desk.post(reverse("desk:scan"), {"q": "RIK-1"}, **HTMX).content.decode()

    assert 'data-reason="wrong_club"' in html
    assert reverse("desk:sell", args=[member.pk]) in html
    assert reverse("desk:renew", args=[membership.pk]) not in html


def test_a_frozen_member_is_offered_no_sale(desk, frozen_clock, maya, maya_membership):
    from memberships import freezes

    freezes.freeze(maya_membership, start=clock.today(), end=clock.today(), reason="Flu")

    html = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **HTMX).content.decode()

    assert 'data-reason="frozen"' in html
    assert "Renew now" not in html and "Sell a membership" not in html


def test_a_frozen_member_is_offered_end_freeze_and_then_checks_in(
    desk, frozen_clock, maya, maya_membership
):
    # given Maya's month frozen for a week from today
    today = clock.today(maya.home_club)
    frozen = freezes.freeze(maya_membership, start=today, end=today + dt.timedelta(days=6))
    end_freeze = reverse("desk:unfreeze", args=[frozen.pk])

    back = reverse("desk:desk")

    # when her card is scanned, and the desk takes the denial's "End freeze" back from today
    denied = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **HTMX).content.decode()
    form = desk.get(end_freeze, {"next": back})
    ended = desk.post(end_freeze, {"on": today.isoformat(), "next": back})

    # then the denial offered it, the freeze is gone, the desk is back at its scan box, and
    # the next scan admits her
    assert 'data-reason="frozen"' in denied
    assert f'href="{end_freeze}?next={back}">End freeze</a>' in denied
    assert form.status_code == 200
    assert f'name="next" value="{back}"' in form.content.decode()
    assert ended.status_code == 302
    assert ended["Location"].startswith(f"{back}?unfrozen=")  # with "Check in now"
    assert not maya_membership.freezes.exists()
    admitted = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **HTMX).content.decode()
    assert 'data-outcome="admitted"' in admitted


def test_a_denial_for_another_reason_offers_no_end_freeze(desk, frozen_clock, tom_berg):
    # a freeze of Tom's month, over before it ended: it is not why he is turned away today
    freeze_made_back_then(
        tom_berg.memberships.get(), start=dt.date(2026, 10, 10), end=dt.date(2026, 10, 11)
    )

    html = desk.post(reverse("desk:scan"), {"q": "TOM-BERG"}, **HTMX).content.decode()

    assert 'data-reason="expired"' in html
    assert "End freeze" not in html
    assert "/freezes/" not in html


def test_only_the_members_club_may_end_the_freeze_offered(
    client, frozen_clock, olga, maya_membership
):
    today = clock.today(maya_membership.member.home_club)
    frozen = freezes.freeze(maya_membership, start=today, end=today + dt.timedelta(days=6))
    client.force_login(olga)

    response = client.post(reverse("desk:unfreeze", args=[frozen.pk]), {"on": today.isoformat()})

    assert response.status_code == 404
    assert maya_membership.freezes.get() == frozen


def test_the_card_says_which_memberships_ended_and_which_are_to_come(
    desk, frozen_clock, maya, monthly_plan
):
    MembershipFactory(member=maya, plan=monthly_plan, start=dt.date(2026, 9, 1))
    MembershipFactory(member=maya, plan=monthly_plan, start=dt.date(2026, 12, 13))

    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()

    statuses = re.findall(r"<td>(Ended|Upcoming|Active)</td>", html)
    assert statuses == ["Upcoming", "Active", "Ended"]  # newest first


def test_the_timeline_names_sources_in_words(desk, frozen_clock, downtown):
    from members import leads

    lead, _ = leads.capture(
        downtown, first_name="Wout", source="walk_in", phone="+31612000009", consent_source="desk"
    )

    html = desk.get(reverse("desk:member", args=[lead.pk])).content.decode()

    assert "· Walk-in" in html
    assert "walk_in" not in html


def test_the_timeline_names_where_consent_changed_in_words(desk, frozen_clock, maya):
    from campaigns.optout import opt_out_number
    from members.consent import set_consent
    from members.models import Channel

    set_consent(maya, Channel.EMAIL, granted=False, source="email_unsubscribe")
    opt_out_number(maya.phone.as_e164, source="sms_stop")
    set_consent(maya, Channel.EMAIL, granted=True, source="somewhere new")

    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()

    assert "· Unsubscribe link (email)" in html and "· Replied STOP" in html
    assert "email_unsubscribe" not in html and "sms_stop" not in html
    assert "· somewhere new" in html  # text nobody registered reads as stored
    # each line says which channel and which way, not only "Consent changed"
    assert "Email consent withdrawn" in html and "SMS consent withdrawn" in html
    assert "Email consent given" in html

    set_consent(maya, Channel.SMS, granted=False, source="import")
    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "· Import" in html  # a code nobody registered still reads as a word


def test_a_club_abroad_reads_national_numbers_as_it_shows_them(desk, frozen_clock, downtown):
    # given Downtown's own number is a UK one, so the desk shows members' numbers as UK ones
    downtown.phone = "+441214960000"
    downtown.save()
    jo = MemberFactory(home_club=downtown, first_name="Jo", phone="+441214960457")

    # when the desk types a number back as shown, in search and on a walk-in
    found = desk.get(reverse("desk:search"), {"q": "0121 496 0457"}).content.decode()
    walk_in = desk.post(reverse("desk:new_lead"), {"first_name": "Ash", "phone": "0121 496 0999"})
    refused = desk.post(reverse("desk:new_lead"), {"first_name": "Bo", "phone": "0121 49"})

    # then they are read as UK numbers, and a bad one names a UK example
    assert reverse("desk:member", args=[jo.pk]) in found
    assert walk_in.status_code == 302
    assert str(Member.objects.get(first_name="Ash").phone) == "+441214960999"
    assert "Enter a valid phone number (e.g. 0121 234 5678)" in refused.content.decode()


def test_a_club_s_country_outranks_the_country_of_its_phone(desk, frozen_clock, downtown):
    # given a Dutch club whose own number is a UK one (the demo's drama numbers)
    downtown.phone, downtown.country = "+442079460001", "NL"
    downtown.save()

    walk_in = desk.post(reverse("desk:new_lead"), {"first_name": "Ans", "phone": "06 12345670"})

    assert walk_in.status_code == 302
    assert str(Member.objects.get(first_name="Ans").phone) == "+31612345670"


@pytest.mark.parametrize("country", ["XX", "nl", "NLD"])
def test_a_club_country_must_be_a_known_code(downtown, country):
    downtown.country = country

    with pytest.raises(ValidationError) as refused:
        downtown.full_clean()

    assert "country" in refused.value.message_dict


@pytest.mark.parametrize("typed", ["06-1234", "06 1234 56", "+31 6 12", "0612x345"])
def test_an_invalid_phone_on_a_walk_in_is_shown_again_exactly_as_typed(
    desk, frozen_clock, downtown, typed
):
    response = desk.post(reverse("desk:new_lead"), {"first_name": "Ana", "phone": typed})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid phone number" in html
    field = re.search(r'<input type="tel" name="phone"[^>]*>', html).group(0)
    assert f'value="{typed}"' in field
    assert not Member.objects.exists()


def test_a_valid_phone_is_shown_as_the_club_writes_it_when_another_field_fails(
    desk, frozen_clock, downtown
):
    response = desk.post(
        reverse("desk:new_lead"), {"first_name": "Ana", "phone": "0612345678", "email": "x@"}
    )

    assert response.status_code == 400
    assert 'value="06 12345678"' in response.content.decode()
