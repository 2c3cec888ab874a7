"""The front desk: one search box that also takes a scanner, check-in results, the member card,
and selling, renewing and freezing from it. Every view starts with the access helper."""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import retarget
from wagtail import hooks

from checkin import activity, bookings, checkins
from checkin.desk import badges
from checkin.desk.forms import (
    AutoRenewForm,
    BookClassForm,
    CallForm,
    CancelFreezeForm,
    CardForm,
    CheckInOfferForm,
    EraseForm,
    FreezeForm,
    NoteForm,
    OverrideForm,
    RenewForm,
    SellForm,
    TakePaymentForm,
    UnfreezeForm,
    WalkInLeadForm,
)
from checkin.models import Booking, CheckInAttempt, ClassSession, Source, Visit
from club import clock, roles
from club.admin_access import clubs_for, scope
from club.display import date_range, format_price
from club.models import Club
from members import cards, erasure, export, leads, staff_tasks, timeline
from members.cards import CardTaken
from members.models import Channel, Member, MemberEvent, Task, words_start_first
from members.search import card_token, walk_in_details
from memberships import autorenew, dues, freezes, sales, standing
from memberships.models import Freeze, Membership, Payment, Plan
from memberships.stripe import saved_cards

SEARCH_LIMIT = 12
# The Tasks screen's "Done" shows this far back: enough to see how the week's calls went.
DONE_TASKS_DAYS = 30

# Apps above checkin add sections to the member card through this Wagtail hook, so the card
# shows their data without checkin importing them: fn(request, member, panels) appends
# Wagtail components (`order` sorts them).
MEMBER_CARD_PANELS_HOOK = "construct_member_card_panels"


# --- access ---------------------------------------------------------------------------


def desk_club(request: HttpRequest) -> Club:
    """The club this desk is at: chosen with ?club=<slug>, remembered in the session."""
    clubs = clubs_for(request.user)
    if slug := request.GET.get("club"):
        club = get_object_or_404(clubs, slug=slug)
        request.session["desk_club"] = club.pk
        return club
    club = _remembered_club(request, clubs)
    if club is None:
        raise roles.PermissionDenied("You are not on the staff of any club.")
    return club


def working_club(request: HttpRequest) -> Club | None:
    """The club `desk_club` will pick for this request, remembering nothing and refusing
    nothing (None: no club of theirs), so the page runs on that club's clock before the view."""
    clubs = clubs_for(request.user)
    if slug := request.GET.get("club"):
        return clubs.filter(slug=slug).first()
    return _remembered_club(request, clubs)


def _remembered_club(request: HttpRequest, clubs) -> Club | None:
    return clubs.filter(pk=request.session.get("desk_club")).first() or clubs.first()


def staff_member(
    request: HttpRequest, pk: int, *allowed_roles: str, erased: bool = False
) -> Member:
    """The member if the user holds one of the roles and works at their club; else 403 / 404.
    An erased member is 404 to every action; only their card (`erased=True`) says so."""
    roles.require(request.user, *allowed_roles)
    members = scope(Member.objects.all(), request.user)
    if not erased:
        members = members.not_erased()
    return get_object_or_404(with_memberships(members), pk=pk)


def staff_membership(request: HttpRequest, pk: int, *allowed_roles: str) -> Membership:
    roles.require(request.user, *allowed_roles)
    memberships = scope(
        Membership.objects.select_related("member__home_club", "plan"), request.user
    ).filter(member__erased_at__isnull=True)
    return get_object_or_404(memberships, pk=pk)


def staff_freeze(request: HttpRequest, pk: int) -> Freeze:
    roles.require(request.user, *roles.SELLS)
    scoped = scope(Freeze.objects.select_related("membership__member__home_club"), request.user)
    return get_object_or_404(scoped, pk=pk)


def with_memberships(members):
    return members.select_related("home_club").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("plan", "renewal").prefetch_related(
                "freezes"
            ),
        )
    )


# --- the desk screen ------------------------------------------------------------------


def desk(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *roles.DESK)
    club = desk_club(request)
    context = {
        "club": club,
        "clubs": clubs_for(request.user),
        **recent_context(request, club),
        "header_title": "Front desk",
    }
    if offer := check_in_offer(request, club):
        context.update(offer, output="checkin/desk/_check_in_offer.html")
    return render(request, "checkin/desk/desk.html", context)


def _is_desk(url: str) -> bool:
    """Whether `url` (a form's way back) is the desk screen: a sale or fix made from a denied
    check-in, which returns to the desk's offer (check_in_offer) rather than the card."""
    return urlsplit(url).path == reverse("desk:desk")


def _desk_offer(**done: int) -> str:
    """The desk with check_in_offer() for what was done: renewed=, paid= or unfrozen=<id>."""
    return f"{reverse('desk:desk')}?{urlencode(done)}"


def check_in_offer(request: HttpRequest, club: Club) -> dict | None:
    """Back at the desk after "Renew now" (?renewed=<membership id>), "End freeze"
    (?unfrozen=<its membership_unfrozen event id>) or "Take payment" (?paid=<payment id>) on a
    denied check-in: what was done and
    "Check in now" for its member, one click rather than a second scan. Not a check-in by
    itself: a renewal is not always bought on the way in. None for an id that is not of the
    staff member's clubs."""
    form = CheckInOfferForm(request.GET)
    if not form.is_valid():
        return None
    memberships = scope(Membership.objects.select_related("plan"), request.user)
    if form.cleaned_data["renewed"] is not None:
        renewal = memberships.filter(pk=form.cleaned_data["renewed"]).first()
        if renewal is None:
            return None
        member_pk, since, offer = renewal.member_id, renewal.created_at, {"renewal": renewal}
    elif form.cleaned_data["paid"] is not None:
        payment = (
            scope(Payment.objects.select_related("membership__plan"), request.user)
            .filter(pk=form.cleaned_data["paid"], membership__isnull=False)
            .first()
        )
        if payment is None:
            return None
        member_pk, since, offer = payment.member_id, payment.at, {"payment": payment}
    else:
        event = (
            MemberEvent.objects.filter(
                pk=form.cleaned_data["unfrozen"],
                kind=MemberEvent.Kind.MEMBERSHIP_UNFROZEN,
                member__in=scope(Member.objects.all(), request.user),
            )
            .values("member_id", "at", "data__membership")
            .first()
        )
        unfrozen = event and memberships.filter(pk=event["data__membership"]).first()
        if not unfrozen:
            return None
        member_pk, since, offer = event["member_id"], event["at"], {"unfrozen": unfrozen}
    member = with_memberships(Member.objects.filter(pk=member_pk)).get()
    return {
        **offer,
        "member": member,
        "badges": badges.badges(member, clock.today(club)),
        # Reloaded after "Check in now": the visit, not the offer again (past the two-minute
        # repeat window a second click would be a second visit).
        "checked_in": member.visits.filter(at__gte=since).order_by("-at").first(),
    }


