"""The dispatcher: due touchpoints leave the outbox, each exactly once.

Three steps, each safe to repeat and safe to run in several workers at once:

1. `claim()` locks a batch of due rows with `SELECT … FOR UPDATE SKIP LOCKED`, decides
   each one again — consent, the quiet hours *now*, the rule's condition still true, the
   frequency cap — and commits the survivors as `sending`. Two dispatchers never claim
   the same row.
2. `send()` takes one `sending` row, stamps `send_started_at` in its own commit, calls the
   provider outside any transaction, and records the receipt.
3. `recover()` finds `sending` rows whose worker died (the lease ran out). A row whose
   provider call may have started is first looked up at the provider (`find_sent`), so a
   worker killed between the provider's answer and our commit never causes a second
   message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from campaigns import evaluator, triggers
from campaigns.channels import PermanentError, Sent, TransientError, get_channel
from campaigns.models import Channel, Touchpoint
from campaigns.optout import opt_out_number
from club import clock
from members import timeline
from members.models import MemberEvent

log = logging.getLogger(__name__)

Status, Reason = Touchpoint.Status, Touchpoint.Reason

BATCH_SIZE = 100
# Marketing touchpoints a member may receive: per rolling week, and per local day.
WEEKLY_CAP, DAILY_CAP = 3, 1
# Transient errors are retried after these delays; then the touchpoint fails.
RETRY_DELAYS = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60)]
# A message the quiet hours would push further than this past its due time is dropped.
DEFAULT_MAX_DELAY = dt.timedelta(hours=24)
COUNTS_TOWARDS_CAP = [Status.SENDING, Status.SENT, Status.DELIVERED]


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CAMPAIGN_SENDING_LEASE_SECONDS)


# --- 1. claim ------------------------------------------------------------------------------


def claim(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> list[int]:
    """Claim one batch of due touchpoints; return the ids now `sending`."""
    now = now or clock.now()
    with transaction.atomic():
        due = list(
            Touchpoint.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Status.SCHEDULED, send_at__lte=now)
            .select_related("rule", "member", "club")
            .order_by("send_at", "pk")[:batch_size]
        )
        if not due:
            return []
        _decide(due, now)
        Touchpoint.objects.bulk_update(
            due, ["status", "reason", "send_at", "claimed_at", "error", "segments"]
        )
    return [tp.pk for tp in due if tp.status == Status.SENDING]


def _decide(due: list[Touchpoint], now: dt.datetime) -> None:
    """Set each claimed row's fate: sending, suppressed, cancelled or back to later."""
    still_true = _still_true(due)
    for touchpoint in due:
        touchpoint.status, touchpoint.reason = _verdict(touchpoint, now, still_true)
    _apply_frequency_cap([tp for tp in due if tp.status == Status.SENDING], now)
    for touchpoint in due:
        if touchpoint.status == Status.SENDING:
            touchpoint.claimed_at = now
            if touchpoint.channel == Channel.SMS:
                touchpoint.segments = get_channel(Channel.SMS).segments(touchpoint.body)


def _verdict(touchpoint: Touchpoint, now: dt.datetime, still_true: set) -> tuple[str, str]:
    member, channel = touchpoint.member, touchpoint.channel
    if (touchpoint.rule_id, member.pk, touchpoint.occurrence_key) not in still_true:
        return Status.CANCELLED, Reason.OBSOLETE
    if channel == Channel.SMS and member.phone and not member.phone.is_valid():
        return Status.SUPPRESSED, Reason.INVALID_NUMBER
    if not evaluator.has_channel_consent(member, channel):
        return Status.SUPPRESSED, Reason.NO_CONSENT
    if channel != Channel.TASK:
        local_now = clock.local_now(touchpoint.club)
        if touchpoint.club.in_quiet_hours(local_now.time()):
            later = evaluator.send_time(now, touchpoint.club, touchpoint.rule, early=False)
            max_delay = touchpoint.rule.params.get("max_delay_hours")
            limit = dt.timedelta(hours=max_delay) if max_delay else DEFAULT_MAX_DELAY
            if later - touchpoint.due_at > limit:
                return Status.SUPPRESSED, Reason.QUIET_HOURS_OVERFLOW
            touchpoint.send_at = later
            return Status.SCHEDULED, ""
    return Status.SENDING, ""


