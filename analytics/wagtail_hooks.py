"""The renewal dashboard under /admin/analytics/, in Wagtail's Reports menu for managers and
marketing."""

from django.urls import include, path, reverse
from wagtail import hooks

from analytics import urls, views
from club.admin_access import RoleMenuItem


@hooks.register("register_admin_urls")
def register_analytics_urls():
    return [path("analytics/", include(urls, namespace="analytics"))]


@hooks.register("register_reports_menu_item")
def register_renewal_report():
    return RoleMenuItem(
        "Renewal",
        reverse("analytics:renewal"),
        shown_to=views.REPORTS,
        icon_name="table",
        order=50,
    )