def search(request: HttpRequest) -> HttpResponse:
    """Results while typing (htmx). Nothing is checked in here."""
    roles.require(request.user, *roles.DESK)
    club = desk_club(request)
    query = request.GET.get("q", "").strip()
    return desk_output(
        request, club, "checkin/desk/_results.html", results_context(request, club, query)
    )


def recent(request: HttpRequest) -> HttpResponse:
    """The Recent list alone, which the desk polls so a check-in in another tab or at the
    turnstile shows without a reload. Nothing new since `seen` (recent_seen): 204, one query
    and no swap. The club is the one the page shows (?club=), and is not remembered: a poll
    must not move another tab of this session to this club."""
    roles.require(request.user, *roles.DESK)
    club = get_object_or_404(clubs_for(request.user), slug=request.GET.get("club", ""))
    seen = recent_seen(club)
    if request.GET.get("seen") == seen:
        return HttpResponse(status=204)
    rows = recent_check_ins(club, staff_clubs=clubs_for(request.user))
    return render(
        request, "checkin/desk/_recent.html", {"club": club, "recent": rows, "recent_seen": seen}
    )


def desk_output(
    request, club: Club, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """The fragment under the search box for htmx; the whole desk page without JavaScript.
    Fragments update the desk's recent list too, when they land on the desk screen (a check-in
    from the member card has no such list)."""
    if request.htmx:
        on_card = _on_card_of(request, context.get("member"))
        context = {**context, "on_desk": _on_desk_screen(request), "on_card": on_card}
        return render(request, template, context, status=status)
    page = {
        **context,
        "club": club,
        "clubs": clubs_for(request.user),
        **recent_context(request, club),
        "output": template,
        "header_title": "Front desk",
    }
    return render(request, "checkin/desk/desk.html", page, status=status)


def _on_card_of(request, member: Member | None) -> bool:
    """Whether the page the fragment lands on is `member`'s card: its verdict offers no
    "Open card" for the card already open."""
    page = request.htmx.current_url_abs_path
    if member is None or page is None:
        return False
    return urlsplit(page).path == reverse("desk:member", args=[member.pk])


def _on_desk_screen(request) -> bool:
    page = request.htmx.current_url_abs_path
    return page is not None and urlsplit(page).path == reverse("desk:desk")


# The htmx event a member card listens for to fetch its badges, memberships, month, panels and
# timeline again (member_card.html): whatever a check-in or its undo changed shows at once.
MEMBER_CHANGED = "member-changed"


def _refreshing_the_card(request, response: HttpResponse) -> HttpResponse:
    """`response`, telling the member card it came from (not the desk screen, which has its own
    recent list) to refresh what the action may have changed."""
    if request.htmx and not _on_desk_screen(request):
        response["HX-Trigger"] = MEMBER_CHANGED
    return response


@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    """Enter in the search box: a card that matches one member checks in at once (the
    scanner's path); anything else shows the matches to pick from."""
    roles.require(request.user, *roles.DESK)
    club = desk_club(request)
    query = request.POST.get("q", "").strip()
    members = scope(Member.objects.all(), request.user)
    by_card = list(members.filter(card_token=card_token(query))[:2]) if query else []
    if len(by_card) == 1:
        return check_in_and_render(request, club, by_card[0])
    if query and not by_card:
        # Not one of our members: maybe the card of another club's, which the turnstile would
        # answer for (check_in_scanned looks the card up in every club). "No member matches"
        # would invite registering them a second time.
        outcome = checkins.check_in_scanned(card=query, source=Source.DESK, club=club)
        if outcome is not None:
            return other_club_card(request, club, outcome)
    # A verdict left on screen from the card before would read as this scan's.
    context = {**results_context(request, club, query), "clear_verdict": bool(request.htmx)}
    response = desk_output(request, club, "checkin/desk/_results.html", context)
    # Matches go in the list below the last result; the query stays in the box to refine.
    return retarget(response, "#desk-results") if request.htmx else response


@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.DESK)
    return check_in_and_render(request, desk_club(request), member)


@require_POST
def admit_anyway(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.DESK)
    club = desk_club(request)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        # The panel the form came from, the denial it answers, with the error under the reason:
        # htmx swaps it where that panel was (on the desk or the member card) and the field
        # keeps what was typed. A bare form there read as the whole screen gone.
        attempt = member.check_in_attempts.filter(club=club).order_by("-at", "-pk").first()
        context = result_context(request, club, member, attempt, override_form=form)
        return desk_output(request, club, RESULT_TEMPLATE, context, status=400)
    return check_in_and_render(
        request, club, member, override_by=request.user, override_reason=form.cleaned_data["reason"]
    )


@require_POST
def undo_check_in(request: HttpRequest, member_pk: int, pk: int) -> HttpResponse:
    """The result panel's Undo: takes back a check-in made by mistake (checkins.undo_visit)."""
    member = staff_member(request, member_pk, *roles.DESK)
    club = desk_club(request)
    # A visit at a club the user does not work at is not theirs to undo, whoever the member.
    if Visit.objects.filter(pk=pk).exclude(club__in=clubs_for(request.user)).exists():
        raise Http404("No such visit.")
    status = 200
    try:
        outcome = {"undone": checkins.undo_visit(pk, member_id=member.pk, by=request.user)}
    except checkins.UndoRefused as refusal:
        outcome, status = {"error": str(refusal)}, 409
    context = {
        "member": member,
        "club": club,
        **recent_context(request, club),
        **outcome,
    }
    response = desk_output(request, club, "checkin/desk/_undone.html", context, status=status)
    return _refreshing_the_card(request, response)


