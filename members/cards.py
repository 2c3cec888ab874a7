"""Access cards: the token a turnstile or the desk's scanner reads, given to one member.

A member holds at most one card (a lost card is replaced, and the old token then opens
nothing), and a token belongs to at most one member (`Member.card_token` is unique).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from members import search, timeline
from members.models import Member, MemberEvent


class CardTaken(Exception):
    """The card is already another member's; who, is not said (they may be another club's)."""


def give_card(member: Member, token: str, *, by) -> bool:
    """Give `member` the card `token` (as the scanner or staff typed it); True when it
    replaced a card they had. Raises CardTaken when another member holds that card."""
    token = search.card_token(token)
    if not token:
        raise ValueError("A card token cannot be blank.")
    if token == member.card_token:
        return False
    previous = member.card_token
    member.card_token = token
    try:
        with transaction.atomic():
            member.save(update_fields=["card_token"])
            timeline.record(
                member, MemberEvent.Kind.CARD_GIVEN, actor=by, replaced=previous is not None
            )
    except IntegrityError as taken:  # the unique token: another member's card
        member.card_token = previous
        raise CardTaken(token) from taken
    return previous is not None
