"""The lifecycle screens for marketing and managers: the playbook with its touchpoint counts,
the rule editor with a template preview and this week's reach, and the dry runs of a rule and
of a member. Every view starts with the access helper.

Rules are chain-wide data: a rule with no clubs runs at every club. Staff see the rules that
run at one of their clubs, and counts, reach and members of their own clubs only; they change
only the rules that apply at none but their clubs (`access.RuleRights`), and see the others
read-only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from wagtail import hooks

from campaigns import dryrun, rules, triggers
from campaigns.backoffice.access import RuleRights
from campaigns.backoffice.forms import (
    PERIODS,
    ParametersForm,
    PeriodForm,
    RuleForm,
    carried_values,
    text_problems,
    timing,
    typed_timing,
    typed_values,
)
from campaigns.models import Rule, Touchpoint
from club import admin_access, clock, roles
from club.admin_access import clubs_for, scope
from members.models import Member

# Who may use the lifecycle screens.
LIFECYCLE = (roles.MARKETING, roles.MANAGER)

PICKER_RESULTS = 20
RULE_DRY_RUN_ROWS = 200
COMING_UP_SHOWN = 5
PROBLEM_LABELS = {"subject": "Subject", "template": "Template"}

# Touchpoints belong to the club they were written for.
admin_access.register(Touchpoint, "club")

# Apps above campaigns add columns to the playbook through this Wagtail hook, so the list
# shows their numbers (analytics: uplift) without campaigns importing them:
# fn(request, columns, *, clubs, since, until) appends PlaybookColumns, each worked out for
# every rule at once — the page's queries must not grow with the number of rules.
PLAYBOOK_COLUMNS_HOOK = "construct_playbook_columns"


# --- access ---------------------------------------------------------------------------


def rules_for(user) -> QuerySet[Rule]:
    """The rules that run at one of the user's clubs: their own and the chain-wide ones."""
    every = Rule.objects.all()
    if user.is_superuser:
        return every
    return every.filter(Q(clubs__isnull=True) | Q(clubs__in=clubs_for(user))).distinct()


def clubs_label(user) -> str:
    """Whose numbers a screen shows: "Downtown", "Downtown and Riverside", "every club"."""
    if user.is_superuser:
        return "every club"
    return names_label(clubs_for(user))


def rule_clubs_label(user, rule: Rule | None) -> str:
    """Where a rule's reach is counted: the user's clubs it runs at ("Downtown" for a rule of
    Downtown alone, though the user works at Riverside too)."""
    named = list(rule.clubs.all()) if rule is not None and rule.pk else []
    if not named:
        return clubs_label(user)
    if not user.is_superuser:
        named = [club for club in clubs_for(user) if club in named]
    return names_label(named)


def names_label(clubs) -> str:
    """ "Downtown", "Downtown and Riverside", "A, B and C" (by name), or "no club"."""
    names = sorted(club.name for club in clubs)
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else "no club"


def staff_rule(request: HttpRequest, pk: int) -> Rule:
    """The rule if the user may use the playbook and it runs at one of their clubs."""
    roles.require(request.user, *LIFECYCLE)
    return get_object_or_404(rules_for(request.user).prefetch_related("clubs"), pk=pk)


def rule_to_change(request: HttpRequest, pk: int) -> Rule:
    """`staff_rule`, refused (403) unless the user may change it: every view that changes a
    rule starts here."""
    rule = staff_rule(request, pk)
    if not RuleRights(request.user).can_change(rule):
        raise PermissionDenied
    return rule


def staff_member(request: HttpRequest, pk: int, allowed: tuple[str, ...] = LIFECYCLE) -> Member:
    roles.require(request.user, *allowed)
    return get_object_or_404(scope(Member.objects.select_related("home_club"), request.user), pk=pk)


# --- the playbook -----------------------------------------------------------------------


