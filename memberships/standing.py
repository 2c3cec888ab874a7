"""Where a member stands at a club on a day, as an SQL expression: the front desk's search
lists the members it would admit before those it would turn away."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower

from club.models import Club
from members.models import Member
from memberships.models import Membership, valid_at

# Best first: a membership in force whose plan admits at the club, one in force at another
# club only, none in force (a lead, an expired or a future member).
HERE, ELSEWHERE, NOT_CURRENT = 0, 1, 2


def current_first(
    members: QuerySet[Member], *, club: Club, day: dt.date, then_by: tuple = ()
) -> QuerySet[Member]:
    """`members` annotated with their `standing` at `club` on `day` (HERE, ELSEWHERE or
    NOT_CURRENT) and ordered by it, then by the `then_by` expressions, then by name. One
    correlated subquery per row, answered by the memberships' (member, -end) index: a member
    holds a handful of memberships."""
    best = (
        Membership.objects.in_force_on(day)
        .filter(member=OuterRef("pk"))
        .annotate(rank=Case(When(valid_at(club), then=Value(HERE)), default=Value(ELSEWHERE)))
        .order_by("rank")
        .values("rank")[:1]
    )
    return members.annotate(
        standing=Coalesce(Subquery(best), Value(NOT_CURRENT), output_field=IntegerField())
    ).order_by(
        # Lower-cased: the database may sort by bytes (C collation), which put every "de Groot"
        # and "van Beek" after "Zwart".
        "standing",
        *then_by,
        Lower("last_name"),
        Lower("first_name"),
        "pk",
    )
