"""The outbox as a list (Lifecycle › Outbox): every touchpoint of the staff member's clubs —
what goes out when, what was sent and delivered, what failed or was suppressed and why — for
marketing and managers. The playbook and campaign results count these rows; this is where a
count's members are found ("suppressed: no consent 12" — who?). Read-only: the evaluator,
the launches and the dispatcher write the outbox."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import Truncator
from wagtail.admin.active_filters import BaseFilterAdapter, register_filter_adapter_class
from wagtail.admin.ui.tables import Column, TitleColumn

from campaigns.backoffice.campaign_views import segments_for
from campaigns.backoffice.views import OUTCOMES, due_before, rules_for
from campaigns.models import Campaign, CampaignVariant, Touchpoint
from club.admin_access import (
    EMPTY,
    ClubScopedViewSet,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedInspectView,
    date_range_filter,
)
from club.models import Club
from members.wagtail_hooks import member_page

BODY_CHARS = 80


def outcome(touchpoint: Touchpoint) -> str:
    """ "Suppressed: no consent", "Failed: <error>", or the status alone."""
    text = touchpoint.get_status_display()
    if touchpoint.reason:
        text += f": {touchpoint.get_reason_display().lower()}"
    elif touchpoint.status == Touchpoint.Status.FAILED and touchpoint.error:
        text += f": {Truncator(touchpoint.error).chars(60)}"
    return text


def sent_by(touchpoint: Touchpoint) -> str:
    if touchpoint.rule_id:
        return f"{touchpoint.rule.number}. {touchpoint.rule.name}"
    return f"“{touchpoint.campaign.name}” ({touchpoint.variant})"


def message(touchpoint: Touchpoint) -> str:
    # Held-out and suppressed rows never had a text rendered: say so rather than leave a gap.
    text = touchpoint.subject or touchpoint.body
    return Truncator(text).chars(BODY_CHARS) if text else EMPTY


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An instant a count's link carries (the playbook's period, to the second): a hidden
    field, shown only as its chip, on the clock of the user's time zone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, widget=forms.HiddenInput, **kwargs)


class InstantFilterAdapter(BaseFilterAdapter):
    def get_active_filters(self):
        for active in super().get_active_filters():
            yield active._replace(value=date_format(timezone.localtime(self.value), "j M Y, H:i:s"))


register_filter_adapter_class(InstantFilter, InstantFilterAdapter)


class RunFilter(django_filters.CharFilter):
    """One run of a repeating campaign, by its occurrence key (`campaign:<id>:<run day>`), as
    its results' runs count it: a hidden field, its chip naming the day."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="occurrence_key", widget=forms.HiddenInput, **kwargs)


class RunFilterAdapter(BaseFilterAdapter):
    def get_active_filters(self):
        try:
            day = date_format(dt.date.fromisoformat(self.value.rsplit(":", 1)[-1]), "j M Y")
        except ValueError:
            day = self.value
        for active in super().get_active_filters():
            yield active._replace(value=day)


register_filter_adapter_class(RunFilter, RunFilterAdapter)


