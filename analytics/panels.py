"""The key figures panel on the back-office home page, for managers and marketing: one section
per club they work at. Registered in analytics/wagtail_hooks.py."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from wagtail.admin.ui.components import Component

from analytics import kpis
from club.admin_access import clubs_for
from club.models import Club


def club_context(club: Club, figures: kpis.KeyFigures | None) -> dict:
    """What one club's section shows: its figures (None: not worked out yet) and the report
    links, each set to the period its figure covers so the report shows the same number."""
    if figures is None:
        return {"club": club, "figures": None}
    report = reverse("analytics:renewal")

    def link(start: dt.date | None = None, end: dt.date | None = None, anchor: str = "") -> str:
        query = {"club": club.slug}
        if start and end:
            query |= {"start": start.isoformat(), "end": end.isoformat()}
        return f"{report}?{urlencode(query)}{anchor}"

    today = figures.today
    return {
        "club": club,
        "figures": figures,
        "links": {
            "active": link(anchor="#kpi-active"),
            "renewal": link(figures.renewal_start, figures.renewal_end, "#kpi-renewal-period"),
            "churn": link(anchor="#h-churn"),
            "funnel": link(figures.funnel_start, today, "#h-funnel"),
            "revenue": link(today.replace(day=1), today, "#kpi-revenue"),
        },
    }


class KeyFiguresPanel(Component):
    """Figures already worked out today are shown at once; a club without them gets a
    placeholder that htmx fills from views.key_figures, so the home page never waits the
    second the report's computations take."""

    name = "key_figures"
    order = 5
    template_name = "analytics/panels/key_figures.html"

    class Media:
        css = {"all": ["analytics/key_figures.css"]}
        js = ["django_htmx/htmx-2.min.js"]

    def get_context_data(self, parent_context):
        clubs = list(clubs_for(parent_context["request"].user).order_by("name"))
        found = kpis.cached(clubs)
        return {"clubs": [club_context(club, found.get(club.pk)) for club in clubs]}
