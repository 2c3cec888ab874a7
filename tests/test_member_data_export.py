"""A member's personal data as one JSON file: downloaded by the member in the portal, or by a
manager from the member card; nobody else's rows in it, no staff names, and each export on
the member's timeline."""

import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from campaigns.models import Rule, Touchpoint
from club import clock
from cms.portal import auth
from members import consent
from members.models import Channel, MemberEvent
from tests.factories import (
    BookingFactory,
    FreezeFactory,
    MemberFactory,
    MembershipFactory,
    PaymentFactory,
    PlanFactory,
    VisitFactory,
)

SECTIONS = {
    "check_ins_refused",
    "class_bookings",
    "consent_log",
    "freezes",
    "lifecycle_stages",
    "memberships",
    "messages",
    "payments",
    "staff_tasks",
    "timeline",
    "visit_ledger",
    "visits",
}


@pytest.fixture
def mayas_history(frozen_clock, downtown, maya, maya_membership, fiona):
    """Maya's visit, payment, class, freeze, consent change and one SMS; and Bram's visit,
    which must stay out of her file."""
    VisitFactory(member=maya, club=downtown, membership=maya_membership)
    PaymentFactory(member=maya, membership=maya_membership, recorded_by=fiona)
    BookingFactory(member=maya)
    FreezeFactory(
        membership=maya_membership,
        start=clock.today(downtown) + dt.timedelta(days=3),
        end=clock.today(downtown) + dt.timedelta(days=5),
        reason="Ski trip",
        created_by=fiona,
    )
    consent.set_consent(maya, Channel.SMS, granted=True, source="desk", wording="SMS ok?")
    Touchpoint.objects.create(
        rule=Rule.objects.get(number=20),
        member=maya,
        club=downtown,
        occurrence_key="birthday:2026",
        channel=Channel.SMS,
        status=Touchpoint.Status.SENT,
        due_at=clock.now(),
        send_at=clock.now(),
        sent_at=clock.now(),
        created_at=clock.now(),
        body="Happy birthday, Maya!",
    )
    bram = MemberFactory(home_club=downtown, first_name="Bram")
    bram_visit = VisitFactory(
        member=bram,
        club=downtown,
        membership=MembershipFactory(member=bram, plan=PlanFactory(club=downtown)),
    )
    return bram_visit


def download(response) -> dict:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clubcycle-data-')
    return json.loads(response.content)


def test_a_member_downloads_everything_held_about_them_in_the_portal(
    client, mayas_history, maya, fiona
):
    bram_visit = mayas_history
    client.force_login(auth.portal_user(maya))

    data = download(client.post(reverse("portal:data_export")))

    assert data["member"]["first_name"] == "Maya"
    assert data.keys() >= SECTIONS
    assert [v["club_name"] for v in data["visits"]] == ["Downtown"]
    assert not any(
        "__" in key
        for rows in data.values()
        if isinstance(rows, list)
        for row in rows
        for key in row
    )
    assert bram_visit.pk not in {v["id"] for v in data["visits"]}
    assert [m["body"] for m in data["messages"]] == ["Happy birthday, Maya!"]
    assert [f["reason"] for f in data["freezes"]] == ["Ski trip"]
    assert [(c["channel"], c["granted"]) for c in data["consent_log"]][-1] == ("sms", True)
    assert len(data["payments"]) == 1 and len(data["class_bookings"]) == 1
    # staff who recorded her rows are named nowhere in it
    assert fiona.username not in json.dumps(data)
    exported = maya.events.get(kind=MemberEvent.Kind.DATA_EXPORTED)
    assert exported.actor is None


def test_the_portal_export_is_a_post_and_needs_a_signed_in_member(client, frozen_clock, maya):
    url = reverse("portal:data_export")

    assert client.post(url).status_code == 302  # to the portal's sign-in
    client.force_login(auth.portal_user(maya))
    assert client.get(url).status_code == 405
    assert not maya.events.filter(kind=MemberEvent.Kind.DATA_EXPORTED).exists()


def test_the_messages_page_offers_the_download(client, frozen_clock, maya):
    client.force_login(auth.portal_user(maya))

    page = client.get(reverse("portal:messages")).content.decode()

    assert reverse("portal:data_export") in page and "Download my data" in page


def test_privacy_and_your_data_is_linked_from_the_portal_home_and_offers_both(
    client, frozen_clock, maya
):
    client.force_login(auth.portal_user(maya))
    privacy = reverse("portal:your_data")

    home = client.get(reverse("portal:home")).content.decode()
    page = client.get(privacy).content.decode()

    assert f'href="{privacy}">Privacy and your data</a>' in home
    assert f'action="{reverse("portal:data_export")}"' in page and "Download my data" in page
    assert reverse("portal:erasure_request") in page and "Ask us to erase your data" in page
    # the erasure page leads back there; Messages keeps its own way to the same
    erase_page = client.get(reverse("portal:erasure_request")).content.decode()
    assert f'href="{privacy}">‹ Privacy and your data' in erase_page
    assert privacy in client.get(reverse("portal:messages")).content.decode()
    # visiting the page exports nothing
    assert not maya.events.filter(kind=MemberEvent.Kind.DATA_EXPORTED).exists()


def test_privacy_and_your_data_needs_a_signed_in_member(client, frozen_clock, fiona):
    privacy = reverse("portal:your_data")

    anonymous = client.get(privacy)
    client.force_login(fiona)
    staff = client.get(privacy)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("portal:login"))
    assert staff.status_code == 403
    assert "Download my data" not in staff.content.decode()


def test_a_manager_exports_from_the_member_card_and_it_is_logged_with_their_name(
    client, mayas_history, maya, max
):
    client.force_login(max)

    card = client.get(reverse("desk:member", args=[maya.pk])).content.decode()
    data = download(client.post(reverse("desk:export_data", args=[maya.pk])))

    assert "Export personal data" in card
    assert data["member"]["id"] == maya.pk and data.keys() >= SECTIONS
    assert maya.events.get(kind=MemberEvent.Kind.DATA_EXPORTED).actor == max


@pytest.mark.parametrize("persona", ["fiona", "mia", "tom", "olga"])
def test_only_a_manager_of_the_members_club_may_export(
    client, frozen_clock, request, maya, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("desk:export_data", args=[maya.pk]))
    card = client.get(reverse("desk:member", args=[maya.pk]))

    assert response.status_code in (302, 403, 404)  # Wagtail's "no permission" is a redirect
    assert "Export personal data" not in card.content.decode()
    assert not maya.events.filter(kind=MemberEvent.Kind.DATA_EXPORTED).exists()


def test_the_export_carries_the_photo_itself(client, frozen_clock, maya):
    # given Maya's photo, stored under a random name
    maya.photo.save("maya.png", ContentFile(b"\x89PNG not really"), save=True)
    client.force_login(auth.portal_user(maya))

    data = download(client.post(reverse("portal:data_export")))

    assert data["member"]["photo"] == "data:image/png;base64,iVBORyBub3QgcmVhbGx5"


def test_a_photo_whose_file_is_gone_exports_as_empty(client, frozen_clock, maya):
    maya.photo.save("maya.png", ContentFile(b"x"), save=True)
    maya.photo.storage.delete(maya.photo.name)
    client.force_login(auth.portal_user(maya))

    data = download(client.post(reverse("portal:data_export")))

    assert data["member"]["photo"] == ""
