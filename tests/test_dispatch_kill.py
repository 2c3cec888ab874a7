"""Exactly once, under the failures that matter: the evaluator run twice, two dispatchers at
once, and a Celery worker killed (SIGKILL, the whole process group) in the middle of sending
1,000 SMS through Redis — every member gets their message once at the (fake) provider.

The worker is a real `celery worker` subprocess on the pytest database, with its broker on
a Redis database of its own and a queue of its own per run; the messages go through the
real Twilio SDK to a FakeTwilio in this process, which pulls the trigger: it kills the
worker the moment it has accepted message number KILL_AT, before answering it, so at
least one message reached the provider while its worker never heard back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import override_settings

from campaigns import channels, dispatcher, evaluator, tasks
from campaigns.models import Rule, Touchpoint
from club import clock
from club.celery import app as club_app
from members.models import Member
from tests.factories import ClubFactory
from tests.fake_twilio import FakeTwilio
from tests.race import run_concurrently

Status = Touchpoint.Status
BASE_DIR = Path(__file__).resolve().parent.parent
KILL_REDIS_DB = 6
MEMBERS = 1_000
KILL_AT = 500  # the worker dies as the provider accepts this message
LEASE_SECONDS = 3  # > one provider call (ms here), so a live send is never taken over
PROVIDER_DELAY = 0.002
WORKER_START_TIMEOUT = 30
RECOVERY_TIMEOUT = 45


@pytest.fixture(autouse=True)
def only_our_rule(db):
    Rule.objects.update(is_active=False)


@pytest.fixture
def fake_twilio():
    """A fake Twilio, and the SDK in this process pointed at it (claims count segments)."""
    with FakeTwilio(delay_seconds=PROVIDER_DELAY) as fake:
        fake.server.handle_error = lambda request, address: None  # a killed client's socket
        channels.reset()
        with override_settings(
            TWILIO_ACCOUNT_SID="ACkilltest",
            TWILIO_AUTH_TOKEN="kill-test-token",
            TWILIO_API_BASE=fake.url,
            TWILIO_SEGMENTS_PER_SECOND=100_000,  # the throttle is not under test here
            CAMPAIGN_SENDING_LEASE_SECONDS=LEASE_SECONDS,
            CAMPAIGN_CHANNELS={
                **settings.CAMPAIGN_CHANNELS,
                "sms": "campaigns.channels.twilio_sms.TwilioSMS",
            },
        ):
            yield fake
        channels.reset()


def birthday_club_with_members(count: int):
    """A club whose quiet hours are 12 hours away, `count` members with SMS consent and a
    birthday today, and one birthday SMS rule due at midnight: every touchpoint is due now."""
    local_now = clock.local_now()
    quiet_start = (local_now + dt.timedelta(hours=12)).replace(second=0, microsecond=0)
    club = ClubFactory(
        quiet_hours_start=quiet_start.time(),
        quiet_hours_end=(quiet_start + dt.timedelta(minutes=1)).time(),
    )
    today = clock.today(club)
    birthday = dt.date(1992, today.month, today.day)  # a leap year: 29 February exists
    now = clock.now()
    Member.objects.bulk_create(
        [
            Member(
                home_club=club,
                status=Member.Status.MEMBER,
                first_name=f"Member{number}",
                last_name="Once",
                phone=f"+3162{number:07d}",
                birth_date=birthday,
                sms_consent=True,
                created_at=now,
            )
            for number in range(count)
        ]
    )
    Rule.objects.create(
        number=901,
        name="Birthday greeting (exactly-once test)",
        trigger="birthday",
        params={"at": "00:00"},
        channel="sms",
        template="Happy birthday, {{ first_name }}! ({{ club }})",
        holdout_percent=0,
    )
    return club


def assert_each_message_sent_once(fake: FakeTwilio, count: int) -> None:
    phones = set(Member.objects.values_list("phone", flat=True))
    received = Counter(message["to"] for message in fake.messages)
    repeated = {to: n for to, n in received.items() if n > 1}
    assert not repeated, f"{len(repeated)} members got more than one message: {repeated}"
    strangers = [m for m in fake.messages if m["to"] not in {str(phone) for phone in phones}]
    assert not strangers, f"messages to no member of ours: {strangers}"
    assert len(fake.messages) == count
    assert set(received) == {str(phone) for phone in phones}
    statuses = Counter(Touchpoint.objects.values_list("status", flat=True))
    assert statuses == {Status.SENT: count}
    provider_ids = list(Touchpoint.objects.values_list("provider_id", flat=True))
    assert len(set(provider_ids)) == count
    assert set(provider_ids) == {message["sid"] for message in fake.messages}


# --- in process: two dispatchers at once ---------------------------------------------------


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_two_evaluators_and_two_dispatchers_at_once_send_each_message_once(postgres, fake_twilio):
    fake_twilio.delay_seconds = 0
    birthday_club_with_members(200)

    evaluations = run_concurrently(evaluator.evaluate, threads=2)
    assert evaluations.errors == []
    assert Touchpoint.objects.filter(status=Status.SCHEDULED).count() == 200

    dispatches = run_concurrently(dispatcher.dispatch, threads=2)

    assert dispatches.errors == []
    assert sum(result.get("sent", 0) for result in dispatches.results) == 200
    assert all(set(result) <= {"sent"} for result in dispatches.results)
    assert_each_message_sent_once(fake_twilio, 200)


# --- a real worker on Redis, killed mid-run ------------------------------------------------


class Broker:
    """This process's side of the Redis broker: a Celery app like club.celery's on a Redis
    database of its own, with a queue of its own, that `dispatch_task` enqueues sends to."""

    def __init__(self, redis_url: str):
        self.url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{KILL_REDIS_DB}"))
        self.queue = f"clubcycle-kill-{uuid.uuid4().hex}"
        self.app = Celery("clubcycle-kill", set_as_current=False)
        self.app.config_from_object("django.conf:settings", namespace="CELERY")
        self.app.conf.update(
            broker_url=self.url,
            broker_transport_options={},
            result_backend=None,
            task_always_eager=False,
            task_default_queue=self.queue,
        )
        self.redis = redis.Redis.from_url(self.url)

    def dispatch(self) -> int:
        """campaigns.tasks.dispatch_task, run here; its sends go to our queue."""
        self.app.set_current()  # shared tasks resolve to the current app of the thread
        try:
            return tasks.dispatch_task()
        finally:
            club_app.set_current()

    def waiting(self) -> int:
        return self.redis.llen(self.queue)

    def purge(self) -> None:
        """Our queue, and the messages the killed worker had taken but never acknowledged."""
        for key in self.redis.scan_iter(match=f"*{self.queue}*"):
            self.redis.delete(key)
        pidboxes = "_kombu.binding.celery.pidbox"  # the workers' remote-control bindings
        for binding in self.redis.smembers(pidboxes):
            if self.queue.encode() in binding:
                self.redis.srem(pidboxes, binding)
        if not self.redis.exists(pidboxes):
            self.redis.zrem("_kombu.binding_deadlines", "celery.pidbox")
        for tag, raw in self.redis.hgetall("unacked").items():
            with contextlib.suppress(ValueError, TypeError, IndexError):
                if self.queue in json.loads(raw)[1:]:
                    self.redis.hdel("unacked", tag)
                    self.redis.zrem("unacked_index", tag)
        self.redis.close()
        self.app.close()


class Worker:
    """`celery -A club worker` (prefork, concurrency 2) on the pytest database, in a process
    group of its own, so one killpg takes the parent and its children at once."""

    def __init__(self, broker: Broker, fake: FakeTwilio, log_path: Path):
        db = connection.settings_dict
        credentials = quote(db["USER"] or "") + (
            f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        )
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "club.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": f"postgres://{credentials}@{host}/{db['NAME']}",
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": broker.url,
            "TWILIO_ENABLED": "true",
            "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
            "TWILIO_API_BASE": fake.url,
            "TWILIO_SEGMENTS_PER_SECOND": "100000",
            "CAMPAIGN_SMS_BACKEND": "campaigns.channels.twilio_sms.TwilioSMS",
            "CAMPAIGN_SENDING_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        self.queue = broker.queue
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        command = [
            sys.executable, "-m", "celery", "-A", "club", "worker",
            "--pool=prefork", "--concurrency=2", "-Q", self.queue,
            "-n", f"{self.queue}-{uuid.uuid4().hex[:6]}@%h",
            "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]  # fmt: skip
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=BASE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while b" ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{self.log_tail()}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL the worker's whole process group and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def kill_when_accepted(fake: FakeTwilio, number: int, worker: Worker) -> dict:
    """Make the fake SIGKILL the worker as it accepts message `number`, before it answers:
    the provider has the message, the worker never learns its sid."""
    accept = fake.create
    lock = threading.Lock()
    killed: dict = {}

    def create(form: dict):
        status, payload = accept(form)
        with lock:
            if status == 201 and not killed and len(fake.messages) >= number:
                killed.update(to=payload["to"], sid=payload["sid"], at=len(fake.messages))
                os.killpg(worker.process.pid, signal.SIGKILL)
        return status, payload

    fake.create = create
    return killed


def wait_until_quiet(broker: Broker, deadline: float, seconds: float = 0.5) -> None:
    """Until our queue is empty and no touchpoint changed for `seconds`."""
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = (broker.waiting(), Touchpoint.objects.filter(status=Status.SENT).count())
        if state != last:
            last, since = state, time.monotonic()
        elif state[0] == 0 and time.monotonic() - since >= seconds:
            return
        time.sleep(0.05)
    pytest.fail(f"the worker did not work through the queue in time ({last[0]} still queued)")


@pytest.mark.redis
@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_on_redis_still_sends_each_message_once(
    postgres, redis_url, fake_twilio, tmp_path
):
    started = time.monotonic()

    def note(what: str) -> None:  # shown when the test fails
        print(f"[{time.monotonic() - started:5.1f} s] {what}")

    # given 1,000 members whose birthday SMS are due, evaluated twice
    birthday_club_with_members(MEMBERS)
    assert evaluator.evaluate() == MEMBERS
    assert evaluator.evaluate() == 0
    assert Touchpoint.objects.filter(status=Status.SCHEDULED).count() == MEMBERS

    broker = Broker(redis_url)
    first = Worker(broker, fake_twilio, tmp_path / "worker-1.log")
    second = Worker(broker, fake_twilio, tmp_path / "worker-2.log")
    try:
        note("evaluated twice")
        first.start()
        note("worker started")
        killed = kill_when_accepted(fake_twilio, KILL_AT, first)

        # when two dispatchers enqueue the sends at once, and the worker dies mid-run
        dispatches = run_concurrently(broker.dispatch, threads=2)
        assert dispatches.errors == []
        assert sum(dispatches.results) == MEMBERS  # no touchpoint claimed twice
        note(f"two dispatchers enqueued {dispatches.results}")
        try:
            first.process.wait(timeout=RECOVERY_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker was never killed:\n{first.log_tail()}")
        first.kill()
        assert killed, f"the worker exited before it was killed:\n{first.log_tail()}"

        # then the kill landed mid-send: the provider has a message its touchpoint lacks
        in_flight = Touchpoint.objects.get(member__phone=killed["to"])
        assert (in_flight.status, in_flight.provider_id) == (Status.SENDING, "")
        assert in_flight.send_started_at is not None
        sent_before = Touchpoint.objects.filter(status=Status.SENT).count()
        note(f"killed at message {killed['at']}: {sent_before} sent, {broker.waiting()} queued")
        assert KILL_AT // 2 < sent_before < len(fake_twilio.messages) < MEMBERS

        # and a fresh worker, with the dispatcher re-enqueueing what is stranded, finishes
        second.start()
        note("second worker started")
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while True:
            wait_until_quiet(broker, deadline)
            note(f"quiet: {Counter(Touchpoint.objects.values_list('status', flat=True))}")
            if not Touchpoint.objects.exclude(status=Status.SENT).exists():
                break
            if time.monotonic() > deadline:
                statuses = Counter(Touchpoint.objects.values_list("status", flat=True))
                pytest.fail(
                    f"not every touchpoint was sent after {RECOVERY_TIMEOUT} s: {dict(statuses)}"
                    f"; the fake has {len(fake_twilio.messages)} messages.\n{second.log_tail()}"
                )
            # Rows of the dead worker are stranded once their lease ran out: re-enqueue them.
            queued = broker.dispatch()
            note(f"re-enqueued {queued} stranded")
            if not queued:
                time.sleep(0.5)  # a lease still running
    finally:
        first.kill()
        second.kill()
        broker.purge()

    # each member got their message exactly once, and every touchpoint knows its sid
    assert_each_message_sent_once(fake_twilio, MEMBERS)
    in_flight.refresh_from_db()
    assert in_flight.provider_id == killed["sid"]  # found at the provider, not sent again
