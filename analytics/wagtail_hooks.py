"""The renewal dashboard under /admin/analytics/, in Wagtail's Reports menu for managers and
marketing."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from analytics import urls, views
from club import roles


@hooks.register("register_admin_urls")
def register_analytics_urls():
    return [path("analytics/", include(urls, namespace="analytics"))]


class ReportsItem(MenuItem):
    def is_shown(self, request):
        return roles.has_role(request.user, *views.REPORTS)


@hooks.register("register_reports_menu_item")
def register_renewal_report():
    return ReportsItem("Renewal", reverse("analytics:renewal"), icon_name="table", order=50)
