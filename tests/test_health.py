"""Health checks for whoever runs the server, and the home page's warning when background
work has stopped."""

import datetime as dt

import pytest
from django.urls import reverse

from club import background
from club.tasks import heartbeat_task


def test_the_web_check_says_database_and_cache_answer(client, db):
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_web_check_fails_when_the_cache_does_not_answer(client, db, settings):
    # given a cache server nobody listens on
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "cache": "unreachable"}


def test_the_checks_take_get_only(client, db):
    assert client.post(reverse("health")).status_code == 405


def test_background_work_that_never_ran_is_failing(client, db, frozen_clock):
    response = client.get(reverse("health-background"))

    assert response.status_code == 503
    assert response.json() == {"status": "failing", "worker": "stopped", "last_run": None}


def test_background_work_that_ran_a_minute_ago_is_ok(client, db, frozen_clock):
    heartbeat_task.apply().get()
    frozen_clock.shift(dt.timedelta(minutes=1))

    response = client.get(reverse("health-background"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "worker": "ok",
        "last_run": "2026-11-23T17:00:00+00:00",
    }


def test_background_work_silent_for_more_than_five_minutes_has_stopped(client, db, frozen_clock):
    heartbeat_task.apply().get()
    heartbeat_task.apply().get()  # twice is the same as once
    frozen_clock.shift(dt.timedelta(minutes=5, seconds=1))

    response = client.get(reverse("health-background"))

    assert response.status_code == 503
    assert response.json()["worker"] == "stopped"
    assert response.json()["last_run"] == "2026-11-23T17:00:00+00:00"


@pytest.mark.parametrize("persona", ["max", "mia"])
def test_managers_and_marketing_are_told_on_the_home_page(
    client, db, frozen_clock, request, persona
):
    client.force_login(request.getfixturevalue(persona))
    background.beat()
    frozen_clock.shift(dt.timedelta(minutes=42))

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Messages are not going out" in html
    assert "The background worker last ran 42\xa0minutes ago." in html


def test_the_warning_goes_once_the_worker_runs(client, frozen_clock, max):
    client.force_login(max)
    background.beat()

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Messages are not going out" not in html


def test_the_front_desk_is_not_told(client, frozen_clock, fiona):
    client.force_login(fiona)

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Messages are not going out" not in html
