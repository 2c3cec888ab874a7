"""Segments and campaigns, for marketing and managers: a segment's criteria with how many
match now (and can be reached) and a sample of names; a campaign's segment, channel, send
time, holdout and variants, scheduled and cancelled here and launched by beat; its results.

Staff see the segments (and their campaigns) that cover one of their clubs, with counts and
names of their own clubs only; they change, schedule or cancel only those that cover none
but their clubs (`access.segment_clubs_outside`), as with rules.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from wagtail import hooks

from campaigns import dryrun, launches
from campaigns.backoffice.access import RuleRights, segment_clubs_outside, segment_note
from campaigns.backoffice.campaign_forms import CampaignForm, SegmentForm
from campaigns.backoffice.views import LIFECYCLE, Counts, names_label, touchpoint_counts
from campaigns.models import Campaign, CampaignRun, CampaignVariant, Segment, Touchpoint
from club import roles
from club.admin_access import clubs_for

SAMPLE_NAMES = 10
# Apps above campaigns add sections to a campaign's results (analytics: renewals of sent vs
# held-out members) through this Wagtail hook: fn(request, campaign, sections, *, clubs)
# appends Wagtail components about the campaign's members at `clubs` (the user's).
CAMPAIGN_RESULTS_HOOK = "construct_campaign_results"


# --- access ---------------------------------------------------------------------------


def segments_for(user) -> QuerySet[Segment]:
    """The segments that cover one of the user's clubs."""
    segments = Segment.objects.all()
    if user.is_superuser:
        return segments
    return segments.filter(clubs__in=clubs_for(user)).distinct()


def staff_segment(request: HttpRequest, pk: int) -> Segment:
    roles.require(request.user, *LIFECYCLE)
    return get_object_or_404(segments_for(request.user).prefetch_related("clubs"), pk=pk)


def staff_campaign(request: HttpRequest, pk: int) -> Campaign:
    roles.require(request.user, *LIFECYCLE)
    campaigns = Campaign.objects.filter(segment__in=segments_for(request.user))
    return get_object_or_404(
        campaigns.select_related("segment").prefetch_related("segment__clubs", "variants"), pk=pk
    )


def segment_clubs_label(user, segment: Segment) -> str:
    """Whose members a segment's numbers count: its clubs that are the user's (a
    Downtown-only segment is "at Downtown" to staff of both clubs)."""
    mine = set(clubs_for(user))
    return names_label(club for club in segment.clubs.all() if user.is_superuser or club in mine)


def may_change(request: HttpRequest, segment: Segment) -> bool:
    return not segment_clubs_outside(RuleRights(request.user), segment)


def campaign_to_change(request: HttpRequest, pk: int) -> Campaign:
    """`staff_campaign`, refused (403) unless the user works at every club its segment
    covers: every view that changes a campaign starts here."""
    campaign = staff_campaign(request, pk)
    if not may_change(request, campaign.segment):
        raise PermissionDenied
    return campaign


# --- segments ---------------------------------------------------------------------------


def segments(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *LIFECYCLE)
    # Distinct: segments_for joins the user's clubs, one row per club they share.
    rows = (
        segments_for(request.user)
        .prefetch_related("clubs")
        .annotate(n=Count("campaigns", distinct=True))
    )
    return render(
        request,
        "campaigns/admin/segments.html",
        {"segments": rows, "header_title": "Segments", "header_icon": "group"},
    )


def segment_add(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *LIFECYCLE)
    form = SegmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        segment = form.save()
        messages.success(request, f"Segment “{segment}” added.")
        return redirect("playbook:segment", pk=segment.pk)
    return render(
        request,
        "campaigns/admin/segment_form.html",
        {"form": form, "segment": None, "can_change": True, "header_title": "New segment"},
    )


