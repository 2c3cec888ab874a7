"""Which time zone a staff member's back-office runs in.

A zone chosen in the Wagtail profile wins. Without one, staff see and type times on their
club's clock: the zone their clubs share, or, for someone working at clubs in different zones,
the zone of the club the screen is at (the desk's chosen club), else TIME_ZONE. Superusers get
their profile's zone or TIME_ZONE, as Wagtail gives them.

A time that belongs to a club (a class, a visit, a booking, a task, a touchpoint) is printed on
that club's clock whatever the page's zone, labelled with its zone when the two differ
(`on_club_clock`), and a form for a record of one club takes and shows its times on that club's
clock, named when the page's differs (`form_on_club_clock`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import tzinfo
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from wagtail import hooks
from wagtail.users.models import UserProfile

from club import clock
from club.forms import MomentField
from club.models import Club

# Screens that are at one club say which through this Wagtail hook, so this app needs to know
# none of them: fn(request) -> Club | None, called after the URL is resolved.
WORKING_CLUB_HOOK = "club_time_zone_working_club"


def staff_zone(user, *, working_club: Callable[[], Club | None]) -> str:
    """The zone of `user`'s clubs when they share one; else that of `working_club()` (asked
    only then), else TIME_ZONE. Ignores the profile: the caller checks it first."""
    zones = set(Club.objects.filter(staff=user).values_list("time_zone", flat=True))
    if len(zones) == 1:
        return zones.pop()
    if len(zones) > 1 and (club := working_club()) is not None:
        return club.time_zone
    return settings.TIME_ZONE


def working_club(request: HttpRequest) -> Club | None:
    """The club this screen is at, as the first hook that knows says."""
    for fn in hooks.get_hooks(WORKING_CLUB_HOOK):
        if (club := fn(request)) is not None:
            return club
    return None


class StaffTimeZoneMiddleware:
    """Runs each back-office request of a staff member without a profile zone in their club's.

    Wagtail renders every admin view under `timezone.override(profile.get_current_time_zone())`,
    which falls back to TIME_ZONE and offers no hook: so this request's copy of the profile is
    given the club's zone as its fallback. The stored choice stays blank (nothing is saved), so
    the account screen still says none is chosen and the club's zone follows later changes.
    Activating the zone as well covers anything outside Wagtail's wrapper."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # The path first: the public site, the portal and the API keep their own clocks, and
        # a turnstile's request should not load a session user it never uses.
        if not request.path.startswith(reverse("wagtailadmin_home")):
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_superuser:
            return
        try:
            profile = user.wagtail_userprofile
        except UserProfile.DoesNotExist:
            # Unsaved: read for its defaults only (Wagtail creates the row when it needs one).
            profile = UserProfile(user=user)
            user.wagtail_userprofile = profile
        if profile.current_time_zone:
            return
        zone = staff_zone(user, working_club=lambda: working_club(request))
        profile.get_current_time_zone = lambda: zone
        timezone.activate(zone)


# --- a time on its own club's clock ------------------------------------------------------------


def _zone_of(where: Club | tzinfo | str | None) -> tzinfo:
    if isinstance(where, tzinfo):
        return where
    if isinstance(where, str):
        return ZoneInfo(where)
    return clock.zone(where)


def zone_label(moment: dt.datetime, where: Club | tzinfo | str | None) -> str:
    """ "Lisbon" when the wall clock at `where` (a club, or a zone) reads differently at
    `moment` from the page's zone, else "". Offsets are compared, not names: an Amsterdam
    reader needs no label on a Paris club's 18:30, which is their 18:30 too."""
    zone = _zone_of(where)
    if moment.astimezone(zone).utcoffset() == timezone.localtime(moment).utcoffset():
        return ""
    name = getattr(zone, "key", None) or str(zone)
    # "Europe/Lisbon" -> "Lisbon", "America/Argentina/Buenos_Aires" -> "Buenos Aires".
    return name.rsplit("/", 1)[-1].replace("_", " ")


