"""A foreign key marked db_index=False is the first column of a composite index in its
model's Meta (or of a unique constraint), which serves its lookups and cascades: a second
index on it alone would only be written on every insert."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from checkin.models import Visit
from club import clock
from club.models import Club
from members.models import Member
from memberships.models import Membership, Plan


class StageChange(models.Model):
    """One move of a member from one lifecycle stage to another: analytics reads time in stage."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="stage_changes", db_index=False
    )
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_stage = models.CharField(max_length=12, choices=Member.Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Member.Stage.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "-at"]),
            models.Index(fields=["club", "to_stage", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_stage or '—'} → {self.to_stage}"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    TASK = "task", "Staff task"


class Rule(models.Model):
    """One line of the lifecycle playbook, edited by marketing: when a trigger fires for a
    member who meets the conditions, send this message on this channel."""

    number = models.PositiveSmallIntegerField(
        unique=True,
        validators=[MinValueValidator(1)],
        help_text="How staff refer to the rule: “rule 14”.",
    )
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=60, help_text="A trigger kind from campaigns.triggers.")
    params = models.JSONField(default=dict, blank=True, help_text="The trigger's parameters.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    template = models.TextField(
        help_text="Message text; {{ first_name }}, {{ last_name }}, {{ club }}, {{ club_phone }}, "
        "{{ site_url }} and the trigger's own fields are filled in."
    )
    stages = models.JSONField(
        default=list, blank=True, help_text="Only members in these stages (empty: any)."
    )
    plan_kinds = models.JSONField(
        default=list, blank=True, help_text="Only for these plan kinds (empty: any)."
    )
    clubs = models.ManyToManyField(
        Club, blank=True, related_name="rules", help_text="Only at these clubs (empty: all)."
    )
    priority = models.PositiveSmallIntegerField(
        default=50, help_text="When the frequency cap bites, the higher priority is sent."
    )
    is_marketing = models.BooleanField(
        default=True, help_text="Off for transactional messages: exempt from the frequency cap."
    )
    holdout_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Share of members held out as a control group, never sent."
    )
    is_active = models.BooleanField(default=True)
    planned_as = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of the rule its touchpoints not sent yet were written under "
        "(campaigns.rules); blank until first seen.",
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holdout_percent__lte=100),
                name="rule_holdout_is_a_percentage",
                violation_error_message="The holdout is a percentage: at most 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Segment(models.Model):
    """A saved, named set of members, defined by criteria marketing ticks in a form (not a
    query typed by hand). Who is in it is worked out when asked (`members`), so a campaign
    sent next week reaches those who match next week."""

    class Consent(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    name = models.CharField(max_length=120)
    clubs = models.ManyToManyField(
        Club, related_name="segments", help_text="Members whose home club is one of these."
    )
    stages = models.JSONField(
        default=list, blank=True, help_text="Only members in these lifecycle stages (empty: any)."
    )
    statuses = models.JSONField(
        default=list, blank=True, help_text="Only members with these statuses (empty: any)."
    )
    plan_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Only members holding a membership in force of these kinds (empty: any).",
    )
    min_days_since_visit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="No visit in the last N days (never visited counts)."
    )
    max_days_since_visit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A visit within the last N days."
    )
    ends_within_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A paid membership, not renewed, that ends within N days from today.",
    )
    consent = models.CharField(
        max_length=10,
        choices=Consent.choices,
        blank=True,
        help_text="Only members who agreed to this channel and have an address for it.",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def members(
        self, *, clubs: Iterable[Club] | None = None, now: dt.datetime | None = None
    ) -> models.QuerySet[Member]:
        """The members who match now, as one query: at the segment's clubs (narrowed to
        `clubs`, the user's, when given), each club's criteria read on its own calendar.
        Erased members are never in a segment."""
        now = now or clock.now()
        chosen = list(self.clubs.all())
        if clubs is not None:
            allowed = {club.pk for club in clubs}
            chosen = [club for club in chosen if club.pk in allowed]
        matching = Q(pk__in=[])
        for club in chosen:
            matching |= Q(home_club=club) & self._on_calendar_of(club, now)
        members = Member.objects.not_erased().filter(matching)
        if self.stages:
            members = members.filter(stage__in=self.stages)
        if self.statuses:
            members = members.filter(status__in=self.statuses)
        if self.consent:
            members = members.filter(reachable_by(self.consent))
        return members

    def _on_calendar_of(self, club: Club, now: dt.datetime) -> Q:
        """The criteria that count days, for the members of one club: its today, its midnight."""
        today = now.astimezone(clock.zone(club)).date()
        criteria = Q()
        if self.plan_kinds:
            holding = Membership.objects.in_force_on(today).filter(
                member=OuterRef("pk"), plan__kind__in=self.plan_kinds
            )
            criteria &= Exists(holding)
        if self.min_days_since_visit is not None:
            # The last visit was N or more local days ago: none since the day after that.
            since = clock.start_of_day(
                today - dt.timedelta(days=self.min_days_since_visit - 1), club
            )
            criteria &= ~Exists(Visit.objects.filter(member=OuterRef("pk"), at__gte=since))
        if self.max_days_since_visit is not None:
            since = clock.start_of_day(today - dt.timedelta(days=self.max_days_since_visit), club)
            criteria &= Exists(Visit.objects.filter(member=OuterRef("pk"), at__gte=since))
        if self.ends_within_days is not None:
            # As the desk's "ending within a week, not renewed": a renewal bought is not ending.
            ending = (
                Membership.objects.paid()
                .not_cancelled()
                .not_renewed()
                .filter(
                    member=OuterRef("pk"),
                    end__gte=today,
                    end__lte=today + dt.timedelta(days=self.ends_within_days),
                )
            )
            criteria &= Exists(ending)
        return criteria

    def criteria(self) -> list[str]:
        """The criteria in words, for lists and the campaign's page."""
        words = []
        labels = [
            (self.stages, Member.Stage, "stage"),
            (self.statuses, Member.Status, "status"),
            (self.plan_kinds, Plan.Kind, "holding"),
        ]
        for chosen, choices, name in labels:
            if chosen:
                shown = ", ".join(str(choices(value).label).lower() for value in chosen)
                words.append(f"{name}: {shown}")
        if self.min_days_since_visit is not None:
            words.append(f"no visit in {self.min_days_since_visit}+ days")
        if self.max_days_since_visit is not None:
            words.append(f"a visit in the last {self.max_days_since_visit} days")
        if self.ends_within_days is not None:
            words.append(f"membership ends within {self.ends_within_days} days")
        if self.consent:
            words.append(f"{self.get_consent_display()} consent")
        return words or ["every member"]

    def reach(self, *, clubs: Iterable[Club] | None = None) -> dict[str, int]:
        """How many members match now, and how many of them SMS and email can reach: one
        aggregate query."""
        return self.members(clubs=clubs).aggregate(
            total=Count("pk"),
            sms=Count("pk", filter=reachable_by(Channel.SMS)),
            email=Count("pk", filter=reachable_by(Channel.EMAIL)),
        )


def reachable_by(channel: str) -> Q:
    """Members a message on `channel` may reach: consent and an address (as
    evaluator.has_channel_consent asks of one member)."""
    if channel == Channel.SMS:
        return Q(sms_consent=True) & ~Q(phone="")
    return Q(email_consent=True) & ~Q(email="")


class Campaign(models.Model):
    """A send to a segment, on SMS or email, at a day and time that is local to each club, in
    up to three variants (A/B/C), with a share held out to measure it by: once, or repeated
    weekly or monthly from its first day (`send_on`), optionally until a last day.

    Draft → scheduled → sent (its last run launched: its members are in the outbox) or
    cancelled (before any run). A repeating campaign stays scheduled between runs
    (`next_run_on`), and may be paused (resumed later, missed runs skipped) or stopped.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"

    class Repeat(models.TextChoices):
        ONCE = "once", "Once"
        WEEKLY = "weekly", "Every week, on the first day's weekday"
        MONTHLY = "monthly", "Every month, on the first day's day of the month"

    # Campaigns are marketing: the frequency cap counts them, and an email carries the
    # unsubscribe link. Within a dispatcher batch a lifecycle rule's message (priority 0 to
    # 100) goes before a campaign's: it answers something the member did or will face.
    is_marketing = True
    priority = -1

    name = models.CharField(max_length=120)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="campaigns")
    channel = models.CharField(
        max_length=10, choices=[(Channel.SMS, "SMS"), (Channel.EMAIL, "Email")]
    )
    send_on = models.DateField(
        help_text="The day it goes (first goes, if it repeats), at each club."
    )
    send_time = models.TimeField(
        default=dt.time(10, 0), help_text="The time it goes, in each club's own time zone."
    )
    repeat = models.CharField(max_length=10, choices=Repeat.choices, default=Repeat.ONCE)
    repeat_until = models.DateField(
        null=True, blank=True, help_text="The last day a run may go (empty: until stopped)."
    )
    next_run_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The day of the next run to launch; empty once there is none.",
    )
    holdout_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Share of members held out as a control group, never sent."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    launched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its (latest) run was launched."
    )

    class Meta:
        ordering = ["-send_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=100),
                name="campaign_holdout_is_a_percentage",
                violation_error_message="The holdout is a percentage: at most 100.",
            ),
            models.CheckConstraint(
                condition=Q(repeat_until__isnull=True)
                | Q(repeat_until__gte=models.F("send_on"), repeat__in=["weekly", "monthly"]),
                name="campaign_repeats_until_after_its_first_day",
                violation_error_message="Only a repeating campaign has a last day, and it comes "
                "on or after the first.",
            ),
        ]
        indexes = [models.Index(fields=["status", "send_on"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Until a run is launched, the next run is the first day, however often it is edited.
        if not self.launched_at and self.status in (self.Status.DRAFT, self.Status.SCHEDULED):
            self.next_run_on = self.send_on
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "next_run_on"}
        super().save(*args, **kwargs)

    @property
    def params(self) -> dict:
        """A rule's parameters, none here: the quiet hours move a campaign message to their
        end (evaluator.send_time), and the dispatcher drops it a day past its time."""
        return {}

    @property
    def repeats(self) -> bool:
        return self.repeat != self.Repeat.ONCE

    @property
    def is_editable(self) -> bool:
        """A draft, or scheduled with no run launched yet: nothing of it is in the outbox."""
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED) and not self.launched_at

    def send_at(self, club: Club | None, run_on: dt.date | None = None) -> dt.datetime:
        """When it goes at `club`: the (run's) day and time there."""
        return clock.local_datetime(run_on or self.send_on, self.send_time, club)

    def run_day(self, n: int) -> dt.date | None:
        """The day of run `n` (0: the first day), or None past the last one. Monthly runs keep
        the first day's day of the month; a month without it (the 31st in April) runs on its
        last day, and the month after is back on the 31st."""
        if n < 0 or (n > 0 and not self.repeats):
            return None
        if self.repeat == self.Repeat.WEEKLY:
            day = self.send_on + dt.timedelta(weeks=n)
        elif self.repeat == self.Repeat.MONTHLY:
            months = self.send_on.year * 12 + self.send_on.month - 1 + n
            year, month = divmod(months, 12)
            last = calendar.monthrange(year, month + 1)[1]
            day = dt.date(year, month + 1, min(self.send_on.day, last))
        else:
            day = self.send_on
        if self.repeat_until and day > self.repeat_until:
            return None
        return day

    def run_after(self, day: dt.date) -> dt.date | None:
        """The first run on a day after `day`, or None when there is none left."""
        if not self.repeats:
            return self.send_on if self.send_on > day else None
        if self.repeat == self.Repeat.WEEKLY:
            n = max(0, (day - self.send_on).days // 7)
        else:
            n = max(0, (day.year - self.send_on.year) * 12 + day.month - self.send_on.month)
        while (run := self.run_day(n)) is not None and run <= day:
            n += 1
        return run

    @property
    def key(self) -> str:
        """The outbox's occurrence key of a one-off campaign: one row per (campaign, member)."""
        return f"campaign:{self.pk}"

    def run_key(self, run_on: dt.date) -> str:
        """The outbox's occurrence key of a run: one row per (campaign, member, run). A one-off
        keeps the key it always had (`key`), so rows written before runs existed still hold."""
        return f"{self.key}:{run_on:%Y-%m-%d}" if self.repeats else self.key

    def run_of(self, occurrence_key: str) -> dt.date:
        """The run day an occurrence key names (`run_key` read back)."""
        _, _, day = occurrence_key.partition(f"{self.key}:")
        return dt.date.fromisoformat(day) if day else self.send_on

    def schedule_words(self) -> str:
        """ "Every Monday at 10:00, until 31 Jan 2027", "Once, on Tue 24 Nov 2026 at 10:00"."""
        at = f"at {self.send_time:%H:%M}"
        if self.repeat == self.Repeat.WEEKLY:
            words = f"Every {self.send_on:%A} {at}, from {_day_words(self.send_on)}"
        elif self.repeat == self.Repeat.MONTHLY:
            day = self.send_on.day
            last = " (a shorter month's last day)" if day > 28 else ""
            words = f"On the {ordinal(day)} of every month{last} {at}"
            words += f", from {_day_words(self.send_on)}"
        else:
            return f"Once, on {self.send_on:%a %-d %b %Y} {at}"
        if self.repeat_until:
            words += f", until {_day_words(self.repeat_until)}"
        return words


def _day_words(day: dt.date) -> str:
    """ "31 Jan", with the year when it is not this year's."""
    return f"{day:%-d %b}" if day.year == clock.today().year else f"{day:%-d %b %Y}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd, 23rd … 31st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class CampaignVariant(models.Model):
    """One version of a campaign's message; each member gets one, by a stable hash."""

    LABELS = ("A", "B", "C")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="variants", db_index=False
    )
    label = models.CharField(max_length=1)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    template = models.TextField()

    class Meta:
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="campaign_variant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} ({self.label})"


class CampaignRun(models.Model):
    """A run of a campaign as its launch left it: put in the outbox for `members` members (0
    when its segment matched no one at send time), or skipped because its successor was due
    too (the sender was down). Its outbox rows say the rest; this row is what is left of a
    run that wrote none, so the results list it too."""

    class Outcome(models.TextChoices):
        LAUNCHED = "launched", "Launched"
        MISSED = "missed", "Missed"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    run_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    members = models.PositiveIntegerField(default=0, help_text="Outbox rows written, every club.")
    at = models.DateTimeField(help_text="When the launch decided it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "run_on"], name="campaign_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} run of {self.run_on}"


class Touchpoint(models.Model):
    """The outbox: one message (or staff task) for one member for one occurrence of a rule,
    or for one run of a campaign (a send to a segment).

    The unique keys (rule, member, occurrence) and (campaign, member, occurrence: the run)
    make every evaluation and every launch safe to repeat.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"
        CANCELLED = "cancelled", "Cancelled"
        # Held out at insert (the rule's or campaign's holdout hash) and waiting for its send
        # time, where the dispatcher decides it as it decides a scheduled row: still true and
        # sendable, it becomes HELD_OUT, the control member who would have been sent;
        # otherwise cancelled or suppressed like its sent twin.
        HOLDING = "holding", "Held out, not due yet"
        HELD_OUT = "held_out", "Held out"

    class Reason(models.TextChoices):
        NO_CONSENT = "no_consent", "No consent"
        FREQUENCY_CAP = "frequency_cap", "Frequency cap"
        QUIET_HOURS_OVERFLOW = "quiet_hours_overflow", "Quiet hours overflow"
        INVALID_NUMBER = "invalid_number", "Invalid number"
        OPTED_OUT = "opted_out", "Opted out"
        OBSOLETE = "obsolete", "No longer true"
        TEMPLATE_ERROR = "template_error", "Template error"
        CAMPAIGN_STOPPED = "campaign_stopped", "Campaign stopped"
        RULE_OFF = "rule_off", "Rule switched off"
        TOO_LATE = "too_late", "Too late: the class starts before the quiet hours end"
        # The text came out empty for this member (a false {% if %}, a comment only): a
        # blank SMS or email, or a staff task with no title, is never sent: nothing to send.
        EMPTY_MESSAGE = "empty_message", "Empty message"
        # An SMS body over sms.MAX_LENGTH characters, which Twilio refuses (21617).
        TOO_LONG = "too_long", "Too long for an SMS (over 1,600 characters)"

    rule = models.ForeignKey(
        Rule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="touchpoints",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="touchpoints",
        db_index=False,
    )
    # A default in the database too: the demo's COPY of rules' rows names no variant.
    variant = models.CharField(
        max_length=1, blank=True, default="", db_default="", help_text="A campaign's variant."
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+")
    occurrence_key = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    reason = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    due_at = models.DateTimeField(help_text="When the trigger asked for it.")
    send_at = models.DateTimeField(help_text="When it may go: due time moved out of quiet hours.")
    deadline = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it is no longer worth sending (the class it is about starts).",
    )
    explanation = models.CharField(max_length=300, help_text="Why it fired, in plain words.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_id = models.CharField("provider ID", max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a dispatcher took it to send (status sending)."
    )
    send_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last started the provider call."
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-send_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "member", "occurrence_key"], name="touchpoint_once_per_occurrence"
            ),
            # Partial: rule rows (campaign null) write no entry in it. It also serves the
            # lookups of a campaign's rows. The occurrence is the run (`Campaign.run_key`).
            models.UniqueConstraint(
                fields=["campaign", "member", "occurrence_key"],
                condition=Q(campaign__isnull=False),
                name="touchpoint_once_per_campaign_run",
            ),
            models.CheckConstraint(
                condition=Q(rule__isnull=False, campaign__isnull=True)
                | Q(rule__isnull=True, campaign__isnull=False),
                name="touchpoint_of_a_rule_or_a_campaign",
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=models.Q(status__in=["scheduled", "holding"]),
                name="touchpoint_due",
            ),
            models.Index(fields=["member", "-send_at"]),
            models.Index(fields=["rule", "status"]),
            models.Index(fields=["provider_id"]),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="touchpoint_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.member} ({self.get_status_display()})"

    @property
    def sender(self) -> Rule | Campaign:
        """What wrote it: its rule, or its campaign. Both have a channel, `params`,
        `is_marketing` and `priority`, which the dispatcher reads."""
        return self.rule if self.rule_id else self.campaign

    @property
    def is_marketing(self) -> bool:
        return self.sender.is_marketing

    @property
    def source_label(self) -> str:
        """ "rule 14" or "campaign “Spring offer” (B)": where staff find what sent it."""
        if self.rule_id:
            return f"rule {self.rule.number}"
        return f"campaign “{self.campaign.name}” ({self.variant})"


class EarlyStatus(models.Model):
    """A provider status callback that came before its message's provider id was stored.

    The dispatcher records ids in groups after the provider's answer, and Twilio can call
    back sooner; the callback waits here and is applied when the id is recorded
    (`delivery.apply_early_statuses`). One that never finds its message (sent by another
    system on the same account) is forgotten after a day.
    """

    provider_id = models.CharField("provider ID", max_length=64)
    status = models.CharField(max_length=20, help_text="The provider's status word.")
    error_code = models.CharField(max_length=10, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            # A repeated callback is kept once.
            models.UniqueConstraint(fields=["provider_id", "status"], name="early_status_once"),
        ]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.status}"
