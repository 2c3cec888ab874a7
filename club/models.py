import datetime as dt
import hashlib
import secrets
import zoneinfo

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import User, UserManager
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from phonenumber_field.modelfields import PhoneNumberField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Amsterdam).")


def validate_phone_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not a country code we know (e.g. NL, BE, GB).")


# Upper bounds of the club's settings: beyond them a number is a typo (99999999 grace days
# would overflow date arithmetic), not a policy.
A_YEAR = 365
A_DAY_IN_MINUTES = 24 * 60


class ClubQuerySet(models.QuerySet):
    def for_staff(self, user) -> "ClubQuerySet":
        """The clubs a staff member works at; superusers see every club."""
        if user.is_superuser:
            return self
        return self.filter(staff=user)


# Callables, not fixed times: Django warns of a fixed time default that is within ten seconds
# of the clock (fields.W161, meant for a forgotten `now()`), so `check --deploy` at 08:59:55 or
# 20:59:55 failed.
def quiet_hours_start_default() -> dt.time:
    return dt.time(21, 0)


def quiet_hours_end_default() -> dt.time:
    return dt.time(9, 0)


class Club(ClusterableModel):
    """One location of a fitness club chain, with its local settings.

    Clusterable so that its opening hours are edited inline on the club's own form."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(
        max_length=64, default=settings.DEFAULT_CLUB_TIME_ZONE, validators=[validate_time_zone]
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    address = models.TextField(blank=True, help_text="Postal address, also printed in emails.")
    phone = PhoneNumberField(blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_phone_region],
        help_text="Two-letter country code (e.g. NL): how phone numbers typed at this club are "
        "read and shown. Blank: the country of the club's phone number.",
    )
    email_sender = models.EmailField(blank=True, help_text="From address for member emails.")
    sms_sender = models.CharField(
        "SMS sender",
        max_length=20,
        blank=True,
        help_text="Twilio number in E.164 or an alphanumeric sender ID.",
    )
    quiet_hours_start = models.TimeField(default=quiet_hours_start_default)
    quiet_hours_end = models.TimeField(default=quiet_hours_end_default)
    renewal_grace_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)],
        default=14,
        help_text="A membership bought this many days after the end still counts as a renewal.",
    )
    # Lifecycle thresholds (PLAYBOOK.md defaults), per club.
    onboarding_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)], default=60
    )
    at_risk_days_without_visit = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)], default=14
    )
    expiring_within_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)], default=30
    )
    lost_after_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)], default=90
    )
    # Class booking rules.
    booking_opens_days_ahead = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)],
        default=14,
        help_text="Members may book a class this many days before it starts.",
    )
    booking_closes_minutes_before = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_DAY_IN_MINUTES)],
        default=15,
        help_text="Booking closes this many minutes before the class starts.",
    )
    late_cancel_minutes = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_DAY_IN_MINUTES)],
        default=120,
        help_text="A cancellation closer than this to the start is a late cancel.",
    )
    booking_penalties_enabled = models.BooleanField(
        default=False,
        help_text="When on, a late cancel or no-show blocks new bookings for the penalty days.",
    )
    booking_penalty_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(A_YEAR)], default=7
    )
    max_freeze_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(A_YEAR)],
        help_text="The longest freeze of a membership the desk may add, in days.",
    )

    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="clubs", blank=True)

    objects = ClubQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(quiet_hours_start=models.F("quiet_hours_end")),
                name="club_quiet_hours_not_empty_loop",
                violation_error_message="Quiet hours must start and end at different times.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_region(self) -> str:
        """The club's country (ISO 3166 code): as set, else read from its own phone number
        (which says where it is), else the deployment's default."""
        if self.country:
            return self.country
        if self.phone and self.phone.is_valid():
            return phonenumbers.region_code_for_number(self.phone)
        return settings.PHONENUMBER_DEFAULT_REGION

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start < end:
            return start <= local_time < end
        return local_time >= start or local_time < end