def _still_true(due: list[Touchpoint]) -> set[tuple[int, int, str]]:
    """(rule, member, occurrence) of the rows whose trigger and conditions still hold.

    The trigger runs again, set-based, over the window of the batch's due times: a member
    who renewed, visited or cancelled the booking since is no longer in its answer.
    """
    groups: dict[tuple[int, int], list[Touchpoint]] = defaultdict(list)
    for touchpoint in due:
        groups[touchpoint.rule_id, touchpoint.club_id].append(touchpoint)
    holding = set()
    for rows in groups.values():
        rule, club = rows[0].rule, rows[0].club
        window = triggers.Window(
            club=club,
            since=min(tp.due_at for tp in rows) - dt.timedelta(microseconds=1),
            until=max(tp.due_at for tp in rows),
        )
        found = {
            (o.member_id, o.key) for o in triggers.occurrences(rule.trigger, window, rule.params)
        }
        for touchpoint in rows:
            if rule.stages and touchpoint.member.stage not in rule.stages:
                continue
            if (touchpoint.member_id, touchpoint.occurrence_key) in found:
                holding.add((rule.pk, touchpoint.member_id, touchpoint.occurrence_key))
    return holding


def _apply_frequency_cap(candidates: list[Touchpoint], now: dt.datetime) -> None:
    """At most WEEKLY_CAP marketing touchpoints per member per rolling 7 days, DAILY_CAP per
    local day; among touchpoints competing in one batch the higher priority goes first."""
    marketing = [tp for tp in candidates if tp.rule.is_marketing and tp.channel != Channel.TASK]
    if not marketing:
        return
    clubs = {tp.club_id: tp.club for tp in marketing}
    day_starts = {pk: clock.start_of_day(clock.today(club), club) for pk, club in clubs.items()}
    earliest_day_start = min(day_starts.values())
    recent = (
        Touchpoint.objects.filter(
            member__in={tp.member_id for tp in marketing},
            rule__is_marketing=True,
            status__in=COUNTS_TOWARDS_CAP,
            claimed_at__gt=now - dt.timedelta(days=7),
        )
        .exclude(channel=Channel.TASK)
        .values("member_id")
        .annotate(
            week=Count("pk"),
            today=Count("pk", filter=Q(claimed_at__gte=earliest_day_start)),
        )
    )
    week = {row["member_id"]: row["week"] for row in recent}
    today = {row["member_id"]: row["today"] for row in recent}
    for touchpoint in sorted(marketing, key=lambda tp: (-tp.rule.priority, tp.send_at, tp.pk)):
        member_id = touchpoint.member_id
        if week.get(member_id, 0) >= WEEKLY_CAP or today.get(member_id, 0) >= DAILY_CAP:
            touchpoint.status, touchpoint.reason = Status.SUPPRESSED, Reason.FREQUENCY_CAP
            continue
        week[member_id] = week.get(member_id, 0) + 1
        today[member_id] = today.get(member_id, 0) + 1


# --- 2. send -------------------------------------------------------------------------------


def send(pk: int) -> str | None:
    """Send one claimed touchpoint; return its new status, or None if it was not ours.

    Safe to call twice, or for a row another worker is sending: only the caller that
    stamps `send_started_at` (row lock, lease) talks to the provider.
    """
    now = clock.now()
    with transaction.atomic():
        touchpoint = (
            Touchpoint.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("rule", "member", "club")
            .filter(pk=pk, status=Status.SENDING)
            .first()
        )
        if touchpoint is None:
            return None
        started = touchpoint.send_started_at
        if started and now - started < lease():
            return None  # another worker is inside the provider call right now
        Touchpoint.objects.filter(pk=pk).update(
            send_started_at=now, attempts=touchpoint.attempts + 1
        )
        touchpoint.send_started_at, touchpoint.attempts = now, touchpoint.attempts + 1

    channel = get_channel(touchpoint.channel)
    if started:
        # An earlier attempt died after it may have reached the provider: ask first.
        try:
            receipt = channel.find_sent(touchpoint)
        except TransientError:
            return None  # can't tell yet; the next recovery asks again
        if receipt:
            return _record_sent(touchpoint, receipt)
    try:
        receipt = channel.send(touchpoint)
    except PermanentError as error:
        return _record_permanent_failure(touchpoint, error)
    except TransientError as error:
        return _record_transient_failure(touchpoint, error)
    return _record_sent(touchpoint, receipt)


