"""Managers read what Stripe told us about online payments, and what came of it, in the
back-office ("Memberships › Online payment events"): their clubs' events only, in words,
without the card or contact details a payload carries.

The clock is frozen at Monday 23 Nov 2026, 18:00 in Amsterdam; Maya's month runs 1–30 Nov.
"""

import contextlib
import datetime as dt
import importlib
import json
import re
from html import unescape

import pytest
from django.apps import apps
from django.urls import reverse

from club import roles
from members import erasure
from memberships.models import Membership, Payment, StripeEvent
from memberships.stripe import events
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, UserFactory
from tests.stripe_helpers import (
    checkout_completed,
    event,
    payment_failed,
    signed,
    stripe_on_fixture,  # noqa: F401 (fixture stripe_on)
)

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"
INDEX = "stripe_events:index"


def outcome(response) -> str:
    # Wagtail answers PermissionDenied in the admin with a redirect to its dashboard.
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    return {200: OK, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows(response) -> list[str]:
    """The list's rows, each in words."""
    html = response.content.decode()
    if 'class="listing' not in html:
        return []  # an empty list has no table
    table = html.split('class="listing', 1)[1]
    body = table.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [words(row) for row in body.split("<tr")[1:]]


def inspect_url(event: StripeEvent) -> str:
    return reverse("stripe_events:inspect", args=[event.pk])


def stored(payload: dict) -> StripeEvent:
    """An event received as the webhook receives it (signature checked) and processed; an
    error of processing stays on the row, as the task leaves it."""
    body = json.dumps(payload)
    received = events.receive(body.encode(), signed(body))
    # The malformed renewal's ValueError is kept on the row: that is what the screen shows.
    with contextlib.suppress(ValueError):
        events.process(received.pk)
    received.refresh_from_db()
    return received


@pytest.fixture
def month(frozen_clock, maya_membership):
    Membership.objects.filter(pk=maya_membership.pk).update(
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
    )
    maya_membership.refresh_from_db()
    return maya_membership


@pytest.fixture
def rick(riverside):
    """Riverside's manager."""
    return UserFactory(username="rick", clubs=[riverside], roles=[roles.MANAGER])


@pytest.fixture
def rita_month(frozen_clock, riverside):
    rita = MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")
    plan = PlanFactory(club=riverside, name="Riverside monthly")
    return MembershipFactory(member=rita, plan=plan, start=dt.date(2026, 11, 1))


@pytest.fixture
def history(stripe_on, frozen_clock, month, rita_month):
    """Downtown: a renewal paid at 17:00, a declined card at 17:10, a malformed renewal that
    fails at 17:20; Riverside: Rita's renewal at 17:30; nobody's: a new customer at 17:40."""
    frozen_clock.move_to("2026-11-23 16:00:00+00:00")
    paid = stored(checkout_completed(month, event_id="evt_paid", intent="pi_paid"))
    frozen_clock.move_to("2026-11-23 16:10:00+00:00")
    declined = payment_failed(month, event_id="evt_declined", intent="pi_declined")
    declined["data"]["object"]["last_payment_error"].update(
        message="Your card has insufficient funds.",
        payment_method={
            "card": {"brand": "visa", "last4": "4242", "fingerprint": "fp_SECRET"},
            "billing_details": {"name": "Maya Jansen", "email": "maya.private@example.com"},
        },
    )
    declined["data"]["object"]["client_secret"] = "pi_declined_secret_XYZ"
    declined = stored(declined)
    frozen_clock.move_to("2026-11-23 16:20:00+00:00")
    broken = checkout_completed(month, event_id="evt_broken", intent="pi_broken")
    broken["data"]["object"]["metadata"]["membership"] = "not-a-number"
    broken = stored(broken)
    frozen_clock.move_to("2026-11-23 16:30:00+00:00")
    theirs = stored(checkout_completed(rita_month, event_id="evt_rita", intent="pi_rita"))
    frozen_clock.move_to("2026-11-23 16:40:00+00:00")
    nobodys = stored(event("customer.created", {"id": "cus_1"}, event_id="evt_nobody"))
    frozen_clock.move_to("2026-11-23 17:00:00+00:00")
    return {
        "paid": paid,
        "declined": declined,
        "broken": broken,
        "theirs": theirs,
        "nobodys": nobodys,
    }


# --- what processing keeps on the event ------------------------------------------------------


def test_processing_keeps_the_member_the_outcome_and_the_payment(history, maya, month):
    paid, declined, broken = history["paid"], history["declined"], history["broken"]
    payment = Payment.objects.get(stripe_payment_intent_id="pi_paid")

    assert (paid.member, paid.state, paid.payment) == (maya, "processed", payment)
    assert payment.membership.renewed_from == month
    assert paid.outcome_text() == "Processed: Paid: the membership is renewed."
    assert (declined.member, declined.state, declined.payment) == (maya, "processed", None)
    assert declined.note == "Payment failed (Insufficient funds): noted on the member's timeline."
    assert (broken.member, broken.state, broken.attempts) == (maya, "failed", 1)
    assert broken.outcome_text().startswith("Failed (1 attempt): ValueError: invalid literal")
    assert (history["nobodys"].member, history["nobodys"].state) == (None, "ignored")


def test_a_checkout_not_yet_paid_is_ignored_and_says_why(stripe_on, frozen_clock, month):
    pending = stored(checkout_completed(month, payment_status="unpaid"))

    assert pending.state == "ignored"
    assert pending.note.startswith("Not paid yet")
    assert not Payment.objects.exists()


# --- the list ----------------------------------------------------------------------------------


def test_a_manager_sees_his_clubs_events_newest_first_in_words(client, history, max, maya):
    client.force_login(max)

    response = client.get(reverse(INDEX))

    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 3  # not Rita's (Riverside), not the event about nobody
    broken, declined, paid = listed
    assert "Online payment completed Maya Jansen €49.00 Failed (1 attempt): ValueError" in broken
    assert (
        "Payment attempt failed Maya Jansen €49.00 Processed: Payment failed (Insufficient "
        "funds): noted on the member's timeline." in declined
    )
    assert (
        "Online payment completed Maya Jansen €49.00 Processed: Paid: the membership is "
        "renewed. €49.00 paid · Monthly 1 Dec 2026 → 30 Dec 2026" in paid
    )
    html = response.content.decode()
    # the member's name opens their card, the result the payment
    assert f'href="{reverse("desk:member", args=[maya.pk])}"' in html
    payment = history["paid"].payment
    assert f'href="{reverse("payments:inspect", args=[payment.pk])}"' in html
    assert "Rita" not in html


def test_a_superuser_also_sees_events_about_no_member(client, history):
    client.force_login(UserFactory(is_superuser=True))

    listed = rows(client.get(reverse(INDEX)))

    assert len(listed) == 5
    assert (
        "23 Nov 2026, 17:40 Inspect customer.created — — Ignored: Not a kind of event "
        "ClubCycle acts on. —" in listed[0]
    )
    assert "Rita Riverside" in listed[1]


def test_an_erased_member_is_shown_as_erased(stripe_on, client, frozen_clock, tom_berg, max):
    stored(payment_failed(tom_berg.memberships.get(), event_id="evt_tom"))
    erasure.erase(tom_berg, by=max, reason="Asked at the desk")
    client.force_login(max)

    (row,) = rows(client.get(reverse(INDEX)))

    assert f"Payment attempt failed Erased member #{tom_berg.pk} — Processed" in row
    assert "Berg" not in row


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "failed"}, ["evt_broken"]),
        ({"state": "processed"}, ["evt_declined", "evt_paid"]),
        ({"state": "ignored"}, []),
        ({"state": "waiting"}, []),
        ({"received_at_from": "2026-11-23", "received_at_to": "2026-11-23"}, "all"),
        ({"received_at_from": "2026-11-24"}, []),
        ({"received_at_to": "2026-11-22"}, []),
    ],
)
def test_filters_by_outcome_and_date(client, history, max, query, expected):
    client.force_login(max)
    ours = ["evt_broken", "evt_declined", "evt_paid"]

    response = client.get(reverse(INDEX), query)

    assert response.status_code == 200
    html = response.content.decode()
    shown = [e for e in ours if f'href="{inspect_url(history[e[4:]])}"' in html]
    assert shown == (ours if expected == "all" else expected)


