"""Store a generated demo History: bulk_create for what later rows point at, COPY for the rest.

Rows are written in dependency order inside the caller's transaction. Tables whose ids
other rows need (clubs, members, memberships, sessions…) go through bulk_create, which
returns the ids on PostgreSQL and SQLite ≥ 3.35. The big tables nobody points at
(visits, bookings, events, payments…) are streamed with PostgreSQL's COPY, or
executemany on SQLite. Ledger entries are the one big table that visits point at: their
ids are reserved from the sequence first.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models
from django.utils.html import format_html
from django.utils.text import slugify

from campaigns import evaluator, launches, triggers
from campaigns.models import Campaign, CampaignVariant, Channel, Rule, Segment, Touchpoint
from checkin.models import (
    Booking,
    CheckInAttempt,
    ClassSession,
    ClassTemplate,
    ClassType,
    Visit,
)
from club import hours, roles
from club.models import Club, OpeningHours
from cms.demo import catalogue as cat
from cms.demo.generator import NO, History
from cms.models import TrainerPage, TrainersIndexPage
from members.models import ConsentLog, Member, MemberEvent, Task
from members.staff_tasks import CallOutcome
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan, StripeEvent
from memberships.stripe import events as stripe_events
from memberships.stripe.checkout import to_minor_units

BATCH = 2000
SQLITE_BATCH = 5000
TOUCHPOINT_FIELDS = (
    "rule",
    "member",
    "club",
    "occurrence_key",
    "channel",
    "status",
    "reason",
    "due_at",
    "send_at",
    "explanation",
    "subject",
    "body",
    "provider_id",
    "error",
    "attempts",
    "created_at",
    "sent_at",
    "delivered_at",
)


def write(history: History, *, visit_events: bool = True) -> dict[str, int]:
    """Insert the whole history; return the number of rows per table.

    `visit_events`: each visit's timeline event, as a check-in writes it. The benchmarks leave
    them out: they measure other things, and the events add a row per visit."""
    w = _Writer(history, visit_events=visit_events)
    w.clubs_and_staff()
    w.plans_and_classes()
    w.members()
    w.memberships()
    w.money_and_visits()
    w.timeline()
    w.stripe_events()
    w.renewal_offers()
    w.playbook_history()
    w.campaign()
    w.trainer_pages()
    return w.counts


# The demo clubs' opening hours: wide enough for the visits the generator makes
# (cat.VISIT_HOURS, 06:00–22:59 on weekdays, 08:00–19:59 at the weekend).
DEMO_WEEK = {
    day: (dt.time(6), dt.time(23)) if day < 5 else (dt.time(8), dt.time(20)) for day in range(7)
}


class _Writer:
    def __init__(self, history: History, *, visit_events: bool = True) -> None:
        self.h = history
        self.visit_events = visit_events
        self.counts: dict[str, int] = {}
        self.postgres = connection.vendor == "postgresql"

    # -- small tables ----------------------------------------------------------------

    def clubs_and_staff(self) -> None:
        clubs = [
            Club(
                name=spec.name,
                slug=spec.slug,
                time_zone=spec.time_zone,
                currency=cat.CURRENCY,
                address=spec.address,
                phone=spec.phone,
                country=spec.country,
                email_sender=spec.email_sender,
                sms_sender=spec.sms_sender,
            )
            for spec in cat.CLUBS
        ]
        Club.objects.bulk_create(clubs)
        OpeningHours.objects.bulk_create(
            OpeningHours(club=club, weekday=day, opens=opens, closes=closes)
            for club in clubs
            for day, (opens, closes) in DEMO_WEEK.items()
        )
        self.clubs = clubs
        self.club_by_slug = {club.slug: club for club in clubs}
        self.users = ensure_staff(
            self.club_by_slug,
            joined=_instant(
                _midnight_ts(self.h.start, cat.CLUBS[0].time_zone) + 8 * 3600,
            ),
        )
        self.user_ids = {name: user.pk for name, user in self.users.items()}
        self.counts["clubs"] = len(clubs)
        self.counts["staff"] = len(self.users)

    def plans_and_classes(self) -> None:
        plans = []
        for spec in cat.CLUBS:
            for kind in range(4):
                plans.append(
                    Plan(
                        club=self.club_by_slug[spec.slug],
                        name=cat.PLAN_NAMES[kind],
                        kind=cat.PLAN_KINDS[kind],
                        price=cat.plan_price(spec.slug, kind),
                        duration_days=cat.PLAN_DAYS[kind],
                        visits_included=cat.PLAN_VISITS[kind],
                        auto_renew=cat.PLAN_AUTO_RENEW[kind],
                    )
                )
        Plan.objects.bulk_create(plans)
        self.plan_ids = [plan.pk for plan in plans]
        self.plan_prices = [plan.price for plan in plans]

        class_types, keys = [], []
        for c, spec in enumerate(cat.CLUBS):
            for name in cat.CLUB_CLASSES[spec.slug]:
                kind = cat.CLASS_TYPES[cat.CLASS_INDEX[name]]
                class_types.append(
                    ClassType(
                        club=self.club_by_slug[spec.slug],
                        name=kind.name,
                        description=kind.description,
                        interests=list(kind.interests),
                        trial_eligible=kind.trial_eligible,
                    )
                )
                keys.append((c, cat.CLASS_INDEX[name]))
        ClassType.objects.bulk_create(class_types)
        type_ids = {key: ct.pk for key, ct in zip(keys, class_types, strict=True)}

        s = self.h.sessions.columns
        # The weekly timetable the sessions follow, one slot per club, weekday, room and
        # start, so the nightly generation (checkin/schedule.py) carries it on without
        # doubling the seeded sessions: theirs are linked to their slot.
        weekday = ((s["day"] - 1) % 7).tolist()  # date.fromordinal(1) is a Monday
        slot_of = list(
            zip(s["club"].tolist(), weekday, s["room"], s["minute"].tolist(), strict=True)
        )
        first_session = {}
        for i, slot in enumerate(slot_of):
            first_session.setdefault(slot, i)
        templates = {
            (club, day, room, minute): ClassTemplate(
                club_id=self.clubs[club].pk,
                class_type_id=type_ids[(club, int(s["class_type"][i]))],
                trainer_id=self.user_ids.get(s["trainer"][i]),
                room=room,
                weekday=day,
                start_time=dt.time(*divmod(minute, 60)),
                duration_minutes=int(s["end"][i] - s["start"][i]) // 60,
                capacity=int(s["capacity"][i]),
                starts_on=self.h.start,
            )
            for (club, day, room, minute), i in first_session.items()
        }
        ClassTemplate.objects.bulk_create(templates.values())
        sessions = [
            ClassSession(
                club_id=self.clubs[club].pk,
                template_id=templates[slot].pk,
                # The slot's day: the seeded day is the club's local date of the start.
                occurs_on=dt.date.fromordinal(day),
                class_type_id=type_ids[(club, kind)],
                trainer_id=self.user_ids.get(trainer),
                room=room,
                start=_instant(start),
                end=_instant(end),
                capacity=capacity,
                is_cancelled=cancelled,
            )
            for slot, day, club, kind, trainer, room, start, end, capacity, cancelled in zip(
                slot_of,
                s["day"].tolist(),
                s["club"].tolist(),
                s["class_type"].tolist(),
                s["trainer"],
                s["room"],
                s["start"].tolist(),
                s["end"].tolist(),
                s["capacity"].tolist(),
                s["cancelled"].tolist(),
                strict=True,
            )
        ]
        ClassSession.objects.bulk_create(sessions, batch_size=BATCH)
        self.session_ids = np.array([session.pk for session in sessions], dtype=np.int64)
        self.counts |= {
            "plans": len(plans),
            "class_types": len(class_types),
            "class_templates": len(templates),
            "class_sessions": len(sessions),
        }

    def members(self) -> None:
        p = self.h.people
        members = [
            Member(
                home_club_id=self.clubs[club].pk,
                status=status,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                birth_date=dt.date.fromordinal(birth) if birth else None,
                card_token=card,
                source=source,
                interests=interests,
                notes=notes,
                sms_consent=sms,
                email_consent=mail,
                created_at=_instant(created),
            )
            for club, status, first, last, email, phone, birth, card, source, interests, notes, sms, mail, created in zip(  # noqa: E501
                p.club.tolist(),
                p.status,
                p.first_name,
                p.last_name,
                p.email,
                p.phone,
                p.birth_date,
                p.card_token,
                p.source,
                p.interests,
                p.notes,
                p.sms_consent,
                p.email_consent,
                p.created.tolist(),
                strict=True,
            )
        ]
        Member.objects.bulk_create(members, batch_size=BATCH)
        self.member_ids = np.array([member.pk for member in members], dtype=np.int64)
        self.counts["members"] = len(members)

    def memberships(self) -> None:
        """One bulk_create per step of the renewal chains, so renewed_from can point back."""
        ms = self.h.memberships
        depth = np.asarray(ms.depth, dtype=np.int64)
        ids = np.zeros(depth.size, dtype=np.int64)
        for step in range(int(depth.max()) + 1 if depth.size else 0):
            wave = np.flatnonzero(depth == step).tolist()
            objs = [
                Membership(
                    member_id=int(self.member_ids[ms.member[k]]),
                    plan_id=self.plan_ids[ms.plan[k]],
                    start=dt.date.fromordinal(ms.start[k]),
                    end=dt.date.fromordinal(ms.end[k]),
                    status=Membership.Status.ACTIVE,
                    price_paid=self.plan_prices[ms.plan[k]],
                    visits_left=ms.visits_left[k],
                    auto_renew=ms.auto_renew[k],
                    renewed_from_id=(
                        int(ids[ms.renewed_from[k]]) if ms.renewed_from[k] != NO else None
                    ),
                    created_at=_instant(ms.created[k]),
                )
                for k in wave
            ]
            Membership.objects.bulk_create(objs, batch_size=BATCH)
            ids[wave] = [obj.pk for obj in objs]
        self.membership_ids = ids
        f = self.h.freezes.columns
        freezes = [
            Freeze(
                membership_id=int(ids[m]),
                start=dt.date.fromordinal(start),
                end=dt.date.fromordinal(end),
                reason=reason,
                created_by_id=self.user_ids.get(actor),
                created_at=_instant(created),
            )
            for m, start, end, created, reason, actor in zip(
                f["membership"],
                f["start"],
                f["end"],
                f["created"],
                f["reason"],
                f["actor"],
                strict=True,
            )
        ]
        Freeze.objects.bulk_create(freezes, batch_size=BATCH)
        self.counts |= {"memberships": int(ids.size), "freezes": len(freezes)}

    # -- big tables ------------------------------------------------------------------

    def money_and_visits(self) -> None:
        h, ms_ids, member_ids = self.h, self.membership_ids, self.member_ids
        users = self.user_ids

        led = h.ledger.columns
        ledger_ids = reserve_ids(LedgerEntry, len(h.ledger))
        self.counts["ledger_entries"] = write_rows(
            LedgerEntry,
            ["id", "membership", "kind", "visits", "balance_after", "reason", "at"],
            zip(
                ledger_ids.tolist(),
                ms_ids[led["membership"]].tolist(),
                led["kind"].tolist(),
                led["visits"].tolist(),
                led["balance_after"].tolist(),
                led["reason"].tolist(),
                self.instants(led["at"]),
                strict=True,
            ),
        )

        pay = h.payments.columns
        # Reserved: the planted Stripe events name the payment they recorded.
        self.payment_ids = reserve_ids(Payment, len(h.payments))
        self.counts["payments"] = write_rows(
            Payment,
            [
                "id",
                "member",
                "membership",
                "amount",
                "currency",
                "method",
                "status",
                "stripe_payment_intent_id",
                "recorded_by",
                "at",
            ],
            zip(
                self.payment_ids.tolist(),
                member_ids[np.asarray(pay["member"], dtype=np.int64)].tolist(),
                ms_ids[np.asarray(pay["membership"], dtype=np.int64)].tolist(),
                pay["amount"],
                [self.clubs[h.people.club[m]].currency for m in pay["member"]],
                pay["method"],
                pay["status"],
                pay["intent"],
                [users.get(name) if name else None for name in pay["recorded_by"]],
                self.instants(np.asarray(pay["at"], dtype=np.int64)),
                strict=True,
            ),
        )

        v = h.visits.columns
        club_ids = np.array([club.pk for club in self.clubs], dtype=np.int64)
        entry = v["ledger_entry"]
        visit_entries = np.zeros(entry.size, dtype=np.int64)
        visit_entries[entry != NO] = ledger_ids[entry[entry != NO]]
        # A pack visit's balance after its debit: what its timeline event says is left.
        visits_left = np.full(entry.size, NO, dtype=np.int64)
        visits_left[entry != NO] = np.asarray(led["balance_after"], dtype=np.int64)[
            entry[entry != NO]
        ]
        visit_entries = visit_entries.tolist()
        # Reserved: each visit's timeline event names it.
        visit_ids = reserve_ids(Visit, entry.size)
        at = self.instants(v["at"])
        self.counts["visits"] = write_rows(
            Visit,
            [
                "id",
                "member",
                "club",
                "at",
                "source",
                "membership",
                "ledger_entry",
                "override_reason",
            ],
            (
                (pk, member, club, when, source, membership, ledger or None, "")
                for pk, member, club, when, source, membership, ledger in zip(
                    visit_ids.tolist(),
                    member_ids[v["member"]].tolist(),
                    club_ids[v["club"]].tolist(),
                    at,
                    v["source"].tolist(),
                    ms_ids[v["membership"]].tolist(),
                    visit_entries,
                    strict=True,
                )
            ),
        )
        if self.visit_events:
            self._visit_events(visit_ids, at, visits_left)

        a = h.attempts.columns
        self.counts["check_in_attempts"] = write_rows(
            CheckInAttempt,
            ["member", "club", "at", "source", "reason", "membership"],
            zip(
                member_ids[np.asarray(a["member"], dtype=np.int64)].tolist(),
                club_ids[np.asarray(a["club"], dtype=np.int64)].tolist(),
                self.instants(np.asarray(a["at"], dtype=np.int64)),
                a["source"],
                a["reason"],
                ms_ids[np.asarray(a["membership"], dtype=np.int64)].tolist(),
                strict=True,
            ),
        )

        b = h.bookings.columns
        # Reserved: the planted trial touchpoints' keys name them (booking:<id>).
        self.booking_ids = reserve_ids(Booking, len(h.bookings))
        self.counts["bookings"] = write_rows(
            Booking,
            [
                "id",
                "session",
                "member",
                "status",
                "waitlist_position",
                "is_trial",
                "created_at",
                "updated_at",
                "attended_at",
            ],
            (
                (
                    pk,
                    session,
                    member,
                    status,
                    None if position == NO else position,
                    trial,
                    c,
                    u,
                    a if attended != NO else None,
                )
                for pk, session, member, status, position, trial, c, u, a, attended in zip(
                    self.booking_ids.tolist(),
                    self.session_ids[b["session"]].tolist(),
                    member_ids[b["member"]].tolist(),
                    b["status"].tolist(),
                    b["waitlist_position"].tolist(),
                    b["is_trial"].tolist(),
                    self.instants(b["created"]),
                    self.instants(b["updated"]),
                    self.instants(np.maximum(b["attended_at"], 0)),
                    b["attended_at"].tolist(),
                    strict=True,
                )
            ),
        )

    def stripe_events(self) -> None:
        """The planted webhook events (generator.stripe_events), stored as `events.receive`
        stores a delivery and marked as `events.process` leaves it: the payload Stripe
        sends for a portal renewal's Checkout Session (checkout.start_renewal's metadata)
        or its failed PaymentIntent, in test mode, as nothing real was paid."""
        h = self.h
        ev, pay, ms = h.stripe_events.columns, h.payments.columns, h.memberships

        def row(k: int, kind: str, event: str, received: int, processed: int) -> tuple:
            m = pay["membership"][k]
            i = pay["member"][k]
            member = int(self.member_ids[i])
            amount = to_minor_units(Decimal(pay["amount"][k]), cat.CURRENCY)
            metadata = {
                "member": str(member),
                "membership": str(int(self.membership_ids[ms.renewed_from[m]])),
                "plan": str(int(self.plan_ids[ms.plan[m]])),
            }
            intent = pay["intent"][k]
            currency = cat.CURRENCY.lower()
            if kind == "checkout.session.completed":
                obj = {
                    "id": f"cs_demo_{event}",
                    "object": "checkout.session",
                    "mode": "payment",
                    "status": "complete",
                    "payment_status": "paid",
                    "amount_total": amount,
                    "currency": currency,
                    "payment_intent": intent,
                    "metadata": metadata,
                }
                note, payment = stripe_events.RENEWED, int(self.payment_ids[k])
            else:
                obj = {
                    "id": intent,
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                    "amount": amount,
                    "currency": currency,
                    "last_payment_error": {
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "card_declined",
                        "message": "Your card was declined.",
                    },
                    "metadata": metadata,
                }
                note, payment = stripe_events.failure_note("card_declined"), None
            payload = {
                "id": f"evt_demo_{event}",
                "object": "event",
                "type": kind,
                "created": received - 1,
                "livemode": False,
                "data": {"object": obj},
            }
            return (
                f"evt_demo_{event}",
                kind,
                json.dumps(payload),
                member,
                _instant(received),
                _instant(processed),
                1,
                "",
                StripeEvent.Outcome.PROCESSED.value,
                note,
                payment,
            )

        self.counts["stripe_events"] = write_rows(
            StripeEvent,
            [
                "stripe_id",
                "type",
                "payload",
                "member",
                "received_at",
                "processed_at",
                "attempts",
                "error",
                "outcome",
                "note",
                "payment",
            ],
            (
                row(*values)
                for values in zip(
                    ev["payment"],
                    ev["type"],
                    ev["event"],
                    ev["received"],
                    ev["processed"],
                    strict=True,
                )
            ),
        )

    def _visit_events(self, visit_ids: np.ndarray, at: list[str], visits_left: np.ndarray) -> None:
        """A `visit` timeline event per visit, with the data checkins.check_in writes (a
        member's visit: no override, no denial, no trial class), so a demo member's timeline
        reads as a real one. Counted among the member events."""
        v = self.h.visits.columns
        slugs = [club.slug for club in self.clubs]

        def payload(pk: int, club: int, source: str, left: int) -> str:
            return json.dumps(
                {
                    "visit": pk,
                    "club": slugs[club],
                    "source": source,
                    "visits_left": None if left == NO else left,
                    "override_reason": None,
                    "denied_reason": None,
                }
            )

        self.counts["member_events"] = self.counts.get("member_events", 0) + write_rows(
            MemberEvent,
            ["member", "kind", "at", "actor", "data"],
            (
                (member, MemberEvent.Kind.VISIT, when, None, payload(pk, club, source, left))
                for pk, member, club, when, source, left in zip(
                    visit_ids.tolist(),
                    self.member_ids[v["member"]].tolist(),
                    v["club"].tolist(),
                    at,
                    v["source"].tolist(),
                    visits_left.tolist(),
                    strict=True,
                )
            ),
        )

    def timeline(self) -> None:
        h, users = self.h, self.user_ids
        c = h.consents.columns
        self.counts["consent_logs"] = write_rows(
            ConsentLog,
            ["member", "channel", "granted", "source", "wording", "recorded_by", "at"],
            zip(
                self.member_ids[np.asarray(c["member"], dtype=np.int64)].tolist(),
                c["channel"],
                c["granted"],
                c["source"],
                c["wording"],
                [users.get(name) if name else None for name in c["recorded_by"]],
                self.instants(np.asarray(c["at"], dtype=np.int64)),
                strict=True,
            ),
        )

        e = h.events.columns
        ms_ids, session_ids = self.membership_ids, self.session_ids

        def payload(data: dict, membership: int, session: int) -> str:
            # Rows point at each other by position until now; the timeline stores real ids.
            if "membership" in data:
                data["membership"] = int(ms_ids[membership]) if membership != NO else None
            if "session" in data:
                data["session"] = int(session_ids[session]) if session != NO else None
            if "renewed_from" in data:
                data["renewed_from"] = int(ms_ids[h.memberships.renewed_from[membership]])
            return json.dumps(data)

        # Reserved: the planted lead touchpoints' keys name them (event:<id>).
        self.event_ids = reserve_ids(MemberEvent, len(h.events))
        # After the visits' events (money_and_visits), which counted themselves here.
        self.counts["member_events"] = self.counts.get("member_events", 0) + write_rows(
            MemberEvent,
            ["id", "member", "kind", "at", "actor", "data"],
            zip(
                self.event_ids.tolist(),
                self.member_ids[np.asarray(e["member"], dtype=np.int64)].tolist(),
                e["kind"],
                self.instants(np.asarray(e["at"], dtype=np.int64)),
                [users.get(name) if name else None for name in e["actor"]],
                [
                    payload(dict(data), m, k)
                    for data, m, k in zip(e["data"], e["membership"], e["session"], strict=True)
                ],
                strict=True,
            ),
        )

    def renewal_offers(self) -> None:
        """Rule 14's touchpoints, rendered as the evaluator renders them. Without that rule
        (a playbook changed by hand) there are none; the renewals were drawn all the same."""
        h = self.h
        p = h.planted
        rule = Rule.objects.filter(
            number=p.renewal_offer_rule, trigger="membership_ends_in"
        ).first()
        o = h.offers.columns
        if rule is None or not len(h.offers):
            self.counts["touchpoints"] = 0
            return
        people, ms = h.people, h.memberships
        club_ids = [club.pk for club in self.clubs]
        plan_names = [cat.PLAN_NAMES[k % 4] for k in range(4 * len(cat.CLUBS))]
        stamps = {
            name: self.instants(np.maximum(o[name], 0))
            for name in ("due", "created", "sent_at", "delivered_at")
        }

        club_contexts = {club.pk: evaluator.club_values(club) for club in self.clubs}

        def rows():
            for i, m, end, due, due_text, created, status, sent_at, delivered_at in zip(
                o["member"].tolist(),
                o["membership"].tolist(),
                o["end"].tolist(),
                o["due"].tolist(),
                stamps["due"],
                stamps["created"],
                o["status"],
                stamps["sent_at"],
                stamps["delivered_at"],
                strict=True,
            ):
                club = self.clubs[people.club[i]]
                ending = dt.date.fromordinal(end)
                due_at = _instant(due)
                occurrence = triggers.Occurrence(
                    i, "", due_at, {"end": ending, "plan": plan_names[ms.plan[m]]}
                )
                member = _Named(people.first_name[i], people.last_name[i])
                context = evaluator.message_context(
                    member, club, occurrence, club_context=club_contexts[club.pk]
                )
                went = status in ("sent", "delivered")
                send_at = evaluator.send_time(due_at, club, rule)
                if send_at != due_at:
                    send_at_text = self.instants(np.array([int(send_at.timestamp())]))[0]
                else:
                    send_at_text = due_text
                yield (
                    rule.pk,
                    int(self.member_ids[i]),
                    club_ids[people.club[i]],
                    f"membership:{int(self.membership_ids[m])}:{ending:%Y%m%d}",
                    rule.channel,
                    status,
                    "no_consent" if status == "suppressed" else "",
                    due_text,
                    send_at_text,
                    evaluator.explain(rule, occurrence)[:300],
                    evaluator.render(rule.subject, context),
                    evaluator.render(rule.template, context),
                    "",
                    "",
                    1 if went else 0,
                    created,
                    sent_at if went else None,
                    delivered_at if status == "delivered" else None,
                )

        self.counts["touchpoints"] = write_rows(Touchpoint, TOUCHPOINT_FIELDS, rows())

    def playbook_history(self) -> None:
        """The other planted rules' touchpoints (cat.PLAYBOOK_HISTORY), keyed, timed and
        rendered as the evaluator writes them. A rule changed by hand (another trigger, or
        parameters other than those the generator drew by) gets none."""
        h = self.h
        t = h.touchpoints.columns
        if not len(h.touchpoints):
            return
        rules = _rules_as_drawn(cat.PLAYBOOK_HISTORY)
        people, ms = h.people, h.memberships
        club_ids = [club.pk for club in self.clubs]
        stamps = {
            name: self.instants(np.maximum(t[name], 0))
            for name in ("due", "created", "sent_at", "delivered_at")
        }

        e = h.events.columns
        class_names = [spec.name for spec in cat.CLASS_TYPES]

        def occurrence(number: int, i: int, m: int, day: int, ref: int, due_at: dt.datetime):
            if number in (1, 2):
                # The lead_created event's, as the event kind finds it (delay_minutes after).
                facts = {"event": dict(e["data"][ref]), "at": _instant(e["at"][ref])}
                return triggers.Occurrence(i, f"event:{int(self.event_ids[ref])}", due_at, facts)
            if number == 3:
                return triggers.Occurrence(i, f"event:{int(self.event_ids[ref])}", due_at, {})
            if number == 4:
                # The trial booking's class, as the trigger reads it off the session.
                k = int(h.bookings.columns["session"][ref])
                start = _instant(int(h.sessions.columns["start"][k]))
                zone = ZoneInfo(self.clubs[people.club[i]].time_zone)
                facts = {
                    "class_name": class_names[int(h.sessions.columns["class_type"][k])],
                    "class_start": start,
                    **triggers.class_words(start, zone),
                }
                return triggers.Occurrence(
                    i, f"booking:{int(self.booking_ids[ref])}", due_at, facts
                )
            if number in (5, 6):
                return triggers.Occurrence(i, f"booking:{int(self.booking_ids[ref])}", due_at, {})
            if number in (15, 18, 19):
                # `day` is the end the trigger saw: rule 15's key names it (a freeze moves it).
                end = dt.date.fromordinal(day)
                facts = {"end": end, "plan": cat.PLAN_NAMES[ms.plan[m] % 4]}
                pk = int(self.membership_ids[m])
                key = f"membership:{pk}:{end:%Y%m%d}" if number == 15 else f"lapse:{pk}"
                return triggers.Occurrence(i, key, due_at, facts)
            if number == 7:
                facts = {"plan": cat.PLAN_NAMES[ms.plan[m] % 4]}
                return triggers.Occurrence(
                    i, f"membership:{int(self.membership_ids[m])}", due_at, facts
                )
            if number == 10:
                facts = {"visits": cat.TENTH_VISIT}
                return triggers.Occurrence(i, f"visit:{cat.TENTH_VISIT}", due_at, facts)
            if number == 20:
                year = dt.date.fromordinal(day).year
                return triggers.Occurrence(i, f"birthday:{year}", due_at, {})
            local = due_at.astimezone(ZoneInfo(self.clubs[people.club[i]].time_zone)).date()
            facts = {"years": local.year - dt.date.fromordinal(ms.start[m]).year}
            return triggers.Occurrence(i, f"anniversary:{local.year}", due_at, facts)

        rendered: dict[tuple, tuple[str, str]] = {}
        read = {
            rule.pk: (*evaluator.names_read(rule.subject), *evaluator.names_read(rule.template))
            for rule in rules.values()
            if rule is not None
        }
        club_contexts = {club.pk: evaluator.club_values(club) for club in self.clubs}

        def messages(rule, first_name, last_name, club, found) -> tuple[str, str]:
            # A message depends only on the names its templates read (a first name, the club,
            # the plan), and those repeat: render each combination once.
            member = _Named(first_name, last_name)
            context = evaluator.message_context(
                member, club, found, club_context=club_contexts[club.pk]
            )
            key = (rule.pk, *(context.get(name) for name in read[rule.pk]))
            if key not in rendered:
                rendered[key] = (
                    evaluator.render(rule.subject, context),
                    evaluator.render(rule.template, context),
                )
            return rendered[key]

        calls = [
            number == 1 and rules[1] is not None and status in ("sent", "delivered")
            for number, status in zip(t["rule"].tolist(), t["status"], strict=True)
        ]
        tasks = _Tasks(self, sum(calls))

        def rows():
            for (
                number,
                i,
                m,
                day,
                ref,
                due,
                due_text,
                created,
                status,
                reason,
                sent,
                done,
                sent_ts,
                handled,
            ) in zip(
                t["rule"].tolist(),
                t["member"].tolist(),
                t["membership"].tolist(),
                t["day"].tolist(),
                t["ref"].tolist(),
                t["due"].tolist(),
                stamps["due"],
                stamps["created"],
                t["status"],
                t["reason"],
                stamps["sent_at"],
                stamps["delivered_at"],
                t["sent_at"].tolist(),
                t["handled"].tolist(),
                strict=True,
            ):
                rule = rules[number]
                if rule is None:
                    continue
                club = self.clubs[people.club[i]]
                due_at = _instant(due)
                found = occurrence(number, i, m, day, ref, due_at)
                subject, body = messages(
                    rule, people.first_name[i], people.last_name[i], club, found
                )
                send_at = evaluator.send_time(due_at, club, rule)
                if send_at != due_at:
                    send_at_text = self.instants(np.array([int(send_at.timestamp())]))[0]
                else:
                    send_at_text = due_text
                went = status in ("sent", "delivered")
                explanation = evaluator.explain(rule, found)[:300]
                provider_id = ""
                if went and rule.channel == Channel.TASK:
                    provider_id = tasks.add(rule, i, body, explanation, _instant(sent_ts), handled)
                yield (
                    rule.pk,
                    int(self.member_ids[i]),
                    club_ids[people.club[i]],
                    found.key,
                    rule.channel,
                    status,
                    reason,
                    due_text,
                    send_at_text,
                    explanation,
                    subject,
                    body,
                    provider_id,
                    "",
                    1 if went else 0,
                    created,
                    sent if went else None,
                    done if status == "delivered" else None,
                )

        self.counts["touchpoints"] = self.counts.get("touchpoints", 0) + write_rows(
            Touchpoint, TOUCHPOINT_FIELDS, rows()
        )
        tasks.write()

    def campaign(self) -> None:
        """One campaign sent a month ago, so its results page has something to show: the
        engine's own launch (`launches.plan`, as of its send time) over the time-plan members
        of both clubs, each message then recorded as the dispatcher would have (delivered
        with SMS consent, else suppressed; the frequency cap is not replayed). Its renewals
        are the history's own: nothing is planted, the difference is noise."""
        clubs = list(Club.objects.filter(slug__in=cat.DEMO_SLUGS))
        segment = Segment.objects.create(name=cat.CAMPAIGN["segment"], plan_kinds=["time"])
        segment.clubs.set(clubs)
        campaign = Campaign.objects.create(
            name=cat.CAMPAIGN["name"],
            segment=segment,
            channel="sms",
            send_on=self.h.today - dt.timedelta(days=cat.CAMPAIGN["days_ago"]),
            send_time=dt.time(10),
            status=Campaign.Status.SCHEDULED,
        )
        for label, text in cat.CAMPAIGN["variants"].items():
            CampaignVariant.objects.create(campaign=campaign, label=label, template=text)
        launched_at = launches.first_send_at(campaign)
        rows = launches.plan(campaign, now=launched_at)
        for row in rows:
            if row.status not in (Touchpoint.Status.SCHEDULED, Touchpoint.Status.HOLDING):
                continue
            if not evaluator.has_channel_consent(row.member, row.channel):
                # Held out or not, as the dispatcher decides: without consent, in neither arm.
                row.status, row.reason = Touchpoint.Status.SUPPRESSED, "no_consent"
            elif row.status == Touchpoint.Status.HOLDING:
                row.status = Touchpoint.Status.HELD_OUT
            else:
                row.status, row.attempts = Touchpoint.Status.DELIVERED, 1
                row.sent_at = row.delivered_at = row.send_at
        Touchpoint.objects.bulk_create(rows, batch_size=2000)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT, launched_at=launched_at, next_run_on=None
        )
        self.counts["touchpoints"] = self.counts.get("touchpoints", 0) + len(rows)

    def trainer_pages(self) -> None:
        """A public page per demo trainer under the site's Trainers page: name, a short bio,
        and the classes the timetable gives them, the most frequent first."""
        index = TrainersIndexPage.objects.first()
        if index is None:  # an editor removed it: the trainers have nowhere to go
            self.counts["trainer_pages"] = 0
            return
        s = self.h.sessions.columns
        taught = Counter(zip(s["trainer"], s["class_type"].tolist(), strict=True))
        taken = set(index.get_children().values_list("slug", flat=True))
        created = 0
        for spec in cat.STAFF:
            user = self.users.get(spec.username)
            title = f"{spec.first_name} {spec.last_name}"
            if spec.role != roles.TRAINER or user is None or slugify(title) in taken:
                continue  # a page an editor made under that name stays theirs
            classes = sorted(
                (-count, kind)
                for (trainer, kind), count in taught.items()
                if trainer == user.username
            )
            index.add_child(
                instance=TrainerPage(
                    title=title,
                    slug=slugify(title),
                    specialities=", ".join(cat.CLASS_TYPES[kind].name for _, kind in classes),
                    bio=format_html("<p>{}</p>", cat.TRAINER_BIOS[spec.username]),
                    staff_user=user,
                )
            )
            created += 1
        self.counts["trainer_pages"] = created

    def instants(self, ts: np.ndarray) -> list[str]:
        """UTC instants as the text each backend stores and compares."""
        stamps = np.asarray(ts, dtype="datetime64[s]")
        if self.postgres:
            return np.datetime_as_string(stamps, unit="s", timezone="UTC").tolist()
        # Django keeps SQLite datetimes as naive UTC "YYYY-MM-DD HH:MM:SS" text.
        return [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="s").tolist()]


