"""Dry runs of the lifecycle playbook: what a member will get, whom a rule would reach, and
what a template says for one member. Nothing here writes.

A dry run runs the evaluator's own trigger queries and `evaluator.plan_touchpoints` over a
window from the evaluator's lookback to days ahead, "if nothing changes": no new visits,
renewals, bookings or consent changes. An occurrence that already has its touchpoint (the
evaluator writes the coming week ahead) is reported from that row, never as new. Two checks
the evaluator makes "now" are made for the day the message goes instead, as the dispatcher
will make them then: the member's lifecycle stage (someone whose membership ends in 20 days
will be lapsed when the win-back offer is due), computed by `lifecycle.annotate_stages` for
that day, and channel consent. A message that fell due since the evaluator's last run goes
when the dispatcher's quiet-hours rule says (`dispatcher.send_time_if_due`). The frequency
cap is the dispatcher's and is not forecast: the screens say so.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from django.db.models import OuterRef
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from campaigns import dispatcher, evaluator, lifecycle, triggers
from campaigns.models import Channel, Rule, Touchpoint
from campaigns.sms import Segments, count_segments
from club import clock
from club.models import Club
from club.time_zones import on_club_clock
from members.models import ConsentLog, Member, consent_logged
from memberships.models import Membership, Plan

FORECAST_DAYS = 60
REACH_DAYS = 7

Status = Touchpoint.Status
# Rows the dispatcher decides when they fall due: to send, or held out.
PENDING = tuple(dispatcher.PENDING)
# What a forecast comes to: it goes (a message or a staff task), it is held back (control
# group, no consent, suppressed), or it is history already.
GOES = ("send", "task")
FIRES = ("send", "task", "held_out", "not_sent")
OBSOLETE = "will be cancelled: no longer true"
RULE_OFF = "will be cancelled: the rule is off"
# Wagtail's own status tags, one look per kind of outcome, so the colour says something:
# "live" for what reaches the member, the label for what goes another way (a staff task, the
# control group), the plain grey tag for what does not go.
# The status tag of each outcome (styled in the lifecycle screens' base template): Wagtail's
# own "primary" tag is drawn muted, so what goes out would look like what does not.
TAG_CLASSES = {
    "send": "outcome-goes",
    "sent": "outcome-goes",
    "task": "outcome-task",
    "held_out": "outcome-task",
    "not_sent": "outcome-stopped",
    "failed": "outcome-failed",
    "cancelled": "outcome-stopped",
}


@dataclass(frozen=True)
class Forecast:
    """One touchpoint a member will get (or will not, and why)."""

    send_at: dt.datetime  # in the club's time zone
    rule_id: int | None  # None for a campaign's message, waiting in the outbox
    rule_number: int | None
    rule_name: str  # or the campaign's name
    channel: str
    subject: str
    body: str
    reason: str  # evaluator.explain: "rule 15: 7 days before a membership ends, …"
    status: str  # "will be sent", "held out (control group)", "already sent on 3 Dec" …
    # "send", "task", "held_out", "not_sent", or for history: "sent", "failed", "cancelled"
    outcome: str
    in_outbox: bool = False
    segments: Segments | None = None
    member_id: int | None = None
    member_name: str = ""
    campaign_id: int | None = None

    @property
    def source(self) -> str:
        """ "rule 15" or "campaign": what sends it."""
        return f"rule {self.rule_number}" if self.rule_id else "campaign"

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label

    @property
    def when(self) -> str:
        # send_at is on the club's clock already; the zone is named on a page on another one.
        return on_club_clock(self.send_at, self.send_at.tzinfo, "D j M, H:i")

    @property
    def tag_class(self) -> str:
        """The Wagtail status tag modifier for the outcome (TAG_CLASSES)."""
        return TAG_CLASSES[self.outcome]

    @property
    def why(self) -> str:
        """The reason without its "rule N: " prefix, which the line already says."""
        return self.reason.split(": ", 1)[-1]

    @property
    def line(self) -> str:
        """ "Sun 6 Dec, 10:00 — SMS, rule 15 Renewal reminder: 7 days before … Will be sent." """
        return (
            f"{self.when} — {self.channel_label}, {self.source} {self.rule_name}: "
            f"{self.why}. {self.status[:1].upper()}{self.status[1:]}."
        )


def member_forecast(
    member: Member, *, days: int = FORECAST_DAYS, now: dt.datetime | None = None
) -> list[Forecast]:
    """The touchpoints `member` gets in the next `days` days if nothing changes, and why;
    sorted by time. Touchpoints already in the outbox for them are listed too."""
    now = now or clock.now()
    club = member.home_club
    window = triggers.Window(club, now - evaluator.LOOKBACK, now + dt.timedelta(days=days))
    rules = [
        rule
        for rule in _active_rules()
        if rule.trigger in triggers.REGISTRY and evaluator.rule_applies_to(rule, club)
    ]
    existing = {
        (t.rule_id, t.member_id, t.occurrence_key): t
        for t in Touchpoint.objects.filter(member=member)
        .select_related("rule", "campaign", "member", "club")
        .annotate(consent_logged=_consent_logged())
    }
    stage_on = _StageProjection(club, now)
    forecasts: dict[tuple[int, int, str], Forecast] = {}
    for rule in rules:
        occurrences = member_occurrences(rule, member, window)
        forecasts |= _forecasts(rule, club, occurrences, existing, stage_on, now)
    # Waiting in the outbox for this member, whatever the rules say today: a scheduled row
    # whose trigger no longer finds it (renewed since the denial, visited since …), or whose
    # member will not be in the rule's stages, is cancelled as obsolete when it falls due,
    # and the dispatcher's own re-check says which.
    waiting = [
        touchpoint
        for key, touchpoint in existing.items()
        if key not in forecasts
        and touchpoint.status in (Status.SCHEDULED, Status.HOLDING, Status.SENDING)
        and touchpoint.send_at <= window.until
    ]
    scheduled = [
        tp
        for tp in waiting
        if tp.status in PENDING
        and tp.rule_id
        and tp.rule.is_active
        and tp.rule.trigger in triggers.REGISTRY
    ]
    cancelled = _cancelled_when_due(scheduled, club, stage_on)
    for touchpoint in waiting:
        key = (touchpoint.rule_id, touchpoint.member_id, touchpoint.occurrence_key)
        forecasts[key] = _from_row(touchpoint, club, now, obsolete=key in cancelled)
    return sorted(forecasts.values(), key=_by_time)


@dataclass(frozen=True)
class Reach:
    """Whom a rule would reach at a club in the coming days: members, not messages."""

    total: int = 0  # members for whom the rule fires
    will_send: int = 0  # … and who get it
    held_out: int = 0
    not_sent: int = 0  # no consent, or suppressed
    already: int = 0  # touchpoints of these occurrences already sent, failed or cancelled
    forecasts: tuple[Forecast, ...] = field(default=(), repr=False)  # by time

    def __add__(self, other: Reach) -> Reach:
        return Reach(
            self.total + other.total,
            self.will_send + other.will_send,
            self.held_out + other.held_out,
            self.not_sent + other.not_sent,
            self.already + other.already,
            tuple(sorted(self.forecasts + other.forecasts, key=_by_time)),
        )


def rule_reach(
    rule: Rule, club: Club, *, days: int = REACH_DAYS, now: dt.datetime | None = None
) -> Reach:
    """How many members of `club` the rule would reach in the next `days` days (and what was
    due since the evaluator's last run, which its next run sends). An off rule reaches
    nobody: saving it off withdrew its rows, and the dispatcher cancels any left."""
    if not rule.is_active or not evaluator.rule_applies_to(rule, club):
        return Reach()
    now = now or clock.now()
    window = triggers.Window(club, now - evaluator.LOOKBACK, now + dt.timedelta(days=days))
    occurrences = triggers.occurrences(rule.trigger, window, rule.params)
    if not occurrences:
        return Reach()
    existing = {
        (t.rule_id, t.member_id, t.occurrence_key): t
        for t in Touchpoint.objects.filter(
            rule=rule, club=club, occurrence_key__in={o.key for o in occurrences}
        )
        .select_related("rule", "member")
        .annotate(consent_logged=_consent_logged())
    }
    found = _forecasts(rule, club, occurrences, existing, _StageProjection(club, now), now)
    forecasts = sorted(found.values(), key=_by_time)

    def members(*outcomes: str) -> int:
        return len({f.member_id for f in forecasts if f.outcome in outcomes})

    return Reach(
        total=members(*FIRES),
        will_send=members(*GOES),
        held_out=members("held_out"),
        not_sent=members("not_sent"),
        already=sum(f.outcome not in FIRES for f in forecasts),
        forecasts=tuple(f for f in forecasts if f.outcome in FIRES),
    )


def _forecasts(
    rule: Rule,
    club: Club,
    occurrences: list[triggers.Occurrence],
    existing: dict[tuple[int, int, str], Touchpoint],
    stage_on: _StageProjection,
    now: dt.datetime,
) -> dict[tuple[int, int, str], Forecast]:
    found = {}
    for touchpoint in plan(rule, club, occurrences, stage_on):
        key = (rule.pk, touchpoint.member_id, touchpoint.occurrence_key)
        row = existing.get(key)
        found[key] = _from_row(row, club, now) if row else _from_plan(touchpoint, club, now)
    # An occurrence that has its row is reported even when a condition leaves it out today;
    # a scheduled one whose member will not be in the rule's stages is cancelled when due.
    left_out = [
        existing[key]
        for key in {(rule.pk, o.member_id, o.key) for o in occurrences}
        if key in existing and key not in found
    ]
    scheduled = [tp for tp in left_out if tp.status in PENDING]
    cancelled = _cancelled_when_due(scheduled, club, stage_on)
    for touchpoint in left_out:
        key = (rule.pk, touchpoint.member_id, touchpoint.occurrence_key)
        found[key] = _from_row(touchpoint, club, now, obsolete=key in cancelled)
    return found


def _cancelled_when_due(
    scheduled: list[Touchpoint], club: Club, stage_on: _StageProjection
) -> set[tuple[int, int, str]]:
    """The scheduled rows the dispatcher will cancel as obsolete when they go, if nothing
    changes: its own re-check, with each member's stage projected to the day the row goes
    (one stage query per day)."""
    zone = clock.zone(club)

    def day(touchpoint: Touchpoint) -> dt.date:
        return touchpoint.send_at.astimezone(zone).date()

    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for touchpoint in scheduled:
        if touchpoint.rule.stages:
            by_day[day(touchpoint)].add(touchpoint.member_id)
    stages = {on: stage_on(member_ids, on) for on, member_ids in by_day.items()}
    holding = dispatcher.still_true(
        scheduled, lambda touchpoint: stages[day(touchpoint)].get(touchpoint.member_id)
    )
    return {(tp.rule_id, tp.member_id, tp.occurrence_key) for tp in scheduled} - holding


def _by_time(forecast: Forecast):
    return (forecast.send_at, forecast.rule_number or 0, forecast.member_name)


def member_occurrences(
    rule: Rule, member: Member, window: triggers.Window
) -> list[triggers.Occurrence]:
    """The rule's occurrences for one member in the window: the trigger's own query,
    narrowed to the member (its indexes make that a few rows, even over sixty days)."""
    mine = replace(window, members=frozenset({member.pk}))
    return triggers.occurrences(rule.trigger, mine, rule.params)


def plan(
    rule: Rule,
    club: Club,
    occurrences: list[triggers.Occurrence],
    stage_on: Callable[[Iterable[int], dt.date], dict[int, str]],
) -> list[Touchpoint]:
    """evaluator.plan_touchpoints, with the stage condition read on the day each is due."""
    if rule.stages and occurrences:
        zone = clock.zone(club)
        by_day: dict[dt.date, list[triggers.Occurrence]] = {}
        for occurrence in occurrences:
            by_day.setdefault(occurrence.due_at.astimezone(zone).date(), []).append(occurrence)
        kept = []
        for day, due in by_day.items():
            stages = stage_on({o.member_id for o in due}, day)
            kept += [o for o in due if stages.get(o.member_id) in rule.stages]
        occurrences = kept
        rule = copy.copy(rule)
        rule.stages = []  # applied above, on the day each is due
    return evaluator.plan_touchpoints(rule, club, occurrences)


class _StageProjection:
    """Members' stages on a day, if nothing changes; one query per day asked about."""

    def __init__(self, club: Club, now: dt.datetime):
        self.club = club
        self.today = now.astimezone(clock.zone(club)).date()
        self.known: dict[dt.date, dict[int, str]] = {}

    def __call__(self, member_ids: Iterable[int], day: dt.date) -> dict[int, str]:
        day = max(day, self.today)
        stages = self.known.setdefault(day, {})
        missing = set(member_ids) - stages.keys()
        if missing:
            stages.update(lifecycle.stages_on(missing, club=self.club, day=day))
        return stages


def _active_rules() -> list[Rule]:
    return list(Rule.objects.filter(is_active=True).prefetch_related("clubs"))


def _consent_logged():
    """The dispatcher's opt-out fact for an outbox row, in the query that loads the rows."""
    return consent_logged(OuterRef("member_id"), OuterRef("channel"))


def _goes(touchpoint: Touchpoint) -> tuple[str, str]:
    """Status words and outcome of a touchpoint that is to go, if consent holds then."""
    member, channel = touchpoint.member, touchpoint.channel
    if channel == Channel.TASK:
        return "a task for staff", "task"
    refusal = evaluator.consent_refusal(
        member, channel, marketing=touchpoint.is_marketing, logged=touchpoint.consent_logged
    )
    if refusal:
        # The dispatcher re-checks consent when it sends; if nothing changes, it suppresses.
        return f"not sent: {_refusal_words(refusal, member, channel)}", "not_sent"
    return "will be sent", "send"


def _held_out_if_it_goes(touchpoint: Touchpoint) -> tuple[str, str]:
    """A held-out row is decided at its send time as a sent one is: held out where its twin
    would go, not sent where its twin would not (no consent)."""
    status, outcome = _goes(touchpoint)
    if outcome in ("send", "task"):
        return HELD_OUT
    return status, outcome


HELD_OUT = ("held out (control group)", "held_out")


def _from_plan(touchpoint: Touchpoint, club: Club, now: dt.datetime) -> Forecast:
    rule = touchpoint.rule
    if touchpoint.status == Status.HOLDING:
        status, outcome = _held_out_if_it_goes(touchpoint)
    elif touchpoint.status == Status.SUPPRESSED:
        words = _suppressed_words(touchpoint, rule.channel)
        status, outcome = f"not sent: {words}", "not_sent"
    elif touchpoint.status == Status.FAILED:  # the template fails on this member's values
        status, outcome = f"not sent: {touchpoint.error}", "not_sent"
    else:
        status, outcome = _goes(touchpoint)
    send_at, status, outcome = _when_it_goes(touchpoint, club, now, status, outcome)
    return Forecast(
        send_at=send_at.astimezone(clock.zone(club)),
        rule_id=rule.pk,
        rule_number=rule.number,
        rule_name=rule.name,
        channel=rule.channel,
        subject=touchpoint.subject,
        body=touchpoint.body,
        reason=touchpoint.explanation,
        status=status,
        outcome=outcome,
        segments=count_segments(touchpoint.body) if rule.channel == Channel.SMS else None,
        member_id=touchpoint.member_id,
        member_name=touchpoint.member.full_name,
    )


def _when_it_goes(
    touchpoint: Touchpoint, club: Club, now: dt.datetime, status: str, outcome: str
) -> tuple[dt.datetime, str, str]:
    """Send time, status and outcome of a touchpoint that is to go. One that fell due since
    the last run goes on the dispatcher's next, which holds it past the quiet hours again,
    or drops it when that is too late: the dispatcher's own rule says which."""
    if outcome != "send" or touchpoint.send_at > now:
        return max(touchpoint.send_at, now), status, outcome
    goes_at, dropped = dispatcher.send_time_if_due(touchpoint, club, now)
    if dropped == Touchpoint.Reason.TOO_LATE:
        return now, "not sent: too late, the class starts before the quiet hours end", "not_sent"
    if goes_at is None:
        return now, "not sent: the quiet hours would hold it too long", "not_sent"
    return goes_at, status, outcome


def _from_row(
    touchpoint: Touchpoint, club: Club, now: dt.datetime, *, obsolete: bool = False
) -> Forecast:
    rule, campaign = touchpoint.rule, touchpoint.campaign
    zone = clock.zone(club)
    moment = touchpoint.sent_at or touchpoint.send_at
    on = f"{moment.astimezone(zone):%-d %b %Y, %H:%M}"
    reason = touchpoint.get_reason_display().lower() if touchpoint.reason else ""
    if touchpoint.reason in (Touchpoint.Reason.NO_CONSENT, Touchpoint.Reason.OPTED_OUT):
        reason = _refusal_words(touchpoint.reason, touchpoint.member, touchpoint.channel)
    status_outcome = {
        Status.SENDING: ("being sent now", "send"),
        Status.SENT: (f"already sent on {on}", "sent"),
        Status.DELIVERED: (f"already sent on {on} (delivered)", "sent"),
        Status.FAILED: (f"sending failed on {on}{': ' + reason if reason else ''}", "failed"),
        Status.SUPPRESSED: (f"not sent: {reason or 'suppressed'}", "not_sent"),
        Status.CANCELLED: (f"cancelled{': ' + reason if reason else ''}", "cancelled"),
        Status.HELD_OUT: HELD_OUT,
    }.get(touchpoint.status)
    if status_outcome is None and rule and not rule.is_active:  # the dispatcher cancels it
        status, outcome = RULE_OFF, "cancelled"
    elif status_outcome is None and obsolete:  # scheduled, but cancelled when it falls due
        status, outcome = OBSOLETE, "cancelled"
    elif status_outcome is None and touchpoint.status == Status.HOLDING:
        status, outcome = _held_out_if_it_goes(touchpoint)
        moment = max(touchpoint.send_at, now)
    elif status_outcome is None:  # scheduled
        moment, status, outcome = _when_it_goes(touchpoint, club, now, *_goes(touchpoint))
    else:
        status, outcome = status_outcome
    return Forecast(
        send_at=moment.astimezone(zone),
        rule_id=rule.pk if rule else None,
        rule_number=rule.number if rule else None,
        rule_name=rule.name if rule else campaign.name,
        campaign_id=touchpoint.campaign_id,
        channel=touchpoint.channel,
        subject=touchpoint.subject,
        body=touchpoint.body,
        reason=touchpoint.explanation,
        status=status,
        outcome=outcome,
        in_outbox=True,
        segments=count_segments(touchpoint.body) if touchpoint.channel == Channel.SMS else None,
        member_id=touchpoint.member_id,
        member_name=touchpoint.member.full_name,
    )


def _suppressed_words(touchpoint: Touchpoint, channel: str) -> str:
    """Why a planned row is suppressed: consent in the member's words ("opted out of SMS"),
    any other reason as the outbox says it ("empty message")."""
    if touchpoint.reason in (Touchpoint.Reason.NO_CONSENT, Touchpoint.Reason.OPTED_OUT):
        return _refusal_words(touchpoint.reason, touchpoint.member, channel)
    return touchpoint.get_reason_display().lower()


def would_not_get(member: Member, channel: str, *, marketing: bool) -> str:
    """ "Lisa has opted out of SMS, so would not get this.": why `member` would not be sent
    a message on `channel` now (the dispatcher's consent check), in words; "" when they
    would, and for a staff task. The previews say it beside the message."""
    if channel == Channel.TASK:
        return ""
    logged = ConsentLog.objects.filter(member=member, channel=channel).exists()
    refusal = evaluator.consent_refusal(member, channel, marketing=marketing, logged=logged)
    if not refusal:
        return ""
    # "has no SMS consent", "has no phone number", "has opted out of SMS"
    words = f"has {_refusal_words(refusal, member, channel)}"
    return f"{member.first_name} {words}, so would not get this."


def _refusal_words(reason: str, member: Member, channel: str) -> str:
    """ "no SMS consent", "opted out of SMS", "no phone number" …: why it does not go."""
    if reason == Touchpoint.Reason.OPTED_OUT:
        return f"opted out of {Channel(channel).label if channel == Channel.SMS else 'email'}"
    return _no_consent(member, channel)


def _no_consent(member: Member, channel: str) -> str:
    # A missing address first, consent or not: a transactional message needs no consent, and
    # a marketing one could not reach the member even with it. Staff should add the number.
    if channel == Channel.SMS and not member.phone:
        return "no phone number"
    if channel == Channel.EMAIL and not member.email:
        return "no email address"
    return f"no {Channel(channel).label if channel == Channel.SMS else 'email'} consent"


# --- template preview ---------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    segments: Segments | None
    facts_from: str  # where the trigger's fields came from, in words
    error: str = ""
    fields: tuple[str, ...] = ()  # what the template may use: {{ first_name }}, {{ end }} …
    not_reached: str = ""  # would_not_get: why the member would not be sent it, or ""


def preview(
    rule: Rule,
    member: Member,
    *,
    subject: str | None = None,
    template: str | None = None,
    channel: str | None = None,
    now: dt.datetime | None = None,
) -> Preview:
    """The rule's message (or an unsaved subject / template) rendered for `member`.

    The trigger's own fields ({{ end }}, {{ plan }} …) come from the member's next occurrence
    of the rule when there is one in the forecast window, otherwise from their own latest
    membership or from sample values, and the preview says which.
    """
    now = now or clock.now()
    club = member.home_club
    subject = rule.subject if subject is None else subject
    template = rule.template if template is None else template
    channel = channel or rule.channel
    occurrence, facts_from = _occurrence_for(rule, member, now)
    context = evaluator.message_context(member, club, occurrence)
    not_reached = would_not_get(member, channel, marketing=rule.is_marketing)
    try:
        rendered_subject = evaluator.render(subject, context) if channel == Channel.EMAIL else ""
        body = evaluator.render(template, context)
    except (TemplateSyntaxError, TemplateDoesNotExist, evaluator.RenderError) as error:
        return Preview(
            "",
            "",
            None,
            facts_from,
            error=str(error),
            fields=tuple(context),
            not_reached=not_reached,
        )
    segments = count_segments(body) if channel == Channel.SMS else None
    return Preview(
        rendered_subject, body, segments, facts_from, fields=tuple(context), not_reached=not_reached
    )


def _occurrence_for(rule: Rule, member: Member, now: dt.datetime):
    club = member.home_club
    try:
        window = triggers.Window(club, now, now + dt.timedelta(days=FORECAST_DAYS))
        mine = member_occurrences(rule, member, window)
    except (LookupError, KeyError, TypeError, ValueError):
        mine = []
    if mine:
        first = min(mine, key=lambda o: o.due_at)
        local = first.due_at.astimezone(clock.zone(club))
        return first, f"{member.first_name}'s next occurrence, due {local:%a %-d %b %Y, %H:%M}"
    facts = _sample_facts(rule, member, now)
    return (
        triggers.Occurrence(member.pk, "preview", now, facts),
        f"sample values: {member.first_name} has no occurrence of this rule in the next "
        f"{FORECAST_DAYS} days",
    )


def _sample_facts(rule: Rule, member: Member, now: dt.datetime) -> dict:
    """Plausible values for the trigger's fields, from the member's own data where it has any."""
    params = rule.params or {}
    today = clock.today(member.home_club)
    latest = (
        Membership.objects.filter(member=member)
        .exclude(plan__kind=Plan.Kind.TRIAL)
        .select_related("plan")
        .order_by("-end")
        .first()
    )
    plan_name = latest.plan.name if latest else "Monthly"
    days = params["days"] if isinstance(params.get("days"), int) else 7
    samples = {
        "membership_ends_in": {"end": today + dt.timedelta(days=days), "plan": plan_name},
        "membership_ended": {"end": today - dt.timedelta(days=days), "plan": plan_name},
        "first_membership_started": {"plan": plan_name},
        "trial_booked": {
            "class_name": "Spin",
            "class_start": now + dt.timedelta(hours=3),
            **triggers.class_words(now + dt.timedelta(hours=3), clock.zone(member.home_club)),
        },
        "nth_visit": {"visits": params.get("n", 10)},
        "days_without_visit": {"days": params.get("days", 14)},
        "pack_balance_low": {"visits_left": params.get("visits", 2)},
        "check_in_denied": {"reason": "expired"},
        "membership_anniversary": {"years": 1},
        "lead_created": {"event": {}, "at": now},
        "payment_failed": {"event": {}, "at": now},
        "waitlist_promoted": {
            "class_name": "Spin",
            "class_day": f"{today + dt.timedelta(days=1):%a %-d %b}",
            "class_time": "18:00",
        },
    }
    facts = samples.get(rule.trigger, {})
    if latest and rule.trigger in ("membership_ends_in", "membership_ended"):
        facts = {**facts, "end": latest.end}
    return facts
