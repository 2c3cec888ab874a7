"""Run one callable from many threads at the same instant, for race tests on PostgreSQL.

Each thread opens its own database connection before the barrier, so the calls
collide in the database rather than queue up on connection set-up, and closes it at
the end so the test database can be flushed and dropped. Use with
`@pytest.mark.race` and `@pytest.mark.django_db(transaction=True)`: the data the
threads read must be committed, and what they commit is what the test checks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

__all__ = ["RaceOutcome", "run_concurrently"]


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