def on_club_clock(
    moment: dt.datetime | None,
    where: Club | tzinfo | str | None,
    format: str = "DATETIME_FORMAT",
    *,
    label: bool = True,
) -> str:
    """`moment` as the club it belongs to reads it ("18:30"), in a Django date `format`,
    followed by the club's zone ("18:30 Lisbon") when the page runs on another clock.

    Every back-office time of a class, visit, booking, task or touchpoint is printed through
    this (the `club_time` template tag; the scoped lists' date-and-time columns), so a class
    at Harbour reads 18:30 whoever reads it. `label=False` leaves the zone to a later time (a
    range's end)."""
    if moment is None:
        return ""
    text = date_format(moment.astimezone(_zone_of(where)), format)
    if label and (zone := zone_label(moment, where)):
        return f"{text} {zone}"
    return text


# --- a form's times on its record's club's clock -----------------------------------------------


def club_at(record, path: str) -> Club | None:
    """The club at `path` ("club", "member__home_club") from `record`, if any."""
    for name in path.split("__") if path else ():
        try:
            record = getattr(record, name)
        except ObjectDoesNotExist:  # an unsaved record's foreign key not yet set
            return None
        if record is None:
            return None
    return record if isinstance(record, Club) else None


def form_club(form: forms.BaseForm, club_path: str) -> Club | None:
    """The club the record of model form `form` belongs to, at `club_path` from its model.

    When the form itself chooses it (a session's "club", a freeze's "membership") it is the
    choice posted, so a record moved to another club takes that club's clock; an invalid choice
    (the field's own error) falls back to the record's present club."""
    if club_path == "pk":
        return form.instance if form.instance.pk else None
    first, _, rest = club_path.partition("__")
    field = form.fields.get(first)
    if form.is_bound and field is not None and not field.disabled:
        try:
            chosen = field.clean(form[first].data)
        except ValidationError:
            chosen = None
        if chosen is not None and (club := club_at(chosen, rest)) is not None:
            return club
    return club_at(form.instance, club_path)


def _offered_clubs(form: forms.BaseForm, club_path: str) -> list[Club]:
    """The clubs a form's own club choice offers (scoped); none when it chooses no club."""
    field = form.fields.get(club_path)
    if (
        isinstance(field, forms.ModelChoiceField)
        and not field.disabled
        and field.queryset.model is Club
    ):
        return list(field.queryset.only("pk", "name", "time_zone"))
    return []


def form_on_club_clock(form: forms.BaseForm, club_path: str) -> None:
    """Have every date and time of model form `form`, whose record belongs to the club at
    `club_path` from its model, read and shown on that club's clock, and say so on the page.

    A class at Brooklyn typed as 18:00 is at 18:00 in New York, whoever types it: the page's
    clock (the staff member's profile zone) is the reader's, not the record's. The club is the
    one the form chooses, if it does (`form_club`); a new record whose club is still to be
    chosen takes its clubs' zone when they share one, else the page's until one is chosen (the
    chosen club's, once posted). Each field's help names the zone when the page's clock reads
    differently, and says the chosen club's time counts where the form offers clubs of several
    zones. Call it once the choices are scoped: a posted club not on offer lends no zone."""
    moments = {name: f for name, f in form.fields.items() if isinstance(f, MomentField)}
    if not moments:
        return
    club = form_club(form, club_path)
    offered = _offered_clubs(form, club_path)
    zones = {c.time_zone for c in offered}
    if club is None and len(offered) == 1:
        club = offered[0]
    zone = clock.zone(club) if club is not None else None
    if zone is None and len(zones) == 1:
        zone = ZoneInfo(next(iter(zones)))
    several = len(zones) > 1
    for name, field in moments.items():
        field.zone = zone
        shown = form.initial.get(name)
        moment = shown if isinstance(shown, dt.datetime) else clock.now()
        note = ""
        if zone is not None and zone_label(moment, zone):
            whose = club.name if club is not None else "The club's"
            note = f"{whose} time ({zone.key})."
            if several:
                note = f"{note[:-1]}, or the club's chosen above."
        elif several:
            note = "The chosen club's own time."
        field.help_text = " ".join(text for text in (field.help_text, note) if text)
