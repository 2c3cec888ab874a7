"""{{ event|data_label:"reason" }}: a timeline event's code in words (members.timeline.label)."""

from django import template

from members import timeline
from members.models import MemberEvent

register = template.Library()


@register.filter
def data_label(event: MemberEvent, field: str) -> str:
    return timeline.label(event, field)


@register.filter
def consent_change(event: MemberEvent) -> str:
    return timeline.consent_change(event)
