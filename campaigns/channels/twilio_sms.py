"""SMS through Twilio's REST API, with the official SDK.

Errors are sorted once, here: Twilio's 4xx answers are permanent (a bad or unreachable
number, 21610 "replied STOP") and never retried; timeouts, connection errors, 429 and
5xx are transient and retried by the dispatcher with backoff.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from functools import cache

import requests
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.urls import NoReverseMatch, reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from campaigns.channels import Channel, PermanentError, Sent, TransientError
from campaigns.sms import count_segments

OPTED_OUT = 21610  # the number replied STOP to this sender
# "Not a valid phone number", "not a mobile number", "not reachable by SMS" and kin.
INVALID_NUMBER = {21211, 21214, 21217, 21401, 21407, 21408, 21612, 21614}
TOO_LONG = 21617  # "the concatenated message body exceeds the 1600 character limit"
TIMEOUT_SECONDS = 10


class TwilioSMS(Channel):
    def __init__(self):
        http_client = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )
        if settings.TWILIO_API_BASE:
            self.client.api.base_url = settings.TWILIO_API_BASE
        # One pooled session for every call (keep-alive). requests would read the proxy and
        # CA-bundle variables from the environment again on every request (a scan of
        # os.environ, a tenth of a send): read them once, for Twilio's host.
        session = http_client.session
        session.proxies.update(requests.utils.get_environ_proxies(self.client.api.base_url))
        env = os.environ
        session.verify = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True
        session.trust_env = False

    def send(self, touchpoint) -> Sent:
        segments = self.segments(touchpoint.body)
        sender = sender_for(touchpoint.club)
        throttle(sender, segments)
        try:
            message = self.client.messages.create(
                to=str(touchpoint.member.phone),
                from_=sender,
                body=touchpoint.body,
                status_callback=status_callback_url(touchpoint),
            )
        except TwilioRestException as error:
            code = str(error.code or "")
            if error.status == 429 or error.status >= 500:
                raise TransientError(error.msg, code=code) from error
            raise PermanentError(error.msg, code=code, reason=_reason(error.code)) from error
        except (requests.RequestException, TwilioException) as error:
            # No answer: Twilio may have queued the message before the connection broke.
            raise TransientError(str(error), maybe_sent=True) from error
        return Sent(provider_id=message.sid, segments=int(message.num_segments or segments))

    def find_sent(self, touchpoint) -> Sent | None:
        """Twilio's list of messages to this number, matched on sender, text and time."""
        since = (touchpoint.claimed_at or touchpoint.send_at) - dt.timedelta(minutes=1)
        try:
            recent = self.client.messages.list(
                to=str(touchpoint.member.phone), from_=sender_for(touchpoint.club), limit=50
            )
        except (TwilioRestException, requests.RequestException, TwilioException) as error:
            # Unknown is not "not sent": leave the row to the next recovery.
            raise TransientError(f"could not look up earlier sends: {error}") from error
        for message in recent:
            if message.body == touchpoint.body and message.date_created >= since:
                return Sent(provider_id=message.sid, segments=int(message.num_segments or 1))
        return None

    def segments(self, body: str) -> int:
        return count_segments(body).count


def _reason(code: int | None) -> str:
    if code == OPTED_OUT:
        return "opted_out"
    if code == TOO_LONG:  # the dispatcher suppresses these first (evaluator.body_refusal)
        return "too_long"
    return "invalid_number" if code in INVALID_NUMBER else ""


def sender_for(club) -> str:
    return club.sms_sender or settings.TWILIO_DEFAULT_SENDER


def status_callback_url(touchpoint) -> str | None:
    try:
        path = reverse("campaigns:twilio-status")
    except NoReverseMatch:
        return None
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def throttle(sender: str, segments: int) -> None:
    """Keep one sender under TWILIO_SEGMENTS_PER_SECOND, across every worker (shared cache).

    A fixed one-second window: take the segments from this second's budget, or wait for
    the next second.
    """
    limit = settings.TWILIO_SEGMENTS_PER_SECOND
    while True:
        second = int(time.time())
        used = _take(f"sms-rate:{sender}:{second}", segments)
        if used <= limit or used == segments:  # a message longer than the limit still goes
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def _take(key: str, amount: int) -> int:
    """Add `amount` to the counter at `key` (created for 5 s when missing); its new total.

    On Redis one pipelined round trip (SET NX EX, INCRBY) instead of the three that
    cache.add() and cache.incr() make there; any other cache backend goes through them.
    """
    shared = caches["default"]
    if isinstance(shared, RedisCache):
        key = shared.make_and_validate_key(key)
        pipeline = _redis_client(shared).pipeline(transaction=False)
        pipeline.set(key, 0, ex=5, nx=True)
        pipeline.incrby(key, amount)
        return pipeline.execute()[1]
    shared.add(key, 0, timeout=5)
    return shared.incr(key, amount)


@cache
def _redis_client(shared: RedisCache):
    """The cache's Redis client for writes, made once per process and cache: Django makes a
    new client object on every call, which cost more than the round trip itself."""
    return shared._cache.get_client(write=True)
