"""Changing a playbook rule, and what a change means for the outbox.

The evaluator writes a rule's touchpoints up to eight days ahead (evaluator.LOOKAHEAD), each
with its text, send time, channel and holdout decided by the rule as it was then, and the
unique (rule, member, occurrence) key keeps it from writing them again. So a saved change
withdraws the rule's plans not yet sent, in the save's own transaction, and the next
evaluation writes them again under the rule as it now is; a rule switched off writes none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Q, Value, When

from campaigns.models import Rule, Touchpoint
from club import clock
from club.models import Club

Status = Touchpoint.Status


def save(rule: Rule, *, clubs: Iterable[Club] | None = None) -> int:
    """Save `rule` (and its clubs, when given) and, if that changed anything, withdraw its
    plans not yet sent (`withdraw_plans`), in one transaction; return how many were
    withdrawn. Saving it as it stands withdraws nothing, and the sweep
    (`withdraw_changed`) finds nothing left to do for this save."""
    with transaction.atomic():
        before = _stored_states(rule.pk) if rule.pk else []
        rule.save()
        if clubs is not None:
            rule.clubs.set(clubs)
        return _withdraw_if_changed(rule.pk, since=fingerprint(before[0][2]) if before else "")


def withdraw_changed(*, now: dt.datetime | None = None) -> int:
    """Withdraw the plans of every rule changed since its plans were written, however it was
    changed: a model save in a shell, a queryset update in a data migration or an admin
    action. The evaluator's full run and the dispatcher's call it before they write or claim
    anything, so no message goes under a rule that no longer says so (the prompt lane, every
    few seconds, writes under the rule as it is and leaves the sweep to them). Three queries
    when nothing changed; return how many touchpoints were withdrawn.

    Safe to run twice, and beside the editor's save: each rule is compared and marked under
    its row lock, so a change is withdrawn once."""
    states = [(pk, planned_as, fingerprint(state)) for pk, planned_as, state in _stored_states()]
    # Rules seen for the first time (new, or from before the mark) are marked, in one UPDATE
    # that leaves any the editor marked meanwhile alone; there is nothing to compare them with.
    unseen = {pk: now_as for pk, planned_as, now_as in states if not planned_as}
    if unseen:
        Rule.objects.filter(pk__in=unseen, planned_as="").update(
            planned_as=Case(*(When(pk=pk, then=Value(v)) for pk, v in unseen.items()))
        )
    changed = [pk for pk, planned_as, now_as in states if planned_as and planned_as != now_as]
    return sum(_withdraw_if_changed(pk, now=now) for pk in changed)


def fingerprint(state: dict) -> str:
    """A digest of what decides a rule's messages: every column but its number, its name and
    this mark, and its clubs."""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


IGNORED = ("id", "number", "name", "planned_as")


def _stored_states(pk: int | None = None) -> list[tuple[int, str, dict]]:
    """(pk, planned_as, what decides its messages) of each rule as stored, or of the one
    with `pk`: two queries."""
    rules = Rule.objects.all() if pk is None else Rule.objects.filter(pk=pk)
    rows = list(rules.order_by("pk").values())
    clubs: dict[int, list[int]] = {row["id"]: [] for row in rows}
    through = Rule.clubs.through.objects.filter(rule_id__in=clubs).order_by("club_id")
    for rule_id, club_id in through.values_list("rule_id", "club_id"):
        clubs[rule_id].append(club_id)
    return [
        (
            row["id"],
            row["planned_as"],
            {k: v for k, v in row.items() if k not in IGNORED} | {"clubs": clubs[row["id"]]},
        )
        for row in rows
    ]


def _withdraw_if_changed(pk: int, *, since: str = "", now: dt.datetime | None = None) -> int:
    """Under the rule's row lock: if it changed since its plans were written, withdraw them
    and mark it as it now is. A rule not marked yet (new, or from before the mark existed) is
    compared with `since`, the editor's rule before its save; the sweep has none and only
    marks it."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().filter(pk=pk).first()
        if rule is None:
            return 0
        [(_, planned_as, state)] = _stored_states(pk)
        now_as = fingerprint(state)
        if planned_as != now_as:
            Rule.objects.filter(pk=pk).update(planned_as=now_as)
        baseline = planned_as or since
        return withdraw_plans(rule, now=now) if baseline and baseline != now_as else 0


def withdraw_plans(rule: Rule, *, now: dt.datetime | None = None) -> int:
    """Delete the rule's touchpoints that nothing has been sent for yet; return how many.

    Those are the rows still `scheduled` or `holding` (held out, not decided yet: a control
    group's row stands for a message that would have gone, and is decided again with it;
    the holdout hash is stable, so the same members are held out, unless the share
    changed), and those failed on their template whose due time is still to come. A
    `held_out` row was decided at its send time, like a sent one, and stays. Never a row a
    dispatcher has claimed (`sending`) or any row it has decided: one DELETE whose condition
    is checked again on each row it had to wait for, so a row claimed meanwhile stays and
    goes.

    Call it inside the transaction that saves the change: a dispatcher claiming meanwhile
    skips the rows it locked (SKIP LOCKED), and finds them gone once it commits.
    """
    now = now or clock.now()
    unsendable = Q(status=Status.FAILED, reason=Touchpoint.Reason.TEMPLATE_ERROR)
    not_sent = Q(status__in=[Status.SCHEDULED, Status.HOLDING]) | Q(unsendable, due_at__gt=now)
    withdrawn, _ = Touchpoint.objects.filter(not_sent, rule=rule).delete()
    return withdrawn
