"""Lifecycle › Outbox: every touchpoint of the staff member's clubs, with what came of it, for
marketing and managers — where the playbook's counts ("suppressed: no consent 12") are found
member by member."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from campaigns.models import Rule, Touchpoint
from club import clock, roles
from members.models import Channel
from tests.factories import MemberFactory, UserFactory

INDEX = "outbox:index"


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows(response) -> list[str]:
    html = response.content.decode()
    if 'class="listing' not in html:
        return []
    body = html.split('class="listing', 1)[1].split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [words(row) for row in body.split("<tr")[1:]]


def touchpoint(member, rule_number, *, status, reason="", body="", minutes=0):
    at = clock.now() + dt.timedelta(minutes=minutes)
    return Touchpoint.objects.create(
        rule=Rule.objects.get(number=rule_number),
        member=member,
        club=member.home_club,
        occurrence_key=f"test:{member.pk}:{rule_number}",
        channel=Channel.SMS,
        status=status,
        reason=reason,
        due_at=at,
        send_at=at,
        explanation="No visit for 14 days",
        body=body,
        created_at=clock.now(),
    )


@pytest.fixture
def outbox(frozen_clock, downtown, riverside, maya):
    sem = MemberFactory(home_club=downtown, first_name="Sem", last_name="Schmidt")
    rosa = MemberFactory(home_club=riverside, first_name="Rosa", last_name="Visser")
    return {
        "sent": touchpoint(maya, 11, status="sent", body="We miss you, Maya!", minutes=-60),
        "suppressed": touchpoint(sem, 11, status="suppressed", reason="no_consent"),
        "riverside": touchpoint(rosa, 20, status="scheduled", body="Happy birthday", minutes=30),
    }


def test_marketing_reads_the_outbox_of_its_club_with_outcomes(client, outbox, mia):
    client.force_login(mia)

    response = client.get(reverse(INDEX))

    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 2  # Downtown's two; Riverside's birthday is not hers to see
    assert "Sem Schmidt" in listed[0] and "Suppressed: no consent" in listed[0]
    assert "11. We miss you" in listed[0]
    assert "Maya Jansen" in listed[1] and "We miss you, Maya!" in listed[1]


def test_the_outbox_filters_by_outcome(client, outbox, mia):
    client.force_login(mia)

    response = client.get(reverse(INDEX), {"status": "suppressed", "reason": "no_consent"})

    listed = rows(response)
    assert len(listed) == 1 and "Sem Schmidt" in listed[0]


def test_another_club_s_marketer_sees_only_their_club(client, outbox, riverside):
    marketer = UserFactory(username="rmkt", clubs=[riverside], roles=[roles.MARKETING])
    client.force_login(marketer)

    listed = rows(client.get(reverse(INDEX)))
    ours = client.get(reverse("outbox:inspect", args=[outbox["sent"].pk]))

    assert len(listed) == 1 and "Rosa Visser" in listed[0]
    assert ours.status_code == 404


def test_a_touchpoint_opens_with_its_text_and_why_it_fired(client, outbox, max):
    client.force_login(max)

    html = words(client.get(reverse("outbox:inspect", args=[outbox["sent"].pk])).content.decode())

    assert "We miss you, Maya!" in html
    assert "No visit for 14 days" in html


@pytest.mark.parametrize("persona", ["fiona", "tom"])
def test_the_desk_and_trainers_have_no_outbox(client, outbox, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(INDEX))

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_the_rule_filter_offers_the_rules_and_filters_by_one(client, outbox, mia):
    client.force_login(mia)
    birthday = Rule.objects.get(number=20)

    response = client.get(reverse(INDEX), {"rule": birthday.pk})

    assert f'<option value="{birthday.pk}"' in response.content.decode()
    assert rows(response) == []  # Riverside's birthday message is not Mia's


def test_a_rule_that_is_not_offered_is_a_field_error_not_a_crash(client, outbox, mia):
    client.force_login(mia)

    response = client.get(reverse(INDEX), {"rule": "nonsense"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
