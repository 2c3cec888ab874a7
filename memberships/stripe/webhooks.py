"""Stripe's webhook endpoint (/stripe/webhook/): verify, store, answer; the work is done
after the commit by a Celery task (events.py)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from memberships.stripe import client, events

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    if not client.enabled():
        raise Http404("Stripe is not configured.")
    try:
        events.receive(request.body, request.headers.get("Stripe-Signature", ""))
    except events.BadEvent as error:
        logger.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("Invalid Stripe event.")
    # 200 for every stored event, an unknown type too: Stripe retries anything else for days.
    return HttpResponse(status=200)
