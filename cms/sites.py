"""A club's own public site: a Wagtail Site with its own page tree and settings.

`open_site` is what the Clubs screen's "Open public site" and `manage.py open_club_site`
call, so a new club gets a site without a superuser building its pages by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from wagtail.models import GroupPagePermission, Page, Site

from club import roles
from club.models import Club
from cms.models import (
    ClubSiteSettings,
    HomePage,
    PlansPage,
    SchedulePage,
    TrainersIndexPage,
    TrialPage,
    site_of_club,
)

# The same pages, texts and rights as migration 0004 gives the first site (a migration's
# copy is frozen with it, so it is not imported from there).
DEFAULT_PAGES = [
    (
        SchedulePage,
        "Schedule",
        "schedule",
        {
            "intro": "<p>Every class this week, with the spots still free. Classes marked "
            "<b>Free trial</b> are open to first-timers: your first one is on us.</p>"
        },
    ),
    (
        PlansPage,
        "Plans",
        "plans",
        {
            "intro": "<p>Simple plans for every week: unlimited training or a visit card. "
            "Not sure yet? Try a class for free first.</p>",
            "footnote": "<p>Questions about a plan? Ask us at the front desk or give us "
            "a call.</p>",
        },
    ),
    (
        TrainersIndexPage,
        "Trainers",
        "trainers",
        {"intro": "<p>Meet the people who run our classes and the gym floor.</p>"},
    ),
    (TrialPage, "Free trial", "trial", {}),
]
HOME_INTRO = "<p>Train with us: classes every day, friendly trainers, and a free trial.</p>"
MARKETING_PAGES = ["add_page", "change_page", "publish_page"]
ROLE_PAGE_PERMISSIONS = {
    roles.MARKETING: MARKETING_PAGES,
    roles.MANAGER: [*MARKETING_PAGES, "bulk_delete_page", "lock_page", "unlock_page"],
}


@dataclass
class SiteError(Exception):
    """Why a site cannot be opened, and the form field it is about."""

    field: str
    message: str


def open_site(club: Club, hostname: str, port: int = 80) -> Site:
    """The club's own site at hostname:port: a Site with a fresh copy of the default pages
    (home, Schedule, Plans, Trainers, Free trial), its ClubSiteSettings naming the club, and
    the role groups' page rights on the new home page. Calling it again for the club and
    address returns the site it made; an address another site has, or a club that already
    shows elsewhere, is a SiteError."""
    hostname = hostname.strip().lower()
    with transaction.atomic():
        # One opening per club at a time: the second caller waits, then finds the site.
        Club.objects.select_for_update().get(pk=club.pk)
        existing = site_of_club(club)
        if existing is not None:
            if (existing.hostname, existing.port) == (hostname, port):
                return existing
            address = f"{existing.hostname}:{existing.port}"
            raise SiteError("hostname", f"{club.name} already has a site at {address}.")
        if Site.objects.filter(hostname=hostname, port=port).exists():
            raise SiteError("hostname", f"{hostname}:{port} is already another site's address.")
        try:
            # The unique (hostname, port) decides a race between two clubs.
            with transaction.atomic():
                home = _create_pages(club)
                site = Site.objects.create(
                    hostname=hostname, port=port, root_page=home, site_name=club.name
                )
        except IntegrityError as error:
            raise SiteError(
                "hostname", f"{hostname}:{port} is already another site's address."
            ) from error
        # Phone and address stay empty: the site reads them from the club's record, so a
        # change there shows at once. The email has no field on the club but its sender.
        ClubSiteSettings.objects.create(site=site, club=club, email=club.email_sender)
        _grant_roles(home)
    return site


def _create_pages(club: Club) -> HomePage:
    # Serialise additions under the tree's root: treebeard numbers a new child from the last.
    root = Page.objects.select_for_update().get(pk=Page.get_first_root_node().pk)
    slug = _free_slug(root, club.slug)
    home = root.add_child(
        instance=HomePage(title=club.name, slug=slug, intro=HOME_INTRO, show_in_menus=False)
    )
    for page_class, title, page_slug, fields in DEFAULT_PAGES:
        home.add_child(
            instance=page_class(title=title, slug=page_slug, show_in_menus=True, **fields)
        )
    return home


def _free_slug(root: Page, wanted: str) -> str:
    taken = set(root.get_children().values_list("slug", flat=True))
    slug, n = wanted, 1
    while slug in taken:
        n += 1
        slug = f"{wanted}-{n}"
    return slug


def _grant_roles(home: Page) -> None:
    """Marketing and managers edit this tree as they do the first site's; the page hooks
    still keep each club's staff to their own club's sites."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_PAGE_PERMISSIONS)}
    permissions = {
        permission.codename: permission
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in={c for codenames in ROLE_PAGE_PERMISSIONS.values() for c in codenames},
        )
    }
    # One insert; a grant the tree already has is skipped by Wagtail's unique constraint.
    GroupPagePermission.objects.bulk_create(
        [
            GroupPagePermission(group=groups[role], page=home, permission=permissions[codename])
            for role, codenames in ROLE_PAGE_PERMISSIONS.items()
            if role in groups
            for codename in codenames
            if codename in permissions
        ],
        ignore_conflicts=True,
    )
