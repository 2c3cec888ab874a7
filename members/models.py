"""A foreign key marked db_index=False is the first column of a composite index in its
model's Meta, which serves its lookups and cascades: a second index on it alone would only
be written on every insert."""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.db.models.lookups import StartsWith
from django.utils import timezone
from django.utils.formats import date_format
from phonenumber_field.modelfields import PhoneNumberField

from club import clock, roles
from club.display import FULL_DATE
from club.functions import month_day
from club.models import Club
from members import photos, search


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


# The phone digits that tell two members of one name apart in results: enough to ask "ending
# in 678?", too few to call the number.
PHONE_TAIL = 3

# A query this long, of the characters an address starts with, also matches email starts.
EMAIL_PREFIX_MIN = 4
_EMAIL_START = re.compile(r"[\w.+@-]+")


# Columns whose change is no change of the member's record: `updated_at` stays, so an export
# (`GET /api/v1/members?updated_since=`) does not send the row again. The lifecycle stage is a
# cache the evaluator rewrites for thousands of members every few minutes and the API does not
# show; the portal login, the calendar token and the Stripe Customer are keys other features
# keep, not facts about the person. Everything else counts, written by save() or not.
BOOKKEEPING_FIELDS = frozenset(
    {"stage", "stage_since", "user", "user_id", "calendar_token", "stripe_customer_id"}
)

# A change is exported once it is this old. `updated_at` is stamped when the row is written,
# not when its transaction commits: a page read between the two would pass it by, and the
# next page, following on from the last row read, would never see it. Our longest writes to
# members (an import of MAX_ROWS rows, a status refresh) commit in seconds.
CHANGE_SETTLE = dt.timedelta(minutes=1)


def counts_as_change(fields) -> bool:
    return not set(fields) <= BOOKKEEPING_FIELDS


class MemberQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # auto_now moves `updated_at` in save() alone; a change made in one UPDATE (a status
        # refresh, consent for everyone with one phone, an erasure) must move it as well.
        if "updated_at" not in kwargs and counts_as_change(kwargs):
            kwargs["updated_at"] = clock.now()
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        if "updated_at" not in fields and counts_as_change(fields):
            objs = list(objs)
            now = clock.now()
            for member in objs:
                member.updated_at = now
            fields.append("updated_at")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def changed_since(self, since: dt.datetime, *, after_id: int | None = None) -> "MemberQuerySet":
        """Members whose record changed at or after `since` (past member `after_id` at exactly
        `since`: where the previous page ended), up to CHANGE_SETTLE ago, in the order an
        export pages through them: (updated_at, id). Erased members are included: an export
        must learn of the erasure."""
        members = self.filter(updated_at__gte=since, updated_at__lte=clock.now() - CHANGE_SETTLE)
        if after_id is not None:
            # The plain bound above lets the (home_club, updated_at, id) index start at `since`;
            # this skips the rows of that instant already sent.
            members = members.exclude(updated_at=since, id__lte=after_id)
        return members.order_by("updated_at", "id")

    def not_erased(self) -> "MemberQuerySet":
        """Members whose personal data has not been erased (members.erasure): an erased member
        is kept for the figures and is found by no search or list."""
        return self.filter(erased_at__isnull=True)

    def search(
        self, query: str, *, region: str | None = None, contacts: bool = True
    ) -> "MemberQuerySet":
        """Members matching what the front desk typed or scanned: a card token, a phone in any
        common format (national numbers read as `region`'s, the club's country) or four or
        more of its digits, an email, or any part of the name (accents, case, punctuation and
        spaces ignored).
        Erased members are never found. Without `contacts` (staff who may not see them:
        roles.SEES_CONTACTS) only the name and the card are searched."""
        # No stored value holds a NUL (PostgreSQL text cannot), and sending one is an error.
        query = query.replace("\x00", "").strip()
        if not query:
            return self.none()
        matches = models.Q(card_token=search.card_token(query))
        if contacts and (phone := search.as_phone(query, region)):
            matches |= models.Q(phone=phone)
        for digits in search.phone_fragments(query) if contacts else ():
            # "0835", or a number from another country in its own national format: on
            # PostgreSQL the member_phone_trgm index answers it (migration 0003).
            matches |= models.Q(phone__contains=digits)
        if contacts and len(query) >= EMAIL_PREFIX_MIN and _EMAIL_START.fullmatch(query):
            # An address, or its start as people spell it out at the desk ("jonas.bakker7"):
            # on PostgreSQL the member_email_prefix index answers it (migration 0015); `istartswith`
            # would compile to UPPER(email) and scan every member.
            matches |= models.Q(StartsWith(Lower("email"), query.lower()))
        words = search.name_word_spellings(query)
        if words:
            name_match = models.Q()
            for word in words:
                name_match &= _name_contains(word)
            matches |= name_match
        return self.not_erased().filter(matches)

    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(); fill in what save() derives (a generator is read once).
        objs = list(objs)
        for member in objs:
            member.set_derived_fields()
        return super().bulk_create(objs, *args, **kwargs)

    def at_clubs(self, clubs) -> "MemberQuerySet":
        return self.filter(home_club__in=clubs)

    def for_staff(self, user) -> "MemberQuerySet":
        """Members of the clubs this staff member works at (all of them for superusers)."""
        if user.is_superuser:
            return self
        return self.filter(home_club__staff=user)


