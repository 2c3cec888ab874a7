"""Unsubscribe links: GET asks and changes nothing, POST (also a mail client's one-click POST
without cookies) revokes consent at once, and a token works for its own member only."""

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import resolve

from campaigns import unsubscribe
from members.models import ConsentLog
from tests.factories import MemberFactory


@pytest.fixture
def neighbour(downtown):
    return MemberFactory(home_club=downtown, sms_consent=True, email_consent=True)


def path_of(url: str) -> str:
    return urlsplit(url).path


@override_settings(SITE_URL="https://downtown.example.com/")
def test_unsubscribe_url_is_absolute_and_leads_to_the_unsubscribe_page(maya):
    url = unsubscribe.unsubscribe_url(maya)

    assert url.startswith("https://downtown.example.com/unsubscribe/")
    match = resolve(path_of(url))
    assert match.view_name == "campaigns:unsubscribe"
    assert unsubscribe.read_token(match.kwargs["token"]) == (maya.pk, "email")


def test_get_asks_for_confirmation_and_changes_nothing(client, maya):
    response = client.get(path_of(unsubscribe.unsubscribe_url(maya)))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Unsubscribe <b>m•••@example.com</b> from Downtown emails?" in page
    assert '<form method="post">' in page
    assert "maya.jansen" not in page
    maya.refresh_from_db()
    assert (maya.email_consent, maya.sms_consent) == (True, True)
    assert not ConsentLog.objects.filter(member=maya, granted=False).exists()


def test_post_revokes_email_consent_only(client, maya):
    response = client.post(path_of(unsubscribe.unsubscribe_url(maya)))

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    maya.refresh_from_db()
    assert (maya.email_consent, maya.sms_consent) == (False, True)
    log = ConsentLog.objects.get(member=maya, granted=False)
    assert (log.channel, log.source) == ("email", "email_unsubscribe")


def test_one_click_post_from_a_mail_client_needs_no_cookie_or_csrf_token(maya):
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        path_of(unsubscribe.unsubscribe_url(maya)), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    maya.refresh_from_db()
    assert maya.email_consent is False


def test_a_second_post_is_harmless(client, maya):
    path = path_of(unsubscribe.unsubscribe_url(maya))
    client.post(path)

    response = client.post(path)

    assert response.status_code == 200
    maya.refresh_from_db()
    assert maya.email_consent is False
    assert ConsentLog.objects.filter(member=maya, granted=False).count() == 1


def test_get_after_unsubscribing_says_so_and_offers_no_button(client, maya):
    path = path_of(unsubscribe.unsubscribe_url(maya))
    client.post(path)

    page = client.get(path).content.decode()

    assert "You are already unsubscribed from our emails." in page
    assert "<form" not in page


def test_a_token_unsubscribes_its_own_member_and_no_other(client, maya, neighbour):
    maya_url = unsubscribe.unsubscribe_url(maya)

    client.post(path_of(maya_url))

    neighbour.refresh_from_db()
    assert (neighbour.email_consent, neighbour.sms_consent) == (True, True)
    assert not ConsentLog.objects.filter(member=neighbour).exists()
    assert unsubscribe.unsubscribe_url(neighbour) != maya_url


def test_an_sms_token_stops_texts_and_keeps_emails(client, maya):
    path = path_of(unsubscribe.unsubscribe_url(maya, channel="sms"))

    assert "Unsubscribe •••678 from Downtown text messages?" in client.get(path).content.decode()
    client.post(path)

    maya.refresh_from_db()
    assert (maya.sms_consent, maya.email_consent) == (False, True)


def _tampered(token: str) -> str:
    # Change one character of the signed payload (not the signature).
    index = 2
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


@pytest.mark.parametrize(
    "make_token",
    [
        lambda maya, other: _tampered(unsubscribe.make_token(maya)),
        lambda maya, other: unsubscribe.make_token(maya)[:-1],
        lambda maya, other: "not-a-token",
        # Signed with our key, but for another purpose (no salt): not an unsubscribe token.
        lambda maya, other: signing.dumps({"m": other.pk, "c": "email"}),
        # Ours, but for a member who has since been erased.
        lambda maya, other: signing.dumps({"m": 999_999, "c": "email"}, salt=unsubscribe.SALT),
        # Ours, with a channel we do not know.
        lambda maya, other: signing.dumps({"m": maya.pk, "c": "fax"}, salt=unsubscribe.SALT),
    ],
    ids=["tampered", "truncated", "garbage", "other-salt", "erased-member", "unknown-channel"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_is_refused_and_changes_nothing(client, maya, neighbour, make_token, method):
    response = getattr(client, method)(f"/unsubscribe/{make_token(maya, neighbour)}/")

    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    for member in (maya, neighbour):
        member.refresh_from_db()
        assert (member.email_consent, member.sms_consent) == (True, True)
    assert not ConsentLog.objects.filter(granted=False).exists()


def test_other_methods_are_not_allowed(client, maya):
    response = client.put(path_of(unsubscribe.unsubscribe_url(maya)))

    assert response.status_code == 405
    maya.refresh_from_db()
    assert maya.email_consent is True


@pytest.mark.parametrize(
    ("email", "masked"),
    [("maya.jansen@example.com", "m•••@example.com"), ("a@b.nl", "a•••@b.nl"), ("", "")],
)
def test_mask_email(email, masked):
    assert unsubscribe.mask_email(email) == masked
