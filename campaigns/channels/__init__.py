"""Channels deliver a touchpoint: SMS, email or a staff task, chosen in settings.

`settings.CAMPAIGN_CHANNELS` maps a channel name to a class path, like email backends. A
channel's `send()` either returns a `Sent` receipt or raises `PermanentError` (never
retried: a bad number, an opted-out number) or `TransientError` (retried with backoff:
a timeout, a 5xx). `find_sent()` answers "did the provider already get this one?" for a
touchpoint whose worker died mid-send, so a resend never duplicates a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sent:
    provider_id: str = ""
    segments: int | None = None
    delivered: bool = False  # a staff task or the console is "delivered" at once


class SendError(Exception):
    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class PermanentError(SendError):
    """The provider refused the message for good: do not retry.

    `reason` is a Touchpoint.Reason when the refusal says something about the recipient:
    "invalid_number", "too_long" (over 1,600 characters), or "opted_out" (then the number
    loses SMS consent).
    """

    def __init__(self, message: str, *, code: str = "", reason: str = ""):
        super().__init__(message, code=code)
        self.reason = reason


class TransientError(SendError):
    """The provider could not take the message now: retry later.

    `maybe_sent` when the provider may have taken it after all (a timeout, a dropped
    connection): then it is asked before the message goes again.
    """

    def __init__(self, message: str, *, code: str = "", maybe_sent: bool = False):
        super().__init__(message, code=code)
        self.maybe_sent = maybe_sent


class Channel:
    """The interface every channel implements."""

    def send(self, touchpoint) -> Sent:
        raise NotImplementedError

    def find_sent(self, touchpoint) -> Sent | None:
        """The receipt of an earlier send of this touchpoint, if the provider has one.

        Channels that cannot tell return None, and the touchpoint is sent again.
        """
        return None

    def segments(self, body: str) -> int | None:
        return None


@cache
def get_channel(name: str) -> Channel:
    return import_string(settings.CAMPAIGN_CHANNELS[name])()


def reset() -> None:
    """Forget the channel instances (tests that change settings)."""
    get_channel.cache_clear()
