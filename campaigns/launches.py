"""Campaigns: scheduling, cancelling, launching, pausing and stopping a send to a segment.

A campaign goes once or in runs (weekly, monthly: `Campaign.run_day`). Launching a run, at
its send time (beat every minute, `launch_due`), reads the segment as it stands then and
writes one outbox row per (campaign, member, run): the variant and the control group are
chosen by stable hashes of (campaign, member), the same in every run, and the message is
rendered with the variant's texts as a rule's would be. From there the dispatcher sends the
rows like any rule's, with every check it makes at send time (erased member, consent, quiet
hours, the marketing frequency cap). The campaign's row lock and its `next_run_on`, moved on
in the same transaction, make a second launch of a run write nothing, and the unique
(campaign, member, occurrence key = the run) would refuse its rows anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from campaigns import evaluator, triggers
from campaigns.models import Campaign, CampaignRun, CampaignVariant, Channel, Touchpoint
from campaigns.sms import Segments, count_segments
from club import clock
from members.models import Member

log = logging.getLogger(__name__)

Status = Campaign.Status
# Outbox rows written per insert: a segment of tens of thousands is never one statement.
INSERT_BATCH = 1000


class NotAllowed(Exception):
    """The campaign is not in a state that allows this (it was sent or cancelled)."""


def schedule(campaign: Campaign) -> Campaign:
    """Draft → scheduled: beat launches its (first) run at its send time.

    A one-off whose segment matches no one now is refused: a send to nobody is a mistake
    (the wrong segment, a criterion too narrow), and it would end "sent" with no message.
    A repeating one is scheduled (its segment may fill before a run); the screen warns
    (`matches_nobody`)."""
    if campaign.status != Status.DRAFT:
        raise NotAllowed(f"A {campaign.get_status_display().lower()} campaign cannot be scheduled.")
    if not campaign.repeats and matches_nobody(campaign):
        raise NotAllowed(
            f"The segment “{campaign.segment}” matches no one now, so this one-off campaign "
            "would reach nobody. Choose another segment, or change its criteria."
        )
    Campaign.objects.filter(pk=campaign.pk, status=Status.DRAFT).update(
        status=Status.SCHEDULED, next_run_on=F("send_on")
    )
    campaign.refresh_from_db()
    return campaign


def matches_nobody(campaign: Campaign, *, now: dt.datetime | None = None) -> bool:
    """Whether the campaign's segment matches no member now, at any of its clubs: its
    launch now would write no row."""
    return not campaign.segment.members(now=now).exists()


def reached_nobody(campaign: Campaign) -> bool:
    """Launched, and not one row written at any club: its segment matched no one at send
    time (a run reads the segment then). Its results say so instead of a bare "sent"."""
    return campaign.launched_at is not None and not campaign.touchpoints.exists()


def cancel(campaign: Campaign) -> Campaign:
    """Draft or scheduled, no run launched → cancelled. A launched campaign is in the outbox
    already: its messages are sent or going, so it can no longer be cancelled (a repeating
    one is stopped instead)."""
    cancelled = Campaign.objects.filter(
        pk=campaign.pk, status__in=[Status.DRAFT, Status.SCHEDULED], launched_at__isnull=True
    ).update(status=Status.CANCELLED, next_run_on=None)
    campaign.refresh_from_db()
    if not cancelled:
        state = campaign.get_status_display().lower()
        if campaign.status == Status.SCHEDULED:
            state = "running"
        raise NotAllowed(f"A {state} campaign cannot be cancelled.")
    return campaign


def pause(campaign: Campaign, *, now: dt.datetime | None = None) -> Campaign:
    """A repeating campaign, scheduled → paused: no run launches until it is resumed, and the
    messages of a run not yet claimed by the dispatcher (at a club whose time comes later,
    or held by the quiet hours) are cancelled."""
    return _halt(campaign, to=Status.PAUSED, now=now)


def stop(campaign: Campaign, *, now: dt.datetime | None = None) -> Campaign:
    """A repeating campaign, scheduled or paused → stopped, for good: no more runs, and the
    messages not yet claimed by the dispatcher are cancelled."""
    return _halt(campaign, to=Status.STOPPED, now=now)


def _halt(campaign: Campaign, *, to: str, now: dt.datetime | None) -> Campaign:
    now = now or clock.now()
    allowed = [Status.SCHEDULED] if to == Status.PAUSED else [Status.SCHEDULED, Status.PAUSED]
    with transaction.atomic():
        # The launch's lock: a run launching now finishes first, and its rows are cancelled.
        locked = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign.pk, status__in=allowed)
            .exclude(repeat=Campaign.Repeat.ONCE)
            .first()
        )
        if locked is None:
            campaign.refresh_from_db()
            verb = "paused" if to == Status.PAUSED else "stopped"
            what = "one-off" if not campaign.repeats else campaign.get_status_display().lower()
            raise NotAllowed(f"A {what} campaign cannot be {verb}.")
        Campaign.objects.filter(pk=locked.pk).update(status=to, next_run_on=None)
        # Rows the dispatcher claimed are `sending`: under way, they are left to finish. The
        # held-out ones still to come go with the rest: their twins are never sent.
        cancelled = Touchpoint.objects.filter(
            campaign=locked, status__in=[Touchpoint.Status.SCHEDULED, Touchpoint.Status.HOLDING]
        ).update(status=Touchpoint.Status.CANCELLED, reason=Touchpoint.Reason.CAMPAIGN_STOPPED)
    log.info("campaign %s %s at %s: %s messages cancelled", campaign.pk, to, now, cancelled)
    campaign.refresh_from_db()
    return campaign


def resume(campaign: Campaign, *, now: dt.datetime | None = None) -> Campaign:
    """Paused → scheduled, from the first run whose time is still to come at every club
    (the runs missed while paused are not sent late); when none is left it is over (sent)."""
    now = now or clock.now()
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign.pk, status=Status.PAUSED)
            .prefetch_related("segment__clubs")
            .first()
        )
        if locked is None:
            campaign.refresh_from_db()
            state = campaign.get_status_display().lower()
            raise NotAllowed(f"A {state} campaign cannot be resumed.")
        run = locked.run_after(now.date() - dt.timedelta(days=2))
        while run is not None and first_send_at(locked, run_on=run) <= now:
            run = locked.run_after(run)
        Campaign.objects.filter(pk=locked.pk).update(
            status=Status.SCHEDULED if run else Status.SENT, next_run_on=run
        )
    campaign.refresh_from_db()
    return campaign


def first_send_at(campaign: Campaign, *, run_on: dt.date | None = None) -> dt.datetime:
    """When the campaign (its run on `run_on`) first goes anywhere: its day and time at the
    earliest of its segment's clubs (the launch moment)."""
    clubs = campaign.segment.clubs.all()
    return min(
        (campaign.send_at(club, run_on) for club in clubs),
        default=campaign.send_at(None, run_on),
    )


