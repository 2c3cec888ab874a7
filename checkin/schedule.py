"""The weekly timetable: ClassSession rows generated ahead from the clubs' ClassTemplates.

A template says "Spin, Mondays 07:00 club time, 60 minutes". Each session's start is that
wall-clock time on the day, in the club's time zone, stored in UTC — so a 07:00 class stays
at 07:00 for the members across a daylight-saving change, while its UTC start moves by an
hour. Its end is `duration_minutes` of real time later. A wall-clock time that does not
exist on the day (02:30 when clocks spring forward) resolves as Python's zoneinfo does, to
the later side of the gap; one that occurs twice (falling back) is its first occurrence.

Each generated session is tied to its slot and the day it is for (`occurs_on`), one per
slot and day (a unique constraint), so a second run, or two runs at once, create nothing
new, and a class moved by hand or kept at its old time stops a second one that day. A
session a manager cancelled stays cancelled (its row still exists); one that was deleted
comes back on the next run.

The nightly run only adds what is missing: it never moves a class, since one may have been
moved by hand under Sessions. Saving a slot brings that slot's classes in line at once
(`sync_slot`), through the same generation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from checkin.models import Booking, ClassSession, ClassTemplate
from club import clock
from club.models import Club

WEEKS_AHEAD = 4

# What a session takes from its slot, and so what a slot's save brings in line.
FOLLOWED = ("club_id", "class_type_id", "trainer_id", "room", "start", "end", "capacity")


def generate_sessions(
    club: Club,
    *,
    weeks_ahead: int = WEEKS_AHEAD,
    today: dt.date | None = None,
    slot: ClassTemplate | None = None,
) -> int:
    """Create the club's sessions from its active templates (or `slot` alone) for the days
    from `today` (the club's today by default) up to `weeks_ahead` weeks later; return how
    many were new.
    """
    first = today or clock.today(club)
    last = first + dt.timedelta(weeks=weeks_ahead) - dt.timedelta(days=1)
    templates = ClassTemplate.objects.filter(club=club, is_active=True, starts_on__lte=last)
    if slot is not None:
        templates = templates.filter(pk=slot.pk)
    templates = list(
        templates.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first)).select_related(
            "class_type"
        )
    )
    candidates = [
        _session(template, day, club)
        for template in templates
        for day in _days(template, first, last)
    ]
    if slot is not None:
        # Saved in the day: a class of today that would have begun already is not added.
        now = clock.now()
        candidates = [s for s in candidates if s.start > now]
    if not candidates:
        return 0
    existing = set(
        ClassSession.objects.filter(
            template__in=templates, occurs_on__gte=first, occurs_on__lte=last
        ).values_list("template_id", "occurs_on")
    )
    new = [s for s in candidates if (s.template_id, s.occurs_on) not in existing]
    # ignore_conflicts: a run at the same moment may have inserted some of them already.
    ClassSession.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@dataclass(frozen=True)
class SlotSync:
    """What saving a slot did to its classes to come."""

    created: int = 0
    changed: int = 0  # moved, retimed, re-roomed… to follow the slot
    removed: int = 0  # no longer on the slot's days (or the slot turned off)
    kept: int = 0  # differ from the slot but have bookings, so were left as they were
    kept_time: bool = False  # whether some kept class is at another time than the slot's


def sync_slot(slot_id: int, *, weeks_ahead: int = WEEKS_AHEAD) -> SlotSync:
    """Bring a saved slot's classes to come in line with it now, rather than at the nightly
    run: classes not yet started and with no bookings follow it (or go, when the slot no
    longer gives that day); classes with bookings are left for staff to move or cancel, as
    their members booked that time; then the days missing are generated. Call it after the
    slot's save has committed. Running it again changes nothing.
    """
    with transaction.atomic():
        # Two saves of one slot run one after the other.
        slots = ClassTemplate.objects.select_for_update(of=("self",)).select_related("club")
        slot = slots.get(pk=slot_id)
        club, now = slot.club, clock.now()
        first = clock.today(club)
        last = first + dt.timedelta(weeks=weeks_ahead) - dt.timedelta(days=1)
        # Locked before their bookings are read, as bookings.book locks a session before
        # counting seats: a booking made meanwhile is seen, and its class kept.
        sessions = list(
            ClassSession.objects.select_for_update()
            .filter(template=slot, occurs_on__isnull=False, start__gt=now, is_cancelled=False)
            .order_by("start")
        )
        # Classes generated further ahead than this run would (a longer window once) follow
        # too; only the days up to `last` are created.
        horizon = max([last, *(s.occurs_on for s in sessions)])
        wanted = {day: _session(slot, day, club) for day in _days(slot, first, horizon)}
        if not slot.is_active:
            wanted = {}
        booked = _with_bookings(sessions, status__in=Booking.ACTIVE_STATUSES)
        ever_booked = _with_bookings(sessions)
        to_cancel, to_delete, to_change = [], [], []
        kept = 0
        kept_time = False
        for session in sessions:
            target = wanted.get(session.occurs_on)
            differs = target is None or any(
                getattr(session, f) != getattr(target, f) for f in FOLLOWED
            )
            if not differs:
                continue
            if session.pk in booked:
                kept += 1
                kept_time = kept_time or (target is not None and session.start != target.start)
            elif target is None and session.pk in ever_booked:
                # Cancelled bookings are a late cancellation's record: the class is
                # cancelled rather than deleted with them.
                to_cancel.append(session.pk)
            elif target is None:
                to_delete.append(session.pk)
            else:
                for f in FOLLOWED:
                    setattr(session, f, getattr(target, f))
                to_change.append(session)
        # One statement each, whatever the number of classes.
        ClassSession.objects.filter(pk__in=to_cancel).update(is_cancelled=True)
        ClassSession.objects.filter(pk__in=to_delete).delete()
        ClassSession.objects.bulk_update(to_change, [f.removesuffix("_id") for f in FOLLOWED])
        created = generate_sessions(club, weeks_ahead=weeks_ahead, today=first, slot=slot)
    return SlotSync(
        created=created,
        changed=len(to_change),
        removed=len(to_cancel) + len(to_delete),
        kept=kept,
        kept_time=kept_time,
    )


def _with_bookings(sessions: list[ClassSession], **filters) -> set[int]:
    return set(
        Booking.objects.filter(session__in=sessions, **filters).values_list("session_id", flat=True)
    )


def _days(template: ClassTemplate, first: dt.date, last: dt.date):
    """The template's weekday between first and last, within its own start and end."""
    start = max(first, template.starts_on)
    end = min(last, template.ends_on) if template.ends_on else last
    day = start + dt.timedelta(days=(template.weekday - start.weekday()) % 7)
    while day <= end:
        yield day
        day += dt.timedelta(weeks=1)


def _session(template: ClassTemplate, day: dt.date, club: Club) -> ClassSession:
    start = clock.local_datetime(day, template.start_time, club).astimezone(dt.UTC)
    return ClassSession(
        club=club,
        template=template,
        occurs_on=day,
        class_type=template.class_type,
        trainer_id=template.trainer_id,
        room=template.room,
        start=start,
        end=start + dt.timedelta(minutes=template.duration_minutes),
        capacity=template.capacity,
    )