_S = Touchpoint.Status
# What each count of a screen counts, by the statuses it takes in: the counts (`Counts.add`)
# and the outbox's "Outcome" filter read this one table, so a count and the list its link
# opens cannot disagree on what "sent" or "held out" means.
OUTCOMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "scheduled": ("Scheduled or being sent", (_S.SCHEDULED, _S.SENDING)),
    "sent": ("Sent (delivered included)", (_S.SENT, _S.DELIVERED)),
    "delivered": ("Delivered", (_S.DELIVERED,)),
    "failed": ("Failed", (_S.FAILED,)),
    "suppressed": ("Suppressed", (_S.SUPPRESSED,)),
    "held_out": ("Held out", (_S.HOLDING, _S.HELD_OUT)),
    "cancelled": ("Cancelled", (_S.CANCELLED,)),
    "not_sent": (
        "Not sent (failed, suppressed or cancelled)",
        (_S.FAILED, _S.SUPPRESSED, _S.CANCELLED),
    ),
}
# Held out, decided or to be, and scheduled: still waiting to go (counted whenever due).
WAITING = (_S.SCHEDULED, _S.SENDING, _S.HOLDING)
# The counts kept as attributes of Counts (suppressed is kept by reason).
_COUNTED = ("scheduled", "sent", "delivered", "failed", "held_out", "cancelled")


@dataclass
class Counts:
    """A rule's touchpoints by outcome. "Sent" counts every message that went out, delivered
    ones included; "scheduled" includes those being sent right now.

    `filters` are the outbox list's filters for the touchpoints counted (the screen showing
    the counts sets them): each count then links to the list of exactly its rows."""

    scheduled: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    held_out: int = 0
    cancelled: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    # Each reason's stored value by its label ("No consent": "no_consent"), for the links.
    reasons: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    filters: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())

    @property
    def not_sent(self) -> int:
        """Failed, suppressed or cancelled: neither sent, waiting, nor held out."""
        return self.failed + self.suppressed_total + self.cancelled

    @property
    def total(self) -> int:
        """Every row: for a campaign's run, the members its segment had on the day."""
        return self.scheduled + self.sent + self.held_out + self.not_sent

    @property
    def suppressed_by_reason(self) -> list[tuple[str, int]]:
        """The reasons, the most frequent first."""
        return sorted(self.suppressed.items(), key=lambda item: (-item[1], item[0]))

    @property
    def suppressed_links(self) -> list[tuple[str, int, str | None]]:
        """The reasons as `suppressed_by_reason`, each with its outbox link (none for a
        suppression without a reason, which the reason filter cannot name)."""
        return [
            (
                label,
                n,
                self.link("suppressed", self.reasons[label]) if self.reasons.get(label) else None,
            )
            for label, n in self.suppressed_by_reason
        ]

    @property
    def links(self) -> dict[str, str]:
        """The outbox list of each count's rows, by outcome ("sent", "held_out", …)."""
        return {outcome: self.link(outcome) for outcome in OUTCOMES}

    def link(self, outcome: str, reason: str = "") -> str:
        query = {**self.filters, "outcome": outcome}
        if reason:
            query["reason"] = reason
        return f"{reverse('outbox:index')}?{urlencode(query)}"

    def linked(self, **filters: str) -> Counts:
        """These counts, linking to the outbox list with `filters`."""
        self.filters = filters
        return self

    def add(self, status: str, reason: str, n: int) -> None:
        for outcome in _COUNTED:
            if status in OUTCOMES[outcome][1]:
                setattr(self, outcome, getattr(self, outcome) + n)
        if status in OUTCOMES["suppressed"][1]:
            label = Touchpoint.Reason(reason).label if reason else "Other"
            self.suppressed[label] = self.suppressed.get(label, 0) + n
            if reason:
                self.reasons[label] = reason


@dataclass(frozen=True)
class Cell:
    text: str
    title: str = ""


@dataclass(frozen=True)
class PlaybookColumn:
    """A column another app adds to the playbook: its heading and each rule's cell by rule
    id; a rule without one shows `missing`."""

    label: str
    cells: dict[int, Cell]
    help_text: str = ""
    missing: Cell = Cell("—")
    order: int = 0

    def cell(self, rule: Rule) -> Cell:
        return self.cells.get(rule.pk, self.missing)