def _name_contains(word: search.NameWord) -> models.Q:
    """Members whose name holds the word, as typed or as German writes it otherwise."""
    match = models.Q(search_name__contains=word.folded)
    if word.written_out:
        has_umlaut = models.Q(first_name__regex=search.HAS_UMLAUT) | models.Q(
            last_name__regex=search.HAS_UMLAUT
        )
        match |= models.Q(search_name__contains=word.written_out) & has_umlaut
    if word.spelled_out:
        match |= models.Q(search_name__contains=word.spelled_out)
    return match


def words_start_first(query: str) -> models.Expression:
    """An ordering that puts first (0) the names in which every typed word starts a word of
    the first or last name: after search("tim"), Tim Jansen and Anna Timmermans come
    before Fatima Bakker (1), who holds "tim" inside a word. Matched as typed, not folded:
    "muller" still finds Müller, ordered with the inside matches."""
    starts = models.Q()
    for word in query.split():
        if search.fold(word):  # a word of punctuation alone is no word
            at_a_word_start = rf"(^|[\s'-]){re.escape(word)}"
            starts &= models.Q(first_name__iregex=at_a_word_start) | models.Q(
                last_name__iregex=at_a_word_start
            )
    if not starts:  # no words (a phone, punctuation): nothing to put first
        return models.Value(0)
    return models.Case(models.When(starts, then=0), default=1)


# Every form and the API hold an email to this, the column's length: longer is a field error,
# not a database error.
EMAIL_MAX_LENGTH = 254

# A birth date further back is a typo (1886 for 1986), not a member.
OLDEST_AGE_YEARS = 120


def birth_date_problem(born: dt.date, *, today: dt.date) -> str | None:
    """Why `born` cannot be a member's birth date, in words for staff, or None when it can.
    The one rule the back-office forms (Member.clean_fields) and the import both apply."""
    if born > today:
        return f"{born:%d-%m-%Y} is in the future."
    if born.year < today.year - OLDEST_AGE_YEARS:
        return f"{born:%d-%m-%Y} is more than {OLDEST_AGE_YEARS} years ago."
    return None


