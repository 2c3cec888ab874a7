"""The member portal: a member's own membership, visits, bookings, messages and calendar.

Every page goes through `portal_view`, which signs the visitor in or sends them to the
login page and hands the view the one Member it may show (`portal_member`). Views read
only through that member (`member.bookings`, `member.visits`, …), so another member's id
in a URL is a 404.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage.base import Message
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from sesame import settings as sesame_settings

from checkin import bookings
from checkin.models import Booking, ClassSession, ClassType
from club import clock
from cms.models import club_pages, club_site_for, site_root_url, spots_label
from cms.portal import auth, feeds, selectors
from cms.portal.forms import AutoRenewForm, ConsentForm, LoginForm
from members import consent, erasure, export
from members.models import Member
from memberships import autorenew
from memberships.models import Membership, StripeEvent
from memberships.stripe import checkout, saved_cards
from memberships.stripe import client as stripe

# What stops an erasure today (members.erasure.refusals), in the member's words; the manager's
# page says it to staff ("cancel it first").
ERASURE_REFUSALS = {
    "membership": (
        "You have a membership in force or starting later: we can erase your data only once "
        "it has ended. We'll contact you about it."
    ),
    "bookings": (
        "You have classes booked (or a waitlist place) still to come. You can cancel them "
        "first in My bookings; otherwise we'll contact you about them."
    ),
}
ERASURE_REFUSED = "There is something we need to settle with you first: we'll contact you."
# What "Make a new link" on the calendar page asks before it resets the feed's secret URL.
RESET_QUESTION = (
    "Make a new calendar link? The old link stops working: calendars that use it stop "
    "showing your classes until you add the new one."
)
VISITS_PER_PAGE = 25
SCHEDULE_DAYS = 7
# What the schedule shows in place of Book, by bookings.class_refusals' reason.
CLASS_REFUSALS = {
    "expired": "Renew your membership to book",
    "no_visits_left": "No visits left: top up to book",
    "no_class_membership": "Booking needs a membership with classes",
}
# For a member who never had a membership of their own (a lead, or a trial member whose trial
# ended: selectors.had_membership), whether a trial ended or there was none: nothing to renew.
NEVER_HAD_REFUSAL = "Booking needs a membership"
NEVER_HAD_CODES = {"expired", "no_class_membership"}


def refusal_text(refusal: bookings.Refusal | None, *, had_membership: bool = True) -> str:
    """A class_refusals reason in the schedule's words; "" when the class can be booked."""
    if refusal is None:
        return ""
    if not had_membership and refusal.code in NEVER_HAD_CODES:
        return NEVER_HAD_REFUSAL
    if refusal.code == "frozen":
        return f"Your membership is frozen until {refusal.until:%-d %b}"
    if refusal.code == "penalty":
        return (
            f"Booking paused until {refusal.until:%a %-d %b at %H:%M} after {refusal.cause} "
            f"on {refusal.on:%-d %b}"
        )
    return CLASS_REFUSALS[refusal.code]


def window_text(session: ClassSession, now: dt.datetime) -> str:
    """Why the booking window keeps the member from booking the class now, in the
    schedule's words (bookings.window_error's rule); "" inside the window."""
    closed = bookings.window_error(session, now)
    if closed is None:
        return ""
    if closed.code == "window_closed":
        return "Booking closed"
    opens, _ = bookings.booking_window(session)
    return f"Booking opens {timezone.localtime(opens):%a %-d %b at %H:%M}"


# --- access -------------------------------------------------------------------------------


