"""The public site: Wagtail pages that marketing edits, and the club's site-wide settings.

Which club a site shows is a site setting (`ClubSiteSettings.club`): one Wagtail Site per
club of a chain (`cms.sites.open_site` makes one). The default site, while its setting is
empty, shows the first club, so a fresh `migrate` plus the demo seed gives a working site
without anyone opening the settings; any other site shows no club until one is chosen.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.functional import cached_property
from phonenumber_field.modelfields import PhoneNumberField
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager, Site
from wagtail.permission_policies.sites import SitePermissionPolicy
from wagtail.query import PageQuerySet

from checkin import bookings
from checkin.models import ClassSession, ClassType
from club import clock, hours
from club.display import format_price
from club.models import Club
from cms import trials
from cms.forms import TrialSignupForm
from memberships.models import Plan

logger = logging.getLogger(__name__)

DEFAULT_SMS_WORDING = (
    "Yes, text me about my free trial, my classes and the club's offers. "
    "I can reply STOP to any message to stop them."
)
DEFAULT_EMAIL_WORDING = (
    "Yes, email me about my free trial, my classes and the club's offers. "
    "Every email has a link to unsubscribe."
)

# Where the trial page keeps the booking it just made, for the thank-you page after the redirect.
TRIAL_SESSION_KEY = "cms_trial_booking"


class ClubSitePermissionPolicy(SitePermissionPolicy):
    """Wagtail's site-setting permissions, narrowed to sites of clubs the user works at:
    the settings screen, its site switcher and its menu's redirect all ask this policy."""

    def user_has_any_permission_for_instance(self, user, actions, instance):
        site = instance if isinstance(instance, Site) else instance.site
        allowed = super().user_has_any_permission_for_instance(user, actions, instance)
        return allowed and staff_of_sites(user, [site])

    def sites_user_has_any_permission_for(self, user, actions):
        sites = super().sites_user_has_any_permission_for(user, actions)
        if user.is_superuser:
            return sites
        own = set(Club.objects.for_staff(user).values_list("pk", flat=True))
        clubs = clubs_of_sites(sites)
        return sites.filter(pk__in=[site for site, club in clubs.items() if club in own])


class ClubSiteSettingsForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is not None and not user.is_superuser:
            # Staff point a site only at one of their clubs, and not at "the first
            # club", which may be another club's.
            self.fields["club"].queryset = Club.objects.for_staff(user)
            self.fields["club"].required = True


@register_setting(icon="site")
class ClubSiteSettings(BaseSiteSetting):
    """Site-wide settings: which club this site is for, how to reach it, and consent texts."""

    club = models.ForeignKey(
        Club,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The club this site shows: its schedule, plans and trial sign-ups. "
        "Empty: the first club on the default site; on any other site, no club.",
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown in the header on a dark background; a light logo works best.",
    )
    phone = PhoneNumberField(blank=True, help_text="Empty: the club's phone number.")
    email = models.EmailField(blank=True, help_text="Contact address shown on the site.")
    address = models.TextField(blank=True, help_text="Empty: the club's postal address.")
    opening_hours = models.TextField(
        blank=True,
        help_text="Empty: the club's own opening hours, as set in its settings (those its "
        "call tasks follow). Text here overrides them: one line per row, e.g. "
        "“Mon–Fri: 06:30–22:00”.",
    )
    sms_consent_wording = models.TextField(
        "SMS consent wording",
        default=DEFAULT_SMS_WORDING,
        help_text="The SMS consent checkbox on the trial form; stored with every consent given.",
    )
    email_consent_wording = models.TextField(
        default=DEFAULT_EMAIL_WORDING,
        help_text="The email consent checkbox on the trial form; stored with every consent given.",
    )

    select_related = ["club", "logo", "site__root_page"]
    base_form_class = ClubSiteSettingsForm

    panels = [
        FieldPanel("club"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [
                FieldPanel("phone"),
                FieldPanel("email"),
                FieldPanel("address"),
                FieldPanel("opening_hours"),
            ],
            heading="Contact and opening hours",
        ),
        MultiFieldPanel(
            [FieldPanel("sms_consent_wording"), FieldPanel("email_consent_wording")],
            heading="Consent wording",
        ),
    ]

    class Meta:
        verbose_name = "Club site"

    @classmethod
    def get_permission_policy(cls):
        return ClubSitePermissionPolicy(cls)

    # Where the header's club name links: this site's root. club_site_for gives another
    # club's settings the root address of that club's own site.
    home_url = "/"

    @cached_property
    def shown_club(self) -> Club | None:
        if self.club is not None:
            return self.club
        # Only the default site falls back to the first club: a site added by hand would
        # otherwise show that club's schedule and take sign-ups for it at another address.
        return Club.objects.order_by("pk").first() if self.site.is_default_site else None

    @property
    def contact_phone(self):
        return self.phone or (self.shown_club.phone if self.shown_club else "")

    @property
    def contact_address(self) -> str:
        return self.address or (self.shown_club.address if self.shown_club else "")

    @property
    def opening_hours_rows(self) -> list[tuple[str, str]]:
        """("Mon–Fri", "06:30–22:00") per line; a line without ": " is one cell. Without a
        text, the club's own opening hours (those its call tasks follow)."""
        if not self.opening_hours.strip():
            return hours.week_rows(self.shown_club) if self.shown_club else []
        rows = []
        for line in self.opening_hours.splitlines():
            if line.strip():
                days, _, times = line.strip().partition(": ")
                rows.append((days, times))
        return rows

    @cached_property
    def menu_pages(self) -> list[Page]:
        """The header navigation: live pages under the home page with "Show in menus" on."""
        return list(self.site.root_page.get_children().live().in_menu())