class Member(models.Model):
    """One person, from first contact (lead) to former member."""

    class Status(models.TextChoices):
        LEAD = "lead", "Lead"
        TRIAL = "trial", "Trial"
        MEMBER = "member", "Member"
        FORMER = "former", "Former member"

    class Stage(models.TextChoices):
        # The lifecycle stage, computed by campaigns.lifecycle (PLAYBOOK.md).
        LEAD = "lead", "Lead"
        TRIAL = "trial", "Trial"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        AT_RISK = "at_risk", "At risk"
        EXPIRING = "expiring", "Expiring"
        FROZEN = "frozen", "Frozen"
        LAPSED = "lapsed", "Lapsed"
        LOST = "lost", "Lost"

    class Source(models.TextChoices):
        WALK_IN = "walk_in", "Walk-in"
        WEBSITE = "website", "Website"
        REFERRAL = "referral", "Referral"
        SOCIAL = "social", "Social media"
        PHONE = "phone", "Phone"
        IMPORT = "import", "Import"
        OTHER = "other", "Other"

    home_club = models.ForeignKey(
        Club, on_delete=models.PROTECT, related_name="members", db_index=False
    )
    # Set by save() when the home club changes: the old club's member export lists the member
    # once more, without their details, so its copy learns they left (members.api).
    left_club = models.ForeignKey(
        Club,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        help_text="The club the member last moved away from.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LEAD)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.LEAD)
    stage_since = models.DateTimeField(null=True, blank=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True, max_length=EMAIL_MAX_LENGTH)
    phone = PhoneNumberField(blank=True, help_text="Stored in E.164, e.g. +31612345678.")
    birth_date = models.DateField(null=True, blank=True)
    photo = models.ImageField(upload_to=photos.upload_path, storage=photos.storage, blank=True)
    search_name = models.CharField(
        max_length=200, editable=False, default="", help_text="Folded name for search."
    )
    card_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="Access card or key fob id."
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WALK_IN)
    interests = models.JSONField(default=list, blank=True, help_text="e.g. yoga, strength, spin")
    notes = models.TextField(blank=True)
    sms_consent = models.BooleanField("SMS consent", default=False)
    email_consent = models.BooleanField(default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="member",
        help_text="The login of the member portal, created on first login.",
    )
    calendar_token = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Secret part of the member's calendar feed URL.",
    )
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a manager erased the member's personal data (members.erasure).",
    )
    # The card saved for automatic renewals (memberships/stripe/saved_cards.py): the member's Stripe
    # Customer, kept once made, and the payment method Checkout saved on it, with what the
    # member is shown of it. Blank payment method: no saved card, renewals wait for payment.
    stripe_customer_id = models.CharField(
        "Stripe customer ID", max_length=255, blank=True, editable=False
    )
    stripe_payment_method_id = models.CharField(
        "Stripe payment method ID", max_length=255, blank=True, editable=False
    )
    card_brand = models.CharField(max_length=30, blank=True, editable=False)
    card_last4 = models.CharField(max_length=4, blank=True, editable=False)
    card_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the saved card was last saved or removed: an older payment saves none.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["home_club", "status"]),
            models.Index(fields=["home_club", "stage"]),
            models.Index(Lower("email"), name="member_email_lower"),
            models.Index(fields=["phone"]),
            # Birthdays in the next days: the birthday rule's query (campaigns.triggers).
            models.Index(month_day("birth_date"), name="member_birthday"),
            # A club's changes in export order (`changed_since`): a range scan, no sort.
            models.Index(fields=["home_club", "updated_at", "id"], name="member_club_changes"),
            # And the members who moved away from it, for the same export.
            models.Index(
                fields=["left_club", "updated_at", "id"],
                condition=models.Q(left_club__isnull=False),
                name="member_left_club_changes",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(card_token=""), name="member_card_token_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        update_fields = kwargs.get("update_fields")
        loaded = getattr(self, "_loaded_home_club_id", None)
        if loaded is not None and self.home_club_id != loaded:
            self.left_club_id = loaded
            if update_fields is not None and "home_club" in update_fields:
                kwargs["update_fields"] = update_fields = {*update_fields, "left_club"}
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = update_fields = {*update_fields, "search_name"}
        # auto_now writes `updated_at` only when it is among the fields saved.
        if update_fields is not None and counts_as_change(update_fields):
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)
        self._loaded_home_club_id = self.home_club_id

    def clean_fields(self, exclude=None):
        # Checked with the fields rather than in clean(), so a form without the birth date
        # (Add) is not held to one it cannot correct. "Today" is the home club's, as the
        # import reads it.
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if self.birth_date and "birth_date" not in {*(exclude or ()), *errors}:
            today = clock.today(self.home_club if self.home_club_id else None)
            if problem := birth_date_problem(self.birth_date, today=today):
                errors["birth_date"] = [problem]
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        member = super().from_db(db, field_names, values)
        # What a save() compares with, to learn the member moved club.
        member._loaded_home_club_id = member.__dict__.get("home_club_id")
        return member

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        """ "SH" for Sophie de Haan: the surname's initial is its first capitalised word's,
        past prefixes written in lower case (de, van der, von)."""
        words = self.last_name.split()
        surname = next((word for word in words if word[:1].isupper()), words[-1] if words else "")
        return f"{self.first_name[:1]}{surname[:1]}".upper()

    def tell_apart(self, *, contacts: bool, club_name: bool) -> list[str]:
        """What tells this member from another of the same name in a list of results: the
        birth date, the last digits of the phone for staff who see contacts (roles.SEES_CONTACTS;
        never the whole number), the home club when the list spans clubs (`club_name`), and
        the member number when nothing else would."""
        details = []
        if self.birth_date:
            details.append(f"born {date_format(self.birth_date, FULL_DATE)}")
        if contacts and self.phone:
            details.append(f"phone …{str(self.phone)[-PHONE_TAIL:]}")
        if not details:
            details.append(f"no. {self.pk}")
        if club_name:
            details.append(self.home_club.name)
        return details

    @property
    def has_saved_card(self) -> bool:
        return bool(self.stripe_customer_id and self.stripe_payment_method_id)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def has_consent(self, channel: str) -> bool:
        return {Channel.SMS: self.sms_consent, Channel.EMAIL: self.email_consent}[channel]

    def set_derived_fields(self) -> None:
        # An empty card field means "no card", which unique=True must not count twice.
        self.card_token = search.card_token(self.card_token or "") or None
        self.search_name = search.search_name(self.first_name, self.last_name)
        if self.created_at is None:
            self.created_at = clock.now()