def test_waiting_events_are_those_not_yet_processed(stripe_on, client, frozen_clock, month, max):
    body = json.dumps(checkout_completed(month, event_id="evt_waiting"))
    waiting = events.receive(body.encode(), signed(body))
    client.force_login(max)

    response = client.get(reverse(INDEX), {"state": "waiting"})

    (row,) = rows(response)
    assert "Waiting to be processed" in row
    assert f'href="{inspect_url(waiting)}"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        # Not a valid filter: the list as unfiltered (and still of our clubs only).
        ({"state": "lost"}, 3),
        ({"received_at_from": "yesterday"}, 3),
        ({"received_at_from": "2026-13-45", "received_at_to": "x"}, 3),
        # Valid, and nothing in it.
        ({"received_at_from": "2026-11-30", "received_at_to": "2026-11-01"}, 0),
        ({"q": "'; drop table"}, 0),
    ],
)
def test_bad_filter_input_is_no_error(client, history, max, query, listed):
    client.force_login(max)

    response = client.get(reverse(INDEX), query)

    assert response.status_code == 200
    shown = [row for row in rows(response) if "Inspect" in row]
    assert len(shown) == listed
    assert "Rita" not in response.content.decode()


def test_a_filter_by_outcome_never_shows_another_clubs_events(client, history, rick):
    client.force_login(rick)

    response = client.get(reverse(INDEX), {"state": "processed"})

    (row,) = rows(response)
    assert "Rita Riverside" in row
    assert "Maya" not in response.content.decode()


