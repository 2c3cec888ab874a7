"""Celery entry points of the lifecycle engine: thin wrappers around plain functions.

Every task is safe to run twice. Nothing is scheduled with a countdown: due times live in
the outbox rows, and beat sweeps them (club/celery.py).
"""

from celery import shared_task

from campaigns import dispatcher, evaluator, lifecycle
from club.models import Club

# Claims per dispatch run; the rest waits for the next minute (keeps one run short).
MAX_BATCHES_PER_RUN = 50


@shared_task
def refresh_stages_task() -> int:
    """Recompute every member's lifecycle stage.

    Safe to run twice: stages are a function of the data and the clock, and only
    members whose stage differs are written.
    """
    return sum(lifecycle.refresh_stages(club) for club in Club.objects.all())


@shared_task
def evaluate_task() -> int:
    """Insert the touchpoints every active rule asks for (the unique key ignores repeats)."""
    return evaluator.evaluate()


@shared_task
def dispatch_task() -> int:
    """Hand due touchpoints to send tasks: stranded ones first, then fresh claims."""
    queued = 0
    for pk in dispatcher.stranded():
        send_touchpoint_task.delay(pk)
        queued += 1
    for _ in range(MAX_BATCHES_PER_RUN):
        claimed = dispatcher.claim()
        if not claimed:
            break
        for pk in claimed:
            send_touchpoint_task.delay(pk)
        queued += len(claimed)
    return queued


@shared_task
def send_touchpoint_task(pk: int) -> str | None:
    return dispatcher.send(pk)
