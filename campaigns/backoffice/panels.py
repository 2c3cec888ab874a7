"""Marketing's panel on the back-office home page (today's touchpoints at each of the staff
member's clubs, counted as the playbook counts them) and the member card's "Coming up".
Registered in campaigns/wagtail_hooks.py."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from campaigns.backoffice.views import Counts, touchpoint_counts
from campaigns.models import Touchpoint
from club.admin_access import clubs_for
from club.functions import club_days


def messages_today(clubs) -> list[tuple[object, Counts]]:
    """Each club's touchpoints due to go today (by send time, on the club's calendar), by
    outcome, from one grouped query."""
    clubs = list(clubs)
    per_club, _ = touchpoint_counts(
        Touchpoint.objects.filter(club_days(clubs, "send_at")), by="club"
    )
    return [(club, per_club.get(club.pk, Counts())) for club in clubs]


class MessagesTodayPanel(Component):
    name = "messages_today"
    order = 30
    template_name = "campaigns/panels/messages_today.html"

    def get_context_data(self, parent_context):
        return {"clubs": messages_today(clubs_for(parent_context["request"].user))}


class ComingUpPanel(Component):
    """The member card's "Coming up": a placeholder that loads views.coming_up once the
    card is on screen, so the dry run never slows finding a member."""

    order = 10
    template_name = "campaigns/panels/coming_up.html"

    def __init__(self, member):
        self.member = member

    def get_context_data(self, parent_context):
        return {"member": self.member}