def launch_due(*, now: dt.datetime | None = None) -> int:
    """Launch every scheduled campaign whose next run's send time has come at one of its
    clubs; return how many outbox rows were written. Safe to run twice, or in two workers at
    once."""
    now = now or clock.now()
    # A club's local day is at most a day ahead of UTC: later days cannot be due yet.
    candidates = Campaign.objects.filter(
        status=Status.SCHEDULED, next_run_on__lte=now.date() + dt.timedelta(days=1)
    ).prefetch_related("segment__clubs")
    written = 0
    for campaign in candidates:
        if first_send_at(campaign, run_on=campaign.next_run_on) <= now:
            written += launch(campaign, now=now)
    return written


def launch(campaign: Campaign, *, now: dt.datetime | None = None) -> int:
    """Put the campaign's next run in the outbox, one row per member of its segment now, and
    move on to the run after (or mark it sent after its last); return how many rows were
    written. A campaign not scheduled (its run launched already, paused, stopped, a draft),
    or whose next run's time has not come, writes nothing: the row lock makes a second launch
    at the same time wait and see the run launched, and the unique (campaign, member, run) key
    would refuse its rows anyway."""
    now = now or clock.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("segment")
            .filter(pk=campaign.pk, status=Status.SCHEDULED, next_run_on__isnull=False)
            .first()
        )
        if campaign is None:
            return 0
        run_on = campaign.next_run_on
        if first_send_at(campaign, run_on=run_on) > now:
            return 0  # a stale caller: this run's time has not come anywhere yet
        # After an outage, runs whose successor is due too are skipped, not sent in a burst.
        runs = []
        while (later := campaign.run_after(run_on)) and first_send_at(
            campaign, run_on=later
        ) <= now:
            log.warning("campaign %s: the run of %s was missed", campaign.pk, run_on)
            runs.append(CampaignRun(run_on=run_on, outcome=CampaignRun.Outcome.MISSED))
            run_on = later
        rows = plan(campaign, run_on=run_on, now=now)
        for start in range(0, len(rows), INSERT_BATCH):
            Touchpoint.objects.bulk_create(
                rows[start : start + INSERT_BATCH], ignore_conflicts=True
            )
        runs.append(
            CampaignRun(run_on=run_on, outcome=CampaignRun.Outcome.LAUNCHED, members=len(rows))
        )
        for run in runs:
            run.campaign, run.at = campaign, now
        CampaignRun.objects.bulk_create(runs, ignore_conflicts=True)
        following = campaign.run_after(run_on)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Status.SCHEDULED if following else Status.SENT,
            next_run_on=following,
            launched_at=now,
        )
    if not rows:
        log.warning(
            "campaign %s run of %s reached nobody: no one in its segment", campaign.pk, run_on
        )
    log.info("campaign %s run of %s launched: %s members", campaign.pk, run_on, len(rows))
    return len(rows)