def portal_member(request: HttpRequest) -> Member:
    """The member signed in to the portal; 404 for anyone else (staff, say).

    Expects an authenticated user: `portal_view` sends everyone else to the login page.
    """
    user = request.user
    if user.is_staff or user.is_superuser:
        # Staff logins never double as a member's: a member's own login is a separate user.
        raise Http404("The member portal is for members.")
    member = Member.objects.select_related("home_club").filter(user=user).first()
    if member is None:
        raise Http404("The member portal is for members.")
    return member


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required; the view gets the member as its second argument, and dates and
    times render in the member's club's time zone."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if request.user.is_staff or request.user.is_superuser:
            # Said in words: a front-desk login opening a member's link met a bare 404.
            return render(request, "cms/portal/staff_signed_in.html", status=403)
        member = portal_member(request)
        # The header and footer name the member's own club and its contacts (base.html).
        # Lazy: read only by pages that render base.html, not by POSTs, redirects or files.
        request.club_site = SimpleLazyObject(lambda: club_site_for(request, member.home_club))
        with timezone.override(clock.zone(member.home_club)):
            return view(request, member, *args, **kwargs)

    return never_cache(wrapper)


# --- signing in and out -------------------------------------------------------------------


# Where the emailed link takes a member who was sent to sign in from a page (the public
# schedule's "Join the waitlist"): kept in the session that asked for the link.
NEXT_SESSION_KEY = "portal_next"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_url(request, request.GET.get("next"))
    if request.user.is_authenticated and Member.objects.filter(user=request.user).exists():
        return redirect(next_url or "portal:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            auth.request_link(email=form.cleaned_data["email"], ip=request.META.get("REMOTE_ADDR"))
        except auth.TooManyRequests as limited:
            form.add_error(None, str(limited))
            return render(request, "cms/portal/login.html", {"form": form}, status=429)
        # The same answer whether or not the address belongs to a member.
        request.session["portal_login_email"] = form.cleaned_data["email"]
        if next_url:
            request.session[NEXT_SESSION_KEY] = next_url
        else:
            request.session.pop(NEXT_SESSION_KEY, None)
        return redirect("portal:login_sent")
    return render(request, "cms/portal/login.html", {"form": form})


def login_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "email": request.session.get("portal_login_email", ""),
        "minutes": auth.link_minutes(),
    }
    return render(request, "cms/portal/login_sent.html", context)


