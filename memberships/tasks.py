from celery import shared_task

from club.models import Club
from memberships import statuses


@shared_task
def refresh_member_statuses_task() -> int:
    """Bring every member's status in line with their memberships.

    Safe to run twice: it recomputes from the data and writes only what differs.
    """
    return sum(statuses.refresh_member_statuses(club) for club in Club.objects.all())
