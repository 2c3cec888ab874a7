"""The REST API: turnstile check-ins and website member lookup, with token scopes."""

import datetime as dt

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from checkin.models import CheckInAttempt, Visit
from club import clock
from club.models import Integration
from members.models import ConsentLog, Member, MemberEvent
from tests.factories import MemberFactory, MembershipFactory


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def turnstile_token(downtown):
    _, token = Integration.issue(club=downtown, name="Main entrance", scopes=["checkin"])
    return token


@pytest.fixture
def website_token(downtown):
    _, token = Integration.issue(club=downtown, name="Website", scopes=["members"])
    return token


def checkin(client, token, **body):
    return client.post(
        reverse("api:checkins"), body, content_type="application/json", **bearer(token)
    )


def test_turnstile_admits_a_member_by_card(client, frozen_clock, maya, turnstile_token):
    response = checkin(client, turnstile_token, card="MAYA-0001")

    assert response.status_code == 200
    visit = Visit.objects.get(member=maya)
    assert response.json() == {
        "allowed": True,
        "reason": None,
        "member": {"id": maya.pk, "first_name": "Maya", "photo_url": None},
        "visit_id": visit.pk,
        "repeat_scan": False,
    }
    assert visit.source == "turnstile"


def test_a_reader_sending_lower_case_hex_finds_the_card(
    client, frozen_clock, maya, turnstile_token
):
    response = checkin(client, turnstile_token, card="maya-0001")

    assert response.status_code == 200
    assert response.json()["allowed"] is True


def test_repeat_scan_returns_the_same_visit(client, frozen_clock, maya, turnstile_token):
    first = checkin(client, turnstile_token, card="MAYA-0001").json()
    second = checkin(client, turnstile_token, member_id=maya.pk).json()

    assert second["visit_id"] == first["visit_id"]
    assert second["repeat_scan"] is True


def test_turnstile_denies_an_expired_member_with_the_reason(
    client, frozen_clock, downtown, turnstile_token
):
    member = MemberFactory(home_club=downtown, first_name="Tom", card_token="TOM-1")
    MembershipFactory(member=member, start=clock.today(downtown) - dt.timedelta(days=60))

    response = checkin(client, turnstile_token, card="TOM-1")

    assert response.status_code == 200
    assert response.json()["allowed"] is False
    assert response.json()["reason"] == "expired"
    assert response.json()["visit_id"] is None


