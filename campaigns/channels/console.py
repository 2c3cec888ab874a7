"""The demo's SMS channel: messages go to the log (the outbox keeps their text)."""

from __future__ import annotations

import logging

from campaigns.channels import Channel, Sent
from campaigns.sms import count_segments

log = logging.getLogger("campaigns.sms")


class ConsoleSMS(Channel):
    def send(self, touchpoint) -> Sent:
        segments = self.segments(touchpoint.body)
        log.info("SMS to %s (%s segments): %s", touchpoint.member.phone, segments, touchpoint.body)
        return Sent(provider_id=f"console-{touchpoint.pk}", segments=segments, delivered=True)

    def find_sent(self, touchpoint) -> Sent | None:
        return None  # a log line is cheap to repeat

    def segments(self, body: str) -> int:
        return count_segments(body).count