def _record_sent(touchpoint: Touchpoint, receipt: Sent) -> str:
    now = clock.now()
    status = Status.DELIVERED if receipt.delivered else Status.SENT
    updated = Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
        status=status,
        provider_id=receipt.provider_id,
        segments=receipt.segments if receipt.segments is not None else touchpoint.segments,
        sent_at=now,
        delivered_at=now if receipt.delivered else None,
        error="",
    )
    if updated:
        timeline.record(
            touchpoint.member,
            MemberEvent.Kind.MESSAGE_SENT,
            at=now,
            touchpoint=touchpoint.pk,
            rule=touchpoint.rule.number,
            channel=touchpoint.channel,
            subject=touchpoint.subject,
            text=touchpoint.body,
            why=touchpoint.explanation,
        )
    return status


def _record_permanent_failure(touchpoint: Touchpoint, error: PermanentError) -> str:
    Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
        status=Status.FAILED, reason=error.reason, error=_error_text(error)
    )
    if error.reason == Reason.OPTED_OUT and touchpoint.member.phone:
        # The number replied STOP to the sender (Twilio 21610): stop asking, it alone.
        opt_out_number(str(touchpoint.member.phone), source=f"{touchpoint.channel}_opted_out")
    log.warning("touchpoint %s failed for good: %s", touchpoint.pk, error)
    return Status.FAILED


def _record_transient_failure(touchpoint: Touchpoint, error: TransientError) -> str:
    retries_done = touchpoint.attempts - 1
    if retries_done >= len(RETRY_DELAYS):
        Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
            status=Status.FAILED, error=_error_text(error)
        )
        return Status.FAILED
    if error.maybe_sent:
        # The provider may have the message: leave the row `sending` with its attempt
        # stamped, so recovery asks the provider (find_sent) once the lease runs out.
        Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
            error=_error_text(error)
        )
        return Status.SENDING
    # Back to the outbox with a later send time; the next claim re-checks everything.
    Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
        status=Status.SCHEDULED,
        send_at=clock.now() + RETRY_DELAYS[retries_done],
        claimed_at=None,
        send_started_at=None,
        error=_error_text(error),
    )
    return Status.SCHEDULED


def _error_text(error: Exception) -> str:
    code = getattr(error, "code", "")
    return f"{code}: {error}" if code else str(error)


# --- 3. recover ----------------------------------------------------------------------------


def stranded(*, now: dt.datetime | None = None) -> list[int]:
    """`sending` rows whose lease ran out: their worker died or their task was lost."""
    now = now or clock.now()
    expired = now - lease()
    return list(
        Touchpoint.objects.filter(status=Status.SENDING, claimed_at__lt=expired)
        .filter(Q(send_started_at__isnull=True) | Q(send_started_at__lt=expired))
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:1000]
    )


# --- all at once, without Celery -----------------------------------------------------------


def dispatch(*, now: dt.datetime | None = None, max_batches: int = 100) -> dict[str, int]:
    """Recover, claim and send everything due, in this process (tests, the shell)."""
    results: dict[str, int] = defaultdict(int)
    for pk in stranded(now=now):
        results[send(pk) or "skipped"] += 1
    for _ in range(max_batches):
        claimed = claim(now=now)
        if not claimed:
            break
        for pk in claimed:
            results[send(pk) or "skipped"] += 1
    return dict(results)
