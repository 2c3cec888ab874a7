"""Back-office screens for visits, denied check-ins, the timetable, classes and bookings.

Visits and denied check-ins are written by the check-in service and bookings by the
booking service (capacity, waitlist promotion), so those screens only read. A session's
capacity and its cancellation are changed through the booking service too, so the seats
and the waitlist stay right and the members hear of it.
"""

import django_filters
from django.db.models import Prefetch, Q
from django.forms.models import modelform_factory
from django.urls import reverse
from django.utils.text import capfirst
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.log_actions import log

from checkin import bookings, schedule
from checkin.models import Booking, CheckInAttempt, ClassSession, ClassTemplate, ClassType, Visit
from checkin.trainer.views import trainers_for
from club import roles
from club.admin_access import (
    ClubScopedViewSet,
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedForm,
    clubs_for,
    date_range_filter,
    staff_name,
)
from club.models import Club
from club.time_zones import on_club_clock
from members.interests import InterestsField
from members.search import card_token


class VisitFilterSet(ScopedFilterSet):
    at = date_range_filter("Date")

    class Meta:
        model = Visit
        fields = ["club", "source"]


class VisitViewSet(ClubScopedViewSet):
    model = Visit
    name = "visits"
    club_path = "club"
    # A member of another club admitted here on a plan valid at every club.
    member_path = "member"
    member_records = ("membership", "ledger_entry")
    actions = ("view",)
    inspect_view_enabled = True
    icon = "login"
    menu_label = "Visits"
    list_display = ["member", "club", "at", "source", "membership", "override_reason"]
    list_select_related = ("member", "club", "membership__member", "membership__plan")
    filterset_class = VisitFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__card_token"]
    search_terms = {"member__card_token": card_token}
    ordering = ["-at", "-id"]
    list_per_page = 50


class CheckInAttemptFilterSet(ScopedFilterSet):
    at = date_range_filter("Date")

    class Meta:
        model = CheckInAttempt
        fields = ["reason", "club", "source"]


class CheckInAttemptViewSet(ClubScopedViewSet):
    model = CheckInAttempt
    name = "denied_check_ins"
    url_prefix = "denied-check-ins"
    club_path = "club"
    member_path = "member"
    member_records = ("membership",)
    actions = ("view",)
    inspect_view_enabled = True
    icon = "warning"
    menu_label = "Denied check-ins"
    list_display = ["member", "reason", "club", "source", "at"]
    list_select_related = ("member", "club")
    filterset_class = CheckInAttemptFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__card_token"]
    search_terms = {"member__card_token": card_token}
    ordering = ["-at", "-id"]
    list_per_page = 50


class CheckInsGroup(ModelViewSetGroup):
    # "Front desk" itself is the check-in screen (checkin/desk); these are its records.
    menu_label = "Check-ins"
    menu_icon = "desktop"
    menu_order = 100
    items = (VisitViewSet, CheckInAttemptViewSet)


class ClassTypeForm(ScopedForm):
    # The words members' interests are typed in (members.interests), which class suggestions
    # match; Django's JSON box wanted ["yoga"] and crashed on an empty one.
    interests = InterestsField(
        help_text="Member interests it matches: words separated by commas, e.g. yoga, spin."
    )


class ClassTypeViewSet(ClubScopedViewSet):
    model = ClassType
    name = "class_types"
    url_prefix = "class-types"
    club_path = "club"
    icon = "tag"
    menu_label = "Class types"
    list_display = ["name", "club", BooleanColumn("trial_eligible", label="Trial eligible")]
    list_select_related = ("club",)
    list_filter = ["club", "trial_eligible"]
    search_fields = ["name"]
    ordering = ["name"]
    list_per_page = 50
    form_fields = ["club", "name", "description", "interests", "trial_eligible"]

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=ClassTypeForm, fields=self.form_fields)


