"""The trainer's panel on the back-office home page: their classes today, each opening its
roster. Registered in checkin/trainer/hooks.py."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from checkin import bookings
from checkin.models import ClassSession
from club.admin_access import clubs_for
from club.functions import club_days


class ClassesTodayPanel(Component):
    name = "classes_today"
    order = 10
    template_name = "checkin/trainer/panels/today.html"

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        sessions = ClassSession.objects.filter(
            club_days(clubs_for(request.user), "start"), trainer=request.user
        )
        sessions = sessions.select_related("class_type", "club")
        return {"sessions": bookings.with_counts(sessions).order_by("start", "pk")}