def extra_columns(
    request: HttpRequest, *, clubs: list, since: dt.datetime, until: dt.datetime
) -> list[PlaybookColumn]:
    columns: list[PlaybookColumn] = []
    for add_columns in hooks.get_hooks(PLAYBOOK_COLUMNS_HOOK):
        add_columns(request, columns, clubs=clubs, since=since, until=until)
    return sorted(columns, key=lambda column: column.order)


def touchpoint_counts(
    touchpoints: QuerySet[Touchpoint], *, by: str = "rule"
) -> tuple[dict[int, Counts], Counts]:
    """Counts per rule (or per `by`, e.g. "club") and in all, from one grouped query."""
    per_group: dict[int, Counts] = {}
    total = Counts()
    rows = touchpoints.order_by().values(by, "status", "reason").annotate(n=Count("pk"))
    for row in rows:
        per_group.setdefault(row[by], Counts()).add(row["status"], row["reason"], row["n"])
        total.add(row["status"], row["reason"], row["n"])
    return per_group, total


def period_touchpoints(*, since: dt.datetime, until: dt.datetime) -> Q:
    """The touchpoints of a period: those *due* in [since, until), the set the uplift column
    measures, whenever they were written (the evaluator writes a week ahead); and, so the
    outbox's coming week shows as scheduled, those still waiting to go, due later."""
    return Q(due_at__gte=since) & due_before(until)


def due_before(until: dt.datetime) -> Q:
    """Due before `until`, or still waiting to go (the end of a period as the playbook reads
    it; the outbox's "due before" filter is this too)."""
    return Q(due_at__lt=until) | Q(status__in=WAITING)


def period_filters(*, since: dt.datetime, until: dt.datetime) -> dict[str, str]:
    """The outbox list's filters for `period_touchpoints(since=, until=)`."""
    return {"due_from": since.isoformat(), "due_before": until.isoformat()}


def describe(rule: Rule) -> str:
    """The rule's trigger and timing in words: "7 days before a membership ends, if not …"."""
    try:
        return triggers.get(rule.trigger).describe(rule.params)
    except (LookupError, KeyError, TypeError, ValueError):
        return f"unknown or incomplete trigger {rule.trigger!r}: fix it in the editor"


def reach_at(rule: Rule, clubs, *, now: dt.datetime | None = None) -> dryrun.Reach:
    """This week's reach of the rule at the given clubs, added up."""
    now = now or clock.now()
    total = dryrun.Reach()
    for club in clubs:
        total += dryrun.rule_reach(rule, club, now=now)
    return total


def playbook(request: HttpRequest) -> HttpResponse:
    """Every rule with its touchpoint counts over a period; this week's reach on request,
    because it runs every rule's trigger query (a few seconds on a big club)."""
    roles.require(request.user, *LIFECYCLE)
    # Bound only when a period was chosen: "?reach=1" alone left the select on its first
    # choice (7 days) above counts of the default 30.
    form = PeriodForm(request.GET if "days" in request.GET else None)
    days = (form.cleaned_data["days"] if form.is_valid() else None) or 30
    # To the second: the counts' links carry the period's ends to the outbox list.
    now = clock.now().replace(microsecond=0)
    since = now - dt.timedelta(days=days)
    # The rules' touchpoints: a campaign's are counted on its results page.
    touchpoints = scope(Touchpoint.objects.filter(rule__isnull=False), request.user).filter(
        period_touchpoints(since=since, until=now)
    )
    per_rule, total = touchpoint_counts(touchpoints)
    period = period_filters(since=since, until=now)
    total.linked(sent_by="rule", **period)
    with_reach = request.GET.get("reach") == "1"
    clubs = list(clubs_for(request.user))
    columns = extra_columns(request, clubs=clubs, since=since, until=now)
    rights = RuleRights(request.user)
    rows = [
        {
            "rule": rule,
            "can_change": rights.can_change(rule),
            "view_only_note": rights.view_only_note(rule),
            "trigger": describe(rule),
            "counts": per_rule.get(rule.pk, Counts()).linked(rule=str(rule.pk), **period),
            "extra": [column.cell(rule) for column in columns],
            "reach": reach_at(rule, clubs) if with_reach and rule.is_active else None,
        }
        for rule in rules_for(request.user).prefetch_related("clubs").order_by("number")
    ]
    query = request.GET.copy()
    query["reach"] = "1"
    return render(
        request,
        "campaigns/admin/playbook.html",
        {
            "rows": rows,
            "columns": columns,
            "total": total,
            "form": form,
            "days": days,
            "period": dict(PERIODS)[days],
            "with_reach": with_reach,
            "reach_query": query.urlencode(),
            "clubs_label": clubs_label(request.user),
            "header_title": "Lifecycle playbook",
        },
    )


