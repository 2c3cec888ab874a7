"""Schemathesis generates requests from our OpenAPI schema, in-process: none may end in a 5xx,
and every response must match what the schema documents.

`positive_data_acceptance` is left out: a schema cannot say "a dialable phone number", so
schema-valid nonsense is rightly refused with field errors.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from club.models import Integration
from tests.factories import MemberFactory


@pytest.fixture
def keep_test_connection():
    """Call the WSGI app the way Django's test client does: without closing the connection
    (and with it the test's transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_api_conforms_to_its_schema_and_never_fails(downtown, keep_test_connection):
    from club.wsgi import application

    MemberFactory(home_club=downtown, card_token="CARD-FUZZ")
    _, token = Integration.issue(club=downtown, name="Fuzzer", scopes=["checkin", "members"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4  # POST checkins, GET/POST members, GET members/{id}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def fuzz(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=[positive_data_acceptance],
            )

        fuzz()
