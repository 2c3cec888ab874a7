"""Member photos are personal data, so they are not media.

A proxy serves MEDIA_ROOT to anyone who has a file's address, and an uploaded file keeps the
name it was given ("maya.jpg"). Photos are stored under their own root
(`MEMBER_PHOTOS_ROOT`) with a random name, and their address is a signed link that expires:
the desk's page and a turnstile's screen can show one, a link copied out of a log or a
browser history stops working after `LINK_SECONDS`, and a replaced or erased photo's link
dies with the file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

# A desk shift: a card left open all day still shows its photo after a reload.
LINK_SECONDS = 12 * 60 * 60

_signer = signing.TimestampSigner(salt="members.photo")


def upload_path(member, filename: str) -> str:
    """A random name that says nothing of the member, keeping the image's extension."""
    return f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class PhotoStorage(FileSystemStorage):
    """Files under MEMBER_PHOTOS_ROOT, whose url() is a signed, expiring link."""

    # Read on each use rather than once, so the setting can change (tests, per deployment).
    @property
    def base_location(self):
        return settings.MEMBER_PHOTOS_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name: str) -> str:
        return reverse("member-photo", args=[_signer.sign(name)])


def storage() -> PhotoStorage:
    return PhotoStorage()


def name_from_link(signed: str) -> str | None:
    """The photo file a link names, or None when it is forged or older than LINK_SECONDS."""
    try:
        return _signer.unsign(signed, max_age=LINK_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return None
