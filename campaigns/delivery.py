"""What became of a message after the provider took it: Twilio's delivery status callbacks.

A touchpoint's status only moves forward — scheduled / sending → sent → delivered or failed
— and delivered and failed are both final. Twilio sends callbacks in no guaranteed order and
sometimes more than once, so a late "sent" after "delivered", a "failed" after "delivered"
and any repeated callback change nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from campaigns.channels import twilio_sms
from campaigns.models import Touchpoint
from campaigns.optout import opt_out_number
from club import clock

logger = logging.getLogger(__name__)

Status = Touchpoint.Status

# Twilio's MessageStatus → ours. The statuses before "sent" (queued, accepted, scheduled,
# sending) and those of inbound messages (receiving, received) say nothing that our "sent"
# does not already say — the dispatcher marks a touchpoint sent once Twilio has accepted it —
# so they are not listed and change nothing. "read" (WhatsApp, RCS) implies delivered.
PROVIDER_STATUSES: dict[str, str] = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}
_EARLY_STATUSES = frozenset({"queued", "accepted", "scheduled", "sending", "receiving", "received"})

# The statuses each status may replace: this is what "only forward" means.
_MOVES_FROM: dict[str, tuple[str, ...]] = {
    Status.SENT: (Status.SCHEDULED, Status.SENDING),
    Status.DELIVERED: (Status.SCHEDULED, Status.SENDING, Status.SENT),
    Status.FAILED: (Status.SCHEDULED, Status.SENDING, Status.SENT),
}

# "Attempt to send to unsubscribed recipient": the number texted STOP to our Twilio number.
TWILIO_OPTED_OUT = str(twilio_sms.OPTED_OUT)


def record_provider_status(
    provider_id: str, status: str, *, error_code: str = "", at: dt.datetime | None = None
) -> Touchpoint | None:
    """Apply one provider status callback to the touchpoint sent with that provider id.

    Returns the touchpoint (changed or not), or None when no touchpoint has that id: a
    message sent from the Twilio console or by another system on the same account. The
    webhook still answers 2xx then, because asking Twilio to retry cannot make the id known.
    (A callback could in principle overtake the dispatcher's commit of the id; Twilio's
    first callback comes after the carrier hand-off, well after that commit, so we accept
    losing such a callback rather than keep callbacks for ids we have never seen.)

    The row is locked while the transition is decided, so two callbacks for one message that
    arrive together are applied one after the other and the later one sees the first's
    result. Error 21610 on a newly failed touchpoint means Twilio itself will not text that
    number any more, so the number loses SMS consent here too (once: a repeated callback
    does not undo a later START).
    """
    if not provider_id:
        # An empty id would match every touchpoint that was never sent.
        return None
    status, error_code = status.strip().lower(), error_code.strip()
    new_status = PROVIDER_STATUSES.get(status)
    with transaction.atomic():
        touchpoint = (
            Touchpoint.objects.select_for_update(of=("self",))
            .select_related("member")
            .filter(provider_id=provider_id)
            .order_by("pk")
            .first()
        )
        if touchpoint is None:
            logger.info("Status %r for unknown provider id %s ignored", status, provider_id)
            return None
        if new_status is None:
            if status not in _EARLY_STATUSES:
                logger.warning("Unknown Twilio status %r for %s ignored", status, provider_id)
            return touchpoint
        if touchpoint.status not in _MOVES_FROM[new_status]:
            return touchpoint

        at = at or clock.now()
        touchpoint.status = new_status
        fields = ["status"]
        if new_status in (Status.SENT, Status.DELIVERED) and touchpoint.sent_at is None:
            touchpoint.sent_at = at
            fields.append("sent_at")
        if new_status == Status.DELIVERED:
            touchpoint.delivered_at = at
            fields.append("delivered_at")
        if new_status == Status.FAILED:
            touchpoint.error = f"{error_code}: {status}" if error_code else status
            fields.append("error")
            if error_code == TWILIO_OPTED_OUT:
                touchpoint.reason = Touchpoint.Reason.OPTED_OUT
                fields.append("reason")
        touchpoint.save(update_fields=fields)

        phone = touchpoint.member.phone
        if new_status == Status.FAILED and error_code == TWILIO_OPTED_OUT and phone:
            opt_out_number(phone.as_e164, source="twilio_21610")
    return touchpoint
