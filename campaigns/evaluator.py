"""The evaluator: turn due trigger occurrences into touchpoints in the outbox.

For every active rule and club: one trigger query, one query for the members it names,
one for their current plan kinds, and one bulk insert that ignores rows already there —
the unique (rule, member, occurrence) key is what makes a second run change nothing.
Touchpoints are written scheduled, holding (the control group's, decided at send time like
the others) or suppressed (no consent, opted out, a text empty for this member or too long
for an SMS: `body_refusal`) so that analytics can count them; the
dispatcher re-checks everything at send time, held-out rows included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from functools import cache

from django.conf import settings
from django.db.models import OuterRef
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import (
    FilterExpression,
    Lexer,
    NodeList,
    TextNode,
    TokenType,
    Variable,
    VariableDoesNotExist,
)
from django.template.defaulttags import CommentNode, FilterNode, ForNode, WithNode
from django.template.smartif import TokenBase
from wagtail import hooks

from campaigns import rules as rule_changes
from campaigns import sms, triggers
from campaigns.models import Channel, Rule, Touchpoint
from club import clock
from club.models import Club
from members.models import Member, consent_logged
from memberships.models import Membership

log = logging.getLogger(__name__)

# How far back a run looks: a missed run (a worker down for the night) still catches up,
# and the unique key keeps the overlap harmless.
LOOKBACK = dt.timedelta(hours=26)
# How far ahead: the coming week is in the outbox, so staff see what is scheduled, an early
# reminder can leave before the quiet hours, and what stops being true is visibly cancelled.
LOOKAHEAD = dt.timedelta(days=8)
# How far back the prompt lane (the rules of prompt trigger kinds, every few seconds) looks:
# a couple of full runs' worth; anything older the full run's lookback catches.
PROMPT_LOOKBACK = dt.timedelta(minutes=10)
# A message about a class (its touchpoint's deadline) must leave at least this long before
# the class: the quiet hours never hold it closer than that (send_time).
DEADLINE_MARGIN = dt.timedelta(hours=1)

_engine = Engine(autoescape=False)
# The member fields plan_touchpoints reads: rule conditions, consent and message context.
MEMBER_FIELDS = (
    "first_name",
    "last_name",
    "stage",
    "sms_consent",
    "email_consent",
    "phone",
    "email",
)
# The names every message may use, whatever its trigger. message_context gives exactly these
# and the trigger kind's facts (template_fields); the rule editor refuses any other name.
BASE_FIELDS = ("first_name", "last_name", "club", "club_phone", "site_url")


class EvaluationFailed(Exception):
    """Some rules failed at some clubs; every other rule's touchpoints were written."""


def evaluate(*, now: dt.datetime | None = None, prompt_only: bool = False) -> int:
    """Evaluate every active rule at every club; return how many touchpoints were created.

    With `prompt_only`, only the rules of prompt trigger kinds, over the last few minutes:
    the lane that texts a member still at the door, while the full run every few minutes
    covers the rest and catches up on anything the lane missed.

    A rule that fails at a club is logged and skipped, and the run goes on: one broken rule
    must not silence the whole playbook. The run then raises EvaluationFailed, so the task
    shows as failed and the next run (every few minutes) tries that rule again.
    """
    now = now or clock.now()
    if not prompt_only:
        # A rule changed outside the editor (shell, data migration, admin action) must not
        # keep its old plans, nor have new ones written beside them.
        rule_changes.withdraw_changed(now=now)
    created = 0
    failed = []
    rules = Rule.objects.filter(is_active=True)
    if prompt_only:
        rules = rules.filter(trigger__in=triggers.prompt_kinds())
    rules = list(rules.prefetch_related("clubs"))
    if not rules:
        return 0
    since = now - (PROMPT_LOOKBACK if prompt_only else LOOKBACK)
    for club in Club.objects.all():
        # The club's part of the messages, once for all its rules (its site's address is read).
        values = club_values(club)
        for rule in rules:
            if not rule_applies_to(rule, club):
                continue
            try:
                created += evaluate_rule(
                    rule, club, since=since, until=now + LOOKAHEAD, club_context=values
                )
            except Exception:
                log.exception("rule %s at %s failed; the other rules go on", rule.number, club)
                failed.append(f"rule {rule.number} at {club}")
    if failed:
        raise EvaluationFailed(f"{', '.join(failed)} failed; {created} touchpoints written")
    return created


def rule_applies_to(rule: Rule, club: Club) -> bool:
    clubs = list(rule.clubs.all())
    return not clubs or club in clubs


