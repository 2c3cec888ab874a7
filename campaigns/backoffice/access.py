"""Who may change which rule: the one rule every lifecycle view, form and template asks.

A rule applies at its ticked clubs, or at every club when none is ticked (chain-wide).
Staff see and act only in the clubs they work at, so they may change a rule (its texts,
timing, clubs, on/off) only when every club it applies at is one of theirs: a chain-wide
rule only when they work at every club. Everyone else with lifecycle access sees the rules
that apply at one of their clubs read-only.
"""

from __future__ import annotations

from collections.abc import Iterable

from club.admin_access import clubs_for
from club.models import Club


class RuleRights:
    """One staff member's rights over rules, with their clubs read once, so a list of rules
    asks no query per rule (prefetch the rules' clubs)."""

    def __init__(self, user):
        self.user = user
        self.every = list(Club.objects.order_by("name"))
        if user.is_superuser:
            self.mine = {club.pk for club in self.every}
        else:
            self.mine = set(clubs_for(user).values_list("pk", flat=True))

    @property
    def works_everywhere(self) -> bool:
        """Whether the user may have a rule apply at every club (none ticked)."""
        return not self.outside(self.every)

    def applies_at(self, rule) -> list[Club]:
        ticked = sorted(rule.clubs.all(), key=lambda club: club.name) if rule.pk else []
        return ticked or self.every

    def outside(self, clubs: Iterable[Club]) -> list[Club]:
        """The clubs among `clubs` the user does not work at."""
        return [club for club in clubs if club.pk not in self.mine]

    def elsewhere(self, rule) -> list[Club]:
        """The clubs the rule applies at where the user does not work."""
        return self.outside(self.applies_at(rule))

    def can_change(self, rule) -> bool:
        return not self.elsewhere(rule)

    def view_only_note(self, rule) -> str:
        """Why the user may not change the rule ("" when they may)."""
        if not (elsewhere := self.elsewhere(rule)):
            return ""
        names = " and ".join(
            filter(None, [", ".join(c.name for c in elsewhere[:-1]), elsewhere[-1].name])
        )
        return (
            f"This rule also applies at {names}, where you do not work: only staff of every "
            "club it applies to can change it."
        )


def can_change_rule(user, rule) -> bool:
    """Whether the user may change the rule: every club it applies at is one of theirs."""
    return RuleRights(user).can_change(rule)


def segment_clubs_outside(rights: RuleRights, segment) -> list[Club]:
    """The clubs a segment covers where the user does not work: a segment (and its
    campaigns) may be changed, scheduled or cancelled only by staff of every club it covers,
    as a rule only by staff of every club it applies at. Prefetch the segment's clubs."""
    return rights.outside(sorted(segment.clubs.all(), key=lambda club: club.name))


def segment_note(rights: RuleRights, segment, *, what: str = "segment") -> str:
    """Why the user may not change the segment or campaign ("" when they may)."""
    if not (elsewhere := segment_clubs_outside(rights, segment)):
        return ""
    names = " and ".join(
        filter(None, [", ".join(c.name for c in elsewhere[:-1]), elsewhere[-1].name])
    )
    return (
        f"This {what} also covers {names}, where you do not work: only staff of every club "
        "it covers can change it."
    )
