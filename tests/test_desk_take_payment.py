"""Take payment for an unpaid membership, from the denial panel and the member card: the amount
due, cash or card terminal, the membership active again, the timeline told, and from a denial
"Check in now". A second submit takes nothing twice. Today is 23 Nov 2026."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from checkin.models import Visit
from checkin.templatetags import desk_labels
from members.models import MemberEvent
from memberships import dues
from memberships.models import Membership, Payment

DESK = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/admin/desk/"}


@pytest.fixture
def unpaid(frozen_clock, maya, maya_membership):
    """Maya's month (€49.00), marked unpaid."""
    Membership.objects.filter(pk=maya_membership.pk).update(status=Membership.Status.PAST_DUE)
    maya_membership.refresh_from_db()
    return maya_membership


def pay(client, membership, method="cash", **extra):
    return client.post(
        reverse("desk:take_payment", args=[membership.pk]), {"method": method, **extra}
    )


def test_an_unpaid_denial_takes_the_payment_and_offers_check_in_now(desk, fiona, maya, unpaid):
    # given Maya turned away as unpaid
    denied = desk.post(reverse("desk:scan"), {"q": "MAYA-0001"}, **DESK).content.decode()
    take = reverse("desk:take_payment", args=[unpaid.pk])
    assert 'data-reason="unpaid"' in denied
    assert f'href="{take}?next=/admin/desk/">Take payment · €49.00 due</a>' in denied

    # when the desk opens it, sees what is due, and takes it in cash
    form = desk.get(take, {"next": "/admin/desk/"}).content.decode()
    assert "Due: €49.00 for Monthly" in form
    assert 'name="next" value="/admin/desk/"' in form
    response = pay(desk, unpaid, next="/admin/desk/")

    # then the payment is recorded, the membership is active, the timeline says so
    payment = Payment.objects.get(membership=unpaid)
    assert (payment.amount, payment.currency, payment.method, payment.status) == (
        Decimal("49.00"),
        "EUR",
        Payment.Method.CASH,
        Payment.Status.SUCCEEDED,
    )
    assert payment.recorded_by == fiona
    unpaid.refresh_from_db()
    assert unpaid.status == Membership.Status.ACTIVE
    event = maya.events.get(kind=MemberEvent.Kind.PAYMENT_RECEIVED)
    assert event.actor == fiona
    assert event.data["payment"] == payment.pk
    assert event.data["method"] == "cash"
    assert event.data["was_unpaid"] is True

    # and the desk offers "Check in now", which admits her
    assert response["Location"] == f"/admin/desk/?paid={payment.pk}"
    offer = desk.get(response["Location"]).content.decode()
    assert 'data-outcome="paid"' in offer
    assert "€49.00 · Cash · Monthly" in offer
    assert "Check in now" in offer
    admitted = desk.post(reverse("desk:check_in", args=[maya.pk]), **DESK).content.decode()
    assert 'data-outcome="admitted"' in admitted
    assert Visit.objects.filter(member=maya).count() == 1


def test_a_second_submit_takes_nothing_twice(desk, maya, unpaid):
    pay(desk, unpaid, method="card_terminal")

    again = pay(desk, unpaid, method="card_terminal")

    assert Payment.objects.filter(membership=unpaid).count() == 1
    assert maya.events.filter(kind=MemberEvent.Kind.PAYMENT_RECEIVED).count() == 1
    assert again.status_code == 302
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == (
        "Monthly is paid already: nothing was taken now."
    )
    assert dues.take_payment(unpaid, method="cash") is None


def test_the_card_of_an_unpaid_member_offers_take_payment(desk, maya, unpaid):
    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()

    take = reverse("desk:take_payment", args=[unpaid.pk])
    assert f'href="{take}"' in html
    assert "Take payment · €49.00 due" in html
    # taken from the card, back to the card
    assert pay(desk, unpaid)["Location"] == reverse("desk:member", args=[maya.pk])


def test_a_paid_membership_has_nothing_to_take(desk, frozen_clock, maya, maya_membership):
    html = desk.get(reverse("desk:member", args=[maya.pk])).content.decode()
    assert "Take payment" not in html

    response = desk.get(reverse("desk:take_payment", args=[maya_membership.pk]))

    assert response["Location"] == reverse("desk:member", args=[maya.pk])
    assert pay(desk, maya_membership).status_code == 302
    assert not Payment.objects.filter(membership=maya_membership).exists()


def test_a_bad_method_is_a_field_error_and_takes_nothing(desk, unpaid):
    response = pay(desk, unpaid, method="iou")

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"method"}
    unpaid.refresh_from_db()
    assert unpaid.status == Membership.Status.PAST_DUE
    assert not Payment.objects.exists()


def test_marketing_cannot_take_a_payment(client, mia, unpaid):
    client.force_login(mia)

    response = pay(client, unpaid)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert not Payment.objects.exists()


def test_another_club_cannot_take_a_payment_nor_see_the_offer(client, olga, unpaid):
    client.force_login(olga)
    assert pay(client, unpaid).status_code == 404
    assert not Payment.objects.exists()

    # a payment of Downtown's in the offer's id shows Olga the plain desk
    payment = dues.take_payment(unpaid, method="cash")
    assert "PAID" not in client.get(reverse("desk:desk"), {"paid": payment.pk}).content.decode()


def test_the_amount_due_filter_is_what_take_payment_takes(unpaid):
    # given Maya's unpaid month
    # when the card asks what is due
    shown = desk_labels.amount_due(unpaid)

    # then it is the amount dues would take
    assert shown == dues.amount_due(unpaid) == Decimal("49.00")


def test_the_amount_due_filter_of_a_paid_membership_is_nothing(maya_membership):
    # given a membership that is paid
    # when the card asks what is due
    shown = desk_labels.amount_due(maya_membership)

    # then nothing is due
    assert shown == Decimal("0")