RESULT_TEMPLATE = "checkin/desk/_check_in_result.html"


def check_in_and_render(request, club: Club, member: Member, **override) -> HttpResponse:
    outcome = checkins.check_in(member, source=Source.DESK, club=club, **override)
    context = result_context(request, club, member, outcome)
    response = _refreshing_the_card(request, desk_output(request, club, RESULT_TEMPLATE, context))
    # Tells the scan box to clear itself for the next card.
    response["X-Desk-Outcome"] = "admitted" if isinstance(outcome, Visit) else "denied"
    return response


def other_club_card(request, club: Club, outcome: Visit | CheckInAttempt) -> HttpResponse:
    """The verdict on a card of a member of another club: what the turnstile API answers for it
    (admitted on a plan valid at every club, else denied with the reason) and no more of them
    than it shows, their first name. Their card, contacts and sales belong to their own club."""
    member = outcome.member
    context = {
        "club": club,
        "outcome": outcome,
        "first_name": member.first_name,
        "home_club": Club.objects.values_list("name", flat=True).get(pk=member.home_club_id),
        "admitted": isinstance(outcome, Visit),
        **recent_context(request, club),
    }
    response = desk_output(request, club, "checkin/desk/_other_club_card.html", context)
    response["X-Desk-Outcome"] = "admitted" if context["admitted"] else "denied"
    return response


def result_context(
    request,
    club: Club,
    member: Member,
    outcome: Visit | CheckInAttempt | None,
    override_form: OverrideForm | None = None,
) -> dict:
    """What the check-in result panel shows: green for a visit, red with what the desk can do
    for a denial (`outcome` a CheckInAttempt, or None when there is none to show)."""
    member = with_memberships(Member.objects.filter(pk=member.pk)).get()
    today = clock.today(club)
    context = {
        "club": club,
        "member": member,
        "badges": badges.badges(member, today),
        "membership": badges.current_membership(member, today) or badges.latest_membership(member),
        "can_sell": roles.has_role(request.user, *roles.SELLS),
        **recent_context(request, club),
    }
    if isinstance(outcome, Visit):
        context.update(visit=outcome, visit_number=member.visits.filter(at__lte=outcome.at).count())
        return context
    context.update(attempt=outcome, override_form=override_form or OverrideForm())
    if outcome is not None:
        # The verdict says "Membership expired 23 Nov 2026" or "Unpaid": a badge would say it
        # again.
        context["badges"] = [badge for badge in context["badges"] if badge.code != outcome.reason]
    no_membership = outcome is not None and outcome.reason == CheckInAttempt.Reason.NO_MEMBERSHIP
    # Come too early for their free class: say when it is and when check-in opens.
    if no_membership and (trial := bookings.trial_later_today(member, club, at=outcome.at)):
        opens = trial.session.start - bookings.CHECK_IN_BEFORE_CLASS
        context.update(trial_later=trial, trial_check_in_opens=opens)
    if context["can_sell"] and outcome is not None:
        context.update(
            # Here for a free trial: the class, not a sale, is what they came for.
            next_sale=None
            if "trial_later" in context
            else _next_sale(outcome, context["membership"]),
            # The card's "End early" (desk:unfreeze), offered where the freeze turned them away.
            running_freeze=_running_freeze(outcome, member, today),
            unpaid=_unpaid(outcome, member),
        )
    return context


def _next_sale(attempt: CheckInAttempt, membership: Membership | None) -> str | None:
    """What the desk can sell a member it turned away: "renew" an ended membership or an
    empty pack, "sell" one to someone with nothing valid here. A freeze, an unpaid
    membership or one not started yet is not fixed by a sale: the card has those."""
    Reason = CheckInAttempt.Reason
    if attempt.reason in (Reason.EXPIRED, Reason.NO_VISITS_LEFT):
        renewable = membership is not None and membership.plan.kind != Plan.Kind.TRIAL
        return "renew" if renewable else "sell"
    if attempt.reason in (Reason.NO_MEMBERSHIP, Reason.WRONG_CLUB):
        return "sell"
    return None


def _running_freeze(attempt: CheckInAttempt, member: Member, day: dt.date) -> Freeze | None:
    """The freeze that turned the member away on `day`, from prefetched memberships: ending
    it, not a sale, is what lets them in."""
    if attempt.reason != CheckInAttempt.Reason.FROZEN:
        return None
    frozen = (m for m in member.memberships.all() if m.pk == attempt.membership_id)
    return next((f for m in frozen for f in m.freezes.all() if f.covers(day)), None)


def _unpaid(attempt: CheckInAttempt, member: Member) -> Membership | None:
    """The unpaid membership that turned the member away, from prefetched memberships: taking
    the payment, not a sale, is what lets them in."""
    if attempt.reason != CheckInAttempt.Reason.UNPAID:
        return None
    unpaid = next((m for m in member.memberships.all() if m.pk == attempt.membership_id), None)
    if unpaid is None or unpaid.status != Membership.Status.PAST_DUE:
        return None
    return unpaid


def search_results(request, club: Club, query: str, today: dt.date):
    """The members the desk's search lists, in its order: those this club would admit today
    first, then current members of other clubs' plans, then the rest, by name within each
    (memberships.standing); ordered in the query, so the cap never drops a current member
    for a lead."""
    members = scope(Member.objects.all(), request.user).search(query, region=club.phone_region)
    first = words_start_first(query)  # within a standing, names the typed words start
    return standing.current_first(members, club=club, day=today, then_by=(first,))


def results_context(request, club: Club, query: str) -> dict:
    today = clock.today(club)
    found = list(with_memberships(search_results(request, club, query, today))[: SEARCH_LIMIT + 1])
    # Two Laura Garcías read alike: each row says what tells them apart.
    contacts = roles.has_role(request.user, *roles.SEES_CONTACTS)
    club_name = _works_at_clubs(request)
    return {
        "query": query,
        "rows": [
            (m, badges.badges(m, today), m.tell_apart(contacts=contacts, club_name=club_name))
            for m in found[:SEARCH_LIMIT]
        ],
        "more": len(found) > SEARCH_LIMIT,
        "club": club,
    }


