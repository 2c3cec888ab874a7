"""Back-office screen for the clubs' own settings (time zone, senders, quiet hours …), and
the back-office's own small behaviours."""

from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks

from club.admin_access import ClubScopedViewSet
from club.models import Club


class ClubViewSet(ClubScopedViewSet):
    model = Club
    name = "clubs"
    club_path = "pk"
    icon = "site"
    menu_label = "Clubs"
    menu_order = 800
    add_to_admin_menu = True
    list_display = ["name", "slug", "time_zone", "currency", "email_sender", "sms_sender"]
    search_fields = ["name", "slug"]
    ordering = ["name"]
    list_per_page = 50
    # Who works where (Club.staff) decides what everyone sees; it is not edited here.
    form_fields = [
        "name",
        "slug",
        "time_zone",
        "currency",
        "address",
        "phone",
        "email_sender",
        "sms_sender",
        "quiet_hours_start",
        "quiet_hours_end",
        "renewal_grace_days",
        "onboarding_days",
        "at_risk_days_without_visit",
        "expiring_within_days",
        "lost_after_days",
        "booking_opens_days_ahead",
        "booking_closes_minutes_before",
        "late_cancel_minutes",
        "booking_penalties_enabled",
        "booking_penalty_days",
        "max_freeze_days",
    ]


@hooks.register("register_admin_viewset")
def register_club_viewset():
    return ClubViewSet()


@hooks.register("insert_global_admin_js")
def chooser_search_takes_focus():
    return format_html('<script src="{}"></script>', static("club/chooser_focus.js"))
