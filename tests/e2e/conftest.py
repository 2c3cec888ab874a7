"""End-to-end tests: Debian's Chromium driven by Playwright against pytest-django's live server.

`make test` installs the chromium package when it is missing (`playwright install` cannot
download browsers here). Screenshots land in artifacts/e2e/ for people to look at.
"""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (setting up data, checking results) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"No Chromium at {CHROMIUM}: `make test` installs Debian's chromium package.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(page, live_server):
    def as_staff(user, password: str) -> None:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    return as_staff


@pytest.fixture(scope="session", autouse=True)
def serialized_contents_on_every_connection(django_db_setup):
    """Playwright's sync API runs tests in a greenlet with its own context, where Django hands
    out a new connection object without the snapshot that serialized rollback restores."""
    from django.db import connections

    connection = connections["default"]
    if hasattr(connection, "_test_serialized_contents"):
        type(connection)._test_serialized_contents = connection._test_serialized_contents


# Django's threaded live server names each request's thread after this target.
REQUEST_THREAD = "(process_request_thread)"
REQUEST_GRACE_SECONDS = 15


@pytest.fixture(autouse=True)
def live_server_finishes_its_requests(request):
    """Let the live server answer what the browser last asked before the database is emptied.

    Closing the page abandons requests in flight (an htmx search, a poll, an image), but the
    server's thread goes on running them. Emptying the tables meanwhile (TRUNCATE) can deadlock
    with such a request, leaving the next test with the last one's rows. This fixture is set up
    after the database fixture and before `page`, so its teardown runs after the page is closed
    and before the tables are emptied."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    deadline = time.monotonic() + REQUEST_GRACE_SECONDS
    for thread in threading.enumerate():
        if thread.name.endswith(REQUEST_THREAD):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    still_running = [t.name for t in threading.enumerate() if t.name.endswith(REQUEST_THREAD)]
    if still_running:
        pytest.fail(
            f"The live server was still answering requests {REQUEST_GRACE_SECONDS} s "
            f"after the page closed: {still_running}"
        )
