"""Is background work running?

Everything a club notices only by its absence — lifecycle messages, late-call escalations,
class sessions — runs from Celery beat on a worker. If either stops, nothing says so: the
outbox simply stops moving. So beat schedules `heartbeat_task` every minute, a worker runs
it, and the row it writes tells the health check (for monitoring) and the back-office home
page (for managers and marketing) whether that is still happening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from club import clock
from club.models import Heartbeat

WORKER = "worker"
# Beat sends one a minute; a worker busy with a long batch may take a few to get to it.
STALE_AFTER = dt.timedelta(minutes=5)


def beat(name: str = WORKER) -> None:
    """Record that `name` ran now (one upsert: two workers at once are fine)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=clock.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )


@dataclass(frozen=True)
class Status:
    last_run: dt.datetime | None

    @property
    def running(self) -> bool:
        return self.last_run is not None and clock.now() - self.last_run <= STALE_AFTER


def status(name: str = WORKER) -> Status:
    return Status(Heartbeat.objects.filter(name=name).values_list("at", flat=True).first())
