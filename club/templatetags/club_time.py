"""Times on the clock of the club they belong to (club.time_zones.on_club_clock)."""

from django import template

from club.time_zones import on_club_clock

register = template.Library()


@register.simple_tag
def club_time(moment, club, format="DATETIME_FORMAT", label=True) -> str:
    """`{% club_time session.start session.club "H:i" %}`: "18:30", or "18:30 Lisbon" on a
    page that runs on another clock. `label=False` for the start of a range whose end says it.
    Outside a `{% timezone %}` block: the label is measured against the page's zone."""
    return on_club_clock(moment, club, format, label=label)
