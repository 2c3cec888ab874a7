"""The member timeline: the one activity history staff read and the lifecycle engine triggers on.

Every event goes through record(), so there is exactly one place that decides what
an event looks like.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from club import clock, prepared
from members.models import Channel, Member, MemberEvent

_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_KINDS = frozenset(MemberEvent.Kind.values)  # an enum's .values builds a new list on every call

# Words for the codes events store in their data, by (kind, field): "no_membership" reads "No
# membership". The app that owns the codes registers them (checkin its denial reasons, from the
# choices its screens use), since members may not import the apps above it.
_LABELS: dict[tuple[str, str], dict[str, str]] = {}


@dataclass(frozen=True)
class Group:
    """Kinds of event staff read together, for a timeline filtered to them."""

    slug: str
    label: str
    kinds: frozenset[str]


_K = MemberEvent.Kind
# What the card's timeline can be narrowed to: two years of visits bury a note or a message.
# The rest (lead created, an import, a card given, data exported) shows under "All" only.
GROUPS = {
    group.slug: group
    for group in (
        Group("visits", "Visits", frozenset({_K.VISIT, _K.CHECK_IN_DENIED, _K.CHECK_IN_UNDONE})),
        Group(
            "classes",
            "Classes",
            frozenset({
                _K.TRIAL_BOOKED, _K.TRIAL_ATTENDED, _K.TRIAL_NO_SHOW, _K.CLASS_BOOKED,
                _K.CLASS_CANCELLED_BY_MEMBER, _K.CLASS_CANCELLED_BY_CLUB, _K.WAITLIST_PROMOTED,
                _K.CLASS_NO_SHOW, _K.NO_SHOW_CORRECTED, _K.ATTENDANCE_UNDONE,
                _K.BOOKING_PENALTY,
            }),
        ),
        Group(
            "memberships",
            "Memberships & payments",
            frozenset({
                _K.MEMBERSHIP_STARTED, _K.MEMBERSHIP_RENEWED, _K.MEMBERSHIP_AUTO_RENEWED,
                _K.AUTO_RENEW_CHANGED, _K.MEMBERSHIP_FROZEN, _K.MEMBERSHIP_UNFROZEN,
                _K.PAYMENT_RECEIVED, _K.PAYMENT_FAILED, _K.BALANCE_CHANGED, _K.CARD_SAVED,
                _K.CARD_REMOVED,
            }),
        ),
        Group(
            "messages",
            "Messages",
            frozenset({_K.MESSAGE_SENT, _K.MESSAGE_REPLY, _K.OPTED_OUT, _K.CONSENT_CHANGED}),
        ),
        Group(
            "notes",
            "Notes, calls & tasks",
            frozenset({
                _K.NOTE, _K.CALL_LOGGED, _K.SAME_PHONE, _K.TASK_OPENED, _K.TASK_ESCALATED,
                _K.TASK_CANCELLED,
            }),
        ),
    )
}  # fmt: skip


def record(
    member: Member,
    kind: str,
    *,
    at: dt.datetime | None = None,
    actor=None,
    **data: Any,
) -> MemberEvent:
    """Append one event to the member's timeline and return it."""
    return prepared.insert(event(member, kind, at=at, actor=actor, **data))


def event(
    member: Member,
    kind: str,
    *,
    at: dt.datetime | None = None,
    actor=None,
    **data: Any,
) -> MemberEvent:
    """The event record() would append, unsaved: for a caller that writes it together with
    the row it is about (prepared.insert_pair)."""
    return MemberEvent(**_event_fields(member, kind, at, actor, data))


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


def label_codes(kinds: list[str], field: str, choices) -> None:
    """Register the words for the codes events of `kinds` store in data[field]: choices as
    (code, label) pairs or a dict."""
    for kind in kinds:
        _LABELS.setdefault((kind, field), {}).update(dict(choices))


label_codes([MemberEvent.Kind.LEAD_CREATED], "source", Member.Source.choices)
# Where consent changed; the apps that change it elsewhere register their own.
label_codes(
    [MemberEvent.Kind.CONSENT_CHANGED], "source", {"desk": "At the desk", "import": "Import"}
)


def is_registered_code(kind: str, field: str, value) -> bool:
    """Whether `value` is a code an app registered words for in events of `kind` (so not text
    someone typed): what an erasure keeps of such a field."""
    return isinstance(value, str) and value in _LABELS.get((kind, field), {})


def label(event: MemberEvent, field: str) -> str:
    """data[field] of the event in words: the registered label for a code, else the value as
    stored (free text, such as a freeze's reason); "" when the event has none."""
    value = event.data.get(field)
    if value is None or value == "":
        return ""
    labels = _LABELS.get((event.kind, field), {})
    if value in labels:
        return labels[value]
    if isinstance(value, str) and _CODE.fullmatch(value):
        # A code nobody registered (a card network's "card_declined", an import's source)
        # still reads as words; typed text has spaces or capitals and stays as typed.
        return value.replace("_", " ").capitalize()
    return str(value)


def details(event: MemberEvent) -> str:
    """One line of what the event's data says, in words, for screens that list events of every
    kind (the back-office's timeline): its reasons and its source."""
    parts = [consent_change(event)]
    parts += [label(event, field) for field in ("reason", "denied_reason", "source")]
    return " · ".join(part for part in parts if part)


def consent_change(event: MemberEvent) -> str:
    """What a consent event changed ("SMS consent given"); "" for any other event. Two
    lines reading only "Consent changed · At the desk" said neither channel nor which way."""
    if event.kind != MemberEvent.Kind.CONSENT_CHANGED or "channel" not in event.data:
        return ""
    channel = event.data["channel"]
    named = Channel(channel).label if channel in Channel.values else str(channel).capitalize()
    return f"{named} consent {'given' if event.data.get('granted') else 'withdrawn'}"
