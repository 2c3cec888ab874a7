"""Check-in endpoint for turnstiles and card readers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from checkin import checkins
from checkin.models import CheckInAttempt, Source, Visit
from club.api import AUTH_ERRORS, FIELD_ERRORS, IntegrationAPIView
from club.models import Integration
from club.parsers import JSONParser

# Member ids are PostgreSQL bigints: a larger number names nobody, and the database would
# refuse to compare it (a 500 where a field error belongs).
MEMBER_ID_MAX = 2**63 - 1


class CheckInRequest(serializers.Serializer):
    """What a turnstile sends; see plain_lookup() for the fast path of the common case."""

    card = serializers.CharField(required=False, max_length=64, allow_blank=False)
    member_id = serializers.IntegerField(required=False, min_value=1, max_value=MEMBER_ID_MAX)

    def validate(self, data):
        if ("card" in data) == ("member_id" in data):
            raise serializers.ValidationError("Send exactly one of `card` or `member_id`.")
        return data


def plain_lookup(data) -> dict | None:
    """The validated lookup when the body is what turnstiles send — `{"card": "<token>"}`
    or `{"member_id": <n>}` and nothing else, already in the form CheckInRequest would
    give back — else None, and CheckInRequest decides (and words any error). Building the
    serializer's fields cost more than a tenth of a scan."""
    if type(data) is not dict or len(data) != 1:
        return None
    if type(card := data.get("card")) is str:
        # A subset of what CharField accepts: trimmed, printable ASCII (no NUL, no
        # surrogates), not blank, at most 64 characters.
        ok = 0 < len(card) <= 64 and card.isascii() and card.isprintable() and card == card.strip()
        return {"card": card} if ok else None
    if type(member_id := data.get("member_id")) is int and 1 <= member_id <= MEMBER_ID_MAX:
        return {"member_id": member_id}
    return None