class ConsentLog(models.Model):
    """Every grant or withdrawal of consent, with where it came from and the wording shown."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="consent_log", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=40, help_text="e.g. desk, trial form, portal, SMS STOP")
    wording = models.TextField(blank=True, help_text="The exact text the member agreed to.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "-at"]),
            # consent_logged(): whether a member has an entry for a channel, asked of every
            # member a rule or the dispatcher names. Without it PostgreSQL read the whole log
            # for a few hundred members (a hashed subplan over every entry of the channel).
            models.Index(fields=["member", "channel"], name="consent_log_member_channel"),
        ]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "revoked"
        return f"{self.member}: {self.get_channel_display()} {verb} ({self.source})"


def consent_logged(member, channel) -> models.Exists:
    """Whether the consent log has an entry for `member` (an OuterRef in a batch query) and
    `channel` (a value or an OuterRef): the member was asked, or withdrew. Without consent,
    that is an opt-out (campaigns.evaluator.consent_refusal); with no entry, never asked."""
    return models.Exists(ConsentLog.objects.filter(member=member, channel=channel))


class MemberEvent(models.Model):
    """One line of a member's activity history. Written only by members.timeline.record()."""

    class Kind(models.TextChoices):
        LEAD_CREATED = "lead_created", "Lead created"
        # Not LEAD_CREATED: the lead-created rules (a call within 15 minutes, the trial SMS)
        # must not fire for a whole file of people the club already knew (members.imports).
        IMPORTED = "imported", "Imported from another system"
        IMPORT_UPDATED = "import_updated", "Details added by an import"
        TRIAL_BOOKED = "trial_booked", "Trial booked"
        TRIAL_ATTENDED = "trial_attended", "Trial attended"
        TRIAL_NO_SHOW = "trial_no_show", "Trial no-show"
        TRIAL_SIGNUP = "trial_signup", "Trial form sent by a known person"
        CLASS_BOOKED = "class_booked", "Class booked"
        CLASS_CANCELLED_BY_MEMBER = "class_cancelled_by_member", "Class booking cancelled"
        CLASS_CANCELLED_BY_CLUB = "class_cancelled_by_club", "Class cancelled by the club"
        WAITLIST_PROMOTED = "waitlist_promoted", "Moved up from the waitlist"
        CLASS_NO_SHOW = "class_no_show", "Class no-show"
        NO_SHOW_CORRECTED = "no_show_corrected", "No-show corrected: attended"
        ATTENDANCE_UNDONE = "attendance_undone", "Attended mark undone: booked"
        BOOKING_PENALTY = "booking_penalty", "Booking penalty"
        TASK_OPENED = "task_opened", "Staff task opened"
        TASK_ESCALATED = "task_escalated", "Late task escalated to the manager"
        TASK_CANCELLED = "task_cancelled", "Staff task no longer needed"
        PORTAL_LOGIN = "portal_login", "Portal login"
        MEMBERSHIP_STARTED = "membership_started", "Membership started"
        MEMBERSHIP_RENEWED = "membership_renewed", "Membership renewed"
        MEMBERSHIP_AUTO_RENEWED = "membership_auto_renewed", "Membership renewed automatically"
        AUTO_RENEW_CHANGED = "auto_renew_changed", "Automatic renewal changed"
        MEMBERSHIP_FROZEN = "membership_frozen", "Membership frozen"
        MEMBERSHIP_UNFROZEN = "membership_unfrozen", "Membership unfrozen"
        VISIT = "visit", "Visit"
        CHECK_IN_DENIED = "check_in_denied", "Check-in denied"
        CHECK_IN_UNDONE = "check_in_undone", "Check-in undone"
        PAYMENT_RECEIVED = "payment_received", "Payment received"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        BALANCE_CHANGED = "balance_changed", "Balance adjusted"
        CONSENT_CHANGED = "consent_changed", "Consent changed"
        MESSAGE_SENT = "message_sent", "Message sent"
        OPTED_OUT = "opted_out", "Opted out"
        MESSAGE_REPLY = "message_reply", "Replied by SMS"
        NOTE = "note", "Note"
        SAME_PHONE = "same_phone", "Possible duplicate"
        CALL_LOGGED = "call_logged", "Call"
        CARD_GIVEN = "card_given", "Access card given"
        DATA_EXPORTED = "data_exported", "Personal data exported"
        DATA_ERASED = "data_erased", "Personal data erased"
        ERASURE_REQUESTED = "erasure_requested", "Erasure of personal data requested"
        CARD_SAVED = "card_saved", "Card saved for automatic renewals"
        CARD_REMOVED = "card_removed", "Saved card removed"

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "timeline event"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "-at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.get_kind_display()}"