def write_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Append rows to the model's table: COPY on PostgreSQL, executemany elsewhere.

    `fields` are model field names in row order. Columns the caller leaves out get
    the field's default (nullable ones stay NULL), so a field added to the model later
    does not break the demo.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    extra = [
        f
        for f in meta.concrete_fields
        if f not in given and not f.primary_key and not f.null and f.has_default()
    ]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    columns = [f.column for f in given + extra]
    if defaults:
        rows = (row + defaults for row in rows)
    qn = connection.ops.quote_name
    table, names = qn(meta.db_table), ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
            rows = iter(rows)
            while batch := list(islice(rows, SQLITE_BATCH)):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def reserve_ids(model: type[models.Model], n: int) -> np.ndarray:
    """n primary keys nobody else will use, for rows that others point at before COPY."""
    if not n:
        return np.empty(0, dtype=np.int64)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Drawn from the table's own sequence, so concurrent inserts never collide.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        # SQLite: our transaction holds the write lock, so nobody can insert in between.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        start = cursor.fetchone()[0] + 1
    return np.arange(start, start + n, dtype=np.int64)


def ensure_staff(clubs: dict[str, Club], *, joined: dt.datetime) -> dict[str, models.Model]:
    """Create (or reset) the demo staff logins, their role groups and their clubs.

    An existing account with a demo username but a non-demo email address is somebody's
    real login: it is left alone and gets no demo role.
    """
    user_model = get_user_model()
    existing = {
        user.username: user for user in user_model.objects.filter(username__in=cat.STAFF_USERNAMES)
    }
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ALL}
    password = _password_hash(tuple(settings.PASSWORD_HASHERS))
    users = {}
    for spec in cat.STAFF:
        user = existing.get(spec.username)
        if user is not None and not is_demo_user(user):
            continue
        user = user or user_model(username=spec.username)
        superuser = spec.role is None
        user.first_name, user.last_name, user.email = spec.first_name, spec.last_name, spec.email
        # Staff, like every club login: bookings let staff book outside the window, the
        # portal turns staff away, and a trainer's page links only a staff login.
        user.is_staff = True
        user.is_superuser = superuser
        user.is_active = True
        user.password = password
        user.date_joined = joined
        user.save()
        user.groups.set([] if superuser else [groups[spec.role]])
        users[spec.username] = user
    through = Club.staff.through
    through.objects.bulk_create(
        [
            through(club_id=clubs[slug].pk, user_id=users[spec.username].pk)
            for spec in cat.STAFF
            if spec.username in users
            for slug in spec.clubs
        ],
        ignore_conflicts=True,
    )
    return users


