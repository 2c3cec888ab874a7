"""Run one callable from many threads at the same instant, for race tests on PostgreSQL.

Each thread opens its own database connection before the barrier, so the calls
collide in the database rather than queue up on connection set-up, and closes it at
the end so the test database can be flushed and dropped. Use with
`@pytest.mark.race` and `@pytest.mark.django_db(transaction=True)`: the data the
threads read must be committed, and what they commit is what the test checks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from celery._state import _set_task_join_will_block, task_join_will_block
from django.db import connection, transaction

__all__ = ["RaceOutcome", "run_concurrently", "run_overlapping"]


@contextmanager
def _celery_join_flag_kept() -> Iterator[None]:
    """Celery's eager `Task.apply()` sets a process-wide "inside a task" flag and puts back
    what it found on the way out. Two threads applying tasks at once put it back out of order
    and can leave it set, after which any later `.get()` in the test run raises "Never call
    result.get() within a task!"."""
    before = task_join_will_block()
    try:
        yield
    finally:
        _set_task_join_will_block(before)


@dataclass
class RaceOutcome:
    """What each thread returned or raised, in thread order."""

    results: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def errors_of(self, kind: type[BaseException]) -> list[BaseException]:
        return [error for error in self.errors if isinstance(error, kind)]


def run_concurrently(fn: Callable[[], Any], *, threads: int, timeout: float = 30.0) -> RaceOutcome:
    """Call `fn()` once from each of `threads` threads released together by a barrier."""
    barrier = threading.Barrier(threads, timeout=timeout)
    results: list[tuple[int, Any]] = []
    errors: list[tuple[int, BaseException]] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()
        except BaseException as error:
            # Release the others rather than leave them waiting for the timeout.
            barrier.abort()
            with lock:
                errors.append((index, error))
            return
        try:
            barrier.wait()
            result = fn()
        except BaseException as error:
            with lock:
                errors.append((index, error))
        else:
            with lock:
                results.append((index, result))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,), name=f"race-{i}") for i in range(threads)]
    with _celery_join_flag_kept():
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout)
    stuck = [thread.name for thread in workers if thread.is_alive()]
    if stuck:
        raise TimeoutError(f"Race threads still running after {timeout}s: {stuck}")
    return RaceOutcome(
        results=[result for _, result in sorted(results, key=lambda pair: pair[0])],
        errors=[error for _, error in sorted(errors, key=lambda pair: pair[0])],
    )


def run_overlapping(
    first: Callable[[], Any], second: Callable[[], Any], *, timeout: float = 30.0
) -> RaceOutcome:
    """Call `first()` in a transaction kept open until `second()`, called from another
    thread once `first()` has returned, waits for a lock or is done; then commit `first`'s.

    So `second` lands in the middle of `first` every time, not only when the threads happen
    to collide: what `first` locked, `second` has to wait for, and what it did not lock,
    `second` reads as it was before `first`.
    """
    first_returned = threading.Event()
    second_finished = threading.Event()
    results: list[tuple[int, Any]] = []
    errors: list[tuple[int, BaseException]] = []
    lock = threading.Lock()

    def run_first() -> None:
        try:
            with transaction.atomic():
                try:
                    result = first()
                finally:
                    first_returned.set()
                deadline = time.monotonic() + timeout
                while not second_finished.is_set() and not _a_backend_waits_for_a_lock():
                    if time.monotonic() > deadline:
                        raise TimeoutError("The second call neither finished nor waited.")
                    time.sleep(0.01)
        except BaseException as error:
            with lock:
                errors.append((0, error))
        else:
            with lock:
                results.append((0, result))
        finally:
            connection.close()

    def run_second() -> None:
        try:
            if not first_returned.wait(timeout):
                raise TimeoutError("The first call did not return.")
            result = second()
        except BaseException as error:
            with lock:
                errors.append((1, error))
        else:
            with lock:
                results.append((1, result))
        finally:
            second_finished.set()
            connection.close()

    workers = [
        threading.Thread(target=run_first, name="race-first"),
        threading.Thread(target=run_second, name="race-second"),
    ]
    with _celery_join_flag_kept():
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout * 2)
    stuck = [thread.name for thread in workers if thread.is_alive()]
    if stuck:
        raise TimeoutError(f"Race threads still running: {stuck}")
    return RaceOutcome(
        results=[result for _, result in sorted(results, key=lambda pair: pair[0])],
        errors=[error for _, error in sorted(errors, key=lambda pair: pair[0])],
    )


def _a_backend_waits_for_a_lock() -> bool:
    # Another connection to this test database blocked on a row or transaction lock.
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views are a snapshot: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock')"
        )
        return cursor.fetchone()[0]
