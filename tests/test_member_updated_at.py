"""`updated_at` moves with every change an export (`GET /api/v1/members?updated_since=`) must
send, whether the row is written by save(), save(update_fields=…), a queryset update or
bulk_update, and stays for the bookkeeping columns (members.models.BOOKKEEPING_FIELDS). The
clock starts at 23 Nov 17:00 UTC."""

import datetime as dt

import pytest

from campaigns import lifecycle
from cms.portal import auth, feeds
from members import cards, consent, imports, leads
from members.models import Member
from memberships import statuses
from memberships.stripe import saved_cards
from tests.factories import MemberFactory

START = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
LATER = START + dt.timedelta(minutes=30)


def _staff_edit(member, **_):
    # As the back-office's edit form writes it: only the fields changed.
    member.first_name = "Edited"
    member.save(update_fields=["first_name"])


def _card_given(member, max, **_):
    cards.give_card(member, "NEW-CARD-1", by=max)


def _consent_withdrawn(member, **_):
    consent.set_consent(member, "email", granted=False, source="desk")


def _status_refreshed(member, **_):
    # A member with no membership is a lead again.
    statuses.refresh_member_statuses(member.home_club)


def _imported(member, max, **_):
    imports.apply(
        [
            (
                2,
                {
                    "first_name": member.first_name,
                    "last_name": member.last_name,
                    "email": member.email,
                    "birth_date": "1990-04-02",
                },
            )
        ],
        club=member.home_club,
        clubs=[member.home_club],
        by=max,
        file_name="members.csv",
    )


def _card_removed(member, **_):
    saved_cards.remove(member, source="portal")


def _stage_refreshed(member, **_):
    lifecycle.refresh_stages(member.home_club)


def _portal_login_made(member, **_):
    auth.portal_user(member)


def _portal_calendar_token(member, **_):
    feeds.reset_calendar_token(member)


@pytest.mark.parametrize(
    ("change", "counts"),
    [
        (_staff_edit, True),
        (_card_given, True),
        (_consent_withdrawn, True),
        (_status_refreshed, True),
        (_imported, True),
        (_card_removed, True),
        (_stage_refreshed, False),
        (_portal_login_made, False),
        (_portal_calendar_token, False),
    ],
)
def test_what_moves_updated_at(frozen_clock, downtown, max, change, counts):
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        stage=Member.Stage.ACTIVE,
        birth_date=None,
        email_consent=True,
        stripe_customer_id="cus_1",
        stripe_payment_method_id="pm_1",
        card_brand="visa",
        card_last4="4242",
    )
    frozen_clock.move_to(LATER)

    change(member, max=max)

    member.refresh_from_db()
    assert member.updated_at == (LATER if counts else START)


def test_a_known_person_given_a_phone_by_a_lead_form_moves(frozen_clock, downtown):
    member = MemberFactory(home_club=downtown, phone="")
    frozen_clock.move_to(LATER)

    assert leads.fill_in(member, phone="+31612000111") == ["phone"]

    member.refresh_from_db()
    assert member.updated_at == LATER


def test_the_stage_refresh_changed_the_stage_without_moving_updated_at(frozen_clock, downtown):
    # The stage test above is only worth something if the refresh did write the stage.
    member = MemberFactory(home_club=downtown, stage=Member.Stage.ACTIVE)
    frozen_clock.move_to(LATER)

    assert lifecycle.refresh_stages(downtown) == 1

    member.refresh_from_db()
    assert member.stage == Member.Stage.LEAD and member.updated_at == START