def evaluate_rule(
    rule: Rule,
    club: Club,
    *,
    since: dt.datetime,
    until: dt.datetime,
    club_context: dict | None = None,
) -> int:
    """Insert the touchpoints of one rule at one club for occurrences due in (since, until]."""
    window = triggers.Window(club=club, since=since, until=until)
    occurrences = triggers.occurrences(rule.trigger, window, rule.params)
    touchpoints = plan_touchpoints(
        rule, club, _not_in_outbox(rule, occurrences), club_context=club_context
    )
    if not touchpoints:
        return 0
    # The unique key still decides: an evaluator running at the same time may have
    # inserted some of these since, and those are skipped here (so the count is at most).
    Touchpoint.objects.bulk_create(touchpoints, ignore_conflicts=True)
    return len(touchpoints)


def _not_in_outbox(rule: Rule, occurrences: list[triggers.Occurrence]) -> list[triggers.Occurrence]:
    """The occurrences the outbox does not hold yet. Most of a run's window was seen by the
    run before; leaving those out before rendering is what keeps a run cheap."""
    if not occurrences:
        return []
    existing = set(
        Touchpoint.objects.filter(rule=rule, member_id__any_of={o.member_id for o in occurrences})
        .order_by()
        .values_list("member_id", "occurrence_key")
    )
    new = []
    for occurrence in occurrences:
        if (occurrence.member_id, occurrence.key) not in existing:
            existing.add((occurrence.member_id, occurrence.key))  # once, even if found twice
            new.append(occurrence)
    return new


def plan_touchpoints(
    rule: Rule,
    club: Club,
    occurrences: list[triggers.Occurrence],
    *,
    club_context: dict | None = None,
) -> list[Touchpoint]:
    """The touchpoint rows for these occurrences, after the rule's conditions (unsaved);
    `club_context` is club_values(club), when the caller has it already."""
    if not occurrences:
        return []
    # Only what conditions, consent and templates read: a member's phone is parsed on load.
    # An erased member is sent nothing and held out of nothing: no row at all.
    # Whether each has a consent log entry for the rule's channel (an opt-out, without
    # consent) comes with them: one query, not one per member.
    named = (
        Member.objects.only(*MEMBER_FIELDS)
        .not_erased()
        .filter(pk__any_of={o.member_id for o in occurrences})
        .annotate(consent_logged=consent_logged(OuterRef("pk"), rule.channel))
        .order_by()
    )
    members = {member.pk: member for member in named}
    club_context = club_context or club_values(club)
    # The rule's trigger in words, the same for every row: worded once, not once per row
    # (humanize's ordinal looks up ten translations per call).
    trigger_words = describe(rule)
    plan_kinds = _current_plan_kinds(members, club) if rule.plan_kinds else {}
    now = clock.now()
    rows = []
    for occurrence in occurrences:
        member = members.get(occurrence.member_id)
        if member is None:
            continue
        if rule.stages and member.stage not in rule.stages:
            continue
        if rule.plan_kinds and not plan_kinds.get(member.pk, set()) & set(rule.plan_kinds):
            continue
        status, reason = Touchpoint.Status.SCHEDULED, ""
        if is_held_out(member.pk, rule):
            # Not held out yet: the dispatcher decides it at its send time as it decides the
            # sent ones, so both arms are the members the message would have reached.
            status = Touchpoint.Status.HOLDING
        if occurrence.due_at <= now and (
            refusal := consent_refusal(
                member,
                rule.channel,
                marketing=rule.is_marketing,
                logged=member.consent_logged,
            )
        ):
            # Only for what is due: consent given before a future send time still counts.
            # Held out or not: a member who could not be sent it is in neither arm.
            status, reason = Touchpoint.Status.SUPPRESSED, refusal
        context = message_context(member, club, occurrence, club_context=club_context)
        subject, body, error = "", "", ""
        try:
            subject, body = render(rule.subject, context), render(rule.template, context)
        except (RenderError, TemplateSyntaxError, TemplateDoesNotExist) as failure:
            # One member's values must not stop the rule, the club and the run for everyone
            # else: this touchpoint fails with the reason, the others are written.
            error = f"Template error: {failure}"
            log.warning("rule %s, member %s: %s", rule.number, member.pk, error)
            if status == Touchpoint.Status.SCHEDULED:
                status, reason = Touchpoint.Status.FAILED, Touchpoint.Reason.TEMPLATE_ERROR
        else:
            if status != Touchpoint.Status.SUPPRESSED and (
                refusal := body_refusal(rule.channel, body)
            ):
                # Held out or not, as for consent: a message that cannot go is in neither arm.
                status, reason = Touchpoint.Status.SUPPRESSED, refusal
        rows.append(
            Touchpoint(
                rule=rule,
                member=member,
                club=club,
                occurrence_key=occurrence.key,
                channel=rule.channel,
                status=status,
                reason=reason,
                due_at=occurrence.due_at,
                send_at=send_time(occurrence.due_at, club, rule, deadline=occurrence.deadline),
                deadline=occurrence.deadline,
                explanation=explain(rule, occurrence, words=trigger_words)[:300],
                subject=subject,
                body=body,
                error=error,
                created_at=now,
            )
        )
        rows[-1].consent_logged = member.consent_logged  # for the dry run's consent_refusal
    return rows


