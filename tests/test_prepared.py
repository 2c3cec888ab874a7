"""Statements compiled once (club/prepared.py) return what their queryset would."""

import datetime as dt
import enum

import pytest
from django.db.models import BigIntegerField, CharField, DateField, Exists, OuterRef

from club import clock, prepared
from club.prepared import Param, Prepared
from members.models import MemberEvent
from memberships.models import Freeze, Membership
from tests.factories import FreezeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def memberships_of(member_id, day):
    frozen = Freeze.objects.filter(membership=OuterRef("pk"), start__lte=day, end__gte=day)
    return (
        Membership.objects.filter(member_id=member_id)
        .select_related("plan")
        .annotate(frozen_on_day=Exists(frozen))
        .order_by("-end")
    )


MEMBERSHIPS = Prepared(
    lambda: memberships_of(Param("member", BigIntegerField()), Param("day", DateField()))
)
NAMES = Prepared(
    lambda: (
        Membership.objects.filter(member__first_name=Param("name", CharField()))
        .order_by("pk")
        .values_list("pk", "plan__name")
    )
)


def test_a_prepared_query_returns_what_its_queryset_returns(frozen_clock, maya):
    today = clock.today()
    older = MembershipFactory(member=maya, start=today - dt.timedelta(days=60))
    FreezeFactory(membership=older, start=today, end=today + dt.timedelta(days=3))

    for day in (today, today + dt.timedelta(days=5)):
        expected = list(memberships_of(maya.pk, day))
        got = MEMBERSHIPS.fetch(member=maya.pk, day=day)

        assert [(m.pk, m.end, m.frozen_on_day) for m in got] == [
            (m.pk, m.end, m.frozen_on_day) for m in expected
        ]
        assert [m.plan.name for m in got] == [m.plan.name for m in expected]


def test_a_prepared_query_is_compiled_once_and_reads_the_relations_it_selected(
    maya, django_assert_num_queries
):
    NAMES.fetch(name=maya.first_name)
    compiled = NAMES._compiled["default"]

    # One statement each, and the plans come with the memberships.
    with django_assert_num_queries(2):
        rows = NAMES.fetch(name=maya.first_name)
        memberships = MEMBERSHIPS.fetch(member=maya.pk, day=clock.today())
        assert [m.plan.name for m in memberships] == [name for _, name in rows]

    assert NAMES._compiled["default"] is compiled
    assert rows == [(m.pk, m.plan.name) for m in maya.memberships.order_by("pk")]


def test_insert_writes_the_row_and_sets_its_primary_key(frozen_clock, maya):
    event = prepared.insert(MemberEvent(member=maya, kind="note", at=clock.now(), data={"a": 1}))

    stored = MemberEvent.objects.get(pk=event.pk)
    assert (stored.member_id, stored.kind, stored.at, stored.data) == (
        maya.pk,
        "note",
        clock.now(),
        {"a": 1},
    )
    assert event._state.adding is False


def test_insert_refuses_a_row_that_has_its_primary_key(maya):
    with pytest.raises(ValueError, match="primary key"):
        prepared.insert(MemberEvent(pk=1, member=maya, kind="note", at=clock.now()))


ACTIVE_OF = Prepared(
    lambda: (
        Membership.objects.filter(
            member_id=Param("member", BigIntegerField()), status=Membership.Status.ACTIVE
        )
        .annotate(
            frozen=Exists(
                Freeze.objects.filter(
                    membership__member_id=Param("member", BigIntegerField()),
                    membership=OuterRef("pk"),
                )
            )
        )
        .order_by("pk")
        .values_list("pk", "frozen")
    )
)


def test_a_param_used_twice_takes_its_value_in_both_places(frozen_clock, maya, tom_berg):
    mine = MembershipFactory(member=maya)
    FreezeFactory(membership=mine, start=clock.today(), end=clock.today())
    MembershipFactory(member=tom_berg)

    expected = [(m.pk, m == mine) for m in maya.memberships.filter(status="active").order_by("pk")]
    assert (mine.pk, True) in expected
    assert ACTIVE_OF.fetch(member=maya.pk) == expected
    # Each value is prepared once; the statement holds it twice, and a constant as plain
    # text (an enum member made psycopg search the enum's classes on every execution).
    compiled = ACTIVE_OF._compiled["default"]
    assert sum(isinstance(p, Param) for p in compiled.params) == 2
    assert list(compiled.fields) == ["member"]
    assert "active" in compiled.params
    assert not any(isinstance(p, enum.Enum) for p in compiled.params)


def test_a_param_named_twice_with_different_fields_is_refused():
    query = Prepared(
        lambda: Membership.objects.filter(
            member_id=Param("value", BigIntegerField()), status=Param("value", CharField())
        )
    )
    with pytest.raises(TypeError, match="different fields"):
        query.fetch(value=1)


def test_an_inserted_row_stores_an_enum_member_as_its_value(frozen_clock, maya):
    event = prepared.insert(
        MemberEvent(member=maya, kind=MemberEvent.Kind.NOTE, at=clock.now(), data={})
    )
    assert MemberEvent.objects.filter(pk=event.pk, kind="note").exists()


@pytest.mark.django_db(transaction=True)
def test_statements_run_on_after_the_connection_is_closed_and_opened_anew(maya):
    from django.db import connection

    before = {m.pk for m in MEMBERSHIPS.fetch(member=maya.pk, day=clock.today())}
    membership = MembershipFactory(member=maya)
    # The reused cursor belongs to the closed connection; the next statement opens another.
    connection.close()
    after = {m.pk for m in MEMBERSHIPS.fetch(member=maya.pk, day=clock.today())}
    assert after == before | {membership.pk}
    event = prepared.insert(MemberEvent(member=maya, kind="note", at=clock.now(), data={}))
    assert MemberEvent.objects.filter(pk=event.pk).exists()


def test_insert_pair_writes_both_rows_the_second_naming_the_first(frozen_clock, maya, downtown):
    from checkin.models import Visit

    visit, event = prepared.insert_pair(
        Visit(member=maya, club=downtown, at=clock.now(), source="desk"),
        MemberEvent(member=maya, kind="visit", at=clock.now(), data={"source": "desk"}),
        pk_into=("data", "visit"),
    )

    assert Visit.objects.filter(pk=visit.pk, member=maya, club=downtown).exists()
    stored = MemberEvent.objects.get(pk=event.pk)
    assert stored.data == {"source": "desk", "visit": visit.pk}
    assert event.data == stored.data
    assert (visit._state.adding, event._state.adding) == (False, False)


def test_insert_pair_refuses_rows_that_have_their_keys_or_a_key_not_a_name(maya, downtown):
    from checkin.models import Visit

    def pair(visit_pk=None, key="visit"):
        return prepared.insert_pair(
            Visit(pk=visit_pk, member=maya, club=downtown, at=clock.now(), source="desk"),
            MemberEvent(member=maya, kind="visit", at=clock.now(), data={}),
            pk_into=("data", key),
        )

    with pytest.raises(ValueError, match="assigns the keys"):
        pair(visit_pk=1)
    with pytest.raises(ValueError, match="plain name"):
        pair(key="visit'); DROP TABLE x; --")
    with pytest.raises(ValueError, match="not a JSON field"):
        prepared.insert_pair(
            Visit(member=maya, club=downtown, at=clock.now(), source="desk"),
            MemberEvent(member=maya, kind="visit", at=clock.now(), data={}),
            pk_into=("kind", "visit"),
        )
    assert not MemberEvent.objects.filter(member=maya, kind="visit").exists()
