"""What every app's REST API shares: token authentication for integrations, and scopes."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.views import APIView

from club import clock
from club.models import Club, Integration

# How stale `Integration.last_used_at` may get. Writing it on every call would make every
# scan of a turnstile queue on that one row's lock and pay for its own commit.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

# Active integrations (with their club) are kept in the cache by token hash, so a turnstile
# scan does not look its token up in the database. Saving or deleting an Integration drops
# its entry once committed; the timeout bounds what else can go unseen: a change made without
# save() (a queryset update, an edit of the club), or a save that lands between another
# request's read and its cache write. With a per-process cache (no CACHE_URL), workers other
# than the one that saved also keep their copy until the timeout.
TOKEN_CACHE_SECONDS = 60

log = logging.getLogger(__name__)


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` pages of 50; a larger limit is cut to 200 (unbounded, a huge limit
    reached the database as an out-of-range LIMIT)."""

    default_limit = 50
    max_limit = 200
    # Past this PostgreSQL's OFFSET (a bigint) refuses the number: a 500 where a field error
    # belongs.
    max_offset = 2**63 - 1

    def get_limit(self, request):
        # DRF reads a limit that is not a number as no limit given, so `?limit=ten` answered 50
        # rows as if it had been understood. At least 1: a page of none would link to itself.
        limit = self._number(request, self.limit_query_param, minimum=1, maximum=None)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = self._number(request, self.offset_query_param, minimum=0, maximum=self.max_offset)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        minimum = {self.limit_query_param: 1, self.offset_query_param: 0}
        for parameter in parameters:
            parameter["schema"]["minimum"] = minimum[parameter["name"]]
            # A limit past max_limit is cut to it, not refused.
            if parameter["name"] == self.offset_query_param:
                parameter["schema"]["maximum"] = self.max_offset
        return parameters

    def _number(self, request, name: str, *, minimum: int, maximum: int | None) -> int | None:
        """The query parameter as a whole number from `minimum`, None when absent; else a 400
        field error, as any other field's."""
        values = request.query_params.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise serializers.ValidationError({name: ["Give this parameter once."]})
        field = serializers.IntegerField(min_value=minimum, max_value=maximum)
        try:
            return field.run_validation(values[0])
        except serializers.ValidationError as error:
            raise serializers.ValidationError({name: error.detail}) from None


@dataclass(frozen=True)
class IntegrationPrincipal:
    """request.user for an API call: the integration, never a person."""

    integration: Integration

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    @property
    def club(self) -> Club:
        return self.integration.club


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Bearer <token>, nothing else.")
        token = header[1].decode(errors="replace")
        token_hash = Integration.hash_token(token)
        key = Integration.cache_key(token_hash)
        integration = _unless_cache_is_down(cache.get, key)
        if integration is None:
            try:
                # get(), not first(): the hash is unique, and first() would order by the
                # integration's club and name.
                integration = Integration.objects.select_related("club").get(
                    token_hash=token_hash, is_active=True
                )
            except Integration.DoesNotExist:
                raise exceptions.AuthenticationFailed("Unknown or revoked token.") from None
            _unless_cache_is_down(cache.set, key, integration, TOKEN_CACHE_SECONDS)
        now = clock.now()
        cutoff = now - LAST_USED_RESOLUTION
        if integration.last_used_at is None or integration.last_used_at < cutoff:
            # Conditional, so of a burst of calls that all read a stale time only one writes.
            Integration.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff), pk=integration.pk
            ).update(last_used_at=now)
            # The next call reads the row afresh (and caches it with its new time), rather
            # than this process writing back a copy that may predate a revocation.
            _unless_cache_is_down(cache.delete, key)
        return IntegrationPrincipal(integration), token

    def authenticate_header(self, request) -> str:
        return self.keyword


def _unless_cache_is_down(operation, *args):
    """The token cache is a shortcut, never a dependency: with the cache server down, a
    turnstile's token is looked up in the database (and a warning logged)."""
    try:
        return operation(*args)
    except (RedisError, OSError) as error:
        log.warning("token cache unavailable (%s): reading the database", error)
        return None


class HasScope(permissions.BasePermission):
    """Allow a view only to integrations holding its `required_scope`."""

    message = "This token does not have the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        principal = request.user
        scope = getattr(view, "required_scope", None)
        if not isinstance(principal, IntegrationPrincipal) or scope is None:
            return False
        return principal.integration.has_scope(scope)


# Mixed into every view of ours under /api/v1/ (before its DRF base class): a bearer token
# and the view's `required_scope`. Not the global defaults, which Wagtail's admin API (session
# auth, the page explorer) also reads. Comments, not docstrings: drf-spectacular would
# publish a docstring as every operation's description.
class IntegrationAPI:
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [HasScope]


class IntegrationAPIView(IntegrationAPI, APIView):
    pass


# Error answers every endpoint can give; documented so clients handle them.
FIELD_ERRORS = OpenApiResponse(description="Field errors: {field: [messages]}.")
AUTH_ERRORS = {
    401: OpenApiResponse(description="Missing, unknown or revoked token."),
    403: OpenApiResponse(description="The token lacks the scope this endpoint needs."),
}


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "club.api.IntegrationTokenAuthentication"
    name = "IntegrationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration's token."}


def only_our_api(endpoints):
    """drf-spectacular preprocessing hook: document /api/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


def request_bodies_required(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST of ours needs a body.

    drf-spectacular cannot infer that for a `oneOf` body, and clients and fuzzers read it.
    """
    for operations in result.get("paths", {}).values():
        body = operations.get("post", {}).get("requestBody")
        if body is not None:
            body["required"] = True
    return result


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Any path under /api/ that no endpoint answers: a JSON 404, whatever the method.

    Without it such a path fell through to the public site: an HTML 404 page, and for a POST
    (`/api/v1/checkins/`, a trailing slash a reader's firmware added) the site's CSRF check's
    HTML 403. When the path with or without a trailing slash is an endpoint, the answer names
    it: redirecting would not do, since clients do not repeat a POST across a redirect."""
    path = request.path
    other = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        endpoint = other.startswith("/api/") and resolve(other).func is not not_found
    except Resolver404:
        endpoint = False
    detail = f"No endpoint at {path}."
    if endpoint:
        detail += f" Did you mean {other}?"
    return JsonResponse({"detail": detail}, status=404)


SERVER_ERROR_DETAIL = "The server could not complete the request; try again later."


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: under /api/ a JSON answer an integration can parse, as every other answer
    there is (DRF words only the errors it raises; anything else reached Django's HTML page),
    and the site's plain error page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR_DETAIL, "code": "server_error"}, status=500)
    return defaults.server_error(request)
