"""Row counts and a SHA-256 over the demo data's content, to prove a seed is reproducible.

The digest ignores everything that differs between two runs of the same seed: primary
keys (a row pointing at another is hashed with the other row's content key instead),
ids inside timeline payloads, password hashes and `auto_now` columns. Rows are
hashed one by one and the row digests sorted, so the order rows come back in does not
matter either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models

from campaigns.models import Touchpoint
from checkin.models import (
    Booking,
    CheckInAttempt,
    ClassSession,
    ClassTemplate,
    ClassType,
    Visit,
)
from club.models import Club
from cms.demo.seeding import demo_clubs, demo_users
from members.models import ConsentLog, Member, MemberEvent, Task
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan, StripeEvent

CHUNK = 20_000
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_superuser",
    "is_active",
    "date_joined",
)
# Timeline payloads name rows by id; the digest names them by content.
EVENT_REFERENCES = {
    "membership": Membership,
    "renewed_from": Membership,
    "session": ClassSession,
    "task": Task,
    "visit": Visit,
}
# The rows a Stripe payload's metadata names by id (memberships/stripe/checkout.py).
STRIPE_METADATA = {"member": Member, "membership": Membership, "plan": Plan}
# Occurrence keys that name a row by id ("membership:<id>:<day>", "event:<id>" …).
OCCURRENCE_REFERENCES = {
    "membership": Membership,
    "lapse": Membership,
    "event": MemberEvent,
    "booking": Booking,
}


@dataclass(frozen=True)
class Checksum:
    counts: dict[str, int]
    sha256: str


def _tables() -> list[tuple[str, models.QuerySet]]:
    clubs = demo_clubs()
    members = Member.objects.filter(home_club__in=clubs)
    memberships = Membership.objects.filter(member__in=members)
    users = demo_users()
    return [
        ("clubs", clubs),
        ("staff", users),
        ("club_staff", Club.staff.through.objects.filter(club__in=clubs)),
        ("staff_groups", users.model.groups.through.objects.filter(user__in=users)),
        ("plans", Plan.objects.filter(club__in=clubs)),
        ("class_types", ClassType.objects.filter(club__in=clubs)),
        ("class_templates", ClassTemplate.objects.filter(club__in=clubs)),
        ("class_sessions", ClassSession.objects.filter(club__in=clubs)),
        ("members", members),
        ("memberships", memberships),
        ("freezes", Freeze.objects.filter(membership__in=memberships)),
        ("ledger_entries", LedgerEntry.objects.filter(membership__in=memberships)),
        ("payments", Payment.objects.filter(member__in=members)),
        ("stripe_events", StripeEvent.objects.filter(member__in=members)),
        ("visits", Visit.objects.filter(member__in=members)),
        ("check_in_attempts", CheckInAttempt.objects.filter(member__in=members)),
        ("bookings", Booking.objects.filter(member__in=members)),
        ("consent_logs", ConsentLog.objects.filter(member__in=members)),
        ("tasks", Task.objects.filter(member__in=members)),
        ("member_events", MemberEvent.objects.filter(member__in=members)),
        # A campaign's rows are drawn by hashes of its database id, as the live engine
        # draws them, so they differ between two seeds: the rules' rows are compared.
        ("touchpoints", Touchpoint.objects.filter(member__in=members, campaign__isnull=True)),
    ]


def counts() -> dict[str, int]:
    """Rows per demo table: one COUNT each."""
    return {label: queryset.count() for label, queryset in _tables()}


def compute() -> Checksum:
    """Counts and the content digest of all demo data."""
    # Rows met earlier stand in for the ids that point at them; groups by their name.
    keys: dict[type[models.Model], dict[int, str]] = {
        Group: dict(Group.objects.values_list("pk", "name"))
    }
    lines, table_counts = [], {}
    for label, queryset in _tables():
        digest, count = _table_digest(queryset, keys)
        table_counts[label] = count
        lines.append(f"{label}:{count}:{digest}")
    total = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return Checksum(counts=table_counts, sha256=total)


def _table_digest(
    queryset: models.QuerySet, keys: dict[type[models.Model], dict[int, str]]
) -> tuple[str, int]:
    model = queryset.model
    if model is get_user_model():
        fields = [model._meta.get_field(name) for name in USER_FIELDS]
    else:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and not getattr(f, "auto_now", False)
        ]
    # A row pointing at its own table (renewed_from) is keyed without that link, and
    # the link is hashed in afterwards, so chains need no particular order.
    self_refs = [f for f in fields if f.is_relation and f.related_model is model]
    own = [f for f in fields if f not in self_refs]
    mine: dict[int, str] = {}
    pending: list[tuple[str, list[int | None]]] = []
    rows = queryset.order_by().values_list(
        "pk", *[f.attname for f in own], *[f.attname for f in self_refs]
    )
    for pk, *values in rows.iterator(chunk_size=CHUNK):
        # values ends with the self references, which zip() leaves out here.
        parts = [_canon(_resolve(f, value, keys)) for f, value in zip(own, values, strict=False)]
        key = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        mine[pk] = key
        pending.append((key, values[len(own) :]))
    keys[model] = mine
    digests = sorted(
        hashlib.sha256("\x1f".join([key, *(mine.get(r, "∅") for r in refs)]).encode()).digest()
        if refs
        else bytes.fromhex(key)
        for key, refs in pending
    )
    return hashlib.sha256(b"".join(digests)).hexdigest(), len(digests)


def _resolve(field: models.Field, value, keys: dict[type[models.Model], dict[int, str]]):
    if value is None:
        return None
    if field.is_relation:
        return keys.get(field.related_model, {}).get(value, "outside")
    if field.model is Touchpoint and field.name == "occurrence_key":
        return _occurrence_reference(value, keys)
    if field.model is Touchpoint and field.name == "provider_id" and value.startswith("task-"):
        # A staff task's touchpoint names its task (channels/staff_task.py).
        return f"task-{keys.get(Task, {}).get(int(value[5:]), 'outside')}"
    if field.model is StripeEvent and field.name == "payload" and isinstance(value, dict):
        return _stripe_payload(value, keys)
    if field.model is MemberEvent and field.name == "data" and isinstance(value, dict):
        return {k: _event_reference(k, v, keys) for k, v in value.items()}
    return value


def _event_reference(name: str, value, keys) -> object:
    related = EVENT_REFERENCES.get(name)
    if related is None or not isinstance(value, int):
        return value
    return keys.get(related, {}).get(value, "outside")


def _stripe_payload(payload: dict, keys) -> dict:
    """A webhook payload with the ids its metadata names (checkout.start_renewal: member,
    membership, plan) as those rows' content keys."""
    obj = payload.get("data", {}).get("object", {})
    metadata = obj.get("metadata") or {}
    named = {
        name: keys.get(model, {}).get(int(metadata[name]), "outside")
        for name, model in STRIPE_METADATA.items()
        if str(metadata.get(name, "")).isdigit()
    }
    return {**payload, "data": {"object": {**obj, "metadata": {**metadata, **named}}}}


def _occurrence_reference(key: str, keys) -> str:
    """ "membership:<id>[:<day>]", "lapse:<id>", "event:<id>" and "booking:<id>" name the
    row by its content key instead of its id."""
    kind, _, rest = key.partition(":")
    pk, colon, tail = rest.partition(":")
    related = OCCURRENCE_REFERENCES.get(kind)
    if related is None or not pk.isdigit():
        return key
    return f"{kind}:{keys.get(related, {}).get(int(pk), 'outside')}{colon}{tail}"


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# One spelling per type, the same whatever the database returned it as.
_CANON: dict[type, Callable[[object], str]] = {
    bool: lambda v: "1" if v else "0",
    dt.datetime: lambda v: v.astimezone(dt.UTC).isoformat(),
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    Decimal: lambda v: f"{v:.2f}" if v == v.quantize(Decimal("0.01")) else str(v),
    dict: _json,
    list: _json,
}


def _canon(value) -> str:
    if value is None:
        return "∅"
    convert = _CANON.get(type(value))
    return convert(value) if convert else str(value)
