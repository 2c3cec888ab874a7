"""Back-office screen for the clubs' own settings (time zone, senders, quiet hours …), and
the back-office's own small behaviours."""

from django.templatetags.static import static
from django.utils.html import format_html
from modelcluster.forms import BaseChildFormSet
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter

from club import background, hours, roles, site_history, staff
from club.admin_access import ClubScopedViewSet, ScopedCreateView, ScopedForm, ScopedIndexView
from club.integrations_admin import REVOKE_ACTION, IntegrationViewSet
from club.models import Club, Weekday
from club.staff_admin import StaffViewSet


class OpeningHoursFormSet(BaseChildFormSet):
    """Says a weekday given twice under the later row's weekday, in words, instead of the
    generic unique check's "Please correct the duplicate data for club and weekday…"."""

    def clean(self):
        self.weekday_given_twice = False
        seen = set()
        for form in self.forms:
            weekday = form.cleaned_data.get("weekday")
            if weekday is None or self._should_delete_form(form):
                continue
            if weekday in seen:
                form.add_error("weekday", f"{Weekday(weekday).label} already has its hours above.")
                self.weekday_given_twice = True
            seen.add(weekday)
        super().clean()

    def validate_unique(self):
        # Already said at the row. The generic check would say it again, and with a row now
        # invalid it would take the deleted rows for kept ones (deleted_forms is then empty).
        if not self.weekday_given_twice:
            super().validate_unique()


class OpeningHoursPanel(InlinePanel):
    # InlinePanel takes no formset class; modelcluster reads one from the form options.
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = OpeningHoursFormSet
        return options


class ClubCreateView(ScopedCreateView):
    def get_initial_form_instance(self):
        # A new club starts with the default week, to be corrected before it is saved.
        club = Club()
        club.opening_hours = hours.default_week(club)
        return club


class ClubIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        # Apps above this one add their actions on a club (cms: "Open public site") through
        # a hook, as Wagtail's users list does, rather than being imported here.
        buttons = super().get_list_more_buttons(instance)
        for hook in hooks.get_hooks("register_club_listing_buttons"):
            buttons.extend(hook(self.request, instance))
        return buttons


class ClubViewSet(ClubScopedViewSet):
    model = Club
    name = "clubs"
    club_path = "pk"
    icon = "site"
    menu_label = "Clubs"
    menu_order = 800
    add_to_admin_menu = True
    add_view_class = ClubCreateView
    index_view_class = ClubIndexView
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
        "country",
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

    @property
    def edit_handler(self):
        return ObjectList(
            [FieldPanel(name) for name in self.form_fields]
            + [
                OpeningHoursPanel(
                    "opening_hours",
                    heading="Opening hours",
                    label="Day",
                    max_num=7,
                    help_text="In the club's time zone. A weekday left out is closed. While "
                    "the club is closed, a call task falls due after the next opening.",
                )
            ],
            base_form_class=ScopedForm,
        )

    def get_form_class(self, for_update=False):
        # The panels' form: it carries the opening hours' inline forms.
        return self._edit_handler.get_form_class()


@hooks.register("register_admin_viewset")
def register_club_viewset():
    return ClubViewSet()


@hooks.register("register_admin_viewset")
def register_integration_viewset():
    return IntegrationViewSet()


@hooks.register("register_admin_viewset")
def register_staff_viewset():
    return StaffViewSet()


@hooks.register("register_log_actions")
def integration_log_actions(actions):
    actions.register_action(REVOKE_ACTION, "Revoke token", "Revoked the token")


@hooks.register("register_log_actions")
def staff_log_actions(actions):
    actions.register_action(staff.DEACTIVATE_ACTION, "Deactivate", "Deactivated the login")
    actions.register_action(staff.REACTIVATE_ACTION, "Reactivate", "Reactivated the login")

    @actions.register_action(staff.CHANGE_ACTION)
    class RolesAndClubs(LogFormatter):
        label = "Change roles or clubs"

        def format_message(self, log_entry):
            before, after = log_entry.data["from"], log_entry.data["to"]
            return "Roles {} → {}; clubs {} → {}".format(
                ", ".join(before["roles"]) or "none",
                ", ".join(after["roles"]) or "none",
                ", ".join(before["clubs"]) or "none",
                ", ".join(after["clubs"]) or "none",
            )


@hooks.register("construct_reports_menu")
def hide_site_history(request, menu_items):
    if not site_history.is_shown(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "site-history"]


@hooks.register("insert_global_admin_js")
def chooser_search_takes_focus():
    return format_html('<script src="{}"></script>', static("club/chooser_focus.js"))


class BackgroundStoppedPanel(Component):
    """First on the home page while beat or the worker is down: nothing else says so."""

    name = "background_stopped"
    order = 1
    template_name = "club/panels/background_stopped.html"

    def __init__(self, last_run):
        self.last_run = last_run

    def get_context_data(self, parent_context):
        return {"last_run": self.last_run}


@hooks.register("construct_homepage_panels")
def add_background_stopped_panel(request, home_panels):
    # Those who answer for the messages; the desk and trainers can do nothing about it.
    if roles.has_role(request.user, roles.MANAGER, roles.MARKETING):
        status = background.status()
        if not status.running:
            home_panels.append(BackgroundStoppedPanel(status.last_run))
