"""The member timeline: the one activity history staff read and the lifecycle engine triggers on.

Every event goes through record(), so there is exactly one place that decides what
an event looks like.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from club import clock, prepared
from members.models import Member, MemberEvent

_KINDS = frozenset(MemberEvent.Kind.values)  # an enum's .values builds a new list on every call


def record(
    member: Member,
    kind: str,
    *,
    at: dt.datetime | None = None,
    actor=None,
    **data: Any,
) -> MemberEvent:
    """Append one event to the member's timeline and return it."""
    return prepared.insert(MemberEvent(**_event_fields(member, kind, at, actor, data)))


def record_many(
    members: list[Member],
    kind: str,
    *,
    at: dt.datetime | None = None,
    actor=None,
    **data: Any,
) -> list[MemberEvent]:
    """The same event on several members' timelines, in one insert."""
    at = at or clock.now()
    return record_each(kind, [(member, at, data) for member in members], actor=actor)


def record_each(
    kind: str,
    entries: list[tuple[Member, dt.datetime, dict[str, Any]]],
    *,
    actor=None,
) -> list[MemberEvent]:
    """One event per (member, time, data) entry, each with its own data, in one insert."""
    if not entries:
        return []
    return MemberEvent.objects.bulk_create(
        MemberEvent(**_event_fields(member, kind, at, actor, data)) for member, at, data in entries
    )


def _event_fields(member: Member, kind: str, at, actor, data: dict) -> dict:
    if kind not in _KINDS:
        raise ValueError(f"Unknown timeline event kind: {kind!r}")
    # Round-trip through the JSON encoder so dates and Decimals are stored as strings.
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return {
        "member": member,
        "kind": kind,
        "at": at or clock.now(),
        "actor": actor,
        "data": payload,
    }
