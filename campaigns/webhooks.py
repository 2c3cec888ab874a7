"""Twilio's webhooks: delivery status callbacks and inbound SMS (STOP, START, HELP, replies).

Both views accept only a POST signed by Twilio: `X-Twilio-Signature` is an HMAC, made with
our auth token, of the URL Twilio called and the POST parameters. A missing or wrong
signature — or no auth token configured at all, when anyone could sign — is 403 and changes
nothing. Behind a proxy, `SECURE_PROXY_SSL_HEADER` / `USE_X_FORWARDED_HOST` must be set so
that `build_absolute_uri()` is the URL Twilio signed.

The views only parse and answer; `handle_inbound()` and `delivery.record_provider_status()`
do the work.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from campaigns import delivery
from campaigns.optout import opt_in_number, opt_out_number
from club.models import Club
from members import search, timeline
from members.models import Member, MemberEvent

logger = logging.getLogger(__name__)

# Twilio's own default keywords (Advanced Opt-Out). YES is deliberately not an opt-in here:
# members answer "yes" to ordinary questions ("see you Tuesday?"), and reading that as
# consent would be wrong; it lands on the timeline like any reply. Consent stays off, so
# the safe side wins even if Twilio's own handling re-enables the number on YES.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT", "REVOKE"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})


def keyword(body: str) -> str:
    """The message as a keyword: surrounding spaces and a trailing "." or "!" dropped, upper case.

    Only a message that is the keyword alone counts: "STOP PLEASE" is a reply, not an opt-out.
    "Stop." and "stop!" do count — when unsure, stopping is the safe reading.
    """
    return body.strip().rstrip(".!").strip().upper()


def handle_inbound(
    from_number: str, body: str, *, to_number: str = "", message_sid: str = ""
) -> str | None:
    """Act on one inbound SMS and return the text to answer with, if any.

    STOP and its synonyms revoke SMS consent of every member with that phone, START and
    UNSTOP grant it back, HELP and INFO answer with the club's name and phone, and anything
    else goes onto the timeline of every member with that phone so staff see the reply.

    The members' rows are locked first, so Twilio retrying a message we were slow to answer
    is recorded once (by its message sid) even when the retry arrives while the first
    request is still running.
    """
    phone = search.as_phone(from_number.strip())
    word = keyword(body)
    with transaction.atomic():
        members = (
            list(Member.objects.select_for_update().filter(phone=phone).order_by("pk"))
            if phone
            else []
        )
        if word in HELP_KEYWORDS:
            return help_text(members, to_number=to_number)
        if not phone:
            logger.info("Inbound SMS from a sender that is not a phone number ignored")
            return None
        if word in OPT_OUT_KEYWORDS:
            opt_out_number(phone, source="sms_stop")
        elif word in OPT_IN_KEYWORDS:
            opt_in_number(phone, source="sms_start")
        else:
            _record_reply(members, body=body, from_number=phone, message_sid=message_sid)
    return None


def help_text(members: list[Member], *, to_number: str = "") -> str:
    """The HELP answer: who is texting, how to reach them, and how to stop."""
    club = _texting_club(members, to_number=to_number)
    stop = "Reply STOP to unsubscribe, START to subscribe again."
    if club is None:
        return f"{settings.WAGTAIL_SITE_NAME}: messages from your fitness club. {stop}"
    contact = f" Questions? Call {club.phone.as_international}." if club.phone else ""
    return f"{club.name}: membership messages.{contact} {stop}"


def _texting_club(members: list[Member], *, to_number: str) -> Club | None:
    # The club of the member with that number (the newest, if several share it), else the
    # club whose sender number was texted.
    if members:
        newest = max(members, key=lambda member: (member.created_at, member.pk))
        return Club.objects.get(pk=newest.home_club_id)
    if to_number:
        return Club.objects.filter(sms_sender=to_number.strip()).order_by("pk").first()
    return None


def _record_reply(members: list[Member], *, body: str, from_number: str, message_sid: str) -> None:
    if not members:
        logger.info("SMS reply from a number no member has (…%s)", from_number[-3:])
    recorded = set()
    if message_sid:
        # Twilio retried a message we already recorded (we hold the members' row locks).
        recorded = set(
            MemberEvent.objects.filter(
                member__in=members,
                kind=MemberEvent.Kind.MESSAGE_REPLY,
                data__message_sid=message_sid,
            ).values_list("member_id", flat=True)
        )
    timeline.record_many(
        [member for member in members if member.pk not in recorded],
        MemberEvent.Kind.MESSAGE_REPLY,
        text=body.strip(),
        from_=from_number,
        message_sid=message_sid,
    )


def _signed_by_twilio(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(request.build_absolute_uri(), request.POST, signature)


def _forbidden(request: HttpRequest) -> HttpResponse:
    logger.warning("Twilio webhook %s refused: missing or bad signature", request.path)
    return HttpResponseForbidden("Invalid Twilio signature.")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a message we sent: queued … delivered or failed."""
    if not _signed_by_twilio(request):
        return _forbidden(request)
    provider_id = request.POST.get("MessageSid", "").strip()
    status = request.POST.get("MessageStatus", "").strip()
    if not provider_id or not status:
        logger.warning("Malformed Twilio status callback, fields: %s", sorted(request.POST))
        return HttpResponseBadRequest("MessageSid and MessageStatus are required.")
    delivery.record_provider_status(
        provider_id, status, error_code=request.POST.get("ErrorCode", "")
    )
    # 2xx even for an unknown message id: a retry cannot make it known.
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS sent to one of our Twilio numbers; the answer is TwiML (empty: no reply)."""
    if not _signed_by_twilio(request):
        return _forbidden(request)
    from_number = request.POST.get("From", "").strip()
    if not from_number:
        logger.warning("Malformed Twilio inbound message, fields: %s", sorted(request.POST))
        return HttpResponseBadRequest("From is required.")
    reply = handle_inbound(
        from_number,
        request.POST.get("Body", ""),
        to_number=request.POST.get("To", ""),
        message_sid=request.POST.get("MessageSid", ""),
    )
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml")
