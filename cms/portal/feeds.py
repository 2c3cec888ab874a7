"""The member's personal calendar feed: their booked classes as iCalendar, at a secret URL.

Calendar apps fetch the feed without a session, so the URL itself is the credential:
`Member.calendar_token`, random, made on first view of the calendar page and replaced
when the member resets it (which kills the old URL at once).
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event, vDuration

from checkin.models import Booking
from club import clock
from members.models import Member

# Classes this far back stay in the feed, so last week's classes don't vanish from the
# member's calendar the moment they end.
RECENT = dt.timedelta(days=30)
# The seat was the member's: booked, then attended or missed. Waitlisted and cancelled
# bookings are not in the feed.
FEED_STATUSES = (Booking.Status.BOOKED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW)
# How often calendar apps should fetch the feed again.
REFRESH = dt.timedelta(hours=1)


def calendar_token(member: Member) -> str:
    """The member's feed token, made the first time it is asked for."""
    if not member.calendar_token:
        # Only fills an empty slot: two first views at once agree on one token.
        Member.objects.filter(pk=member.pk, calendar_token__isnull=True).update(
            calendar_token=secrets.token_urlsafe(32)
        )
        member.calendar_token = Member.objects.values_list("calendar_token", flat=True).get(
            pk=member.pk
        )
    return member.calendar_token


def reset_calendar_token(member: Member) -> str:
    """A new feed URL; the old one answers 404 from now on."""
    member.calendar_token = secrets.token_urlsafe(32)
    Member.objects.filter(pk=member.pk).update(calendar_token=member.calendar_token)
    return member.calendar_token


def feed_bookings(member: Member):
    return (
        member.bookings.filter(
            status__in=FEED_STATUSES,
            session__is_cancelled=False,
            session__start__gte=clock.now() - RECENT,
        )
        .select_related("session__class_type", "session__club")
        .order_by("session__start", "id")
    )


def coming_in_feed(member: Member) -> int:
    """How many classes still to come the feed holds: the booked ones of My bookings'
    "Coming up" (a waitlist place joins the feed with its seat). The feed also keeps the
    last 30 days' classes, which a count "in it now" would wrongly add to what is booked."""
    return feed_bookings(member).filter(session__start__gte=clock.now()).count()


def build_calendar(member: Member) -> Calendar:
    """A VCALENDAR with one VEVENT per booked class, in the club's own time zone."""
    host = urlsplit(settings.SITE_URL).hostname or "clubcycle"
    club = member.home_club
    calendar = Calendar.new(
        prodid="-//ClubCycle//Member classes//EN",
        name=f"{club.name} classes",
        uid=f"member-calendar-{member.pk}@{host}",
    )
    # RFC 7986 requires VALUE=DURATION on REFRESH-INTERVAL; icalendar's refresh_interval
    # leaves it out, and strict clients ignore the property without it.
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    # The same, for older clients such as Outlook. An X- property has no type icalendar
    # knows, so it would write the timedelta as "1:00:00": say that it is a duration.
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    stamp = clock.now()
    starts = []
    for booking in feed_bookings(member):
        session = booking.session
        zone = clock.zone(session.club)
        starts.append(session.start)
        calendar.add_component(
            Event.new(
                # Stable per booking, so a calendar app updates the event rather than
                # adding a second one when the class moves.
                uid=f"booking-{booking.pk}@{host}",
                stamp=stamp,
                last_modified=booking.updated_at,
                start=session.start.astimezone(zone),
                end=session.end.astimezone(zone),
                summary=session.class_type.name,
                location=", ".join(filter(None, [session.club.name, session.room])),
                description=session.class_type.description or None,
            )
        )
    if starts:
        # VTIMEZONEs covering the feed's dates only, instead of 1970–2038.
        calendar.add_missing_timezones(
            first_date=(min(starts) - dt.timedelta(days=366)).date(),
            last_date=(max(starts) + dt.timedelta(days=366)).date(),
        )
    return calendar


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    member = (
        Member.objects.select_related("home_club").filter(calendar_token=token).first()
        if token
        else None
    )
    if member is None:
        raise Http404("No calendar here.")
    response = HttpResponse(
        build_calendar(member).to_ical(), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="classes.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
