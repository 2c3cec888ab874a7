"""Unsubscribe links: one click in an email (or the mail client's own button) revokes consent.

A link carries a token signed with the secret key (django.core.signing, its own salt) that
names one member and one channel, so it cannot be guessed, altered or pointed at another
member. Tokens do not expire: an unsubscribe link in a two-year-old email must still work
(CAN-SPAM, GDPR), and all a token can do is withdraw consent — it shows nothing about the
member but a masked address and the club's name. Rotating SECRET_KEY invalidates old links
(unless the old key is kept in SECRET_KEY_FALLBACKS).

GET shows a confirmation page and changes nothing, because link scanners and mail previews
fetch links. POST unsubscribes at once without a login or CSRF cookie: RFC 8058 one-click
(`List-Unsubscribe-Post: List-Unsubscribe=One-Click`) is a cookie-less POST from the mail
client, and the signed token is the credential.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.consent import set_consent
from members.models import Channel, Member

SALT = "campaigns.unsubscribe"


class InvalidToken(Exception):
    """The token was not made by us, was altered, or names a channel we do not know."""


def make_token(member: Member, channel: str = Channel.EMAIL) -> str:
    return signing.dumps({"m": member.pk, "c": str(Channel(channel))}, salt=SALT)


def read_token(token: str) -> tuple[int, str]:
    """The (member id, channel) a token names; raises InvalidToken."""
    try:
        data = signing.loads(token, salt=SALT)
        member_id, channel = data["m"], data["c"]
    except (signing.BadSignature, KeyError, TypeError) as error:
        raise InvalidToken(str(error)) from error
    if not isinstance(member_id, int) or channel not in Channel.values:
        raise InvalidToken("unexpected token contents")
    return member_id, channel


def unsubscribe_url(member: Member, channel: str = "email") -> str:
    """The absolute unsubscribe link for this member and channel (List-Unsubscribe, footers)."""
    path = reverse("campaigns:unsubscribe", args=[make_token(member, channel)])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def unsubscribe(member_id: int, channel: str) -> bool:
    """Revoke the member's consent on the channel; False when it was already revoked.

    The member's row is locked, so a double click (or the mail client and the member at
    once) writes one consent log entry, not two.
    """
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        if not member.has_consent(channel):
            return False
        set_consent(member, channel, granted=False, source=f"{channel}_unsubscribe")
    return True


def mask_email(email: str) -> str:
    """maya.jansen@example.com → m•••@example.com: enough to recognise, not to harvest."""
    local, at, domain = email.partition("@")
    if not at:
        return ""
    return f"{local[:1]}•••@{domain}"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        member_id, channel = read_token(token)
        member = Member.objects.select_related("home_club").get(pk=member_id)
    except (InvalidToken, Member.DoesNotExist):
        return render(request, "campaigns/unsubscribe_invalid.html", status=400)

    context = {
        "member": member,
        "club": member.home_club,
        "channel": channel,
        "masked_email": mask_email(member.email),
        "masked_phone": _mask_phone(member),
    }
    if request.method == "POST":
        unsubscribe(member.pk, channel)
        return render(request, "campaigns/unsubscribe_done.html", context)
    context["subscribed"] = member.has_consent(channel)
    return render(request, "campaigns/unsubscribe.html", context)


def _mask_phone(member: Member) -> str:
    if not member.phone:
        return ""
    e164 = member.phone.as_e164
    return f"•••{e164[-3:]}"