class TaskQuerySet(models.QuerySet):
    def open(self) -> "TaskQuerySet":
        return self.filter(status=Task.Status.OPEN)

    def late_to_escalate(self, now) -> "TaskQuerySet":
        """Open tasks marked to escalate, past their due time, whose managers were not told."""
        return self.open().filter(
            escalate_when_late=True, escalated_at__isnull=True, due_at__lt=now
        )

    def for_staff(self, user) -> "TaskQuerySet":
        if user.is_superuser:
            return self
        return self.filter(member__home_club__staff=user)

    def visible_to(self, user) -> "TaskQuerySet":
        """The tasks, at the user's clubs, that are theirs to act on: those named to them and,
        where nobody is named, those for a role they hold (a task for no role is the front
        desk's). Managers see every task at their clubs."""
        tasks = self.for_staff(user)
        if user.is_superuser or roles.has_role(user, roles.MANAGER):
            return tasks
        held = list(user.groups.values_list("name", flat=True))
        if roles.FRONT_DESK in held:
            held.append("")
        return tasks.filter(
            models.Q(assigned_to=user) | models.Q(assigned_to=None, assigned_role__in=held)
        )


class Task(models.Model):
    """Something a person at the club must do for a member: call a new lead within 15 minutes."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    assigned_role = models.CharField(
        max_length=40, blank=True, help_text="Who should pick it up, e.g. Front desk."
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalate_when_late = models.BooleanField(
        default=False, help_text="Tell the club's managers when it is still open at its due time."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.member})"