# --- the rule editor --------------------------------------------------------------------


def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The rule's editor; read-only, and a save refused, when the rule also applies at a
    club the user does not work at."""
    rule = rule_to_change(request, pk) if request.method == "POST" else staff_rule(request, pk)
    form = RuleForm(request.POST or None, instance=rule, user=request.user)
    if not form.rights.can_change(rule):
        form.make_view_only()
    if request.method == "POST" and form.is_valid():
        withdrawn = rules.save(form.save(commit=False), clubs=form.cleaned_data["clubs"])
        messages.success(request, saved_message(rule, withdrawn=withdrawn))
        return redirect("playbook:rule_edit", pk=rule.pk)
    # An invalid form must not leak into the preview and reach: read the saved rule again.
    saved = staff_rule(request, pk)
    return render(request, "campaigns/admin/rule_form.html", editor_context(request, form, saved))


def saved_message(rule: Rule, *, withdrawn: int) -> str:
    """What a save did, with the outbox rows it withdrew (rules.withdraw_plans)."""
    said = f"Rule {rule.number} “{rule.name}” saved."
    if not withdrawn:
        return said
    many = withdrawn != 1
    were = f"{withdrawn} message{'s' * many} not sent yet {'were' if many else 'was'} withdrawn"
    if not rule.is_active:
        return f"{said} {were}: the rule is off, so none goes."
    return f"{said} {were}; the next evaluation, within minutes, writes them as the rule now says."


def rule_add(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *LIFECYCLE)
    form = RuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, f"Rule {rule.number} “{rule.name}” added.")
        return redirect("playbook:rule_edit", pk=rule.pk)
    return render(request, "campaigns/admin/rule_form.html", editor_context(request, form, None))


def editor_context(request: HttpRequest, form: RuleForm, rule: Rule | None) -> dict:
    # The saved parameters in words (a new rule's: its trigger list's first kind), or, when
    # saving failed, those posted. A refused save's errors are under the fields: the box
    # would say them again, so it stays empty until the next change asks (htmx).
    if not form.is_bound:
        words, problems = timing(form.kind, form.instance.params or {}, form.channel)
    elif form.params is not None and not form.has_error("trigger"):
        words, problems = timing(form.kind, form.params, form.channel)
    else:
        words, problems = "", []
    context = {
        "form": form,
        "rule": rule,
        "parameter_fields": form.parameter_fields(),
        "timing": words,
        "timing_problems": problems,
        "clubs_label": rule_clubs_label(request.user, rule),
        "header_title": f"Rule {rule.number}: {rule.name}" if rule else "New rule",
        "can_change": rule is None or form.rights.can_change(rule),
        "view_only_note": form.rights.view_only_note(rule) if rule else "",
    }
    if rule is not None:
        reach = reach_at(rule, clubs_for(request.user)) if rule.is_active else None
        context |= {"trigger": describe(rule), "reach": reach}
        context |= preview_context(request, rule, reach=reach)
    return context


def rule_timing(request: HttpRequest) -> HttpResponse:
    """The editor's trigger and timing in words for the parameters as typed (htmx asks as
    they change), or what is wrong with them. Nothing is saved."""
    roles.require(request.user, *LIFECYCLE)
    kind, channel = request.GET.get("trigger", ""), request.GET.get("channel")
    words, problems = typed_timing(kind, request.GET, channel)
    return render(
        request, "campaigns/admin/_timing.html", {"timing": words, "timing_problems": problems}
    )


def rule_parameters(request: HttpRequest) -> HttpResponse:
    """The editor's parameter fields for the trigger and channel chosen (htmx asks as they
    change), holding the values typed that still apply, with the timing in words."""
    roles.require(request.user, *LIFECYCLE)
    kind, channel = request.GET.get("trigger", ""), request.GET.get("channel")
    values = typed_values(kind, channel, request.GET)
    form = ParametersForm(kind=kind, channel=channel, values=values)
    words, problems = typed_timing(kind, form.as_data(), channel)
    context = {
        "parameter_fields": form.parameter_fields(),
        "carried": carried_values(kind, channel, request.GET),
        "timing": words,
        "timing_problems": problems,
    }
    return render(request, "campaigns/admin/_parameters.html", context)


def rule_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The message for a chosen member; with subject / template / channel in the query, the
    unsaved text of the editor (htmx sends them, also when a member is searched for or
    chosen, so the editor's page and what was typed in it stay). Nothing is saved."""
    rule = staff_rule(request, pk)
    context = preview_context(
        request,
        rule,
        subject=request.GET.get("subject"),
        template=request.GET.get("template"),
        channel=request.GET.get("channel"),
    )
    template = "_preview_panel.html" if request.htmx else "preview.html"
    return render(
        request,
        f"campaigns/admin/{template}",
        {**context, "rule": rule, "header_title": f"Preview of rule {rule.number}: {rule.name}"},
    )


