import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Amsterdam).")


class ClubQuerySet(models.QuerySet):
    def for_staff(self, user) -> "ClubQuerySet":
        """The clubs a staff member works at; superusers see every club."""
        if user.is_superuser:
            return self
        return self.filter(staff=user)


class Club(models.Model):
    """One location of a fitness club chain, with its local settings."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(
        max_length=64, default=settings.DEFAULT_CLUB_TIME_ZONE, validators=[validate_time_zone]
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    address = models.TextField(blank=True, help_text="Postal address, also printed in emails.")
    phone = PhoneNumberField(blank=True)
    email_sender = models.EmailField(blank=True, help_text="From address for member emails.")
    sms_sender = models.CharField(
        max_length=20, blank=True, help_text="Twilio number in E.164 or an alphanumeric sender id."
    )
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(9, 0))
    renewal_grace_days = models.PositiveSmallIntegerField(
        default=14, help_text="A membership bought this many days after the end still counts as a renewal."
    )
    # Lifecycle thresholds (PLAYBOOK.md defaults), per club.
    onboarding_days = models.PositiveSmallIntegerField(default=60)
    at_risk_days_without_visit = models.PositiveSmallIntegerField(default=14)
    expiring_within_days = models.PositiveSmallIntegerField(default=30)
    lost_after_days = models.PositiveSmallIntegerField(default=90)

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

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start < end:
            return start <= local_time < end
        return local_time >= start or local_time < end
