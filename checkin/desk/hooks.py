"""Wagtail hooks of the front desk: its URLs under /admin/desk/, its menu items, its panels on
the back-office home page, and the sidebar's search box for the desk."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.search import SearchArea

from checkin import bookings
from checkin.desk import panels, urls, views
from club import roles
from club.admin_access import RoleMenuItem
from club.time_zones import WORKING_CLUB_HOOK
from members.erasure import ERASE_LINK_HOOK
from members.staff_tasks import TASK_LINK_HOOK
from memberships.wagtail_hooks import FREEZE_HOOK


@hooks.register("register_admin_urls")
def register_desk_urls():
    return [path("desk/", include(urls, namespace="desk"))]


@hooks.register(WORKING_CLUB_HOOK)
def desk_screens_are_at_the_desk_club(request):
    # The desk, the member card and what they post work at the desk's club: someone working
    # at clubs in two zones sees and types that club's times there.
    match = request.resolver_match
    if match is None or "desk" not in match.namespaces:
        return None
    return views.working_club(request)


@hooks.register("register_admin_menu_item")
def register_desk_menu_item():
    return RoleMenuItem(
        "Front desk", reverse("desk:desk"), shown_to=roles.DESK, icon_name="key", order=50
    )


@hooks.register("register_admin_menu_item")
def register_tasks_menu_item():
    return RoleMenuItem(
        "Tasks", reverse("desk:tasks"), shown_to=roles.ALL, icon_name="tasks", order=55
    )


@hooks.register(TASK_LINK_HOOK)
def task_on_the_member_card(task):
    # The card lists the member's open tasks, with Done and "Log a call".
    return reverse("desk:member", args=[task.member_id])


@hooks.register(ERASE_LINK_HOOK)
def erase_on_the_member_card(member):
    # A member's erasure request task links to the manager's erase page.
    return reverse("desk:erase_data", args=[member.pk])


@hooks.register(FREEZE_HOOK)
def freeze_and_cancel_classes(membership, *, start, end, reason, by):
    # The back-office's "Add freeze" cancels the classes inside it, as the desk's Freeze does.
    done = bookings.freeze_membership(membership, start=start, end=end, reason=reason, by=by)
    return done.freeze, done.cancelled_text()


@hooks.register("construct_homepage_panels")
def add_desk_panels(request, home_panels):
    if roles.has_role(request.user, *roles.DESK):
        home_panels.append(panels.DeskTodayPanel())
    if roles.has_role(request.user, *roles.ALL):
        home_panels.append(panels.TasksPanel())


class DeskSearchArea(SearchArea):
    """The sidebar's search box, for the front desk and managers, finds members on the desk
    (with their badges and a check-in button). It comes before the members list's and the
    public site's page search (members/wagtail_hooks.py, Wagtail's "Pages")."""

    def __init__(self):
        super().__init__("Members", reverse("desk:search"), name="desk", icon_name="key", order=10)

    def is_shown(self, request) -> bool:
        return roles.has_role(request.user, *roles.DESK)


@hooks.register("register_admin_search_area")
def register_desk_search_area():
    return DeskSearchArea()


@hooks.register("member_page_url", order=0)
def member_card_for_card_readers(request):
    # The members list's names open the card for those who may read it (members/wagtail_hooks).
    if roles.has_role(request.user, *roles.READS_MEMBER_CARD):
        return lambda member: reverse("desk:member", args=[member.pk])
    return None
