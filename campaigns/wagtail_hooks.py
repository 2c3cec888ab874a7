"""Wagtail hooks of the lifecycle screens: their URLs under /admin/playbook/, the "Lifecycle"
menu (Playbook, Dry run, Segments, Campaigns) and today's messages on the home page, for
marketing and managers; "Coming up" on the member card."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem

from campaigns.backoffice import panels, urls, views
from campaigns.backoffice.outbox import outbox_viewset
from club import roles
from club.admin_access import RoleMenuItem


@hooks.register("register_admin_urls")
def register_playbook_urls():
    return [path("playbook/", include(urls, namespace="playbook"))]


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return outbox_viewset


@hooks.register("register_admin_menu_item")
def register_lifecycle_menu():
    # The submenu shows itself only when one of its items does.
    items = [
        RoleMenuItem(
            "Playbook",
            reverse("playbook:index"),
            shown_to=views.LIFECYCLE,
            icon_name="list-ol",
            order=100,
        ),
        RoleMenuItem(
            "Dry run",
            reverse("playbook:dry_run"),
            shown_to=views.LIFECYCLE,
            icon_name="view",
            order=200,
        ),
        RoleMenuItem(
            "Segments",
            reverse("playbook:segments"),
            shown_to=views.LIFECYCLE,
            icon_name="group",
            order=300,
        ),
        RoleMenuItem(
            "Campaigns",
            reverse("playbook:campaigns"),
            shown_to=views.LIFECYCLE,
            icon_name="mail",
            order=400,
        ),
        RoleMenuItem(
            "Outbox",
            reverse("outbox:index"),
            shown_to=views.LIFECYCLE,
            icon_name="mail",
            order=500,
        ),
    ]
    return SubmenuMenuItem("Lifecycle", Menu(items=items), icon_name="mail", order=300)


@hooks.register("construct_homepage_panels")
def add_messages_today_panel(request, home_panels):
    if roles.has_role(request.user, *views.LIFECYCLE):
        home_panels.append(panels.MessagesTodayPanel())


@hooks.register("construct_member_card_panels")
def add_coming_up_panel(request, member, card_panels):
    # Every member-card reader (checkin's desk decides who that is) sees what is coming up.
    card_panels.append(panels.ComingUpPanel(member))
