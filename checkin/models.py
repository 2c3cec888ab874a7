"""A foreign key marked db_index=False is the first column of a composite index in its
model's Meta (or of a unique constraint), which serves its lookups and cascades: a second
index on it alone would only be written on every insert."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from club.models import Club, Weekday
from members.models import Member
from memberships.models import LedgerEntry, Membership, Plan

# A class larger than this is a typo, not a room.
MAX_CAPACITY = 1000


class Source(models.TextChoices):
    DESK = "desk", "Front desk"
    TURNSTILE = "turnstile", "Turnstile"
    PORTAL = "portal", "Member portal"
    API = "api", "API"
    IMPORT = "import", "Import"


class Visit(models.Model):
    """An admitted check-in."""

    # No index of its own: (member, -at) below serves lookups by member, and with a plain
    # one beside it PostgreSQL picked the narrower index for time ranges and read every visit.
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="visits", db_index=False
    )
    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="visits", db_index=False)
    at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=Source.choices)
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "-at"]),
            models.Index(fields=["club", "-at"]),
            # Visits in a time range, whatever the club: lifecycle stages and triggers. The
            # member is carried in the index so "who came in then" never reads the table.
            models.Index(fields=["at"], include=["member"], name="checkin_visit_at_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(override_by__isnull=True) | ~models.Q(override_reason=""),
                name="visit_override_has_reason",
                violation_error_message="An override needs a reason.",
            ),
        ]

    def __str__(self) -> str:
        # Local time, as the screens show it (storage is UTC); no query, unlike the club's zone.
        return f"{self.member} at {timezone.localtime(self.at):%-d %b %Y, %H:%M}"


class CheckInAttempt(models.Model):
    """A denied check-in, with the reason the member was turned away."""

    class Reason(models.TextChoices):
        NO_MEMBERSHIP = "no_membership", "No membership"
        EXPIRED = "expired", "Membership expired"
        NOT_STARTED = "not_started", "Membership not started yet"
        FROZEN = "frozen", "Membership frozen"
        NO_VISITS_LEFT = "no_visits_left", "No visits left"
        UNPAID = "unpaid", "Unpaid"
        WRONG_CLUB = "wrong_club", "Plan not valid at this club"

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="check_in_attempts", db_index=False
    )
    club = models.ForeignKey(
        Club, on_delete=models.PROTECT, related_name="check_in_attempts", db_index=False
    )
    at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=Source.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # The back-office's words: the menu says "Denied check-ins", and so do its pages.
        verbose_name = "denied check-in"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "-at"]), models.Index(fields=["club", "-at"])]

    def __str__(self) -> str:
        return f"{self.member} denied: {self.get_reason_display()}"

    @property
    def verdict(self) -> str:
        """The reason in the desk's words: a lead's free week that ran out is "Free trial
        ended", a sale to make, not a membership to renew. Reads `membership` and its plan
        (select them with the attempt in lists)."""
        ended_trial = (
            self.reason == self.Reason.EXPIRED
            and self.membership_id is not None
            and self.membership.plan.kind == Plan.Kind.TRIAL
        )
        return "Free trial ended" if ended_trial else self.get_reason_display()


class ClassType(models.Model):
    club = models.ForeignKey(
        Club, on_delete=models.CASCADE, related_name="class_types", db_index=False
    )
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    interests = models.JSONField(default=list, blank=True, help_text="Member interests it matches.")
    trial_eligible = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["club", "name"], name="class_type_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ClassTemplate(models.Model):
    """A weekly slot of the timetable ("Spin, Mondays 07:00, Studio 2, Tom"), from which
    sessions are generated ahead."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="class_templates")
    class_type = models.ForeignKey(ClassType, on_delete=models.PROTECT, related_name="templates")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="class_templates",
    )
    room = models.CharField(max_length=60, blank=True)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Local time at the club.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "timetable slot"
        verbose_name_plural = "timetable slots"
        ordering = ["club", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0),
                name="class_template_has_duration",
                violation_error_message="A class lasts at least one minute.",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="class_template_ends_after_start",
                violation_error_message="A timetable slot cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.class_type} {self.get_weekday_display()} {self.start_time:%H:%M}"


class ClassSessionQuerySet(models.QuerySet):
    def on_day(self, start, end) -> "ClassSessionQuerySet":
        return self.filter(start__gte=start, start__lt=end)


class ClassSession(models.Model):
    club = models.ForeignKey(
        Club, on_delete=models.CASCADE, related_name="class_sessions", db_index=False
    )
    template = models.ForeignKey(
        ClassTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # The slot's day this class is for (the club's date of its generated start). A class
    # moved by hand, or kept at its old time with bookings when the slot moved, is still
    # that day's class, so generation does not put a second one beside it.
    occurs_on = models.DateField(null=True, blank=True, editable=False)
    class_type = models.ForeignKey(ClassType, on_delete=models.PROTECT, related_name="sessions")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="class_sessions",
        db_index=False,
    )
    room = models.CharField(max_length=60, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    is_cancelled = models.BooleanField(default=False)

    objects = ClassSessionQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["club", "start"]),
            models.Index(fields=["trainer", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="class_session_ends_after_start",
                violation_error_message="A class must end after it starts.",
            ),
            # One class per slot and day: generating the timetable twice creates nothing
            # new, nor does a slot moved to another time beside a class that kept the old one.
            models.UniqueConstraint(
                fields=["template", "occurs_on"],
                condition=models.Q(template__isnull=False, occurs_on__isnull=False),
                name="class_session_once_per_slot_day",
            ),
        ]

    def __str__(self) -> str:
        # Local time, as the screens show it (storage is UTC); no query, unlike the club's zone.
        return f"{self.class_type} {timezone.localtime(self.start):%a %-d %b %Y, %H:%M}"


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        WAITLISTED = "waitlisted", "Waitlisted"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"

    ACTIVE_STATUSES = (Status.BOOKED, Status.WAITLISTED, Status.ATTENDED, Status.NO_SHOW)

    session = models.ForeignKey(
        ClassSession, on_delete=models.CASCADE, related_name="bookings", db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="bookings", db_index=False
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    is_trial = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    is_late_cancel = models.BooleanField(default=False)
    promoted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the member moved up from the waitlist."
    )
    attended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "created_at"]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["session", "status"]),
            # Who booked a trial in the sessions since a day (the lifecycle's trial stage):
            # read from the index for those sessions, not from every booking there is.
            models.Index(
                fields=["session"],
                include=["member", "status"],
                condition=models.Q(is_trial=True),
                name="booking_trial_session",
            ),
        ]
        constraints = [
            # One live booking per member per session; cancelled ones may pile up.
            models.UniqueConstraint(
                fields=["session", "member"],
                condition=~models.Q(status="cancelled"),
                name="booking_one_live_per_member",
            ),
            models.CheckConstraint(
                condition=models.Q(status="waitlisted", waitlist_position__isnull=False)
                | (~models.Q(status="waitlisted") & models.Q(waitlist_position__isnull=True)),
                name="booking_waitlist_position_iff_waitlisted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.session} ({self.get_status_display()})"