def is_demo_user(user) -> bool:
    return user.email.endswith(f"@{cat.DEMO_DOMAIN}")


@functools.cache
def _password_hash(hashers: tuple[str, ...]) -> str:
    # One hash for every demo login: a real hasher takes ~0.3 s per call.
    del hashers  # part of the cache key only: tests switch to a fast hasher
    return make_password(cat.DEMO_PASSWORD)


def _rules_as_drawn(specs) -> dict[int, Rule | None]:
    """By number, the playbook's rule of each spec's number when it still asks what the
    generator drew by (trigger and parameters); None when marketing changed it by hand. One
    query."""
    found = {
        rule.number: rule for rule in Rule.objects.filter(number__in=[s.number for s in specs])
    }

    def as_drawn(spec) -> Rule | None:
        rule = found.get(spec.number)
        if rule is None or rule.trigger != spec.trigger:
            return None
        if any(rule.params.get(name) != value for name, value in spec.params):
            return None
        return rule

    return {spec.number: as_drawn(spec) for spec in specs}


class _Tasks:
    """The members.Task behind each planted call task (rule 1), as channels/staff_task.py
    opens it when the dispatcher sends the touchpoint: titled with the message's first line,
    the message and why in its details, for the front desk, due `due_minutes` after the club
    is next open, escalated when late. The desk called each lead and closed it as done
    (`staff_tasks.log_call`, reached) `handled` seconds after the club was open, so no
    demo task is open or late; each has its "task opened" and "call logged" timeline events.
    Ids are reserved so that the touchpoint's provider id can name its task."""

    def __init__(self, writer: _Writer, n: int) -> None:
        self.w = writer
        self.rows: list[tuple] = []
        clubs = Club.objects.filter(pk__in=[club.pk for club in writer.clubs])
        self.clubs = {club.pk: club for club in clubs.prefetch_related("opening_hours")}
        self.desk = [writer.user_ids.get(spec.front_desk) for spec in cat.CLUBS]
        self.ids = iter(reserve_ids(Task, n).tolist())

    def add(self, rule: Rule, i: int, body: str, explanation: str, sent_at, handled: int) -> str:
        c = int(self.w.h.people.club[i])
        club = self.clubs[self.w.clubs[c].pk]
        opens = hours.next_opening(club, sent_at)
        # As staff_tasks.open_task: the minutes count only while the club is open.
        due = hours.open_time_after(
            club, sent_at, dt.timedelta(minutes=rule.params.get("due_minutes", 60))
        )
        done = opens + dt.timedelta(seconds=handled)
        pk = next(self.ids)
        self.rows.append(
            (
                pk,
                int(self.w.member_ids[i]),
                body.splitlines()[0][:200],
                f"{body}\n\nWhy: {explanation}",
                due,
                sent_at,
                done,
                self.desk[c],
                rule.params.get("escalate_when_late", False),
            )
        )
        return f"task-{pk}"

    def write(self) -> None:
        w = self.w

        def text(column: int) -> list[str]:
            return w.instants(np.array([int(row[column].timestamp()) for row in self.rows]))

        due, opened, done = text(4), text(5), text(6)
        rows = [(*row[:4], due[k], opened[k], done[k], *row[7:]) for k, row in enumerate(self.rows)]
        w.counts["tasks"] = write_rows(
            Task,
            [
                "id",
                "member",
                "title",
                "details",
                "due_at",
                "created_at",
                "done_at",
                "done_by",
                "escalate_when_late",
                "assigned_role",
                "status",
            ],
            ((*row, roles.FRONT_DESK, Task.Status.DONE) for row in rows),
        )
        reached = CallOutcome.REACHED

        def events():
            for pk, member, title, _, _, opened, done, desk, _ in rows:
                opened_data = {"task": pk, "title": title}
                yield member, MemberEvent.Kind.TASK_OPENED, opened, None, opened_data
                data = {"outcome": reached.value, "outcome_label": reached.label, "text": ""}
                yield member, MemberEvent.Kind.CALL_LOGGED, done, desk, data

        w.counts["member_events"] += write_rows(
            MemberEvent,
            ["member", "kind", "at", "actor", "data"],
            ((m, kind, at, actor, json.dumps(data)) for m, kind, at, actor, data in events()),
        )


class _Named:
    """The two fields of a Member that evaluator.message_context reads."""

    __slots__ = ("first_name", "last_name")

    def __init__(self, first_name: str, last_name: str) -> None:
        self.first_name, self.last_name = first_name, last_name


def _instant(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(ts), tz=dt.UTC)


def _midnight_ts(day: dt.date, time_zone: str) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(time_zone)).timestamp())
