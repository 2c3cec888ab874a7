"""The dispatcher: due touchpoints leave the outbox, each exactly once.

Three steps, each safe to repeat and safe to run in several workers at once:

1. `claim()` locks a batch of due rows with `SELECT … FOR UPDATE SKIP LOCKED`, decides
   each one again — the rule still on, consent, the quiet hours *now*, the rule's condition
   still true, the frequency cap — and commits the survivors as `sending`. Two dispatchers
   never claim the same row. Held-out rows (`holding`) are decided by the same checks, and
   a survivor becomes `held_out` instead of `sending`.
2. `send_many()` takes a batch of `sending` rows, stamps their `send_started_at` in one
   commit, calls the provider for each outside any transaction, and records the receipts in
   small groups.
3. `recover()` finds `sending` rows whose worker died (the lease ran out). A row whose
   provider call may have started is first looked up at the provider (`find_sent`), so a
   worker killed between the provider's answer and our commit never causes a second
   message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q

from campaigns import delivery, evaluator, lifecycle, rules, triggers
from campaigns.channels import PermanentError, Sent, TransientError, get_channel
from campaigns.models import Channel, Touchpoint
from campaigns.optout import opt_out_number
from club import clock
from club.models import Club
from members import timeline
from members.consent import sms_consent_problem
from members.models import Member, MemberEvent, consent_logged

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
# What a claim decides: rows to send, and held-out rows decided by the very same checks.
PENDING = [Status.SCHEDULED, Status.HOLDING]


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CAMPAIGN_SENDING_LEASE_SECONDS)


# --- 1. claim ------------------------------------------------------------------------------


def claim(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> list[int]:
    """Claim one batch of due touchpoints; return the ids now `sending`. Its callers first
    withdraw the plans of rules changed outside the editor (`rules.withdraw_changed`)."""
    now = now or clock.now()
    # A batch can be decided with nothing to send (all held out, cancelled or suppressed);
    # the callers stop at an empty answer, so decide the next batch rather than give one.
    for _ in range(MAX_EMPTY_BATCHES):
        decided, sending = _claim_batch(now, batch_size)
        if sending or not decided:
            return sending
    return []


# Batches a claim decides, at most, before it answers that nothing is to send.
MAX_EMPTY_BATCHES = 20


def _claim_batch(now: dt.datetime, batch_size: int) -> tuple[int, list[int]]:
    """Decide one batch of due rows: (how many were decided, the ids now `sending`)."""
    with transaction.atomic():
        due = list(
            Touchpoint.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=PENDING, send_at__lte=now)
            .select_related("rule", "campaign", "member", "club")
            # Whether the member has a consent log entry for the row's channel: without
            # consent, an opt-out, which stops a transactional message too. In the same query.
            .annotate(consent_logged=consent_logged(OuterRef("member_id"), OuterRef("channel")))
            .order_by("send_at", "pk")[:batch_size]
        )
        if not due:
            return 0, []
        _decide(due, now)
        _save_verdicts(due)
    return len(due), [tp.pk for tp in due if tp.status == Status.SENDING]


def _save_verdicts(due: list[Touchpoint]) -> None:
    """One UPDATE per distinct verdict (a handful per batch), not a CASE per row and field:
    Django's bulk_update spent most of a claim compiling those."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for tp in due:
        groups[tp.status, tp.reason, tp.send_at, tp.claimed_at, tp.segments].append(tp.pk)
    for (status, reason, send_at, claimed_at, segments), pks in groups.items():
        Touchpoint.objects.filter(pk__in=pks).update(
            status=status, reason=reason, send_at=send_at, claimed_at=claimed_at, segments=segments
        )


