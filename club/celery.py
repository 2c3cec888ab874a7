"""The Celery app and the whole beat schedule, in one place.

Work that must happen later is a row with a due time swept by one of these
periodic tasks, never a task with a long countdown (Redis redelivers those).
"""

import os

from celery import Celery, signals
from celery.schedules import crontab
from django import db

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "club.settings")

app = Celery("clubcycle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(task=None, **kwargs) -> None:
    """Database connections in a worker live by the rules of a web request: kept for
    CONN_MAX_AGE, dropped once unusable (after an error, say). Celery's own default opens a
    new connection for every task; CELERY_DB_REUSE_MAX in settings turns that off.
    Tasks run eagerly (tests, the demo without a broker) keep the caller's connection."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    db.close_old_connections()


@signals.worker_init.connect
def load_urlconf(**kwargs) -> None:
    """Import the URLconf in the worker's main process, before the pool forks its children:
    sending an SMS reverses the status-callback URL, and each child would otherwise import
    the whole URLconf (Wagtail's admin with it) on its first send."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)


PROMPT_EVERY_SECONDS = 15.0

app.conf.beat_schedule = {
    # Lead / trial / member / former on every member record, from memberships.
    "refresh-member-statuses": {
        "task": "memberships.tasks.refresh_member_statuses_task",
        "schedule": crontab(minute="*/15"),
    },
    # Memberships with auto-renew on that ended: renewed, unpaid until paid at the desk.
    # Before the stages and the rules, so a renewed member is neither lapsed nor won back.
    "auto-renew-memberships": {
        "task": "memberships.tasks.auto_renew_task",
        "schedule": crontab(minute=7),  # hourly
    },
    # The lifecycle engine: stages, then the outbox filled from the rules, then sent.
    "refresh-lifecycle-stages": {
        "task": "campaigns.tasks.refresh_stages_task",
        "schedule": crontab(minute="*/15"),
    },
    "evaluate-lifecycle-rules": {
        "task": "campaigns.tasks.evaluate_task",
        "schedule": crontab(minute="*/5"),
    },
    # The rules someone waits on (a member at the door, a class about to start, a lead to
    # call), within seconds. A run still queued when the next is due is dropped.
    "evaluate-prompt-rules": {
        "task": "campaigns.tasks.evaluate_prompt_task",
        "schedule": PROMPT_EVERY_SECONDS,
        "options": {"expires": PROMPT_EVERY_SECONDS},
    },
    # Segment campaigns whose send time has come: their members into the outbox.
    "launch-campaigns": {
        "task": "campaigns.tasks.launch_campaigns_task",
        "schedule": crontab(),  # every minute
    },
    "dispatch-touchpoints": {
        "task": "campaigns.tasks.dispatch_task",
        "schedule": crontab(),  # every minute
    },
    # Call tasks a rule opened whose reason is gone (the member came back before the call).
    "cancel-moot-call-tasks": {
        "task": "campaigns.tasks.cancel_moot_call_tasks_task",
        "schedule": crontab(minute="*/5"),
    },
    # Late call tasks (a new lead not called within 15 minutes) told to the managers, unless
    # their reason has gone (the lead joined meanwhile).
    "escalate-late-tasks": {
        "task": "campaigns.tasks.escalate_late_tasks_task",
        "schedule": crontab(),  # every minute
    },
    # Stripe events whose processing was lost or failed, tried again.
    "retry-stripe-events": {
        "task": "memberships.tasks.retry_stripe_events_task",
        "schedule": crontab(minute="*/5"),
    },
    # Proof that beat and a worker run, for the health check and the managers' home page.
    "heartbeat": {
        "task": "club.tasks.heartbeat_task",
        "schedule": crontab(),  # every minute
        "options": {"expires": 60},
    },
    # Class sessions four weeks ahead from each club's timetable.
    "generate-class-sessions": {
        "task": "checkin.tasks.generate_sessions_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
