"""Changing a playbook rule, and what a change means for the outbox.

The evaluator writes a rule's touchpoints up to eight days ahead (evaluator.LOOKAHEAD), each
with its text, send time, channel and holdout decided by the rule as it was then, and the
unique (rule, member, occurrence) key keeps it from writing them again. So a saved change
withdraws the rule's plans not yet sent, in the save's own transaction, and the next
evaluation writes them again under the rule as it now is; a rule switched off writes none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from campaigns.models import Rule, Touchpoint
from club import clock
from club.models import Club

Status = Touchpoint.Status


def save(rule: Rule, *, clubs: Iterable[Club] | None = None) -> int:
    """Save `rule` (and its clubs, when given) and, if that changed anything, withdraw its
    plans not yet sent (`withdraw_plans`), in one transaction; return how many were
    withdrawn. Saving it as it stands withdraws nothing."""
    with transaction.atomic():
        before = _saved(rule.pk)
        rule.save()
        if clubs is not None:
            rule.clubs.set(clubs)
        return withdraw_plans(rule) if before and _saved(rule.pk) != before else 0


def _saved(pk: int | None) -> dict | None:
    """The rule as stored, every column and its clubs; None for a rule not saved yet."""
    stored = Rule.objects.filter(pk=pk).values().first() if pk else None
    if stored is None:
        return None
    clubs = Rule.clubs.through.objects.filter(rule_id=pk).values_list("club_id", flat=True)
    return {**stored, "clubs": set(clubs)}


def withdraw_plans(rule: Rule, *, now: dt.datetime | None = None) -> int:
    """Delete the rule's touchpoints that nothing has been sent for yet; return how many.

    Those are the rows still `scheduled`, and the held-out rows and those failed on their
    template whose due time is still to come: a control group's row stands for a message
    that would have gone, and is decided again with it (the holdout hash is stable, so the
    same members are held out, unless the share changed). Never a row a dispatcher has
    claimed (`sending`) or any row it has decided: one DELETE whose condition is checked
    again on each row it had to wait for, so a row claimed meanwhile stays and goes.

    Call it inside the transaction that saves the change: a dispatcher claiming meanwhile
    skips the rows it locked (SKIP LOCKED), and finds them gone once it commits.
    """
    now = now or clock.now()
    unsendable = Q(status=Status.FAILED, reason=Touchpoint.Reason.TEMPLATE_ERROR)
    not_sent = Q(status=Status.SCHEDULED) | Q(
        Q(status=Status.HELD_OUT) | unsendable, due_at__gt=now
    )
    withdrawn, _ = Touchpoint.objects.filter(not_sent, rule=rule).delete()
    return withdrawn