def _decide(due: list[Touchpoint], now: dt.datetime) -> None:
    """Set each claimed row's fate: sending, suppressed, cancelled or back to later.

    A held-out row (`holding`) gets the same verdict as a row to send, and where that says
    "send" it becomes `held_out`: the control group is the members the message would have
    reached at its send time. Judged at insert instead, it kept members who had acted before
    the due time (a trial booked, a renewal bought), whose sent twins were cancelled as
    obsolete, and the uplift came out biased (docs/architecture.md, Holdout)."""
    still_true = still_true_now(due, now)
    held = {tp.pk for tp in due if tp.status == Status.HOLDING}
    for touchpoint in due:
        touchpoint.status, touchpoint.reason = _verdict(touchpoint, now, still_true)
    # The cap too: a member already at it would not have been sent this one either.
    _apply_frequency_cap([tp for tp in due if tp.status == Status.SENDING], now, held=held)
    for touchpoint in due:
        if touchpoint.pk not in held:
            continue
        if touchpoint.status == Status.SENDING:
            touchpoint.status = Status.HELD_OUT
        elif touchpoint.status == Status.SCHEDULED:  # held past the quiet hours, as its twin
            touchpoint.status = Status.HOLDING
    for touchpoint in due:
        if touchpoint.status == Status.SENDING:
            touchpoint.claimed_at = now
            if touchpoint.channel == Channel.SMS:
                touchpoint.segments = get_channel(Channel.SMS).segments(touchpoint.body)


def _verdict(touchpoint: Touchpoint, now: dt.datetime, still_true: set) -> tuple[str, str]:
    member, channel = touchpoint.member, touchpoint.channel
    if member.is_erased:
        # Nothing goes to an erased member, a staff call task neither (members.erasure).
        return Status.CANCELLED, Reason.OBSOLETE
    if touchpoint.rule_id and not touchpoint.rule.is_active:
        # Off means nothing more goes. The editor withdraws an off rule's rows as it saves
        # (campaigns.rules); this catches a rule switched off any other way.
        return Status.CANCELLED, Reason.RULE_OFF
    key = (touchpoint.rule_id, member.pk, touchpoint.occurrence_key)
    if touchpoint.rule_id and key not in still_true:
        # A campaign's row has no trigger to re-run: its segment was read at the launch,
        # moments before (docs/architecture.md, Campaigns).
        return Status.CANCELLED, Reason.OBSOLETE
    if refusal := evaluator.body_refusal(channel, touchpoint.body):
        # Written before the check, or by another path: a blank or too long text never goes.
        return Status.SUPPRESSED, refusal
    if (
        channel == Channel.SMS
        and member.phone
        and (
            # Not a number, or one texts do not reach (a landline on a record from before SMS
            # consent asked for a mobile; a transactional text needs no consent): Twilio would
            # only fail it.
            not member.phone.is_valid() or sms_consent_problem(member.phone)
        )
    ):
        return Status.SUPPRESSED, Reason.INVALID_NUMBER
    refusal = evaluator.consent_refusal(
        member, channel, marketing=touchpoint.is_marketing, logged=touchpoint.consent_logged
    )
    if refusal:
        return Status.SUPPRESSED, refusal
    goes_at, dropped = send_time_if_due(touchpoint, touchpoint.club, now)
    if goes_at is None:
        return Status.SUPPRESSED, dropped
    if goes_at > now:
        touchpoint.send_at = goes_at
        return Status.SCHEDULED, ""
    return Status.SENDING, ""


def send_time_if_due(
    touchpoint: Touchpoint, club: Club, now: dt.datetime
) -> tuple[dt.datetime | None, str]:
    """When a touchpoint that is due at `now` really goes: now, or at the end of the club's
    quiet hours; or None and the reason it is dropped (a Touchpoint.Reason).

    Dropped as *too late* when the end of the quiet hours is within DEADLINE_MARGIN of its
    deadline (a trial booked at 23:31 for tomorrow's 07:00 class: its reminder, held to
    09:00, would come after the class), unless its rule says `at_once_if_late` and it goes
    now; as *quiet-hours overflow* when that is further past
    its due time than the rule allows (`max_delay_hours`, else DEFAULT_MAX_DELAY; a
    campaign's too). The dry run forecasts with it, so it shows what the dispatcher will do."""
    deadline = touchpoint.deadline
    if deadline is not None and now >= deadline:
        return None, Reason.TOO_LATE
    later = evaluator.send_time(now, club, touchpoint.sender, early=False, deadline=deadline)
    if later == now:
        return now, ""
    if deadline is not None and later > deadline - evaluator.DEADLINE_MARGIN:
        return None, Reason.TOO_LATE
    max_delay = touchpoint.sender.params.get("max_delay_hours")
    limit = dt.timedelta(hours=max_delay) if max_delay else DEFAULT_MAX_DELAY
    if later - touchpoint.due_at > limit:
        return None, Reason.QUIET_HOURS_OVERFLOW
    return later, ""


