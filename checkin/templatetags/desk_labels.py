"""Words for the codes the timeline stores: "walk_in" reads "Walk-in" on the member card."""

import datetime as dt

from django import template

from checkin.models import Source
from club.display import date_range
from members.models import Member
from memberships.models import Membership

register = template.Library()

# A timeline event's `source` is where a visit came from, or where a lead came from.
_SOURCES = dict(Source.choices) | dict(Member.Source.choices)


@register.filter
def source_label(code: str) -> str:
    return _SOURCES.get(code, code)


@register.filter
def membership_state(membership: Membership, day: dt.date) -> str:
    """{{ m|membership_state:today }}: Ended, Upcoming or the stored status (state_on)."""
    return membership.state_on(day)


@register.simple_tag
def dates(start: dt.date, end: dt.date, today: dt.date) -> str:
    """{% dates f.start f.end today %}: the years shown when either date is not this year's."""
    return date_range(start, end, today=today)
