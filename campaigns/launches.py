"""Campaigns: scheduling, cancelling and launching a one-off send to a segment.

Launching, at the send time (beat every minute, `launch_due`), reads the segment once and
writes one outbox row per (campaign, member): the variant and the control group are chosen
by stable hashes, and the message is rendered with the variant's texts as a rule's would be.
From there the dispatcher sends the rows like any rule's, with every check it makes at send
time (erased member, consent, quiet hours, the marketing frequency cap). The unique
(campaign, member) key and the campaign's row lock make a second launch write nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.db import transaction
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from campaigns import evaluator, triggers
from campaigns.models import Campaign, CampaignVariant, Channel, Touchpoint
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
    """Draft → scheduled: beat launches it at its send time."""
    if campaign.status != Status.DRAFT:
        raise NotAllowed(f"A {campaign.get_status_display().lower()} campaign cannot be scheduled.")
    Campaign.objects.filter(pk=campaign.pk, status=Status.DRAFT).update(status=Status.SCHEDULED)
    campaign.refresh_from_db()
    return campaign


def cancel(campaign: Campaign) -> Campaign:
    """Draft or scheduled → cancelled. A launched campaign is in the outbox already: its
    messages are sent or going, so it can no longer be cancelled."""
    cancelled = Campaign.objects.filter(
        pk=campaign.pk, status__in=[Status.DRAFT, Status.SCHEDULED]
    ).update(status=Status.CANCELLED)
    campaign.refresh_from_db()
    if not cancelled:
        raise NotAllowed(f"A {campaign.get_status_display().lower()} campaign cannot be cancelled.")
    return campaign


def first_send_at(campaign: Campaign) -> dt.datetime:
    """When the campaign first goes anywhere: its day and time at the earliest of its
    segment's clubs (the launch moment)."""
    clubs = campaign.segment.clubs.all()
    return min((campaign.send_at(club) for club in clubs), default=campaign.send_at(None))


def launch_due(*, now: dt.datetime | None = None) -> int:
    """Launch every scheduled campaign whose send time has come at one of its clubs; return
    how many outbox rows were written. Safe to run twice, or in two workers at once."""
    now = now or clock.now()
    # A club's local day is at most a day ahead of UTC: later days cannot be due yet.
    candidates = Campaign.objects.filter(
        status=Status.SCHEDULED, send_on__lte=now.date() + dt.timedelta(days=1)
    ).prefetch_related("segment__clubs")
    written = 0
    for campaign in candidates:
        if first_send_at(campaign) <= now:
            written += launch(campaign, now=now)
    return written


def launch(campaign: Campaign, *, now: dt.datetime | None = None) -> int:
    """Put the campaign's members in the outbox, one row each, and mark it sent; return how
    many rows were written. A campaign not scheduled (already launched, cancelled, a draft)
    writes nothing: the row lock makes a second launch at the same time wait and see it
    launched, and the unique (campaign, member) key would refuse its rows anyway."""
    now = now or clock.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("segment")
            .filter(pk=campaign.pk, status=Status.SCHEDULED)
            .first()
        )
        if campaign is None:
            return 0
        rows = plan(campaign, now=now)
        for start in range(0, len(rows), INSERT_BATCH):
            Touchpoint.objects.bulk_create(
                rows[start : start + INSERT_BATCH], ignore_conflicts=True
            )
        Campaign.objects.filter(pk=campaign.pk).update(status=Status.SENT, launched_at=now)
    log.info("campaign %s launched: %s members", campaign.pk, len(rows))
    return len(rows)


def plan(campaign: Campaign, *, now: dt.datetime) -> list[Touchpoint]:
    """The outbox rows of the campaign's segment as it stands now (unsaved): one query for
    the members, the texts rendered per member."""
    variants = list(campaign.variants.order_by("label"))
    clubs = {club.pk: club for club in campaign.segment.clubs.all()}
    members = campaign.segment.members(now=now).only(*evaluator.MEMBER_FIELDS, "home_club_id")
    # Each club's send time is its own local day and time, moved out of its quiet hours.
    send_times = {}
    for pk, club in clubs.items():
        due = campaign.send_at(club)
        send_times[pk] = (due, evaluator.send_time(due, club, campaign))
    rows = []
    for member in members.order_by("pk").iterator(chunk_size=2000):
        club = clubs[member.home_club_id]
        variant = variant_for(campaign, member.pk, variants)
        status, reason = Touchpoint.Status.SCHEDULED, ""
        if is_held_out(campaign, member.pk):
            status = Touchpoint.Status.HELD_OUT
        due, send_at = send_times[club.pk]
        # The base fields only (BASE_FIELDS): a campaign has no trigger facts.
        occurrence = triggers.Occurrence(member.pk, campaign.key, due, {})
        context = evaluator.message_context(member, club, occurrence)
        subject, body, error = "", "", ""
        try:
            subject = evaluator.render(variant.subject, context)
            body = evaluator.render(variant.template, context)
        except (evaluator.RenderError, TemplateSyntaxError, TemplateDoesNotExist) as failure:
            # As a rule's: one member's values must not stop the campaign for the others.
            error = f"Template error: {failure}"
            if status == Touchpoint.Status.SCHEDULED:
                status, reason = Touchpoint.Status.FAILED, Touchpoint.Reason.TEMPLATE_ERROR
        rows.append(
            Touchpoint(
                campaign=campaign,
                variant=variant.label,
                member=member,
                club=club,
                occurrence_key=campaign.key,
                channel=campaign.channel,
                status=status,
                reason=reason,
                due_at=due,
                send_at=send_at,
                explanation=explain(campaign, variant)[:300],
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


def explain(campaign: Campaign, variant: CampaignVariant) -> str:
    """Why the member got it, for the timeline: "campaign “Spring offer” (B): to the
    segment “Lapsed this autumn”"."""
    return f"campaign “{campaign.name}” ({variant.label}): to the segment “{campaign.segment}”"


def _bucket(salt: str, campaign: Campaign, member_id: int, buckets: int) -> int:
    digest = hashlib.sha256(f"{salt}:{campaign.pk}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets


def is_held_out(campaign: Campaign, member_id: int) -> bool:
    """Stable per (campaign, member), and drawn apart from the variant, so each variant has
    its own held-out members to compare with."""
    return _bucket("campaign-holdout", campaign, member_id, 100) < campaign.holdout_percent


def variant_for(
    campaign: Campaign, member_id: int, variants: list[CampaignVariant]
) -> CampaignVariant:
    """Stable per (campaign, member): the same member always gets the same variant."""
    return variants[_bucket("campaign-variant", campaign, member_id, len(variants))]
