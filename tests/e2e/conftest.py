"""End-to-end tests: Debian's Chromium driven by Playwright against pytest-django's live server.

`make test` installs the chromium package when it is missing (`playwright install` cannot
download browsers here). Screenshots land in artifacts/e2e/ for people to look at.
"""

import os
import shutil
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
