"""Everything the club holds about one member, as one JSON document: the right of access and
portability (GDPR articles 15 and 20), for the portal's "Download my data" and a manager's
export from the member card.

Each app describes its own rows about a member (`section`), as apps label their timeline
codes, since members may not import the apps above it: once every app is loaded the export
is complete. Sections select their fields by name, so a column added later stays out until
someone decides it belongs here. Left out: staff identities (who recorded what; their names
are their own personal data), provider ids and internal keys other than each row's own id,
which the rows use to refer to each other.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from club import clock
from members import timeline
from members.models import Member, MemberEvent

Rows = Iterable[dict[str, Any]]
FORMAT_VERSION = 1

_SECTIONS: dict[str, Callable[[Member], Rows]] = {}


def section(name: str) -> Callable[[Callable[[Member], Rows]], Callable[[Member], Rows]]:
    """Register `fn(member) -> rows` as the export's section `name` (one query, values only)."""

    def register(fn: Callable[[Member], Rows]) -> Callable[[Member], Rows]:
        if name in _SECTIONS:
            raise ValueError(f"Export section {name!r} is registered twice")
        _SECTIONS[name] = fn
        return fn

    return register


def member_data(member: Member) -> dict[str, Any]:
    """The member's data: their record, then every registered section in name order."""
    return {
        "format": "ClubCycle member data",
        "version": FORMAT_VERSION,
        "exported_at": clock.now(),
        "member": _profile(member),
        **{name: list(_SECTIONS[name](member)) for name in sorted(_SECTIONS)},
    }


def as_json(member: Member, *, exported_by=None) -> str:
    """`member_data` as indented JSON, and the export on the member's timeline (who asked, so
    staff can answer "who has seen my data")."""
    document = json.dumps(member_data(member), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    timeline.record(member, MemberEvent.Kind.DATA_EXPORTED, actor=exported_by)
    return document


def download(member: Member, *, exported_by=None) -> HttpResponse:
    """`as_json` as a file to save, for the portal and the member card alike."""
    response = HttpResponse(
        as_json(member, exported_by=exported_by), content_type="application/json; charset=utf-8"
    )
    day = clock.today(member.home_club)
    name = f"clubcycle-data-{member.pk}-{day:%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _profile(member: Member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": str(member.phone) if member.phone else "",
        "birth_date": member.birth_date,
        "home_club": member.home_club.name,
        "card": member.card_token,
        "status": member.status,
        "stage": member.stage,
        "source": member.source,
        "interests": member.interests,
        "notes": member.notes,
        "sms_consent": member.sms_consent,
        "email_consent": member.email_consent,
        "photo": _photo(member),
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


def _photo(member: Member) -> str:
    """The photo itself, as a data URI: its stored name is a random one and means nothing."""
    if not member.photo or not member.photo.storage.exists(member.photo.name):
        return ""
    content_type = mimetypes.guess_type(member.photo.name)[0] or "application/octet-stream"
    with member.photo.open("rb") as image:
        return f"data:{content_type};base64,{base64.b64encode(image.read()).decode()}"


@section("consent_log")
def _consent_log(member: Member) -> Rows:
    return member.consent_log.order_by("at", "pk").values(
        "id", "channel", "granted", "source", "wording", "at"
    )


@section("timeline")
def _timeline(member: Member) -> Rows:
    return member.events.order_by("at", "pk").values("id", "kind", "at", "data")


@section("staff_tasks")
def _tasks(member: Member) -> Rows:
    return member.tasks.order_by("created_at", "pk").values(
        "id", "title", "details", "status", "due_at", "created_at", "done_at"
    )
