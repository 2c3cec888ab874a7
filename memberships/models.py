"""A foreign key marked db_index=False is the first column of a composite index in its
model's Meta, which serves its lookups and cascades: a second index on it alone would only
be written on every insert."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, Min, OuterRef
from django.utils.formats import date_format

from club import clock
from club.display import format_price
from club.functions import month_day
from club.models import Club
from members.models import Member


class Plan(models.Model):
    """Something a club sells: a period of access, a pack of visits, or a trial."""

    class Kind(models.TextChoices):
        TIME = "time", "Time-based"
        PACK = "pack", "Visit pack"
        TRIAL = "trial", "Trial"

    club = models.ForeignKey(Club, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    duration_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text="How long the plan runs; a pack's visits expire at the end of it.",
    )
    visits_included = models.PositiveIntegerField(
        null=True, blank=True, help_text="Visit packs only: visits on the card."
    )
    auto_renew = models.BooleanField(
        default=False,
        help_text="Memberships sold of it renew by themselves, unpaid until paid at the desk; "
        "members may stop it for their own.",
    )
    allows_classes = models.BooleanField(default=True)
    valid_at_all_clubs = models.BooleanField(
        default=False, help_text="Off: members may check in only at the plan's own club."
    )
    stripe_price_id = models.CharField(
        "Stripe price ID",
        max_length=64,
        blank=True,
        help_text="Optional Stripe price (price_…) for online renewals. When set, Stripe charges "
        "that price's amount, which may differ from the price above; the portal then shows no "
        "amount until Stripe's payment page.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive plans are no longer sold.")

    class Meta:
        ordering = ["club", "price"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0),
                name="plan_price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_days__gt=0),
                name="plan_duration_positive",
                violation_error_message="A plan runs for at least one day.",
            ),
            models.CheckConstraint(
                # Spelled out: in SQL, NULL > 0 is unknown, which a CHECK lets through.
                condition=~models.Q(kind="pack")
                | models.Q(visits_included__isnull=False, visits_included__gt=0),
                name="plan_pack_has_visits",
                violation_error_message="A visit pack needs a number of visits.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pack(self) -> bool:
        return self.kind == self.Kind.PACK

    def price_text(self) -> str:
        """ "€49.00": the price in the club's currency. Expects the club loaded with it."""
        return format_price(self.price, self.club.currency)

    def choice_label(self, *, with_club: bool) -> str:
        """ "Monthly — Downtown — €49.00": two clubs' plans of one name, or one club's plans of
        one name at two prices, read apart in a dropdown. Expects the club loaded with it."""
        parts = [self.name, self.club.name] if with_club else [self.name]
        return " — ".join([*parts, self.price_text()])


def label_plan_choices(field, *, with_club: bool) -> None:
    """Label a form's plan dropdown with Plan.choice_label, loading the clubs in its query."""
    field.queryset = field.queryset.select_related("club")
    field.label_from_instance = lambda plan: plan.choice_label(with_club=with_club)


# A membership ending within this many days that nothing follows is a renewal due at the desk.
RENEWAL_DUE_DAYS = 7


class MembershipQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> "MembershipQuerySet":
        """Memberships whose dates cover the day and which were not cancelled."""
        return self.filter(start__lte=day, end__gte=day).exclude(status=Membership.Status.CANCELLED)

    def valid_at(self, club: Club) -> "MembershipQuerySet":
        """Memberships whose plan admits at `club`: the club's own plans and those valid at
        every club."""
        return self.filter(valid_at(club))

    def not_cancelled(self) -> "MembershipQuerySet":
        """Memberships that still count, whatever their dates: active and unpaid ones."""
        return self.exclude(status=Membership.Status.CANCELLED)

    def after(self, membership: "Membership") -> "MembershipQuerySet":
        """The member's other memberships that still count and start after `membership` ends,
        by start: those a freeze of it moves, linked by renewed_from or sold on their own."""
        return (
            self.filter(member_id=membership.member_id, start__gt=membership.end)
            .not_cancelled()
            .order_by("start", "pk")
        )

    def paid(self) -> "MembershipQuerySet":
        return self.exclude(plan__kind=Plan.Kind.TRIAL)

    def first_paid_start(self) -> dt.date | None:
        """When the first paid membership among these that was not cancelled started: the
        "member since" of staff screens. A trial is not membership yet, and neither is the
        day the record was made (a lead's first contact, or the import that brought in a
        member of long standing)."""
        return self.not_cancelled().paid().aggregate(since=Min("start"))["since"]

    def not_renewed(self) -> "MembershipQuerySet":
        """Memberships no later paid membership of the same member follows: neither a linked
        renewal nor one sold on its own."""
        later = (
            Membership.objects.filter(member=OuterRef("member"), start__gt=OuterRef("start"))
            .not_cancelled()
            .paid()
        )
        return self.exclude(Exists(later))

    def renewal_due(self, clubs) -> "MembershipQuerySet":
        """Paid memberships of the clubs' members ending from each club's today to a week later
        (RENEWAL_DUE_DAYS), not cancelled, that nothing follows: the desk's "ending within a
        week, not renewed", counted on the home page and listed under Memberships."""
        window = models.Q(pk__in=[])
        for club in clubs:
            day = clock.today(club)
            window |= models.Q(
                member__home_club=club,
                end__gte=day,
                end__lte=day + dt.timedelta(days=RENEWAL_DUE_DAYS),
            )
        return self.filter(window).not_cancelled().paid().not_renewed()

    def in_state_today(self, state: str, clubs) -> "MembershipQuerySet":
        """The clubs' members' memberships that read `state` today at their club, as
        Membership.state_on reads them: "active" and "past_due" (Unpaid) only while their
        dates cover the day, "upcoming", "ended", "cancelled"."""
        matching = models.Q(pk__in=[])
        for club in clubs:
            matching |= models.Q(member__home_club=club) & _state_on(state, clock.today(club))
        return self.filter(matching)

    def renewing_automatically(self) -> "MembershipQuerySet":
        """Memberships that will renew by themselves when they end (memberships.autorenew):
        auto-renew on, paid up (an unpaid one does not pile up a second debt), not a trial,
        of a plan still sold. Membership.renews_automatically says it of one."""
        return self.filter(_renews_automatically())

    def not_renewing_automatically(self) -> "MembershipQuerySet":
        """The others: those whose end is an end (the renewal offers and reminders)."""
        return self.exclude(_renews_automatically())

    def for_staff(self, user) -> "MembershipQuerySet":
        if user.is_superuser:
            return self
        return self.filter(member__home_club__staff=user)


def valid_at(club: Club) -> models.Q:
    """MembershipQuerySet.valid_at as a condition, for a query that ranks rather than filters."""
    return models.Q(plan__club=club) | models.Q(plan__valid_at_all_clubs=True)


def _renews_automatically() -> models.Q:
    return models.Q(
        auto_renew=True, status=Membership.Status.ACTIVE, plan__is_active=True
    ) & ~models.Q(plan__kind=Plan.Kind.TRIAL)


# What staff read as a membership's status (Membership.state_on), as filters.
STATES_TODAY = [
    ("active", "Active"),
    ("past_due", "Unpaid"),
    ("upcoming", "Upcoming"),
    ("ended", "Ended"),
    ("cancelled", "Cancelled"),
]


def _state_on(state: str, day: dt.date) -> models.Q:
    cancelled = models.Q(status="cancelled")
    if state == "cancelled":
        return cancelled
    if state == "ended":
        return ~cancelled & models.Q(end__lt=day)
    if state == "upcoming":
        return ~cancelled & models.Q(end__gte=day, start__gt=day)
    return models.Q(status=state, start__lte=day, end__gte=day)


