"""The any_of lookup: `__in` for long id lists, one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member
from memberships.models import Membership
from tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_what_in_selects():
    members = [MemberFactory() for _ in range(3)]
    wanted = {members[0].pk, members[2].pk}

    with CaptureQueriesContext(connection) as queries:
        found = set(Member.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))

    assert found == wanted
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"]


def test_any_of_on_a_relation_and_with_no_ids():
    membership = MembershipFactory(member=MemberFactory())
    MembershipFactory(member=MemberFactory())

    assert list(Membership.objects.filter(member__any_of=[membership.member_id])) == [membership]
    assert list(Membership.objects.filter(member_id__any_of=[])) == []


def test_any_of_takes_instances_skips_none_and_works_on_text_fields():
    first, second, _ = (MemberFactory() for _ in range(3))

    assert set(Member.objects.filter(pk__any_of=[first, None, second.pk])) == {first, second}
    assert list(Member.objects.filter(email__any_of=[second.email, "nobody@example.com"])) == [
        second
    ]