def test_the_turnstile_works_with_the_cache_server_down(
    client, frozen_clock, maya, turnstile_token, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    for operation in ("get", "set", "delete"):
        monkeypatch.setattr(cache, operation, down)

    response = checkin(client, turnstile_token, card="MAYA-0001")

    assert response.status_code == 200 and response.json()["allowed"] is True
    assert "token cache unavailable" in caplog.text


def test_unknown_card_is_404_with_a_reason_code(client, db, turnstile_token):
    response = checkin(client, turnstile_token, card="NOPE")

    assert response.status_code == 404
    assert response.json()["reason"] == "unknown_card"
    assert response.json()["allowed"] is False


def test_a_member_id_of_another_club_is_an_unknown_member_and_writes_nothing(
    client, frozen_clock, riverside, turnstile_token
):
    # given Rita, a Riverside member whose membership has ended, and Downtown's turnstile
    rita = MemberFactory(home_club=riverside, first_name="Rita", card_token="RITA-1")
    MembershipFactory(member=rita, start=clock.today(riverside) - dt.timedelta(days=60))

    # when the turnstile sends her (sequential, guessable) id
    response = checkin(client, turnstile_token, member_id=rita.pk)

    # then she is nobody here: no name, no denial on her timeline (nor its "renew" SMS)
    assert response.status_code == 404
    assert response.json() == {
        "allowed": False,
        "reason": "unknown_member",
        "member": None,
        "visit_id": None,
        "repeat_scan": False,
    }
    assert not CheckInAttempt.objects.exists()
    assert not rita.events.exists()


def test_another_club_s_card_is_still_answered_for(
    client, frozen_clock, riverside, turnstile_token
):
    # A card in hand is a real visitor (the desk's "another club's card" answer).
    rita = MemberFactory(home_club=riverside, first_name="Rita", card_token="RITA-1")
    MembershipFactory(member=rita, start=clock.today(riverside) - dt.timedelta(days=60))

    response = checkin(client, turnstile_token, card="RITA-1")

    assert response.status_code == 200
    assert (response.json()["allowed"], response.json()["member"]["first_name"]) == (False, "Rita")
    assert CheckInAttempt.objects.get().member == rita


def test_an_unknown_member_id_is_404_with_a_reason_code(client, db, turnstile_token):
    response = checkin(client, turnstile_token, member_id=999999)

    assert response.status_code == 404
    assert response.json()["reason"] == "unknown_member"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"card": "A", "member_id": 1}, "non_field_errors"),
        ({"member_id": "abc"}, "member_id"),
        ({"member_id": 0}, "member_id"),
        ({"member_id": 2**63}, "member_id"),
        ({"member_id": 10**40}, "member_id"),
        ({"card": ""}, "card"),
    ],
)
def test_bad_check_in_bodies_get_field_errors(client, db, turnstile_token, body, field):
    response = checkin(client, turnstile_token, **body)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "body_for",
    [
        pytest.param(lambda maya: {"card": " MAYA-0001 "}, id="padded-card"),
        pytest.param(lambda maya: {"card": "MAYA-0001", "gate": 3}, id="unknown-key"),
        pytest.param(lambda maya: {"member_id": str(maya.pk)}, id="member-id-as-text"),
    ],
)
def test_bodies_off_the_fast_path_are_read_as_the_serializer_reads_them(
    client, frozen_clock, maya, turnstile_token, body_for
):
    body = body_for(maya)

    response = checkin(client, turnstile_token, **body)

    assert response.status_code == 200
    assert response.json()["member"]["id"] == maya.pk


def test_check_in_takes_json_only(client, db, maya, turnstile_token):
    response = client.post(
        reverse("api:checkins"), {"card": "MAYA-0001"}, **bearer(turnstile_token)
    )

    assert response.status_code == 415
    assert not Visit.objects.exists()


def test_check_in_still_negotiates_what_it_answers(client, db, maya, turnstile_token):
    response = client.post(
        reverse("api:checkins"),
        {"card": "MAYA-0001"},
        content_type="application/json",
        HTTP_ACCEPT="text/html",
        **bearer(turnstile_token),
    )

    assert response.status_code == 406


def test_malformed_json_is_400(client, db, turnstile_token):
    response = client.post(
        reverse("api:checkins"),
        "{not json",
        content_type="application/json",
        **bearer(turnstile_token),
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "headers", [{}, {"HTTP_AUTHORIZATION": "Bearer cc_wrong"}, {"HTTP_AUTHORIZATION": "Bearer"}]
)
def test_check_in_needs_a_valid_token(client, db, maya, headers):
    response = client.post(
        reverse("api:checkins"), {"card": "MAYA-0001"}, content_type="application/json", **headers
    )

    assert response.status_code == 401
    assert not Visit.objects.exists()


def test_revoked_token_is_refused(client, db, maya, downtown):
    integration, token = Integration.issue(club=downtown, name="Old gate", scopes=["checkin"])
    integration.is_active = False
    integration.save()

    assert checkin(client, token, card="MAYA-0001").status_code == 401


def test_a_token_revoked_after_use_is_refused_at_once(client, frozen_clock, maya, downtown):
    integration, token = Integration.issue(club=downtown, name="Old gate", scopes=["checkin"])
    assert checkin(client, token, card="MAYA-0001").status_code == 200  # now cached

    integration.is_active = False
    integration.save()

    assert checkin(client, token, card="MAYA-0001").status_code == 401


