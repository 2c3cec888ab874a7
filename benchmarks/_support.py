"""What the benchmarks share: a bench database, a real gunicorn, a load generator, percentiles.

Nothing here is imported by the application; a benchmark imports it before Django is set up.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import itertools
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


def log(message: str) -> None:
    """Progress for the human watching; stdout is kept for the one JSON line."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- the bench database ----------------------------------------------------------------


def postgres_url_or_exit(benchmark: str) -> str:
    """DATABASE_URL when it names a PostgreSQL server; otherwise say why and exit 2."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in POSTGRES_SCHEMES:
        print(
            f"benchmarks.{benchmark} measures PostgreSQL: set DATABASE_URL to a PostgreSQL "
            "server, e.g. postgres://postgres@127.0.0.1:5432/clubcycle (SQLite is not measured).",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return url


def database_url(url: str, name: str) -> str:
    """The URL of database `name` on the server `url` points at."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# What the demo generator's output depends on: its own package, the renewal-timing rule it
# shares with the engine (which memberships get rule 14's offer) and the member statuses'.
GENERATOR_SOURCES = ("cms/demo/*.py", "memberships/renewal_timing.py", "memberships/statuses.py")


def generator_digest() -> str:
    """SHA-256 of the demo generator's sources: a bench database seeded by another version
    holds other data and is rebuilt."""
    digest = hashlib.sha256()
    for pattern in GENERATOR_SOURCES:
        for path in sorted(BASE_DIR.glob(pattern)):
            name = path.relative_to(BASE_DIR).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def production_like_environment(
    db_url: str, settings_module: str = "club.settings"
) -> dict[str, str]:
    """Environment for the app under test: DEBUG off, a random key, persistent connections."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": db_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on loopback: HSTS headers would only be noise.
        "SECURE_HSTS_SECONDS": "0",
        # collectstatic has not run; WhiteNoise would warn about it in every worker.
        "PYTHONWARNINGS": "ignore:No directory at",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    }


# --- gunicorn --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    *,
    env: dict[str, str],
    workers: int,
    worker_class: str = "sync",
    threads: int = 1,
    ready_path: str = "/",
    wsgi: str = "club.wsgi:application",
    start_timeout: float = 60,
) -> Iterator[int]:
    """Serve the app with gunicorn on a free loopback port; yield the port; always stop it."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        wsgi,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "256",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(BASE_DIR),
    ]
    process = subprocess.Popen(command, env=env, cwd=BASE_DIR, start_new_session=True)
    try:
        _wait_until_serving(process, port, ready_path, start_timeout)
        yield port
    finally:
        _stop(process)


def _wait_until_serving(process: subprocess.Popen, port: int, path: str, timeout: float) -> None:
    """Poll until `path` answers; stop at once if it answers 5xx (the app is broken, and
    polling on would only repeat its traceback)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} at start-up")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path)
            status = conn.getresponse().status
        except OSError:
            status = None
        finally:
            conn.close()
        if status is not None and status < 500:
            return
        if status is not None:
            raise RuntimeError(f"the app answered {status} to GET {path} (traceback above)")
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port}{path} in {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """TERM the gunicorn master (graceful), KILL its process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Phase:
    """What one burst of requests measured: per-request latency, status and body, in order."""

    name: str
    latencies: list[float]
    statuses: list[int]
    bodies: list[bytes]
    seconds: float

    @property
    def count(self) -> int:
        return sum(1 for status in self.statuses if status)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        return percentile([value for value in self.latencies if value >= 0], p) * 1000


def run_phase(
    name: str,
    port: int,
    requests: Sequence[Request],
    *,
    concurrency: int,
    time_limit: float = 120,
) -> Phase:
    """Send `requests` from `concurrency` threads, each on its own keep-alive connection.

    A closed loop: each thread sends its next request when the previous answer is read.
    Requests not started within `time_limit` seconds are skipped (status 0).
    """
    total = len(requests)
    latencies = [-1.0] * total
    statuses = [0] * total
    bodies = [b""] * total
    counter = itertools.count()
    lock = threading.Lock()
    start_line = threading.Barrier(concurrency + 1)
    errors: list[BaseException] = []
    deadline = [math.inf]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            start_line.wait()
            while True:
                with lock:
                    index = next(counter)
                if index >= total or time.monotonic() > deadline[0]:
                    return
                request = requests[index]
                started = time.perf_counter()
                conn.request(request.method, request.path, request.body, request.headers)
                response = conn.getresponse()
                body = response.read()
                latencies[index] = time.perf_counter() - started
                statuses[index] = response.status
                bodies[index] = body
        except BaseException as error:  # reported after the phase; never hide a failure
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + time_limit
    started = time.perf_counter()
    start_line.wait()
    for thread in threads:
        thread.join(time_limit + 60)
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{name}: {len(errors)} client errors, first: {errors[0]!r}")
    return Phase(name, latencies, statuses, bodies, seconds)


# --- statistics ------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def timed(function: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started
