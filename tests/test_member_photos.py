"""Member photos: stored outside the public media folder, shown through signed links that
expire, to the desk and to a turnstile's screen alike."""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from club.models import Integration

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def photo_roots(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEMBER_PHOTOS_ROOT = tmp_path / "member_photos"
    return tmp_path


@pytest.fixture
def maya_with_photo(photo_roots, maya):
    maya.photo.save("Maya Jansen.PNG", ContentFile(PNG), save=True)
    return maya


def test_a_photo_is_stored_under_a_random_name_outside_the_public_media(
    photo_roots, maya_with_photo
):
    name = maya_with_photo.photo.name

    assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
    assert (photo_roots / "member_photos" / name).read_bytes() == PNG
    assert not (photo_roots / "media").exists()


def test_its_link_shows_the_photo(client, frozen_clock, maya_with_photo):
    url = maya_with_photo.photo.url

    response = client.get(url)

    assert url.startswith("/photos/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == PNG


def test_a_link_expires_after_a_shift(client, frozen_clock, maya_with_photo):
    url = maya_with_photo.photo.url

    frozen_clock.shift(dt.timedelta(hours=12, minutes=1))

    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda url: url.replace(".png:", ".jpg:"), id="another file"),
        pytest.param(lambda url: url[:-3] + "xx/", id="forged signature"),
        pytest.param(lambda url: "/photos/anything/", id="no signature"),
    ],
)
def test_a_forged_link_shows_nothing(client, frozen_clock, maya_with_photo, tamper):
    response = client.get(tamper(maya_with_photo.photo.url))

    assert response.status_code == 404


def test_a_replaced_photo_s_old_link_shows_nothing(client, frozen_clock, maya_with_photo):
    old_url = maya_with_photo.photo.url
    old_name = maya_with_photo.photo.name
    maya_with_photo.photo.storage.delete(old_name)

    maya_with_photo.photo.save("new.png", ContentFile(PNG), save=True)

    assert client.get(old_url).status_code == 404
    assert client.get(maya_with_photo.photo.url).status_code == 200


def test_the_desk_shows_the_photo_by_its_signed_link(desk, frozen_clock, maya_with_photo):
    html = desk.get(
        reverse("desk:search"), {"q": "jansen"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert src.startswith("/photos/")
    assert desk.get(src).status_code == 200


def test_a_turnstile_screen_gets_a_working_photo_link(
    client, frozen_clock, downtown, maya_with_photo
):
    _, token = Integration.issue(club=downtown, name="Main entrance", scopes=["checkin"])

    body = client.post(
        reverse("api:checkins"),
        {"card": "MAYA-0001"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    photo_url = body["member"]["photo_url"]
    assert photo_url.startswith("http://testserver/photos/")
    assert client.get(photo_url.removeprefix("http://testserver")).status_code == 200
