"""The Celery app: the beat schedule points at real tasks, and tasks run in a real worker."""

import datetime as dt
import importlib
import logging
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.db import connection

from club import clock
from club.celery import app, close_old_connections
from members.models import Member
from memberships.tasks import refresh_member_statuses_task
from tests.factories import MemberFactory, MembershipFactory

# The worker's broker: the server in REDIS_URL, on a database of its own, and a queue
# name of its own per run, so it never takes a message meant for a developer's worker.
TEST_REDIS_DB = 15


def scheduled_tasks() -> dict[str, str]:
    return {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}


def test_the_beat_schedule_names_only_registered_tasks():
    # given the beat schedule and every task autodiscovery finds
    app.loader.import_default_modules()
    registered = set(app.tasks)

    # when each scheduled task name is looked up
    unknown = {entry: task for entry, task in scheduled_tasks().items() if task not in registered}

    # then there is a schedule, and every task in it exists
    assert scheduled_tasks(), "the beat schedule is empty"
    assert unknown == {}


def test_every_scheduled_task_is_importable_by_its_name():
    # given the beat schedule
    for entry, task_name in scheduled_tasks().items():
        # when the task is imported by the dotted name beat will send
        module_name, _, attribute = task_name.rpartition(".")
        task = getattr(importlib.import_module(module_name), attribute)

        # then it is that task
        assert task.name == task_name, entry


def redis_test_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{TEST_REDIS_DB}"))


@pytest.fixture
def worker_app(redis_url):
    """An app configured like club.celery's, on Redis, with a queue of its own."""
    url = redis_test_url(redis_url)
    queue = f"clubcycle-test-{uuid.uuid4().hex}"
    test_app = Celery("clubcycle-test", set_as_current=False)
    test_app.config_from_object("django.conf:settings", namespace="CELERY")
    test_app.conf.update(
        broker_url=url,
        broker_transport_options={},
        result_backend=url,
        task_always_eager=False,
        task_default_queue=queue,
        worker_enable_remote_control=False,
        worker_hijack_root_logger=False,
    )
    test_app.autodiscover_tasks()
    root = logging.getLogger()
    root_level = root.level
    yield test_app
    # start_worker makes its app the current and default one, and sets the root log level.
    app.set_current()
    app.set_default()
    root.setLevel(root_level)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{queue}*"):
        client.delete(key)
    client.close()
    test_app.close()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_refresh_member_statuses_runs_in_a_worker_on_redis(worker_app):
    # given a committed lead who bought a month that is in force today
    member = MemberFactory(status=Member.Status.LEAD)
    MembershipFactory(member=member, start=clock.today(member.home_club) - dt.timedelta(days=2))

    # when the task is sent through Redis to a real worker
    with start_worker(worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        result = worker_app.tasks[refresh_member_statuses_task.name].delay()
        changed = result.get(timeout=30)
        result.forget()

    # then the worker saw the committed data and made them a member
    assert changed == 1
    member.refresh_from_db()
    assert member.status == Member.Status.MEMBER


def a_task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


@pytest.fixture
def conn_max_age():
    """Set the connection's CONN_MAX_AGE and reconnect, as a worker starting up would."""
    original = connection.settings_dict["CONN_MAX_AGE"]

    def reconnect(seconds: int):
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = seconds
        connection.ensure_connection()
        return connection.connection

    yield reconnect
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = original


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_across_tasks_while_conn_max_age_allows(
    conn_max_age,
):
    opened = conn_max_age(60)

    close_old_connections(task=a_task(eager=False))

    assert connection.connection is opened


@pytest.mark.django_db(transaction=True)
def test_a_worker_drops_its_connection_after_a_task_when_conn_max_age_is_zero(conn_max_age):
    conn_max_age(0)

    close_old_connections(task=a_task(eager=False))

    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_an_eager_task_leaves_the_caller_s_connection_alone(conn_max_age):
    opened = conn_max_age(0)

    close_old_connections(task=a_task(eager=True))

    assert connection.connection is opened


def test_celery_does_not_close_connections_around_every_task_itself():
    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100