def site_settings(request) -> ClubSiteSettings | None:
    try:
        return ClubSiteSettings.for_request(request)
    except ClubSiteSettings.DoesNotExist:  # no Wagtail Site at all
        return None


class ClubContact:
    """The header and footer of a club with no site of its own: the club's own record, in the
    shape of ClubSiteSettings that the base template reads."""

    logo = None
    email = ""
    # No site of its own: the club name in the header links nowhere (not to this site's
    # home, another club's).
    home_url = ""

    def __init__(self, club: Club):
        self.shown_club = club
        self.contact_phone = club.phone
        self.contact_address = club.address

    @cached_property
    def opening_hours_rows(self) -> list[tuple[str, str]]:
        return hours.week_rows(self.shown_club)


def club_site_for(request, club: Club) -> ClubSiteSettings | ClubContact:
    """What the public pages' header and footer show to a member of `club`: this site's
    settings when it shows that club, else the club's own site's, else the club's record (a
    member of a chain's other club signs in on whichever site they reach). Its `home_url` is
    where the club's name links: "/", the root of the club's own site, or "" (no link)."""
    current = site_settings(request)
    if current is not None and current.shown_club == club:
        return current
    own = ClubSiteSettings.objects.filter(club=club).select_related("club", "logo", "site").first()
    if own is None:
        return ClubContact(club)
    own.home_url = f"{own.site.root_url}/"
    return own


def clubs_of_sites(sites) -> dict[int, int | None]:
    """The pk of the club each site shows, by site pk (no club chosen: the first club on the
    default site, None on another, as the site shows it), in one query, without creating
    settings rows."""
    chosen = dict(
        ClubSiteSettings.objects.filter(site__in=sites, club__isnull=False).values_list(
            "site_id", "club_id"
        )
    )
    first = Club.objects.order_by("pk").values_list("pk", flat=True).first()
    return {site.pk: chosen.get(site.pk, first if site.is_default_site else None) for site in sites}


def site_of_club(club: Club) -> Site | None:
    """The Wagtail site that shows `club` (its settings name the club; the default site with
    no club chosen shows the first club), the default site first; None when no site shows it."""
    sites = list(Site.objects.select_related("root_page").order_by("-is_default_site", "pk"))
    shown = clubs_of_sites(sites)
    return next((site for site in sites if shown[site.pk] == club.pk), None)


def public_root_url(club: Club) -> str:
    """Where the club's members reach its public site and portal, for links sent to them: its
    own site's configured address; SITE_URL when the default site shows it (that site answers
    any host name, so its stored "localhost" names no address) or none does."""
    site = site_of_club(club)
    if site is None or site.is_default_site:
        return django_settings.SITE_URL.rstrip("/")
    return site.root_url


