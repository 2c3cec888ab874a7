from celery import shared_task

from campaigns import lifecycle
from club.models import Club


@shared_task
def refresh_stages_task() -> int:
    """Recompute every member's lifecycle stage.

    Safe to run twice: stages are a function of the data and the clock, and only
    members whose stage differs are written.
    """
    return sum(lifecycle.refresh_stages(club) for club in Club.objects.all())
