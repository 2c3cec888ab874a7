"""Shared fixtures: the clock, the network guard, the race-test helper and the personas."""

import os
import weakref

import pytest
import time_machine
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import override_settings

from tests.factories import *  # noqa: F403  (factories are fixtures' building blocks)
from tests.personas import *  # noqa: F403

_deselection_warnings = pytest.StashKey[list[str]]()


def _deselect(config, items, marker: str, warning: str) -> None:
    chosen = [item for item in items if item.get_closest_marker(marker)]
    if not chosen:
        return
    config.hook.pytest_deselected(items=chosen)
    items[:] = [item for item in items if not item.get_closest_marker(marker)]
    message = f"WARNING: {len(chosen)} {warning}"
    config.stash.setdefault(_deselection_warnings, []).append(message)
    print(f"\n{message}")


def pytest_configure(config):
    """CLUBCYCLE_TESTS_NOW=2027-02-10T09:00:00Z runs the suite as if on that day (the clock
    still ticks). A test whose result depends on the day it runs fails under it, where it
    would otherwise fail only on some future day; `frozen_clock` still pins its own instant."""
    when = os.environ.get("CLUBCYCLE_TESTS_NOW")
    if when:
        time_machine.travel(when, tick=True).start()


def _pin_the_clock_first(item) -> None:
    """A test that asks for `frozen_clock` gets it before the fixtures it names itself (after
    the autouse ones, which may set a clock of their own for it to override), so personas'
    dates ("started ten days ago") count from the pinned day and not from the day the suite
    runs, whatever order the test's arguments name them in."""
    names = getattr(item, "fixturenames", None)
    if not names or "frozen_clock" not in names:
        return
    asked = [name for name in item._fixtureinfo.argnames if name != "frozen_clock"]
    if not asked:
        return
    names.remove("frozen_clock")
    names.insert(min(names.index(name) for name in asked), "frozen_clock")


def pytest_collection_modifyitems(config, items):
    """Race tests need real PostgreSQL transactions, and `postgres` tests PostgreSQL itself;
    on the SQLite fallback they cannot run (CI=true refuses to run without PostgreSQL).
    Redis tests need REDIS_URL; without it they are deselected, loudly, except under CI=true,
    where they run and fail (the `redis_url` fixture says why)."""
    from django.conf import settings

    for item in items:
        _restore_migrated_data_after(item)
        _pin_the_clock_first(item)
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        _deselect(config, items, "race", "race tests deselected: they need PostgreSQL.")
        _deselect(config, items, "postgres", "PostgreSQL tests deselected: they need it.")
    if not os.environ.get("REDIS_URL") and os.environ.get("CI") != "true":
        _deselect(config, items, "redis", "Redis tests deselected: set REDIS_URL to run them.")


def _restore_migrated_data_after(item) -> None:
    """A transactional test (races, the live server) empties every table when it ends,
    taking the role groups and the site's home page that migrations created with it.
    Serialized rollback puts them back, so the tests after it still find them."""
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or "live_server" in getattr(item, "fixturenames", ()):
        item.add_marker(
            pytest.mark.django_db(transaction=True, serialized_rollback=True), append=False
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Repeated at the end, where nobody can miss that part of the suite did not run.
    for message in config.stash.get(_deselection_warnings, []):
        terminalreporter.write_line(message, yellow=True, bold=True)


# Every connection this process opens, in whichever context: Playwright's sync API runs the
# browser tests in a greenlet with a context of its own, where Django's `connections` hands
# out other connection objects than the main context's (tests/e2e/conftest.py).
_opened_connections: weakref.WeakSet = weakref.WeakSet()


@receiver(connection_created, dispatch_uid="tests.remember_connection")
def _remember_connection(sender, connection, **kwargs):
    _opened_connections.add(connection)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's, and at the end every connection closed before the test databases are
    dropped: one left open in the browser tests' context made the drop fail ("being accessed
    by other users") and left the database behind."""
    yield
    for wrapper in list(_opened_connections):
        if wrapper.connection is not None:
            # The raw connection: the wrapper may belong to a context no longer current.
            wrapper.connection.close()


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """MD5 in tests: a real hasher costs ~0.2 s per staff user created."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def uploads_in_a_temporary_folder(tmp_path_factory):
    """Files saved by tests (photos, documents) never land in the checkout's var/."""
    root = tmp_path_factory.mktemp("uploads")
    with override_settings(MEDIA_ROOT=root / "media", MEMBER_PHOTOS_ROOT=root / "member_photos"):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rate-limit counters must not leak between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def twilio():
    """The real SMS, email and staff-task channels, SMS talking to a local fake Twilio."""
    from campaigns import channels
    from tests.fake_twilio import FakeTwilio

    with FakeTwilio() as fake:
        channels.reset()
        with override_settings(
            TWILIO_ACCOUNT_SID="ACtest",
            TWILIO_AUTH_TOKEN="test-token",
            TWILIO_API_BASE=fake.url,
            CAMPAIGN_CHANNELS={
                "sms": "campaigns.channels.twilio_sms.TwilioSMS",
                "email": "campaigns.channels.email.EmailChannel",
                "task": "campaigns.channels.staff_task.StaffTask",
            },
        ):
            yield fake
        channels.reset()


@pytest.fixture
def eager_tasks():
    """Tasks that a task queues (the dispatcher after a launch, its send tasks) run here, at
    once, rather than on a broker."""
    from club.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def frozen_clock():
    """Freeze club.clock at a known instant; move it with frozen_clock.move_to(...)."""
    with time_machine.travel("2026-11-23 17:00:00+00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def postgres(db):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)"


@pytest.fixture
def redis_url() -> str:
    """The Redis server for integration tests (the Makefile sets REDIS_URL when it answers)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("REDIS_URL is not set, and CI=true requires the Redis tests to run.")
    return url
