"""The dashboard's search box: the same destination as the sidebar's."""

from django import template
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.search import admin_search_areas

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_search(context) -> dict | None:
    """The first search area shown to this user, as Wagtail's sidebar picks it, with a form
    named after it; None when no area is shown. Wagtail's own box always searched pages,
    which the front desk may not, and which hold no member."""
    areas = admin_search_areas.search_items_for_request(context["request"])
    if not areas:
        return None
    area = areas[0]
    return {"url": area.url, "form": SearchForm(placeholder=f"Search {area.label.lower()}…")}