def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The segment's criteria, and who matches them now at the user's clubs."""
    segment = staff_segment(request, pk)
    can_change = may_change(request, segment)
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    form = SegmentForm(request.POST or None, instance=segment, user=request.user)
    if not can_change:
        form.make_view_only()
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Segment “{segment}” saved.")
        return redirect("playbook:segment", pk=segment.pk)
    saved = staff_segment(request, pk)  # an invalid form must not change the counts
    clubs = clubs_for(request.user)
    return render(
        request,
        "campaigns/admin/segment_form.html",
        {
            "form": form,
            "segment": saved,
            "can_change": can_change,
            "view_only_note": segment_note(RuleRights(request.user), saved),
            "reach": saved.reach(clubs=clubs),
            "sample": saved.members(clubs=clubs).order_by("last_name", "first_name", "pk")[
                :SAMPLE_NAMES
            ],
            "clubs_label": segment_clubs_label(request.user, saved),
            "header_title": f"Segment: {saved}",
        },
    )


# --- campaigns --------------------------------------------------------------------------


def campaigns(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *LIFECYCLE)
    rows = (
        Campaign.objects.filter(segment__in=segments_for(request.user))
        .select_related("segment")
        .annotate(variant_count=Count("variants"))
        # Latest send date first, as the model orders them: a grouped query drops Meta.ordering.
        .order_by("-send_on", "-pk")
    )
    return render(
        request,
        "campaigns/admin/campaigns.html",
        {"campaigns": rows, "header_title": "Campaigns", "header_icon": "mail"},
    )


def campaign_add(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, *LIFECYCLE)
    # "Send a campaign to it" on a segment's page comes with the segment chosen.
    initial = {"segment": request.GET.get("segment")}
    form = CampaignForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        campaign = form.save()
        messages.success(request, f"Campaign “{campaign}” saved as a draft.")
        return redirect("playbook:campaign", pk=campaign.pk)
    return render(
        request,
        "campaigns/admin/campaign_form.html",
        {"form": form, "campaign": None, "can_change": True, "header_title": "New campaign"},
    )


def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft or scheduled campaign's form, until its first run launches; a launched,
    paused, stopped or cancelled one, and one whose segment covers a club the user does not
    work at, read-only. A repeating campaign is paused, resumed or stopped here."""
    campaign = staff_campaign(request, pk)
    editable = campaign.is_editable
    can_change = may_change(request, campaign.segment)
    if request.method == "POST" and not (can_change and editable):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if not (can_change and editable):
        form.make_view_only()
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Campaign “{campaign}” saved.")
        return redirect("playbook:campaign", pk=campaign.pk)
    saved = staff_campaign(request, pk)
    # The variants as the first member of the segment (by name, at the user's clubs) gets them.
    sample = (
        saved.segment.members(clubs=clubs_for(request.user))
        .select_related("home_club")
        .order_by("last_name", "first_name", "pk")
        .first()
    )
    return render(
        request,
        "campaigns/admin/campaign_form.html",
        {
            "form": form,
            "campaign": saved,
            "can_change": can_change and editable,
            "can_schedule": can_change and saved.status == Campaign.Status.DRAFT,
            "can_cancel": can_change and editable,
            "can_pause": can_change and saved.repeats and saved.status == Campaign.Status.SCHEDULED,
            "can_resume": can_change and saved.status == Campaign.Status.PAUSED,
            "can_stop": can_change
            and saved.repeats
            and saved.status in (Campaign.Status.SCHEDULED, Campaign.Status.PAUSED),
            "view_only_note": segment_note(
                RuleRights(request.user), saved.segment, what="campaign's segment"
            ),
            "reach": saved.segment.reach(clubs=clubs_for(request.user)),
            "sample": sample,
            "previews": launches.preview(saved, sample) if sample else [],
            "sample_not_reached": dryrun.would_not_get(sample, saved.channel, marketing=True)
            if sample
            else "",
            "clubs_label": segment_clubs_label(request.user, saved.segment),
            "header_title": f"Campaign: {saved}",
        },
    )