def test_a_scope_taken_away_after_use_is_refused_at_once(client, frozen_clock, maya, downtown):
    integration, token = Integration.issue(club=downtown, name="Gate", scopes=["checkin"])
    assert checkin(client, token, card="MAYA-0001").status_code == 200

    integration.scopes = ["members"]
    integration.save()

    assert checkin(client, token, card="MAYA-0001").status_code == 403


def test_last_used_is_written_at_most_once_a_minute(client, frozen_clock, maya, downtown):
    integration, token = Integration.issue(club=downtown, name="Gate", scopes=["checkin"])
    checkin(client, token, card="MAYA-0001")
    first_use = clock.now()

    frozen_clock.shift(dt.timedelta(seconds=30))
    checkin(client, token, card="MAYA-0001")
    integration.refresh_from_db()
    assert integration.last_used_at == first_use

    frozen_clock.shift(dt.timedelta(seconds=31))
    checkin(client, token, card="MAYA-0001")
    integration.refresh_from_db()
    assert integration.last_used_at == clock.now()


def test_a_turnstile_check_in_takes_five_statements(
    client, frozen_clock, maya, downtown, turnstile_token, django_assert_num_queries
):
    other = MemberFactory(home_club=downtown, card_token="OTHER-0001")
    MembershipFactory(member=other, plan=maya.memberships.get().plan)
    # The first call reads the token and stamps its last use; the next reads it afresh and
    # caches it until the stamp is a minute old.
    checkin(client, turnstile_token, card="MAYA-0001")
    checkin(client, turnstile_token, card="MAYA-0001")

    # The check-in's transaction (a savepoint here, inside the test's): lock and read the
    # member; read the memberships, with the last visit (for a repeat scan) and whether a
    # class is due to be marked attended; insert the visit and its timeline event, in one
    # statement. No statement for the token, none after the transaction when no class is due.
    with django_assert_num_queries(5):
        response = checkin(client, turnstile_token, card="OTHER-0001")

    assert response.json()["allowed"] is True


def test_turnstile_token_can_do_nothing_else(client, db, maya, turnstile_token):
    assert client.get(reverse("api:members"), **bearer(turnstile_token)).status_code == 403
    assert (
        client.get(reverse("api:member", args=[maya.pk]), **bearer(turnstile_token)).status_code
        == 403
    )
    assert (
        client.post(
            reverse("api:members"),
            {"first_name": "X", "email": "x@example.com"},
            **bearer(turnstile_token),
        ).status_code
        == 403
    )


def test_website_token_cannot_check_in(client, db, maya, website_token):
    assert checkin(client, website_token, card="MAYA-0001").status_code == 403
    assert not Visit.objects.exists()


def test_member_search_is_scoped_to_the_integration_club(
    client, db, maya, riverside, website_token
):
    MemberFactory(home_club=riverside, first_name="Maya", last_name="Riverside")

    response = client.get(reverse("api:members"), {"q": "maya"}, **bearer(website_token))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [maya.pk]


def test_member_search_with_a_nul_character_is_a_field_error(client, db, maya, website_token):
    response = client.get(reverse("api:members"), {"q": "ma\x00ya"}, **bearer(website_token))

    assert response.status_code == 400
    assert "q" in response.json()


@pytest.mark.parametrize("params", [{"search": "maya"}, {"email": "x@y.z", "mail": "x"}])
def test_an_unknown_member_filter_is_a_400_naming_it(client, db, maya, website_token, params):
    # It used to be ignored, answering every member: the first one someone else.
    response = client.get(reverse("api:members"), params, **bearer(website_token))

    assert response.status_code == 400
    body = response.json()
    assert body["unknown"] == sorted(set(params) - {"email"})
    assert body["allowed"] == ["after_id", "email", "limit", "offset", "q", "updated_since"]


