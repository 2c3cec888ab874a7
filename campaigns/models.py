"""A foreign key marked db_index=False is the first column of a composite index in its
model's Meta (or of a unique constraint), which serves its lookups and cascades: a second
index on it alone would only be written on every insert."""

from django.db import models

from club.models import Club
from members.models import Member


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
        unique=True, help_text="How staff refer to the rule: “rule 14”."
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

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holdout_percent__lte=100), name="rule_holdout_is_a_percentage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Touchpoint(models.Model):
    """The outbox: one message (or staff task) for one member for one occurrence of a rule.

    The unique key (rule, member, occurrence) makes every evaluation safe to repeat.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"
        CANCELLED = "cancelled", "Cancelled"
        HELD_OUT = "held_out", "Held out"

    class Reason(models.TextChoices):
        NO_CONSENT = "no_consent", "No consent"
        FREQUENCY_CAP = "frequency_cap", "Frequency cap"
        QUIET_HOURS_OVERFLOW = "quiet_hours_overflow", "Quiet hours overflow"
        INVALID_NUMBER = "invalid_number", "Invalid number"
        OPTED_OUT = "opted_out", "Opted out"
        OBSOLETE = "obsolete", "No longer true"
        TEMPLATE_ERROR = "template_error", "Template error"

    rule = models.ForeignKey(
        Rule, on_delete=models.PROTECT, related_name="touchpoints", db_index=False
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
    explanation = models.CharField(max_length=300, help_text="Why it fired, in plain words.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
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
        ]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="scheduled"),
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
        return f"{self.rule} → {self.member} ({self.get_status_display()})"


class EarlyStatus(models.Model):
    """A provider status callback that came before its message's provider id was stored.

    The dispatcher records ids in groups after the provider's answer, and Twilio can call
    back sooner; the callback waits here and is applied when the id is recorded
    (`delivery.apply_early_statuses`). One that never finds its message (sent by another
    system on the same account) is forgotten after a day.
    """

    provider_id = models.CharField(max_length=64)
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
