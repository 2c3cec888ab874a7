"""Celery entry points of the lifecycle engine: thin wrappers around plain functions.

Every task is safe to run twice. Nothing is scheduled with a countdown: due times live in
the outbox rows, and beat sweeps them (club/celery.py).
"""

from celery import shared_task

from campaigns import call_tasks, delivery, dispatcher, evaluator, launches, lifecycle, rules
from club.models import Club

# Claims per dispatch run; the rest waits for the next minute (keeps one run short).
MAX_BATCHES_PER_RUN = 50
# Touchpoints per send task: enough to spread a task's overhead (a broker round trip, a
# database connection — Celery closes it after every task), few enough that one claim
# keeps several worker processes busy.
SEND_BATCH = 25


@shared_task
def refresh_stages_task() -> int:
    """Recompute every member's lifecycle stage.

    Safe to run twice: stages are a function of the data and the clock, and only
    members whose stage differs are written.
    """
    return sum(lifecycle.refresh_stages(club) for club in Club.objects.all())


@shared_task
def cancel_moot_call_tasks_task() -> int:
    """Cancel call tasks a rule opened whose reason is gone (the member came back)."""
    return call_tasks.cancel_moot_call_tasks()


@shared_task
def escalate_late_tasks_task() -> int:
    """Tell managers about late tasks marked to escalate, once their reason is checked. Safe
    to run twice, or two at once: each task is claimed before its email goes."""
    return call_tasks.escalate_late_tasks()


@shared_task
def evaluate_task() -> int:
    """Insert the touchpoints every active rule asks for (the unique key ignores repeats)."""
    return evaluator.evaluate()


@shared_task
def evaluate_prompt_task() -> int:
    """Insert the touchpoints of the prompt rules (a denial at the door, a seat from the
    waitlist, a new lead) within seconds, and send what is due at once.

    Safe to run twice, or beside evaluate_task: the unique key ignores repeats.
    """
    created = evaluator.evaluate(prompt_only=True)
    if created:
        dispatch_task.delay()
    return created


@shared_task
def launch_campaigns_task() -> int:
    """Put the members of the campaigns (runs of repeating ones) whose send time has come in
    the outbox, and send them at once (beat's dispatch in the same minute may have run first).

    Safe to run twice: a launch locks its campaign, writes only the run it is due for and
    moves on to the next in the same transaction, and the unique (campaign, member, run) key
    refuses a second row.
    """
    written = launches.launch_due()
    if written:
        dispatch_task.delay()
    return written


@shared_task
def dispatch_task() -> int:
    """Hand due touchpoints to send tasks, SEND_BATCH at a time: stranded ones first, then
    fresh claims; first apply status callbacks that came before their sids were recorded.

    Safe to run twice: a claim locks its rows and commits them `sending`, and a stranded row
    handed out twice is sent by whichever send task stamps it first.
    """
    # Status callbacks kept for sids recorded by a worker that died before it applied them.
    delivery.apply_early_statuses()
    # A rule changed outside the editor: its plans are withdrawn before anything is claimed.
    rules.withdraw_changed()
    queued = 0
    for pks in _batches(dispatcher.stranded()):
        send_touchpoints_task.delay(pks)
        queued += len(pks)
    for _ in range(MAX_BATCHES_PER_RUN):
        claimed = dispatcher.claim()
        if not claimed:
            break
        for pks in _batches(claimed):
            send_touchpoints_task.delay(pks)
        queued += len(claimed)
    return queued


def _batches(pks: list[int]) -> list[list[int]]:
    return [pks[i : i + SEND_BATCH] for i in range(0, len(pks), SEND_BATCH)]


@shared_task
def send_touchpoints_task(pks: list[int]) -> dict[str, int]:
    """Send claimed touchpoints one by one; count their new statuses.

    Safe to run twice: each row is stamped (compare-and-set) before its provider call, so
    a second run skips it, or — once the lease ran out — asks the provider before resending.
    """
    return dict(dispatcher.send_many(pks))


@shared_task
def send_touchpoint_task(pk: int) -> str | None:
    """One claimed touchpoint (what earlier releases queued; still consumed after an upgrade).

    Safe to run twice, like send_touchpoints_task.
    """
    return dispatcher.send(pk)