@require_POST
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft → scheduled, if it still passes the form's checks (the send time may have
    passed since it was saved)."""
    campaign = campaign_to_change(request, pk)
    form = CampaignForm(_saved_data(campaign), instance=campaign, user=request.user)
    if not form.is_valid():
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Not scheduled: {problems}")
        return redirect("playbook:campaign", pk=campaign.pk)
    try:
        launches.schedule(campaign)
    except launches.NotAllowed as refusal:
        messages.error(request, f"Not scheduled: {refusal}")
    else:
        messages.success(request, f"Campaign “{campaign}” scheduled.")
        if launches.matches_nobody(campaign):  # a repeating one: a one-off is refused
            messages.warning(
                request,
                f"The segment “{campaign.segment}” matches no one today: a run goes only to "
                "those who match on its day, so it reaches nobody unless that changes.",
            )
    return redirect("playbook:campaign", pk=campaign.pk)


@require_POST
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_to_change(request, pk)
    try:
        launches.cancel(campaign)
    except launches.NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Campaign “{campaign}” cancelled.")
    return redirect("playbook:campaign", pk=campaign.pk)


@require_POST
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, pk, launches.pause, "paused: no run goes until it is resumed")


@require_POST
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, pk, launches.resume, "resumed")


@require_POST
def campaign_stop(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_state(request, pk, launches.stop, "stopped: no more runs")


def _change_state(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    campaign = campaign_to_change(request, pk)
    try:
        change(campaign)
    except launches.NotAllowed as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Campaign “{campaign}” {done}.")
    return redirect("playbook:campaign", pk=campaign.pk)


def _saved_data(campaign: Campaign) -> dict:
    """The campaign as the form would post it, to check it again before scheduling."""
    data = {
        "name": campaign.name,
        "segment": campaign.segment_id,
        "channel": campaign.channel,
        "send_on": f"{campaign.send_on:%Y-%m-%d}",
        "send_time": f"{campaign.send_time:%H:%M}",
        "repeat": campaign.repeat,
        "repeat_until": f"{campaign.repeat_until:%Y-%m-%d}" if campaign.repeat_until else "",
        "holdout_percent": campaign.holdout_percent,
    }
    for variant in campaign.variants.all():
        data[f"subject_{variant.label}"] = variant.subject
        data[f"template_{variant.label}"] = variant.template
    return data


def _quiet_run_words(run: CampaignRun) -> str:
    """Why a run has no outbox row at the user's clubs."""
    if run.outcome == CampaignRun.Outcome.MISSED:
        return "Missed: the sender was down at its time, and the next run went instead."
    if run.members == 0:
        return "Reached nobody: no one was in the segment on its day."
    return "Reached no member of these clubs."


def campaign_results(request: HttpRequest, pk: int) -> HttpResponse:
    """Per variant and per run: what happened to its messages (one grouped query each), and
    the sections other apps add (analytics: renewals of those sent against those held out)."""
    campaign = staff_campaign(request, pk)
    # A campaign's rows at the user's clubs only, as every count they see.
    clubs = list(clubs_for(request.user))
    touchpoints = Touchpoint.objects.filter(campaign=campaign, club__in=clubs)
    per_variant, total = touchpoint_counts(touchpoints, by="variant")
    labels = [variant.label for variant in campaign.variants.all()] or list(CampaignVariant.LABELS)
    # Each count links to the outbox list of its rows (the list scopes to the user's clubs).
    total.linked(campaign=str(campaign.pk))
    rows = [
        (label, per_variant.get(label, Counts()).linked(campaign=str(campaign.pk), variant=label))
        for label in labels
    ]
    per_run, _ = touchpoint_counts(touchpoints, by="occurrence_key")
    runs = [
        (campaign.run_of(key), counts.linked(campaign=str(campaign.pk), run=key), "")
        for key, counts in per_run.items()
    ]
    # A run that left no row here still has its line: its segment matched no one on the day,
    # or it was skipped after an outage.
    counted = [day for day, _, _ in runs]
    for run in campaign.runs.exclude(run_on__in=counted):
        runs.append((run.run_on, None, _quiet_run_words(run)))
    # The latest run first: it is the one marketing comes to look at.
    runs.sort(reverse=True, key=lambda run: run[0])
    sections: list = []
    for add_sections in hooks.get_hooks(CAMPAIGN_RESULTS_HOOK):
        add_sections(request, campaign, sections, clubs=clubs)
    return render(
        request,
        "campaigns/admin/campaign_results.html",
        {
            "campaign": campaign,
            "rows": rows,
            "runs": runs,
            "total": total,
            "sections": sections,
            "reached_nobody": launches.reached_nobody(campaign),
            "clubs_label": segment_clubs_label(request.user, campaign.segment),
            "header_title": f"Results: {campaign}",
        },
    )