class Membership(models.Model):
    """One purchase of a plan by a member, from start to end (both days included)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Unpaid"
        CANCELLED = "cancelled", "Cancelled"

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="memberships")
    start = models.DateField()
    end = models.DateField(help_text="Last day of access; freezes move it later.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    price_paid = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    visits_left = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Visit packs only: cached from the ledger, updated in the same transaction.",
    )
    renewed_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal"
    )
    auto_renew = models.BooleanField(
        default=False,
        help_text="Renews by itself when it ends; taken from the plan at sale, the member may "
        "stop it.",
    )
    created_at = models.DateTimeField()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        indexes = [
            models.Index(fields=["end", "status"]),
            # A member's memberships, latest end first. What the lifecycle stages read of each
            # (campaigns.lifecycle: status, plan, start, end) is carried in the index, so the
            # per-member subqueries of the stage refresh never visit the table.
            models.Index(
                fields=["member", "-end"],
                include=["status", "plan", "start"],
                name="membership_member_end",
            ),
            # Anniversaries of joining in the next days (campaigns.triggers).
            models.Index(month_day("start"), name="membership_start_month_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="membership_ends_after_start",
                violation_error_message="A membership cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(visits_left__isnull=True) | models.Q(visits_left__gte=0),
                name="membership_balance_not_negative",
                violation_error_message="Visits left cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(price_paid__gte=0),
                name="membership_price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.plan} for {self.member} ({date_format(self.start)} → {date_format(self.end)})"
        )

    def save(self, *args, **kwargs):
        if self.created_at is None:
            from club import clock

            self.created_at = clock.now()
        super().save(*args, **kwargs)

    def is_in_force(self, day: dt.date) -> bool:
        return self.start <= day <= self.end and self.status != self.Status.CANCELLED

    def days_left(self, day: dt.date) -> int:
        return (self.end - day).days

    def has_ended(self, day: dt.date) -> bool:
        return self.end < day

    @property
    def renews_automatically(self) -> bool:
        """MembershipQuerySet.renewing_automatically of this one. Expects the plan loaded."""
        return (
            self.auto_renew
            and self.status == self.Status.ACTIVE
            and self.plan.is_active
            and self.plan.kind != Plan.Kind.TRIAL
        )

    @property
    def may_renew_automatically(self) -> bool:
        """Whether auto-renew may be switched (back) on for it: its plan renews automatically
        and is still sold. A plan the club sells for one period only stays so."""
        return self.plan.auto_renew and self.plan.is_active and self.plan.kind != Plan.Kind.TRIAL

    def state_on(self, day: dt.date) -> str:
        """What staff read as its status on `day` (the club's today): "Ended" or "Upcoming"
        when its dates say so, else the stored status. Stored, a membership that ran out
        still reads "Active"; Cancelled stands whatever the dates."""
        if self.status == self.Status.CANCELLED:
            return self.get_status_display()
        if self.has_ended(day):
            return "Ended"
        if self.start > day:
            return "Upcoming"
        return self.get_status_display()

    def state_today(self) -> str:
        """state_on() the member's club's today. Expects member__home_club loaded with it."""
        return self.state_on(clock.today(self.member.home_club))


class Freeze(models.Model):
    """A pause of a membership: access stops and the end date moves by the freeze's length."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="freezes")
    start = models.DateField()
    end = models.DateField(help_text="Last frozen day.")
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="freeze_ends_after_start",
                violation_error_message="A freeze cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"Freeze {date_format(self.start)} → {date_format(self.end)}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class LedgerEntry(models.Model):
    """One change to a visit pack's balance. The rows add up to Membership.visits_left."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        VISIT = "visit", "Visit"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    visits = models.IntegerField(help_text="Change in visits: negative for a debit.")
    balance_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["membership", "-at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(visits=0), name="ledger_entry_not_zero"),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="ledger_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visits:+d} → {self.balance_after}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD_TERMINAL = "card_terminal", "Card terminal"
        STRIPE = "stripe", "Online (Stripe)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent_id = models.CharField(
        "Stripe payment intent ID", max_length=255, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["member", "-at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_not_negative"),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~models.Q(stripe_payment_intent_id=""),
                name="payment_unique_stripe_intent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


class StripeEventQuerySet(models.QuerySet):
    def unprocessed(self) -> "StripeEventQuerySet":
        return self.filter(processed_at__isnull=True)

    def in_state(self, state: str) -> "StripeEventQuerySet":
        """The events in one of StripeEvent.State (processed, ignored, failed, waiting)."""
        State = StripeEvent.State
        if state in (State.PROCESSED, State.IGNORED):
            return self.filter(outcome=state)
        if state == State.FAILED:
            return self.unprocessed().exclude(error="")
        if state == State.WAITING:
            return self.unprocessed().filter(error="")
        return self.none()


# Stripe's event types in words, for the back-office; others are shown as Stripe names them.
STRIPE_EVENT_TYPES = {
    "checkout.session.completed": "Online payment completed",
    "checkout.session.async_payment_succeeded": "Delayed online payment succeeded",
    "checkout.session.async_payment_failed": "Delayed online payment failed",
    "checkout.session.expired": "Payment page expired unpaid",
    "payment_intent.succeeded": "Payment succeeded",
    "payment_intent.payment_failed": "Payment attempt failed",
    "payment_intent.canceled": "Payment cancelled",
    "payment_intent.created": "Payment started",
    "charge.succeeded": "Card charged",
    "charge.failed": "Card charge failed",
    "charge.refunded": "Payment refunded",
    "charge.dispute.created": "Payment disputed by the card holder",
}


class StripeEvent(models.Model):
    """A verified Stripe webhook event, stored once by Stripe's event id before it is acted on
    (memberships/stripe/events.py): a repeat delivery finds it here and changes nothing."""

    class Outcome(models.TextChoices):
        # Blank until processed.
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"

    class State(models.TextChoices):
        """Where the event stands, as the back-office filters it (not stored as such)."""

        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"
        WAITING = "waiting", "Waiting to be processed"

    stripe_id = models.CharField("Stripe event ID", max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    # The member the event is about (its metadata names them, checkout.py), found when it is
    # received: the back-office scopes events to clubs through them. None for an event that is
    # not about one of our members.
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events"
    )
    received_at = models.DateTimeField("received")
    processed_at = models.DateTimeField("processed", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the last attempt to process it failed.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    note = models.CharField(
        max_length=255, blank=True, help_text="What processing did, or why it did nothing."
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
        help_text="The payment processing recorded.",
    )

    objects = StripeEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "online payment event"
        indexes = [
            # The sweep of events left unprocessed (a lost task, a failed attempt).
            models.Index(
                fields=["received_at"],
                condition=models.Q(processed_at__isnull=True),
                name="stripe_event_unprocessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_in_words()} {self.stripe_id}"

    def type_in_words(self) -> str:
        return STRIPE_EVENT_TYPES.get(self.type, self.type)

    @property
    def state(self) -> str:
        if self.outcome:
            return self.outcome
        return self.State.FAILED if self.error else self.State.WAITING

    def data(self) -> dict:
        """The Stripe object the event is about (a Checkout Session, a PaymentIntent); empty
        once erased."""
        data = (self.payload or {}).get("data") or {}
        found = data.get("object") if isinstance(data, dict) else None
        return found if isinstance(found, dict) else {}

    def amount(self) -> tuple[Decimal, str] | None:
        """The amount the event names and its currency, as Stripe gives it; the payment's once
        the payload is erased."""
        data = self.data()
        minor = data.get("amount_total", data.get("amount"))
        currency = str(data.get("currency") or "").upper()
        if isinstance(minor, int) and currency:
            # Here, not at the top: checkout imports this module.
            from memberships.stripe.checkout import from_minor_units

            return from_minor_units(minor, currency), currency
        if self.payment_id is not None:
            return self.payment.amount, self.payment.currency
        return None

    def stripe_details(self) -> list[tuple[str, str]]:
        """What the back-office shows of the payload: Stripe's ids, statuses and decline codes.
        Named one by one, never the payload as a whole: it also carries the card holder's name,
        email, address and card details, and a PaymentIntent's client secret."""
        data = self.data()
        kind = data.get("object")
        error = data.get("last_payment_error")
        error = error if isinstance(error, dict) else {}
        found = [
            ("Checkout Session", data.get("id") if kind == "checkout.session" else None),
            (
                "PaymentIntent",
                data.get("id") if kind == "payment_intent" else data.get("payment_intent"),
            ),
            ("Payment status at Stripe", data.get("payment_status") or data.get("status")),
            ("Decline code", error.get("decline_code") or error.get("code")),
            ("Stripe's message", error.get("message")),
        ]
        if isinstance(self.payload, dict) and self.payload.get("livemode") is False:
            found.append(("Mode", "Test (no real money)"))
        return [(label, str(value)) for label, value in found if value]

    def amount_text(self) -> str:
        amount = self.amount()
        return format_price(*amount) if amount else "—"

    def outcome_text(self, *, error_chars: int | None = None) -> str:
        """ "Processed: renewed.", "Ignored: …", "Failed (2 attempts): <error>", "Waiting …"."""
        state = self.state
        if state == self.State.FAILED:
            error = self.error
            if error_chars is not None and len(error) > error_chars:
                error = error[: error_chars - 1] + "…"
            tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
            return f"Failed ({tries}): {error}"
        label = self.State(state).label
        return f"{label}: {self.note}" if self.note else label