class SameClubForm(ScopedForm):
    """A timetable slot or class whose class type and trainer belong to its own club.

    The trainer is chosen among the Trainers of the staff member's clubs (front desk and
    marketing staff work there too, but teach nothing), and for staff of several clubs
    each class type and trainer says its club, so two clubs' "Core" can be told apart.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clubs = clubs_for(self.for_user)
        several = clubs[:2].count() > 1
        class_type = self.fields["class_type"]
        class_type.queryset = class_type.queryset.select_related("club").order_by(
            "name", "club__name"
        )
        if several:
            class_type.label_from_instance = lambda t: f"{t.name} ({t.club.name})"
        trainer = self.fields["trainer"]
        # The class's present trainer stays on offer, so editing the room does not
        # force a new trainer on a class given before this rule.
        trainers = trainer.queryset.model.objects.filter(groups__name=roles.TRAINER)
        trainer.queryset = trainer.queryset.filter(
            Q(pk__in=trainers.filter(is_active=True).values("pk")) | Q(pk=self.instance.trainer_id)
        ).order_by("first_name", "last_name", "username")
        if several:
            trainer.queryset = trainer.queryset.prefetch_related(
                # The staff member's clubs by subquery: a join on `staff` here would be
                # confused with the prefetch's own join on it.
                Prefetch(
                    "clubs",
                    queryset=Club.objects.filter(pk__in=clubs.values("pk")).order_by("name"),
                    to_attr="shown_clubs",
                )
            )
            trainer.label_from_instance = lambda user: (
                f"{staff_name(user)} ({', '.join(c.name for c in user.shown_clubs)})"
            )

    def clean(self):
        data = super().clean()
        club, class_type, trainer = data.get("club"), data.get("class_type"), data.get("trainer")
        if club and class_type and class_type.club_id != club.pk:
            self.add_error("class_type", f"{class_type} is a class type of {class_type.club}.")
        # The trainer's role is the choices' business (above); their club is checked
        # here, as the club is chosen in the same form.
        if (
            club
            and trainer
            and not trainer.is_superuser
            and not club.staff.filter(pk=trainer.pk).exists()
        ):
            self.add_error("trainer", f"{staff_name(trainer)} is not on {club}'s staff.")
        return data


def trainer_filter() -> django_filters.ModelChoiceFilter:
    # Trainers only, as the forms offer: the front desk and marketing teach no class.
    return django_filters.ModelChoiceFilter(
        label="Trainer", queryset=lambda request: trainers_for(request.user)
    )


class ClassTemplateFilterSet(ScopedFilterSet):
    trainer = trainer_filter()

    class Meta:
        model = ClassTemplate
        fields = ["club", "weekday", "class_type", "trainer", "is_active"]


def classes_words(n: int) -> str:
    return f"{n} class" if n == 1 else f"{n} classes"


class SlotSyncMixin:
    """A saved slot's classes follow it at once (`schedule.sync_slot`), not at the nightly
    run: a slot saved in the afternoon made no class to book until the next night, and a
    moved slot left its old classes where they were."""

    def save_action(self):
        # Wagtail calls this once the save's transaction has committed.
        self.synced = schedule.sync_slot(self.object.pk)
        if self.synced.kept and not self.expects_json_response:
            verb, them = "keep their old time", "them"
            if not self.synced.kept_time:
                verb = "were left as they were"
            if self.synced.kept == 1:
                verb = "keeps its old time" if self.synced.kept_time else "was left as it was"
                them = "it"
            sessions = reverse("class_sessions:index") + f"?class_type={self.object.class_type_id}"
            messages.warning(
                self.request,
                f"{capfirst(classes_words(self.synced.kept))} with bookings {verb}: move or "
                f"cancel {them} under Sessions.",
                buttons=[messages.button(sessions, "Sessions")],
            )
        return super().save_action()

    def get_success_message(self, *args):
        done = self.synced
        counts = [
            f"{n} {what}" for n, what in ((done.created, "created"), (done.changed, "changed")) if n
        ]
        if done.removed:
            counts.append(f"{done.removed} removed")
        if counts:
            classes = f"Classes in the next {schedule.WEEKS_AHEAD} weeks: {', '.join(counts)}."
        else:
            classes = "No classes to create or change."
        return f"{super().get_success_message(*args)} {classes}"


class ClassTemplateCreateView(SlotSyncMixin, ScopedCreateView):
    pass


class ClassTemplateEditView(SlotSyncMixin, ScopedEditView):
    pass


class ClassTemplateViewSet(ClubScopedViewSet):
    """The weekly timetable; the nightly task generates sessions from it (checkin/schedule.py),
    and saving a slot brings its classes in line at once. No delete: a slot is turned off or
    given an end date, which takes its classes to come off the schedule too."""

    model = ClassTemplate
    name = "class_templates"
    url_prefix = "timetable"
    club_path = "club"
    icon = "table"
    menu_label = "Timetable"
    list_display = [
        "class_type",
        "weekday",
        "start_time",
        "duration_minutes",
        "club",
        "trainer",
        "room",
        "capacity",
        "starts_on",
        "ends_on",
        BooleanColumn("is_active", label="Active", sort_key="is_active"),
    ]
    list_select_related = ("class_type", "club", "trainer")
    filterset_class = ClassTemplateFilterSet
    search_fields = ["class_type__name", "room"]
    ordering = ["club", "weekday", "start_time"]
    list_per_page = 50
    add_view_class = ClassTemplateCreateView
    edit_view_class = ClassTemplateEditView
    form_fields = [
        "club",
        "class_type",
        "trainer",
        "room",
        "weekday",
        "start_time",
        "duration_minutes",
        "capacity",
        "starts_on",
        "ends_on",
        "is_active",
    ]

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=SameClubForm, fields=self.form_fields)

    def get_index_view_kwargs(self, **kwargs):
        # Titled as the menu names it; the model's plural ("timetable slots") is for the
        # counts and the empty listing's "There are no timetable slots to display".
        return super().get_index_view_kwargs(page_title=self.menu_label, **kwargs)


class ClassSessionFilterSet(ScopedFilterSet):
    start = date_range_filter("Date")
    trainer = trainer_filter()

    class Meta:
        model = ClassSession
        fields = ["club", "class_type", "trainer", "is_cancelled"]


class ClassSessionEditView(ScopedEditView):
    """Saves the plain fields itself; capacity and cancellation go through the booking rules
    (never below the seats taken; new seats go to the waitlist; members are told)."""

    def save_instance(self):
        session = self.form.save(commit=False)
        changed = set(self.form.changed_data)
        capacity, cancelled = session.capacity, session.is_cancelled
        plain = [f for f in self.form.changed_data if f not in ("capacity", "is_cancelled")]
        if not cancelled and "is_cancelled" in changed:
            plain.append("is_cancelled")  # re-opening a cancelled class needs no rules
        if plain:
            session.save(update_fields=plain)
        if "capacity" in changed:
            session = bookings.set_capacity(session, capacity, by=self.request.user)
        if cancelled and "is_cancelled" in changed:
            session = bookings.cancel_session(session, by=self.request.user)
        log(instance=session, action="wagtail.edit", content_changed=bool(changed))
        self.has_content_changes = bool(changed)
        return session

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except bookings.BookingError as error:
            form.add_error("capacity", error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ClassSessionViewSet(ClubScopedViewSet):
    model = ClassSession
    name = "class_sessions"
    url_prefix = "class-sessions"
    club_path = "club"
    icon = "date"
    menu_label = "Sessions"
    list_display = [
        "class_type",
        "start",
        "end",
        "club",
        "trainer",
        "room",
        "capacity",
        BooleanColumn("is_cancelled", label="Cancelled", sort_key="is_cancelled"),
        TitleColumn(
            "roster",
            label="Roster",
            accessor=lambda session: "Roster",
            get_url=lambda session: reverse("trainer:roster", args=[session.pk]),
        ),
    ]
    list_select_related = ("class_type", "club", "trainer")
    filterset_class = ClassSessionFilterSet
    search_fields = ["class_type__name", "room"]
    ordering = ["-start"]
    list_per_page = 50
    edit_view_class = ClassSessionEditView
    form_fields = [
        "club",
        "class_type",
        "trainer",
        "room",
        "start",
        "end",
        "capacity",
        "is_cancelled",
    ]

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=SameClubForm, fields=self.form_fields)


class BookingFilterSet(ScopedFilterSet):
    club = django_filters.ModelChoiceFilter(
        field_name="session__club", label="Club", queryset=Club.objects.all()
    )

    class Meta:
        model = Booking
        fields = ["status", "is_trial"]


def session_on_its_clock(booking: Booking) -> str:
    # Not str(session), which reads the page's clock: "Spin Tue 24 Nov 2026, 18:30 Lisbon".
    session = booking.session
    return f"{session.class_type} {on_club_clock(session.start, session.club, 'D j M Y, H:i')}"


class BookingViewSet(ClubScopedViewSet):
    model = Booking
    name = "bookings"
    club_path = "session__club"
    member_path = "member"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "calendar-check"
    menu_label = "Bookings"
    list_display = [
        "member",
        Column(
            "session", label="Session", accessor=session_on_its_clock, sort_key="session__start"
        ),
        "status",
        "waitlist_position",
        BooleanColumn("is_trial", label="Trial", sort_key="is_trial"),
        "created_at",
    ]
    list_select_related = ("member", "session__class_type", "session__club")
    filterset_class = BookingFilterSet
    search_fields = ["member__first_name", "member__last_name", "session__class_type__name"]
    ordering = ["-created_at"]
    list_per_page = 50


class ClassesGroup(ModelViewSetGroup):
    menu_label = "Classes"
    menu_icon = "calendar-alt"
    menu_order = 400
    items = (ClassTypeViewSet, ClassTemplateViewSet, ClassSessionViewSet, BookingViewSet)


@hooks.register("register_admin_viewset")
def register_checkin_viewsets():
    return [CheckInsGroup(), ClassesGroup()]


# The front-desk and trainer screens register their own URLs and menu items.
from checkin.desk import hooks as desk_hooks  # noqa: E402, F401
from checkin.trainer import hooks as trainer_hooks  # noqa: E402, F401
