"""Marketing's panel on the back-office home page: today's touchpoints at each of the staff
member's clubs, by what became of them. Registered in campaigns/wagtail_hooks.py."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from wagtail.admin.ui.components import Component

from campaigns.models import Touchpoint
from club import clock
from club.admin_access import clubs_for

Status = Touchpoint.Status

# What a marketer reads first, in this order: (key, label, statuses).
OUTCOMES = (
    ("delivered", "delivered", [Status.DELIVERED]),
    ("sent", "sent, not yet confirmed", [Status.SENT, Status.SENDING]),
    ("failed", "failed", [Status.FAILED]),
    ("scheduled", "still to go today", [Status.SCHEDULED]),
    ("suppressed", "suppressed", [Status.SUPPRESSED]),
    ("held_out", "held out", [Status.HELD_OUT]),
)


def touchpoints_today(club) -> list[tuple[str, int]]:
    """Today's touchpoints at the club (by their send time in the club's day), counted by
    outcome, in one query."""
    today = clock.today(club)
    start = clock.start_of_day(today, club)
    end = clock.start_of_day(today + dt.timedelta(days=1), club)
    counts = Touchpoint.objects.filter(club=club, send_at__gte=start, send_at__lt=end).aggregate(
        **{key: Count("pk", filter=Q(status__in=statuses)) for key, _, statuses in OUTCOMES}
    )
    return [(label, counts[key]) for key, label, _ in OUTCOMES]


class MessagesTodayPanel(Component):
    name = "messages_today"
    order = 30
    template_name = "campaigns/panels/messages_today.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        return {"clubs": [(club, touchpoints_today(club)) for club in clubs_for(request.user)]}