def recent_context(request, club: Club) -> dict:
    """The desk's Recent list, and what it was read at (`recent_seen`) for its poll to ask
    whether anything changed since."""
    # The fingerprint first: a check-in between the two reads then shows at the next poll.
    seen = recent_seen(club)
    return {
        "recent": recent_check_ins(club, staff_clubs=clubs_for(request.user)),
        "recent_seen": seen,
    }


def recent_seen(club: Club) -> str:
    """A fingerprint of today's admissions and denials at the club, in one statement: how
    many, and the newest id, of each. A check-in moves the newest id; an undo deletes its
    visit and moves the count, which the newest id alone would miss."""
    since = clock.start_of_day(clock.today(club), club)
    figures = {}
    for name, model in (("visits", Visit), ("denials", CheckInAttempt)):
        # (club, -at) index on both tables.
        rows = model.objects.filter(club=OuterRef("pk"), at__gte=since).order_by().values("club")
        figures[f"{name}_count"] = Subquery(rows.annotate(n=Count("pk")).values("n"))
        figures[f"{name}_last"] = Subquery(rows.annotate(last=Max("pk")).values("last"))
    values = Club.objects.filter(pk=club.pk).annotate(**figures).values_list(*figures).get()
    return "-".join(str(value or 0) for value in values)


def recent_check_ins(club: Club, *, staff_clubs, limit: int = 10) -> list:
    """Today's latest admissions and denials at the club, newest first; a visit admitted for
    a trial class carries its name (checkins.with_trial_class, in the same read). Each row's
    `ours` says whether the member is of `staff_clubs` (the viewer's): a visitor from another
    club is named by first name only, as their scan's verdict named them."""
    since = clock.start_of_day(clock.today(club), club)
    ours = Exists(staff_clubs.filter(pk=OuterRef("member__home_club_id")))
    visits = checkins.with_trial_class(
        Visit.objects.filter(club=club, at__gte=since)
        .select_related("member", "ledger_entry")
        .annotate(ours=ours)
    )
    denials = (
        CheckInAttempt.objects.filter(club=club, at__gte=since)
        .select_related("member", "membership__plan")
        .annotate(ours=ours)
    )
    # More denials than shown: repeats fold into one row (_fold_repeated_denials).
    merged = sorted(
        itertools.chain(visits.order_by("-at")[:limit], denials.order_by("-at")[: limit * 3]),
        key=lambda row: row.at,
        reverse=True,
    )
    return _fold_repeated_denials(merged)[:limit]


def _fold_repeated_denials(rows: list) -> list:
    """Back-to-back denials of one member for one reason as one row, its `repeats` the number
    of scans: someone turned away scans again and again, and filled the list with one name."""
    folded: list = []
    for row in rows:
        last = folded[-1] if folded else None
        if (
            isinstance(row, CheckInAttempt)
            and isinstance(last, CheckInAttempt)
            and (row.member_id, row.reason) == (last.member_id, last.reason)
        ):
            last.repeats += 1
            continue
        row.repeats = 1
        folded.append(row)
    return folded


# --- member card ------------------------------------------------------------------------


def member_card(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.READS_MEMBER_CARD, erased=True)
    if member.is_erased:
        return _erased_card(request, member)
    return _render_card(request, member)


def _render_card(
    request: HttpRequest,
    member: Member,
    *,
    call_form: CallForm | None = None,
    note_form: NoteForm | None = None,
) -> HttpResponse:
    """The member card; with a `call_form` or `note_form` that did not validate, its errors
    and what was typed, answered 400."""
    today = clock.today(member.home_club)
    current = badges.current_membership(member, today)
    events = member.events.select_related("actor").order_by("-at", "-id")
    # An unknown filter (a link typed wrong) shows everything rather than nothing.
    shown = timeline.GROUPS.get(request.GET.get("show", ""))
    if shown is not None:
        events = events.filter(kind__in=shown.kinds)
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # Same-phone notes name the other members as they are now (erased ones as erased).
    same_phone = leads.same_phone_texts(page.object_list, member=member)
    in_today = (
        member.visits.filter(at__gte=clock.start_of_day(today, member.home_club))
        .select_related("club")
        .order_by("-at")
        .first()
    )
    for event in page.object_list:
        event.same_phone_text = same_phone.get(event.pk, "")
    return render(
        request,
        "checkin/desk/member_card.html",
        {
            "member": member,
            "today": today,
            "badges": badges.badges(member, today),
            "current": current,
            "renew_ended": None if current else _renewable_ended(member, today),
            "memberships": sorted(
                member.memberships.all(), key=lambda m: (m.start, m.pk), reverse=True
            ),
            "activity": activity.month_activity(member, today),
            "in_today": in_today,
            # A check-in within the repeat window is the same visit, charged nothing.
            "in_today_charged_from": in_today and in_today.at + checkins.REPEAT_SCAN_WINDOW,
            "renewals": _renewal_count(member),
            "saved_card": saved_cards.saved(member),
            "card_declined_at": saved_cards.declined_at(member),
            "card_panels": _card_panels(request, member),
            "open_tasks": Task.objects.visible_to(request.user)
            .open()
            .filter(member=member)
            .select_related("member__home_club", "assigned_to")
            .order_by("due_at", "pk"),
            "now": clock.now(),
            "reads_member_card": True,
            "page": page,
            "timeline_groups": timeline.GROUPS.values(),
            "timeline_shown": shown,
            "refresh_on": MEMBER_CHANGED,
            "can_sell": roles.has_role(request.user, *roles.SELLS),
            "can_check_in": roles.has_role(request.user, *roles.DESK),
            "can_export": roles.has_role(request.user, roles.MANAGER),
            "can_erase": roles.has_role(request.user, roles.MANAGER),
            "can_edit": request.user.has_perm("members.change_member"),
            "note_form": note_form or NoteForm(),
            "call_form": call_form or CallForm(),
            "header_title": member.full_name,
        },
        status=400
        if any(form is not None and form.errors for form in (call_form, note_form))
        else 200,
    )


