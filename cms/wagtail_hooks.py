"""The public site's pages are changed only by staff of the club each site is for.

Wagtail's page permissions (granted on the home page by the role migrations) say what a
role may do; these hooks add where: every site that shows the page must be for a club
the user works at (cms.models.staff_of_pages). Site settings ask the same question
through ClubSiteSettings' permission policy.
"""

from django.urls import path
from wagtail import hooks
from wagtail.admin.auth import permission_denied
from wagtail.models import Page

from campaigns.evaluator import CLUB_SITE_URL_HOOK
from cms import site_admin
from cms.models import public_root_url, staff_of_pages


def _refuse_unless_staff_of(request, *pages):
    """Wagtail's usual refusal (a message and the dashboard) unless every page is theirs."""
    if staff_of_pages(request.user, [page for page in pages if page is not None]):
        return None
    return permission_denied(request)


@hooks.register("before_edit_page")
@hooks.register("before_delete_page")
@hooks.register("before_publish_page")
@hooks.register("before_unpublish_page")
@hooks.register("before_convert_alias_page")
def refuse_another_clubs_page(request, page):
    return _refuse_unless_staff_of(request, page)


@hooks.register("before_create_page")
def refuse_a_page_under_another_clubs_site(request, parent_page, page_class):
    return _refuse_unless_staff_of(request, parent_page)


@hooks.register("before_move_page")
def refuse_a_move_from_or_to_another_club(request, page, destination):
    return _refuse_unless_staff_of(request, page, destination)


@hooks.register("before_copy_page")
def refuse_a_copy_into_another_clubs_site(request, page):
    # Reading the source is harmless; the copy lands under the chosen parent.
    wanted = request.POST.get("new_parent_page", "") if request.method == "POST" else ""
    parent = Page.objects.filter(pk=wanted).first() if wanted.isdigit() else None
    return _refuse_unless_staff_of(request, parent)


@hooks.register("before_bulk_action")
def refuse_bulk_actions_on_another_clubs_pages(request, action_type, objects, action_class):
    pages = [obj for obj in objects if isinstance(obj, Page)]
    destination = None
    if action_type == "move" and pages:
        destination = action_class.cleaned_form.cleaned_data.get("chooser")
    return _refuse_unless_staff_of(request, *pages, destination)


@hooks.register("register_admin_urls")
def open_site_urls():
    return [
        path("club-sites/open/<int:pk>/", site_admin.OpenSiteView.as_view(), name="cms_open_site")
    ]


@hooks.register("register_club_listing_buttons")
def open_site_button(request, club):
    return site_admin.listing_buttons(request, club)


@hooks.register(CLUB_SITE_URL_HOOK)
def club_site_url(club):
    # Links in a club's messages ({{ site_url }}/schedule/) lead to its own site's pages.
    return public_root_url(club)