def preview_context(
    request: HttpRequest,
    rule: Rule,
    *,
    reach: dryrun.Reach | None = None,
    subject: str | None = None,
    template: str | None = None,
    channel: str | None = None,
) -> dict:
    members = scope(Member.objects.select_related("home_club"), request.user)
    query = request.GET.get("q", "").strip()
    found = picker_results(request, members, query)
    if member_id := request.GET.get("member"):
        member = get_object_or_404(members, pk=member_id) if member_id.isdigit() else None
    else:
        member = default_member(members, reach, rule=rule)
    preview = None
    if member is not None:
        preview = dryrun.preview(
            rule, member, subject=subject, template=template, channel=channel or None
        )
    # What saving these texts would say, so a misspelled name is seen before saving.
    problems = text_problems(
        rule.trigger,
        channel or rule.channel,
        subject=rule.subject if subject is None else subject,
        template=rule.template if template is None else template,
    )
    return {
        "member": member,
        "member_details": picker_details(request, member) if member else [],
        "preview": preview,
        "problems": [(PROBLEM_LABELS[name], problem) for name, problem in problems.items()],
        "channel": channel or rule.channel,
        "query": query,
        "found": found,
        # Picked from the results (or kept by "Preview changes"), not a new search: the
        # picker names them and folds the results away.
        "chosen": member is not None and bool(member_id) and not request.GET.get("find"),
    }


def picker_results(
    request: HttpRequest, members: QuerySet[Member], query: str
) -> list[tuple[Member, list[str]]]:
    """The picker's matches, each with what tells it from another of the same name (two
    "Elif de Vries · Lead · Downtown" read alike): `Member.tell_apart`, the desk's words —
    birth date, the phone's last digits for staff who see contacts, the home club — and the
    member number where two results would still read the same."""
    if not query:
        return []
    contacts = roles.has_role(request.user, *roles.SEES_CONTACTS)  # once, not per result
    found = [(m, _details(m, contacts=contacts)) for m in members.search(query)[:PICKER_RESULTS]]
    seen = Counter((m.full_name, tuple(details)) for m, details in found)
    return [
        (m, [*details, f"no. {m.pk}"])
        if seen[(m.full_name, tuple(details))] > 1 and f"no. {m.pk}" not in details
        else (m, details)
        for m, details in found
    ]


def picker_details(request: HttpRequest, member: Member) -> list[str]:
    """The member's status and what tells them apart (see `picker_results`)."""
    return _details(member, contacts=roles.has_role(request.user, *roles.SEES_CONTACTS))


def _details(member: Member, *, contacts: bool) -> list[str]:
    return [member.get_status_display(), *member.tell_apart(contacts=contacts, club_name=True)]