def _renewable_ended(member: Member, today: dt.date) -> Membership | None:
    """The member's latest membership when it has ended and a renewal of it is what the desk
    sells (not a trial: a trial is followed by a sale): the card's Renew, linked by renewed_from
    as the denial's "Renew now" is (sales.renew decides renewal or rejoin)."""
    latest = badges.latest_membership(member)
    if latest is None or not latest.has_ended(today) or latest.plan.kind == Plan.Kind.TRIAL:
        return None
    return latest


def _card_panels(request: HttpRequest, member: Member) -> list:
    panels: list = []
    for add_panels in hooks.get_hooks(MEMBER_CARD_PANELS_HOOK):
        add_panels(request, member, panels)
    return sorted(panels, key=lambda panel: getattr(panel, "order", 0))


def _renewal_count(member: Member) -> int:
    return member.memberships.filter(renewed_from__isnull=False).aggregate(n=Count("pk"))["n"]


# --- booking a class for a member ------------------------------------------------------

BOOKING_DAYS = 7


def book_class(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's coming classes (to cancel) and the desk club's classes this week (to book),
    for a member on the phone or at the counter. Staff may book outside the members' booking
    window, never above capacity; a full class puts the member on its waitlist."""
    member = staff_member(request, pk, *roles.DESK)
    club = desk_club(request)
    if request.method == "POST":
        form = BookClassForm(
            request.POST, sessions=ClassSession.objects.filter(club__in=clubs_for(request.user))
        )
        if form.is_valid():
            _book_for(request, member, form.cleaned_data["session"])
        else:
            messages.error(request, "That class is not on this club's timetable.")
        return redirect("desk:book_class", pk=member.pk)
    now = clock.now()
    # Every booking of theirs in a class to come, one marked attended early included: the
    # timetable says so in place of Book. Only the live ones can be cancelled.
    theirs = list(
        member.bookings.filter(session__start__gte=now)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("session__class_type", "session__club")
        .order_by("session__start")
    )
    booked = [b for b in theirs if b.status in bookings.LIVE_STATUSES]
    booked_sessions = {b.session_id: b for b in theirs}
    sessions = list(bookings.upcoming_sessions(club, start=now, days=BOOKING_DAYS))
    as_trial = _books_as_trial(member)
    why_not = _why_not_bookable(member, club, sessions, as_trial=as_trial, now=now)
    return render(
        request,
        "checkin/desk/book_class.html",
        {
            "member": member,
            "club": club,
            "booked": booked,
            "rows": [(s, booked_sessions.get(s.pk), why_not.get(s.pk, "")) for s in sessions],
            "days": BOOKING_DAYS,
            "as_trial": as_trial,
            # A lead whose one trial class is booked or done: a membership books the next.
            "trial_used": member.status == Member.Status.LEAD and not as_trial,
            "can_sell": roles.has_role(request.user, *roles.SELLS),
            "header_title": f"Book a class for {member.full_name}",
            "header_icon": "calendar",
        },
    )


def _books_as_trial(member: Member) -> bool:
    # A lead has no membership: their one class is the free trial (trial-eligible classes),
    # while they may still take it by the booking service's own rule.
    return member.status == Member.Status.LEAD and bookings.trial_refusal(member) is None


# What the timetable shows in place of Book, by bookings.class_refusals' reason.
DESK_REFUSALS = {
    # The membership ended, or ends before the class: one wording for both.
    "expired": "After the membership ends: renew to book",
    "frozen": "Frozen that day",
    "no_visits_left": "No visits left: top up to book",
    "no_class_membership": "No membership with classes",
}


def _why_not_bookable(
    member: Member, club: Club, sessions: list[ClassSession], *, as_trial: bool, now: dt.datetime
) -> dict[int, str]:
    """{session id: why the desk cannot book the member into it}, by the rules bookings.book
    applies, so the page offers no button the service would refuse."""
    if as_trial:
        return {s.pk: "Not open for trials" for s in sessions if not s.class_type.trial_eligible}
    zone = clock.zone(club)
    day_of = {s.pk: s.start.astimezone(zone).date() for s in sessions}
    refusals = bookings.class_refusals(member, club, set(day_of.values()), now=now)
    why = {}
    for pk, day in day_of.items():
        if (refusal := refusals.get(day)) is None:
            continue
        why[pk] = (
            f"Booking paused until {refusal.until:%a %-d %b, %H:%M} after {refusal.cause}"
            if refusal.code == "penalty"
            else DESK_REFUSALS[refusal.code]
        )
    return why


def _book_for(request: HttpRequest, member: Member, session: ClassSession) -> None:
    starts = session.start.astimezone(clock.zone(session.club))
    what = f"{session.class_type.name} on {starts:%a %-d %b, %H:%M}"
    try:
        booking = bookings.book(member, session, trial=_books_as_trial(member), by=request.user)
    except bookings.BookingError as error:
        # The booking rules speak to the member; the desk reads them out.
        messages.error(request, f"{member.first_name} is not booked for {what}: {error}")
        return
    if booking.status == Booking.Status.WAITLISTED:
        messages.info(
            request,
            f"{what} is full: {member.first_name} is number "
            f"{bookings.waitlist_place(booking)} on the waitlist.",
        )
    elif late := bookings.booked_late_notice(booking):
        messages.warning(request, f"{member.first_name} is booked for {what}. {late}")
    else:
        messages.success(request, f"{member.first_name} is booked for {what}.")


@require_POST
def cancel_booking(request: HttpRequest, pk: int, booking_pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.DESK)
    booking = get_object_or_404(
        member.bookings.select_related("session__class_type", "session__club"), pk=booking_pk
    )
    try:
        booking = bookings.cancel(booking, by=request.user)
    except bookings.BookingError as error:
        messages.error(request, str(error))
    else:
        name = booking.session.class_type.name
        if booking.already_cancelled:
            # A second click, or a colleague at the other desk: nothing changed.
            messages.info(request, f"The booking for {name} was already cancelled.")
        elif booking.was_waitlisted:
            messages.success(request, f"{member.first_name} left the waitlist for {name}.")
        else:
            messages.success(request, f"Booking for {name} cancelled.")
    return redirect("desk:book_class", pk=member.pk)


@require_POST
def export_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's personal data as a JSON file (members.export), for a manager answering a
    request under the GDPR; the export is on the member's timeline with who made it."""
    member = staff_member(request, pk, roles.MANAGER)
    return export.download(member, exported_by=request.user)


def erase_data(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the member's personal data (members.erasure), for a manager answering a request
    under the GDPR: a page that says what goes and what stays, refused while a membership or
    classes are still to come, and a reason required."""
    member = staff_member(request, pk, roles.MANAGER, erased=True)
    if member.is_erased:
        return redirect("desk:member", pk=member.pk)  # twice is a no-op
    form = EraseForm(request.POST or None)
    refused = erasure.refusals(member)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            erasure.erase(member, by=request.user, reason=form.cleaned_data["reason"])
        except erasure.ErasureRefused as error:  # booked or sold in the meantime
            refused = error.refusals
        else:
            messages.success(request, f"The personal data of member #{member.pk} is erased.")
            return redirect("desk:member", pk=member.pk)
    return render(
        request,
        "checkin/desk/erase.html",
        {
            "member": member,
            "form": form,
            "refusals": [(r, _refusal_link(r, member)) for r in refused],
            "header_title": f"Erase the personal data of {member.full_name}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _refusal_link(refused: erasure.Refusal, member: Member) -> str:
    """Where the desk ends what stops an erasure: the classes to come, or the memberships."""
    if refused.code == "bookings":
        return reverse("desk:book_class", args=[member.pk])
    return reverse("memberships:index") + "?" + urlencode({"q": member.full_name})


def _erased_card(request: HttpRequest, member: Member) -> HttpResponse:
    # Only that it was erased, when and by a manager: the reason and who stay on the timeline.
    return render(
        request,
        "checkin/desk/erased_card.html",
        {"member": member, "header_title": member.full_name},
    )


@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.READS_MEMBER_CARD)
    form = NoteForm(request.POST)
    if form.is_valid():
        timeline.record(
            member, MemberEvent.Kind.NOTE, actor=request.user, text=form.cleaned_data["text"]
        )
        messages.success(request, "Note added.")
        return redirect("desk:member", pk=member.pk)
    # The card again, with the text as typed and the error under it: a redirect threw it away.
    return _render_card(request, member, note_form=form)


@require_POST
def give_card(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.SELLS)
    form = CardForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["card"][0])
        return redirect("desk:member", pk=member.pk)
    try:
        replaced = cards.give_card(member, form.cleaned_data["card"], by=request.user)
    except CardTaken:
        messages.error(
            request,
            "That card is already another member's. Give them another card, or take this "
            "one back from its holder first.",
        )
    else:
        old = " The old card no longer opens the door." if replaced else ""
        messages.success(request, f"Card {member.card_token} given to {member.first_name}.{old}")
    return redirect("desk:member", pk=member.pk)


@require_POST
def log_call(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.READS_MEMBER_CARD)
    form = CallForm(request.POST)
    if form.is_valid():
        closed = staff_tasks.log_call(
            member,
            outcome=form.cleaned_data["outcome"],
            text=form.cleaned_data["text"],
            by=request.user,
        )
        done = f" {closed} open task{'s' if closed != 1 else ''} done." if closed else ""
        messages.success(request, f"Call logged.{done}")
        return redirect("desk:member", pk=member.pk)
    # The card again, with the error by the outcome and the note as typed: a redirect lost it.
    return _render_card(request, member, call_form=form)


def sell(request: HttpRequest, pk: int) -> HttpResponse:
    member = staff_member(request, pk, *roles.SELLS)
    form = SellForm(request.POST or None, member=member, with_club=_works_at_clubs(request))
    if request.method == "POST" and form.is_valid():
        try:
            membership = sales.sell(
                member,
                form.cleaned_data["plan"],
                start=form.cleaned_data["start"],
                method=form.cleaned_data["method"],
                sold_by=request.user,
            )
        except ValidationError as error:
            # An overlap or a second trial, found under the member's lock.
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Sold {membership.plan}: "
                f"{date_format(membership.start)} – {date_format(membership.end)}.",
            )
            return redirect("desk:member", pk=member.pk)
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": member,
            "form": form,
            "header_title": f"Sell a membership to {member.full_name}",
            "submit": form.submit_label("Sell"),
            "charge_verb": "Sell",
        },
        status=400 if form.errors else 200,
    )


def renew(request: HttpRequest, pk: int) -> HttpResponse:
    current = staff_membership(request, pk, *roles.SELLS)
    member = current.member
    if (following := sales.following(current)) is not None:
        # The form again after it was used (Back, a second tab): its dates and text were of a
        # membership that is no longer the latest. Say what followed it, sell nothing.
        return render(
            request,
            "checkin/desk/already_renewed.html",
            {
                "member": member,
                "current": current,
                "following": following,
                "header_title": f"Renew {current.plan} for {member.full_name}",
            },
            status=409 if request.method == "POST" else 200,
        )
    form = RenewForm(
        request.POST or None,
        member=member,
        current_plan=current.plan,
        with_club=_works_at_clubs(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            renewal = sales.renew(
                current,
                plan=form.cleaned_data["plan"],
                method=form.cleaned_data["method"],
                sold_by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            back = back_to(request, reverse("desk:member", args=[member.pk]))
            if _is_desk(back):
                # "Renew now" on a denied check-in: the desk offers "Check in now" for them,
                # in a panel that says what was sold (no message above it to go stale).
                back = _desk_offer(renewed=renewal.pk)
            else:
                messages.success(
                    request,
                    f"{'Renewed' if renewal.renewed_from_id else 'Rejoined'}: {renewal.plan} "
                    f"from {date_format(renewal.start)} to {date_format(renewal.end)}.",
                )
            return redirect(back)
    today = clock.today(member.home_club)
    start = sales.renewal_start(current, today=today)
    if too_early := sales.too_early_to_renew(current, today=today):
        # Said before anything is typed; the form still answers with it if sent.
        intro = f"{too_early} It would start "
    elif current.end >= today and sales.is_used_up(current):
        # Paid for to be let in now: not queued behind dates that no longer admit anyone.
        intro = "No visits left on this pack: the renewal starts today, "
    elif current.end >= today:
        intro = f"Current membership ends {date_format(current.end)}: the renewal starts "
    elif sales.renews(current, start):
        intro = f"Membership ended {date_format(current.end)}: the renewal starts "
    else:
        # Past the grace days the member went without: a new start, which analytics and the
        # card count as a rejoin rather than a renewal.
        intro = (
            f"Membership ended {date_format(current.end)}, more than "
            f"{member.home_club.renewal_grace_days} days ago: a rejoin, which starts "
        )
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": member,
            "form": form,
            "header_title": f"Renew {current.plan} for {member.full_name}",
            "intro": f"{intro}{date_format(start)}.",
            # Too early, nothing can be sold: no button that would take money and be refused.
            "submit": "Renewal not open yet" if too_early else form.submit_label("Renew"),
            "charge_verb": None if too_early else "Renew",
            "submit_disabled": bool(too_early),
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


def take_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the payment of an unpaid membership ("Take payment" on a denial or the card): the
    amount due, cash or card terminal, as Sell takes one. From a denial, back to the desk with
    "Check in now"; a second submit records nothing twice (memberships.dues.take_payment)."""
    membership = staff_membership(request, pk, *roles.SELLS)
    member = membership.member
    due = format_price(dues.amount_due(membership), member.home_club.currency)
    form = TakePaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = dues.take_payment(
            membership, method=form.cleaned_data["method"], taken_by=request.user
        )
        back = back_to(request, reverse("desk:member", args=[member.pk]))
        if payment is None:
            messages.info(request, f"{membership.plan} is paid already: nothing was taken now.")
            return redirect(back)
        if _is_desk(back):
            # The desk's panel says what was paid, with "Check in now".
            back = _desk_offer(paid=payment.pk)
        else:
            messages.success(
                request,
                f"Paid {format_price(payment.amount, payment.currency)} for {membership.plan} "
                f"({payment.get_method_display().lower()}).",
            )
        return redirect(back)
    if membership.status != Membership.Status.PAST_DUE:
        messages.info(request, f"{membership.plan} is not unpaid: there is nothing to take.")
        return redirect("desk:member", pk=member.pk)
    today = clock.today(member.home_club)
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": member,
            "form": form,
            "header_title": f"Take payment from {member.full_name}",
            "intro": f"Due: {due} for {membership.plan}, "
            f"{date_range(membership.start, membership.end, today=today)} (unpaid).",
            "submit": f"Take {due}",
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def auto_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a membership's automatic renewal on or off from the member card (front desk and
    managers), on the member's timeline with who did it."""
    membership = staff_membership(request, pk, *roles.SELLS)
    form = AutoRenewForm(request.POST)
    if not form.is_valid():
        return HttpResponse("auto_renew must be on or off.", status=400)
    on = form.cleaned_data["auto_renew"] == "on"
    try:
        changed = autorenew.set_auto_renew(
            membership, on=on, actor=request.user, source=autorenew.DESK
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        plan, end = membership.plan, date_format(membership.end)
        if not changed:
            messages.info(request, f"{plan}: nothing changed.")
        elif on:
            messages.success(request, f"{plan} renews automatically after {end}.")
        else:
            messages.success(request, f"{plan} ends {end} and won't renew.")
    return redirect("desk:member", pk=membership.member_id)


def freeze(request: HttpRequest, pk: int) -> HttpResponse:
    membership = staff_membership(request, pk, *roles.SELLS)
    form = FreezeForm(request.POST or None, today=clock.today(membership.member.home_club))
    if request.method == "POST" and form.is_valid():
        try:
            done = bookings.freeze_membership(membership, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            today = clock.today(membership.member.home_club)
            frozen = done.freeze
            messages.success(
                request,
                f"Frozen {date_range(frozen.start, frozen.end, today=today)}; "
                f"now ends {date_format(membership.end)}. {done.cancelled_text()}".rstrip(),
            )
            return redirect("desk:member", pk=membership.member_id)
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": membership.member,
            "form": form,
            "header_title": f"Freeze {membership.plan} for {membership.member.full_name}",
            "intro": (
                f"Ends {date_format(membership.end)}; a freeze moves the end by its length "
                f"(at most {membership.member.home_club.max_freeze_days} days)."
            ),
            "submit": "Freeze",
        },
        status=400 if form.errors else 200,
    )


def unfreeze(request: HttpRequest, pk: int) -> HttpResponse:
    """End a running freeze early ("End early" on the member card)."""
    frozen = staff_freeze(request, pk)
    member = frozen.membership.member
    today = clock.today(member.home_club)
    form = UnfreezeForm(request.POST or None, frozen=frozen, today=today, initial={"on": today})
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["on"]
        try:
            done = freezes.unfreeze(frozen, on=on, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Freeze ended; the unused days came off the end date.")
            # Its cancelled classes stay cancelled (docs/architecture.md, "Freezes"): the desk
            # is told which are still ahead, to book again with the member at the counter.
            if again := bookings.cancelled_by_freeze(frozen.pk, member=member, since=on):
                count = len(again)
                messages.warning(
                    request,
                    f"The freeze cancelled {count} class booking{'s' if count != 1 else ''} "
                    f"still to come: {bookings.classes_text(again)}. They stay cancelled: "
                    f"book {member.first_name or 'them'} again under Book class if they "
                    "still want them.",
                )
            back = back_to(request, reverse("desk:member", args=[member.pk]))
            # "End freeze" on a denied check-in, back from today: "Check in now", as after
            # "Renew now" (the unfreeze's event: a second desk's, when this one changed nothing).
            if _is_desk(back) and on <= today and done.event is not None:
                back = _desk_offer(unfrozen=done.event.pk)
            return redirect(back)
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": member,
            "form": form,
            "header_title": f"End the freeze of {member.full_name}",
            "intro": f"Frozen {date_range(frozen.start, frozen.end, today=today)}.",
            "submit": "End freeze",
            "next": request.GET.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


def cancel_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a freeze that has not started ("Cancel freeze" on the member card)."""
    frozen = staff_freeze(request, pk)
    member = frozen.membership.member
    today = clock.today(member.home_club)
    # Bound on any POST: the form has no fields, so the POST may carry nothing but the token.
    form = CancelFreezeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            freezes.cancel(frozen, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Freeze cancelled; its days came off the end date.")
            return redirect("desk:member", pk=member.pk)
    return render(
        request,
        "checkin/desk/form.html",
        {
            "member": member,
            "form": form,
            "header_title": f"Cancel the freeze of {member.full_name}",
            "intro": (
                f"Planned {date_range(frozen.start, frozen.end, today=today)}: cancelling it moves "
                f"the end {frozen.days} day{'s' if frozen.days != 1 else ''} earlier, and any "
                "renewal queued behind it."
            ),
            "submit": "Cancel freeze",
            "back": "Keep the freeze",
        },
        status=400 if form.errors else 200,
    )


def new_lead(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *roles.DESK)
    club = desk_club(request)
    # From "No member matches …": what was searched for, filled in where it belongs.
    initial = walk_in_details(request.GET.get("q", ""), club.phone_region)
    form = WalkInLeadForm(request.POST or None, club=club, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member, created = leads.capture(
                club,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=str(data["phone"] or ""),
                source=Member.Source.WALK_IN,
                sms_consent=data["sms_consent"],
                email_consent=data["email_consent"],
                consent_source="desk",
                consent_wording=form.consent_wording(),
                recorded_by=request.user,
            )
        except leads.EmailOfAnother as error:
            # Given to that member since the form was checked: the same answer, nothing saved.
            _add_errors(form, error)
        else:
            if created:
                messages.success(request, "Lead registered.")
            else:
                _tell_known(request, member, data)
            # A phone someone else of the club has: the staff member at the counter can ask
            # now ("are you Lea's partner?") rather than find the note on the timeline later.
            same_phone = member.events.filter(kind=MemberEvent.Kind.SAME_PHONE).first()
            if created and same_phone:
                note = leads.same_phone_texts([same_phone], member=member)
                messages.warning(request, note[same_phone.pk])
            return redirect("desk:member", pk=member.pk)
    return render(
        request,
        "checkin/desk/form.html",
        {"form": form, "header_title": f"New walk-in lead at {club}", "submit": "Register lead"},
        status=400 if form.errors else 200,
    )


def _tell_known(request: HttpRequest, member: Member, data: dict) -> None:
    """The walk-in is someone the club knows (same name, and email or phone): say what the
    form did to their record — which consents are now on it, a phone or email it lacked now
    filled in (leads.fill_in) — and what it did not: a phone or email typed that differs from
    the card's is not copied over (staff edit the card), nor is consent to it recorded."""
    typed = {"phone": str(data["phone"] or ""), "email": data["email"]}
    recorded = [
        label
        for channel, label, ticked in (
            (Channel.SMS, "SMS", data["sms_consent"]),
            (Channel.EMAIL, "email", data["email_consent"]),
        )
        if ticked and leads.reaches(member, channel, **typed)
    ]
    consent = f"; {' and '.join(recorded)} consent recorded" if recorded else ""
    messages.success(request, f"Already known: opened their card{consent}.")
    on_card = {"phone": str(member.phone or ""), "email": member.email}
    differ = [
        what
        for what in ("phone", "email")
        if typed[what] and typed[what].lower() != on_card[what].lower()
    ]
    if differ:
        consent_field = {"phone": "sms_consent", "email": "email_consent"}
        ticked = any(data[consent_field[what]] for what in differ)
        not_recorded = ", nor consent to it recorded" if ticked else ""
        named = " and ".join(f"{what} {typed[what]}" for what in differ)
        messages.warning(
            request,
            f"The {named} typed {'is' if len(differ) == 1 else 'are'} not on their card: "
            f"nothing was changed{not_recorded}. Edit the card if it is new.",
        )


def _works_at_clubs(request: HttpRequest) -> bool:
    """Whether lists should name each row's club: two clubs' "Monthly" read alike, and a
    task of someone working at two clubs may be at either."""
    return clubs_for(request.user).count() > 1


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


# --- staff tasks ------------------------------------------------------------------------


def tasks(request: HttpRequest) -> HttpResponse:
    """The staff member's open tasks (call this lead within 15 minutes), soonest due first;
    with ?show=done, those done in the last DONE_TASKS_DAYS, latest first, and by whom."""
    roles.require(request.user, *roles.ALL)
    show_done = request.GET.get("show") == "done"
    visible = Task.objects.visible_to(request.user).select_related(
        "member__home_club", "assigned_to", "done_by"
    )
    if show_done:
        since = clock.now() - dt.timedelta(days=DONE_TASKS_DAYS)
        listed = visible.filter(status=Task.Status.DONE, done_at__gte=since).order_by(
            "-done_at", "-pk"
        )
    else:
        listed = visible.open().order_by("due_at", "pk")
    return render(
        request,
        "checkin/desk/tasks.html",
        {
            "page": Paginator(listed, 50).get_page(request.GET.get("page")),
            "show_done": show_done,
            "done_days": DONE_TASKS_DAYS,
            "now": clock.now(),
            "reads_member_card": roles.has_role(request.user, *roles.READS_MEMBER_CARD),
            # Someone working at two clubs is told which club each task is at.
            "several_clubs": _works_at_clubs(request),
            "header_title": "Tasks",
            "header_icon": "tasks",
        },
    )


@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the staff member's tasks done; marking it again changes nothing."""
    roles.require(request.user, *roles.ALL)
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    staff_tasks.complete(task, by=request.user)
    messages.success(request, f"Done: {task.title}")
    return redirect(back_to(request, reverse("desk:tasks")))


def back_to(request: HttpRequest, default: str) -> str:
    """The page a form came from (its `next` field), when it is one of ours: a link to the
    form must not send staff to another site after they submit it."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default
