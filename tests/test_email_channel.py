"""Lifecycle emails: the club's address on every one, one-click unsubscribe on marketing."""

import datetime as dt

import pytest
from django.core import mail

from campaigns import dispatcher, evaluator
from campaigns.models import Rule, Touchpoint
from club import clock
from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def only_our_rules(db):
    Rule.objects.update(is_active=False)


@pytest.fixture
def birthday_member(frozen_clock, downtown):
    downtown.address = "Damrak 1\n1012 LG Amsterdam"
    downtown.save()
    return MemberFactory(
        home_club=downtown,
        first_name="Ida",
        email="ida@example.com",
        birth_date=dt.date(1990, 11, 23),
        email_consent=True,
    )


def email_rule(**fields) -> Rule:
    defaults = {
        "number": 221,
        "name": "Birthday email",
        "trigger": "birthday",
        "params": {"at": "10:00"},
        "channel": "email",
        "subject": "Happy birthday, {{ first_name }}",
        "template": "Have a great day at {{ club }}!",
        "holdout_percent": 0,
    }
    return Rule.objects.create(**{**defaults, **fields})


def send_today(rule, club):
    now = clock.now()
    evaluator.evaluate_rule(rule, club, since=now - dt.timedelta(hours=26), until=now)
    dispatcher.dispatch()


def test_a_marketing_email_offers_one_click_unsubscribe(client, birthday_member, downtown):
    send_today(email_rule(), downtown)

    [message] = mail.outbox
    assert message.to == ["ida@example.com"]
    assert message.subject == "Happy birthday, Ida"
    assert message.from_email == "Downtown <downtown@clubcycle.example.com>"
    assert "Damrak 1\n1012 LG Amsterdam" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert Touchpoint.objects.get().status == Touchpoint.Status.SENT

    # What a mail client does with the header: a POST without cookies.
    response = client.post(link.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 200
    birthday_member.refresh_from_db()
    assert birthday_member.email_consent is False


def test_a_transactional_email_has_no_unsubscribe_header(birthday_member, downtown):
    send_today(email_rule(is_marketing=False), downtown)

    [message] = mail.outbox
    assert "List-Unsubscribe" not in message.extra_headers
    assert "Damrak 1" in message.body


def test_no_email_without_email_consent(frozen_clock, downtown):
    MemberFactory(home_club=downtown, birth_date=dt.date(1990, 11, 23), email_consent=False)

    send_today(email_rule(), downtown)

    assert mail.outbox == []
    assert Touchpoint.objects.get().reason == Touchpoint.Reason.NO_CONSENT