def default_member(
    members: QuerySet[Member], reach: dryrun.Reach | None, *, rule: Rule | None = None
) -> Member | None:
    """Someone the rule reaches this week, one it would be sent to first (not one who opted
    out), else any member of the user's clubs the rule runs at (all when it names none)."""
    if reach and reach.forecasts:
        goes = [f for f in reach.forecasts if f.outcome in dryrun.GOES]
        first = (goes or list(reach.forecasts))[0]
        member = members.filter(pk=first.member_id).first()
        if member:
            return member
    if rule is not None and rule.pk and (clubs := list(rule.clubs.all())):
        # A Downtown rule previewed for a Riverside member would show what never goes.
        members = members.filter(home_club__in=clubs)
    return members.order_by("pk").first()


# --- dry runs -------------------------------------------------------------------------


def rule_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Whom the rule would reach this week at the user's clubs, and with what."""
    rule = staff_rule(request, pk)
    reach = reach_at(rule, clubs_for(request.user))
    return render(
        request,
        "campaigns/admin/rule_dry_run.html",
        {
            "rule": rule,
            "trigger": describe(rule),
            "reach": reach,
            "forecasts": reach.forecasts[:RULE_DRY_RUN_ROWS],
            "cut": max(len(reach.forecasts) - RULE_DRY_RUN_ROWS, 0),
            "days": dryrun.REACH_DAYS,
            "clubs_label": rule_clubs_label(request.user, rule),
            "header_title": f"Dry run of rule {rule.number}: {rule.name}",
        },
    )


def dry_run(request: HttpRequest) -> HttpResponse:
    """Pick a member (search or id) to see what they will get."""
    roles.require(request.user, *LIFECYCLE)
    if (member_id := request.GET.get("member", "")).isdigit():
        return redirect("playbook:member_dry_run", pk=staff_member(request, int(member_id)).pk)
    return render(request, "campaigns/admin/dry_run.html", dry_run_context(request, None))


def member_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """What the member gets in the next 60 days if nothing changes, and why."""
    member = staff_member(request, pk)
    return render(request, "campaigns/admin/dry_run.html", dry_run_context(request, member))


def coming_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The member card's "Coming up" section (loaded after the card, as working it out runs
    every rule's trigger): the next touchpoints the member gets if nothing changes, for
    everyone who reads member cards; the full dry run is marketing's and managers'."""
    member = staff_member(request, pk, roles.READS_MEMBER_CARD)
    # What will be sent: a touchpoint the dispatcher will cancel when it falls due (no longer
    # true, or its rule is off) is not coming up, and is only counted (the dry run lists it).
    forecasts = dryrun.member_forecast(member)
    cancelled = sum(1 for forecast in forecasts if forecast.outcome == "cancelled")
    forecasts = [forecast for forecast in forecasts if forecast.outcome != "cancelled"]
    return render(
        request,
        "campaigns/admin/_coming_up.html",
        {
            "member": member,
            "forecasts": forecasts[:COMING_UP_SHOWN],
            "more": max(len(forecasts) - COMING_UP_SHOWN, 0),
            "cancelled": cancelled,
            "days": dryrun.FORECAST_DAYS,
            "dry_run_url": reverse("playbook:member_dry_run", args=[member.pk])
            if roles.has_role(request.user, *LIFECYCLE)
            else "",
            # The desk and trainers read it in their words: no rule numbers, "dry run" or
            # control groups, which are marketing's (docs/architecture.md, Coming up).
            "plain": not roles.has_role(request.user, *LIFECYCLE),
        },
    )


def dry_run_context(request: HttpRequest, member: Member | None) -> dict:
    query = request.GET.get("q", "").strip()
    members = scope(Member.objects.select_related("home_club"), request.user)
    return {
        "member": member,
        "forecasts": dryrun.member_forecast(member) if member else None,
        "days": dryrun.FORECAST_DAYS,
        "query": query,
        "found": picker_results(request, members, query),
        "member_card_url": member_card_url(request, member) if member else "",
        "header_title": f"Coming up for {member.full_name}" if member else "Dry run",
    }


def member_card_url(request: HttpRequest, member: Member) -> str:
    if roles.has_role(request.user, *roles.READS_MEMBER_CARD):
        return reverse("desk:member", args=[member.pk])
    return ""