def club_pages(club: Club) -> tuple[TrialPage | None, PlansPage | None]:
    """The live trial sign-up page and plans page of the club's own site, if it has them."""
    site = site_of_club(club)
    if site is None:
        return None, None
    return (
        TrialPage.objects.live().in_site(site).first(),
        PlansPage.objects.live().in_site(site).first(),
    )


def staff_of_sites(user, sites) -> bool:
    """Whether the user works at the club of every one of `sites` (superusers always).

    Like a rule's clubs: who changes what the public sees must work wherever it is
    shown. Nothing outside every site is any club's, so only superusers change it."""
    if user.is_superuser:
        return True
    if not sites:
        return False
    own = set(Club.objects.for_staff(user).values_list("pk", flat=True))
    return all(club in own for club in clubs_of_sites(sites).values())


def staff_of_pages(user, pages) -> bool:
    """Whether the user may change every one of `pages`: each lies in some site's page tree
    (one tree may serve several clubs' sites), and the user works at the club of every site
    that shows one of them. No pages: nothing to refuse."""
    if user.is_superuser or not pages:
        return True
    sites = list(Site.objects.select_related("root_page"))
    showing = [[s for s in sites if page.path.startswith(s.root_page.path)] for page in pages]
    if not all(showing):
        return False
    return staff_of_sites(user, list({s.pk: s for found in showing for s in found}.values()))


def site_root_url(request) -> str:
    """The root address of the Wagtail site this request is for, as an editor configured it
    (never the Host header as sent, which could be forged); SITE_URL when no site has the
    request's host name. For addresses that must be absolute, such as Stripe's way back."""
    site = Site.find_for_request(request)
    host, _port = split_domain_port(request.get_host())
    if site is not None and site.hostname == host:
        return site.root_url
    return django_settings.SITE_URL.rstrip("/")


def site_club(request) -> Club | None:
    """The club the public site shows for this request (None when there is no club yet)."""
    found = site_settings(request)
    return found.shown_club if found else Club.objects.order_by("pk").first()


