"""Signing in to the member portal with a one-time emailed link: no password, no enumeration,
rate-limited, expiring, single-use, and never a way in for staff."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from sesame.utils import get_token

from cms.portal import auth
from members.models import MemberEvent
from tests.factories import MemberFactory
from tests.race import run_concurrently

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
LINK = re.compile(r"https?://\S+/account/login/link/\?sesame=[\w-]+")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate-limit counters live in the (process-wide) cache."""
    cache.clear()
    yield
    cache.clear()


def ask_for_link(client, email: str, **extra):
    return client.post(LOGIN, {"email": email}, **extra)


def links_in(message) -> list[str]:
    """The links in an email, as paths the test client can open."""
    return [urlsplit(url).path + "?" + urlsplit(url).query for url in LINK.findall(message.body)]


def signed_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_a_member_gets_a_link_by_email_and_is_signed_in_by_it(
    client, frozen_clock, maya, mailoutbox
):
    # given Maya asks for a link
    response = ask_for_link(client, "Maya.Jansen@example.com ")

    # then she is told to look in her mail, and the mail has one link
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login_sent")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["maya.jansen@example.com"]
    assert message.subject == "Your sign-in link for Downtown"
    assert message.from_email == "downtown@clubcycle.example.com"
    assert "works once, for 15 minutes" in message.body
    [link] = links_in(message)
    assert LINK.search(message.body).group().startswith("http://127.0.0.1:8000/account/")

    # when she opens it
    response = client.get(link)

    # then she is in the portal, as her own portal login, and the timeline says so
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    maya.refresh_from_db()
    assert signed_in_user_id(client) == str(maya.user.pk)
    assert maya.user.username == f"member-{maya.pk}"
    assert not maya.user.is_staff
    assert not maya.user.is_superuser
    assert not maya.user.has_usable_password()
    assert not maya.user.groups.exists()
    event = maya.events.get(kind=MemberEvent.Kind.PORTAL_LOGIN)
    assert event.data == {"method": "email link"}
    assert client.get(reverse("portal:home")).status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, maya, mailoutbox):
    known = ask_for_link(client, "maya.jansen@example.com")
    unknown = ask_for_link(Client(), "nobody@example.com")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mailoutbox) == 1
    page = client.get(reverse("portal:login_sent")).content.decode()
    assert "If we know <b>maya.jansen@example.com</b>, we sent you a link." in page


def test_the_login_page_asks_only_for_an_email(client):
    response = client.get(LOGIN)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="email"' in html
    assert "password" not in html.lower().replace("no password needed", "")


def test_a_bad_address_is_a_form_error(client, mailoutbox):
    response = ask_for_link(client, "not an address")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


def test_an_over_long_address_is_refused_with_a_field_error_not_cut_short(client, mailoutbox):
    form = client.get(LOGIN).content.decode()
    too_long = "a" * 250 + "@example.com"

    response = ask_for_link(client, too_long)

    assert 'maxlength="254"' in form
    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters (it has 262)." in (
        response.content.decode()
    )
    assert mailoutbox == []


def test_a_member_sent_to_sign_in_from_a_page_comes_back_to_it(
    client, frozen_clock, maya, mailoutbox
):
    # given the public schedule's "Join the waitlist" sent Maya to a class in the portal
    wanted = reverse("portal:schedule") + "?from=2026-11-25"
    login = client.get(wanted)
    assert login["Location"] == f"{LOGIN}?next=/account/book/%3Ffrom%3D2026-11-25"

    client.post(login["Location"], {"email": maya.email})
    response = client.get(links_in(mailoutbox[0])[0])

    assert response.status_code == 302
    assert response["Location"] == wanted
    assert client.get(wanted).status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/account/", "//evil.example/"])
def test_a_next_page_on_another_site_is_ignored(client, maya, mailoutbox, target):
    client.post(f"{LOGIN}?next={target}", {"email": maya.email})

    response = client.get(links_in(mailoutbox[0])[0])

    assert response["Location"] == reverse("portal:home")


