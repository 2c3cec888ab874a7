"""The messages ClubCycle wrote to the member, and their lifecycle stages, in their data
export. Every touchpoint is listed, held out or suppressed ones too: being in a control group,
or not written to for want of consent, is processing of their data as well."""

from django.db.models import F

from campaigns.models import StageChange, Touchpoint
from members.export import Rows, section
from members.models import Member


@section("messages")
def _messages(member: Member) -> Rows:
    return (
        Touchpoint.objects.filter(member=member)
        .order_by("due_at", "pk")
        .values(
            "id",
            "channel",
            "status",
            "reason",
            "explanation",
            "subject",
            "body",
            "due_at",
            "sent_at",
            "delivered_at",
            rule_name=F("rule__name"),
            campaign_name=F("campaign__name"),
            campaign_variant=F("variant"),
        )
    )


@section("lifecycle_stages")
def _stages(member: Member) -> Rows:
    return (
        StageChange.objects.filter(member=member)
        .order_by("at", "pk")
        .values("id", "from_stage", "to_stage", "at")
    )
