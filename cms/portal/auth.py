"""Member sign-in to the portal: a one-time link sent by email, no password.

A member types their email; every member with that address gets a portal login (a plain
Django user, created on first use: not staff, no groups, unusable password) and one email
with a sign-in link per member. The link carries a django-sesame token that is scoped to
the portal, expires after SESAME_MAX_AGE and works once: signing in updates the user's
last_login, which the token is signed with. The answer to a request never says whether
the address is known, and requests are rate-limited per address and per client IP.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from sesame import packers, tokens_v2
from sesame import settings as sesame_settings
from sesame.utils import get_query_string

from cms.models import public_root_url
from members import timeline
from members.models import Member, MemberEvent

logger = logging.getLogger(__name__)

# Tokens made here are valid only where this scope is asked for, i.e. at the portal's
# link view: a token minted for another purpose can never sign a member in, nor the reverse.
SCOPE = "portal"


class TooManyRequests(Exception):
    """Too many sign-in link requests for this address or from this IP; try again later."""

    def __init__(self, retry_minutes: int):
        super().__init__(
            f"Too many sign-in requests. Please wait {retry_minutes} minutes and try again."
        )
        self.retry_minutes = retry_minutes


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, -(-self.seconds // 60))


_RATE = re.compile(r"^(\d+)/(\d+)([smh])$")


def parse_rate(value: str) -> Rate:
    """ "5/15m" → at most 5 in 15 minutes (units: s, m, h)."""
    match = _RATE.match(value.strip())
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise ImproperlyConfigured(
            f"PORTAL_LOGIN_RATE: {value!r} is not a rate like '5/15m' (count/period s|m|h)."
        )
    unit = {"s": 1, "m": 60, "h": 3600}[match[3]]
    return Rate(count=int(match[1]), seconds=int(match[2]) * unit)


def rates() -> dict[str, Rate]:
    return {kind: parse_rate(value) for kind, value in settings.PORTAL_LOGIN_RATE.items()}


# Fail at start-up, not on the first member who asks for a link.
rates()


def members_with_email(email: str) -> QuerySet[Member]:
    """The members with this address, case-insensitively (through the lower(email) index)."""
    email = email.strip()
    if not email:
        return Member.objects.none()
    return Member.objects.filter(Exact(Lower("email"), Lower(Value(email)))).select_related(
        "home_club", "user"
    )


def portal_user(member: Member):
    """The member's portal login, created the first time they ask for a link."""
    if member.user_id is not None:
        return member.user
    User = get_user_model()
    with transaction.atomic():
        # Two requests at once for a new member must not create two users.
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.user_id is None:
            # No password (create_user makes it unusable), not staff, no groups: this login
            # opens the portal and nothing else.
            locked.user = User.objects.create_user(username=f"member-{member.pk}")
            Member.objects.filter(pk=member.pk).update(user=locked.user)
    member.user = locked.user
    return member.user


def check_rate(*, email: str, ip: str | None) -> None:
    """Count one link request against the address and the IP; raise TooManyRequests when
    either has used up its budget. Known and unknown addresses count alike."""
    limits = rates()
    keys = {"email": email.strip().lower(), "ip": ip or "unknown"}
    exceeded: list[Rate] = []
    for kind, value in keys.items():
        rate = limits[kind]
        digest = hashlib.sha256(value.encode()).hexdigest()
        cache_key = f"portal-login:{kind}:{digest}"
        # A fixed window: the first request of the window sets the expiry, incr keeps it.
        cache.add(cache_key, 0, timeout=rate.seconds)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.set(cache_key, 1, timeout=rate.seconds)
            count = 1
        if count > rate.count:
            exceeded.append(rate)
    if exceeded:
        raise TooManyRequests(max(rate.minutes for rate in exceeded))


def link_minutes() -> int:
    """How long a sign-in link works, in whole minutes, for telling the member."""
    return max(1, int(settings.SESAME_MAX_AGE) // 60)


def link_for(member: Member) -> str:
    """An absolute one-time sign-in URL for the member.

    On the address of the member's own club's site (`public_root_url`: as configured, or
    SITE_URL), never on the request's Host header: a forged Host would otherwise put a valid
    token in a link to someone else's server.
    """
    path = reverse("portal:login_link") + get_query_string(portal_user(member), scope=SCOPE)
    return public_root_url(member.home_club) + path


def request_link(*, email: str, ip: str | None) -> int:
    """Email a sign-in link to every member with this address; return how many were found.

    Raises TooManyRequests when the address or IP asked too often. The caller must not
    tell the visitor the count (that would reveal who is a member).
    """
    check_rate(email=email, ip=ip)
    members = list(members_with_email(email))
    if not members:
        return 0
    links = [(member, link_for(member)) for member in members]
    club = members[0].home_club
    context = {
        "links": links,
        "club": club,
        "minutes": link_minutes(),
        "request_url": public_root_url(club) + reverse("portal:login"),
    }
    # A sign-in link is a service message the member asked for, so it goes out whatever
    # their marketing consent says.
    send_mail(
        subject=f"Your sign-in link for {club.name}",
        message=render_to_string("cms/portal/email/login_link.txt", context),
        from_email=club.email_sender or settings.DEFAULT_FROM_EMAIL,
        recipient_list=[members[0].email],
        fail_silently=False,
    )
    logger.info("Portal sign-in link sent to %d member(s)", len(members))
    return len(members)


def malformed(token: str) -> bool:
    """Whether a link's token cannot be one we sent, whatever its signature: missing, not in
    the token alphabet, or not of a token's shape (user, time, signature) — a link cut short
    when copied, say. The structural checks sesame's v2 parser makes before it reads the
    database; an expired, used or tampered token is well formed."""
    if not tokens_v2.detect_token(token):
        return True
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        _, rest = packers.packer.unpack_pk(data)
        _, signature = tokens_v2.unpack_timestamp(rest)
    except Exception:  # what sesame's parser treats as a bad token
        return True
    return len(signature) != sesame_settings.SIGNATURE_SIZE


def sign_in(request: HttpRequest, token: str) -> Member | None:
    """Log the member in with a link's token; None when it is expired, tampered with,
    already used, or belongs to anyone but a member's portal login."""
    User = get_user_model()
    with transaction.atomic():
        user = authenticate(request, sesame=token, scope=SCOPE)
        if user is None or user.is_staff or user.is_superuser:
            return None
        # Two clicks on one link at once both pass authenticate(); under the row lock only
        # the first still sees the last_login the token was signed with.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.last_login != user.last_login:
            return None
        member = Member.objects.filter(user=user).first()
        if member is None:
            return None
        login(request, user)  # updates last_login, which spends every link sent so far
        timeline.record(member, MemberEvent.Kind.PORTAL_LOGIN, method="email link")
    return member
