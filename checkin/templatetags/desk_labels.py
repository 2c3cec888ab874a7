"""Small display filters of the desk's member card."""

import datetime as dt

from django import template

from club.display import date_range
from memberships.models import Membership

register = template.Library()


@register.filter
def membership_state(membership: Membership, day: dt.date) -> str:
    """{{ m|membership_state:today }}: Ended, Upcoming or the stored status (state_on)."""
    return membership.state_on(day)


@register.simple_tag
def dates(start: dt.date, end: dt.date, today: dt.date) -> str:
    """{% dates f.start f.end today %}: the years shown when either date is not this year's."""
    return date_range(start, end, today=today)
