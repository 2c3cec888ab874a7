import datetime as dt
import logging

from celery import shared_task

from club import clock
from club.models import Club
from memberships import autorenew, statuses
from memberships.models import StripeEvent
from memberships.stripe import client, events, offsession, saved_cards

logger = logging.getLogger(__name__)

# Events left unprocessed this long (a task lost with the broker, a failed attempt) are
# processed again by the sweep, this many times at most, this many per run.
STRIPE_RETRY_AFTER = dt.timedelta(minutes=5)
STRIPE_MAX_ATTEMPTS = 5
STRIPE_SWEEP_BATCH = 100
# Calls to Stripe from a task that found it unreachable (no answer, 429, 5xx) are tried again,
# backing off, this many times: with the backoff's 10-minute cap, well within Redis's
# visibility timeout.
STRIPE_RETRIES = 5
# Automatic renewals per club per run; a full batch queues the next run at once.
AUTO_RENEW_BATCH = 200


@shared_task
def refresh_member_statuses_task() -> int:
    """Bring every member's status in line with their memberships.

    Safe to run twice: it recomputes from the data and writes only what differs.
    """
    return sum(statuses.refresh_member_statuses(club) for club in Club.objects.all())


@shared_task
def auto_renew_task() -> int:
    """Renew the memberships that renew automatically and have ended (memberships.autorenew),
    a batch per club per run; queue another run when a batch was full and all of it renewed.

    Safe to run twice, even at once: the one-to-one renewed_from admits one renewal of a
    membership, and a renewed one is no longer due.
    """
    total, more = 0, False
    for club in Club.objects.all():
        tried, renewed = autorenew.renew_due(club, limit=AUTO_RENEW_BATCH)
        total += renewed
        # Only when every one renewed: failures stay due and would queue runs for ever.
        more = more or (tried == AUTO_RENEW_BATCH and renewed == tried)
    if more:
        auto_renew_task.delay()
    return total


@shared_task
def process_stripe_event_task(event_id: int) -> None:
    """Act on one stored Stripe webhook event (a renewal paid online, a failed payment).

    Safe to run twice, even at once: events.process locks the event's row and marks it
    processed in the same transaction; a second run finds it processed and does nothing.
    """
    events.process(event_id)


@shared_task(autoretry_for=client.TRANSIENT_ERRORS, retry_backoff=True, max_retries=STRIPE_RETRIES)
def charge_renewal_task(renewal_id: int, card: str = "") -> str:
    """Charge an unpaid automatic renewal to the member's saved card (offsession.charge); with
    `card`, a declined one once more, to the card the member put on file since.

    Safe to run twice, even at once: Stripe is asked under an idempotency key made of the
    renewal's id (and the new card's, for a retry), so it charges once and answers the same
    twice; the payment is recorded once per PaymentIntent; a renewal paid since is not charged.
    Only Stripe's transient errors (no answer, 429, 5xx) are retried, with the same key."""
    return offsession.charge(renewal_id, card)


@shared_task(autoretry_for=client.TRANSIENT_ERRORS, retry_backoff=True, max_retries=STRIPE_RETRIES)
def save_card_task(member_id: int, payment_intent: str) -> bool:
    """Save the card that paid a portal renewal, for automatic renewals (saved_cards).

    Safe to run twice: the card is stored by a conditional UPDATE that changes nothing the
    second time, and a late run saves no card older than the member's last change."""
    return saved_cards.save_from_payment(member_id, payment_intent)


@shared_task(autoretry_for=client.TRANSIENT_ERRORS, retry_backoff=True, max_retries=STRIPE_RETRIES)
def save_setup_card_task(member_id: int, setup_intent: str) -> bool:
    """Save the card a member put on file from the portal in place of the old one, detach the
    old one and charge a declined renewal to the new one (saved_cards.save_from_setup).

    Safe to run twice: the card is stored by a conditional UPDATE that changes nothing the
    second time, and the detach and the charge are queued only by the run that changed it."""
    return saved_cards.save_from_setup(member_id, setup_intent)


@shared_task(autoretry_for=client.TRANSIENT_ERRORS, retry_backoff=True, max_retries=STRIPE_RETRIES)
def detach_card_task(payment_method_id: str) -> None:
    """Detach a card the member removed from their Stripe Customer (saved_cards.detach).

    Safe to run twice: a card detached already is logged and left alone."""
    saved_cards.detach(payment_method_id)


@shared_task(autoretry_for=client.TRANSIENT_ERRORS, retry_backoff=True, max_retries=STRIPE_RETRIES)
def forget_customer_task(customer_id: str) -> None:
    """Delete an erased member's Stripe Customer (saved_cards.forget_customer).

    Safe to run twice: a Customer deleted already is logged and left alone."""
    saved_cards.forget_customer(customer_id)


@shared_task
def retry_stripe_events_task() -> int:
    """Process again the Stripe events left unprocessed for a while, a batch per run.

    Safe to run twice: each goes through events.process, which acts on an event once. A
    failing event is logged with its error and left for the next run (and the next attempt).
    """
    due = (
        StripeEvent.objects.unprocessed()
        .filter(received_at__lt=clock.now() - STRIPE_RETRY_AFTER, attempts__lt=STRIPE_MAX_ATTEMPTS)
        .order_by("received_at")
        .values_list("pk", flat=True)[:STRIPE_SWEEP_BATCH]
    )
    done = 0
    for event_id in due:
        try:
            events.process(event_id)
        except Exception:
            # Kept on the event's row (error, attempts); the others in the batch go on.
            logger.exception("Stripe event %s failed again", event_id)
        else:
            done += 1
    return done