class Weekday(models.IntegerChoices):
    """The days of the week by the numbers of datetime.date.weekday(): opening hours and the
    class timetable."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """When a club is open on one weekday. A weekday without a row is closed; a club with no
    rows at all has not said, and is treated as always open (club.hours)."""

    # No index of its own: the unique (club, weekday) constraint leads with the club.
    club = ParentalKey(Club, on_delete=models.CASCADE, related_name="opening_hours", db_index=False)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="The same day: a club open past midnight closes at 23:59.")

    class Meta:
        ordering = ["club", "weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(
                fields=["club", "weekday"],
                name="club_opening_hours_one_per_weekday",
                violation_error_message="This weekday already has its opening hours.",
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="club_opening_hours_close_after_open",
                violation_error_message="Closing time must be after opening time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        # At the field, not as a form-wide error: the constraint above says it to the database.
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class Integration(models.Model):
    """A machine client of the REST API — a turnstile, the club website — with its own scopes.

    Only a SHA-256 of the token is stored; the token itself is shown once, when issued.
    """

    class Scope(models.TextChoices):
        CHECKIN = "checkin", "Check members in (turnstiles, card readers)"
        MEMBERS = "members", "Look up and create members (website, exports)"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="integrations")
    name = models.CharField(max_length=120)
    scopes = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=8, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["club", "name"]
        constraints = [
            # Staff tell a club's integrations apart by name. Revoked ones are left out: the
            # way to replace a leaked token is to revoke it and issue another of that name.
            models.UniqueConstraint(
                Lower("name"),
                "club",
                condition=models.Q(is_active=True),
                name="club_integration_one_active_name_per_club",
                violation_error_message="This club already has an active integration of that name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.club})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # A revoked token or a changed scope must not live on in the API's cache.
        self._forget_cached_copy()

    def delete(self, *args, **kwargs):
        self._forget_cached_copy()
        return super().delete(*args, **kwargs)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, club: Club, name: str, scopes: list[str]) -> tuple["Integration", str]:
        """Create an integration and return it with its token (the only time it is readable)."""
        unknown = set(scopes) - set(cls.Scope.values)
        if unknown:
            raise ValueError(f"Unknown scopes: {sorted(unknown)}")
        token = f"cc_{secrets.token_urlsafe(32)}"
        integration = cls.objects.create(
            club=club,
            name=name,
            scopes=sorted(scopes),
            token_hash=cls.hash_token(token),
            token_prefix=token[:8],
        )
        return integration, token

    @classmethod
    def name_clash(cls, club: Club, name: str) -> str | None:
        """Why `name` cannot be given to a new integration of `club`, or None if it can."""
        if cls.objects.filter(club=club, name__iexact=name, is_active=True).exists():
            return (
                f"{club} already has an active integration called “{name}”: say which device "
                "or site this one is, or revoke the other first."
            )
        return None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def revoke(self) -> None:
        """Stop the token working at once: save() drops the API's cached copy. For good: no
        screen turns it back on, since a revoked token may have leaked; issue a new one."""
        self.is_active = False
        self.save(update_fields=["is_active"])

    @staticmethod
    def cache_key(token_hash: str) -> str:
        """Where the API's token authentication (club/api.py) keeps this integration."""
        return f"api:integration:{token_hash}"

    def _forget_cached_copy(self) -> None:
        key = self.cache_key(self.token_hash)
        # After commit too: a request reading the row before the commit could cache it again.
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))


class StaffMemberManager(UserManager):
    def get_queryset(self):
        # Superusers are managed by superusers, in Wagtail's own Users screen.
        return super().get_queryset().filter(is_superuser=False)


class StaffMember(User):
    """A club's staff login as managers see it on the Staff screen: never a superuser.

    A proxy, so that the screen has permissions of its own (granted to the Manager role)
    while Wagtail's Users screen, which sees every login, stays with `auth.change_user`."""

    objects = StaffMemberManager()

    class Meta:
        proxy = True
        verbose_name = "staff member"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def name(self) -> str:
        return str(self)

    name.short_description = "Name"  # the Staff list's heading


class Heartbeat(models.Model):
    """The last time a piece of background work ran (club/background.py)."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