def plan(
    campaign: Campaign, *, run_on: dt.date | None = None, now: dt.datetime
) -> list[Touchpoint]:
    """The outbox rows of the campaign's run on `run_on` (the first day when not given) for its
    segment as it stands now (unsaved): one query for the members, the texts rendered per
    member."""
    run_on = run_on or campaign.send_on
    key = campaign.run_key(run_on)
    variants = list(campaign.variants.order_by("label"))
    clubs = {club.pk: club for club in campaign.segment.clubs.all()}
    members = campaign.segment.members(now=now).only(*evaluator.MEMBER_FIELDS, "home_club_id")
    # Each club's send time is its own local day and time, moved out of its quiet hours.
    send_times, club_values = {}, {}
    for pk, club in clubs.items():
        club_values[pk] = evaluator.club_values(club)
        due = campaign.send_at(club, run_on)
        send_times[pk] = (due, evaluator.send_time(due, club, campaign))
    rows = []
    for member in members.order_by("pk").iterator(chunk_size=2000):
        club = clubs[member.home_club_id]
        variant = variant_for(campaign, member.pk, variants)
        status, reason = Touchpoint.Status.SCHEDULED, ""
        if is_held_out(campaign, member.pk):
            # Decided at its send time as the sent ones are (consent, erasure, a stop), so
            # both arms are the members the message would have reached.
            status = Touchpoint.Status.HOLDING
        due, send_at = send_times[club.pk]
        # The base fields only (BASE_FIELDS): a campaign has no trigger facts.
        occurrence = triggers.Occurrence(member.pk, key, due, {})
        context = evaluator.message_context(
            member, club, occurrence, club_context=club_values[club.pk]
        )
        subject, body, error = "", "", ""
        try:
            subject = evaluator.render(variant.subject, context)
            body = evaluator.render(variant.template, context)
        except (evaluator.RenderError, TemplateSyntaxError, TemplateDoesNotExist) as failure:
            # As a rule's: one member's values must not stop the campaign for the others.
            error = f"Template error: {failure}"
            if status == Touchpoint.Status.SCHEDULED:
                status, reason = Touchpoint.Status.FAILED, Touchpoint.Reason.TEMPLATE_ERROR
        else:
            if refusal := evaluator.body_refusal(campaign.channel, body):
                # As a rule's: an empty or too long text is sent to no one, held out or not.
                status, reason = Touchpoint.Status.SUPPRESSED, refusal
        rows.append(
            Touchpoint(
                campaign=campaign,
                variant=variant.label,
                member=member,
                club=club,
                occurrence_key=key,
                channel=campaign.channel,
                status=status,
                reason=reason,
                due_at=due,
                send_at=send_at,
                explanation=explain(campaign, variant, run_on=run_on)[:300],
                subject=subject,
                body=body,
                error=error,
                created_at=now,
            )
        )
    return rows


@dataclass(frozen=True)
class Preview:
    label: str
    subject: str
    body: str
    segments: Segments | None = None
    error: str = ""


def preview(campaign: Campaign, member: Member) -> list[Preview]:
    """Each variant's message as `member` would get it (a template that fails on their
    values says why), with the SMS segment count."""
    club = member.home_club
    occurrence = triggers.Occurrence(member.pk, campaign.key, campaign.send_at(club), {})
    context = evaluator.message_context(member, club, occurrence)
    previews = []
    for variant in campaign.variants.order_by("label"):
        try:
            subject = evaluator.render(variant.subject, context)
            body = evaluator.render(variant.template, context)
        except (evaluator.RenderError, TemplateSyntaxError, TemplateDoesNotExist) as failure:
            previews.append(Preview(variant.label, "", "", error=str(failure)))
            continue
        segments = count_segments(body) if campaign.channel == Channel.SMS else None
        previews.append(Preview(variant.label, subject, body, segments))
    return previews


def explain(campaign: Campaign, variant: CampaignVariant, *, run_on: dt.date) -> str:
    """Why the member got it, for the timeline: "campaign “Spring offer” (B): to the
    segment “Lapsed this autumn”", and for a run ", run of 30 Nov 2026" after the variant."""
    run = f", run of {run_on:%-d %b %Y}" if campaign.repeats else ""
    return f"campaign “{campaign.name}” ({variant.label}){run}: to the segment “{campaign.segment}”"


def _bucket(salt: str, campaign: Campaign, member_id: int, buckets: int) -> int:
    digest = hashlib.sha256(f"{salt}:{campaign.pk}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets


def is_held_out(campaign: Campaign, member_id: int) -> bool:
    """Stable per (campaign, member), the same in every run (a member held out once is held
    out each week, so the results compare like with like), and drawn apart from the variant,
    so each variant has its own held-out members to compare with."""
    return _bucket("campaign-holdout", campaign, member_id, 100) < campaign.holdout_percent


def variant_for(
    campaign: Campaign, member_id: int, variants: list[CampaignVariant]
) -> CampaignVariant:
    """Stable per (campaign, member): the same member always gets the same variant."""
    return variants[_bucket("campaign-variant", campaign, member_id, len(variants))]