class TouchpointFilterSet(ScopedFilterSet):
    # The counts' own groups ("sent" is sent or delivered, "held out" decided or to be),
    # as the playbook and a campaign's results count them: their links filter by these.
    outcome = django_filters.ChoiceFilter(
        label="Outcome",
        choices=[(key, label) for key, (label, _) in OUTCOMES.items()],
        method="filter_outcome",
    )
    status = django_filters.ChoiceFilter(label="Status", choices=Touchpoint.Status.choices)
    reason = django_filters.ChoiceFilter(
        label="Suppressed or cancelled because", choices=Touchpoint.Reason.choices
    )
    channel = django_filters.ChoiceFilter(
        label="Channel", choices=Touchpoint._meta.get_field("channel").choices
    )
    sent_by = django_filters.ChoiceFilter(
        label="Sent by",
        choices=[("rule", "A rule"), ("campaign", "A campaign")],
        method="filter_sent_by",
    )
    # Rules and campaigns are chain-wide rows: offered as the playbook and campaign screens
    # offer them (those that run at one of the user's clubs), by choices set per request.
    # Choice filters (not typed ones), so the active filter's chip reads the choice's name.
    rule = django_filters.ChoiceFilter(label="Rule")
    campaign = django_filters.ChoiceFilter(label="Campaign")
    variant = django_filters.ChoiceFilter(
        label="Variant", choices=[(label, label) for label in CampaignVariant.LABELS]
    )
    # One run of a repeating campaign (its occurrence key), as its results' runs count it.
    run = RunFilter(label="Run")
    club = django_filters.ModelChoiceFilter(label="Club", queryset=Club.objects.all())
    send_at = date_range_filter("Goes (or went)")
    # A period as the playbook counts it: due from `due_from`, and due before `due_before`
    # or still waiting to go (views.period_touchpoints).
    due_from = InstantFilter(label="Due from", field_name="due_at", lookup_expr="gte")
    due_before = InstantFilter(label="Due before (or still to go)", method="filter_due_before")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user
        self.filters["rule"].extra["choices"] = [
            (str(rule.pk), f"{rule.number}. {rule.name}")
            for rule in rules_for(user).order_by("number")
        ]
        self.filters["campaign"].extra["choices"] = [
            (str(campaign.pk), campaign.name)
            for campaign in Campaign.objects.filter(segment__in=segments_for(user)).order_by(
                "-send_on", "-pk"
            )
        ]

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(status__in=OUTCOMES[value][1])

    def filter_sent_by(self, queryset, name, value):
        return queryset.filter(rule__isnull=value != "rule")

    def filter_due_before(self, queryset, name, value):
        return queryset.filter(due_before(value))

    class Meta:
        model = Touchpoint
        fields = []


class TouchpointIndexView(ScopedIndexView):
    # The menu's word: the model's plural ("Touchpoints") read as another screen's heading.
    page_title = "Outbox"

    @cached_property
    def columns(self):
        # The member's name opens the page its reader may read (the card, for these roles).
        page_of = member_page(self.request)
        linked = {
            "member": TitleColumn(
                "member",
                label="Member",
                accessor="member",
                get_url=lambda row: page_of(row.member) if page_of else None,
            ),
        }
        return [linked.get(column.name, column) for column in super().columns]


class TouchpointInspectView(ScopedInspectView):
    def get_breadcrumbs_items(self):
        # Back to the list by the menu's word, as its heading.
        index = reverse(self.index_url_name)
        return [
            {**item, "label": "Outbox"} if item.get("url") == index else item
            for item in super().get_breadcrumbs_items()
        ]


class TouchpointViewSet(ClubScopedViewSet):
    model = Touchpoint
    name = "outbox"
    url_prefix = "outbox"
    club_path = "club"
    actions = ("view",)
    add_to_admin_menu = False  # in the Lifecycle menu (campaigns/wagtail_hooks.py)
    menu_label = "Outbox"
    icon = "mail"
    inspect_view_enabled = True
    index_view_class = TouchpointIndexView
    inspect_view_class = TouchpointInspectView
    list_display = [
        "send_at",
        "member",
        Column("sent_by", label="Sent by", accessor=sent_by),
        "channel",
        Column("outcome", label="Outcome", accessor=outcome),
        Column("message", label="Message", accessor=message),
    ]
    list_select_related = ("member", "rule", "campaign", "club")
    inspect_view_fields = [
        "member",
        "club",
        "rule",
        "campaign",
        "variant",
        "channel",
        "status",
        "reason",
        "explanation",
        "due_at",
        "send_at",
        "sent_at",
        "delivered_at",
        "subject",
        "body",
        "segments",
        "attempts",
        "error",
    ]
    filterset_class = TouchpointFilterSet
    search_fields = ["member__first_name", "member__last_name"]
    ordering = ["-send_at", "-id"]
    list_per_page = 50


outbox_viewset = TouchpointViewSet()
