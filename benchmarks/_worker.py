"""A Celery worker subprocess for the benchmarks, and the no-op task of their floor.

The worker runs the project's app (`celery -A club worker`) and also imports this module
(`--include benchmarks._worker`), which registers `benchmarks.noop`: a task that does
nothing but count itself in Redis, so the benchmark knows when the last one has run.
Nothing in the application imports this module.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from celery import shared_task

BASE_DIR = Path(__file__).resolve().parent.parent
NOOP_TASK = "benchmarks.noop"


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


@shared_task(name=NOOP_TASK)
def noop(redis_url: str, counter: str) -> None:
    _redis(redis_url).incr(counter)


@contextlib.contextmanager
def celery_worker(
    app, *, env: dict[str, str], log_path: Path, concurrency: int = 2, start_timeout: float = 60
) -> Iterator[subprocess.Popen]:
    """`celery -A club worker --pool=prefork` in a process group of its own, consuming the
    default queue of the broker in env["CELERY_BROKER_URL"]; yields once it answers a ping
    sent through `app` (a Celery app on the same broker), and always stops it (TERM, then
    KILL of the whole group). It logs at WARNING, as a production worker would."""
    command = [
        sys.executable, "-m", "celery", "-A", "club", "worker",
        "--include", "benchmarks._worker",
        "--pool=prefork", f"--concurrency={concurrency}",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--loglevel=WARNING",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + start_timeout
            while not app.control.ping(timeout=0.5):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the Celery worker did not start:\n{tail}")
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
