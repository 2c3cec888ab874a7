"""The dashboard's search box: the same destination as the sidebar's."""

from django import template
from wagtail.admin.search import admin_search_areas

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_search(context) -> dict | None:
    """The first search area shown to this user, as Wagtail's sidebar picks it: where the
    dashboard's box sends its `q` and what it says; None when no area is shown. Wagtail's own
    box always searched pages, which the front desk may not, and which hold no member."""
    areas = admin_search_areas.search_items_for_request(context["request"])
    if not areas:
        return None
    area = areas[0]
    return {"url": area.url, "placeholder": f"Search {area.label.lower()}…"}
