"""The outbox as a list (Lifecycle › Outbox): every touchpoint of the staff member's clubs —
what goes out when, what was sent and delivered, what failed or was suppressed and why — for
marketing and managers. The playbook and campaign results count these rows; this is where a
count's members are found ("suppressed: no consent 12" — who?). Read-only: the evaluator,
the launches and the dispatcher write the outbox."""

from __future__ import annotations

import django_filters
from django.utils.functional import cached_property
from django.utils.text import Truncator
from wagtail.admin.ui.tables import Column, TitleColumn

from campaigns.backoffice.campaign_views import segments_for
from campaigns.backoffice.views import rules_for
from campaigns.models import Campaign, Touchpoint
from club.admin_access import (
    EMPTY,
    ClubScopedViewSet,
    ScopedFilterSet,
    ScopedIndexView,
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


class TouchpointFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=Touchpoint.Status.choices)
    reason = django_filters.ChoiceFilter(
        label="Suppressed or cancelled because", choices=Touchpoint.Reason.choices
    )
    channel = django_filters.ChoiceFilter(
        label="Channel", choices=Touchpoint._meta.get_field("channel").choices
    )
    # Rules and campaigns are chain-wide rows: offered as the playbook and campaign screens
    # offer them (those that run at one of the user's clubs), by choices set per request.
    rule = django_filters.TypedChoiceFilter(label="Rule", coerce=int)
    campaign = django_filters.TypedChoiceFilter(label="Campaign", coerce=int)
    club = django_filters.ModelChoiceFilter(label="Club", queryset=Club.objects.all())
    send_at = date_range_filter("Goes (or went)")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user
        self.filters["rule"].extra["choices"] = [
            (rule.pk, f"{rule.number}. {rule.name}") for rule in rules_for(user).order_by("number")
        ]
        self.filters["campaign"].extra["choices"] = [
            (campaign.pk, campaign.name)
            for campaign in Campaign.objects.filter(segment__in=segments_for(user)).order_by(
                "-send_on", "-pk"
            )
        ]

    class Meta:
        model = Touchpoint
        fields = []


class TouchpointIndexView(ScopedIndexView):
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