class TurnstileNegotiation(DefaultContentNegotiation):
    """JSON without parsing the Accept header when it is absent, */* or application/json
    (what turnstiles send) and no ?format= is given; anything else is negotiated as usual."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            accept in ("*/*", "application/json")
            and not format_suffix
            and not request.META.get("QUERY_STRING")
            and isinstance(renderers[0], JSONRenderer)
        ):
            return renderers[0], "application/json"
        return super().select_renderer(request, renderers, format_suffix)


# Exactly one of the two keys: the schema says so, so generated clients and fuzzers know.
# Other keys are ignored, as DRF ignores them: a turnstile that also sends its door's id
# must not be refused at the door.
CHECK_IN_REQUEST_SCHEMA = {
    "type": "object",
    "description": "A card or a member id. Other keys (a door or reader id) are ignored.",
    "oneOf": [
        {
            "title": "By card",
            "type": "object",
            "properties": {"card": {"type": "string", "minLength": 1, "maxLength": 64}},
            "required": ["card"],
        },
        {
            "title": "By member id",
            "type": "object",
            "properties": {
                "member_id": {"type": "integer", "minimum": 1, "maximum": MEMBER_ID_MAX}
            },
            "required": ["member_id"],
        },
    ],
}


class CheckedInMember(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    photo_url = serializers.CharField(allow_null=True)


# Every `reason` a check-in answers with, and what it means: the denials the service records
# (CheckInAttempt.Reason) and the two lookups that find nobody (404). Documented only: the
# view writes the codes itself, so the answers are as they were.
UNKNOWN_REASONS = {
    "unknown_card": "No member here has this card (404).",
    "unknown_member": "No member of this club has this id (404); another club's members "
    "are found by their card only.",
}
REASON_MEANINGS = {
    CheckInAttempt.Reason.NO_MEMBERSHIP: "No membership, apart from cancelled ones.",
    CheckInAttempt.Reason.EXPIRED: "The last membership has ended: time to renew.",
    CheckInAttempt.Reason.NOT_STARTED: "The membership starts on a later day.",
    CheckInAttempt.Reason.FROZEN: "The membership is frozen today.",
    CheckInAttempt.Reason.NO_VISITS_LEFT: "A visit pack with no visits left: time to top up.",
    CheckInAttempt.Reason.UNPAID: "A payment of the membership failed (past due).",
    CheckInAttempt.Reason.WRONG_CLUB: "The member's plan is not valid at this club.",
    **UNKNOWN_REASONS,
}
# The enum's name in the schema (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
REASON_CHOICES = [(str(code), meaning) for code, meaning in REASON_MEANINGS.items()]


class CheckInResponse(serializers.Serializer):
    allowed = serializers.BooleanField()
    # The schema lists each code with its meaning under the enum.
    reason = serializers.ChoiceField(
        choices=REASON_CHOICES,
        allow_null=True,
        help_text="Why the member was turned away; null when admitted.",
    )
    member = CheckedInMember(allow_null=True)
    visit_id = serializers.IntegerField(allow_null=True)
    repeat_scan = serializers.BooleanField(help_text="A scan within 2 minutes of the last visit.")


def _answer(**fields) -> dict:
    return {"allowed": False, "reason": None, "member": None, "visit_id": None,
            "repeat_scan": False, **fields}  # fmt: skip


_MAYA = {"id": 42, "first_name": "Maya", "photo_url": None}
# What the documentation shows: each answer as the view gives it, never a mix of two.
CHECK_IN_EXAMPLES = [
    OpenApiExample("A card", value={"card": "04A1B2C3"}, request_only=True),
    OpenApiExample("A member id", value={"member_id": 42}, request_only=True),
    OpenApiExample(
        "Admitted",
        value=_answer(allowed=True, member=_MAYA, visit_id=1017),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Turned away",
        value=_answer(reason=CheckInAttempt.Reason.EXPIRED.value, member=_MAYA),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Scanned again within two minutes",
        value=_answer(allowed=True, member=_MAYA, visit_id=1017, repeat_scan=True),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Unknown card",
        value=_answer(reason="unknown_card"),
        response_only=True,
        status_codes=["404"],
    ),
]


class CheckInView(IntegrationAPIView):
    required_scope = Integration.Scope.CHECKIN
    # Only what a turnstile's call needs: a JSON body in, JSON out, and no throttles.
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = []
    content_negotiation_class = TurnstileNegotiation

    @extend_schema(
        request={"application/json": CHECK_IN_REQUEST_SCHEMA},
        responses={
            200: CheckInResponse,
            400: FIELD_ERRORS,
            **AUTH_ERRORS,
            404: OpenApiResponse(CheckInResponse, description="Unknown card or member."),
        },
        summary="Check a member in by card or member id",
        examples=CHECK_IN_EXAMPLES,
    )
    def post(self, request):
        lookup = plain_lookup(request.data)
        if lookup is None:
            payload = CheckInRequest(data=request.data)
            payload.is_valid(raise_exception=True)
            lookup = payload.validated_data
        outcome = checkins.check_in_scanned(
            card=lookup.get("card"),
            member_id=lookup.get("member_id"),
            source=Source.TURNSTILE,
            club=request.user.club,
        )
        if outcome is None:
            reason = "unknown_card" if "card" in lookup else "unknown_member"
            body = {
                "allowed": False,
                "reason": reason,
                "member": None,
                "visit_id": None,
                "repeat_scan": False,
            }
            return Response(body, status=status.HTTP_404_NOT_FOUND)

        member = outcome.member
        admitted = isinstance(outcome, Visit)
        return Response(
            {
                "allowed": admitted,
                "reason": None if admitted else outcome.reason,
                "member": {
                    "id": member.pk,
                    "first_name": member.first_name,
                    "photo_url": request.build_absolute_uri(member.photo.url)
                    if member.photo
                    else None,
                },
                "visit_id": outcome.pk if admitted else None,
                "repeat_scan": admitted and outcome.is_repeat_scan,
            }
        )
