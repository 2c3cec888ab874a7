"""The weekly timetable: ClassSession rows generated ahead from the clubs' ClassTemplates.

A template says "Spin, Mondays 07:00 club time, 60 minutes". Each session's start is that
wall-clock time on the day, in the club's time zone, stored in UTC — so a 07:00 class stays
at 07:00 for the members across a daylight-saving change, while its UTC start moves by an
hour. Its end is `duration_minutes` of real time later. A wall-clock time that does not
exist on the day (02:30 when clocks spring forward) resolves as Python's zoneinfo does, to
the later side of the gap; one that occurs twice (falling back) is its first occurrence.

Generation is idempotent: the (template, start) unique constraint makes a second run, or
two runs at once, create nothing new. A session a manager cancelled stays cancelled (its
row still exists); one that was deleted comes back on the next run.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from checkin.models import ClassSession, ClassTemplate
from club import clock
from club.models import Club


def generate_sessions(club: Club, *, weeks_ahead: int = 4, today: dt.date | None = None) -> int:
    """Create the club's sessions from its active templates for the days from `today`
    (the club's today by default) up to `weeks_ahead` weeks later; return how many were new.
    """
    first = today or clock.today(club)
    last = first + dt.timedelta(weeks=weeks_ahead) - dt.timedelta(days=1)
    templates = list(
        ClassTemplate.objects.filter(club=club, is_active=True, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .select_related("class_type")
    )
    candidates = [
        _session(template, day, club)
        for template in templates
        for day in _days(template, first, last)
    ]
    if not candidates:
        return 0
    existing = set(
        ClassSession.objects.filter(
            template__in=templates,
            start__gte=min(s.start for s in candidates),
            start__lte=max(s.start for s in candidates),
        ).values_list("template_id", "start")
    )
    new = [s for s in candidates if (s.template_id, s.start) not in existing]
    # ignore_conflicts: a run at the same moment may have inserted some of them already.
    ClassSession.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


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
        class_type=template.class_type,
        trainer_id=template.trainer_id,
        room=template.room,
        start=start,
        end=start + dt.timedelta(minutes=template.duration_minutes),
        capacity=template.capacity,
    )
