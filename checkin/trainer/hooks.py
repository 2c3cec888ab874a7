"""Wagtail hooks of the trainer screens: their URLs under /admin/trainer/ and "My classes"."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from checkin.trainer import urls, views
from club import roles


@hooks.register("register_admin_urls")
def register_trainer_urls():
    return [path("trainer/", include(urls, namespace="trainer"))]


class MyClassesMenuItem(MenuItem):
    def is_shown(self, request):
        return roles.has_role(request.user, *views.MY_CLASSES)


@hooks.register("register_admin_menu_item")
def register_my_classes_menu_item():
    return MyClassesMenuItem(
        "My classes", reverse("trainer:my_classes"), icon_name="calendar-check", order=60
    )
