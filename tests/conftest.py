"""Shared fixtures: the clock, the network guard, the race-test helper and the personas."""

import pytest
import time_machine
from django.db import connection

from tests.factories import *  # noqa: F403  (factories are fixtures' building blocks)
from tests.personas import *  # noqa: F403


def pytest_collection_modifyitems(config, items):
    """Race tests need real PostgreSQL transactions; on the SQLite fallback they cannot run."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    races = [item for item in items if item.get_closest_marker("race")]
    if races:
        config.hook.pytest_deselected(items=races)
        items[:] = [item for item in items if not item.get_closest_marker("race")]
        print(f"\nWARNING: {len(races)} race tests deselected: they need PostgreSQL.")


@pytest.fixture
def frozen_clock():
    """Freeze club.clock at a known instant; move it with frozen_clock.move_to(...)."""
    with time_machine.travel("2026-11-23 17:00:00+00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def postgres(db):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL)"