def local_day_label(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "Today"
    if day == today + dt.timedelta(days=1):
        return "Tomorrow"
    return f"{day:%A} {day.day} {day:%B}"


def spots_label(seats_left: int) -> str:
    if seats_left <= 0:
        return "Full"
    return f"{seats_left} spot{'s' if seats_left != 1 else ''} left"


def waitlist_url(session: ClassSession, day: dt.date) -> str:
    """Where a member joins a full class's waitlist: the portal's booking page on the class's
    day, at the class. The class is named in the query, not only in a #fragment, because a
    visitor signs in first and a browser never sends the fragment on to the sign-in page."""
    return f"{reverse('portal:schedule')}?from={day.isoformat()}&class={session.pk}"


def duration_label(days: int) -> str:
    named = {7: "1 week", 14: "2 weeks", 30: "1 month", 31: "1 month", 365: "1 year"}
    if days in named:
        return named[days]
    if days % 30 == 0:
        return f"{days // 30} months"
    if days % 7 == 0:
        return f"{days // 7} weeks"
    return f"{days} days"


def trainer_pages_by_user() -> dict[int, TrainerPage]:
    """Live trainer pages keyed by the staff user they present, so schedules can link them."""
    pages = TrainerPage.objects.live().filter(staff_user__isnull=False)
    return {page.staff_user_id: page for page in pages}


def schedule_days(
    sessions, *, club: Club, days: int, trainer_pages: dict | None = None
) -> list[dict]:
    """Sessions grouped by their local day at the club; every day of the window is listed,
    even an empty one, so a visitor sees "no classes" instead of a missing day."""
    zone = clock.zone(club)
    today = clock.today(club)
    trainer_pages = trainer_pages or {}
    # "Try it free" only where the trial form will offer the class.
    now = clock.now()
    trial_from = now + dt.timedelta(minutes=club.booking_closes_minutes_before)
    trial_until = now + dt.timedelta(
        days=min(trials.TRIAL_WINDOW_DAYS, club.booking_opens_days_ahead)
    )
    by_day: dict[dt.date, list[dict]] = {today + dt.timedelta(days=n): [] for n in range(days)}
    for session in sessions:
        local_start = session.start.astimezone(zone)
        by_day.setdefault(local_start.date(), []).append(
            {
                "session": session,
                # Formatted here: template date filters would convert to the server's zone.
                "start": local_start.isoformat(),
                "time": f"{local_start:%H:%M}",
                "end_time": f"{session.end.astimezone(zone):%H:%M}",
                "trainer_name": session.trainer.first_name if session.trainer else "",
                "trainer_page": trainer_pages.get(session.trainer_id),
                "seats_left": session.seats_left,
                "spots": spots_label(session.seats_left),
                "is_full": session.seats_left <= 0,
                "waitlist_url": waitlist_url(session, local_start.date())
                if session.seats_left <= 0
                else "",
                "few_left": 0 < session.seats_left <= 3,
                "trial_open": session.class_type.trial_eligible
                and session.seats_left > 0
                and trial_from < session.start <= trial_until,
            }
        )
    return [
        {"date": day, "label": local_day_label(day, today), "sessions": items}
        for day, items in sorted(by_day.items())
    ]


def trial_page_of(page: Page) -> TrialPage | None:
    """The live trial sign-up page of the site `page` belongs to."""
    site = page.get_site()
    return TrialPage.objects.live().in_site(site).first() if site else None


def upcoming(club: Club, *, days: int, class_type: ClassType | None = None):
    """Sessions from now until the end of the club's day `days - 1` days from today."""
    until = clock.start_of_day(clock.today(club) + dt.timedelta(days=days), club)
    sessions = bookings.upcoming_sessions(club, start=clock.now(), days=days, class_type=class_type)
    return sessions.filter(start__lt=until)


class HomePage(Page):
    """The club's public home page, edited by marketing in the back-office."""

    heading = models.CharField(
        max_length=120,
        blank=True,
        default="Your first class is on us",
        help_text="The big line at the top; the page title when empty.",
    )
    intro = RichTextField(blank=True, help_text="The first thing a visitor reads.")
    body = RichTextField(blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("heading"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]

    parent_page_types = ["wagtailcore.Page"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        club = site_club(request)
        context["club"] = club
        if club is not None:
            sessions = list(upcoming(club, days=2)[:4])
            context["next_sessions"] = schedule_days(sessions, club=club, days=0)
            cheapest = (
                Plan.objects.filter(club=club, is_active=True)
                .exclude(kind=Plan.Kind.TRIAL)
                .order_by("price")
                .first()
            )
            context["from_price"] = format_price(cheapest.price, club.currency) if cheapest else ""
        context["schedule_page"] = SchedulePage.objects.live().descendant_of(self).first()
        context["plans_page"] = PlansPage.objects.live().descendant_of(self).first()
        context["trial_page"] = trial_page_of(self)
        return context


class SchedulePage(Page):
    """The class timetable for the next days, by local day, filterable by class type."""

    intro = RichTextField(blank=True)
    days_shown = models.PositiveSmallIntegerField(
        default=7, help_text="How many days ahead the schedule shows, today included."
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("days_shown")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        club = site_club(request)
        context["club"] = club
        if club is None:
            return context
        class_types = list(ClassType.objects.filter(club=club))
        chosen = None
        wanted = request.GET.get("class", "")
        if wanted.isdigit():
            # An unknown or foreign id shows every class rather than an error.
            chosen = next((ct for ct in class_types if ct.pk == int(wanted)), None)
        sessions = upcoming(club, days=self.days_shown, class_type=chosen)
        context.update(
            class_types=class_types,
            chosen_class_type=chosen,
            days=schedule_days(
                sessions, club=club, days=self.days_shown, trainer_pages=trainer_pages_by_user()
            ),
            trial_page=trial_page_of(self),
        )
        return context


class PlansPage(Page):
    """Plans and prices, read from the club's active plans: no price is typed in twice."""

    intro = RichTextField(blank=True)
    footnote = RichTextField(blank=True, help_text="Small print under the plans.")

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("footnote")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        club = site_club(request)
        context["club"] = club
        if club is not None:
            plans = Plan.objects.filter(club=club, is_active=True).exclude(kind=Plan.Kind.TRIAL)
            # Memberships first, cheapest first; visit cards after them.
            ordered = sorted(plans, key=lambda plan: (plan.is_pack, plan.price, plan.name))
            context["plans"] = [plan_card(plan, club) for plan in ordered]
            context["trial_page"] = trial_page_of(self)
        return context


def plan_card(plan: Plan, club: Club) -> dict:
    """What a visitor needs to compare plans: the price and what is included, in words."""
    duration = duration_label(plan.duration_days)
    included = []
    if plan.is_pack:
        per_visit = (plan.price / plan.visits_included).quantize(Decimal("0.01"))
        included.append(f"{plan.visits_included} visits, to use within {duration}")
        included.append(f"{format_price(per_visit, club.currency)} per visit")
        period = f"for {plan.visits_included} visits"
    else:
        included.append(f"Unlimited visits for {duration}")
        # "per month" for one unit, "for 3 months" for several.
        period = f"per {duration[2:]}" if duration.startswith("1 ") else f"for {duration}"
    included.append("Group classes included" if plan.allows_classes else "Gym floor only")
    included.append("Train at every club of ours" if plan.valid_at_all_clubs else f"At {club}")
    if plan.auto_renew:
        included.append("Renews automatically")
    return {
        "plan": plan,
        "price": format_price(plan.price, club.currency),
        "period": period,
        "included": included,
    }


class TrainersIndexPage(Page):
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.TrainerPage"]
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["trainers"] = (
            TrainerPage.objects.live()
            .child_of(self)
            .teaching_at(site_club(request))
            .select_related("photo")
            .order_by("title")
        )
        return context


class TrainerPageQuerySet(PageQuerySet):
    def teaching_at(self, club: Club | None) -> TrainerPageQuerySet:
        """Pages of the club's trainers, and those linked to no login (an editor's page, shown
        wherever it was put): one page tree may serve several clubs' sites."""
        unlinked = Q(staff_user__isnull=True)
        return self.filter(unlinked if club is None else unlinked | Q(staff_user__clubs=club))


class TrainerPage(Page):
    """One trainer: the page title is their name."""

    objects = PageManager.from_queryset(TrainerPageQuerySet)()

    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    specialities = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated, e.g. “Spin, HIIT, strength”."
    )
    bio = RichTextField(blank=True)
    staff_user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trainer_pages",
        limit_choices_to={"is_staff": True},
        help_text="The trainer's back-office login: links their classes on the schedule.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("photo"),
        FieldPanel("specialities"),
        FieldPanel("bio"),
        FieldPanel("staff_user"),
    ]
    parent_page_types = ["cms.TrainersIndexPage"]
    subpage_types: list[str] = []

    @property
    def speciality_list(self) -> list[str]:
        return [item.strip() for item in self.specialities.split(",") if item.strip()]

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.title.split()[:2]).upper()

    def serve(self, request, *args, **kwargs):
        # Another club's trainer is not on this club's site, even by a typed-in address.
        club = site_club(request)
        if not TrainerPage.objects.filter(pk=self.pk).teaching_at(club).exists():
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        club = site_club(request)
        if club is not None and self.staff_user_id:
            sessions = upcoming(club, days=7).filter(trainer_id=self.staff_user_id)
            days = schedule_days(sessions, club=club, days=0, trainer_pages={})
            context["class_days"] = [day for day in days if day["sessions"]]
            context["trial_page"] = trial_page_of(self)
        return context


class TrialPage(RoutablePageMixin, Page):
    """The free-trial sign-up: a form that captures the lead, books the class and asks the
    front desk to call within 15 minutes (cms/trials.py does the work)."""

    intro = RichTextField(
        blank=True, default="<p>Pick a class, tell us who you are, and come and try it.</p>"
    )
    thank_you = RichTextField(
        blank=True,
        default="<p>Someone from the front desk will call you within 15 minutes (during "
        "opening hours) to say hello and answer your questions. Bring comfortable clothes, "
        "a towel and a bottle of water, and be at the desk 10 minutes before the class.</p>",
        help_text="Shown after signing up for a class: what happens next.",
    )
    # A sign-up with no class chosen ("call me back") must not be told to come before "the
    # class": it has none yet.
    thank_you_no_class = RichTextField(
        blank=True,
        default="<p>Someone from the front desk will call you within 15 minutes (during "
        "opening hours) to say hello, answer your questions and find a class that suits "
        "you.</p>",
        help_text="Shown after signing up without choosing a class: what happens next.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("thank_you"),
        FieldPanel("thank_you_no_class"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    @path("")
    def sign_up(self, request):
        club = site_club(request)
        if club is None:
            return self.render(request, context_overrides={"club": None})
        found = site_settings(request)
        wordings = trials.ConsentWordings(
            sms=found.sms_consent_wording if found else DEFAULT_SMS_WORDING,
            email=found.email_consent_wording if found else DEFAULT_EMAIL_WORDING,
        )
        sessions = trials.offered_sessions(club)
        form_kwargs = {"sessions": sessions, "wordings": wordings, "club": club}
        if request.method == "POST":
            form = TrialSignupForm(request.POST, **form_kwargs)
            if form.is_spam():
                # Look like success to the bot; keep nothing.
                logger.info("Trial form honeypot filled; sign-up discarded.")
                request.session[TRIAL_SESSION_KEY] = {}  # the thank-you page, naming nothing
                return HttpResponseRedirect(self.path_here(request, "thanks"))
            if form.is_valid():
                try:
                    trials.sign_up_for_trial(club, **form.signup_arguments())
                except trials.TrialSignupError as error:
                    form.add_error(error.field, error.message)
                else:
                    # The thank-you page shows only what the visitor sent, never what was
                    # found: whether the email or phone is known, or the record's spelling
                    # of the name, is not for whoever typed them.
                    arguments = form.signup_arguments()
                    request.session[TRIAL_SESSION_KEY] = {
                        "session": arguments["session"].pk if arguments["session"] else None,
                        "first_name": arguments["first_name"],
                    }
                    return HttpResponseRedirect(self.path_here(request, "thanks"))
            form.focus_first_error()
        else:
            form = TrialSignupForm(initial=self.initial_from(request, sessions), **form_kwargs)
        # Only for the schedule's link: a sent form speaks through its errors.
        wanted = request.GET.get("session", "") if request.method == "GET" else ""
        return self.render(
            request,
            context_overrides={
                "club": club,
                "form": form,
                "has_sessions": "session" in form.fields,
                "session_notice": trials.unavailable_notice(club, wanted, sessions),
            },
        )

    @path("thanks/", name="thanks")
    def thanks(self, request):
        if TRIAL_SESSION_KEY not in request.session:
            # Opened directly, no sign-up in this session: "Thank you! We have your details."
            # would thank someone who sent nothing.
            return HttpResponseRedirect(self.path_here(request))
        club = site_club(request)
        signed_up = request.session[TRIAL_SESSION_KEY]
        if not isinstance(signed_up, dict):
            signed_up = {}  # a booking id kept before names were: greet nobody by name
        session = None
        if session_id := signed_up.get("session"):
            session = (
                ClassSession.objects.select_related("class_type", "club", "trainer")
                .filter(pk=session_id)
                .first()
            )
        when = ""
        if session is not None:
            start = session.start.astimezone(clock.zone(session.club))
            when = f"{start:%A} {start.day} {start:%B} at {start:%H:%M}"
        return self.render(
            request,
            template="cms/trial_page_thanks.html",
            context_overrides={
                "club": club,
                "session": session,
                "when": when,
                "first_name": signed_up.get("first_name", ""),
            },
        )

    def path_here(self, request, subpage: str = "") -> str:
        """This page's path (or a subpage's) on the site the request came to, host left out:
        `self.url` is the first site's full address when sites share the page tree, so a
        sign-up on a second site (127.0.0.1:8073) was sent on to http://localhost/trial/thanks/.
        """
        path = self.get_url_parts(request)[2]
        return path + self.reverse_subpage(subpage) if subpage else path

    @staticmethod
    def initial_from(request, sessions: list[ClassSession]) -> dict:
        """?session=ID (the schedule's "Try it free" link) picks that class in the form."""
        wanted = request.GET.get("session", "")
        if wanted.isdigit() and any(session.pk == int(wanted) for session in sessions):
            return {"session": int(wanted)}
        return {}
