from django.conf import settings
from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from checkin.api import CheckInView
from club import api as club_api
from club import health, site_history
from members import views as member_views
from members.api import MemberDetailView, MemberListView
from memberships.stripe import webhooks as stripe_webhooks


class SignedIntConverter:
    """Like <int:…> but also matches negative numbers, so they get 404 and not a redirect."""

    regex = "-?[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(SignedIntConverter, "id")

handler500 = club_api.server_error

api_v1 = [
    path("checkins", CheckInView.as_view(), name="checkins"),
    path("members", MemberListView.as_view(), name="members"),
    path("members/<id:pk>", MemberDetailView.as_view(), name="member"),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # drf-spectacular's template without its Google Fonts: nothing here leaves the server.
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    # Anything else under /api/ is a JSON 404, never the public site's HTML pages.
    re_path(r"^api/", club_api.not_found, name="api-not-found"),
    path("stripe/webhook/", stripe_webhooks.webhook, name="stripe-webhook"),
    path("photos/<str:signed>/", member_views.photo, name="member-photo"),
    path("health/", health.web, name="health"),
    path("health/background/", health.background_work, name="health-background"),
    *site_history.urlpatterns,  # before the admin's own: superusers only
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree serves everything else (the public site); the portal comes first.
urlpatterns += [
    path("account/", include("cms.portal.urls")),
    path("", include("campaigns.urls")),  # /hooks/twilio/…, /unsubscribe/<token>/
    path("", include(wagtail_urls)),
]