def still_true_now(due: list[Touchpoint], now: dt.datetime) -> set[tuple[int, int, str]]:
    """`still_true` with each member's stage computed now: one query per club, and only for
    rows whose rule has a stage condition. Campaign rows have no rule to ask, and an off
    rule's rows are cancelled without asking."""
    due = [touchpoint for touchpoint in due if touchpoint.rule_id and touchpoint.rule.is_active]
    staged: dict[Club, set[int]] = defaultdict(set)
    for touchpoint in due:
        if touchpoint.rule.stages:
            staged[touchpoint.club].add(touchpoint.member_id)
    stages = {}
    for club, member_ids in staged.items():
        stages |= lifecycle.stages_on(member_ids, club=club, day=clock.today(club))
    return still_true(due, lambda touchpoint: stages.get(touchpoint.member_id))


def still_true(
    touchpoints: list[Touchpoint], stage_of: Callable[[Touchpoint], str | None]
) -> set[tuple[int, int, str]]:
    """(rule, member, occurrence) of the rows whose trigger and conditions still hold: the
    trigger still finds the occurrence (`still_occurring`) and the member, in `stage_of`
    the row, is in one of the rule's stages. The dry run asks it with the stage projected
    to the day a row goes, so it says what the dispatcher will cancel."""
    occurring = still_occurring(touchpoints)
    holding = set()
    for touchpoint in touchpoints:
        key = (touchpoint.rule_id, touchpoint.member_id, touchpoint.occurrence_key)
        stages = touchpoint.rule.stages
        if key in occurring and (not stages or stage_of(touchpoint) in stages):
            holding.add(key)
    return holding


def still_occurring(touchpoints: list[Touchpoint]) -> set[tuple[int, int, str]]:
    """(rule, member, occurrence) of the rows whose trigger still finds their occurrence.

    The trigger runs again, set-based, over the window of the rows' due times and for their
    members only: a member who renewed, visited or cancelled the booking since is no longer
    in its answer. The dry run asks it too, so it says what the dispatcher will cancel.
    """
    groups: dict[tuple[int, int], list[Touchpoint]] = defaultdict(list)
    for touchpoint in touchpoints:
        groups[touchpoint.rule_id, touchpoint.club_id].append(touchpoint)
    holding = set()
    for rows in groups.values():
        rule, club = rows[0].rule, rows[0].club
        window = triggers.Window(
            club=club,
            since=min(tp.due_at for tp in rows) - dt.timedelta(microseconds=1),
            until=max(tp.due_at for tp in rows),
            members=frozenset(tp.member_id for tp in rows),
        )
        found = {
            (o.member_id, o.key) for o in triggers.occurrences(rule.trigger, window, rule.params)
        }
        for touchpoint in rows:
            if (touchpoint.member_id, touchpoint.occurrence_key) in found:
                holding.add((rule.pk, touchpoint.member_id, touchpoint.occurrence_key))
    return holding