def test_a_website_finds_a_person_by_exact_email_in_any_case(
    client, db, maya, downtown, website_token
):
    maya.email = "maya@example.com"
    maya.save()
    # A longer address that starts the same is someone else.
    MemberFactory(home_club=downtown, email="maya@example.com.au")

    response = client.get(
        reverse("api:members"), {"email": "Maya@Example.COM"}, **bearer(website_token)
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [maya.pk]


def test_an_email_no_member_has_finds_nobody(client, db, maya, website_token):
    response = client.get(
        reverse("api:members"), {"email": "nobody@example.com"}, **bearer(website_token)
    )

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_a_blank_or_malformed_email_filter_is_a_field_error(client, db, maya, website_token, email):
    response = client.get(reverse("api:members"), {"email": email}, **bearer(website_token))

    assert response.status_code == 400
    assert "email" in response.json()


def test_another_clubs_integration_finds_nobody_by_email(client, db, maya, riverside):
    maya.email = "maya@example.com"
    maya.save()
    _, token = Integration.issue(club=riverside, name="Riverside site", scopes=["members"])

    response = client.get(reverse("api:members"), {"email": maya.email}, **bearer(token))

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_and_email_filter_together_with_pages(client, db, maya, downtown, website_token):
    maya.email = "maya@example.com"
    maya.save()
    MemberFactory(home_club=downtown, first_name="Maya", email="other@example.com")

    response = client.get(
        reverse("api:members"),
        {"q": "maya", "email": "maya@example.com", "limit": 5, "offset": 0},
        **bearer(website_token),
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [maya.pk]


def test_member_pages_are_cut_to_200_however_large_the_limit(client, db, downtown, website_token):
    MemberFactory.create_batch(3, home_club=downtown)

    response = client.get(
        reverse("api:members"), {"limit": 10**25, "offset": 1}, **bearer(website_token)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert "limit=200" in body["previous"]  # the page was cut to 200


def test_member_of_another_club_is_404(client, db, riverside, website_token):
    stranger = MemberFactory(home_club=riverside)

    assert (
        client.get(reverse("api:member", args=[stranger.pk]), **bearer(website_token)).status_code
        == 404
    )


def test_website_creates_a_lead_with_consent(client, frozen_clock, downtown, website_token):
    body = {
        "first_name": "Lena",
        "last_name": "Vos",
        "email": "lena@example.com",
        "phone": "06 11122233",
        "sms_consent": True,
        "consent_wording": "Text me about my trial.",
    }

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 201
    lead = Member.objects.get(pk=response.json()["id"])
    assert (lead.status, lead.source, str(lead.phone), lead.sms_consent, lead.email_consent) == (
        "lead",
        "website",
        "+31611122233",
        True,
        False,
    )
    log = ConsentLog.objects.get(member=lead)
    assert (log.channel, log.granted, log.wording, log.source) == (
        "sms",
        True,
        "Text me about my trial.",
        "api:Website",
    )
    assert lead.events.filter(kind=MemberEvent.Kind.LEAD_CREATED).count() == 1


def test_known_person_is_not_duplicated(client, frozen_clock, maya, website_token):
    body = {"first_name": "Maya", "last_name": "JANSEN", "email": "MAYA.JANSEN@example.com"}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 200
    assert response.json()["id"] == maya.pk
    assert Member.objects.count() == 1


def test_a_known_phone_with_another_name_is_a_new_lead(client, frozen_clock, maya, website_token):
    body = {"first_name": "Tina", "phone": "06 12345678", "email_consent": False}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 201
    assert response.json()["id"] != maya.pk
    assert response.json()["first_name"] == "Tina"
    tina = Member.objects.get(pk=response.json()["id"])
    assert tina.events.get(kind=MemberEvent.Kind.SAME_PHONE).data == {
        "same_phone_as": [maya.pk],
        "more": False,
    }


def test_a_known_phone_with_the_same_name_is_the_known_person(
    client, frozen_clock, maya, website_token
):
    body = {"first_name": "maya", "last_name": "JANSEN", "phone": "+31612345678"}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 200
    assert response.json()["id"] == maya.pk
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com"}, "first_name"),
        ({"first_name": "A"}, "non_field_errors"),
        ({"first_name": "A", "email": "not-an-email"}, "email"),
        (
            {
                "first_name": "A",
                "email": f"{'a' * 64}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 60}.nl",
            },
            "email",
        ),
        ({"first_name": "A", "phone": "12"}, "phone"),
        ({"first_name": "A", "email": "a@example.com", "sms_consent": True}, "sms_consent"),
    ],
)
def test_bad_leads_get_field_errors_and_nothing_is_saved(client, db, website_token, body, field):
    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 400
    assert field in response.json()
    assert not Member.objects.exists()


def test_schema_documents_exactly_our_api(client, db):
    response = client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    assert set(response.json()["paths"]) == {
        "/api/v1/checkins",
        "/api/v1/members",
        "/api/v1/members/{id}",
    }


def test_a_person_another_club_knows_is_a_409_and_nothing_is_saved(
    client, frozen_clock, riverside, website_token
):
    # given Rita, a Riverside member, and Downtown's website token
    rita = MemberFactory(home_club=riverside, first_name="Rita", email="rita@example.com")
    body = {"first_name": "Rita", "email": "RITA@example.com", "email_consent": True}

    # when Downtown's website sends her address
    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    # then no second record, no consent, and the answer does not say which club knows her
    assert response.status_code == 409
    assert response.json() == {
        "code": "known_elsewhere",
        "detail": "This person is already registered at another club of the chain, so no lead "
        "was registered here: the chain keeps one record per person. Ask them to contact the "
        "club they joined, or this club's front desk.",
    }
    assert list(Member.objects.values_list("pk", flat=True)) == [rita.pk]
    assert not ConsentLog.objects.exists()


def test_a_lead_with_only_a_shared_phone_elsewhere_is_still_a_new_lead(
    client, frozen_clock, riverside, website_token
):
    # A phone alone is no identity, here as at the desk.
    MemberFactory(home_club=riverside, first_name="Rita", phone="+31611122233")
    body = {"first_name": "Lena", "phone": "06 11122233"}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 201
    assert Member.objects.get(pk=response.json()["id"]).home_club.slug == "downtown"


def test_a_lead_with_no_contact_gets_the_desks_words(client, db, website_token):
    response = client.post(
        reverse("api:members"),
        {"first_name": "Ana", "email": "", "phone": ""},
        content_type="application/json",
        **bearer(website_token),
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Give a phone number or an email, so we can reach them."]
    }
    assert not Member.objects.exists()


def test_the_schema_documents_the_409(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    responses = schema["paths"]["/api/v1/members"]["post"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KnownElsewhereError"
    }
    assert schema["components"]["schemas"]["KnownElsewhereCodeEnum"]["enum"] == [
        "known_elsewhere",
        "email_of_another",
    ]


def test_the_schema_lists_every_check_in_reason_with_its_meaning(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    reasons = schema["components"]["schemas"]["CheckInReasonEnum"]
    assert reasons["enum"] == [*CheckInAttempt.Reason.values, "unknown_card", "unknown_member"]
    assert "* `frozen` - The membership is frozen today." in reasons["description"]
    reason = schema["components"]["schemas"]["CheckInResponse"]["properties"]["reason"]
    assert reason["oneOf"] == [
        {"$ref": "#/components/schemas/CheckInReasonEnum"},
        {"$ref": "#/components/schemas/NullEnum"},
    ]


def test_the_check_in_schema_lets_a_turnstile_send_other_keys(client, db):
    # The view ignores a door's id beside the card (unknown-key above): the schema says so
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    body = schema["paths"]["/api/v1/checkins"]["post"]["requestBody"]["content"]
    request = body["application/json"]["schema"]
    assert "Other keys" in request["description"]
    assert [branch["required"] for branch in request["oneOf"]] == [["card"], ["member_id"]]
    assert not any("additionalProperties" in branch for branch in request["oneOf"])


@pytest.mark.parametrize(
    ("name", "prefix"),
    [("checkins", '{"card": '), ("members", '{"first_name": "Ana", "email": ')],
)
def test_json_nested_too_deeply_is_a_400_parse_error(
    client, db, turnstile_token, website_token, name, prefix
):
    token = turnstile_token if name == "checkins" else website_token
    body = prefix + "[" * 100_000 + "]" * 100_000 + "}"

    response = client.post(
        reverse(f"api:{name}"), body, content_type="application/json", **bearer(token)
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}
    assert not Member.objects.exists() and not CheckInAttempt.objects.exists()


@pytest.mark.parametrize("name", ["checkins", "members"])
def test_json_nested_a_little_is_read_as_ever(client, db, turnstile_token, website_token, name):
    token = turnstile_token if name == "checkins" else website_token
    body = '{"card": [[["A"]]]}' if name == "checkins" else '{"first_name": [[["A"]]]}'

    response = client.post(
        reverse(f"api:{name}"), body, content_type="application/json", **bearer(token)
    )

    # A field error from the serializer, not a parse error.
    assert response.status_code == 400
    assert "detail" not in response.json()


@pytest.mark.parametrize(
    ("phone", "kind"),
    [("+31201234567", "a landline"), ("+319001234567", "a premium-rate number")],
)
def test_sms_consent_with_a_number_texts_do_not_reach_is_a_field_error(
    client, db, website_token, phone, kind
):
    body = {"first_name": "Ana", "phone": phone, "sms_consent": True}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 400
    assert response.json() == {
        "sms_consent": [
            f"SMS consent needs a mobile number: this is {kind}, which texts do not reach."
        ]
    }
    assert not Member.objects.exists()


@pytest.mark.parametrize("phone", ["+31612345678", "+12015550123"])
def test_sms_consent_with_a_mobile_or_a_number_of_either_kind_is_taken(
    client, frozen_clock, db, website_token, phone
):
    # A Dutch mobile, and a US number (which may be a landline or a mobile) pass.
    body = {"first_name": "Ana", "phone": phone, "sms_consent": True}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 201
    assert Member.objects.get().sms_consent is True


def test_a_consent_wording_over_1000_characters_is_a_field_error(client, db, website_token):
    body = {"first_name": "Ana", "email": "ana@example.com", "consent_wording": "x" * 1001}

    response = client.post(
        reverse("api:members"), body, content_type="application/json", **bearer(website_token)
    )

    assert response.status_code == 400
    assert response.json() == {
        "consent_wording": ["Ensure this field has no more than 1000 characters."]
    }
    assert not Member.objects.exists()


def test_a_consent_wording_of_1000_characters_is_kept(client, frozen_clock, db, website_token):
    body = {"first_name": "Ana", "email": "ana@example.com", "email_consent": True}

    response = client.post(
        reverse("api:members"),
        {**body, "consent_wording": "x" * 1000},
        content_type="application/json",
        **bearer(website_token),
    )

    assert response.status_code == 201
    assert ConsentLog.objects.get().wording == "x" * 1000


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=ten", "limit", "A valid integer is required."),
        ("limit=-1", "limit", "Ensure this value is greater than or equal to 1."),
        ("limit=0", "limit", "Ensure this value is greater than or equal to 1."),
        ("offset=-5", "offset", "Ensure this value is greater than or equal to 0."),
        ("offset=1.5", "offset", "A valid integer is required."),
        (f"offset={2**63}", "offset", f"Ensure this value is less than or equal to {2**63 - 1}."),
        ("limit=5&limit=6", "limit", "Give this parameter once."),
        ("email=maya.jansen@example.com&email=x@example.com", "email", "Give this parameter once."),
    ],
)
def test_bad_or_repeated_list_parameters_are_field_errors(
    client, db, maya, website_token, query, field, message
):
    response = client.get(f"{reverse('api:members')}?{query}", **bearer(website_token))

    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_good_limit_and_offset_still_page(client, frozen_clock, downtown, website_token):
    MemberFactory.create_batch(3, home_club=downtown)

    response = client.get(f"{reverse('api:members')}?limit=2&offset=1", **bearer(website_token))

    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (3, 2)
    big = client.get(f"{reverse('api:members')}?limit=5000", **bearer(website_token))
    assert big.status_code == 200  # cut to 200, as ever
