"""Wagtail hooks of the front desk: its URLs under /admin/desk/ and its menu item."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from checkin.desk import urls
from club import roles


@hooks.register("register_admin_urls")
def register_desk_urls():
    return [path("desk/", include(urls, namespace="desk"))]


class DeskMenuItem(MenuItem):
    def is_shown(self, request):
        return roles.has_role(request.user, *roles.DESK)


@hooks.register("register_admin_menu_item")
def register_desk_menu_item():
    return DeskMenuItem("Front desk", reverse("desk:desk"), icon_name="key", order=50)
