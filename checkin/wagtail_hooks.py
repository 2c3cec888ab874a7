"""Back-office screens for visits, denied check-ins, classes and bookings.

Visits and denied check-ins are written by the check-in service and bookings by the
booking service (capacity, waitlist promotion), so those screens only read.
"""

import django_filters
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.viewsets.model import ModelViewSetGroup

from checkin.models import Booking, CheckInAttempt, ClassSession, ClassType, Visit
from club.admin_access import ClubScopedViewSet, ScopedFilterSet
from club.models import Club


class VisitFilterSet(ScopedFilterSet):
    at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = Visit
        fields = ["club", "source"]


class VisitViewSet(ClubScopedViewSet):
    model = Visit
    name = "visits"
    club_path = "club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "login"
    menu_label = "Visits"
    list_display = ["member", "club", "at", "source", "membership", "override_reason"]
    list_select_related = ("member", "club", "membership__member", "membership__plan")
    filterset_class = VisitFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__card_token"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class CheckInAttemptFilterSet(ScopedFilterSet):
    at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = CheckInAttempt
        fields = ["reason", "club", "source"]


class CheckInAttemptViewSet(ClubScopedViewSet):
    model = CheckInAttempt
    name = "denied_check_ins"
    url_prefix = "denied-check-ins"
    club_path = "club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "warning"
    menu_label = "Denied check-ins"
    list_display = ["member", "reason", "club", "source", "at"]
    list_select_related = ("member", "club")
    filterset_class = CheckInAttemptFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__card_token"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class CheckInsGroup(ModelViewSetGroup):
    # "Front desk" itself is the check-in screen (checkin/desk); these are its records.
    menu_label = "Check-ins"
    menu_icon = "desktop"
    menu_order = 100
    items = (VisitViewSet, CheckInAttemptViewSet)


class ClassTypeViewSet(ClubScopedViewSet):
    model = ClassType
    name = "class_types"
    url_prefix = "class-types"
    club_path = "club"
    icon = "tag"
    menu_label = "Class types"
    list_display = ["name", "club", "trial_eligible"]
    list_select_related = ("club",)
    list_filter = ["club", "trial_eligible"]
    search_fields = ["name"]
    ordering = ["name"]
    list_per_page = 50
    form_fields = ["club", "name", "description", "interests", "trial_eligible"]


class ClassSessionFilterSet(ScopedFilterSet):
    start = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = ClassSession
        fields = ["club", "class_type", "trainer", "is_cancelled"]


class ClassSessionViewSet(ClubScopedViewSet):
    model = ClassSession
    name = "class_sessions"
    url_prefix = "class-sessions"
    club_path = "club"
    icon = "date"
    menu_label = "Sessions"
    list_display = ["class_type", "start", "end", "club", "trainer", "room", "capacity"]
    list_select_related = ("class_type", "club", "trainer")
    filterset_class = ClassSessionFilterSet
    search_fields = ["class_type__name", "room"]
    ordering = ["-start"]
    list_per_page = 50
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


class BookingFilterSet(ScopedFilterSet):
    club = django_filters.ModelChoiceFilter(
        field_name="session__club", label="Club", queryset=Club.objects.all()
    )

    class Meta:
        model = Booking
        fields = ["status", "is_trial"]


class BookingViewSet(ClubScopedViewSet):
    model = Booking
    name = "bookings"
    club_path = "session__club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "calendar-check"
    menu_label = "Bookings"
    list_display = ["member", "session", "status", "waitlist_position", "is_trial", "created_at"]
    list_select_related = ("member", "session__class_type")
    filterset_class = BookingFilterSet
    search_fields = ["member__first_name", "member__last_name", "session__class_type__name"]
    ordering = ["-created_at"]
    list_per_page = 50


class ClassesGroup(ModelViewSetGroup):
    menu_label = "Classes"
    menu_icon = "calendar-alt"
    menu_order = 400
    items = (ClassTypeViewSet, ClassSessionViewSet, BookingViewSet)


@hooks.register("register_admin_viewset")
def register_checkin_viewsets():
    return [CheckInsGroup(), ClassesGroup()]


# The front-desk screen registers its own URLs and menu item.
from checkin.desk import hooks as desk_hooks  # noqa: E402, F401
