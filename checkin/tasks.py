from celery import shared_task

from checkin import schedule
from club.models import Club


@shared_task
def generate_sessions_task() -> int:
    """Generate every club's class sessions for the coming weeks from its timetable.

    Safe to run twice: a session is unique per slot and day (template, occurs_on), so a
    second run finds them all there and creates nothing.
    """
    return sum(schedule.generate_sessions(club) for club in Club.objects.all())