def _current_plan_kinds(members: dict[int, Member], club: Club) -> dict[int, set[str]]:
    today = clock.today(club)
    kinds: dict[int, set[str]] = {}
    rows = (
        Membership.objects.in_force_on(today)
        .filter(member__any_of=list(members))
        .values_list("member_id", "plan__kind")
    )
    for member_id, kind in rows:
        kinds.setdefault(member_id, set()).add(kind)
    return kinds


def is_held_out(member_id: int, rule: Rule) -> bool:
    """Stable per (member, rule): a member is always in, or always out of, its control group."""
    digest = hashlib.sha256(f"holdout:{rule.pk}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < rule.holdout_percent


def has_channel_consent(member: Member, channel: str) -> bool:
    """Consent for the channel and somewhere to send it (a staff task needs neither): what a
    marketing message needs."""
    if channel == Channel.TASK:
        return True
    address = member.phone if channel == Channel.SMS else member.email
    return member.has_consent(channel) and bool(address)


def consent_refusal(member: Member, channel: str, *, marketing: bool, logged: bool) -> str:
    """Why a message on `channel` may not go to `member` (a Touchpoint.Reason), or "".

    A marketing message needs consent and an address (`has_channel_consent`). A
    transactional one (the trial reminder, a pay link) needs an address and no opt-out: no
    consent while the consent log has an entry for the channel (`logged`: a withdrawal, or a
    box the form logs as declined). A member never asked has not opted out. The caller
    loads `logged` for a whole batch (members.models.consent_logged)."""
    if has_channel_consent(member, channel):
        return ""
    address = member.phone if channel == Channel.SMS else member.email
    if marketing or not address:
        return Touchpoint.Reason.NO_CONSENT
    return Touchpoint.Reason.OPTED_OUT if logged else ""


def body_refusal(channel: str, body: str) -> str:
    """Why a rendered text may not go on `channel` (a Touchpoint.Reason), or "": an empty one
    (a blank SMS or email, a staff task with no title), or an SMS longer than Twilio takes.
    The evaluator and the launch suppress it as they write the row, and the dispatcher
    checks again before it sends."""
    if not body.strip():
        return Touchpoint.Reason.EMPTY_MESSAGE
    if channel == Channel.SMS and len(body) > sms.MAX_LENGTH:
        return Touchpoint.Reason.TOO_LONG
    return ""


def send_time(
    due_at: dt.datetime,
    club: Club,
    rule: Rule,
    *,
    early: bool | None = None,
    deadline: dt.datetime | None = None,
) -> dt.datetime:
    """The due time moved out of the club's quiet hours (staff tasks are not moved).

    By default to the end of the quiet hours; a rule with `"quiet_hours": "before"` (a
    reminder of something early in the morning) goes out an hour before they start —
    unless `early=False`: the dispatcher, already late, can only move forward. A rule with
    `"quiet_hours": "at_once"` is not moved: what it says cannot wait.

    A message with a `deadline` (the start of the class it is about) is not held to within
    DEADLINE_MARGIN of it: it goes an hour before the quiet hours start instead, or, with
    `"quiet_hours": "at_once_if_late"` (a seat in tomorrow's 07:00 class, told at 09:00, is
    told too late; one in a class two days away can wait for the morning), at its due time.
    The dispatcher, already late, drops one that is still too late
    (`dispatcher.send_time_if_due`).
    """
    quiet_hours = rule.params.get("quiet_hours")
    if rule.channel == Channel.TASK or quiet_hours == "at_once":
        return due_at
    local = due_at.astimezone(clock.zone(club))
    if not club.in_quiet_hours(local.time()):
        return due_at
    may_go_early = early is not False
    if early is None:
        early = quiet_hours == "before"
    moved = _before_quiet_hours(local, club) if early else _after_quiet_hours(local, club)
    if deadline is not None and moved > deadline - DEADLINE_MARGIN:
        if quiet_hours == "at_once_if_late":
            return due_at
        if may_go_early:
            return _before_quiet_hours(local, club)
    return moved


def _before_quiet_hours(local: dt.datetime, club: Club) -> dt.datetime:
    """An hour before the quiet hours around `local` (club time) began."""
    start = club.quiet_hours_start
    day = local.date() if local.time() >= start else local.date() - dt.timedelta(days=1)
    moved = dt.datetime.combine(day, start, tzinfo=local.tzinfo) - dt.timedelta(hours=1)
    return moved.astimezone(dt.UTC)


def _after_quiet_hours(local: dt.datetime, club: Club) -> dt.datetime:
    """The end of the quiet hours around `local` (club time)."""
    end = club.quiet_hours_end
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(dt.UTC)


def message_context(
    member: Member,
    club: Club,
    occurrence: triggers.Occurrence,
    *,
    club_context: dict | None = None,
) -> dict:
    """What a template gets: template_fields(kind), no more, no less. `club_context` saves
    rebuilding the club's part per member."""
    return {
        "first_name": member.first_name,
        "last_name": member.last_name,
        **(club_context or club_values(club)),
        **occurrence.facts,
    }


# Where a club's members reach its public site and portal is the public site's to say (cms,
# above us): fn(club) -> its address, or None to leave it to the next. Without one, SITE_URL.
CLUB_SITE_URL_HOOK = "club_site_url"


def club_values(club: Club) -> dict:
    """The club's part of every message's values: build it once per club, not per member (the
    site's address costs a query or two)."""
    site_url = next(
        (url for find in hooks.get_hooks(CLUB_SITE_URL_HOOK) if (url := find(club))),
        settings.SITE_URL,
    )
    return {
        "club": club.name,
        "club_phone": str(club.phone or ""),
        "site_url": site_url.rstrip("/"),
    }


class RenderError(Exception):
    """A template that compiles but fails on the values it was given: a filter raised
    (`{{ first_name|divisibleby:2 }}`) or a filter's variable argument is missing."""


def render(template: str, context: dict) -> str:
    """The message for these values. Raises TemplateSyntaxError (and TemplateDoesNotExist, for
    an include) when the template is wrong for everyone, RenderError when it fails on these."""
    if not template:
        return ""
    compiled = _compiled(template)
    try:
        text = compiled.render(Context(context, autoescape=False))
    except (TemplateSyntaxError, TemplateDoesNotExist):
        raise
    except VariableDoesNotExist as error:
        raise RenderError(f'the message has no field "{error.params[0]}".') from error
    except Exception as error:  # a filter is any code and may raise anything on a value
        raise RenderError(_filter_failure(error)) from error
    # An empty value between two words ("Call {{ first_name }} {{ last_name }} within…" for a
    # lead without a last name) leaves two spaces; indentation at a line's start stays.
    return _GAP.sub(" ", text).strip()


_GAP = re.compile(r"(?<=\S) {2,}(?=\S)")


def _filter_failure(error: Exception) -> str:
    """The error in words, naming the filter that raised and its value where the traceback
    shows them (Django's own message, e.g. "invalid literal for int()", names neither)."""
    frame, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is FilterExpression.resolve.__code__:
            frame = tb.tb_frame  # the innermost: the filter it was calling raised
        tb = tb.tb_next
    name = getattr(frame and frame.f_locals.get("func"), "_filter_name", None)
    if name is None:
        return f"the message cannot be rendered ({error})."
    value = frame.f_locals.get("obj")
    shown = "an empty value" if value in ("", None) else f"“{value}”"
    return f'the filter "{name}" fails on {shown} ({error}).'


# Django's own message lists the libraries one may load: none here, so it stopped at
# "Must be one of:". Messages use the built-in tags and filters only.
NO_LOAD = "{% load %} is not available in messages: use Django's built-in tags and filters."


@cache
def _compiled(template: str):
    try:
        return _engine.from_string(template)
    except TemplateSyntaxError as error:
        # A {% load %} in a comment or {% verbatim %} is never parsed, and harmless.
        for token in Lexer(template).tokenize():
            if token.token_type == TokenType.BLOCK and token.split_contents()[:1] == ["load"]:
                raise TemplateSyntaxError(NO_LOAD) from error
        raise


def may_say_something(template: str) -> bool:
    """Whether `template` can render any text for someone: words, or a {{ field }} or tag that
    prints, somewhere (in any branch of an {% if %}). False for one of comments and tags that
    print nothing: "{# TODO write copy #}" is an empty message for every member. Raises
    TemplateSyntaxError as `render` does."""
    return _may_print(_compiled(template).nodelist)


def _may_print(nodes: NodeList) -> bool:
    for node in nodes:
        inner = [getattr(node, name, None) for name in node.child_nodelists]
        if any(nodelist is not None for nodelist in inner):
            # A block ({% if %}, {% for %}, {% with %} …) prints what its branches print.
            if any(_may_print(nodelist) for nodelist in inner if nodelist is not None):
                return True
        elif isinstance(node, TextNode):
            if node.s.strip():
                return True
        elif not isinstance(node, CommentNode):
            return True  # {{ field }}, {% now %}, {% firstof %} …: may print
    return False


def template_fields(kind: str) -> tuple[str, ...]:
    """The names a template of a rule with this trigger kind may use."""
    return BASE_FIELDS + triggers.get(kind).facts


def names_read(template: str) -> list[str]:
    """The context names `template` reads, each once: the first part of each
    `a.b|filter:arg` (and of a variable argument), in every tag, {% if %} and {% for %}
    included. A name the template defines — a {% for %} variable inside its loop, a
    {% with %} name inside its block, `… as name` — is not read from the context.
    Raises TemplateSyntaxError as `render` does."""
    found: dict[str, None] = {}
    # True, False and None are in every context.
    _read_nodes(_compiled(template).nodelist, set(Context().flatten()), found)
    return list(found)


def _read_nodes(nodes: NodeList, defined: set[str], found: dict[str, None]) -> None:
    for node in nodes:
        for attribute in ("asvar", "var_name", "variable_name"):  # {% cycle/now/… as name %}
            if isinstance(name := getattr(node, attribute, None), str):
                defined.add(name)
        # {% filter upper %} applies its filters to a placeholder named "var".
        own = defined | {"var"} if isinstance(node, FilterNode) else defined
        for value in vars(node).values():
            _read_expression(value, own, found)
        for attribute in node.child_nodelists:
            inner = defined  # an {% if %} shares the scope, as Django's context does
            if isinstance(node, ForNode) and attribute == "nodelist_loop":
                inner = defined | {*node.loopvars, "forloop"}
            elif isinstance(node, WithNode):
                inner = defined | node.extra_context.keys()
            _read_nodes(getattr(node, attribute, None) or NodeList(), inner, found)


def _read_expression(value, defined: set[str], found: dict[str, None]) -> None:
    if isinstance(value, FilterExpression):
        _read_expression(value.var, defined, found)  # a constant's var is its value
        for _filter, arguments in value.filters:
            for is_variable, argument in arguments:
                if is_variable:
                    _read_expression(argument, defined, found)
    elif isinstance(value, Variable):
        # Literals and _("…") have no lookups; `end.year` reads "end".
        if value.lookups and value.lookups[0] not in defined:
            found.setdefault(value.lookups[0])
    elif isinstance(value, TokenBase):  # an {% if %} condition: operators over literals
        for part in vars(value).values():
            _read_expression(part, defined, found)
    elif isinstance(value, (list, tuple)) and not isinstance(value, NodeList):
        for item in value:  # {% if %}'s (condition, nodelist) pairs, {% firstof %}'s vars …
            _read_expression(item, defined, found)
    elif isinstance(value, dict):  # {% with %}'s and {% url %}'s keyword values
        for item in value.values():
            _read_expression(item, defined, found)


def describe(rule: Rule) -> str:
    """The rule's trigger in words: "3 days after a membership ended, if not renewed"."""
    return triggers.get(rule.trigger).describe(rule.params)


def explain(rule: Rule, occurrence: triggers.Occurrence, *, words: str | None = None) -> str:
    """Why it fired, in words staff can read on the timeline. `words` is `describe(rule)`,
    when the caller has it already."""
    reason = describe(rule) if words is None else words
    facts = occurrence.facts
    detail = ""
    if "end" in facts:
        verb = "ended" if facts["end"] < occurrence.due_at.date() else "ends"
        detail = f" (membership {verb} {facts['end']:%-d %b %Y})"
    elif "visits_left" in facts:
        detail = f" ({facts['visits_left']} visits left)"
    elif "class_day" in facts:
        detail = f" ({facts['class_name']}, {facts['class_day']} at {facts['class_time']})"
    elif "class_name" in facts:
        detail = f" ({facts['class_name']})"
    return f"rule {rule.number}: {reason}{detail}"