def _apply_frequency_cap(
    candidates: list[Touchpoint], now: dt.datetime, *, held: frozenset[int] | set[int] = frozenset()
) -> None:
    """At most WEEKLY_CAP marketing touchpoints per member per rolling 7 days, DAILY_CAP per
    local day; among touchpoints competing in one batch the higher priority goes first.
    Rows in `held` (held out) are capped like the others but take no one's place: no message
    goes for them, so they must not keep a real one from going."""
    marketing = [tp for tp in candidates if tp.is_marketing and tp.channel != Channel.TASK]
    if not marketing:
        return
    clubs = {tp.club_id: tp.club for tp in marketing}
    day_starts = {pk: clock.start_of_day(clock.today(club), club) for pk, club in clubs.items()}
    earliest_day_start = min(day_starts.values())
    recent = (
        Touchpoint.objects.filter(
            Q(rule__is_marketing=True) | Q(campaign__isnull=False),
            member__in={tp.member_id for tp in marketing},
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
    by_priority = sorted(marketing, key=lambda tp: (-tp.sender.priority, tp.send_at, tp.pk))
    for touchpoint in by_priority:
        member_id = touchpoint.member_id
        if week.get(member_id, 0) >= WEEKLY_CAP or today.get(member_id, 0) >= DAILY_CAP:
            touchpoint.status, touchpoint.reason = Status.SUPPRESSED, Reason.FREQUENCY_CAP
            continue
        if touchpoint.pk in held:
            continue
        week[member_id] = week.get(member_id, 0) + 1
        today[member_id] = today.get(member_id, 0) + 1


# --- 2. send -------------------------------------------------------------------------------

# Receipts are written in one transaction per group: at most this many, and none older
# than RECORD_WITHIN (a status callback can only find a touchpoint whose sid is committed).
RECORD_EVERY = 25
RECORD_WITHIN = dt.timedelta(seconds=0.5)


def send(pk: int) -> str | None:
    """Send one claimed touchpoint; return its new status, or None if it was not ours."""
    results = send_many([pk])
    return next((status for status in results if status != "skipped"), None)


def send_many(pks: list[int]) -> Counter[str]:
    """Send claimed touchpoints one after another; count their new statuses ("skipped" for
    rows that were not ours).

    Safe to call twice, or for rows another worker is sending. The rows that are ours — still
    `sending`, not locked, outside any other attempt's lease — are locked and stamped
    `send_started_at` in one commit before any provider call, so only one caller ever talks
    to the provider about a row; a stamp that grows old while earlier rows wait for the
    throttle is renewed before its call. A failure is recorded at once and does not hold up
    the rest. Receipts are recorded in small groups (`RECORD_EVERY`, `RECORD_WITHIN`): a
    worker killed before recording them leaves rows stamped, which recovery looks up at the
    provider (`find_sent`) rather than send again.
    """
    results: Counter[str] = Counter()
    receipts = _Receipts()
    try:
        for touchpoint, earlier_attempt in _stamp(pks):
            receipts.flush_if_due()
            if _renew_stamp(touchpoint):
                results[_send_one(touchpoint, earlier_attempt, receipts) or "skipped"] += 1
    finally:
        receipts.flush()
    results["skipped"] += len(set(pks)) - sum(results.values())
    return +results  # drop zero counts


def _stamp(pks: list[int]) -> list[tuple[Touchpoint, dt.datetime | None]]:
    """Lock and stamp the rows that are ours to send; each with its earlier stamp, if any."""
    now = clock.now()
    with transaction.atomic():
        touchpoints = list(
            Touchpoint.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=pks, status=Status.SENDING)
            .filter(Q(send_started_at__isnull=True) | Q(send_started_at__lte=now - lease()))
            .select_related("rule", "campaign", "member", "club")
            .order_by("pk")
        )
        Touchpoint.objects.filter(pk__in=[tp.pk for tp in touchpoints]).update(
            send_started_at=now, attempts=F("attempts") + 1
        )
    stamped = []
    for touchpoint in touchpoints:
        stamped.append((touchpoint, touchpoint.send_started_at))
        touchpoint.send_started_at, touchpoint.attempts = now, touchpoint.attempts + 1
    return stamped


def _renew_stamp(touchpoint: Touchpoint) -> bool:
    """Keep the row's stamp younger than half the lease before its provider call, so no
    recovery can take it over meanwhile. False when the row is no longer ours."""
    now = clock.now()
    if now - touchpoint.send_started_at < lease() / 2:
        return True
    renewed = Touchpoint.objects.filter(
        pk=touchpoint.pk, status=Status.SENDING, send_started_at=touchpoint.send_started_at
    ).update(send_started_at=now)
    touchpoint.send_started_at = now
    return bool(renewed)


def _send_one(
    touchpoint: Touchpoint, earlier_attempt: dt.datetime | None, receipts: _Receipts
) -> str | None:
    channel = get_channel(touchpoint.channel)
    if earlier_attempt:
        # An earlier attempt died after it may have reached the provider: ask first.
        try:
            receipt = channel.find_sent(touchpoint)
        except TransientError:
            return None  # can't tell yet; the next recovery asks again
        if receipt:
            return receipts.add(touchpoint, receipt)
    if touchpoint.member.is_erased:
        # Erased since the claim and not at the provider: it never goes (the erasure left
        # it no text and no address).
        Touchpoint.objects.filter(pk=touchpoint.pk, status=Status.SENDING).update(
            status=Status.CANCELLED, reason=Reason.OBSOLETE
        )
        return Status.CANCELLED
    try:
        receipt = channel.send(touchpoint)
    except PermanentError as error:
        return _record_permanent_failure(touchpoint, error)
    except TransientError as error:
        return _record_transient_failure(touchpoint, error)
    return receipts.add(touchpoint, receipt)


class _Receipts:
    """Receipts of sent touchpoints not yet recorded."""

    def __init__(self):
        self.pending: list[tuple[Touchpoint, Sent, dt.datetime]] = []
        self.oldest = 0.0

    def add(self, touchpoint: Touchpoint, receipt: Sent) -> str:
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((touchpoint, receipt, clock.now()))
        return Status.DELIVERED if receipt.delivered else Status.SENT

    def flush_if_due(self) -> None:
        waited = time.monotonic() - self.oldest
        if len(self.pending) >= RECORD_EVERY or waited >= RECORD_WITHIN.total_seconds():
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _record_sent(self.pending)
            self.pending = []


_MARK_SENT = "UPDATE {table} SET {columns}, {error} = '' WHERE {pk} = %s".format(
    table=Touchpoint._meta.db_table,
    columns=", ".join(
        f"{Touchpoint._meta.get_field(name).column} = %s"
        for name in ("status", "provider_id", "segments", "sent_at", "delivered_at")
    ),
    error=Touchpoint._meta.get_field("error").column,
    pk=Touchpoint._meta.pk.column,
)


def _record_sent(receipts: list[tuple[Touchpoint, Sent, dt.datetime]]) -> None:
    """Record receipts in one transaction: each row only while it is still `sending`, so a
    status callback that came first is never overwritten; one timeline insert for all.
    Then apply the status callbacks that came before their ids were recorded."""
    recorded = _record_receipts(receipts)
    if recorded:
        # After the commit, so a callback kept while the ids were being recorded is found
        # here, or finds the ids itself (delivery.record_provider_status).
        delivery.apply_early_statuses(recorded)


def _record_receipts(receipts: list[tuple[Touchpoint, Sent, dt.datetime]]) -> list[str]:
    with transaction.atomic():
        still_sending = set(
            Touchpoint.objects.select_for_update()
            .filter(pk__in=[tp.pk for tp, _, _ in receipts], status=Status.SENDING)
            .values_list("pk", flat=True)
        )
        mine = [(tp, receipt, at) for tp, receipt, at in receipts if tp.pk in still_sending]
        if not mine:
            return []
        # A member erased while their message was at the provider gets no message text back
        # on their timeline.
        erased = set(
            Member.objects.filter(
                pk__in={tp.member_id for tp, _, _ in mine}, erased_at__isnull=False
            ).values_list("pk", flat=True)
        )
        # The rows are locked and still `sending`: one statement sent many times, pipelined
        # by the driver (the ORM spent longer compiling one UPDATE per row than running it).
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.executemany(
                _MARK_SENT,
                [
                    (
                        Status.DELIVERED if receipt.delivered else Status.SENT,
                        receipt.provider_id,
                        receipt.segments if receipt.segments is not None else tp.segments,
                        adapt(at),
                        adapt(at) if receipt.delivered else None,
                        tp.pk,
                    )
                    for tp, receipt, at in mine
                ],
            )
        timeline.record_each(
            MemberEvent.Kind.MESSAGE_SENT,
            [
                (
                    touchpoint.member,
                    at,
                    {
                        "touchpoint": touchpoint.pk,
                        **_sent_by(touchpoint),
                        "channel": touchpoint.channel,
                        "subject": touchpoint.subject,
                        "text": touchpoint.body,
                        "why": touchpoint.explanation,
                    },
                )
                for touchpoint, _, at in mine
                if touchpoint.member_id not in erased
            ],
        )
    return [receipt.provider_id for _, receipt, _ in mine]


def _sent_by(touchpoint: Touchpoint) -> dict:
    """The timeline's note of what sent the message: the rule's number, or the campaign and
    its variant."""
    if touchpoint.rule_id:
        return {"rule": touchpoint.rule.number}
    return {"campaign": touchpoint.campaign_id, "variant": touchpoint.variant}


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
    results: Counter[str] = Counter()
    rules.withdraw_changed(now=now)  # as dispatch_task: nothing goes under a changed rule
    if recovering := stranded(now=now):
        results += send_many(recovering)
    for _ in range(max_batches):
        claimed = claim(now=now)
        if not claimed:
            break
        results += send_many(claimed)
    return dict(results)
