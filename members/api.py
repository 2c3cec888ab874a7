"""Member lookup and lead capture for website integrations (scope `members`)."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from club import clock
from club.api import AUTH_ERRORS, FIELD_ERRORS, IntegrationAPI, Pagination
from club.models import Integration
from members import leads
from members.consent import sms_consent_problem
from members.models import EMAIL_MAX_LENGTH, Member

# An `updated_since` this far past our clock is a client's mistake (local time sent as UTC, a
# date typed wrong), refused rather than answered with nothing; less is a machine's clock
# running ahead of ours.
UPDATED_SINCE_LEEWAY = dt.timedelta(minutes=5)
# A time of day followed by a space and an offset's digits: the offset's `+` decoded as a space.
PLUS_AS_SPACE = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?$")
# PostgreSQL's bigint, as for `offset`.
MAX_ID = 2**63 - 1

UPDATED_SINCE_HELP = (
    "Export: only members whose record changed at or after this instant (ISO 8601 with a UTC "
    "offset, e.g. `2026-11-20T09:30:00+01:00`; send `+` as `%2B`), oldest change first, in "
    "(`updated_at`, `id`) order. A change is what this API shows of a member (name, email, "
    "phone, status, source, consent, erasure) and what staff edit on the record (birth date, "
    "access card, interests, notes, photo, home club, saved card); the lifecycle stage is not "
    "one. A member moved to another club leaves this list without a row saying so. A "
    "member changed again while you page comes again later with its new data, never skipped; "
    "an erased one comes once more with `erased_at` set and no personal data, so delete your "
    "copy. Changes show once a minute old, when the writes of that instant are committed. "
    "Page by following `next` (`offset` is refused: rows move while you page); after the last "
    "page, resume next time from your last row: `updated_since` = its `updated_at`, `after_id` "
    "= its `id`. A time without an offset, or more than five minutes past our clock, is a "
    "field error."
)
AFTER_ID_HELP = (
    "With `updated_since`: skip the members changed at exactly that instant with this `id` or "
    "a lower one (the rows already read; the `next` link sets it)."
)


class UpdatedSinceField(serializers.DateTimeField):
    default_error_messages = {
        "naive": "Give the time with its UTC offset (Z, +01:00): without one it could be any "
        "club's, and an hour out either way at a clock change.",
        "future": "This is later than now ({now}): nothing has changed then yet.",
        "plus_as_space": "A '+' in a query string reads as a space: send the offset as %2B01:00.",
    }

    def to_internal_value(self, value):
        # `…T09:30:00+01:00` sent unencoded arrives as `…T09:30:00 01:00`.
        if isinstance(value, str) and PLUS_AS_SPACE.search(value):
            self.fail("plus_as_space")
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        # Refused rather than read in the club's zone: an exporter keeps our own `updated_at`
        # values, which carry their offset, so a naive time is a bug to show, not to guess at.
        if timezone.is_naive(value):
            self.fail("naive")
        value = super().enforce_timezone(value)
        now = clock.now()
        if value > now + UPDATED_SINCE_LEEWAY:
            self.fail("future", now=now.isoformat())
        return value


class MemberSearchParams(serializers.Serializer):
    # CharField refuses NUL characters with a field error; PostgreSQL text cannot hold them.
    q = serializers.CharField(required=False, allow_blank=True, default="")
    # Not blank: `?email=` would otherwise list everyone, or everyone without an email.
    email = serializers.EmailField(required=False, max_length=EMAIL_MAX_LENGTH)
    updated_since = UpdatedSinceField(required=False)
    after_id = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID)

    def validate(self, data):
        if "updated_since" not in data:
            if "after_id" in data:
                raise serializers.ValidationError({"after_id": "Only with updated_since."})
        elif "offset" in self.initial_data:
            # Rows change while an export pages: one moved from an earlier page to the end
            # would shift every later row back by one, and an offset would skip one.
            raise serializers.ValidationError(
                {
                    "offset": "Not with updated_since: follow the `next` link, which continues "
                    "after the last row read."
                }
            )
        return data


# Anything else is refused: an unknown filter used to be ignored, so `?email=` (before it was
# one) answered the whole club, its first member someone else entirely.
MEMBER_LIST_PARAMS = frozenset({"q", "email", "updated_since", "after_id", "limit", "offset"})


def refuse_unknown_params(query_params, allowed: frozenset[str]) -> None:
    if unknown := sorted(set(query_params) - allowed):
        raise serializers.ValidationError(
            {
                "detail": f"Unknown query parameters: {', '.join(unknown)}.",
                "unknown": unknown,
                "allowed": sorted(allowed),
            }
        )
    # `?email=a@x&email=b@y` was read as its last value alone: a field error, not a guess.
    if repeated := sorted(name for name in query_params if len(query_params.getlist(name)) > 1):
        once = ["Give this parameter once."]
        raise serializers.ValidationError({name: once for name in repeated})


class MemberSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(required=False, allow_blank=True)
    moved_away = serializers.SerializerMethodField(
        help_text="True when the member moved to another club of the chain: delete your copy. "
        "The row then carries no name, contact or consent. Only an export (`updated_since`) "
        "lists members who moved away."
    )

    def get_moved_away(self, member: Member) -> bool:
        request = self.context.get("request")
        return request is not None and member.home_club_id != request.user.integration.club_id

    def to_representation(self, member: Member) -> dict:
        data = super().to_representation(member)
        if data["moved_away"]:
            # Another club's member now: what they are there is not this club's to copy.
            data |= {field: "" for field in ("first_name", "last_name", "email", "phone")}
            data |= {"sms_consent": False, "email_consent": False}
        return data

    class Meta:
        model = Member
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "status",
            "source",
            "sms_consent",
            "email_consent",
            "created_at",
            "updated_at",
            "erased_at",
            "moved_away",
        ]
        read_only_fields = [
            "id",
            "status",
            "sms_consent",
            "email_consent",
            "created_at",
            "updated_at",
            "erased_at",
        ]
        extra_kwargs = {
            "updated_at": {"help_text": "When the record last changed (see `updated_since`)."},
            "erased_at": {
                "help_text": "Set once the member's personal data was erased: delete your copy. "
                "Only an export (`updated_since`) lists erased members."
            },
        }


# A consent text is a sentence or two; the log keeps every one, for every lead.
CONSENT_WORDING_MAX_LENGTH = 1000


class LeadSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    email = serializers.EmailField(
        required=False, allow_blank=True, default="", max_length=EMAIL_MAX_LENGTH
    )
    phone = PhoneNumberField(required=False, allow_blank=True, default="")
    sms_consent = serializers.BooleanField(default=False)
    email_consent = serializers.BooleanField(default=False)
    consent_wording = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CONSENT_WORDING_MAX_LENGTH,
        help_text="The consent text shown.",
    )

    def validate(self, data):
        leads.require_contact(email=data["email"], phone=str(data["phone"] or ""))
        if data["sms_consent"] and (problem := sms_consent_problem(data["phone"])):
            raise serializers.ValidationError({"sms_consent": problem})
        if data["email_consent"] and not data["email"]:
            raise serializers.ValidationError({"email_consent": "Email consent needs an email."})
        return data


# The website's answer for someone another club of the chain knows (leads.known_elsewhere).
# Unlike the back-office, it does not name the club: a website passes it on to whoever typed
# the address, who must not learn where someone else is registered.
KNOWN_ELSEWHERE = "known_elsewhere"
KNOWN_ELSEWHERE_DETAIL = (
    "This person is already registered at another club of the chain, so no lead was "
    "registered here: the chain keeps one record per person. Ask them to contact the club "
    "they joined, or this club's front desk."
)


# An email that is a member's of this club under another name (leads.email_of_another): the
# typer is not that member, so nothing is saved and that member's record is not returned.
EMAIL_OF_ANOTHER = "email_of_another"
EMAIL_OF_ANOTHER_DETAIL = (
    "This email is registered here under another name, so no lead was registered and "
    "nothing was saved. Ask them to check the address, or to contact the club's front desk."
)

KNOWN_ELSEWHERE_CODES = [KNOWN_ELSEWHERE, EMAIL_OF_ANOTHER]


class KnownElsewhereError(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=KNOWN_ELSEWHERE_CODES)


class MemberPagination(Pagination):
    """Limit/offset pages, except an export's (`updated_since`): each of its pages follows on
    from the last row of the one before, by (updated_at, id), so a row moving to the end
    while the export pages (a member changed meanwhile) shifts nothing the next page reads.
    `count` is then what is left to read from this page on."""

    def paginate_queryset(self, queryset, request, view=None):
        self.exporting = getattr(view, "exporting", False)
        if not self.exporting:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.limit = self.get_limit(request)
        self.count = queryset.count()
        # One row more tells whether a next page exists without a link to an empty one.
        rows = list(queryset[: self.limit + 1])
        self.last = rows[self.limit - 1] if len(rows) > self.limit else None
        return rows[: self.limit]

    def get_next_link(self):
        if not self.exporting:
            return super().get_next_link()
        if self.last is None:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, "updated_since", self.last.updated_at.isoformat())
        return replace_query_param(url, "after_id", self.last.pk)

    def get_previous_link(self):
        # An export reads forward; the rows of a page before may have moved on since.
        return super().get_previous_link() if not self.exporting else None


class IntegrationMembersMixin(IntegrationAPI):
    required_scope = Integration.Scope.MEMBERS

    def get_queryset(self):
        # An erased member is not there for integrations (members.erasure).
        return Member.objects.not_erased().filter(home_club=self.request.user.club).order_by("pk")


@extend_schema_view(
    get=extend_schema(
        summary="Search members of the integration's club",
        parameters=[
            OpenApiParameter("q", str, description="Name, phone, email or card"),
            OpenApiParameter(
                "email",
                OpenApiTypes.EMAIL,
                description="Exactly this email, in any case: how a website finds a person.",
            ),
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description=UPDATED_SINCE_HELP
            ),
            OpenApiParameter("after_id", OpenApiTypes.INT64, description=AFTER_ID_HELP),
        ],
        responses={
            200: MemberSerializer(many=True),
            400: OpenApiResponse(
                description="Field errors: {field: [messages]} (a `limit` or `offset` that is "
                "not a whole number from 1 or 0, a parameter given twice, an `updated_since` "
                "that is no time, has no offset or is in the future, `offset` with it, "
                "`after_id` without it); or an unknown query parameter: {detail, unknown: "
                "[names], allowed: [names]}."
            ),
            **AUTH_ERRORS,
        },
    ),
    post=extend_schema(
        summary=(
            "Capture a lead (the same email or phone, with the same name, returns the known person)"
        ),
        request=LeadSerializer,
        responses={
            201: MemberSerializer,
            200: OpenApiResponse(
                MemberSerializer,
                description="The known person. One who lacked the phone or email sent has it "
                "now; one with another keeps theirs. Consent is recorded only for an address on "
                "the record returned: compare its `phone`/`email` and "
                "`sms_consent`/`email_consent`.",
            ),
            400: FIELD_ERRORS,
            409: OpenApiResponse(
                KnownElsewhereError,
                description="Another club of the chain already knows this person (the same "
                "email, or the same phone and name), and this club does not: nothing was "
                "saved, consent included. The chain keeps one record per person; which club "
                "is not said. Or (`email_of_another`) the email is a member's of this club "
                "under another name: nothing was saved, and that member is not returned.",
            ),
            **AUTH_ERRORS,
        },
    ),
)
class MemberListView(IntegrationMembersMixin, generics.ListAPIView):
    serializer_class = MemberSerializer
    pagination_class = MemberPagination

    def get_queryset(self):
        refuse_unknown_params(self.request.query_params, MEMBER_LIST_PARAMS)
        # A plain dict: from a QueryDict, DRF would read a blank optional field as absent.
        params = MemberSearchParams(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        since = params.validated_data.get("updated_since")
        self.exporting = since is not None
        if self.exporting:
            # Erased members too (unlike the search): an export must learn of the erasure; and
            # those who moved to another club, which it must learn as well (not to a search).
            club = self.request.user.club
            searched = params.validated_data["q"].strip() or params.validated_data.get("email")
            ours = Q(home_club=club) if searched else Q(home_club=club) | Q(left_club=club)
            members = Member.objects.filter(ours).changed_since(
                since, after_id=params.validated_data.get("after_id")
            )
        else:
            members = super().get_queryset()
        if query := params.validated_data["q"].strip():
            members = members.search(query)
        if email := params.validated_data.get("email"):
            # Lower(email), so the member_email_lower index answers it (iexact would not).
            members = members.alias(email_lower=Lower("email")).filter(email_lower=email.lower())
        return members

    def post(self, request):
        lead = LeadSerializer(data=request.data)
        lead.is_valid(raise_exception=True)
        data = lead.validated_data
        club = request.user.club
        phone = str(data["phone"]) if data["phone"] else ""
        person = {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "phone": phone,
        }
        try:
            member, created = leads.capture(
                club,
                **person,
                source=Member.Source.WEBSITE,
                sms_consent=data["sms_consent"],
                email_consent=data["email_consent"],
                consent_source=f"api:{request.user.integration.name}",
                consent_wording=data["consent_wording"],
                # As the back-office's Add and the desk's walk-in form, but decided under the
                # capture's locks, so two clubs' sites posting one person make one record.
                refuse_elsewhere=True,
            )
        except leads.RegisteredElsewhere:
            return Response(
                {"detail": KNOWN_ELSEWHERE_DETAIL, "code": KNOWN_ELSEWHERE},
                status=status.HTTP_409_CONFLICT,
            )
        except leads.EmailOfAnother:
            return Response(
                {"detail": EMAIL_OF_ANOTHER_DETAIL, "code": EMAIL_OF_ANOTHER},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            MemberSerializer(member).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(
    summary="One member of the integration's club",
    responses={
        200: MemberSerializer,
        404: OpenApiResponse(description="No such member here."),
        **AUTH_ERRORS,
    },
)
class MemberDetailView(IntegrationMembersMixin, generics.RetrieveAPIView):
    serializer_class = MemberSerializer