def test_the_portal_login_is_created_once(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    ask_for_link(client, maya.email)

    maya.refresh_from_db()
    assert maya.user is not None
    assert type(maya.user).objects.filter(username__startswith="member-").count() == 1


def test_members_sharing_an_address_get_one_mail_with_a_link_each(
    client, downtown, maya, mailoutbox
):
    # given Maya's son uses her address
    son = MemberFactory(home_club=downtown, first_name="Sem", last_name="Jansen", email=maya.email)

    ask_for_link(client, maya.email.upper())

    [message] = mailoutbox
    maya_link, son_link = links_in(message)  # ordered by last name, first name
    assert "Maya Jansen (Downtown):" in message.body
    assert "Sem Jansen (Downtown):" in message.body
    Client().get(son_link)
    son.refresh_from_db()
    browser = Client()
    browser.get(son_link)  # already used above
    assert signed_in_user_id(browser) is None
    browser.get(maya_link)
    maya.refresh_from_db()
    assert signed_in_user_id(browser) == str(maya.user.pk)
    assert maya.user != son.user


def test_a_link_works_only_once(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    [link] = links_in(mailoutbox[0])
    assert client.get(link).status_code == 302
    client.post(reverse("portal:logout"))

    response = client.get(link)

    assert response.status_code == 403
    assert "This link has expired or was already used" in response.content.decode()
    assert "Request a new link" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_using_a_link_spends_the_older_ones_too(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    ask_for_link(client, maya.email)
    [older], [newer] = links_in(mailoutbox[0]), links_in(mailoutbox[1])

    assert Client().get(newer).status_code == 302
    assert Client().get(older).status_code == 403


@pytest.mark.parametrize(
    ("minutes_later", "status"),
    [(14, 302), (15, 403), (60 * 24, 403)],
    ids=["within-15-minutes", "at-15-minutes", "next-day"],
)
def test_a_link_expires_after_15_minutes(
    frozen_clock, client, maya, mailoutbox, minutes_later, status
):
    start = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        ask_for_link(client, maya.email)
    [link] = links_in(mailoutbox[0])

    with time_machine.travel(start + dt.timedelta(minutes=minutes_later), tick=False):
        response = client.get(link)

    assert response.status_code == status
    assert (signed_in_user_id(client) is not None) is (status == 302)


def _tampered(link: str) -> str:
    token = link.split("sesame=")[1]
    flipped = ("A" if token[-3] != "A" else "B") + token[-2:]
    return link.replace(token, token[:-3] + flipped)


EXPIRED = "This link has expired or was already used"
NOT_VALID = "This sign-in link is not valid"


@pytest.mark.parametrize(
    ("mangle", "said"),
    [
        # well formed, wrong signature: as an expired or used link reads
        pytest.param(_tampered, EXPIRED, id="one-character-changed"),
        # not a token we could have sent: not "expired"
        pytest.param(lambda link: link[:-4], NOT_VALID, id="truncated"),
        pytest.param(
            lambda link: link.split("sesame=")[0] + "sesame=not-a-token", NOT_VALID, id="garbage"
        ),
        pytest.param(lambda link: link.split("?")[0], NOT_VALID, id="no-token"),
        pytest.param(
            lambda link: link.split("sesame=")[0] + "sesame=%00%ff", NOT_VALID, id="binary"
        ),
    ],
)
def test_a_tampered_link_is_refused_without_an_error(client, maya, mailoutbox, mangle, said):
    ask_for_link(client, maya.email)
    [link] = links_in(mailoutbox[0])

    response = client.get(mangle(link))

    assert response.status_code == 403
    page = response.content.decode()
    assert said in page
    assert (EXPIRED if said == NOT_VALID else NOT_VALID) not in page
    assert "Request a new link" in page
    assert signed_in_user_id(client) is None
    # and the genuine link still works afterwards
    assert client.get(link).status_code == 302


def test_a_token_made_for_another_purpose_does_not_open_the_portal(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    maya.refresh_from_db()
    unscoped = get_token(maya.user)  # sesame's default scope, not the portal's

    response = client.get(reverse("portal:login_link"), {"sesame": unscoped})

    assert response.status_code == 403


def test_too_many_requests_for_one_address_are_refused_with_a_clear_message(
    client, maya, mailoutbox
):
    for _ in range(5):
        assert ask_for_link(client, maya.email).status_code == 302

    response = ask_for_link(client, maya.email)

    assert response.status_code == 429
    assert "Too many sign-in requests. Please wait 15 minutes and try again." in (
        response.content.decode()
    )
    assert len(mailoutbox) == 5
    # another address from the same place is not held up
    assert ask_for_link(client, "someone.else@example.com").status_code == 302


def test_unknown_addresses_use_up_the_limit_like_known_ones(client, maya):
    for _ in range(5):
        ask_for_link(client, "nobody@example.com")

    assert ask_for_link(client, "nobody@example.com").status_code == 429


def test_too_many_requests_from_one_ip_are_refused(client, settings, maya, mailoutbox):
    settings.PORTAL_LOGIN_RATE = {"email": "5/15m", "ip": "3/10m"}
    for n in range(3):
        assert ask_for_link(client, f"guess{n}@example.com").status_code == 302

    response = ask_for_link(client, maya.email)

    assert response.status_code == 429
    assert "Please wait 10 minutes" in response.content.decode()
    assert mailoutbox == []
    # another IP may still ask
    assert ask_for_link(client, maya.email, REMOTE_ADDR="10.0.0.7").status_code == 302


def test_the_limit_lifts_when_the_window_has_passed(client, maya, mailoutbox):
    start = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(6):
            ask_for_link(client, maya.email)
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        response = ask_for_link(client, maya.email)

    assert response.status_code == 302
    assert len(mailoutbox) == 6


@pytest.mark.parametrize("value", ["5", "5/15", "0/15m", "five/15m", "5/15d"])
def test_a_bad_rate_setting_fails_loudly(value):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="PORTAL_LOGIN_RATE"):
        auth.parse_rate(value)


def test_staff_signed_in_to_the_back_office_are_not_members_here(client, fiona):
    client.force_login(fiona)

    home = client.get(reverse("portal:home"))
    bookings = client.get(reverse("portal:bookings"))

    # refused in words, with the way back to the back-office, and no member's data
    assert (home.status_code, bookings.status_code) == (403, 403)
    page = home.content.decode()
    assert "The portal is for members" in page and "Fiona de Vries" in page
    assert reverse("wagtailadmin_home") in page
    assert "My membership" not in page


def test_a_staff_login_cannot_be_used_through_a_portal_link(client, fiona, maya):
    # given (somehow) a portal-scoped token for a staff login
    token = get_token(fiona, scope=auth.SCOPE)

    response = client.get(reverse("portal:login_link"), {"sesame": token})

    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_a_staff_member_who_is_also_a_member_gets_a_separate_member_login(
    client, downtown, fiona, mailoutbox
):
    member = MemberFactory(home_club=downtown, first_name="Fiona", email=fiona.email)

    ask_for_link(client, fiona.email)
    [link] = links_in(mailoutbox[0])
    client.get(link)

    member.refresh_from_db()
    assert member.user != fiona
    assert signed_in_user_id(client) == str(member.user.pk)
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_member_login_never_reaches_the_back_office(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    [link] = links_in(mailoutbox[0])
    client.get(link)

    for url in ("/admin/", "/admin/desk/", "/api/v1/members"):
        response = client.get(url)
        assert response.status_code in {302, 401, 403}, url
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/"), url


def test_pages_send_visitors_who_are_not_signed_in_to_the_login_page(client):
    response = client.get(reverse("portal:membership"))

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/account/membership/"


def test_signing_out_ends_the_session(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    client.get(links_in(mailoutbox[0])[0])

    response = client.post(reverse("portal:logout"))

    assert response["Location"] == LOGIN
    assert signed_in_user_id(client) is None
    assert client.get(reverse("portal:home")).status_code == 302


def test_signing_out_needs_a_post(client, maya, mailoutbox):
    ask_for_link(client, maya.email)
    client.get(links_in(mailoutbox[0])[0])

    assert client.get(reverse("portal:logout")).status_code == 405
    assert signed_in_user_id(client) is not None


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_clicks_on_one_link_at_once_sign_in_once(maya, mailoutbox):
    Client().post(LOGIN, {"email": maya.email})
    [link] = links_in(mailoutbox[0])

    outcome = run_concurrently(lambda: Client().get(link).status_code, threads=4)

    assert outcome.errors == []
    assert sorted(outcome.results) == [302, 403, 403, 403]
    assert maya.events.filter(kind=MemberEvent.Kind.PORTAL_LOGIN).count() == 1


def test_a_member_of_a_club_with_a_site_of_its_own_gets_a_link_to_that_site(
    client, frozen_clock, downtown, riverside, riverside_site, maya, mailoutbox
):
    # given Riverside has a site of its own, and Maya's address is also a Riverside member's
    MemberFactory(home_club=riverside, first_name="Lisa", last_name="Jansen", email=maya.email)

    # when the link is asked for on the default site
    ask_for_link(client, maya.email)

    # then each link leads to the member's own club's site: Downtown's is the default
    # site, reached at SITE_URL; Riverside's is its configured address
    [message] = mailoutbox
    links = LINK.findall(message.body)
    assert [urlsplit(link).netloc for link in links] == ["riverside.example.com", "127.0.0.1:8000"]
    assert links[0].startswith("https://riverside.example.com/account/login/link/")
