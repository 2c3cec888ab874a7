"""Schemathesis generates requests from our OpenAPI schema, in-process: none may end in a 5xx,
and every response must match what the schema documents.

`positive_data_acceptance` is left out: a schema cannot say "a dialable phone number", so
schema-valid nonsense is rightly refused with field errors.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from club.models import Integration
from tests.factories import MemberFactory


def test_api_conforms_to_its_schema_and_never_fails(downtown):
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
