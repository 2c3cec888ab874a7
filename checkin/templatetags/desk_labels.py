"""Words for the codes the timeline stores: "walk_in" reads "Walk-in" on the member card."""

from django import template

from checkin.models import Source
from members.models import Member

register = template.Library()

# A timeline event's `source` is where a visit came from, or where a lead came from.
_SOURCES = dict(Source.choices) | dict(Member.Source.choices)


@register.filter
def source_label(code: str) -> str:
    return _SOURCES.get(code, code)