# --- inspect -----------------------------------------------------------------------------------


def test_inspect_shows_the_event_in_words_and_no_card_or_contact_details(
    client, history, max, maya
):
    client.force_login(max)
    declined = history["declined"]

    response = client.get(inspect_url(declined))

    assert response.status_code == 200
    text = words(response.content.decode().split("<dl", 1)[1])
    for shown in [
        "Received 23 Nov 2026, 17:10",  # on the club's clock
        "Event Payment attempt failed",
        "Member Maya Jansen",
        "Amount €49.00",
        "Outcome Processed: Payment failed (Insufficient funds)",
        "Stripe event ID evt_declined",
        "PaymentIntent pi_declined",
        "Decline code insufficient_funds",
        "Stripe's message Your card has insufficient funds.",
        "Mode Test (no real money)",
    ]:
        assert shown in text, shown
    html = response.content.decode()
    assert f'href="{reverse("desk:member", args=[maya.pk])}"' in html
    for secret in ["4242", "fp_SECRET", "pi_declined_secret", "maya.private@example.com", "visa"]:
        assert secret not in html, secret


def test_inspect_of_a_failed_event_shows_the_whole_error(client, history, max):
    client.force_login(max)

    response = client.get(inspect_url(history["broken"]))

    assert "Failed (1 attempt): ValueError: invalid literal for int() with base 10: " in words(
        response.content.decode()
    )


def test_inspect_of_a_renewal_links_the_payment_and_names_the_membership(client, history, max):
    client.force_login(max)
    paid = history["paid"]

    response = client.get(inspect_url(paid))

    text = words(response.content.decode())
    assert "Payment €49.00 paid · Monthly 1 Dec 2026 → 30 Dec 2026" in text
    assert "Checkout Session cs_test_1" in text
    assert "maya.jansen@example.com" not in response.content.decode()
    assert f'href="{reverse("payments:inspect", args=[paid.payment_id])}"' in (
        response.content.decode()
    )


# --- who may see it ----------------------------------------------------------------------------

# The list, and the inspect screen of one of Downtown's events, by role and club.
EXPECTED = {
    "max": (OK, OK),
    "fiona": (FORBIDDEN, FORBIDDEN),
    "tom": (FORBIDDEN, FORBIDDEN),
    "mia": (FORBIDDEN, FORBIDDEN),
    "rick": (OK, NOT_FOUND),  # his club's list; our event does not exist for him
    "olga": (FORBIDDEN, NOT_FOUND),  # as on the other screens: not even there for her
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, request, history, persona):
    client.force_login(request.getfixturevalue(persona))
    urls = [
        reverse(INDEX),
        inspect_url(history["paid"]),
    ]

    got = tuple(outcome(client.get(url)) for url in urls)

    assert got == EXPECTED[persona]
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert (urls[0] in menu) is (EXPECTED[persona][0] == OK)


def test_an_event_about_no_member_is_404_to_managers(client, history, max):
    client.force_login(max)

    response = client.get(inspect_url(history["nobodys"]))

    assert response.status_code == 404


# --- events stored before the links ------------------------------------------------------------


def test_the_migration_links_events_stored_before_it(stripe_on, history, maya):
    StripeEvent.objects.update(member=None, payment=None, outcome="", note="")
    migration = importlib.import_module("memberships.migrations.0008_stripe_event_links")

    migration.link_stored_events(apps, None)

    linked = {
        e.stripe_id: (e.member, e.payment_id is not None, e.outcome)
        for e in StripeEvent.objects.all()
    }
    assert linked == {
        "evt_paid": (maya, True, "processed"),
        "evt_declined": (maya, False, "processed"),
        "evt_broken": (maya, False, ""),
        "evt_rita": (history["theirs"].member, True, "processed"),
        "evt_nobody": (None, False, "ignored"),
    }
