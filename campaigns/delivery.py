"""What became of a message after the provider took it: Twilio's delivery status callbacks.

A touchpoint's status only moves forward — scheduled / sending → sent → delivered or failed
— and delivered and failed are both final. Twilio sends callbacks in no guaranteed order and
sometimes more than once, so a late "sent" after "delivered", a "failed" after "delivered"
and any repeated callback change nothing.

Twilio can also call back before the dispatcher has recorded the message's id (it records
ids in groups, after the provider's answer). Such a callback is kept as an `EarlyStatus` and
applied once the id is recorded, so it is not lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef

from campaigns.channels import twilio_sms
from campaigns.models import EarlyStatus, Touchpoint
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

# An early callback whose id is still unknown after this long was for a message that is not
# ours (sent from the Twilio console, say): ids are recorded within seconds of the send, or
# within minutes when a killed worker's send is recovered.
KEEP_EARLY = dt.timedelta(days=1)


def record_provider_status(
    provider_id: str, status: str, *, error_code: str = "", at: dt.datetime | None = None
) -> Touchpoint | None:
    """Apply one provider status callback to the touchpoint sent with that provider id.

    Returns the touchpoint (changed or not), or None when no touchpoint has that id yet.
    Then the callback is kept (`EarlyStatus`) and applied when the dispatcher records the id:
    Twilio can call back before that. The webhook answers 2xx either way.

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
    at = at or clock.now()
    touchpoint = _apply(provider_id, status, error_code=error_code, at=at)
    if touchpoint is not None:
        return touchpoint
    if status not in PROVIDER_STATUSES:
        logger.info("Status %r for unknown provider id %s ignored", status, provider_id)
        return None
    logger.info("Status %r for provider id %s kept until the id is recorded", status, provider_id)
    with transaction.atomic():
        EarlyStatus.objects.filter(received_at__lt=at - KEEP_EARLY).delete()
        EarlyStatus.objects.bulk_create(
            [
                EarlyStatus(
                    provider_id=provider_id, status=status, error_code=error_code, received_at=at
                )
            ],
            ignore_conflicts=True,
        )
    # Kept and committed, then looked for again; the dispatcher does the same the other way
    # round (records the id, commits, looks for early statuses), so one of the two looks
    # sees the other's commit whatever the timing.
    apply_early_statuses([provider_id])
    return None


def apply_early_statuses(provider_ids: Iterable[str] | None = None) -> int:
    """Apply the kept callbacks for these provider ids (or for all) that now have a
    touchpoint, in the order they came, and forget them; return how many. Call it after the
    ids are committed.

    Safe to run twice, or at the same time as the callback's own look: a status applied
    twice changes nothing the second time.
    """
    kept = EarlyStatus.objects.filter(
        # Only those whose touchpoint is recorded: the rest keep waiting.
        Exists(Touchpoint.objects.filter(provider_id=OuterRef("provider_id")))
    )
    if provider_ids is not None:
        kept = kept.filter(provider_id__in=set(provider_ids) - {""})
    early = list(kept.order_by("received_at", "pk"))
    # One locked transition each: early callbacks are rare, a few per message at most.
    for callback in early:
        _apply(
            callback.provider_id,
            callback.status,
            error_code=callback.error_code,
            at=callback.received_at,
        )
    EarlyStatus.objects.filter(pk__in=[callback.pk for callback in early]).delete()
    return len(early)


def _apply(provider_id: str, status: str, *, error_code: str, at: dt.datetime) -> Touchpoint | None:
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
            return None
        if new_status is None:
            if status not in _EARLY_STATUSES:
                logger.warning("Unknown Twilio status %r for %s ignored", status, provider_id)
            return touchpoint
        if touchpoint.status not in _MOVES_FROM[new_status]:
            return touchpoint

        if touchpoint.sent_at is not None:
            # A callback kept from before the send was recorded is not older than the send.
            at = max(at, touchpoint.sent_at)
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
