"""Identical lead captures at the same instant make one lead (leads.lock_person), through
the website API and the trial form alike. PostgreSQL, real threads and transactions."""

import pytest
from django.test import Client
from django.urls import reverse

from checkin.models import Booking
from club.models import Integration
from cms import trials
from members.models import ConsentLog, Member, MemberEvent, Task
from tests.factories import ClassSessionFactory, ClassTypeFactory
from tests.race import run_concurrently

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

LEAD = {
    "first_name": "Ana",
    "last_name": "Kovač",
    "email": "ana@example.com",
    "phone": "+31687654321",
    "sms_consent": True,
    "consent_wording": "Text me about my trial.",
}


@pytest.fixture
def website_token(downtown):
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])
    return token


def post_lead(token: str, body: dict) -> tuple[int, int]:
    response = Client().post(
        reverse("api:members"),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code, response.json()["id"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(LEAD, id="email and phone"),
        pytest.param({**LEAD, "email": ""}, id="name and phone"),
    ],
)
def test_six_identical_posts_at_once_make_one_lead(frozen_clock, downtown, website_token, body):
    outcome = run_concurrently(lambda: post_lead(website_token, body), threads=6)

    assert outcome.errors == []
    [lead] = Member.objects.all()
    # One created it; the others waited for it and were given the same person.
    assert sorted(status for status, _ in outcome.results) == [200] * 5 + [201]
    assert {pk for _, pk in outcome.results} == {lead.pk}
    # One lead_created: the playbook's "call within 15 minutes" fires once.
    assert lead.events.filter(kind=MemberEvent.Kind.LEAD_CREATED).count() == 1
    assert ConsentLog.objects.filter(member=lead, channel="sms").count() == 1


def test_posts_of_one_person_to_two_clubs_at_once_make_one_record(
    frozen_clock, downtown, riverside, website_token
):
    _, riverside_token = Integration.issue(club=riverside, name="Website", scopes=["members"])
    tokens = iter([website_token, riverside_token] * 3)

    def post() -> int:
        response = Client().post(
            reverse("api:members"),
            LEAD,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {next(tokens)}",
        )
        return response.status_code

    outcome = run_concurrently(post, threads=6)

    assert outcome.errors == []
    [person] = Member.objects.all()
    # Whichever club came first has them; the other club's site is told known_elsewhere.
    assert sorted(outcome.results) == [200, 200, 201, 409, 409, 409]
    assert ConsentLog.objects.filter(member=person).count() == 1


def test_four_identical_trial_sign_ups_at_once_make_one_lead_one_booking_one_call(
    frozen_clock, downtown, tom
):
    spin = ClassTypeFactory(club=downtown, name="Spin", trial_eligible=True)
    session = ClassSessionFactory(club=downtown, class_type=spin, trainer=tom)
    wordings = trials.ConsentWordings(sms="Text me.", email="Email me.")

    outcome = run_concurrently(
        lambda: (
            trials.sign_up_for_trial(
                downtown,
                first_name="Ana",
                last_name="Kovač",
                phone="+31687654321",
                email="ana@example.com",
                session=session,
                sms_consent=True,
                wordings=wordings,
            ).member.pk
        ),
        threads=4,
    )

    assert outcome.errors == []
    [lead] = Member.objects.all()
    assert set(outcome.results) == {lead.pk}
    assert Booking.objects.filter(member=lead, is_trial=True).count() == 1
    assert Task.objects.filter(member=lead).count() == 1
    assert ConsentLog.objects.filter(member=lead).count() == 1
