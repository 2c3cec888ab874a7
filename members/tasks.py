from celery import shared_task

from members import staff_tasks


@shared_task
def escalate_late_tasks_task() -> int:
    """Tell managers about late tasks marked to escalate. Safe to run twice, or two at once:
    each task is claimed before its email goes (staff_tasks.escalate_late_tasks)."""
    return staff_tasks.escalate_late_tasks()
