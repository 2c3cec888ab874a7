from celery import shared_task

from club import background


@shared_task
def heartbeat_task() -> None:
    """Say that beat and a worker are running (club/background.py). Safe to run twice: it
    only moves a timestamp."""
    background.beat()