@never_cache
def login_link(request: HttpRequest) -> HttpResponse:
    """Where the emailed link lands: sign the member in, or explain why not."""
    token = request.GET.get(sesame_settings.TOKEN_NAME, "")
    member = auth.sign_in(request, token) if token else None
    if member is None:
        # A link that cannot be one of ours (cut short, garbage) is not "expired".
        context = {"malformed": auth.malformed(token)}
        return render(request, "cms/portal/link_invalid.html", context, status=403)
    # Signing in keeps the session's data (only its key changes); a link opened in another
    # browser has no page to go back to and lands on the portal's home, which greets the
    # member itself ("Hi Mei"): welcomed there, it said hello twice.
    next_url = request.session.pop(NEXT_SESSION_KEY, None)
    if next_url and next_url != reverse("portal:home"):
        messages.success(request, f"Welcome, {member.first_name}.")
    return redirect(next_url or "portal:home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("portal:login")


def _safe_next(request: HttpRequest) -> str | None:
    return _safe_url(request, request.POST.get("next"))


def _safe_url(request: HttpRequest, target: str | None) -> str | None:
    """`target` when it is a page of this site (never an open redirect), else None."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# --- pages ----------------------------------------------------------------------------


@portal_view
def home(request: HttpRequest, member: Member) -> HttpResponse:
    today = clock.today(member.home_club)
    card = saved_cards.saved(member)
    views = [
        selectors.describe(m, member=member, today=today, card=card)
        for m in selectors.memberships(member)
    ]
    upcoming = _coming_rows(member, selectors.coming_up_bookings(member)[:5])
    current = selectors.current(views)
    had_membership = selectors.had_membership(member)
    context = {
        "member": member,
        "memberships": current,
        "last_membership": views[0] if views else None,
        "show_book": selectors.offers_booking(member, today=today, had=had_membership),
        "renewal": selectors.renewal_offer(views, club=member.home_club, today=today),
        # A lead's free class: the home page speaks of it, not of renewing.
        "trial_booking": next((b for b in upcoming if b.is_trial), None),
        "bookings": upcoming,
        "visits_this_month": selectors.visits_this_month(member),
        "month": today,
    }
    if not had_membership and not current:
        # Never had a membership of their own (a lead, or a trial member whose trial ended):
        # every class needs one, so not "Book a class" or "renew" but what they can do — a
        # free trial if it is still theirs, and the plans — on their own club's site.
        trial_over = selectors.trial_over(member, views, now=clock.now())
        context["trial_over"] = trial_over
        trial_page, plans_page = club_pages(member.home_club)
        may_try = (
            trial_page is not None and not trial_over and bookings.trial_refusal(member) is None
        )
        context["trial_url"] = trial_page.get_url(request) if may_try else None
        context["plans_url"] = plans_page.get_url(request) if plans_page else None
    return render(request, "cms/portal/home.html", context)


@portal_view
def membership(request: HttpRequest, member: Member) -> HttpResponse:
    today = clock.today(member.home_club)
    card = saved_cards.saved(member)
    views = [
        selectors.describe(m, member=member, today=today, card=card)
        for m in selectors.memberships(member)
    ]
    current = selectors.current(views)
    renewal = selectors.renewal_offer(views, club=member.home_club, today=today)
    context = {
        "member": member,
        "current": current,
        "history": [v for v in views if v.membership.pk not in {c.membership.pk for c in current}],
        "to_renew": renewal.view if renewal else None,
        "renew_title": selectors.renew_title(renewal.view.membership.plan) if renewal else "",
        "renew_online": renewal is not None and renewal.online,
        "renew_price": renewal.price if renewal else None,
        "saved_card": card,
        "card_declined_at": saved_cards.declined_at(member),
        "card_update": saved_cards.may_update(member),
        "today": today,
    }
    if not current and not selectors.had_membership(member):
        # Nothing to renew: a lead, or a trial member whose trial ended, is shown the plans.
        context["never_had"] = True
        context["trial_over"] = selectors.trial_over(member, views, now=clock.now())
        context["plans_url"] = _plans_url(request, member)
    return render(request, "cms/portal/membership.html", context)


@require_POST
@portal_view
def remove_card(request: HttpRequest, member: Member) -> HttpResponse:
    """Remove the card saved for automatic renewals (saved_cards.remove): they are then unpaid until
    paid, at the desk or online. A second click removes nothing and says so."""
    if saved_cards.remove(member, source=saved_cards.PORTAL):
        messages.success(
            request,
            "Your saved card is removed: automatic renewals are now paid at the front desk.",
        )
    else:
        messages.info(request, "You have no saved card.")
    return redirect("portal:membership")


@require_POST
@portal_view
def update_card(request: HttpRequest, member: Member) -> HttpResponse:
    """Put a new card on file for automatic renewals ("Replace card", "Add a card") on Stripe's
    page in setup mode, for the signed-in member's own Stripe Customer
    (checkout.start_card_update). A 404 when the page offers neither (no card and nothing
    renewing automatically) and while Stripe is not configured. The card is saved when
    Stripe's webhook says it was set up."""
    if not saved_cards.may_update(member):
        raise Http404("No card can be put on file here.")
    # Back to the site the member came from, as the renewal's payment does.
    site = site_root_url(request)
    try:
        url = checkout.start_card_update(
            member,
            # Stripe puts the Checkout Session's id in place of the placeholder.
            success_url=site + reverse("portal:card_saved") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=site + reverse("portal:card_cancelled"),
        )
    except checkout.CheckoutUnavailable:
        messages.error(
            request,
            "Stripe cannot be reached right now: your card on file is unchanged. Please try "
            "again in a few minutes.",
        )
        return redirect("portal:membership")
    # 303: the browser follows with a GET to Stripe's page.
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@portal_view
def card_saved(request: HttpRequest, member: Member) -> HttpResponse:
    """Where Stripe sends the member back after putting a card on file. It saves nothing: the
    card is saved from Stripe's signed webhook. The message names the new card once that is
    done for this member's session, else says Stripe is confirming it."""
    session_id = request.GET.get("session_id", "")
    if stripe.enabled() and session_id.startswith("cs_"):
        card = saved_cards.saved_by_session(member, session_id)
        if card is not None:
            messages.success(
                request,
                f"Your {card.brand_name} ending {card.last4} is saved: automatic renewals are "
                "charged to it.",
            )
        else:
            messages.info(
                request,
                "Stripe is confirming your new card: it shows here as soon as it does, usually "
                "within a minute.",
            )
    return redirect(reverse("portal:membership") + "#saved-card")


@portal_view
def card_cancelled(request: HttpRequest, member: Member) -> HttpResponse:
    """Where Stripe sends the member back when they left its page without saving a card."""
    messages.info(request, "No new card was saved: your card on file is unchanged.")
    return redirect(reverse("portal:membership") + "#saved-card")


@require_POST
@portal_view
def renew_online(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Pay for renewing the membership the page offers to renew, on Stripe's payment page. Any
    other id — another member's, one not due for renewal — is a 404, as is every id while
    Stripe is not configured. The renewal is made when Stripe's webhook says it was paid."""
    today = clock.today(member.home_club)
    views = [
        selectors.describe(m, member=member, today=today) for m in selectors.memberships(member)
    ]
    offer = selectors.to_renew(views, club=member.home_club, today=today)
    if offer is None or offer.membership.pk != pk:
        raise Http404("No renewal of this membership is offered.")
    membership = offer.membership
    if not checkout.sellable_online(membership.plan):
        raise Http404("This membership cannot be renewed online.")
    # Stripe sends the member back to the site they paid from (a chain's second site lost
    # its session on the first's), at its configured address, never the Host as sent.
    root = site_root_url(request)
    page = root + reverse("portal:membership")
    try:
        url = checkout.start_renewal(
            membership,
            # Stripe puts the Checkout Session's id in place of the placeholder.
            success_url=root + reverse("portal:renew_paid") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=page + "#renew",
        )
    except checkout.CheckoutUnavailable:
        messages.error(
            request,
            "Online payment is not available right now: nothing was charged. Please try again "
            "in a few minutes, or pay at the front desk.",
        )
        return redirect("portal:membership")
    # 303: the browser follows with a GET to Stripe's page.
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_http_methods(["GET", "POST"])
@portal_view
def auto_renew(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Stop automatic renewal of one of the member's memberships, or switch it (back) on while
    it runs: either way a page that says what it means (switching on: plan, price, next
    renewal date, how it's paid), then the button (memberships.autorenew.set_auto_renew).
    Another member's membership is a 404."""
    membership = get_object_or_404(
        member.memberships.select_related("plan", "member__home_club"), pk=pk
    )
    form = AutoRenewForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return HttpResponse("Say whether it should renew: on or off.", status=400)
        on = form.cleaned_data["auto_renew"] == "on"
        try:
            autorenew.set_auto_renew(membership, on=on, actor=None, source=autorenew.PORTAL)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:membership")
        end = date_format(membership.end, "j M Y")
        if on:
            messages.success(
                request,
                f"Your {membership.plan.name} renews automatically after {end}.",
            )
        else:
            messages.success(
                request,
                f"Automatic renewal stopped: your {membership.plan.name} ends on {end}.",
            )
        return redirect("portal:membership")
    today = clock.today(member.home_club)
    context = {
        "member": member,
        "membership": membership,
        # Switching on is asked like stopping: what it means first, then the button.
        "may_switch_on": membership.may_renew_automatically
        and membership.status != Membership.Status.CANCELLED
        and membership.end >= today,
        "renews_on": membership.end + dt.timedelta(days=1),
        "card": saved_cards.saved(member),
    }
    return render(request, "cms/portal/auto_renew.html", context)


@portal_view
def renew_paid(request: HttpRequest, member: Member) -> HttpResponse:
    """Where Stripe sends the member back after paying. It records nothing: the renewal is
    made from Stripe's signed webhook. The address only names the payment page; when the
    webhook about it has been processed for this member, the page says what it made, else
    that Stripe is still confirming. Without Stripe, or without a session id, there is no
    payment to speak of: the membership page."""
    session_id = request.GET.get("session_id", "")
    if not stripe.enabled() or not session_id.startswith("cs_"):
        return redirect("portal:membership")
    done = (
        member.stripe_events.filter(
            payload__data__object__id=session_id,
            outcome=StripeEvent.Outcome.PROCESSED,
            payment__membership__isnull=False,
        )
        .select_related("payment__membership__plan")
        .first()
    )
    renewal = done.payment.membership if done else None
    return render(request, "cms/portal/renew_paid.html", {"member": member, "renewal": renewal})


@portal_view
def visits(request: HttpRequest, member: Member) -> HttpResponse:
    rows = member.visits.select_related("club").order_by("-at", "-id")
    page = Paginator(rows, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "member": member,
        "page": page,
        "visits_this_month": selectors.visits_this_month(member),
    }
    return render(request, "cms/portal/visits.html", context)


@portal_view
def bookings_list(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "member": member,
        "upcoming": _coming_rows(member, selectors.coming_up_bookings(member)),
        "past": selectors.with_status_labels(member, selectors.past_bookings(member)[:20]),
        "show_book": selectors.offers_booking(member, today=clock.today(member.home_club)),
    }
    if not context["show_book"]:
        context["plans_url"] = _plans_url(request, member)
    return render(request, "cms/portal/bookings.html", context)


@portal_view
def booking_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    booking = get_object_or_404(
        member.bookings.select_related("session__class_type", "session__club"), pk=pk
    )
    context = {
        "member": member,
        "booking": _coming_rows(member, [booking])[0],
        "cancellable": selectors.upcoming_bookings(member).filter(pk=booking.pk).exists(),
    }
    return render(request, "cms/portal/booking_detail.html", context)


@require_http_methods(["GET", "POST"])
@portal_view
def booking_cancel(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    booking = get_object_or_404(member.bookings.select_related("session__class_type"), pk=pk)
    if request.method == "GET":
        # Opened as an address (a reload): cancels nothing; the booking's page asks first.
        return redirect("portal:booking", pk=booking.pk)
    try:
        booking = bookings.cancel(booking)
    except bookings.BookingError as error:
        messages.error(request, _error_text(error))
    else:
        what = f"{booking.session.class_type.name} on {_when(booking.session)}"
        if booking.already_cancelled:
            # A second click or a second tab: nothing changed, and it is not said twice.
            if selectors.left_the_waitlist(member, [booking.pk]):
                messages.info(request, f"You had already left the waitlist for {what}.")
            else:
                messages.info(request, f"Your booking for {what} was already cancelled.")
        elif booking.was_waitlisted:
            messages.success(request, f"You left the waitlist for {what}.")
        elif booking.is_late_cancel:
            messages.warning(request, f"Cancelled {what}. This was a late cancellation.")
        else:
            messages.success(request, f"Cancelled {what}.")
    return redirect(_safe_next(request) or reverse("portal:bookings"))


@portal_view
def schedule(request: HttpRequest, member: Member) -> HttpResponse:
    if (session_id := request.GET.get("class", "")).isdigit():
        # A link to one class (from the public timetable, through sign-in): the same days,
        # scrolled to that class, and what was waiting to be said ("Welcome, Maya.") said
        # there too, not at the top of the page, out of view.
        elsewhere = (
            ClassSession.objects.filter(pk=int(session_id))
            .exclude(club=member.home_club_id)
            .select_related("club")
            .first()
            if len(session_id) <= 18  # a longer number is no bigint: no class
            else None
        )
        if elsewhere is not None:
            # Another club's timetable (a chain's site shows one club): the portal books the
            # member's own club's classes, so say why that class is not here.
            messages.info(
                request,
                f"That class is at {elsewhere.club.name}. Your membership is at "
                f"{member.home_club.name}, so these are {member.home_club.name}'s classes; "
                f"{elsewhere.club.name}'s front desk can tell you about theirs.",
            )
            return redirect("portal:schedule")
        for message in messages.get_messages(request):
            messages.add_message(
                request, message.level, message.message, extra_tags=_at_row(session_id)
            )
        days = urlencode({"from": request.GET.get("from", "")})
        return redirect(f"{reverse('portal:schedule')}?{days}#class-{session_id}")
    club = member.home_club
    today = clock.today(club)
    last_day = today + dt.timedelta(days=club.booking_opens_days_ahead)
    try:
        first_day = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first_day = today
    first_day = min(max(first_day, today), last_day)
    start = max(clock.now(), clock.start_of_day(first_day, club))
    sessions = list(bookings.upcoming_sessions(club, start=start, days=SCHEDULE_DAYS))
    # The filter offers the class types of the days shown, read from the sessions already
    # loaded; a type chosen on another week stays chosen (one lookup, so the pager keeps
    # it). An unknown or another club's value shows every class.
    class_types = {s.class_type for s in sessions}
    wanted = request.GET.get("type", "")
    chosen = next((t for t in class_types if str(t.pk) == wanted), None)
    if chosen is None and wanted.isascii() and wanted.isdigit() and len(wanted) <= 9:
        chosen = ClassType.objects.filter(club=club, pk=wanted).first()
    if chosen is not None:
        class_types.add(chosen)
        sessions = [s for s in sessions if s.class_type_id == chosen.pk]
    class_types = sorted(class_types, key=lambda t: (t.name, t.pk))
    mine = {
        b.session_id: b
        for b in selectors.with_places(
            member.bookings.filter(
                session__in=[s.pk for s in sessions], status__in=selectors.UPCOMING_STATUSES
            )
        )
    }
    by_day: dict[dt.date, list[ClassSession]] = {}
    for session in sessions:
        by_day.setdefault(timezone.localdate(session.start), []).append(session)
    # Why a class cannot be booked, by the booking service's own rules, shown instead of
    # Book: the window first, as `book` checks it first; then the membership and penalties.
    refusals = bookings.class_refusals(member, club, by_day)
    now = clock.now()
    # Where the words of a refusal lead: the membership page (renew, top up, see the freeze),
    # or for someone who never had a membership the club's plans, when its site has them.
    had_membership = True
    to_fix = reverse("portal:membership")
    if any(r.code in NEVER_HAD_CODES for r in refusals.values()):
        had_membership = selectors.had_membership(member)
        if not had_membership:
            to_fix = _plans_url(request, member) or to_fix
    days = {
        day: [
            _schedule_row(
                s,
                mine.get(s.pk),
                refusals.get(day),
                now,
                had_membership=had_membership,
                to_fix=to_fix,
            )
            for s in day_sessions
        ]
        for day, day_sessions in by_day.items()
    }
    notes, flash = _notes_at_rows(request, sessions)
    for session in sessions:
        session.note = notes.get(session.pk)
    next_from = first_day + dt.timedelta(days=SCHEDULE_DAYS)
    previous_from = first_day - dt.timedelta(days=SCHEDULE_DAYS) if first_day > today else None

    def pager(day: dt.date | None) -> str:
        # The pager keeps the class type chosen.
        if day is None:
            return ""
        query = {"from": day.isoformat()} | ({"type": chosen.pk} if chosen else {})
        return f"?{urlencode(query)}"

    context = {
        "member": member,
        "days": days,
        "first_day": first_day,
        "class_types": class_types,
        "chosen_type": chosen,
        "previous_url": pager(previous_from),
        "next_url": pager(next_from if next_from <= last_day else None),
        # Overrides the context processor's: what is said at a row is not said again on top.
        "messages": flash,
    }
    return render(request, "cms/portal/schedule.html", context)


def _at_row(session_id: int | str) -> str:
    """The message tag that has the schedule say a message at a class's row: the page opens
    scrolled there (#class-N), so a message at the top would be out of view."""
    return f"class-{session_id}"


def _notes_at_rows(
    request: HttpRequest, sessions: list[ClassSession]
) -> tuple[dict[int, Message], list[Message]]:
    """The schedule's messages split into those said at a class's row ({session id: message})
    and the rest, for the top; one for a class not on the page stays at the top."""
    rows = {_at_row(session.pk): session.pk for session in sessions}
    notes: dict[int, Message] = {}
    flash = []
    for message in messages.get_messages(request):
        if (pk := rows.get(message.extra_tags)) is not None and pk not in notes:
            notes[pk] = message
        else:
            flash.append(message)
    return notes, flash


@require_http_methods(["GET", "POST"])
@portal_view
def book(request: HttpRequest, member: Member, session_id: int) -> HttpResponse:
    # Only classes at the member's own club can be booked here.
    sessions = ClassSession.objects.filter(club=member.home_club).select_related("class_type")
    if request.method == "GET":
        # A reload after booking, or the address opened again: books nothing, and shows the
        # class on the schedule (its week, scrolled to it) rather than a blank 405 page.
        session = sessions.filter(pk=session_id).first()
        if session is None:
            return redirect("portal:schedule")
        day = timezone.localdate(session.start)
        return redirect(
            f"{reverse('portal:schedule')}?{urlencode({'from': day.isoformat()})}"
            f"#{_at_row(session.pk)}"
        )
    session = get_object_or_404(sessions, pk=session_id)
    at_row = _at_row(session.pk)
    try:
        booking = bookings.book(member, session)
    except bookings.BookingError as error:
        messages.error(request, _error_text(error), extra_tags=at_row)
    else:
        what = f"{session.class_type.name} on {_when(session)}"
        if booking.status == Booking.Status.WAITLISTED:
            messages.info(
                request,
                f"{what} is full: you are number {bookings.waitlist_place(booking)} on the "
                "waitlist. "
                "We'll book you in if a place opens up.",
                extra_tags=at_row,
            )
        elif late := bookings.booked_late_notice(booking):
            # Said now, while cancelling is still free, not first in the cancel box.
            messages.warning(request, f"Booked: {what}. {late}", extra_tags=at_row)
        else:
            messages.success(request, f"Booked: {what}.", extra_tags=at_row)
    return redirect(_safe_next(request) or reverse("portal:schedule"))


@portal_view
def message_preferences(request: HttpRequest, member: Member) -> HttpResponse:
    form = ConsentForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        for channel, granted in changes.items():
            consent.set_consent(
                member, channel, granted=granted, source="portal", wording=form.wording[channel]
            )
        if changes:
            said = ", ".join(
                f"{'SMS' if channel == 'sms' else 'email'} {'on' if on else 'off'}"
                for channel, on in changes.items()
            )
            messages.success(request, f"Saved: {said}.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("portal:messages")
    context = {
        "member": member,
        "form": form,
        # A landline on record takes no texts either: no switch to turn them on, and the
        # page says which number it is rather than that there is none.
        "has_phone": not consent.sms_consent_problem(member.phone),
        "phone_kind": consent.kind_without_texts(member.phone),
        "erasure_asked": erasure.open_request(member),
    }
    return render(request, "cms/portal/messages.html", context)


@portal_view
def your_data(request: HttpRequest, member: Member) -> HttpResponse:
    """Privacy and your data: the download and the erasure request, linked from every portal
    page's footer (they were found only under Messages)."""
    context = {"member": member, "erasure_asked": erasure.open_request(member)}
    return render(request, "cms/portal/your_data.html", context)


@require_POST
@portal_view
def data_export(request: HttpRequest, member: Member) -> HttpResponse:
    """Everything the club holds about the member, as a JSON download (members.export). A
    POST, so a link preview or prefetch never exports and logs it."""
    return export.download(member)


@require_http_methods(["GET", "POST"])
@portal_view
def erasure_request(request: HttpRequest, member: Member) -> HttpResponse:
    """Ask the club to erase the member's personal data (members.erasure.request): a page that
    says what goes, what stays and what must end first; sending it opens a task for the
    club's managers, once while a request is open."""
    if request.method == "POST":
        asked = erasure.request(member)
        by = _day(asked.task.due_at)
        if asked.is_new:
            messages.success(
                request,
                f"Thank you: we have your request. We'll be in touch by {by} at the latest.",
            )
        else:
            messages.info(
                request, f"You already asked on {_day(asked.asked_at)}; we'll be in touch by {by}."
            )
        return redirect("portal:erasure_request")
    context = {
        "member": member,
        "asked": erasure.open_request(member),
        "refusals": [
            (refused.code, ERASURE_REFUSALS.get(refused.code, ERASURE_REFUSED))
            for refused in erasure.refusals(member)
        ],
    }
    return render(request, "cms/portal/erasure_request.html", context)


@portal_view
def calendar(request: HttpRequest, member: Member) -> HttpResponse:
    token = feeds.calendar_token(member)
    url = request.build_absolute_uri(reverse("portal:calendar_feed", args=[token]))
    context = {
        "member": member,
        "feed_url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
        "coming_count": feeds.coming_in_feed(member),
        "reset_question": RESET_QUESTION,
    }
    return render(request, "cms/portal/calendar.html", context)


@require_POST
@portal_view
def calendar_reset(request: HttpRequest, member: Member) -> HttpResponse:
    feeds.reset_calendar_token(member)
    messages.success(
        request, "Your calendar link is new. Add it to your calendar app again; the old one is off."
    )
    return redirect("portal:calendar")


# --- helpers --------------------------------------------------------------------------


def _coming_rows(member: Member, rows) -> list[Booking]:
    """Booking rows as the portal lists them: waitlist place, status label, what cancelling
    would be and asks, and whether the membership covers the class."""
    return selectors.with_cover_notices(
        member,
        selectors.with_status_labels(
            member, selectors.with_late_notices(selectors.with_places(rows))
        ),
    )


def _plans_url(request: HttpRequest, member: Member) -> str | None:
    """The plans and prices page of the member's own club's site, if it has one."""
    _, plans_page = club_pages(member.home_club)
    return plans_page.get_url(request) if plans_page else None


def _schedule_row(session, booking, refusal, now, *, had_membership: bool, to_fix: str) -> tuple:
    """(session, the member's booking, why it cannot be booked or "", the page where to do
    something about it or "", the seats in the public timetable's words)."""
    spots = spots_label(session.seats_left)
    if window := window_text(session, now):
        return session, booking, window, "", spots
    # Nothing on the membership page lifts a penalty.
    return (
        session,
        booking,
        refusal_text(refusal, had_membership=had_membership),
        to_fix if refusal is not None and refusal.code != "penalty" else "",
        spots,
    )


def _day(at: dt.datetime) -> str:
    return date_format(timezone.localtime(at), "j F Y")


def _when(session: ClassSession) -> str:
    return date_format(timezone.localtime(session.start), "D j M, H:i")


def _error_text(error) -> str:
    return " ".join(error.messages) if hasattr(error, "messages") else str(error)
