"""Wagtail hooks of the trainer screens: their URLs under /admin/trainer/, "My classes", and
today's classes on the back-office home page."""

from django.urls import include, path, reverse
from wagtail import hooks

from checkin.trainer import panels, urls, views
from club import roles
from club.admin_access import RoleMenuItem


@hooks.register("register_admin_urls")
def register_trainer_urls():
    return [path("trainer/", include(urls, namespace="trainer"))]


@hooks.register("register_admin_menu_item")
def register_my_classes_menu_item():
    return RoleMenuItem(
        "My classes",
        reverse("trainer:my_classes"),
        shown_to=views.MY_CLASSES,
        icon_name="calendar-check",
        order=60,
    )


@hooks.register("construct_homepage_panels")
def add_classes_today_panel(request, home_panels):
    # A trainer's own classes; managers see every class under "Classes".
    if roles.has_role(request.user, roles.TRAINER) and not views.is_manager(request.user):
        home_panels.append(panels.ClassesTodayPanel())


@hooks.register("member_page_url", order=10)
def attendance_for_trainers(request):
    # A trainer's names open the attendance history, never the card with contact details; the
    # desk's hook, earlier, sends those who read cards to the card.
    if roles.has_role(request.user, *views.READS_ATTENDANCE):
        return lambda member: reverse("trainer:attendance", args=[member.pk])
    return None
